"""The invariants that SimDA's zero-initialised adapters promise (DESIGN.md, "Model rules")."""

from __future__ import annotations

import copy

import pytest
import torch
from diffusers import UNet2DConditionModel

from simda.model.config import SimDAConfig
from simda.model.video_unet import SimDAUNet
from tests.simda.conftest import random_clip, random_context


def per_frame_2d(unet: UNet2DConditionModel, clip: torch.Tensor, t: int, context: torch.Tensor) -> torch.Tensor:
    """The image model applied to each frame on its own: the reference SimDA starts from."""
    frames = [unet(clip[:, :, i], t, context).sample for i in range(clip.shape[2])]
    return torch.stack(frames, dim=2)


def perturb_adapters(model: SimDAUNet, seed: int = 0) -> None:
    """Give every adapter tensor (the zero-initialised ones too) a random value."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.adapter_parameters():
            param.copy_(torch.randn(param.shape, generator=generator) * 0.05)


@torch.no_grad()
def test_zero_adapters_without_lsa_and_per_frame_norm_equal_the_image_model(tiny_unet):
    reference = copy.deepcopy(tiny_unet)
    model = SimDAUNet(tiny_unet, SimDAConfig(latent_shift=False, clip_groupnorm=False)).eval()
    clip, context = random_clip(batch=2), random_context(batch=2)
    expected = per_frame_2d(reference, clip, 500, context)
    torch.testing.assert_close(model(clip, 500, context), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("clip_groupnorm", [True, False])
@pytest.mark.parametrize("form", ["paper", "code"])
@torch.no_grad()
def test_static_video_with_lsa_equals_the_image_model(tiny_unet, clip_groupnorm, form):
    reference = copy.deepcopy(tiny_unet)
    model = SimDAUNet(tiny_unet, SimDAConfig(clip_groupnorm=clip_groupnorm, lsa_form=form)).eval()
    frame = random_clip(frames=1)
    clip, context = frame.expand(-1, -1, 5, -1, -1).contiguous(), random_context()
    expected = per_frame_2d(reference, clip, 300, context)
    torch.testing.assert_close(model(clip, 300, context), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("form", ["paper", "code"])
@torch.no_grad()
def test_lsa_is_causal_and_uses_earlier_frames(tiny_unet, form):
    model = SimDAUNet(tiny_unet, SimDAConfig(clip_groupnorm=False, lsa_form=form)).eval()
    clip, context = random_clip(frames=6), random_context()
    base_out = model(clip, 200, context)
    changed = clip.clone()
    changed[:, :, 3] += torch.randn_like(changed[:, :, 3])
    out = model(changed, 200, context)
    diff = (out - base_out).abs().amax(dim=(0, 1, 3, 4))
    assert torch.all(diff[:3] == 0), f"earlier frames moved with a later one: {diff.tolist()}"
    assert torch.all(diff[3:] > 1e-4), f"frames 3.. should see frame 3: {diff.tolist()}"


@torch.no_grad()
def test_lsa_off_keeps_frames_independent_at_initialisation(tiny_unet):
    model = SimDAUNet(tiny_unet, SimDAConfig(latent_shift=False, clip_groupnorm=False)).eval()
    clip, context = random_clip(frames=4), random_context()
    changed = clip.clone()
    changed[:, :, 1] += 1.0
    diff = (model(changed, 100, context) - model(clip, 100, context)).abs().amax(dim=(0, 1, 3, 4))
    assert diff[0] == 0 and diff[2] == 0 and diff[3] == 0 and diff[1] > 0


@torch.no_grad()
def test_trained_temporal_adapter_looks_one_frame_ahead_by_design(tiny_unet):
    model = SimDAUNet(tiny_unet, SimDAConfig(latent_shift=False, clip_groupnorm=False)).eval()
    perturb_adapters(model)
    clip, context = random_clip(frames=5), random_context()
    changed = clip.clone()
    changed[:, :, 3] += torch.randn_like(changed[:, :, 3])
    diff = (model(changed, 100, context) - model(clip, 100, context)).abs().amax(dim=(0, 1, 3, 4))
    assert diff[2] > 0 and diff[0] > 0  # the (3,1,1) kernel spreads information both ways through depth


@torch.no_grad()
def test_clip_groupnorm_mixes_frame_statistics(tiny_unet):
    model = SimDAUNet(tiny_unet, SimDAConfig(latent_shift=False, clip_groupnorm=True)).eval()
    clip, context = random_clip(frames=4), random_context()
    changed = clip.clone()
    changed[:, :, 3] *= 3.0
    diff = (model(changed, 100, context) - model(clip, 100, context)).abs().amax(dim=(0, 1, 3, 4))
    assert diff[0] > 0, "statistics over the whole clip make frame 0 depend on frame 3"


def test_batch_of_clips_equals_clips_one_at_a_time(tiny_unet):
    model = SimDAUNet(tiny_unet).eval()
    perturb_adapters(model)
    clip, context = random_clip(batch=2), random_context(batch=2)
    with torch.no_grad():
        together = model(clip, torch.tensor([10, 900]), context)
        alone = torch.cat(
            [model(clip[i : i + 1], torch.tensor([t]), context[i : i + 1]) for i, t in enumerate([10, 900])]
        )
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-5)


def test_rejects_frame_folded_input(tiny_unet):
    model = SimDAUNet(tiny_unet)
    with pytest.raises(ValueError, match=r"\(b, c, f, h, w\)"):
        model(torch.zeros(2, 4, 8, 8), 1, random_context(batch=2))
