"""Video generation metrics: FVD (I3D + Fréchet distance) and CLIP-based scores.

Names are resolved lazily (PEP 562): ``import metrics`` stays cheap, open_clip
and decord are loaded only when a CLIP model is built or videos are decoded,
and ``python -m metrics.fvd`` does not find its own module pre-imported.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ClipScorer": "metrics.clip",
    "ClipSimAccumulator": "metrics.clip",
    "ClipSimResult": "metrics.clip",
    "to_percent": "metrics.clip",
    "VideoClipScores": "metrics.clip",
    "clipsim_from_embeddings": "metrics.clip",
    "frame_consistency_from_embeddings": "metrics.clip",
    "GaussianStats": "metrics.frechet",
    "frechet_distance": "metrics.frechet",
    "frechet_distance_from_features": "metrics.frechet",
    "frechet_distance_from_moments": "metrics.frechet",
    "FVD": "metrics.fvd",
    "FVDResult": "metrics.fvd",
    "SmallSampleWarning": "metrics.fvd",
    "extract_features": "metrics.fvd",
    "InceptionI3d": "metrics.i3d",
    "file_sha256": "metrics.i3d",
    "load_i3d": "metrics.i3d",
    "random_i3d": "metrics.i3d",
    "DEFAULT_PROTOCOL": "metrics.fvd_protocols",
    "FVDProtocol": "metrics.fvd_protocols",
    "PROTOCOLS": "metrics.fvd_protocols",
    "get_protocol": "metrics.fvd_protocols",
    "FVDInterval": "metrics.interval",
    "fvd_interval": "metrics.interval",
    "preprocess_videos": "metrics.video_preprocess",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'metrics' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return __all__
