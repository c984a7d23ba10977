"""One way in for every command: pick the device and precision, build or load the base, attach
the SimDA adapters (zero-initialised, or from a checkpoint)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import torch

from simda.base import BaseModel, build_tiny, load_stable_diffusion
from simda.checkpoint import load_adapter_checkpoint
from simda.config import SimDAConfig
from simda.video_unet import SimDAUNet

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


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


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags every command uses to say which model to run."""
    group = parser.add_argument_group("model")
    group.add_argument("--preset", choices=["tiny"], help="build a tiny random-weight model (no downloads)")
    group.add_argument("--base", type=Path, help="local Stable Diffusion folder in diffusers layout")
    group.add_argument(
        "--ckpt", type=Path, help="SimDA adapter folder (config.json + safetensors), or an older .safetensors + .json"
    )
    group.add_argument("--device", default="auto", help="cuda, cuda:1, cpu or auto")
    group.add_argument("--dtype", default="auto", choices=["auto", *DTYPES], help="precision of the frozen model")


def load_model(
    preset: str | None,
    base_path: Path | None,
    ckpt: Path | None,
    device: str = "auto",
    dtype: str = "auto",
    config: SimDAConfig | None = None,
    seed: int = 0,
) -> LoadedModel:
    """Build the base (tiny preset or local folder) and the SimDA model on it.

    Bad paths fail here, before any work starts, with the flag that fixes them.
    """
    if (preset is None) == (base_path is None):
        raise SystemExit("choose exactly one of --preset tiny or --base PATH (a local Stable Diffusion folder)")
    if ckpt is not None and not Path(ckpt).exists():
        raise SystemExit(f"checkpoint {ckpt} not found: pass --ckpt an adapter folder or an existing .safetensors file")
    if base_path is not None and not Path(base_path).is_dir():
        raise SystemExit(f"base model folder {base_path} not found: pass --base a local Stable Diffusion folder")
    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, torch_device)
    if preset == "tiny":
        base = build_tiny(seed=seed, device=torch_device, dtype=torch_dtype)
    else:
        base = load_stable_diffusion(base_path, torch_device, torch_dtype)
    if ckpt is None:
        model = SimDAUNet(base.unet, config or SimDAConfig(), seed=seed).eval()
    else:
        model = load_adapter_checkpoint(ckpt).attach(base.unet)
    return LoadedModel(base, model, None if ckpt is None else str(Path(ckpt).resolve()))
