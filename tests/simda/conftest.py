"""Tiny random-weight diffusers models shared by the model tests."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from diffusers import UNet2DConditionModel

from simda.model.base import TINY_UNET, BaseModel, build_tiny
from simda.sr.upscaler import UpscalerBase, build_tiny_upscaler


@pytest.fixture(scope="session")
def tiny_base() -> BaseModel:
    return build_tiny(seed=0)


@pytest.fixture(scope="session")
def tiny_sd_folder(tiny_base: BaseModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny base saved as a Stable Diffusion folder in diffusers layout, as users have one."""
    folder = tmp_path_factory.mktemp("tiny-sd")
    for name in ("unet", "vae", "text_encoder", "tokenizer", "scheduler"):
        getattr(tiny_base, name).save_pretrained(folder / name)
    return folder


@pytest.fixture()
def tiny_unet(tiny_base: BaseModel) -> UNet2DConditionModel:
    """A fresh copy of the tiny 2D UNet, so each test may adapt it."""
    return copy.deepcopy(tiny_base.unet)


def random_clip(batch: int = 1, frames: int = 6, height: int = 8, width: int = 12, seed: int = 0) -> torch.Tensor:
    """Non-square latents on purpose: the released code assumed square ones."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, TINY_UNET["in_channels"], frames, height, width, generator=generator)


def random_context(batch: int = 1, seed: int = 1) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 77, TINY_UNET["cross_attention_dim"], generator=generator)


@pytest.fixture(scope="session")
def tiny_upscaler() -> UpscalerBase:
    return build_tiny_upscaler(seed=0)


@pytest.fixture()
def tiny_upscaler_unet(tiny_upscaler: UpscalerBase) -> UNet2DConditionModel:
    """A fresh copy of the tiny upscaler's 2D UNet, so each test may adapt it."""
    return copy.deepcopy(tiny_upscaler.unet)
