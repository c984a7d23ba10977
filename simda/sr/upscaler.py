"""The frozen image upscaler the super-resolution stage stands on (paper, section 3.4).

Stable Diffusion's latent x4 upscaler (``stabilityai/stable-diffusion-x4-upscaler``) denoises 4
latent channels concatenated with the 3 RGB channels of the low-resolution image, at the
low-resolution image's size: its VAE downsamples by 4, so 256x256 frames give 256x256 latents that
decode to 1024x1024. The low-resolution input is noise-augmented by a second scheduler
(``low_res_scheduler``) and the UNet is told how much noise through its class embedding
(``class_labels``), so at inference a little noise on the first stage's output hides its artefacts.

Loaded, or built tiny or on the meta device, as ``simda.model.base`` does for Stable Diffusion 1.5.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from diffusers import DDIMScheduler, DDPMScheduler

from simda.model import base
from simda.model.base import BaseModel, local_base, random_base
from simda.pretrained import require_subfolders
from simda.settings import MAX_SR_NOISE_LEVEL

UPSCALER_SUBFOLDERS = ("unet", "vae", "text_encoder", "tokenizer", "scheduler", "low_res_scheduler")
SCHEDULER_CLASSES = {"DDIMScheduler": DDIMScheduler, "DDPMScheduler": DDPMScheduler}
LOW_RES_CHANNELS = 3

# stabilityai/stable-diffusion-x4-upscaler: the published configs (facts about the architecture), where they
# differ from Stable Diffusion 1.5's.
# ``only_cross_attention`` is per down block: in the three blocks marked True, ``attn1`` attends to
# the text (there is no self-attention); the up blocks take the list reversed, the mid block has
# self-attention.
X4_UNET: dict[str, Any] = {
    "sample_size": 128,
    "in_channels": 7,
    "out_channels": 4,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "only_cross_attention": [True, True, True, False],
    "block_out_channels": [256, 512, 512, 1024],
    "layers_per_block": 2,
    "cross_attention_dim": 1024,
    "attention_head_dim": 8,
    "norm_num_groups": 32,
    "num_class_embeds": 1000,
    "use_linear_projection": True,
}
X4_VAE: dict[str, Any] = {
    **base.SD15_VAE,
    "down_block_types": ["DownEncoderBlock2D"] * 3,
    "up_block_types": ["UpDecoderBlock2D"] * 3,
    "block_out_channels": [128, 256, 512],
    "norm_num_groups": 32,
    "sample_size": 256,
    "scaling_factor": 0.08333,
}
X4_TEXT: dict[str, Any] = {  # OpenCLIP ViT-H/14's text tower as Stable Diffusion 2 uses it (penultimate layer)
    **base.SD15_TEXT,
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 23,
    "num_attention_heads": 16,
    "hidden_act": "gelu",
    "projection_dim": 512,
}
X4_SCHEDULER: dict[str, Any] = {
    **base.SD_SCHEDULER,
    "beta_start": 0.0001,
    "beta_end": 0.02,
    "prediction_type": "v_prediction",
}
X4_LOW_RES_SCHEDULER: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.0001,
    "beta_end": 0.02,
    "beta_schedule": "scaled_linear",
    "clip_sample": True,
    "prediction_type": "epsilon",
    "variance_type": "fixed_small",
}

# The same structure at toy size: one only-cross-attention block and one self-attention block on
# each side, so tests see both kinds of transformer the real upscaler has.
TINY_UPSCALER_UNET: dict[str, Any] = {
    **X4_UNET,
    "sample_size": 16,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "only_cross_attention": [True, True, False],
    "block_out_channels": [16, 32, 32],
    "layers_per_block": 1,
    "cross_attention_dim": 32,
    "norm_num_groups": 8,
}
TINY_UPSCALER_VAE: dict[str, Any] = {**base.TINY_VAE, "scaling_factor": X4_VAE["scaling_factor"]}
TINY_UPSCALER_TEXT: dict[str, Any] = {**X4_TEXT, **base.TINY_TEXT_SIZE}


@dataclass
class UpscalerBase(BaseModel):
    """The frozen x4 upscaler: Stable Diffusion's components, ``scheduler`` the latents' (DDIM with v-prediction in
    the released model), plus ``low_res_scheduler``, which only noises the low-resolution input (up to
    ``max_noise_level``)."""

    low_res_scheduler: DDPMScheduler | None = None
    max_noise_level: int = MAX_SR_NOISE_LEVEL

    def __post_init__(self) -> None:
        if self.low_res_scheduler is None:
            raise ValueError("an upscaler needs its low_res_scheduler (the noise augmentation of the low-res input)")
        check_upscaler_unet(dict(self.unet.config), self.source)

    @staticmethod
    def random_schedulers() -> dict[str, Any]:
        return {"scheduler": DDIMScheduler(**X4_SCHEDULER), "low_res_scheduler": DDPMScheduler(**X4_LOW_RES_SCHEDULER)}


def check_upscaler_unet(config: dict[str, Any], source: str) -> None:
    """Refuse a UNet that is not an upscaler's: conditioning channels and a noise-level embedding."""
    problems = []
    if config.get("in_channels") != config.get("out_channels", 0) + LOW_RES_CHANNELS:
        problems.append(
            f"in_channels {config.get('in_channels')} is not out_channels {config.get('out_channels')} "
            f"+ {LOW_RES_CHANNELS} low-resolution RGB channels"
        )
    if not config.get("num_class_embeds"):
        problems.append("no num_class_embeds (the noise-level embedding)")
    if problems:
        raise ValueError(
            f"{source}: the UNet is not a latent upscaler's ({'; '.join(problems)}). "
            "Pass --sr-base a local copy of stable-diffusion-x4-upscaler (or a fine-tune of it)."
        )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is unreadable ({error}); restore it from the upscaler's release") from error


def load_upscaler(
    path: str | Path, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32
) -> UpscalerBase:
    """Load a local x4-upscaler folder in diffusers layout, never touching the network.

    Every check that needs no weights (subfolders, the UNet's config, the scheduler's class)
    runs before the first weight is read.
    """
    root = Path(path)
    require_subfolders(
        root,
        "--sr-base",
        UPSCALER_SUBFOLDERS,
        "a latent x4 upscaler folder",
        "pass --sr-base a local copy of stable-diffusion-x4-upscaler holding "
        f"{', '.join(name + '/' for name in UPSCALER_SUBFOLDERS)}",
    )
    unet_config = root / "unet" / "config.json"
    if not unet_config.is_file():
        raise FileNotFoundError(f"{unet_config} not found; the upscaler folder is incomplete")
    check_upscaler_unet(_read_json(unet_config), str(unet_config))
    name = _read_json(root / "scheduler" / "scheduler_config.json").get("_class_name", "DDIMScheduler")
    if name not in SCHEDULER_CLASSES:
        raise ValueError(
            f"{root / 'scheduler'} holds a {name}; the super-resolution stage samples with "
            f"{' or '.join(SCHEDULER_CLASSES)} (edit _class_name in scheduler_config.json)"
        )
    scheduler = SCHEDULER_CLASSES[name].from_pretrained(root, subfolder="scheduler", local_files_only=True)
    index = root / "model_index.json"
    max_noise_level = int((_read_json(index) if index.is_file() else {}).get("max_noise_level", MAX_SR_NOISE_LEVEL))
    low_res_scheduler = DDPMScheduler.from_pretrained(root, subfolder="low_res_scheduler", local_files_only=True)
    extra = {"low_res_scheduler": low_res_scheduler, "max_noise_level": max_noise_level}
    return local_base(UpscalerBase, root, device, dtype, scheduler=scheduler, **extra)


def build_tiny_upscaler(
    seed: int = 0, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32
) -> UpscalerBase:
    """The upscaler's classes at toy size with random weights: proves the machinery, not the model."""
    configs = (TINY_UPSCALER_UNET, TINY_UPSCALER_VAE, TINY_UPSCALER_TEXT)
    return random_base(UpscalerBase, configs, "tiny upscaler (random weights)", device, seed, dtype)


def build_x4_upscaler(
    device: str | torch.device = "meta", seed: int = 0, dtype: torch.dtype = torch.float32
) -> UpscalerBase:
    """The released x4 upscaler's shapes with random weights (no weights at all on the meta device)."""
    configs = (X4_UNET, X4_VAE, X4_TEXT)
    return random_base(UpscalerBase, configs, "x4 upscaler architecture (random weights)", device, seed, dtype)
