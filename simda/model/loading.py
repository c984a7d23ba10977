"""One way in for every command: pick the device and precision, build or load the base, attach
the SimDA adapters (zero-initialised, or from a checkpoint)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from simda.model.base import BaseModel, build_tiny, load_stable_diffusion
from simda.model.checkpoint import load_adapter_checkpoint
from simda.model.config import SimDAConfig
from simda.model.video_unet import SimDAUNet
from simda.plumbing.distributed import resolve_device
from simda.pretrained import local_folder
from simda.settings import ModelSettings, UpscalerModelSettings
from simda.sr.pipeline import upscaler_model
from simda.sr.upscaler import build_tiny_upscaler, load_upscaler

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    """``auto`` is fp16 on a GPU (the paper's setting) and fp32 on the CPU, where fp16 is slow."""
    if name == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    return DTYPES[name]


@dataclass
class LoadedModel:
    base: BaseModel
    model: SimDAUNet
    checkpoint: str | None

    @property
    def random_weights(self) -> bool:
        """True when any number made with this model proves the machinery rather than the model."""
        return self.base.random_weights or self.checkpoint is None


def load_model(
    model: ModelSettings | UpscalerModelSettings,
    config: SimDAConfig | None = None,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> LoadedModel:
    """Build the base (tiny preset or local folder) and the SimDA model on it; for :class:`UpscalerModelSettings`
    the super-resolution stage's x4 upscaler (:func:`~simda.sr.pipeline.upscaler_model`, which refuses a
    text-to-video ``--sr-ckpt``).

    ``device`` overrides ``model.device`` (a torchrun rank's own GPU). A checkpoint's own config
    replaces ``config``: it says which parts its adapters belong to.
    """
    model.require_files()  # the flags and files; a --base without its subfolders is refused before weights load
    torch_device = torch.device(device) if device is not None else resolve_device(model.device)
    torch_dtype = resolve_dtype(model.dtype, torch_device)
    if isinstance(model, UpscalerModelSettings):
        if model.tiny:
            base = build_tiny_upscaler(seed=seed, device=torch_device, dtype=torch_dtype)
        else:
            base = load_upscaler(model.sr_base, torch_device, torch_dtype)
        checkpoint = model.sr_ckpt
        unet = upscaler_model(base, checkpoint, config, seed)
    else:
        if model.tiny:
            base = build_tiny(seed=seed, device=torch_device, dtype=torch_dtype)
        else:
            base = load_stable_diffusion(local_folder(model.base, "--base"), torch_device, torch_dtype, "--base")
        checkpoint = model.ckpt
        if checkpoint is None:
            unet = SimDAUNet(base.unet, config or SimDAConfig(), seed=seed).eval()
        else:
            unet = load_adapter_checkpoint(checkpoint, "--ckpt").attach(base.unet)
    return LoadedModel(base, unet, None if checkpoint is None else str(Path(checkpoint).resolve()))
