"""VBench's dynamic degree: whether a video moves, from RAFT optical flow, as a share of videos.

vbench 0.1.5, ``vbench/dynamic_degree.py``, ``DynamicDegree``: frames taken every
``max(1, round(fps / 8))`` (about 8 per second), each neighbouring pair padded to a multiple of 8
by edge replication (RAFT's ``InputPadder``, centred) and run through RAFT (20 updates); a pair's
score is the mean of the largest 5% flow magnitudes of the padded frame. A video moves when at least
``round(4 * frames / 16)`` pairs score above ``6 * min(H, W) / 256``; the final score is the share of
moving videos. The network is torchvision's ``raft_large``, the architecture of the public
``raft-things.pth`` that vbench loads (``--raft-ckpt``), with its keys converted
(:func:`raft_to_torchvision`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import torch
from torchvision.models.optical_flow import RAFT, raft_large, raft_small
from torchvision.models.optical_flow.raft import CorrBlock

from metrics.vbench.dimension import DimensionState, VBenchDimension
from metrics.vbench.frames import float_pixels, replicate_pad

#: RAFT updates per pair (vbench: ``iters=20``), and frames per second vbench samples at.
FLOW_UPDATES = 20
SAMPLED_FPS = 8
#: Pairs sent through RAFT together (only the speed depends on it).
PAIRS_PER_BATCH = 8
#: The tiny preset's RAFT: torchvision's ``raft_small`` with two correlation levels, so 32-pixel frames
#: keep 2 x 2 cells at the coarsest level (four levels need 128 pixels).
TINY_CORR_LEVELS, TINY_CORR_RADIUS = 2, 3
#: The public RAFT checkpoint's key (princeton-vl/RAFT) -> torchvision's ``raft_large``: the same network under
#: other module names, as (pattern, replacement) applied in order. The file was saved from ``nn.DataParallel``
#: (every key starts with ``module.``), and its residual blocks hold their downsampling norm twice (``norm3``
#: and ``downsample.1`` are one module), so the ``norm3`` copies are dropped.
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
        if ".convnormrelu3." not in key:  # else the downsampling norm's second name, dropped
            converted[key] = value
    return converted


def sampling_interval(fps: float) -> int:
    """Every how many frames vbench takes one: ``max(1, round(fps / 8))``."""
    return max(1, round(fps / SAMPLED_FPS))


def pad_to_eight(pixels: torch.Tensor) -> torch.Tensor:
    """RAFT's ``InputPadder`` (sintel mode): replicate edges up to a multiple of 8, split evenly, extra at the end."""
    return replicate_pad(pixels, 8)[0]


def moves(pair_scores: list[float], height: int, width: int, frames: int) -> bool:
    """vbench's ``check_move``: enough pairs above the size-scaled threshold (checked pair by pair, as vbench)."""
    threshold = 6.0 * (min(height, width) / 256.0)
    needed = round(4 * (frames / 16.0))
    return any(above >= needed for above in itertools.accumulate(score > threshold for score in pair_scores))


class DynamicDegree(VBenchDimension):
    name: ClassVar[str] = "dynamic_degree"
    weight_fields: ClassVar[tuple[str, ...]] = ("raft_ckpt",)

    def __init__(self, model: RAFT, device: str | torch.device = "cpu", fps: float = SAMPLED_FPS) -> None:
        """``fps``: the frame rate of the videos to be scored, which sets vbench's frame sampling."""
        super().__init__(model, device)
        self.fps = fps

    @classmethod
    def from_pretrained(cls, path: Path, device: str | torch.device = "cpu") -> DynamicDegree:
        """The public ``raft-things.pth`` (princeton-vl/RAFT), its keys converted to torchvision's."""
        model = raft_large(weights=None, progress=False)
        model.load_state_dict(raft_to_torchvision(torch.load(path, map_location="cpu", weights_only=True)))
        return cls(model, device)

    @classmethod
    def random(cls, seed: int = 0, device: str | torch.device = "cpu") -> DynamicDegree:
        """``raft_large`` at random seeded weights (RAFT's size is fixed by its correlation volume)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return cls(raft_large(weights=None, progress=False), device)

    @classmethod
    def tiny(cls, seed: int = 0, device: str | torch.device = "cpu") -> DynamicDegree:
        """torchvision's ``raft_small`` at random seeded weights with two correlation levels (``--preset tiny``):
        the same RAFT class, scoring frames from 32 pixels a side in a fraction of ``raft_large``'s time."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            corr_block = CorrBlock(num_levels=TINY_CORR_LEVELS, radius=TINY_CORR_RADIUS)
            return cls(raft_small(weights=None, progress=False, corr_block=corr_block), device)

    @torch.inference_mode()
    def pair_scores(self, frames: torch.Tensor) -> list[float]:
        """Per neighbouring pair of the sampled frames: the mean of the largest 5% flow magnitudes."""
        pixels = pad_to_eight(float_pixels(frames[:: sampling_interval(self.fps)]))
        pixels = (2 * (pixels / 255.0) - 1.0).to(self.device)
        top = int(pixels.shape[-2] * pixels.shape[-1] * 0.05)
        scores: list[float] = []
        for start in range(0, pixels.shape[0] - 1, PAIRS_PER_BATCH):
            pairs = slice(start, start + PAIRS_PER_BATCH)
            flow = self.model(pixels[:-1][pairs], pixels[1:][pairs], num_flow_updates=FLOW_UPDATES)[-1]
            magnitude = flow.double().pow(2).sum(dim=1).sqrt().flatten(1)
            scores.extend(magnitude.topk(top, dim=1).values.mean(dim=1).tolist())
        return scores

    def video_state(self, frames: torch.Tensor) -> DimensionState:
        sampled = frames[:: sampling_interval(self.fps)].shape[0]
        moving = moves(self.pair_scores(frames), frames.shape[1], frames.shape[2], sampled)
        return DimensionState(total=float(moving), count=1.0)
