"""Tiny SR training on CPU: the shared loop trains the upscaler's adapters only, and resumes exactly."""

from __future__ import annotations

import copy

import pytest
import torch

from benchmarks.datasets import write_webvid_set
from simda.data import ClipSampler, read_webvid_csv
from simda.model.video_unet import SimDAUNet
from simda.sr.pipeline import SimDAUpscalePipeline
from simda.sr.training import UpscalerTrainer
from simda.training import TrainSettings, step_generator

SAMPLER = ClipSampler(num_frames=3, height=32, width=32, stride=1)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("webvid-sr")
    return read_webvid_csv(*write_webvid_set(root, 3, num_frames=8, size=64))


def make_trainer(tiny_upscaler, videos, out_dir, **overrides) -> UpscalerTrainer:
    pipeline = SimDAUpscalePipeline.from_upscaler(SimDAUNet(copy.deepcopy(tiny_upscaler.unet)), tiny_upscaler)
    settings = TrainSettings(**{"max_steps": 4, "learning_rate": 1e-3, "checkpoint_every": 2, **overrides})
    return UpscalerTrainer(pipeline, videos, SAMPLER, settings, out_dir)


def test_sr_training_moves_every_adapter_and_nothing_else(tiny_upscaler, videos, tmp_path):
    trainer = make_trainer(tiny_upscaler, videos, tmp_path, max_steps=3, checkpoint_every=100)
    assert trainer.noise_scheduler.config.prediction_type == "v_prediction"
    adapters = {name: p.detach().clone() for name, p in trainer.model.adapter_named_parameters()}
    frozen = {n: p.detach().clone() for n, p in trainer.model.unet.named_parameters() if n not in adapters}
    trainer.run(progress=False)
    for name, param in trainer.model.unet.named_parameters():
        if name in frozen:
            assert torch.equal(param, frozen[name]), f"frozen tensor {name} changed"
        else:
            assert not torch.equal(param, adapters[name]), f"adapter {name} did not train"


def test_the_low_res_input_is_the_clip_downsampled_and_noised_to_the_class_label(tiny_upscaler, videos, tmp_path):
    trainer = make_trainer(tiny_upscaler, videos, tmp_path)
    clips, _ = trainer.batch(step_generator(0, 0, 0))
    noisy = torch.zeros(1, 4, 3, 8, 8)
    sample, conditioning = trainer.model_inputs(noisy, clips, step_generator(0, 0, 0))
    level = int(conditioning["class_labels"])
    assert sample.shape == (1, 7, 3, 8, 8) and 0 <= level <= 350
    clean = clips.float().permute(0, 4, 1, 2, 3).div(127.5).sub(1)
    box = clean.unflatten(3, (8, 4)).unflatten(5, (8, 4)).mean(dim=(4, 6))
    alpha = trainer.low_res_scheduler.alphas_cumprod[level]
    residual = (sample[:, 4:] - alpha.sqrt() * box) / (1 - alpha).sqrt()  # what is left is unit Gaussian noise
    assert abs(float(residual.std()) - 1) < 0.2 and abs(float(residual.mean())) < 0.2


def test_too_small_clips_are_refused(tiny_upscaler, videos, tmp_path):
    pipeline = SimDAUpscalePipeline.from_upscaler(SimDAUNet(copy.deepcopy(tiny_upscaler.unet)), tiny_upscaler)
    with pytest.raises(ValueError, match="multiples of 16"):
        UpscalerTrainer(pipeline, videos, ClipSampler(num_frames=3, height=40, width=32), TrainSettings(), tmp_path)


def test_resumed_sr_run_continues_exactly_as_an_uninterrupted_one(tiny_upscaler, videos, tmp_path):
    straight = make_trainer(tiny_upscaler, videos, tmp_path / "straight")
    straight.run(progress=False)
    make_trainer(tiny_upscaler, videos, tmp_path / "resumed", max_steps=2).run(progress=False)
    resumed = make_trainer(tiny_upscaler, videos, tmp_path / "resumed")
    assert resumed.resume() == 2
    resumed.run(progress=False)
    assert resumed.step == straight.step == 4
    for (name, a), (_, b) in zip(
        straight.model.adapter_named_parameters(), resumed.model.adapter_named_parameters(), strict=True
    ):
        assert torch.equal(a, b), f"{name} differs after resuming"
