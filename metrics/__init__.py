"""Video generation metrics: FVD (I3D + Fréchet distance) and CLIP-based scores.

Names are resolved lazily (PEP 562): ``import metrics`` stays cheap, open_clip
and decord are loaded only when a CLIP model is built or videos are decoded,
and ``python -m metrics.fvd`` does not find its own module pre-imported.
"""

from importlib import import_module
from typing import Any

#: The public names of each module, imported on first use.
_PUBLIC = {
    "metrics.clip": (
        "ClipScorer",
        "ClipSimAccumulator",
        "ClipSimResult",
        "to_percent",
        "VideoClipScores",
        "clipsim_from_embeddings",
        "frame_consistency_from_embeddings",
    ),
    "metrics.frechet": (
        "GaussianStats",
        "frechet_distance",
        "frechet_distance_from_features",
        "frechet_distance_from_moments",
    ),
    "metrics.fvd": ("FVD", "FVDResult", "SmallSampleWarning", "extract_features"),
    "metrics.i3d": ("InceptionI3d", "file_sha256", "load_i3d", "random_i3d"),
    "metrics.fvd_protocols": ("DEFAULT_PROTOCOL", "FVDProtocol", "PROTOCOLS", "get_protocol"),
    "metrics.interval": ("FVDInterval", "fvd_interval"),
    "metrics.video_preprocess": ("preprocess_videos",),
}
_EXPORTS = {name: module for module, names in _PUBLIC.items() for name in names}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'metrics' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return __all__
