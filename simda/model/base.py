"""The frozen Stable Diffusion parts SimDA stands on: read from a local folder in diffusers layout (nothing here
downloads), built tiny with random weights, or built at full size on the meta device, so parameter counts and
timings at Stable Diffusion 1.5's size need no download."""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch
from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
from open_clip.tokenizer import bytes_to_unicode, default_bpe
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from simda.pretrained import require_stable_diffusion

B = TypeVar("B", bound="BaseModel")

# Stable Diffusion 1.x: the published model configs (facts about the architecture).
SD15_UNET: dict[str, Any] = {
    "sample_size": 64,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "block_out_channels": [320, 640, 1280, 1280],
    "layers_per_block": 2,
    "cross_attention_dim": 768,
    "attention_head_dim": 8,
    "norm_num_groups": 32,
}
SD15_VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": [128, 256, 512, 512],
    "layers_per_block": 2,
    "latent_channels": 4,
    "sample_size": 512,
    "scaling_factor": 0.18215,
}
SD15_TEXT: dict[str, Any] = {
    "vocab_size": 49408,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "max_position_embeddings": 77,
    "hidden_act": "quick_gelu",
}
SD_SCHEDULER: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "clip_sample": False,
    "set_alpha_to_one": False,
    "steps_offset": 1,
}

# The same classes at toy size, for tests and the out-of-the-box run.
TINY_UNET: dict[str, Any] = {
    **SD15_UNET,
    "sample_size": 16,
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    "block_out_channels": [32, 64],
    "layers_per_block": 1,
    "cross_attention_dim": 32,
    "norm_num_groups": 8,
}
TINY_VAE: dict[str, Any] = {  # without SD's scaling_factor: it stays diffusers' default (recorded as one)
    **{key: value for key, value in SD15_VAE.items() if key != "scaling_factor"},
    "down_block_types": ["DownEncoderBlock2D"] * 3,
    "up_block_types": ["UpDecoderBlock2D"] * 3,
    "block_out_channels": [8, 16, 16],
    "layers_per_block": 1,
    "norm_num_groups": 8,
    "sample_size": 64,
}
#: The text encoder's toy size, for Stable Diffusion's and the upscaler's alike.
TINY_TEXT_SIZE: dict[str, int] = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
}
TINY_TEXT: dict[str, Any] = {**SD15_TEXT, **TINY_TEXT_SIZE}


@dataclass
class BaseModel:
    """The frozen image model's components, and where they came from."""

    unet: UNet2DConditionModel
    vae: AutoencoderKL
    text_encoder: CLIPTextModel
    tokenizer: CLIPTokenizer
    scheduler: DDIMScheduler
    source: str
    random_weights: bool

    @property
    def vae_scale_factor(self) -> int:
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    def identity(self) -> str:
        """A short fingerprint of the base architecture, recorded with checkpoints and runs."""
        return unet_identity(self.unet)

    @staticmethod
    def random_schedulers() -> dict[str, Any]:
        """The schedulers of this kind of base built with random weights (:func:`random_base`): Stable Diffusion's."""
        return {"scheduler": DDIMScheduler(**SD_SCHEDULER)}


def architecture(unet: UNet2DConditionModel) -> dict[str, Any]:
    """The base UNet's config as plain JSON values (tuples become lists), private keys dropped."""
    config = {key: value for key, value in dict(unet.config).items() if not key.startswith("_")}
    return json.loads(json.dumps(config, default=str))


def unet_identity(unet: UNet2DConditionModel) -> str:
    """A short fingerprint of a UNet's architecture (its config), the same for every copy of one base."""
    return hashlib.sha256(json.dumps(architecture(unet), sort_keys=True).encode()).hexdigest()[:16]


def local_base(cls: type[B], root: Path, device: str | torch.device, dtype: torch.dtype, **schedulers: Any) -> B:
    """``cls`` with the UNet, VAE, text encoder and tokenizer of a local diffusers folder, read without the network."""
    parts = {
        "unet": UNet2DConditionModel.from_pretrained(root, subfolder="unet", local_files_only=True, torch_dtype=dtype),
        "vae": AutoencoderKL.from_pretrained(root, subfolder="vae", local_files_only=True, torch_dtype=dtype),
        "text_encoder": CLIPTextModel.from_pretrained(
            root, subfolder="text_encoder", local_files_only=True, dtype=dtype
        ),
        "tokenizer": CLIPTokenizer.from_pretrained(root, subfolder="tokenizer", local_files_only=True),
    }
    return frozen_on(cls(**parts, source=str(root.resolve()), random_weights=False, **schedulers), device)


@functools.lru_cache(maxsize=2)
def build_clip_tokenizer(max_length: int = 77) -> CLIPTokenizer:
    """Stable Diffusion's CLIP tokenizer (OpenAI CLIP's byte-level BPE, padded with ``<|endoftext|>`` like SD 1.x)
    built offline: open_clip ships that BPE, written out as ``vocab.json`` and ``merges.txt`` it gives the same ids,
    so the tiny preset and tests need no download. Cached per process: the BPE tables take seconds to build."""
    start, end = "<|startoftext|>", "<|endoftext|>"
    merge_count = 49152 - 256 - 2  # merges used by CLIP: vocabulary minus bytes and the two specials
    with gzip.open(default_bpe(), "rt", encoding="utf-8") as handle:
        merges = handle.read().split("\n")[1 : merge_count + 1]
    byte_tokens = list(bytes_to_unicode().values())  # CLIP's token order: bytes, bytes ending words, merges
    tokens = byte_tokens + [token + "</w>" for token in byte_tokens]
    tokens += ["".join(merge.split()) for merge in merges]
    vocab = {token: index for index, token in enumerate([*tokens, start, end])}
    with tempfile.TemporaryDirectory() as folder:
        vocab_file, merges_file = Path(folder, "vocab.json"), Path(folder, "merges.txt")
        vocab_file.write_text(json.dumps(vocab), encoding="utf-8")
        merges_file.write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
        return CLIPTokenizer(str(vocab_file), str(merges_file), pad_token=end, model_max_length=max_length)


def random_base(
    cls: type[B],
    configs: tuple[dict, dict, dict],
    source: str,
    device: str | torch.device,
    seed: int,
    dtype: torch.dtype,
) -> B:
    """``cls`` with the same four components built from the UNet, VAE and text ``configs`` with random weights
    (none at all on ``meta``), and ``cls``'s schedulers."""
    unet, vae, text = configs
    torch.manual_seed(seed)
    with torch.device(device):
        parts = {
            "unet": UNet2DConditionModel(**unet),
            "vae": AutoencoderKL(**vae),
            "text_encoder": CLIPTextModel(CLIPTextConfig(**text)),
            "tokenizer": build_clip_tokenizer(),
        }
    if dtype != torch.float32:
        for name in ("unet", "vae", "text_encoder"):
            parts[name].to(dtype)
    return frozen_on(cls(**parts, source=source, random_weights=True, **cls.random_schedulers()), device)


def load_stable_diffusion(
    path: str | Path, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32, argument: str = "path"
) -> BaseModel:
    """Load a local Stable Diffusion folder in diffusers layout, never touching the network; a refusal names
    ``argument``, the user's name for ``path`` (``--base``, a function's argument)."""
    root = Path(path)
    require_stable_diffusion(root, argument)
    scheduler = DDIMScheduler.from_pretrained(root, subfolder="scheduler", local_files_only=True)
    return local_base(BaseModel, root, device, dtype, scheduler=scheduler)


def build_tiny(seed: int = 0, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32) -> BaseModel:
    """Every component at toy size with random weights: proves the machinery, not the model."""
    return random_base(BaseModel, (TINY_UNET, TINY_VAE, TINY_TEXT), "tiny (random weights)", device, seed, dtype)


def build_sd15(device: str | torch.device = "meta", seed: int = 0, dtype: torch.dtype = torch.float32) -> BaseModel:
    """Stable Diffusion 1.5 shapes with random weights (no weights at all on the meta device)."""
    configs = (SD15_UNET, SD15_VAE, SD15_TEXT)
    return random_base(BaseModel, configs, "sd15 architecture (random weights)", device, seed, dtype)


def frozen_on(base: BaseModel, device: str | torch.device) -> BaseModel:
    """Freeze the networks of ``base`` (eval mode, no gradients) and move them to ``device``."""
    for module in (base.unet, base.vae, base.text_encoder):
        module.requires_grad_(False).eval()
        if torch.device(device).type != "meta":
            module.to(device)
    return base
