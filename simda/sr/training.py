"""Training the SimDA upscaler's adapters (equation 9) in the text-to-video training loop.

A step reads a high-resolution clip, encodes it with the upscaler's VAE to the latents to denoise, box-filters it
down 4x to the low-resolution input, diffuses that input with the upscaler's ``low_res_scheduler`` to a noise level
drawn uniformly from ``[0, max_noise_level]`` per clip (the UNet's class label), and concatenates it with the noisy
latents frame by frame. Everything else (data order, resume, checkpoints, MLflow reports, mixed precision, gradient
checkpointing, several processes) is ``simda.training.Trainer``'s, and the extra randomness comes from the same
per-step generator, so a resumed SR run continues exactly too.
"""

from __future__ import annotations

import torch
from diffusers import DDPMScheduler

from simda.data import ClipSampler
from simda.sr.pipeline import SimDAUpscalePipeline, downsample, frames_to_pixels, noise_augment
from simda.training import Trainer


class UpscalerTrainer(Trainer):
    """Tunes the adapters of a SimDA upscaler on high-resolution clips; only adapters change."""

    @property
    def low_res_scheduler(self) -> DDPMScheduler:
        """The upscaler's noise augmentation of the low-resolution input."""
        return self.pipeline.low_res_scheduler

    def check_clips(self, pipeline: SimDAUpscalePipeline, sampler: ClipSampler) -> None:
        multiple = pipeline.vae_scale_factor * pipeline.latent_multiple
        if sampler.height % multiple or sampler.width % multiple:
            raise ValueError(
                f"training clips of {sampler.height}x{sampler.width} cannot be upscaler targets: height and width "
                f"must be multiples of {multiple} (the 4x factor times the UNet's {pipeline.latent_multiple})"
            )

    def model_inputs(
        self, noisy: torch.Tensor, clips: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``[x_t, noise-augmented x_low]`` frame by frame, and the noise level as the class label."""
        low_res = downsample(frames_to_pixels(clips), self.pipeline.vae_scale_factor)
        noise_level = torch.randint(0, self.pipeline.max_noise_level + 1, (clips.shape[0],), generator=generator)
        augment_noise = torch.randn(low_res.shape, generator=generator)
        low_res = noise_augment(low_res.to(noisy.device), noise_level, augment_noise, self.low_res_scheduler)
        return torch.cat([noisy, low_res.to(noisy.dtype)], dim=1), {"class_labels": noise_level.to(noisy.device)}
