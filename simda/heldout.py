"""Held-out denoising loss: a deterministic measure of what the adapters learned, cheap next to FVD.

The training loss draws a new timestep and new noise every step, so two models' logged losses differ by the
luck of the draw as much as by what they learned. Here every held-out clip is scored at the same grid of
timesteps with the same noise (seeded by the clip's id and the timestep) and its posterior mean latent: two models
differ only by their weights, and a rerun gives the same numbers to the last bit. Reported overall and per noise
level: low timesteps test fine detail, high ones what the model infers from the caption and the other frames.

Works for any SimDA text-to-video model and any clip list (the synthetic learning set, or a WebVid
validation split read with :func:`simda.data.read_webvid_csv`).
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler

from simda.data import CaptionedVideo, ClipSampler
from simda.pipeline import SimDAPipeline, hashed_generator
from simda.training import denoising_target

#: Five noise levels across Stable Diffusion's 1,000-step schedule, from fine detail to near-pure noise.
DEFAULT_TIMESTEPS = (100, 300, 500, 700, 900)


@dataclass(frozen=True)
class HeldoutLoss:
    """Per-clip denoising losses at each of ``timesteps`` (``per_clip[video_id][i]`` at ``timesteps[i]``)."""

    timesteps: tuple[int, ...]
    per_clip: dict[str, tuple[float, ...]]

    @property
    def overall(self) -> float:
        """Mean over clips and timesteps alike."""
        return statistics.fmean(loss for losses in self.per_clip.values() for loss in losses)

    @property
    def per_timestep(self) -> dict[int, float]:
        return {
            timestep: statistics.fmean(losses[i] for losses in self.per_clip.values())
            for i, timestep in enumerate(self.timesteps)
        }

    def metrics(self, prefix: str = "heldout_loss") -> dict[str, float]:
        """Flat numbers for MLflow: ``heldout_loss`` and ``heldout_loss_t<timestep>`` for each level."""
        return {prefix: self.overall} | {f"{prefix}_t{t}": value for t, value in self.per_timestep.items()}


@torch.no_grad()
def heldout_loss(
    pipeline: SimDAPipeline,
    videos: Sequence[CaptionedVideo],
    sampler: ClipSampler,
    timesteps: Sequence[int] = DEFAULT_TIMESTEPS,
) -> HeldoutLoss:
    """Score ``pipeline.unet`` on ``videos``, each clip read from its first frame at ``sampler``'s size, frame count
    and stride, against training's target. A clip that cannot be read fails loudly: a skipped clip would silently
    change what is measured."""
    scheduler = DDPMScheduler.from_config(pipeline.scheduler.config)
    steps = scheduler.config.num_train_timesteps
    if not videos:
        raise ValueError("no held-out clips to score: pass a non-empty clip list")
    if not timesteps or any(not 0 <= t < steps for t in timesteps):
        raise ValueError(f"held-out timesteps {list(timesteps)} must be a non-empty list within [0, {steps})")
    fixed_start = dataclasses.replace(sampler, start=0)
    model = pipeline.unet
    was_training = model.training
    model.eval()
    grid = torch.tensor(list(timesteps), device=model.device)
    per_clip = {}
    try:
        for video in videos:
            clip = fixed_start.read(video, torch.Generator())  # a fixed start draws nothing
            latents = pipeline.encode_video(clip[None]).expand(len(grid), -1, -1, -1, -1)
            fixed = [  # one clip's noise at one timestep: the same for every model, run and machine
                torch.randn(latents.shape[1:], generator=hashed_generator(f"simda-heldout:{video.video_id}:{int(t)}"))
                for t in timesteps
            ]
            noise = torch.stack(fixed).to(model.device)
            noisy = scheduler.add_noise(latents, noise, grid)
            target = denoising_target(scheduler, latents, noise, grid)
            text = pipeline.encode_prompts([video.caption] * len(grid))
            prediction = model(noisy.to(model.dtype), grid, text).float()
            losses = F.mse_loss(prediction, target.float(), reduction="none").flatten(1).mean(1)
            per_clip[video.video_id] = tuple(float(loss) for loss in losses)
    finally:
        model.train(was_training)
    return HeldoutLoss(tuple(int(t) for t in timesteps), per_clip)
