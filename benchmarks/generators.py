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
from typing import Any, Protocol

import numpy as np
import torch

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


def seeded_noise(shape: Sequence[int], seeds: Sequence[int]) -> torch.Tensor:
    """Starting latents ``(b, *shape)``, each clip's drawn on the CPU from its own seed alone.

    On the CPU, so the noise is the same on every device; per seed, so a clip's noise does not depend
    on the batch it shares.
    """
    return torch.stack([torch.randn(tuple(shape), generator=torch.Generator().manual_seed(int(s))) for s in seeds])


class SimDAGenerator:
    """SimDA (this project's pipeline): the base model, its adapters, the precision they run in."""

    def __init__(self, pipeline: Any, base: Any, checkpoint_sha256: str | None, dtype: str, random_weights: bool):
        self.pipeline = pipeline
        self.random_weights = random_weights
        self._identity = {
            "kind": "simda",
            "label": "SimDA" + (" (random weights)" if random_weights else ""),
            "base_source": base.source,
            "base_identity": base.identity(),
            "ckpt_sha256": checkpoint_sha256,
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
