"""What trains and what does not: adapters only, every one of them, with or without checkpointing."""

from __future__ import annotations

import pytest
import torch

from simda.model.base import build_sd15
from simda.model.config import SimDAConfig
from simda.model.params import parameter_report
from simda.model.video_unet import SimDAUNet
from tests.simda.conftest import random_clip, random_context


@pytest.mark.parametrize("checkpointing", [False, True])
def test_every_adapter_gets_a_gradient_and_the_base_stays_frozen(tiny_unet, checkpointing):
    model = SimDAUNet(tiny_unet).train()
    if checkpointing:
        model.enable_gradient_checkpointing()
    # One step so the zero-initialised up-projections stop blocking the gradient to the down-projections.
    adapters = dict(model.adapter_named_parameters())
    adapter_ids = {id(p) for p in adapters.values()}
    base_before = {name: p.detach().clone() for name, p in model.unet.named_parameters() if id(p) not in adapter_ids}
    optimizer = torch.optim.AdamW(model.adapter_parameters(), lr=1e-2)
    clip, context = random_clip(frames=4), random_context()
    for _ in range(2):
        optimizer.zero_grad()
        model(clip, 500, context).square().mean().backward()
        no_grad = [name for name, p in adapters.items() if p.grad is None or not p.grad.abs().sum() > 0]
        optimizer.step()
    assert not no_grad, f"adapter tensors without gradient: {no_grad}"
    assert all(not p.requires_grad for name, p in model.unet.named_parameters() if name in base_before)
    for name, p in model.unet.named_parameters():
        if name in base_before:
            assert torch.equal(p, base_before[name]), f"base tensor {name} changed"


def test_checkpointing_gives_the_same_gradients(tiny_unet):
    import copy

    plain = SimDAUNet(copy.deepcopy(tiny_unet))
    torch.manual_seed(0)
    with torch.no_grad():
        for p in plain.adapter_parameters():
            p.normal_(0, 0.05)
    checkpointed = copy.deepcopy(plain)
    checkpointed.enable_gradient_checkpointing()
    clip, context = random_clip(frames=4), random_context()
    for model in (plain, checkpointed):
        model(clip, 500, context).square().mean().backward()
    for (name, a), (_, b) in zip(
        plain.adapter_named_parameters(), checkpointed.adapter_named_parameters(), strict=True
    ):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-7, msg=name)


@pytest.mark.parametrize(
    ("off", "removed"),
    [("ta", "temporal_adapter"), ("aa", "attn1.adapter"), ("fa", "ff.adapter"), ("lsa", None)],
)
def test_switching_a_part_off_removes_its_parameters(tiny_base, off, removed):
    import copy

    full = SimDAUNet(copy.deepcopy(tiny_base.unet))
    variant = SimDAUNet(copy.deepcopy(tiny_base.unet), SimDAConfig().without(off))
    full_names = {name for name, _ in full.adapter_named_parameters()}
    variant_names = {name for name, _ in variant.adapter_named_parameters()}
    assert variant_names <= full_names
    if removed is None:  # LSA has no parameters of its own
        assert variant_names == full_names
    else:
        assert full_names - variant_names and all(removed in name for name in full_names - variant_names)
        assert not any(removed in name for name in variant_names)


def test_sd15_parameter_report_on_meta_device():
    base = build_sd15(device="meta")
    rows = {row.component: row for row in parameter_report(base, SimDAUNet(base.unet))}
    assert rows["adapters"].total == rows["adapters"].trainable == 24_855_680
    assert rows["unet"].trainable == rows["autoencoder"].trainable == rows["text_encoder"].trainable == 0
    assert rows["total"].trainable == 24_855_680
    assert 1.085e9 < rows["total"].total < 1.095e9
