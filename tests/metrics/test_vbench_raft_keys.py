"""The public RAFT checkpoint's keys convert onto torchvision's raft_large, every tensor placed once.

``raft_things_keys.txt`` lists the keys and shapes of ``RAFT(small=False).state_dict()`` of the RAFT
code vbench 0.1.5 vendors (``vbench/third_party/RAFT/core/raft.py``): the layout of ``raft-things.pth``,
which was saved from ``nn.DataParallel`` (hence ``module.``).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torchvision.models.optical_flow import raft_large

from metrics.vbench.dynamic_degree import raft_to_torchvision

KEYS = Path(__file__).with_name("raft_things_keys.txt")


def test_every_public_key_lands_on_torchvision_raft_large() -> None:
    generator = torch.Generator().manual_seed(0)
    state = {}
    for line in KEYS.read_text().splitlines():
        key, shape = line.split(" ", 1)
        dims = tuple(int(part) for part in shape.strip("()").split(",") if part.strip())
        state[f"module.{key}"] = torch.randn(dims, generator=generator) if dims else torch.tensor(3)
    model = raft_large(weights=None, progress=False)
    converted = raft_to_torchvision(state)
    model.load_state_dict(converted, strict=True)
    assert torch.equal(model.feature_encoder.convnormrelu[0].weight, state["module.fnet.conv1.weight"])
    assert torch.equal(model.mask_predictor.conv.bias, state["module.update_block.mask.2.bias"])
    norm = model.context_encoder.layer2[0].downsample[1].running_var
    assert torch.equal(norm, state["module.cnet.layer2.0.downsample.1.running_var"])
