"""Tiny training on CPU: the loss falls, only adapters move, and resuming changes nothing."""

from __future__ import annotations

import copy
import json
import os
import stat

import pytest
import torch

from benchmarks.datasets import write_webvid_set
from simda.data import ClipSampler, read_webvid_csv
from simda.model.checkpoint import NonFiniteAdaptersError, SimDAAdapters, load_adapter_checkpoint, save_adapters
from simda.model.config import SimDAConfig
from simda.model.video_unet import SimDAUNet
from simda.pipeline import SimDAPipeline
from simda.plumbing.errors import BadInputFile
from simda.training import ResumeMismatchError, Trainer, TrainingDivergedError, TrainSettings, step_generator

SAMPLER = ClipSampler(num_frames=4, height=32, width=32, stride=1)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("webvid")
    return read_webvid_csv(*write_webvid_set(root, 3, num_frames=10, size=64))


def make_trainer(tiny_base, videos, out_dir, **overrides) -> Trainer:
    model = SimDAUNet(copy.deepcopy(tiny_base.unet))
    pipeline = SimDAPipeline.from_base(tiny_base, model)
    settings = TrainSettings(**{"max_steps": 4, "learning_rate": 1e-3, "checkpoint_every": 2, **overrides})
    return Trainer(pipeline, videos, SAMPLER, settings, out_dir)


def test_training_lowers_the_loss_on_a_fixed_batch_and_moves_only_adapters(tiny_base, videos, tmp_path):
    trainer = make_trainer(tiny_base, videos, tmp_path, max_steps=25, checkpoint_every=100)
    adapter_ids = {id(p) for p in trainer.model.adapter_parameters()}
    frozen = {n: p.detach().clone() for n, p in trainer.model.unet.named_parameters() if id(p) not in adapter_ids}
    trainer.step = 1000  # a batch no training step will see
    clips, captions = trainer.batch(step_generator(0, 0, 1000))
    trainer.step = 0

    def fixed_loss() -> float:
        with torch.no_grad():
            return float(trainer.loss(clips, captions, step_generator(7, 0, 0)))

    before = fixed_loss()
    trainer.run(progress=False)
    after = fixed_loss()
    assert after < before, f"loss did not fall: {before:.5f} -> {after:.5f}"
    for name, param in trainer.model.unet.named_parameters():
        if name in frozen:
            assert torch.equal(param, frozen[name]), f"frozen tensor {name} changed"


def test_resumed_run_continues_exactly_as_an_uninterrupted_one(tiny_base, videos, tmp_path):
    straight = make_trainer(tiny_base, videos, tmp_path / "straight")
    straight.run(progress=False)
    interrupted = make_trainer(tiny_base, videos, tmp_path / "resumed", max_steps=2)
    interrupted.run(progress=False)
    resumed = make_trainer(tiny_base, videos, tmp_path / "resumed")
    assert resumed.resume() == 2
    resumed.run(progress=False)
    assert resumed.step == straight.step == 4
    for (name, a), (_, b) in zip(
        straight.model.adapter_named_parameters(), resumed.model.adapter_named_parameters(), strict=True
    ):
        assert torch.equal(a, b), f"{name} differs after resuming"
    assert [p.name for p in resumed.checkpoints()] == ["step-0000002", "step-0000004"]


def test_unreadable_videos_are_skipped_and_counted(tiny_base, videos, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    bad = type(videos[0])("broken", broken, "nothing")
    trainer = make_trainer(tiny_base, [bad, *videos], tmp_path / "run", max_steps=3)
    trainer.run(progress=False)
    assert trainer.skipped == {"broken"}


def test_final_adapters_are_a_diffusers_model_folder(tiny_base, videos, tmp_path):
    trainer = make_trainer(tiny_base, videos, tmp_path / "run", max_steps=2)
    final = trainer.run(progress=False)
    assert json.loads((final / "training_info.json").read_text())["step"] == 2
    adapters = SimDAAdapters.from_pretrained(final)
    for name, tensor in trainer.model.adapter_state_dict().items():
        assert torch.equal(adapters.state_dict()[name], tensor), name


def test_resume_refuses_checkpoints_made_with_other_settings(tiny_base, videos, tmp_path):
    make_trainer(tiny_base, videos, tmp_path, max_steps=2).run(progress=False)
    recorded = (tmp_path / "training_settings.json").read_text()
    with pytest.raises(ResumeMismatchError, match=r"train.learning_rate: 0.001 then, 0.002 now.*--out a new folder"):
        make_trainer(tiny_base, videos, tmp_path, learning_rate=2e-3).resume()
    other_parts = Trainer(
        SimDAPipeline.from_base(tiny_base, SimDAUNet(copy.deepcopy(tiny_base.unet), SimDAConfig().without("lsa"))),
        videos,
        ClipSampler(num_frames=4, height=48, width=48),
        TrainSettings(max_steps=4, learning_rate=1e-3, checkpoint_every=2),
        tmp_path,
    )
    with pytest.raises(ResumeMismatchError) as refused:
        other_parts.resume()  # refused before the adapters load, which would fail on the missing LSA
    assert "clip.height: 32 then, 48 now" in str(refused.value) and "simda." in str(refused.value)
    assert (tmp_path / "training_settings.json").read_text() == recorded
    assert make_trainer(tiny_base, videos, tmp_path, max_steps=3, checkpoint_every=1).resume() == 2


@pytest.mark.slow  # a few tiny training steps: about a minute on 2 shared cores
def test_a_diverging_run_stops_at_its_step_and_no_checkpoint_holds_nan(tiny_base, videos, tmp_path):
    trainer = make_trainer(tiny_base, videos, tmp_path, learning_rate=1e30, max_steps=6, checkpoint_every=1)
    with pytest.raises(TrainingDivergedError, match=r"diverged at step (\d+): .*lower --learning-rate") as stopped:
        trainer.run(progress=False)
    step = trainer.step
    assert f"at step {step}:" in str(stopped.value) and step < 6
    assert not (tmp_path / "simda-adapters").exists()
    for kept in trainer.checkpoints():  # whatever was written before the divergence is finite and loads
        assert int(kept.name.split("-")[1]) < step
        load_adapter_checkpoint(kept / "adapters")


def test_a_checkpoint_holding_nan_is_never_written_nor_loaded(tiny_base, tmp_path):
    model = SimDAUNet(copy.deepcopy(tiny_base.unet))
    save_adapters(model, tmp_path / "good")
    with torch.no_grad():
        next(iter(model.adapter_parameters())).fill_(float("nan"))
    with pytest.raises(NonFiniteAdaptersError, match=r"refusing to write .*bad: 1 of \d+ adapter tensors hold NaN"):
        save_adapters(model, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    adapters = load_adapter_checkpoint(tmp_path / "good")
    with torch.no_grad():
        next(iter(adapters.parameters())).fill_(float("inf"))
    adapters.save_pretrained(tmp_path / "written-elsewhere", safe_serialization=True)
    with pytest.raises(BadInputFile, match=r"written-elsewhere/diffusion_pytorch_model.safetensors: 1 of .*diverged"):
        load_adapter_checkpoint(tmp_path / "written-elsewhere")


def test_a_corrupt_adapter_config_is_refused_naming_the_file(tiny_base, tmp_path):
    folder = save_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet)), tmp_path / "adapters")
    (folder / "config.json").write_bytes(b"\x00\xffnot json")
    with pytest.raises(BadInputFile, match=r"adapters/config.json line 1: bytes that are not UTF-8"):
        load_adapter_checkpoint(folder)
    (folder / "config.json").write_text("{truncated")
    with pytest.raises(BadInputFile, match=r"adapters/config.json: not JSON .*save it again"):
        load_adapter_checkpoint(folder)


def test_saved_adapters_follow_the_umask(tiny_base, tmp_path):
    previous = os.umask(0o022)
    try:
        folder = save_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet)), tmp_path / "adapters")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert {stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()} == {0o644}


@pytest.mark.slow  # two tiny trainings through the command: about 40 s on two shared cores
def test_two_identical_tiny_runs_log_identical_params_naming_one_cached_set(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    from simda import train
    from simda.settings import TINY

    monkeypatch.chdir(tmp_path)  # MLflow's artifacts go under ./mlruns
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    argv = ["--preset", "tiny", "--max-train-steps", "1", "--frames", "4", "--tracking-uri", uri]
    for folder in ("first", "second"):
        assert train.main([*argv, "--output-dir", str(tmp_path / "runs" / folder)]) == 0
    client = MlflowClient(uri)
    runs = client.search_runs([client.get_experiment_by_name("simda-train").experiment_id])
    first, second = (run.data.params for run in runs)
    assert len(runs) == 2 and first == second
    assert os.path.isfile(first["data.csv"]) and first["data.clips"] == str(TINY.synthetic_videos)
    assert [path.name for path in (tmp_path / "cache" / "synthetic-data").iterdir()] == [
        os.path.basename(os.path.dirname(first["data.csv"]))
    ], "one set, written once, read by both runs"
