"""``--sr`` in simda.generate and simda.train: the tiny upscaler end to end, bad input refused before loading."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import decord
import pytest
from mlflow.tracking import MlflowClient

from simda import generate, train
from simda.model.checkpoint import load_adapter_checkpoint
from simda.model.video_unet import SimDAUNet
from simda.plumbing.errors import InvalidSetting, MissingInput
from simda.settings import PAPER, TINY, TINY_UPSCALER_SIZE_MULTIPLE, UpscaleSettings
from simda.sr.pipeline import SimDAUpscalePipeline
from tests.command_helpers import job_of, run_argv


def upscaler_folder(root: Path, levels: int) -> Path:
    """A folder with only an upscaler UNet config: enough for every check that runs before loading."""
    (root / "unet").mkdir(parents=True)
    (root / "unet" / "config.json").write_text(json.dumps({"block_out_channels": [32] * levels}))
    return root


def test_the_torch_free_size_multiple_is_the_tiny_upscalers(tiny_upscaler):
    pipeline = SimDAUpscalePipeline.from_upscaler(SimDAUNet(copy.deepcopy(tiny_upscaler.unet)), tiny_upscaler)
    assert pipeline.latent_multiple == TINY_UPSCALER_SIZE_MULTIPLE


def test_upscale_settings_have_diffusers_defaults_and_a_few_tiny_steps():
    assert (PAPER.upscale.num_inference_steps, PAPER.upscale.guidance_scale, PAPER.upscale.noise_level) == (75, 9.0, 20)
    assert TINY.upscale.num_inference_steps < 10
    assert (PAPER.sr_clips.height, PAPER.sr_clips.width) == (1024, 1024)
    with pytest.raises(InvalidSetting, match="--sr-steps 0"):
        UpscaleSettings(num_inference_steps=0)


def test_generate_sr_writes_a_four_times_larger_video_and_says_what_it_chunked(tmp_path, no_network):
    argv = ["--preset", "tiny", "--device", "cpu", "--sr", "--prompt", "a cat", "--num-frames", "3"]
    argv += ["--steps", "2", "--sr-steps", "2", "--sr-unet-chunk", "1", "--sr-decode-chunk", "2"]
    argv += ["--out", str(tmp_path)]
    result = run_argv(generate, argv)
    assert result.video_shape == (3, 128, 128)
    assert "3 frames at 128x128" in result.summary() and "2 call(s) per step" in result.summary()
    assert result.settings["upscale"]["num_frames"] == 3 and result.settings["upscale"]["num_inference_steps"] == 2
    video = decord.VideoReader(str(result.videos[0]))
    assert len(video) == 3 and video[0].shape == (128, 128, 3)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--sr-steps", "3"], "--sr-steps given without --sr"),
        (["--sr", "--sr-noise-level", "400"], "--sr-noise-level 400"),
        (["--sr", "--sr-guidance-scale", "nan"], "--sr-guidance-scale nan"),
        (["--sr", "--sr-unet-chunk", "0"], "--sr-unet-chunk 0"),
        (["--sr", "--sr-base", "missing"], "exactly one of --preset tiny"),
    ],
)
def test_generate_refuses_bad_sr_flags_with_exit_2(extra, named, tmp_path, capsys):
    assert generate.main(["--preset", "tiny", "--prompt", "x", "--out", str(tmp_path), *extra]) == 2
    assert named in capsys.readouterr().err


def test_generate_sr_checks_the_upscaler_folder_and_sizes_before_loading(tmp_path):
    base = ["--base", str(tmp_path), "--prompt", "x", "--sr"]
    with pytest.raises(InvalidSetting, match="--sr-base PATH"):
        job_of(generate, base)
    with pytest.raises(MissingInput, match="--sr-base .*missing.*not found"):
        job_of(generate, [*base, "--sr-base", str(tmp_path / "missing")])
    with pytest.raises(MissingInput, match="--sr-ckpt"):
        job_of(generate, [*base, "--sr-base", str(upscaler_folder(tmp_path / "x4", 4)), "--sr-ckpt", "nope"])
    five_levels = str(upscaler_folder(tmp_path / "deep", 5))  # sizes must divide by 16
    with pytest.raises(InvalidSetting, match="--height 264: .*multiples of 16"):
        job_of(generate, [*base, "--sr-base", five_levels, "--height", "264"])
    job = job_of(generate, [*base, "--sr-base", five_levels, "--height", "256", "--num-frames", "9"])
    assert (job.upscale.num_frames, job.upscale.height, job.upscale.num_inference_steps) == (9, 256, 75)


@pytest.mark.slow  # about 10 s on 2 cores, most of it creating MLflow's sqlite store
def test_tiny_sr_training_writes_upscaler_adapters_and_logs_to_mlflow(tmp_path, monkeypatch, no_network):
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    job = job_of(
        train,
        ["--preset", "tiny", "--sr", "--device", "cpu", "--max-train-steps", "2", "--log-every", "1"]
        + ["--num-frames", "3", "--out", str(tmp_path / "sr"), "--tracking-uri", uri],
    )
    assert (job.clips.height, job.clips.width) == (TINY.sr_clips.height, TINY.sr_clips.width)
    result = train.run(job)
    adapters = load_adapter_checkpoint(result.adapters)
    assert adapters.base_kind == "x4-upscaler" and result.steps == 2
    (run,) = MlflowClient(uri).search_runs([MlflowClient(uri).get_experiment_by_name("simda-train").experiment_id])
    assert run.data.tags["stage"] == "super_resolution" and "loss" in run.data.metrics


def test_train_sr_refuses_the_other_stages_flags_and_bad_clip_sizes(tmp_path):
    with pytest.raises(InvalidSetting, match="--ckpt name the text-to-video model"):
        job_of(train, ["--preset", "tiny", "--sr", "--ckpt", "a"])
    with pytest.raises(InvalidSetting, match="--sr-base given without --sr"):
        job_of(train, ["--preset", "tiny", "--sr-base", "a"])
    with pytest.raises(InvalidSetting, match="--height 40: .*multiple of 16"):
        job_of(train, ["--preset", "tiny", "--sr", "--height", "40"])
    with pytest.raises(InvalidSetting, match="--validate-every"):
        job_of(train, ["--preset", "tiny", "--sr", "--validate-every", "5"])
    x4 = str(upscaler_folder(tmp_path / "x4", 4))
    job = job_of(train, ["--sr", "--sr-base", x4, "--csv", x4, "--videos", x4])
    assert (job.clips.height, job.clips.width, job.clips.num_frames) == (1024, 1024, 16)
