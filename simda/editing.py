"""One-shot text-guided video editing (Tune-A-Video protocol, section 3.4 of the paper).

Tune the adapters on the one video with its source caption, invert the video's latents with
DDIM (an empty prompt, as in the released code), then denoise the inverted latents under the
edited caption. The inversion keeps the source's layout and motion; the edit changes the rest.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from diffusers import DDIMInverseScheduler
from tqdm.auto import tqdm

from simda.data import CaptionedVideo, ClipSampler
from simda.pipeline import GenerationSettings, SimDAPipeline
from simda.training import Trainer, TrainSettings


@dataclass(frozen=True)
class EditSettings:
    """Defaults follow the paper (200 tuning steps) and the released editing code otherwise."""

    tune_steps: int = 200
    learning_rate: float = 5e-5
    num_frames: int = 24
    frame_stride: int = 2
    height: int = 512
    width: int = 512
    num_inference_steps: int = 50
    guidance_scale: float = 12.5
    inversion_prompt: str = ""
    mixed_precision: str = "no"
    gradient_checkpointing: bool = False
    seed: int = 0

    def as_params(self) -> dict[str, object]:
        return asdict(self)

    def generation(self) -> GenerationSettings:
        return GenerationSettings(
            num_frames=self.num_frames,
            height=self.height,
            width=self.width,
            num_inference_steps=self.num_inference_steps,
            guidance_scale=self.guidance_scale,
        )


@dataclass
class EditResult:
    source: np.ndarray  # uint8 (f, H, W, 3): the frames that were tuned on
    edits: dict[str, np.ndarray]  # edited caption -> uint8 (f, H, W, 3)
    train_seconds: float
    inference_seconds: float  # inversion plus generation, per edit
    train_peak_gib: float
    inference_peak_gib: float
    tuned_parameters: int


@torch.no_grad()
def ddim_invert(
    pipeline: SimDAPipeline, latents: torch.Tensor, text: torch.Tensor, num_steps: int, progress: bool = False
) -> torch.Tensor:
    """Run DDIM backwards from clean ``latents`` to the noise that DDIM would turn back into them."""
    inverse = DDIMInverseScheduler.from_config(pipeline.scheduler.config)
    inverse.set_timesteps(num_steps, device=pipeline.device)
    latents = latents.float()
    for t in tqdm(inverse.timesteps, desc="inverting", disable=not progress, leave=False):
        noise = pipeline.unet(latents.to(pipeline.unet.dtype), t, text).float()
        latents = inverse.step(noise, t, latents).prev_sample
    return latents


def _reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def _peak_gib(device: torch.device) -> float:
    return torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else 0.0


def edit_video(
    pipeline: SimDAPipeline,
    video: CaptionedVideo,
    edited_captions: list[str],
    settings: EditSettings,
    work_dir: str | Path,
    progress: bool = False,
) -> EditResult:
    """Tune on ``video`` (with its caption), then produce one edited clip per caption."""
    device = pipeline.device
    sampler = ClipSampler(settings.num_frames, settings.height, settings.width, settings.frame_stride, start=0)
    train = TrainSettings(
        max_steps=settings.tune_steps,
        learning_rate=settings.learning_rate,
        mixed_precision=settings.mixed_precision,
        gradient_checkpointing=settings.gradient_checkpointing,
        checkpoint_every=settings.tune_steps,
        keep_checkpoints=1,
        seed=settings.seed,
    )
    _reset_peak(device)
    started = time.perf_counter()
    trainer = Trainer(pipeline, [video], sampler, train, work_dir)
    trainer.run(progress=progress, log_every=max(1, settings.tune_steps))
    train_seconds, train_peak = time.perf_counter() - started, _peak_gib(device)
    pipeline.unet.eval()

    source = sampler.read(video, torch.Generator())
    _reset_peak(device)
    started = time.perf_counter()
    latents = pipeline.encode_video(source[None])
    inverted = ddim_invert(
        pipeline, latents, pipeline.encode_prompts([settings.inversion_prompt]), settings.num_inference_steps, progress
    )
    generation = settings.generation()
    uncond = pipeline.encode_prompts([generation.negative_prompt])
    edits = {}
    for caption in edited_captions:
        denoised = pipeline.denoise(inverted, pipeline.encode_prompts([caption]), uncond, generation, progress)
        edits[caption] = pipeline.decode(denoised)[0]
    inference_seconds = (time.perf_counter() - started) / max(1, len(edited_captions))
    return EditResult(
        source=source.numpy(),
        edits=edits,
        train_seconds=train_seconds,
        inference_seconds=inference_seconds,
        train_peak_gib=train_peak,
        inference_peak_gib=_peak_gib(device),
        tuned_parameters=sum(p.numel() for p in pipeline.unet.adapter_parameters()),
    )
