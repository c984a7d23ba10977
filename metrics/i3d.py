"""Inception-I3D (Carreira & Zisserman, 2017) as used by the FVD metric.

The module and parameter names follow the widely used PyTorch port of the
DeepMind network, so that the public checkpoints ``i3d_pretrained_400.pt`` and
``rgb_imagenet.pt`` load with ``strict=True``.  ``load_i3d`` additionally
accepts the StyleGAN-V TorchScript detector ``i3d_torchscript.pt``.

Padding follows TensorFlow's "SAME" rule, computed from the actual input size
at run time, because the original network was trained in TensorFlow and a fixed
symmetric PyTorch padding would shift every feature map by half a pixel.
Max-pools pad with zeros (not ``-inf``) exactly like the common port: every
pool in the network follows a ReLU, so activations are >= 0 and a zero pad can
never win the max over a real value, i.e. both choices give identical outputs.
"""

from __future__ import annotations

import hashlib
import math
import zipfile
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from metrics.protocol_names import MIN_FVD_FRAMES

#: Spatial size the FVD protocol feeds the network (the final pool is 7x7).
INPUT_SIZE = 224
#: BatchNorm epsilon of TensorFlow (the original network, DeepMind's release and its PyTorch port).
TF_BN_EPS = 1e-3
#: BatchNorm epsilon of VideoGPT's ``fvd/pytorch_i3d.py`` and the tools that copy it (cd-fvd, TATS,
#: common_metrics_on_video_quality), which ship and load ``i3d_pretrained_400.pt``.
VIDEOGPT_BN_EPS = 1e-5

# (out0, out1a, out1b, out2a, out2b, out3b) for every Inception block.
_INCEPTION_CHANNELS: dict[str, tuple[int, int, int, int, int, int]] = {
    "Mixed_3b": (64, 96, 128, 16, 32, 32),
    "Mixed_3c": (128, 128, 192, 32, 96, 64),
    "Mixed_4b": (192, 96, 208, 16, 48, 64),
    "Mixed_4c": (160, 112, 224, 24, 64, 64),
    "Mixed_4d": (128, 128, 256, 24, 64, 64),
    "Mixed_4e": (112, 144, 288, 32, 64, 64),
    "Mixed_4f": (256, 160, 320, 32, 128, 128),
    "Mixed_5b": (256, 160, 320, 32, 128, 128),
    "Mixed_5c": (384, 192, 384, 48, 128, 128),
}


def _same_pad(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF "SAME" padding for one axis: output = ceil(size / stride), extra pixel goes after."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_same(x: torch.Tensor, kernel: Sequence[int], stride: Sequence[int]) -> torch.Tensor:
    """Zero-pad the last ``len(kernel)`` axes by TF's "SAME" rule (``F.pad`` lists the last axis first)."""
    axes = zip(x.shape[-len(kernel) :], kernel, stride, strict=True)
    pads = [pad for size, k, s in reversed(list(axes)) for pad in _same_pad(size, k, s)]
    return F.pad(x, pads) if any(pads) else x


class Unit3D(nn.Module):
    """Conv3d + optional BatchNorm + optional ReLU with run-time SAME padding."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: tuple[int, int, int] = (1, 1, 1),
        stride: tuple[int, int, int] = (1, 1, 1),
        *,
        batch_norm: bool = True,
        activation: bool = True,
        bn_eps: float = VIDEOGPT_BN_EPS,
    ) -> None:
        super().__init__()
        self.activation = activation
        # Convs followed by BN carry no bias in the checkpoints; only the logits conv has one.
        self.conv3d = nn.Conv3d(in_channels, out_channels, kernel, stride=stride, bias=not batch_norm)
        # eps is not a parameter or buffer, so it can differ between FVD protocols while the
        # state_dict layout stays the same; the momentum (TF's decay 0.99) only matters in training.
        self.bn = nn.BatchNorm3d(out_channels, eps=bn_eps, momentum=0.01) if batch_norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv3d(pad_same(x, self.conv3d.kernel_size, self.conv3d.stride))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.activation else x


class MaxPool3dSame(nn.MaxPool3d):
    """Max-pool with TF SAME padding (zero padded; see the module docstring for why zeros are exact)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(pad_same(x, self.kernel_size, self.stride))


class InceptionBlock(nn.Module):
    """Four parallel branches (1x1, 1x1->3x3, 1x1->3x3, pool->1x1) concatenated on channels."""

    def __init__(
        self, in_channels: int, channels: tuple[int, int, int, int, int, int], bn_eps: float = VIDEOGPT_BN_EPS
    ) -> None:
        super().__init__()
        out0, out1a, out1b, out2a, out2b, out3b = channels
        self.b0 = Unit3D(in_channels, out0, bn_eps=bn_eps)
        self.b1a = Unit3D(in_channels, out1a, bn_eps=bn_eps)
        self.b1b = Unit3D(out1a, out1b, (3, 3, 3), bn_eps=bn_eps)
        self.b2a = Unit3D(in_channels, out2a, bn_eps=bn_eps)
        self.b2b = Unit3D(out2a, out2b, (3, 3, 3), bn_eps=bn_eps)
        self.b3a = MaxPool3dSame((3, 3, 3), (1, 1, 1))
        self.b3b = Unit3D(in_channels, out3b, bn_eps=bn_eps)
        self.out_channels = out0 + out1b + out2b + out3b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], dim=1)


class InceptionI3d(nn.Module):
    """Inception-I3D whose ``forward`` returns time-averaged pre-softmax logits.

    Input: ``[B, in_channels, T, 224, 224]`` in ``[-1, 1]``, ``T >= 9``; output: ``[B, num_classes]``, the 400
    Kinetics logits FVD uses as the video embedding. ``bn_eps``, where the public ports disagree, is picked per
    protocol by :mod:`metrics.fvd_protocols` (VideoGPT's by default, as the default protocol reproduces cd-fvd).
    """

    def __init__(
        self, num_classes: int = 400, in_channels: int = 3, dropout: float = 0.5, bn_eps: float = VIDEOGPT_BN_EPS
    ) -> None:
        super().__init__()
        if not (math.isfinite(bn_eps) and bn_eps > 0):
            raise ValueError(f"bn_eps must be a positive finite number, got {bn_eps}")
        self.num_classes = num_classes
        self.bn_eps = bn_eps
        self.Conv3d_1a_7x7 = Unit3D(in_channels, 64, (7, 7, 7), (2, 2, 2), bn_eps=bn_eps)
        self.MaxPool3d_2a_3x3 = MaxPool3dSame((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64, bn_eps=bn_eps)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, (3, 3, 3), bn_eps=bn_eps)
        self.MaxPool3d_3a_3x3 = MaxPool3dSame((1, 3, 3), (1, 2, 2))
        channels = 192
        for name, table in _INCEPTION_CHANNELS.items():
            block = InceptionBlock(channels, table, bn_eps)
            setattr(self, name, block)
            channels = block.out_channels
            if name == "Mixed_3c":
                self.MaxPool3d_4a_3x3 = MaxPool3dSame((3, 3, 3), (2, 2, 2))
            elif name == "Mixed_4f":
                self.MaxPool3d_5a_2x2 = MaxPool3dSame((2, 2, 2), (2, 2, 2))
        self.avg_pool = nn.AvgPool3d((2, 7, 7), stride=(1, 1, 1))
        self.dropout = nn.Dropout(dropout)
        self.logits = Unit3D(channels, num_classes, batch_norm=False, activation=False)
        # Registration order above is the execution order.
        self._layers = [name for name, _ in self.named_children() if name not in ("avg_pool", "dropout", "logits")]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5 or x.shape[1] != self.Conv3d_1a_7x7.conv3d.in_channels:
            raise ValueError(
                f"I3D expects [B, C, T, H, W] with C={self.Conv3d_1a_7x7.conv3d.in_channels}, "
                f"got shape {tuple(x.shape)}"
            )
        if x.shape[2] < MIN_FVD_FRAMES:
            raise ValueError(
                f"I3D needs at least {MIN_FVD_FRAMES} frames, got {x.shape[2]}: its temporal strides "
                "leave fewer than the 2 positions the final average pool covers"
            )
        if tuple(x.shape[3:]) != (INPUT_SIZE, INPUT_SIZE):
            raise ValueError(
                f"I3D expects {INPUT_SIZE}x{INPUT_SIZE} frames, got {tuple(x.shape[3:])}; "
                "resize with metrics.video_preprocess.preprocess_videos"
            )
        for name in self._layers:
            x = getattr(self, name)(x)
        x = self.logits(self.dropout(self.avg_pool(x)))  # [B, classes, T', 1, 1]
        return x.flatten(2).mean(dim=2)


class TorchScriptI3D(nn.Module):
    """Adapter giving the StyleGAN-V TorchScript detector the ``forward(x) -> [B, 400]`` contract.

    That detector can rescale uint8 input and resize frames itself (``rescale=True,
    resize=True``, as StyleGAN-V calls it) or take frames already at 224x224 in [-1, 1]
    (both off, as common_metrics_on_video_quality's styleganv mode calls it).
    ``detector_preprocesses`` chooses; only the logits-level features are requested.
    """

    def __init__(self, detector: torch.jit.ScriptModule, detector_preprocesses: bool = False) -> None:
        super().__init__()
        self.detector = detector
        self.detector_preprocesses = detector_preprocesses

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        on = self.detector_preprocesses
        return self.detector(x, rescale=on, resize=on, return_features=True).float()


def file_sha256(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file; the FVD protocol records it to pin which detector produced a number."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def is_torchscript_archive(path: Path) -> bool:
    """Whether ``path`` is a ``torch.jit.save`` archive (has ``<root>/code/``; ``torch.save`` zips do not)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any("/code/" in name for name in archive.namelist())


_HOW_TO_FIX = (
    "pass a state_dict in the InceptionI3d layout (i3d_pretrained_400.pt, rgb_imagenet.pt) "
    "or the StyleGAN-V TorchScript detector i3d_torchscript.pt"
)


def load_i3d(
    path: str | Path,
    device: str | torch.device = "cpu",
    *,
    bn_eps: float = VIDEOGPT_BN_EPS,
    detector_preprocesses: bool = False,
) -> nn.Module:
    """Load an I3D detector in eval mode from a state_dict file or the StyleGAN-V TorchScript file.

    ``bn_eps`` applies to state_dicts and ``detector_preprocesses`` to the TorchScript file;
    :meth:`metrics.fvd_protocols.FVDProtocol.load_detector` sets both from a protocol.
    Anything else is refused with an error naming the file, because a silently
    half-loaded detector would produce plausible-looking but meaningless FVDs.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"I3D weights file not found: {path}; {_HOW_TO_FIX}")
    if is_torchscript_archive(path):
        return TorchScriptI3D(torch.jit.load(str(path), map_location="cpu"), detector_preprocesses).to(device).eval()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several unrelated types for unreadable files
        raise ValueError(f"cannot read I3D weights from {path} ({type(exc).__name__}: {exc}); {_HOW_TO_FIX}") from exc
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path} does not contain a dict of tensors (found {type(state).__name__}); {_HOW_TO_FIX}")
    num_classes = state["logits.conv3d.bias"].shape[0] if "logits.conv3d.bias" in state else 400
    model = InceptionI3d(num_classes=num_classes, bn_eps=bn_eps)
    # Old checkpoints predate BatchNorm's num_batches_tracked buffer; load_state_dict fills it in.
    missing = sorted({k for k in model.state_dict() if not k.endswith("num_batches_tracked")} - state.keys())
    unexpected = sorted(state.keys() - model.state_dict().keys())
    if missing or unexpected:
        raise ValueError(
            f"{path} is not an InceptionI3d state_dict: {len(missing)} missing keys {missing[:3]}, "
            f"{len(unexpected)} unexpected keys {unexpected[:3]}; {_HOW_TO_FIX}"
        )
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:  # right names, wrong shapes
        raise ValueError(f"{path} does not match the InceptionI3d shapes: {exc}; {_HOW_TO_FIX}") from exc
    return model.to(device).eval()


def random_i3d(seed: int = 0, bn_eps: float = VIDEOGPT_BN_EPS) -> InceptionI3d:
    """The real I3D architecture with random weights whose features still vary between videos.

    With PyTorch's default initialisation and identity BatchNorm statistics the signal shrinks
    about 1e5-fold by ``Mixed_5c``, so every video maps to nearly the same logits and every FVD
    is about 0. One training-mode pass with momentum 1 sets each BatchNorm's running statistics
    to those of a random batch, restoring unit-scale activations: a data-dependent
    initialisation, not a trained model. For tests and tiny presets (numbers from it carry
    :data:`~metrics.protocol_names.RANDOM_WEIGHTS_BANNER`); the global random state is left as it was.
    """
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        model = InceptionI3d(bn_eps=bn_eps)
        momenta = {m: m.momentum for m in model.modules() if isinstance(m, nn.BatchNorm3d)}
        for norm in momenta:
            norm.momentum = 1.0
        model.train()
        model(torch.rand(2, 3, 9, 224, 224) * 2 - 1)
    for norm, momentum in momenta.items():
        norm.momentum = momentum
    return model.eval()
