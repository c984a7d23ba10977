"""Text-to-video with SimDA: prompts -> text encoder -> SimDA UNet under DDIM with
classifier-free guidance -> VAE decode -> uint8 frames.

Each prompt carries its own seed, and its starting noise is drawn on the CPU from that seed
alone, so a prompt's video does not depend on the device, on the batch it shares or on how a
benchmark was split over processes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from diffusers import AutoencoderKL, DDIMScheduler
from tqdm.auto import tqdm
from transformers import CLIPTextModel, CLIPTokenizer

from simda.base import BaseModel
from simda.settings import GenerationSettings
from simda.video_unet import SimDAUNet


class SimDAPipeline:
    """Generates clips from prompts; also encodes clips to latents (for training and editing)."""

    def __init__(
        self,
        model: SimDAUNet,
        vae: AutoencoderKL,
        text_encoder: CLIPTextModel,
        tokenizer: CLIPTokenizer,
        scheduler: DDIMScheduler,
        decode_chunk_size: int = 16,
    ) -> None:
        self.model = model
        self.vae = vae
        self.text_encoder = text_encoder
        self.tokenizer = tokenizer
        self.scheduler = DDIMScheduler.from_config(scheduler.config)
        self.decode_chunk_size = decode_chunk_size

    @classmethod
    def from_base(cls, base: BaseModel, model: SimDAUNet, decode_chunk_size: int = 16) -> SimDAPipeline:
        return cls(model, base.vae, base.text_encoder, base.tokenizer, base.scheduler, decode_chunk_size)

    @property
    def device(self) -> torch.device:
        return self.model.device

    @property
    def vae_scale_factor(self) -> int:
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @torch.no_grad()
    def encode_prompts(self, prompts: Sequence[str]) -> torch.Tensor:
        """CLIP text embeddings ``(b, 77, d)``, padded to the tokenizer's maximum as SD does.

        ``no_grad`` rather than ``inference_mode``: training feeds these tensors into a graph.
        """
        tokens = self.tokenizer(
            list(prompts),
            padding="max_length",
            max_length=self.tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        )
        return self.text_encoder(tokens.input_ids.to(self.text_encoder.device))[0].to(self.model.dtype)

    def initial_noise(self, seeds: Sequence[int], settings: GenerationSettings) -> torch.Tensor:
        """Starting latents ``(b, c, f, h, w)``, each clip drawn on the CPU from its own seed."""
        factor = self.vae_scale_factor
        if settings.height % factor or settings.width % factor:
            raise ValueError(f"height and width must be multiples of {factor}, got {settings.height}x{settings.width}")
        shape = (
            self.model.unet.config.in_channels,
            settings.num_frames,
            settings.height // factor,
            settings.width // factor,
        )
        noise = [torch.randn(shape, generator=torch.Generator().manual_seed(int(seed))) for seed in seeds]
        return torch.stack(noise).to(self.device)

    @torch.inference_mode()
    def denoise(
        self,
        latents: torch.Tensor,
        text: torch.Tensor,
        uncond: torch.Tensor | None,
        settings: GenerationSettings,
        progress: bool = False,
    ) -> torch.Tensor:
        """Run DDIM from ``latents``; ``uncond=None`` switches classifier-free guidance off."""
        self.scheduler.set_timesteps(settings.num_inference_steps, device=self.device)
        latents = latents.float() * self.scheduler.init_noise_sigma
        context = text if uncond is None else torch.cat([uncond, text])
        for t in tqdm(self.scheduler.timesteps, desc="denoising", disable=not progress, leave=False):
            model_in = latents if uncond is None else torch.cat([latents, latents])
            model_in = self.scheduler.scale_model_input(model_in, t).to(self.model.dtype)
            noise = self.model(model_in, t, context).float()
            if uncond is not None:
                noise_uncond, noise_text = noise.chunk(2)
                noise = noise_uncond + settings.guidance_scale * (noise_text - noise_uncond)
            latents = self.scheduler.step(noise, t, latents, eta=settings.eta).prev_sample
        return latents

    @torch.inference_mode()
    def decode(self, latents: torch.Tensor) -> np.ndarray:
        """Latents ``(b, c, f, h, w)`` to uint8 frames ``(b, f, H, W, 3)``, a few frames at a time."""
        batch, _, frames = latents.shape[:3]
        folded = latents.transpose(1, 2).flatten(0, 1) / self.vae.config.scaling_factor
        images = [
            self.vae.decode(chunk.to(self.vae.dtype)).sample.float() for chunk in folded.split(self.decode_chunk_size)
        ]
        video = torch.cat(images).clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)
        return video.permute(0, 2, 3, 1).reshape(batch, frames, *video.shape[2:], 3).cpu().numpy()

    @torch.no_grad()
    def encode_video(self, frames: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """uint8 frames ``(b, f, H, W, 3)`` to scaled latents ``(b, c, f, h, w)``.

        With a ``generator`` the latents are sampled from the VAE posterior (training, as Stable
        Diffusion was trained); without one they are its mean (inversion for editing).
        """
        batch, num_frames = frames.shape[:2]
        pixels = frames.to(self.vae.device).flatten(0, 1).permute(0, 3, 1, 2).to(self.vae.dtype) / 127.5 - 1
        posteriors = [self.vae.encode(chunk).latent_dist for chunk in pixels.split(self.decode_chunk_size)]
        latents = torch.cat([p.mean if generator is None else p.sample(generator) for p in posteriors])
        latents = latents.float() * self.vae.config.scaling_factor
        return latents.view(batch, num_frames, *latents.shape[1:]).transpose(1, 2)

    def __call__(
        self,
        prompts: Sequence[str],
        seeds: Sequence[int],
        settings: GenerationSettings | None = None,
        progress: bool = False,
    ) -> np.ndarray:
        """One clip per prompt as uint8 ``(b, f, H, W, 3)``; ``seeds[i]`` alone decides clip i's noise."""
        settings = settings or GenerationSettings()
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds: give one seed per prompt")
        text = self.encode_prompts(prompts)
        uncond = None
        if settings.guidance_scale != 1.0:
            uncond = self.encode_prompts([settings.negative_prompt] * len(prompts))
        latents = self.denoise(self.initial_noise(seeds, settings), text, uncond, settings, progress)
        return self.decode(latents)
