"""Latent-Shift Attention (section 3.3): self-attention whose keys and values also see a frame
assembled from patches of the preceding frames.

It is an attention processor (diffusers' sanctioned way to change attention) on every spatial
self-attention, adds no parameters, and delegates the attention arithmetic itself to the
processor it replaces, so fused kernels chosen for the base model keep working.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from diffusers.models.attention_processor import Attention, AttnProcessor2_0

from simda.model.config import LsaForm
from simda.model.frames import current_layout

# How many frames back each position of a 4x4 grid of tokens looks: row ``h % 4``, column ``w % 4``.
# A look-back that would reach before the first frame keeps the token's own frame instead.
SHIFT_TABLE = ((4, 3, 2, 1), (3, 2, 1, 0), (2, 1, 0, 0), (1, 2, 3, 4))


def source_frames(num_frames: int, height: int, width: int) -> torch.Tensor:
    """``(num_frames, height * width)`` index of the frame each shifted token is taken from."""
    table = torch.tensor(SHIFT_TABLE)
    rows = torch.arange(height) % 4
    cols = torch.arange(width) % 4
    lookback = table[rows[:, None], cols[None, :]].reshape(-1)  # row-major, as diffusers flattens tokens
    frames = torch.arange(num_frames)[:, None]
    source = frames - lookback[None, :]
    return torch.where(source >= 0, source, frames)


@functools.lru_cache(maxsize=64)
def _gather_index(
    form: LsaForm | None, num_frames: int, height: int, width: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """The (frame, position) index that gathers a clip's shifted tokens, built once per shape and device.

    ``form=None``: the shifted tokens alone, ``(f, N)``. ``"paper"`` or ``"code"``: attention's
    keys/values ``[first, shift(x)_t]``, ``(f, 2N)``, in one gather rather than a gather and a
    concatenation. Building it per call would copy the shift table from host to device in every
    self-attention, and a blocking host-to-device copy makes the host wait for the GPU to drain,
    so the GPU then idles while the host queues the next kernels. Built outside inference mode so
    that a cached index made during sampling can still be saved for a later training step's backward.
    """
    with torch.inference_mode(False):
        source = source_frames(num_frames, height, width)
        position = torch.arange(height * width).expand_as(source)
        if form == "paper":  # keys/values [x_t, shift(x)_t]
            source = torch.cat([torch.arange(num_frames)[:, None].expand_as(source), source], dim=1)
            position = torch.cat([position, position], dim=1)
        elif form == "code":  # keys/values [shift(x)_{t-1}, shift(x)_t]
            previous = (torch.arange(num_frames) - 1).clamp(min=0)  # frame 0 is its own predecessor
            source = torch.cat([source[previous], source], dim=1)
            position = torch.cat([position, position], dim=1)
        return source.to(device), position.to(device)


def shifted_keys_values(
    tokens: torch.Tensor, form: LsaForm | None, num_frames: int, height: int, width: int
) -> torch.Tensor:
    """The keys/values LSA attends to, ``(b f, 2 h w, c)`` (see :class:`LatentShiftAttnProcessor`);
    with ``form=None`` the shifted tokens alone, ``(b f, h w, c)``."""
    if tokens.shape[1] != height * width:
        raise ValueError(f"{tokens.shape[1]} tokens do not form a {height}x{width} grid")
    batch = tokens.shape[0] // num_frames
    clip = tokens.view(batch, num_frames, height * width, tokens.shape[-1])
    source, position = _gather_index(form, num_frames, height, width, tokens.device)
    return clip[:, source, position].reshape(tokens.shape[0], source.shape[1], tokens.shape[-1])


def latent_shift(tokens: torch.Tensor, num_frames: int, height: int, width: int) -> torch.Tensor:
    """Patch-shift frame-folded tokens ``(b f, h w, c)`` along time (causal: never looks ahead)."""
    return shifted_keys_values(tokens, None, num_frames, height, width)


class LatentShiftAttnProcessor:
    """Queries from the current frame; keys and values from the current frame and its shifted twin.

    ``form="paper"``: keys/values ``[x_t, shift(x)_t]`` (equations 6-8). ``form="code"``:
    ``[shift(x)_{t-1}, shift(x)_t]`` as in the authors' released code. Either way the cost is
    attention over ``2N`` keys per frame, O(2LN^2), and frame 0 reduces to plain self-attention.
    """

    def __init__(self, form: LsaForm = "paper", base: Any | None = None) -> None:
        if form not in ("paper", "code"):
            raise ValueError(f"form must be 'paper' or 'code', got {form!r}")
        self.form = form
        self.base = base if base is not None else AttnProcessor2_0()

    def __call__(
        self,
        attn: Attention,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        temb: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if encoder_hidden_states is not None or attention_mask is not None:
            raise ValueError("latent-shift attention replaces self-attention only (no context, no mask)")
        layout = current_layout()
        if layout.height is None or layout.width is None:
            raise RuntimeError("latent-shift attention needs the token grid; it runs inside a SimDA transformer")
        keys_values = shifted_keys_values(hidden_states, self.form, layout.num_frames, layout.height, layout.width)
        return self.base(attn, hidden_states, encoder_hidden_states=keys_values, temb=temb)
