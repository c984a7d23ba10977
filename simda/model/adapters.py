"""The trainable parts of SimDA: bottleneck spatial adapters and the temporal adapter.

Every adapter's last projection starts at zero, so a freshly built SimDA model computes exactly
what the frozen image model computes (the invariants in tests/simda pin this).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from simda.model.frames import split_frames


def _bottleneck_width(dim: int, ratio: float) -> int:
    return max(1, int(dim * ratio))


class SpatialAdapter(nn.Module):
    """``W_up(GELU(W_down(x)))`` with ``W_up`` zero-initialised (equation 4 of the paper).

    With ``residual=True`` the input is added back (the attention adapter, in series on the
    self-attention output); with ``residual=False`` only the branch is returned (the FFN adapter,
    which runs in parallel with the feed-forward and whose sum the transformer block forms).
    """

    def __init__(self, dim: int, ratio: float = 0.25, residual: bool = True) -> None:
        super().__init__()
        hidden = _bottleneck_width(dim, ratio)
        self.residual = residual
        self.down = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.up = nn.Linear(hidden, dim)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.up(self.act(self.down(x)))
        return x + branch if self.residual else branch


class DepthwiseTemporalConv(nn.Module):
    """A depth-wise ``(k, 1, 1)`` convolution along time with zero 'same' padding.

    The weights keep ``nn.Conv3d``'s layout and initialisation (a test checks this module
    against ``nn.Conv3d`` itself), but the function is computed as ``k`` shifted multiply-adds
    over the frame-folded tensor. That is the same function without the permute to
    ``(b, c, f, h, w)``, and it avoids cuDNN's depth-wise 3D weight gradient, which is launched
    once per channel group and dominated the training step in profiling.
    """

    def __init__(self, channels: int, kernel: int = 3) -> None:
        super().__init__()
        reference = nn.Conv3d(channels, channels, (kernel, 1, 1), padding=(kernel // 2, 0, 0), groups=channels)
        self.weight = nn.Parameter(reference.weight.detach().clone())  # (c, 1, k, 1, 1)
        self.bias = nn.Parameter(reference.bias.detach().clone())  # (c,)

    @property
    def kernel(self) -> int:
        return self.weight.shape[2]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` is frame-folded ``(b f, c, h, w)``; the result has the same layout.

        Two forms of the same function, each the one with fewer kernels in its mode (counted by
        ``python -m benchmarks.profile``, section ``kernels``): in-place multiply-adds when no
        gradient is needed (3 kernels for ``k = 3`` against 8), and the padded out-of-place sum when
        one is, whose backward is shorter than the in-place form's (41 kernels against 53).
        """
        batch, frames = split_frames(x)
        clip = x.view(batch, frames, *x.shape[1:])
        taps = self.weight.view(self.weight.shape[0], self.kernel).t().view(self.kernel, 1, 1, -1, 1, 1)
        needs_grad = torch.is_grad_enabled() and (x.requires_grad or self.weight.requires_grad)
        out = self._padded_sum(clip, taps) if needs_grad else self._multiply_adds_in_place(clip, taps)
        return out.reshape(x.shape)

    def _padded_sum(self, clip: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
        """Zero frames before the first and after the last, then ``k`` shifted products summed."""
        frames = clip.shape[1]
        pad = self.kernel // 2
        padded = F.pad(clip, (0, 0, 0, 0, 0, 0, pad, pad))
        out = self.bias.view(1, 1, -1, 1, 1) + taps[0] * padded[:, :frames]
        for offset in range(1, self.kernel):
            out = out + taps[offset] * padded[:, offset : offset + frames]
        return out

    def _multiply_adds_in_place(self, clip: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
        """One fused multiply-add per tap over the frames it reaches: the padding without padding.

        The centre tap covers every frame (starting from the bias); tap ``j`` at offset
        ``d = j - k // 2`` adds frame ``t + d`` into frame ``t`` wherever that frame exists.
        """
        frames = clip.shape[1]
        centre = self.kernel // 2
        out = torch.addcmul(self.bias.view(1, 1, -1, 1, 1), taps[centre], clip)
        for tap in range(self.kernel):
            offset = tap - centre
            if tap == centre or abs(offset) >= frames:
                continue
            start, stop = max(0, -offset), frames - max(0, offset)  # frames t whose t + offset exists
            out[:, start:stop].addcmul_(taps[tap], clip[:, start + offset : stop + offset])
        return out


class TemporalAdapter(nn.Module):
    """``x + W_up(DWConv3D(W_down(x)))`` over a clip (equation 5), with no activation.

    ``W_down`` and ``W_up`` are 1x1x1 convolutions, applied as 1x1 2D convolutions on the
    frame-folded tensor (the same function). ``W_up`` is zero-initialised, so the adapter starts as
    the identity; ``W_down`` and the depth-wise kernel are drawn Kaiming-normal (PyTorch's defaults:
    fan-in, gain sqrt(2)) as in the authors' released code, which sets the scale of the features
    that ``W_up`` starts to learn from. Biases keep PyTorch's default initialisation.
    """

    def __init__(self, channels: int, ratio: float = 0.5, kernel: int = 3) -> None:
        super().__init__()
        hidden = _bottleneck_width(channels, ratio)
        self.down = nn.Conv2d(channels, hidden, kernel_size=1)
        self.temporal = DepthwiseTemporalConv(hidden, kernel)
        self.up = nn.Conv2d(hidden, channels, kernel_size=1)
        nn.init.kaiming_normal_(self.down.weight)
        nn.init.kaiming_normal_(self.temporal.weight)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.up(self.temporal(self.down(x)))


ADAPTER_TYPES = (SpatialAdapter, TemporalAdapter)
