"""The single-file checkpoint writer that simda.model.checkpoint used before adapter folders (format
``simda-adapters/1``): kept here as the reference for the format that must still load."""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import save_file

from simda.model.video_unet import SimDAUNet


def save_legacy_adapters(model: SimDAUNet, path: Path) -> Path:
    """``path`` (.safetensors) holds the adapter tensors, ``path.json`` the config beside them."""
    tensors = {name: t.detach().to("cpu").contiguous() for name, t in model.adapter_state_dict().items()}
    meta = {
        "format": "simda-adapters/1",
        "simda_config": model.config.to_dict(),
        "base_unet_config": {k: v for k, v in dict(model.unet.config).items() if not k.startswith("_")},
        "adapter_parameters": sum(t.numel() for t in tensors.values()),
        "step": 7,
    }
    save_file(tensors, path, metadata={"format": "simda-adapters/1"})
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2, default=str))
    return path
