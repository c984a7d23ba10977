"""The second stage (paper, section 3.4): a 256x256 video to 1024x1024 with the SimDA x4 upscaler.

The low-resolution frames, noise-augmented at a chosen level (the UNet's class label, see
``simda.sr.upscaler``), are concatenated with the noisy latents frame by frame (equation 9, as Video
LDM does). Sampling follows the upscaler's own scheduler config with classifier-free guidance; the
unconditional half sees the same low-resolution frames and noise level.

Memory. The VAE decode runs in chunks of frames (the decoder sees one frame at a time anyway) and the UNet in
chunks of whole clips (the two guidance halves of a prompt count as two; SimDA couples only the frames of one
clip), so neither changes what is computed. The UNet is never chunked in time: latent-shift attention looks up to
four frames back, the temporal adapter one frame either way, and clip-wide GroupNorm takes statistics over every
frame, so frame windows would have seams (other statistics, missing neighbours at each cut). A 16x1024x1024 clip
of the released upscaler needs 16 frames of 256x256 latents in one call; the chunk plan of each run says what was
split.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDIMScheduler, DDPMScheduler
from diffusers.schedulers.scheduling_utils import SchedulerMixin
from transformers import CLIPTextModel, CLIPTokenizer

from simda.model.checkpoint import SimDAAdapters, load_adapter_checkpoint
from simda.model.config import SimDAConfig
from simda.model.video_unet import SimDAUNet
from simda.pipeline import GenerationSettings, SimDAPipeline, TextConditioning, guided, hashed_generator
from simda.settings import MAX_SR_NOISE_LEVEL, UpscaleSettings
from simda.sr.upscaler import LOW_RES_CHANNELS, UpscalerBase

log = logging.getLogger("simda.sr.pipeline")


@dataclass(frozen=True)
class ChunkPlan:
    """What one upscaling run split to bound its memory (logged, and returned with the video)."""

    clips: int
    unet_calls_per_step: int
    clips_per_unet_call: int
    frames: int
    frames_per_decode: int

    def describe(self) -> str:
        return (
            f"UNet: {self.clips} clip(s) of {self.frames} frames in {self.unet_calls_per_step} call(s) per step, "
            f"up to {self.clips_per_unet_call} clip(s) each, never split in time; "
            f"VAE decode: {self.frames_per_decode} frame(s) at a time"
        )


@dataclass(frozen=True)
class UpscaleResult:
    video: np.ndarray  # uint8 (b, f, H, W, 3)
    plan: ChunkPlan


def frames_to_pixels(frames: torch.Tensor) -> torch.Tensor:
    """uint8 frames ``(b, f, H, W, 3)`` to float pixels ``(b, 3, f, H, W)`` in [-1, 1], as the upscaler takes them."""
    return frames.permute(0, 4, 1, 2, 3).float() / 127.5 - 1


def downsample(pixels: torch.Tensor, factor: int) -> torch.Tensor:
    """Box-filter pixels ``(b, 3, f, H, W)`` down by ``factor`` in height and width, frame by frame, as training
    makes its low-resolution input: area averaging is the anti-aliased downsample for an integer factor."""
    batch, channels, frames, height, width = pixels.shape
    if height % factor or width % factor:
        raise ValueError(f"{height}x{width} frames do not divide by the upscaling factor {factor}")
    folded = pixels.transpose(1, 2).reshape(batch * frames, channels, height, width)
    small = F.interpolate(folded, scale_factor=1 / factor, mode="area")
    return small.view(batch, frames, channels, height // factor, width // factor).transpose(1, 2)


def noise_augment(
    pixels: torch.Tensor, noise_level: torch.Tensor, noise: torch.Tensor, scheduler: DDPMScheduler
) -> torch.Tensor:
    """Diffuse low-resolution pixels ``(b, 3, f, h, w)`` to ``noise_level`` (one per clip) with the low-res schedule
    (``add_noise`` broadcasts each clip's level over its frames)."""
    return scheduler.add_noise(pixels, noise.to(pixels.device), noise_level.to(pixels.device))


def upscaler_model(
    base: UpscalerBase, checkpoint: str | Path | None = None, config: SimDAConfig | None = None, seed: int = 0
) -> SimDAUNet:
    """The SimDA upscaler on ``base.unet`` (adapted in place): zero-initialised, or with an SR checkpoint's adapters,
    whose own config then decides which parts exist (a text-to-video checkpoint is refused)."""
    if checkpoint is None:
        return SimDAUNet(base.unet, config or SimDAConfig(), seed=seed).eval()
    adapters = load_adapter_checkpoint(checkpoint, "--sr-ckpt")
    adapters.require_base_kind("x4-upscaler", checkpoint)  # before the base is adapted in place
    return adapters.attach(base.unet)


class SimDAUpscalePipeline(SimDAPipeline):
    """Upscales clips 4x with the SimDA upscaler; prompt encoding and VAE coding are the first stage's."""

    def __init__(
        self,
        vae: AutoencoderKL,
        text_encoder: CLIPTextModel,
        tokenizer: CLIPTokenizer,
        unet: SimDAUNet,
        scheduler: SchedulerMixin,
        low_res_scheduler: DDPMScheduler,
        max_noise_level: int = MAX_SR_NOISE_LEVEL,
        decode_chunk_size: int = 16,
        unet_chunk_size: int | None = None,
        adapters: SimDAAdapters | None = None,
    ) -> None:
        """diffusers' component signature (so ``.to()``, ``components`` and offloading work); build it with
        :meth:`from_upscaler`. ``unet_chunk_size`` clips per UNet call (None: all at once); ``adapters``
        as in :class:`SimDAPipeline`."""
        if unet.base_kind != "x4-upscaler":
            raise ValueError("SimDAUpscalePipeline needs a SimDA model built on an x4 upscaler UNet")
        if unet_chunk_size is not None and unet_chunk_size < 1:
            raise ValueError(f"unet_chunk_size must be a positive number of clips, got {unet_chunk_size}")
        super().__init__(vae, text_encoder, tokenizer, unet, scheduler, decode_chunk_size, adapters)
        self.register_modules(low_res_scheduler=low_res_scheduler)
        self.max_noise_level = max_noise_level
        self.unet_chunk_size = unet_chunk_size
        if self.vae.dtype in (torch.float16, torch.bfloat16) and getattr(self.vae.config, "force_upcast", True):
            self.vae.float()  # the x4 VAE overflows in half precision; diffusers' upscale pipeline upcasts it too

    @classmethod
    def from_upscaler(
        cls, model: SimDAUNet, base: UpscalerBase, decode_chunk_size: int = 16, unet_chunk_size: int | None = None
    ) -> SimDAUpscalePipeline:
        """The pipeline on a loaded upscaler base, sampling with the scheduler class its folder names."""
        scheduler = type(base.scheduler).from_config(base.scheduler.config)  # DDIM or DDPM, as configured
        low_res_scheduler = DDPMScheduler.from_config(base.low_res_scheduler.config)
        components = (base.vae, base.text_encoder, base.tokenizer, model, scheduler, low_res_scheduler)
        return cls(*components, base.max_noise_level, decode_chunk_size, unet_chunk_size)

    @property
    def latent_multiple(self) -> int:
        """Low-resolution sizes must divide by this: the UNet halves its feature maps once per level."""
        return 2 ** (len(self.unet.unet.config.block_out_channels) - 1)

    def check(self, settings: UpscaleSettings) -> None:
        """Refuse settings this upscaler cannot run, before any work."""
        if settings.noise_level > self.max_noise_level:
            raise ValueError(f"noise_level {settings.noise_level} exceeds its maximum {self.max_noise_level}")
        multiple = self.latent_multiple
        if settings.height % multiple or settings.width % multiple:
            raise ValueError(
                f"low-resolution {settings.height}x{settings.width} must be a multiple of {multiple} on each side "
                "for this upscaler's UNet"
            )

    def chunk_plan(self, clips: int, settings: UpscaleSettings) -> ChunkPlan:
        halves = 1 if settings.guidance_scale == 1.0 else 2
        per_call = min(self.unet_chunk_size or clips * halves, clips * halves)
        return ChunkPlan(
            clips=clips,
            unet_calls_per_step=math.ceil(clips * halves / per_call),
            clips_per_unet_call=per_call,
            frames=settings.num_frames,
            frames_per_decode=min(self.decode_chunk_size, clips * settings.num_frames),
        )

    def __call__(
        self,
        prompts: Sequence[str],
        low_res_video: np.ndarray | torch.Tensor,
        seeds: Sequence[int],
        settings: UpscaleSettings | None = None,
        progress: bool = False,
    ) -> UpscaleResult:
        """Upscale uint8 clips ``(b, f, h, w, 3)`` to ``(b, f, 4h, 4w, 3)``, clip i guided by ``prompts[i]``."""
        settings = settings or UpscaleSettings()
        video = torch.as_tensor(low_res_video)
        self.check(settings)
        expected = (len(prompts), settings.num_frames, settings.height, settings.width, LOW_RES_CHANNELS)
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds: give one seed per prompt")
        if video.dtype != torch.uint8 or tuple(video.shape) != expected:
            raise ValueError(
                f"the low-resolution video is {video.dtype} {tuple(video.shape)}, expected uint8 {expected} "
                "(clips, frames, height, width, RGB) for these prompts and settings; set UpscaleSettings' "
                "num_frames/height/width to the first stage's"
            )
        plan = self.chunk_plan(len(prompts), settings)
        log.info("super-resolution chunking: %s", plan.describe())
        text, uncond = self._text_conditions(settings, list(prompts))
        generators = [hashed_generator(f"simda-sr:{int(seed)}") for seed in seeds]  # apart from the first stage's
        low_res = frames_to_pixels(video).to(self.device)
        latent_shape = (self.vae.config.latent_channels, *low_res.shape[2:])
        latents = torch.stack([torch.randn(latent_shape, generator=g) for g in generators]).to(self.device)
        augment_noise = torch.stack([torch.randn(low_res.shape[1:], generator=g) for g in generators])
        noise_level = torch.full((len(seeds),), settings.noise_level, dtype=torch.long, device=self.device)
        low_res = noise_augment(low_res, noise_level, augment_noise, self.low_res_scheduler)
        step_kwargs = {"eta": settings.eta} if isinstance(self.scheduler, DDIMScheduler) else {}
        hook = LowResConditioning(
            self, step_kwargs, self.unet, low_res=low_res, noise_level=noise_level, generators=generators
        )
        return UpscaleResult(self.decode(self.denoise(latents, text, uncond, settings, progress, hook=hook)), plan)


@dataclass(kw_only=True)
class LowResConditioning(TextConditioning):
    """Super-resolution: the UNet also sees the noise-augmented low-resolution video and its noise level;
    the UNet runs in chunks of whole clips, and each clip steps with its own generator (DDPM's noise)."""

    low_res: torch.Tensor
    noise_level: torch.Tensor
    generators: list[torch.Generator]
    label: str = "upscaling"

    def predict(
        self, latents: torch.Tensor, t: torch.Tensor, text: torch.Tensor, uncond: torch.Tensor | None, scale: float
    ) -> torch.Tensor:
        sample = torch.cat([self.pipe.scheduler.scale_model_input(latents, t), self.low_res], dim=1)  # per frame
        context, labels = text, self.noise_level
        if uncond is not None:
            sample, context, labels = torch.cat([sample, sample]), torch.cat([uncond, text]), labels.repeat(2)
        chunk = self.pipe.unet_chunk_size or sample.shape[0]
        outputs = [
            self.denoiser(s.to(self.pipe.unet.dtype), t, c, class_labels=n).float()
            for s, c, n in zip(sample.split(chunk), context.split(chunk), labels.split(chunk), strict=True)
        ]
        return guided(torch.cat(outputs), uncond is not None, scale)

    def step(self, output: torch.Tensor, t: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        steps = [
            self.pipe.scheduler.step(output[i : i + 1], t, latents[i : i + 1], generator=g, **self.step_kwargs)
            for i, g in enumerate(self.generators)
        ]  # clip by clip, so a DDPM step's noise comes from each clip's own generator
        return torch.cat([step.prev_sample for step in steps])


def generate_two_stage(
    first: SimDAPipeline,
    second: SimDAUpscalePipeline,
    prompts: Sequence[str],
    seeds: Sequence[int],
    settings: GenerationSettings | None = None,
    sr_settings: UpscaleSettings | None = None,
    progress: bool = False,
) -> UpscaleResult:
    """Text -> ``settings``-sized video (SimDA) -> 4x larger video (SimDA upscaler), one seed per prompt; every
    mismatch between the two stages is refused before the first stage starts."""
    settings = settings or GenerationSettings()
    sr_settings = sr_settings or UpscaleSettings()
    first_shape = (settings.num_frames, settings.height, settings.width)
    second_shape = (sr_settings.num_frames, sr_settings.height, sr_settings.width)
    if first_shape != second_shape:
        raise ValueError(
            f"the first stage makes {first_shape} (frames, height, width) but the upscaler is set for {second_shape}; "
            "give UpscaleSettings the first stage's num_frames, height and width"
        )
    second.check(sr_settings)  # the prompts and seeds are checked by first.generate, before it starts
    return second(prompts, first.generate(prompts, seeds, settings, progress), seeds, sr_settings, progress)
