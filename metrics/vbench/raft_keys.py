"""Key conversion from the public RAFT checkpoint (``raft-things.pth``, princeton-vl/RAFT) to torchvision's
``raft_large``: the same network under other module names.

The public file was saved from ``nn.DataParallel`` (every key starts with ``module.``). Its residual
blocks hold their downsampling norm twice (``norm3`` and ``downsample.1`` are one module), so the
``norm3`` copies are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch

#: (pattern, replacement) applied in order to each original key.
_RULES: tuple[tuple[str, str], ...] = (
    (r"^module\.", ""),
    (r"^fnet\.", "feature_encoder."),
    (r"^cnet\.", "context_encoder."),
    (r"^(\w+_encoder)\.conv1\.", r"\1.convnormrelu.0."),
    (r"^(\w+_encoder)\.norm1\.", r"\1.convnormrelu.1."),
    (r"^(\w+_encoder)\.conv2\.", r"\1.conv."),
    (r"(layer\d\.\d)\.conv(\d)\.", r"\1.convnormrelu\2.0."),
    (r"(layer\d\.\d)\.norm(\d)\.", r"\1.convnormrelu\2.1."),
    (r"^update_block\.encoder\.convc(\d)\.", r"update_block.motion_encoder.convcorr\1.0."),
    (r"^update_block\.encoder\.convf(\d)\.", r"update_block.motion_encoder.convflow\1.0."),
    (r"^update_block\.encoder\.conv\.", "update_block.motion_encoder.conv.0."),
    (r"^update_block\.gru\.conv([zrq])(\d)\.", r"update_block.recurrent_block.convgru\2.conv\1."),
    (r"^update_block\.mask\.0\.", "mask_predictor.convrelu.0."),
    (r"^update_block\.mask\.2\.", "mask_predictor.conv."),
)


def raft_to_torchvision(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The public RAFT state dict under torchvision's ``raft_large`` key names."""
    converted = {}
    for key, value in state.items():
        for pattern, replacement in _RULES:
            key = re.sub(pattern, replacement, key)
        if ".convnormrelu3." in key:  # the downsampling norm's second name
            continue
        converted[key] = value
    return converted
