"""SimDA: a frozen Stable Diffusion UNet turned into a text-to-video model by small adapters.

    from simda import SimDAPipeline, export_to_video
    pipe = SimDAPipeline.from_pretrained("stable-diffusion-v1-5", adapters="runs/simda-train/simda-adapters")
    frames = pipe("a panda playing guitar", num_frames=16, seeds=[0]).frames[0]
    export_to_video(frames, "panda.mp4", fps=8)

The public names below are imported on first use, so ``import simda`` (and every command's
``--help``) stays fast and does not pull in torch or diffusers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOMES = {
    "GenerationSettings": "simda.pipeline",
    "SimDAAdapters": "simda.model.checkpoint",
    "SimDAConfig": "simda.model.config",
    "SimDAPipeline": "simda.pipeline",
    "SimDAPipelineOutput": "simda.pipeline",
    "SimDAUNet": "simda.model.video_unet",
    "export_to_video": "simda.video_io",
}
__all__ = [  # spelled out for linters and IDEs; equals sorted(_HOMES)
    "GenerationSettings",
    "SimDAAdapters",
    "SimDAConfig",
    "SimDAPipeline",
    "SimDAPipelineOutput",
    "SimDAUNet",
    "export_to_video",
]

if TYPE_CHECKING:
    from simda.model.checkpoint import SimDAAdapters
    from simda.model.config import SimDAConfig
    from simda.model.video_unet import SimDAUNet
    from simda.pipeline import GenerationSettings, SimDAPipeline, SimDAPipelineOutput
    from simda.video_io import export_to_video


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'simda' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
