"""Any local diffusers text-to-video pipeline as a benchmark generator (``--generator diffusers``).

``--pipeline FOLDER`` loads any local pipeline whose ``__call__`` takes diffusers' usual text-to-video
arguments (AnimateDiff, ModelScope's ``TextToVideoSDPipeline``, ...); our settings map onto them one to
one. Each prompt's starting latents are drawn on the CPU from its own seed and passed as ``latents=``:
the pipeline's own ``generator`` would draw one tensor for the whole batch, so a clip would change with
its batch-mates and with the process count. Frames become uint8 as diffusers' video processor makes its
PIL frames, so the scored frames are the ones a user of the pipeline would save.

``--pipeline tiny-animatediff`` and ``tiny-modelscope`` (with ``--preset tiny``) are the real diffusers
classes with random weights, sized as the profile benchmark's tiny models.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers import AnimateDiffPipeline, DDIMScheduler, DiffusionPipeline, MotionAdapter, TextToVideoSDPipeline

from benchmarks.profiling.models import MODEL_SIZES, modelscope
from metrics.i3d import file_sha256
from simda.model.base import build_tiny
from simda.pipeline import seeded_noise
from simda.plumbing.errors import BadInputFile, InvalidSetting
from simda.settings import TINY_PIPELINES, GenerationSettings

#: The arguments a pipeline's ``__call__`` must take for our settings and per-prompt noise to reach it.
REQUIRED_ARGUMENTS = (
    "prompt",
    "num_frames",
    "height",
    "width",
    "num_inference_steps",
    "guidance_scale",
    "negative_prompt",
    "latents",
    "output_type",
)


def module_checksum(module: torch.nn.Module) -> str:
    """SHA-256 of a module's state (names and raw bytes): the weights' identity when no file holds them."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class DiffusersGenerator:
    """A diffusers text-to-video pipeline behind the engine's generator interface; its identity names the pipeline
    (``source``: a folder or a tiny pipeline's name), its class, ``weights`` (what identifies them) and dtype."""

    def __init__(
        self,
        pipeline: DiffusionPipeline,
        source: str,
        label: str,
        weights: dict[str, Any],
        dtype: torch.dtype,
        random_weights: bool,
    ) -> None:
        arguments = inspect.signature(pipeline.__call__).parameters
        missing = [name for name in REQUIRED_ARGUMENTS if name not in arguments]
        if missing:
            raise BadInputFile(
                f"--pipeline {source}: {type(pipeline).__name__} is not a text-to-video pipeline this "
                f"benchmark can drive (its __call__ lacks {missing}); pass a folder of e.g. AnimateDiffPipeline or "
                "TextToVideoSDPipeline, or score its videos with --generator videos"
            )
        self.pipeline = pipeline
        self.pipeline.set_progress_bar_config(disable=True)
        self.random_weights = random_weights
        self.takes_eta = "eta" in arguments
        self._identity = {
            "kind": "diffusers",
            "label": f"{type(pipeline).__name__} ({label})",
            "pipeline": source,
            "class": type(pipeline).__name__,
            **weights,
            "dtype": str(dtype).removeprefix("torch."),
        }

    def identity(self) -> dict[str, Any]:
        return dict(self._identity)

    def latent_shape(self, settings: GenerationSettings) -> tuple[int, int, int, int]:
        """One clip's starting latents ``(c, f, h, w)``, as the pipeline's ``prepare_latents`` expects them."""
        factor = self.pipeline.vae_scale_factor
        if settings.height % factor or settings.width % factor:
            raise InvalidSetting(
                f"--height/--width must be multiples of {factor} (the pipeline's VAE factor), "
                f"got {settings.height}x{settings.width}"
            )
        channels = self.pipeline.unet.config.in_channels
        return channels, settings.num_frames, settings.height // factor, settings.width // factor

    def generate(
        self, prompts: Sequence[str], seeds: Sequence[int], settings: GenerationSettings, ids: Sequence[str]
    ) -> np.ndarray:
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds: give one seed per prompt")
        unet = self.pipeline.unet
        latents = seeded_noise(self.latent_shape(settings), seeds).to(device=unet.device, dtype=unet.dtype)
        extra = {"eta": settings.eta} if self.takes_eta else {}
        if settings.eta and not self.takes_eta:
            raise ValueError(f"--eta {settings.eta}: {type(self.pipeline).__name__} takes no eta; leave it at 0")
        with torch.inference_mode():
            output = self.pipeline(
                prompt=list(prompts),
                num_frames=settings.num_frames,
                height=settings.height,
                width=settings.width,
                num_inference_steps=settings.num_inference_steps,
                guidance_scale=settings.guidance_scale,
                negative_prompt=[settings.negative_prompt] * len(prompts) if settings.negative_prompt else None,
                latents=latents,
                output_type="np",
                **extra,
            )
        frames = (np.asarray(output.frames) * 255).round().astype(np.uint8)  # rounded as diffusers' numpy_to_pil
        expected = (len(prompts), settings.num_frames, settings.height, settings.width, 3)
        if frames.shape != expected:
            raise ValueError(f"{type(self.pipeline).__name__} returned frames shaped {frames.shape}, not {expected}")
        return frames


def load_pipeline_folder(path: Path, device: torch.device, dtype: torch.dtype) -> DiffusersGenerator:
    """A local diffusers pipeline folder (``model_index.json`` and its component folders), never downloading.

    Its identity holds the SHA-256 of every file in it (weights, component configs, scheduler, tokenizer), by path
    relative to it: a changed scheduler setting is another model as much as changed weights are.
    """
    root = Path(path).resolve()  # checked to hold a model_index.json with --generator diffusers' other flags
    try:
        pipeline = DiffusionPipeline.from_pretrained(root, local_files_only=True, torch_dtype=dtype)
    except (OSError, ValueError) as exc:
        raise BadInputFile(f"--pipeline {path}: cannot be loaded as a diffusers pipeline ({exc})") from exc
    files = sorted(path for path in root.rglob("*") if path.is_file() and not path.name.startswith("."))
    weights = {
        "model_index": json.loads((root / "model_index.json").read_text()),
        "files_sha256": {str(path.relative_to(root)): file_sha256(path) for path in files},
    }
    return DiffusersGenerator(pipeline.to(device), str(root), root.name, weights, dtype, random_weights=False)


def build_tiny_generator(name: str, device: torch.device, dtype: torch.dtype, seed: int = 0) -> DiffusersGenerator:
    """``tiny-animatediff`` (the tiny base's 2D UNet plus a random ``MotionAdapter`` sized to match it) or
    ``tiny-modelscope`` (a random tiny ``UNet3DConditionModel``), on the tiny base's VAE and text encoder, with DDIM;
    its weights are random, so its identity holds the checksum of every component."""
    base = build_tiny(seed=seed)
    torch.manual_seed(seed)
    shared = {
        "vae": base.vae,
        "text_encoder": base.text_encoder,
        "tokenizer": base.tokenizer,
        "scheduler": DDIMScheduler.from_config(base.scheduler.config),
    }
    pipeline: DiffusionPipeline
    if name == "tiny-animatediff":
        adapter = MotionAdapter(**MODEL_SIZES["tiny"].motion_adapter)
        pipeline = AnimateDiffPipeline(unet=base.unet, motion_adapter=adapter, **shared)
    elif name == "tiny-modelscope":
        unet = modelscope(MODEL_SIZES["tiny"], torch.device("cpu"), torch.float32)
        pipeline = TextToVideoSDPipeline(unet=unet, **shared)
    else:
        raise InvalidSetting(f"--pipeline {name}: the tiny pipelines are {', '.join(TINY_PIPELINES)}")
    components = {key: value for key, value in pipeline.components.items() if isinstance(value, torch.nn.Module)}
    weights = {
        "seed": seed,
        "weights_sha256": {key: module_checksum(module) for key, module in sorted(components.items())},
    }
    if dtype != torch.float32:  # built in float32; casting a float32 pipeline to itself only warns
        pipeline.to(dtype=dtype)
    return DiffusersGenerator(pipeline.to(device), name, f"{name}, random weights", weights, dtype, random_weights=True)
