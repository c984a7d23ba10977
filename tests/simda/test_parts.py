"""The SimDA parts on their own: the temporal convolution, the shift, the adapters' shapes."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from simda.model.adapters import DepthwiseTemporalConv, SpatialAdapter, TemporalAdapter
from simda.model.frames import FrameLayout, frame_layout
from simda.model.latent_shift import SHIFT_TABLE, latent_shift, shifted_keys_values, source_frames


@pytest.mark.parametrize("kernel", [1, 3, 5])
def test_shifted_multiply_adds_equal_a_depthwise_conv3d(kernel):
    torch.manual_seed(0)
    conv = DepthwiseTemporalConv(6, kernel)
    reference = nn.Conv3d(6, 6, (kernel, 1, 1), padding=(kernel // 2, 0, 0), groups=6)
    reference.load_state_dict({"weight": conv.weight.detach(), "bias": conv.bias.detach()})
    clip = torch.randn(2, 6, 7, 5, 3, requires_grad=True)  # (b, c, f, h, w)
    folded = clip.transpose(1, 2).reshape(14, 6, 5, 3)
    with frame_layout(FrameLayout(7)):
        ours = conv(folded).view(2, 7, 6, 5, 3).transpose(1, 2)
    expected = reference(clip)
    torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-6)
    grad = torch.randn_like(expected)
    ours_grads = torch.autograd.grad(ours, [clip, conv.weight, conv.bias], grad)
    ref_grads = torch.autograd.grad(expected, [clip, reference.weight, reference.bias], grad)
    for a, b in zip(ours_grads, ref_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    with torch.inference_mode(), frame_layout(FrameLayout(7)):  # the in-place form, taken when no grad is needed
        sampled = conv(folded.detach()).view(2, 7, 6, 5, 3).transpose(1, 2)
    torch.testing.assert_close(sampled, expected.detach(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("frames", [1, 2])
def test_depthwise_conv_forms_agree_on_clips_shorter_than_the_kernel(frames):
    torch.manual_seed(0)
    conv = DepthwiseTemporalConv(4, 5)
    folded = torch.randn(frames, 4, 3, 3)
    with frame_layout(FrameLayout(frames)):
        trained = conv(folded)
        with torch.no_grad():
            sampled = conv(folded)
    torch.testing.assert_close(sampled, trained.detach(), rtol=1e-6, atol=1e-6)


def test_shift_follows_the_table_and_keeps_tokens_that_would_reach_before_frame_zero():
    frames, height, width = 6, 5, 6
    source = source_frames(frames, height, width).view(frames, height, width)
    for t in range(frames):
        for h in range(height):
            for w in range(width):
                lookback = SHIFT_TABLE[h % 4][w % 4]
                assert source[t, h, w] == (t - lookback if t >= lookback else t)


def test_latent_shift_moves_tokens_from_the_source_frames():
    frames, height, width, channels = 5, 4, 8, 3
    # token value encodes (frame, position) so we can read where every shifted token came from
    values = torch.arange(frames * height * width, dtype=torch.float32).view(frames, height * width)
    tokens = values[..., None].expand(-1, -1, channels).repeat(2, 1, 1)  # two clips
    shifted = latent_shift(tokens, frames, height, width)
    expected = values.gather(0, source_frames(frames, height, width))
    assert torch.equal(shifted[:frames, :, 0], expected) and torch.equal(shifted[frames:, :, 0], expected)
    assert torch.equal(shifted[0], tokens[0]), "frame 0 has nothing earlier to borrow from"


@pytest.mark.parametrize("form", ["paper", "code"])
def test_keys_values_are_the_frame_or_its_predecessors_shift_then_the_shift(form):
    frames, height, width, channels = 5, 4, 6, 3
    tokens = torch.randn(2 * frames, height * width, channels)
    shifted = latent_shift(tokens, frames, height, width)
    keys_values = shifted_keys_values(tokens, form, frames, height, width)
    if form == "paper":
        first = tokens
    else:  # the shifted tokens of the frame before (frame 0: its own)
        first = torch.cat([shifted[[0, *range(frames - 1)]], shifted[[frames, *range(frames, 2 * frames - 1)]]])
    assert torch.equal(keys_values, torch.cat([first, shifted], dim=1))


def test_latent_shift_equals_a_token_by_token_copy_in_values_and_gradients():
    frames, height, width, channels = 6, 5, 7, 4  # a grid that is no multiple of the 4x4 table
    tokens = torch.randn(2 * frames, height * width, channels, requires_grad=True)
    expected = torch.empty_like(tokens)
    for clip in range(2):
        for t in range(frames):
            for h in range(height):
                for w in range(width):
                    lookback = SHIFT_TABLE[h % 4][w % 4]
                    source = t - lookback if t >= lookback else t
                    token = h * width + w
                    expected[clip * frames + t, token] = tokens[clip * frames + source, token]
    shifted = latent_shift(tokens, frames, height, width)
    torch.testing.assert_close(shifted, expected, rtol=0, atol=0)
    upstream = torch.randn_like(shifted)
    (ours,) = torch.autograd.grad(shifted, tokens, upstream)
    (reference,) = torch.autograd.grad(expected, tokens, upstream)
    torch.testing.assert_close(ours, reference, rtol=0, atol=1e-6)


def test_a_shift_index_first_built_while_sampling_still_serves_training():
    frames, height, width = 3, 9, 2  # a shape no other test uses, so the index is first built here
    tokens = torch.randn(frames, height * width, 5)
    with torch.inference_mode():
        sampled = latent_shift(tokens, frames, height, width)
    trained = tokens.clone().requires_grad_(True)
    shifted = latent_shift(trained, frames, height, width)
    shifted.sum().backward()  # would fail if the cached index were an inference tensor
    assert torch.equal(shifted.detach(), sampled)
    assert trained.grad is not None and trained.grad.sum() == trained.numel()


def test_latent_shift_rejects_a_grid_that_does_not_match():
    with pytest.raises(ValueError, match="do not form a 3x3 grid"):
        latent_shift(torch.zeros(4, 8, 2), 2, 3, 3)


def test_adapter_widths_and_zero_init():
    spatial, temporal = SpatialAdapter(64, 0.25), TemporalAdapter(64, 0.5)
    assert spatial.down.out_features == 16 and temporal.down.out_channels == 32
    assert spatial.up.weight.abs().sum() == 0 and temporal.up.weight.abs().sum() == 0
    x = torch.randn(3, 10, 64)
    assert torch.equal(spatial(x), x)
    assert torch.equal(SpatialAdapter(64, residual=False)(x), torch.zeros_like(x))


def test_temporal_adapter_down_and_depthwise_weights_are_kaiming_normal():
    torch.manual_seed(0)
    adapter = TemporalAdapter(512, 0.5)
    # Kaiming normal (fan-in, gain sqrt(2)): std sqrt(2 / 512) for the 1x1 down conv and sqrt(2 / 3) for the
    # (3, 1, 1) depth-wise kernel; PyTorch's default uniform init would give about 0.026 and 0.33.
    assert adapter.down.weight.std().item() == pytest.approx((2 / 512) ** 0.5, rel=0.02)
    assert adapter.temporal.weight.std().item() == pytest.approx((2 / 3) ** 0.5, rel=0.1)
    torch.manual_seed(0)
    assert torch.equal(TemporalAdapter(512, 0.5).down.weight, adapter.down.weight)  # seeded: reproducible


def test_modules_outside_a_simda_call_say_what_to_do():
    with pytest.raises(RuntimeError, match="call SimDAUNet"):
        DepthwiseTemporalConv(4)(torch.zeros(2, 4, 3, 3))
