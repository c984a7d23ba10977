"""Any generator under one protocol: diffusers pipelines and folders of videos through the MSR-VTT benchmark.

Every model here has random weights: the numbers prove the machinery, not the models.
"""

from __future__ import annotations

import json
import shutil

import mlflow
import numpy as np
import pandas as pd
import pytest
import torch

from benchmarks import compare, msrvtt
from benchmarks.datasets import write_msrvtt_set
from benchmarks.diffusers_generator import build_tiny_generator, load_pipeline_folder
from benchmarks.evaluation import fit_real_clip
from benchmarks.video_folder import VideoFolderGenerator
from metrics.frame_selection import SPREAD
from metrics.video_io import read_video
from simda.plumbing.errors import UsageError
from simda.settings import GenerationSettings
from simda.synthetic import moving_square
from simda.video_io import write_mp4
from tests.benchmarks.conftest import FAST_ARGS, only_run, tracking_uri
from tests.command_helpers import run_argv

SETTINGS = GenerationSettings(num_frames=9, height=32, width=32, num_inference_steps=2)
CPU = torch.device("cpu")


@pytest.mark.parametrize("name", ["tiny-animatediff", "tiny-modelscope"])
def test_a_diffusers_pipelines_video_does_not_depend_on_its_batch(name):
    generator = build_tiny_generator(name, CPU, torch.float32)
    together = generator.generate(["a red car", "a dog running on grass"], [11, 12], SETTINGS, ["a", "b"])
    alone = generator.generate(["a dog running on grass"], [12], SETTINGS, ["b"])
    assert together.shape == (2, 9, 32, 32, 3) and together.dtype == np.uint8
    # Each prompt's noise comes from its own seed; batched kernels may still round one level apart.
    assert np.abs(together[1].astype(int) - alone[0].astype(int)).max() <= 1
    assert not np.array_equal(together[0], together[1])


@pytest.mark.slow  # an end-to-end run: over 5 s on two cores
def test_frames_become_uint8_as_the_pipelines_own_pil_output(tmp_path):
    generator = build_tiny_generator("tiny-animatediff", CPU, torch.float32)
    ours = generator.generate(["a cat"], [3], SETTINGS, ["x"])[0]
    latents = torch.randn(generator.latent_shape(SETTINGS), generator=torch.Generator().manual_seed(3))[None]
    pil = generator.pipeline(
        prompt=["a cat"], num_frames=9, height=32, width=32, num_inference_steps=2, latents=latents, output_type="pil"
    ).frames[0]
    assert np.array_equal(ours, np.stack([np.asarray(frame) for frame in pil]))


def test_a_saved_pipeline_folder_loads_offline_and_makes_the_same_videos(no_network, tmp_path):
    tiny = build_tiny_generator("tiny-modelscope", CPU, torch.float32)
    tiny.pipeline.save_pretrained(tmp_path / "modelscope")
    loaded = load_pipeline_folder(tmp_path / "modelscope", CPU, torch.float32)
    identity = loaded.identity()
    assert identity["class"] == "TextToVideoSDPipeline" and identity["kind"] == "diffusers"
    files = identity["files_sha256"]
    assert any(path.startswith("unet/") and path.endswith(".safetensors") for path in files)
    assert "scheduler/scheduler_config.json" in files and "model_index.json" in files
    assert loaded.random_weights is False  # a folder's weights are taken as real: nothing says otherwise
    prompts, seeds = ["a boat at sea"], [7]
    assert np.array_equal(
        loaded.generate(prompts, seeds, SETTINGS, ["x"]), tiny.generate(prompts, seeds, SETTINGS, ["x"])
    )


@pytest.fixture(scope="module")
def animatediff_run(tmp_path_factory):
    """One tiny AnimateDiff MSR-VTT run (random weights), shared by the tests that read it."""
    folder = tmp_path_factory.mktemp("animatediff")
    uri = tracking_uri(folder)
    argv = [*FAST_ARGS, "--generator", "diffusers", "--pipeline", "tiny-animatediff", "--num-videos", "3"]
    result = run_argv(msrvtt, [*argv, "--out", str(folder / "run"), "--tracking-uri", uri])
    return result, uri


def _check_logged(result, uri, pipeline_class):
    run = only_run(uri, "simda-msrvtt")
    assert run.info.run_id == result.mlflow_run_id
    assert pipeline_class in run.data.tags["generator"] and pipeline_class in result.summary()
    assert run.data.params["generator.kind"] == "diffusers" and run.data.params["generator.class"] == pipeline_class
    for name in ("fvd", "clipsim", "frame_consistency"):
        assert run.data.metrics[name] == pytest.approx(result.metrics[name])
    assert result.metrics["fvd"] > 0 and -1 <= result.metrics["clipsim"] <= 1
    assert run.data.tags["random_weights"] == "true" and run.data.tags["real_stats_sha256"]


@pytest.mark.slow  # an end-to-end run: over 5 s on two cores
def test_tiny_animatediff_runs_the_msrvtt_benchmark(animatediff_run):
    result, uri = animatediff_run
    _check_logged(result, uri, "AnimateDiffPipeline")
    assert len(list((result.output_dir / "videos").glob("*.mp4"))) == 3


@pytest.mark.slow
def test_tiny_modelscope_runs_the_msrvtt_benchmark(tmp_path):
    uri = tracking_uri(tmp_path)
    argv = [*FAST_ARGS, "--generator", "diffusers", "--pipeline", "tiny-modelscope", "--num-videos", "3"]
    result = run_argv(msrvtt, [*argv, "--out", str(tmp_path / "run"), "--tracking-uri", uri])
    _check_logged(result, uri, "TextToVideoSDPipeline")


def _copy_run(uri: str, source_id: str, changes: dict[str, str]) -> str:
    """A finished run with ``source_id``'s params, metrics and tags, ``changes`` laid over the params."""
    client = mlflow.MlflowClient(uri)
    source = client.get_run(source_id)
    tags = {key: value for key, value in source.data.tags.items() if not key.startswith("mlflow.")}
    copy = client.create_run(source.info.experiment_id, tags=tags)
    for key, value in {**source.data.params, **changes}.items():
        client.log_param(copy.info.run_id, key, value)
    for key, value in source.data.metrics.items():
        client.log_metric(copy.info.run_id, key, value)
    client.set_terminated(copy.info.run_id)
    return copy.info.run_id


def test_the_comparison_puts_runs_of_one_protocol_side_by_side(animatediff_run, tmp_path):
    result, uri = animatediff_run
    twin = _copy_run(uri, result.mlflow_run_id, {"num_inference_steps": "50"})  # a model setting may differ
    compared = run_argv(compare, ["--runs", result.mlflow_run_id, twin, "--tracking-uri", uri, "--out", str(tmp_path)])
    table = compared.table
    assert list(table.columns[:6]) == ["method", "FVD", "FVD interval", "CLIPSIM", "frame consistency", "videos"]
    assert table["method"].str.contains("AnimateDiffPipeline").all()
    assert table["FVD"].tolist() == [pytest.approx(result.metrics["fvd"])] * 2
    assert table["note"].str.contains("random weights").all()
    assert (tmp_path / "comparison.csv").is_file()


@pytest.mark.parametrize(
    "changes",
    [
        {"fvd.protocol": "videogpt"},
        {"fvd.frame_sampling": SPREAD.describe()},  # the old whole-clip sampling against consecutive frames
        {"caption_seed": "1"},
        {"annotations_sha256": "0" * 64},
    ],
)
def test_the_comparison_refuses_runs_measured_differently(animatediff_run, capsys, tmp_path, changes):
    result, uri = animatediff_run
    other = _copy_run(uri, result.mlflow_run_id, changes)
    argv = ["--runs", result.mlflow_run_id, other, "--tracking-uri", uri, "--out", str(tmp_path / "compare")]
    assert compare.main(argv) == 2
    error = capsys.readouterr().err
    assert "not comparable" in error and f"{next(iter(changes))}:" in error
    assert not (tmp_path / "compare").exists()


def test_the_comparison_refuses_a_different_real_set(animatediff_run, capsys, tmp_path):
    result, uri = animatediff_run
    other = _copy_run(uri, result.mlflow_run_id, {})
    mlflow.MlflowClient(uri).set_tag(other, "real_stats_sha256", "f" * 64)
    assert compare.main(["--runs", result.mlflow_run_id, other, "--tracking-uri", uri, "--out", str(tmp_path)]) == 2
    assert "real_stats_sha256:" in capsys.readouterr().err


def test_a_missing_generated_video_is_refused_before_any_scoring(isolated_cwd, capsys):
    folder = isolated_cwd / "generated"
    folder.mkdir()
    shutil.copy(msrvtt_video(isolated_cwd), folder / "video0.mp4")
    argv = [*FAST_ARGS, "--generator", "videos", "--generated-videos", str(folder), "--num-videos", "3"]
    assert msrvtt.main(argv) == 2
    error = capsys.readouterr().err
    assert "--generated-videos" in error and "no video for" in error and "of the 3 evaluated clips" in error
    assert not (isolated_cwd / "runs").exists()


def msrvtt_video(folder):
    """Any mp4 of the synthetic MSR-VTT set (written into ``folder``)."""
    _, videos = write_msrvtt_set(folder / "data", num_test=1)
    return next(videos.glob("*.mp4"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--generator", "diffusers", "--preset", "tiny"], "--generator diffusers needs --pipeline"),
        (["--generator", "diffusers", "--pipeline", "tiny-animatediff"], "add --preset tiny"),
        (["--generator", "diffusers", "--pipeline", "nowhere", "--preset", "tiny"], "--pipeline nowhere: not a"),
        (["--generator", "videos", "--preset", "tiny"], "--generator videos needs --generated-videos"),
        (["--generator", "videos", "--generated-videos", "gone", "--preset", "tiny"], "--generated-videos gone: not"),
        (["--preset", "tiny", "--pipeline", "tiny-modelscope"], "--pipeline does not apply to --generator simda"),
        (["--generator", "videos", "--generated-videos", ".", "--base", "sd"], "--base does not apply"),
        ([], "choose exactly one of --preset tiny or --base"),
    ],
)
def test_generator_flags_are_checked_before_any_work(isolated_cwd, capsys, argv, message):
    assert msrvtt.main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (isolated_cwd / "runs").exists()


@pytest.mark.slow
def test_a_runs_own_videos_scored_as_a_folder_reproduce_its_numbers(tmp_path):
    """Run A (SimDA) writes mp4s; run B scores them through ``--generator videos``.

    A scores the frames its pipeline returned, before H.264 encoding; B can only see the decoded mp4s,
    and H.264 is lossy, so A's own numbers differ from B's slightly. The exact reference is A's numbers
    from its decoded files: with its feature cache deleted, a rerun of A scores each mp4 on disk
    without generating it again, and those numbers must equal B's to the last bit.
    """
    uri = tracking_uri(tmp_path)
    common = [*FAST_ARGS, "--num-videos", "4", "--tracking-uri", uri]
    first = run_argv(msrvtt, [*common, "--out", str(tmp_path / "a")])
    videos = tmp_path / "a" / "videos"
    listing = pd.DataFrame(
        {"id": [p.stem for p in videos.glob("*.mp4")], "path": [f"a/videos/{p.name}" for p in videos.glob("*.mp4")]}
    )
    listing.to_csv(tmp_path / "videos.csv", index=False)  # the CSV form: paths relative to the CSV
    scored = run_argv(
        msrvtt,
        [
            *common,
            "--generator",
            "videos",
            "--generated-videos",
            str(tmp_path / "videos.csv"),
            "--out",
            str(tmp_path / "b"),
        ],
    )
    shutil.rmtree(tmp_path / "a" / "features")
    decoded = run_argv(msrvtt, [*common, "--out", str(tmp_path / "a")])
    assert decoded.metrics["videos_generated"] == 0
    for name in ("fvd", "clipsim", "frame_consistency"):
        assert scored.metrics[name] == decoded.metrics[name]
    # Against the frames before encoding, measured November 2026 with these flags (random weights, 32x32,
    # 9 frames, 4 videos): FVD 4370.9 before encoding vs 4040.0 decoded (7.6 %), CLIPSIM -0.3276 vs -0.3352.
    # H.264 at 32x32 smooths random-weight noise a lot; the bounds leave room for another encoder build.
    assert scored.metrics["clipsim"] == pytest.approx(first.metrics["clipsim"], abs=0.02)
    assert scored.metrics["fvd"] == pytest.approx(first.metrics["fvd"], rel=0.15)
    assert json.loads((tmp_path / "b" / "config.json").read_text())["generator"]["kind"] == "videos"
    both = run_argv(
        compare,
        ["--runs", first.mlflow_run_id, scored.mlflow_run_id, "--tracking-uri", uri, "--out", str(tmp_path / "c")],
    )
    assert both.table["method"].tolist()[1].startswith("videos")


def test_a_videos_folder_is_decoded_to_the_requested_frames_and_size(tmp_path):

    write_mp4(tmp_path / "clip-a.mp4", moving_square(0, num_frames=20, height=48, width=64)[0])
    write_mp4(tmp_path / "clip-b.mp4", moving_square(1, num_frames=12, height=32, width=32)[0])
    generator = VideoFolderGenerator(tmp_path, ["clip-b", "clip-a"])
    videos = generator.generate(["ignored", "ignored"], [0, 0], SETTINGS, ["clip-a", "clip-b"])
    assert videos.shape == (2, 9, 32, 32, 3) and videos.dtype == np.uint8
    assert np.array_equal(videos[0], fit_real_clip(read_video(tmp_path / "clip-a.mp4", 9), 32, 32))
    assert np.array_equal(videos[1], read_video(tmp_path / "clip-b.mp4", 9))  # already 32x32: untouched
    assert set(generator.identity()["videos_sha256"]) == {"clip-a", "clip-b"}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("name,file\nx,x.mp4\n", "needs columns id and path"),
        ("id,path\nx,x.mp4\nx,y.mp4\n", "ids listed more than once: ['x']"),
        ("id,path\nx,gone.mp4\n", "no video for 1 of the 1 evaluated clips (x)"),
    ],
)
def test_a_bad_videos_csv_is_refused_naming_the_problem(tmp_path, rows, message):

    (tmp_path / "videos.csv").write_text(rows)
    with pytest.raises(UsageError) as refused:
        VideoFolderGenerator(tmp_path / "videos.csv", ["x"])
    assert message in str(refused.value) and "--generated-videos" in str(refused.value)


def test_every_unusable_generated_video_is_listed_before_any_scoring(tmp_path):
    write_mp4(tmp_path / "good.mp4", moving_square(0, num_frames=12, height=32, width=32)[0])
    write_mp4(tmp_path / "short.mp4", moving_square(1, num_frames=4, height=32, width=32)[0])
    (tmp_path / "garbage.mp4").write_bytes(b"not a video at all")
    with pytest.raises(UsageError) as refused:
        VideoFolderGenerator(tmp_path, ["good", "short", "garbage"], num_frames=9)
    message = str(refused.value)
    assert "2 of the 3 videos are unusable" in message
    assert "garbage.mp4: cannot be opened" in message and "short.mp4: has 4 frames, fewer than the 9" in message
    assert "good.mp4" not in message
