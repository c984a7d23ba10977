"""How the clip's layout reaches modules deep inside diffusers' unmodified UNet.

Frames are folded into the batch (``(b f) c h w``) so the 2D UNet runs unchanged, but the temporal adapter,
latent-shift attention and clip-wide GroupNorm must know the frames per clip (LSA also the token grid), and
diffusers' block signatures have no slot for that short of forking the blocks. So the SimDA UNet opens the layout
of each call's 5-D input as a context variable for that call only: nothing outlives it, threads do not see each
other's, and :func:`checkpoint_in_layout` carries it into gradient-checkpoint recomputation during backward.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import torch
import torch.utils.checkpoint


@dataclass(frozen=True)
class FrameLayout:
    """Frames per clip, and the token grid of the feature map being processed (if known)."""

    num_frames: int
    height: int | None = None
    width: int | None = None


_LAYOUT: ContextVar[FrameLayout | None] = ContextVar("simda_frame_layout", default=None)


@contextlib.contextmanager
def frame_layout(layout: FrameLayout) -> Iterator[FrameLayout]:
    """Make ``layout`` visible to the SimDA modules for the duration of the block."""
    token = _LAYOUT.set(layout)
    try:
        yield layout
    finally:
        _LAYOUT.reset(token)


def current_layout() -> FrameLayout:
    """The layout of the SimDA call in progress; an error outside one."""
    layout = _LAYOUT.get()
    if layout is None:
        raise RuntimeError(
            "a SimDA video module ran outside a SimDA UNet call, so it does not know the number of "
            "frames; call SimDAUNet (which opens the frame layout) rather than the wrapped 2D UNet"
        )
    return layout


def split_frames(x: torch.Tensor) -> tuple[int, int]:
    """``(batch, frames)`` of a frame-folded tensor whose first dimension is ``b * f``."""
    frames = current_layout().num_frames
    if x.shape[0] % frames:
        raise ValueError(f"leading dimension {x.shape[0]} is not a multiple of the {frames} frames per clip")
    return x.shape[0] // frames, frames


def checkpoint_in_layout(module: Callable[..., Any], *args: Any) -> Any:
    """Non-reentrant activation checkpointing that re-opens the caller's frame layout on recompute.

    Non-reentrant checkpointing also gives gradients to parameters inside the checkpointed
    function when none of its inputs require grad (the frozen base's activations); the reentrant
    kind silently drops them, which is how the released SimDA code lost most adapter gradients.
    """
    layout = current_layout()

    def run(*inner: Any) -> Any:
        with frame_layout(layout):
            return module(*inner)

    return torch.utils.checkpoint.checkpoint(run, *args, use_reentrant=False)
