"""What the benchmark engine generates with (``--generator``): SimDA, a local diffusers text-to-video pipeline
(:mod:`benchmarks.diffusers_generator`) or videos made elsewhere (:mod:`benchmarks.video_folder`).

The engine asks a :class:`VideoGenerator` for one batch of clips at a time and never looks inside it. A
model's clip ``i`` depends on ``prompts[i]``, ``seeds[i]`` and the settings alone, so a benchmark's numbers
do not depend on batch size or process count. Its :meth:`identity` (what it is, its config and the
checksums of its weights) is logged with the run and names the run folder, so two runs of different
models never share one folder and every number says which model made it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from metrics.i3d import file_sha256
from simda.model.checkpoint import weights_file
from simda.settings import GenerationSettings


class VideoGenerator(Protocol):
    """One clip per prompt as uint8 ``(b, f, H, W, 3)``; ``ids`` name the clips (only a folder of videos reads them)."""

    random_weights: bool

    def generate(
        self, prompts: Sequence[str], seeds: Sequence[int], settings: GenerationSettings, ids: Sequence[str]
    ) -> np.ndarray: ...

    def identity(self) -> dict[str, Any]:
        """What makes the videos: ``kind``, a readable ``label``, its config and weight checksums."""
        ...


def weights_identity(base: Any, checkpoint: Path | None) -> dict[str, Any]:
    """A SimDA model's weights (generator or x4 upscaler): its base's source and identity, its checkpoint's SHA-256."""
    ckpt_sha256 = None if checkpoint is None else file_sha256(weights_file(checkpoint))
    return {"base_source": base.source, "base_identity": base.identity(), "ckpt_sha256": ckpt_sha256}


class SimDAGenerator:
    """SimDA (this project's pipeline): the base model, its adapters, the precision they run in."""

    def __init__(self, pipeline: Any, base: Any, checkpoint: Path | None, dtype: str, random_weights: bool):
        self.pipeline = pipeline
        self.random_weights = random_weights
        self._identity = {
            "kind": "simda",
            "label": "SimDA" + (" (random weights)" if random_weights else ""),
            **weights_identity(base, checkpoint),
            "dtype": dtype,
        }

    def generate(
        self, prompts: Sequence[str], seeds: Sequence[int], settings: GenerationSettings, ids: Sequence[str]
    ) -> np.ndarray:
        return self.pipeline.generate(list(prompts), list(seeds), settings)

    def identity(self) -> dict[str, Any]:
        return dict(self._identity)


class SuperResolvedGenerator:
    """SimDA's videos upscaled 4x by the SimDA x4 upscaler (``--sr``): the paper's two-stage output.

    The first stage runs at the job's generation settings; each clip is then upscaled with the same
    seed, so a clip's video still depends on its id alone.
    """

    def __init__(self, first: SimDAGenerator, upscaler: Any, settings: Any, upscaler_identity: dict[str, Any]):
        self.first, self.upscaler, self.settings = first, upscaler, settings
        self.random_weights = first.random_weights or upscaler_identity["random_weights"]
        self._identity = {**first.identity(), "sr": {**upscaler_identity, **settings.as_params()}}
        self._identity["label"] += " + SR x4"

    def generate(
        self, prompts: Sequence[str], seeds: Sequence[int], settings: GenerationSettings, ids: Sequence[str]
    ) -> np.ndarray:
        from simda.sr.pipeline import generate_two_stage

        return generate_two_stage(
            self.first.pipeline, self.upscaler, list(prompts), list(seeds), settings, self.settings
        ).video

    def identity(self) -> dict[str, Any]:
        return dict(self._identity)
