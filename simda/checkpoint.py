"""Adapter checkpoints: the adapters alone, as safetensors, with a JSON config beside them.

A checkpoint is a few tens of MB and loads onto any base model of the same architecture; the
config says which parts are on, which kind of base the adapters belong to (the text-to-video
model or the x4 upscaler of the super-resolution stage) and which base they were trained on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from simda.atomic import atomic_path
from simda.config import SimDAConfig
from simda.video_unet import SimDAUNet

FORMAT = "simda-adapters/1"


def config_path(checkpoint: str | Path) -> Path:
    """Where the JSON config of ``checkpoint`` lives: same stem, ``.json``."""
    return Path(checkpoint).with_suffix(".json")


def save_adapters(model: SimDAUNet, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
    """Save the adapters to ``path`` (``.safetensors``) and their config to ``path.json``."""
    path = Path(path)
    tensors = {name: t.detach().to("cpu").contiguous() for name, t in model.adapter_state_dict().items()}
    meta = {
        "format": FORMAT,
        "base_kind": model.base_kind,
        "simda_config": model.config.to_dict(),
        "base_unet_config": {k: v for k, v in dict(model.unet.config).items() if not k.startswith("_")},
        "adapter_parameters": sum(t.numel() for t in tensors.values()),
        **(extra or {}),
    }
    with atomic_path(path) as tmp:
        save_file(tensors, tmp, metadata={"format": FORMAT})
    with atomic_path(config_path(path)) as tmp:
        Path(tmp).write_text(json.dumps(meta, indent=2, default=str))
    return path


def read_checkpoint_config(path: str | Path) -> dict[str, Any]:
    """The JSON beside a checkpoint, with a clear error if it is missing or not ours."""
    meta_file = config_path(path)
    if not meta_file.is_file():
        raise FileNotFoundError(
            f"{meta_file} not found: a SimDA checkpoint is a .safetensors file with its .json config beside "
            "it; pass --ckpt the .safetensors written by simda.train or save_adapters"
        )
    meta = json.loads(meta_file.read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{meta_file} is not a SimDA adapter config (format {meta.get('format')!r}, want {FORMAT!r})")
    return meta


def require_base_kind(path: str | Path, kind: str) -> None:
    """Refuse adapters trained for the other stage (text-to-video vs x4 upscaler), naming the right flag.

    Checkpoints written before the upscaler existed carry no kind; they are text-to-video.
    """
    saved_kind = read_checkpoint_config(path).get("base_kind", "text-to-video")
    if saved_kind != kind:
        flag = {"text-to-video": "--ckpt", "x4-upscaler": "--sr-ckpt"}
        raise ValueError(
            f"{path} holds adapters for a {saved_kind} base, but this model is a {kind} base; "
            f"pass it as {flag.get(saved_kind, '--ckpt')}, and give {flag.get(kind, '--ckpt')} "
            f"adapters trained on a {kind} base"
        )


def checkpoint_simda_config(path: str | Path) -> SimDAConfig:
    return SimDAConfig.from_dict(read_checkpoint_config(path)["simda_config"])


def load_adapters(model: SimDAUNet, path: str | Path) -> dict[str, Any]:
    """Load adapter weights into ``model`` exactly; refuse a file that does not fit it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"adapter checkpoint {path} not found; pass --ckpt an existing .safetensors file")
    meta = read_checkpoint_config(path)
    require_base_kind(path, model.base_kind)
    saved_config = SimDAConfig.from_dict(meta["simda_config"])
    if saved_config != model.config:
        raise ValueError(
            f"{path} was trained with {saved_config}, but the model was built with {model.config}; "
            "build the model from the checkpoint's config (checkpoint_simda_config)"
        )
    try:
        tensors = load_file(path)
    except (SafetensorError, OSError) as error:
        raise ValueError(
            f"{path} is not a readable safetensors file ({error}); re-save it with save_adapters"
        ) from error
    params = dict(model.adapter_named_parameters())
    missing, unexpected = sorted(set(params) - set(tensors)), sorted(set(tensors) - set(params))
    wrong_shape = [
        f"{name}: file {tuple(tensors[name].shape)} vs model {tuple(params[name].shape)}"
        for name in sorted(set(params) & set(tensors))
        if tensors[name].shape != params[name].shape
    ]
    if missing or unexpected or wrong_shape:
        raise ValueError(
            f"{path} does not fit this base model: missing {missing[:5]} ({len(missing)} in all), "
            f"unexpected {unexpected[:5]} ({len(unexpected)} in all), shape mismatches {wrong_shape[:5]}. "
            "Load it onto the base architecture it was trained on (see base_unet_config in its .json)."
        )
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(tensors[name].to(param.dtype))
    return meta
