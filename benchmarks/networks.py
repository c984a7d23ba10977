"""The metric networks: I3D for FVD and CLIP for CLIPSIM, from local files or small and random.

With no weight file (``--preset tiny``) both are the real classes at random, seeded weights: the
real ``InceptionI3d`` with calibrated BatchNorm statistics (:func:`metrics.i3d.random_i3d`) and a
two-layer open_clip ``CLIP`` (:func:`metrics.clip.random_clip`). Their numbers prove the machinery,
not the model, and ``random_weights`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from metrics.clip import ClipScorer
from metrics.fvd_protocols import DEFAULT_PROTOCOL, FVDProtocol
from metrics.i3d import file_sha256
from simda.plumbing.errors import BadInputFile, InvalidSetting


@dataclass
class MetricNetworks:
    """The detector and scorer with what identifies them in a run's parameters."""

    i3d: nn.Module
    i3d_sha256: str
    clip: ClipScorer
    clip_params: dict[str, str]
    random_weights: bool
    protocol: FVDProtocol = DEFAULT_PROTOCOL


def load_clip_scorer(
    clip_ckpt: Path | None, clip_model: str, device: str | torch.device, seed: int = 0, clip_pretrained: str = "openai"
) -> tuple[ClipScorer, dict[str, str]]:
    """The CLIP scorer from a local checkpoint with open_clip's config for ``clip_model`` and the
    ``clip_pretrained`` tag, or tiny and random when none is given; with the parameters that identify it
    in a run (model, tag, activation, the checkpoint's sha256)."""
    if clip_ckpt is None:
        params = {"model": "tiny-random", "ckpt": "none", "ckpt_sha256": f"random-init-seed{seed}"}
        return ClipScorer.random(seed, device=device), params
    try:
        scorer = ClipScorer.from_pretrained(clip_model, clip_ckpt, pretrained=clip_pretrained, device=device)
    except ValueError as exc:  # a model, tag or file whose config cannot be determined
        raise BadInputFile(str(exc)) from exc
    params = {**scorer.config.params(), "ckpt": str(Path(clip_ckpt).resolve()), "ckpt_sha256": file_sha256(clip_ckpt)}
    return scorer, params


def load_metric_networks(
    i3d_path: Path | None,
    clip_ckpt: Path | None,
    clip_model: str,
    device: str | torch.device,
    protocol: FVDProtocol = DEFAULT_PROTOCOL,
    seed: int = 0,
    clip_pretrained: str = "openai",
) -> MetricNetworks:
    """Local weights where given, small random networks (seeded) where not; the I3D built as
    ``protocol``'s tool builds it (BatchNorm eps, TorchScript call)."""
    if i3d_path is None:
        if protocol.detector_format == "torchscript":
            raise InvalidSetting(
                f"--fvd-protocol {protocol.name} needs its detector file ({protocol.weights}): pass --i3d"
            )
        i3d: nn.Module = protocol.random_detector(seed).to(device)
        i3d_sha = f"random-calibrated-seed{seed}"
    else:
        try:
            i3d, i3d_sha = protocol.load_detector(i3d_path, device), file_sha256(i3d_path)
        except ValueError as exc:
            raise BadInputFile(f"--i3d {i3d_path}: {exc}") from exc
    clip, clip_params = load_clip_scorer(clip_ckpt, clip_model, device, seed, clip_pretrained)
    return MetricNetworks(i3d, i3d_sha, clip, clip_params, i3d_path is None or clip_ckpt is None, protocol)
