"""The held-out denoising loss: fixed timesteps and noise make it a pure function of the model and clips."""

from __future__ import annotations

import copy

import pytest
import torch

from simda.data import ClipSampler, read_webvid_csv
from simda.heldout import heldout_loss
from simda.model.video_unet import SimDAUNet
from simda.pipeline import SimDAPipeline
from simda.synthetic import write_learning_set

SAMPLER = ClipSampler(num_frames=4, height=32, width=32)
TIMESTEPS = (50, 500, 950)


@pytest.fixture(scope="module")
def heldout_clips(tmp_path_factory):
    data = write_learning_set(tmp_path_factory.mktemp("learn"), num_train=2, num_heldout=3, num_frames=6)
    return read_webvid_csv(data.heldout_csv, data.videos)


def pipeline_on(tiny_base, seed: int = 0) -> SimDAPipeline:
    base = copy.deepcopy(tiny_base)
    return SimDAPipeline.from_base(base, SimDAUNet(base.unet, seed=seed))


def test_same_model_and_clips_give_identical_numbers(tiny_base, heldout_clips):
    first = heldout_loss(pipeline_on(tiny_base), heldout_clips, SAMPLER, TIMESTEPS)
    again = heldout_loss(pipeline_on(tiny_base), heldout_clips, SAMPLER, TIMESTEPS)
    assert first == again  # every per-clip, per-timestep float, to the last bit
    assert set(first.per_clip) == {video.video_id for video in heldout_clips}
    assert first.timesteps == TIMESTEPS and all(len(losses) == 3 for losses in first.per_clip.values())
    assert first.overall == pytest.approx(sum(first.per_timestep.values()) / 3)
    assert set(first.metrics()) == {"heldout_loss", "heldout_loss_t50", "heldout_loss_t500", "heldout_loss_t950"}


def test_a_different_model_gives_different_numbers(tiny_base, heldout_clips):
    reference = heldout_loss(pipeline_on(tiny_base), heldout_clips, SAMPLER, TIMESTEPS)
    changed = pipeline_on(tiny_base)
    with torch.no_grad():  # move the zero-initialised adapters off zero: the model now predicts differently
        for param in changed.unet.adapter_parameters():
            param.add_(0.05 * torch.randn(param.shape, generator=torch.Generator().manual_seed(param.numel())))
    other = heldout_loss(changed, heldout_clips, SAMPLER, TIMESTEPS)
    for video_id, losses in reference.per_clip.items():
        assert all(a != b for a, b in zip(losses, other.per_clip[video_id], strict=True))


def test_noise_levels_are_scored_apart(tiny_base, heldout_clips):
    """The same clip at another timestep is another problem: per-level losses differ."""
    loss = heldout_loss(pipeline_on(tiny_base), heldout_clips, SAMPLER, TIMESTEPS)
    assert len(set(loss.per_timestep.values())) == len(TIMESTEPS)


def test_the_model_is_left_in_the_mode_it_was_in(tiny_base, heldout_clips):
    pipeline = pipeline_on(tiny_base)
    pipeline.unet.train()
    heldout_loss(pipeline, heldout_clips[:1], SAMPLER, TIMESTEPS)
    assert pipeline.unet.training


@pytest.mark.parametrize(("clips", "timesteps"), [(0, TIMESTEPS), (1, ()), (1, (1000,)), (1, (-1,))])
def test_refuses_an_empty_clip_list_and_timesteps_off_the_schedule(tiny_base, heldout_clips, clips, timesteps):
    with pytest.raises(ValueError, match="held-out"):
        heldout_loss(pipeline_on(tiny_base), heldout_clips[:clips], SAMPLER, timesteps)
