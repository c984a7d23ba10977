"""VideoMAE-v2 video features for content-debiased FVD, as cd-fvd 0.1.1's ``cdfvd(model='videomae')`` takes them.

I3D FVD leans on per-frame content more than on motion (Ge et al., CVPR 2024, the paper behind
cd-fvd); their answer is FVD on the features of VideoMAE-v2 ViT-g/14, self-supervised and then
fine-tuned on Something-Something-v2 (``vit_g_hybrid_pt_1200e_ssv2_ft.pth``), a dataset whose
labels need motion. The features are the encoder's output before the classifier: the mean of all
patch tokens after the last block, through the final LayerNorm (``fc_norm``), 1408 numbers a video.

The encoder is timm's ViT ``Block`` stack behind a 3-D patch embedding (tubelets of 2 frames x 14 x
14 pixels) and fixed sine-cosine positions, laid out so the public checkpoint loads after one
renaming: VideoMAE-v2 keeps the query and value biases of its attention apart and has no key bias,
timm keeps one ``qkv`` bias (:func:`convert_videomae_state_dict` puts zeros where the key bias goes).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class VideoMAEConfig:
    """Shape of a VideoMAE-v2 encoder; the defaults are ViT-g/14 as cd-fvd builds it (``vit_giant_patch14_224``)."""

    image_size: int = 224
    patch_size: int = 14
    num_frames: int = 16
    tubelet_size: int = 2
    embed_dim: int = 1408  # the features per video
    depth: int = 40
    num_heads: int = 16
    mlp_ratio: float = 48 / 11
    norm_eps: float = 1e-6

    @property
    def grid(self) -> tuple[int, int]:
        """Tubelets along time and patches along one side."""
        return self.num_frames // self.tubelet_size, self.image_size // self.patch_size


def sinusoid_positions(num_positions: int, dim: int) -> torch.Tensor:
    """The fixed sine-cosine table of "Attention is all you need" (sin on even, cos on odd channels), float32."""
    exponents = 2 * (np.arange(dim) // 2) / dim
    angles = np.arange(num_positions)[:, None] / np.power(10000, exponents)[None, :]
    angles[:, 0::2], angles[:, 1::2] = np.sin(angles[:, 0::2]), np.cos(angles[:, 1::2])
    return torch.tensor(angles, dtype=torch.float32)[None]


class VideoMAEv2Encoder(nn.Module):
    """VideoMAE-v2's encoder without its classifier: ``[N, 3, T, S, S]`` videos in [0, 1] -> ``[N, embed_dim]``."""

    def __init__(self, config: VideoMAEConfig = VideoMAEConfig()) -> None:
        from timm.models.vision_transformer import Block  # here: timm is slow to import, only this needs it

        super().__init__()
        self.config = config
        size = (config.tubelet_size, config.patch_size, config.patch_size)
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv3d(3, config.embed_dim, kernel_size=size, stride=size)
        tubelets, side = config.grid
        table = sinusoid_positions(tubelets * side * side, config.embed_dim)
        self.register_buffer("pos_embed", table, persistent=False)  # fixed, not in the checkpoint
        norm = partial(nn.LayerNorm, eps=config.norm_eps)
        self.blocks = nn.ModuleList(
            Block(config.embed_dim, config.num_heads, config.mlp_ratio, qkv_bias=True, norm_layer=norm)
            for _ in range(config.depth)
        )
        self.fc_norm = norm(config.embed_dim)

    def positions(self, num_frames: int) -> torch.Tensor:
        """Position table for ``num_frames`` frames: the trained one (16 frames), or it stretched along time by
        trilinear interpolation exactly as cd-fvd does, scale ``(t + 0.1) / T`` (the 0.1 keeps the length ``t``)."""
        tubelets, side = self.config.grid
        wanted = num_frames // self.config.tubelet_size
        if wanted == tubelets:
            return self.pos_embed
        grid = self.pos_embed.permute(0, 2, 1).reshape(1, -1, tubelets, side, side)
        grid = F.interpolate(grid, scale_factor=((wanted + 0.1) / tubelets, 1, 1), mode="trilinear")
        return grid.flatten(2).permute(0, 2, 1)

    def forward(self, videos: torch.Tensor) -> torch.Tensor:
        if videos.ndim != 5 or tuple(videos.shape[-2:]) != (self.config.image_size,) * 2:
            raise ValueError(
                f"expected videos [N, 3, T, {self.config.image_size}, {self.config.image_size}], "
                f"got {tuple(videos.shape)}"
            )
        tokens = self.patch_embed.proj(videos).flatten(2).transpose(1, 2)
        tokens = tokens + self.positions(videos.shape[2]).to(tokens)
        for block in self.blocks:
            tokens = block(tokens)
        return self.fc_norm(tokens.mean(1))


def convert_videomae_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A VideoMAE-v2 checkpoint's encoder weights in :class:`VideoMAEv2Encoder`'s names (the module docstring
    says how the biases merge); the classifier (``head.*``) is dropped: FVD uses the features before it."""
    for wrapper in ("model", "module"):  # training checkpoints nest the weights, as cd-fvd's loader allows
        if wrapper in state and isinstance(state[wrapper], dict):
            state = state[wrapper]
            break
    converted = {}
    for key, value in state.items():
        if key.startswith("head."):
            continue
        if key.endswith(".attn.q_bias"):
            prefix = key.removesuffix("q_bias")
            v_bias = state[prefix + "v_bias"]
            converted[prefix + "qkv.bias"] = torch.cat([value, torch.zeros_like(v_bias), v_bias])
        elif not key.endswith(".attn.v_bias"):
            converted[key] = value
    return converted


def load_videomae(
    path: str | Path, device: str | torch.device = "cpu", config: VideoMAEConfig = VideoMAEConfig()
) -> VideoMAEv2Encoder:
    """The encoder of a local VideoMAE-v2 checkpoint (e.g. ``vit_g_hybrid_pt_1200e_ssv2_ft.pth``), eval mode.

    Loading is strict: a checkpoint of another shape or layout is refused, naming the keys.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"VideoMAE-v2 checkpoint not found: {path}; download vit_g_hybrid_pt_1200e_ssv2_ft.pth (the file cd-fvd "
            "uses) and pass its path"
        )
    model = VideoMAEv2Encoder(config)
    state = convert_videomae_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"{path} is not a VideoMAE-v2 ViT checkpoint of this shape: missing {sorted(missing)[:5]}, "
            f"unexpected {sorted(unexpected)[:5]}"
        )
    return model.to(device).eval()


def random_videomae(config: VideoMAEConfig, seed: int = 0) -> VideoMAEv2Encoder:
    """The encoder at ``config`` with seeded random weights (timm's initialisation; numbers from it carry
    :data:`~metrics.protocol_names.RANDOM_WEIGHTS_BANNER`); the global RNG is left alone."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return VideoMAEv2Encoder(config).eval()


#: The same architecture at a size that runs in seconds on a CPU (random weights for tests and tiny presets):
#: the input, patch grid and frame count of ViT-g/14, a narrow and shallow transformer.
TINY_VIDEOMAE = VideoMAEConfig(embed_dim=64, depth=2, num_heads=4)
