"""Text-to-video with SimDA: prompts -> text encoder -> SimDA UNet under DDIM with
classifier-free guidance -> VAE decode.

One pipeline, two doors onto the same sampling code (``sample`` then ``decode_latents``):

* ``pipe(prompt=..., num_frames=..., generator=... or seeds=..., output_type=...)``, diffusers'
  ``AnimateDiffPipeline`` idiom, returning ``SimDAPipelineOutput(frames=...)``;
* ``pipe.generate(prompts, seeds, settings)``, the benchmark harness's typed door, returning
  uint8 frames ``(b, f, H, W, 3)``.

With ``seeds``, each prompt's starting noise is drawn on the CPU from its own seed alone, so a
prompt's video does not depend on the device, on the batch it shares or on how a benchmark was
split over processes. With a ``generator`` the noise follows diffusers' semantics instead.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import PIL.Image
import torch
from diffusers import AutoencoderKL, DDIMScheduler, DiffusionPipeline
from diffusers.callbacks import MultiPipelineCallbacks, PipelineCallback
from diffusers.schedulers.scheduling_utils import SchedulerMixin
from diffusers.utils import BaseOutput
from diffusers.utils.torch_utils import randn_tensor
from diffusers.video_processor import VideoProcessor
from tqdm.auto import tqdm
from transformers import CLIPTextModel, CLIPTokenizer

from metrics.progress import progress_bar
from simda.model.base import BaseModel, load_stable_diffusion
from simda.model.checkpoint import SimDAAdapters, load_adapter_checkpoint
from simda.model.config import SimDAConfig
from simda.model.video_unet import SimDAUNet
from simda.settings import GenerationSettings

log = logging.getLogger(__name__)
OUTPUT_TYPES = ("pil", "np", "pt", "latent")
StepCallback = Callable[..., dict[str, Any]]


@dataclass
class SimDAPipelineOutput(BaseOutput):
    """``frames``: per prompt, a list of PIL images ("pil"), or ``(b, f, H, W, 3)`` floats in [0, 1]
    ("np"), or ``(b, f, 3, H, W)`` floats in [0, 1] ("pt"), or the latents ``(b, c, f, h, w)`` ("latent")."""

    frames: torch.Tensor | np.ndarray | list[list[PIL.Image.Image]]


def hashed_generator(key: str) -> torch.Generator:
    """A CPU generator seeded by sha256(``key``): the same in every process, apart from every other key's."""
    return torch.Generator().manual_seed(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little"))


def guided(output: torch.Tensor, guided_by_text: bool, scale: float) -> torch.Tensor:
    """Classifier-free guidance of a batch whose first half is unconditional (``guided_by_text``), else as is."""
    if not guided_by_text:
        return output
    output_uncond, output_text = output.chunk(2)
    return output_uncond + scale * (output_text - output_uncond)


class DenoisingHook(Protocol):
    """What one denoising loop asks of its conditioning: the guided prediction at ``t`` and the step."""

    label: str

    def predict(
        self, latents: torch.Tensor, t: torch.Tensor, text: torch.Tensor, uncond: torch.Tensor | None, scale: float
    ) -> torch.Tensor: ...

    def step(self, output: torch.Tensor, t: torch.Tensor, latents: torch.Tensor) -> torch.Tensor: ...


@dataclass
class TextConditioning:
    """Text-to-video: the video UNet on the latents and the prompt embeddings, one scheduler step for the batch."""

    pipe: SimDAPipeline
    step_kwargs: dict[str, float]
    denoiser: Callable[..., torch.Tensor]  # the pipeline's UNet, or its torch.compile wrapper (--compile-unet)
    label: str = "denoising"

    def predict(
        self, latents: torch.Tensor, t: torch.Tensor, text: torch.Tensor, uncond: torch.Tensor | None, scale: float
    ) -> torch.Tensor:
        context = text if uncond is None else torch.cat([uncond, text])
        model_in = latents if uncond is None else torch.cat([latents, latents])
        model_in = self.pipe.scheduler.scale_model_input(model_in, t).to(self.pipe.unet.dtype)
        return guided(self.denoiser(model_in, t, context).float(), uncond is not None, scale)

    def step(self, output: torch.Tensor, t: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        return self.pipe.scheduler.step(output, t, latents, **self.step_kwargs).prev_sample


class SimDAPipeline(DiffusionPipeline):
    """Generates clips from prompts; also encodes clips to latents (for training and editing).

    A diffusers ``DiffusionPipeline``: ``.to()``, ``enable_model_cpu_offload()`` (needs
    accelerate), ``set_progress_bar_config()`` and ``components`` come from there.
    """

    model_cpu_offload_seq = "text_encoder->unet->vae"
    _callback_tensor_inputs = ["latents", "prompt_embeds", "negative_prompt_embeds"]

    def __init__(
        self,
        vae: AutoencoderKL,
        text_encoder: CLIPTextModel,
        tokenizer: CLIPTokenizer,
        unet: SimDAUNet,
        scheduler: SchedulerMixin,
        decode_chunk_size: int = 16,
    ) -> None:
        super().__init__()
        self.register_modules(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler)
        self.decode_chunk_size = decode_chunk_size
        self._compiled_unets: dict[int, torch.nn.Module] = {}  # id of the UNet -> its torch.compile wrapper
        self.video_processor = VideoProcessor(do_resize=False, vae_scale_factor=self.vae_scale_factor)
        self._interrupt = False

    @classmethod
    def from_base(cls, base: BaseModel, model: SimDAUNet, decode_chunk_size: int = 16) -> SimDAPipeline:
        """The pipeline on an already loaded base, sampling with DDIM (the paper's sampler)."""
        scheduler = DDIMScheduler.from_config(base.scheduler.config)
        return cls(base.vae, base.text_encoder, base.tokenizer, model, scheduler, decode_chunk_size)

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls,
        pretrained_model_name_or_path: str | Path,
        adapters: SimDAAdapters | str | Path | None = None,
        torch_dtype: torch.dtype = torch.float32,
        decode_chunk_size: int = 16,
    ) -> SimDAPipeline:
        """SimDA on a local Stable Diffusion folder (diffusers layout); nothing is downloaded.

        ``adapters`` is a ``SimDAAdapters``, an adapter folder, or an older ``.safetensors``
        checkpoint; ``None`` gives freshly initialised (untrained) adapters, for training.
        Everything loads on the CPU; move it with ``.to("cuda")`` or ``enable_model_cpu_offload()``.
        """
        base = load_stable_diffusion(pretrained_model_name_or_path, "cpu", torch_dtype)
        if adapters is None:
            log.warning("no adapters given: the SimDA adapters are freshly initialised (untrained)")
            model = SimDAUNet(base.unet, SimDAConfig()).eval()
        else:
            if not isinstance(adapters, SimDAAdapters):
                adapters = load_adapter_checkpoint(adapters)
            model = adapters.attach(base.unet)
        return cls.from_base(base, model, decode_chunk_size)

    @property
    def vae_scale_factor(self) -> int:
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def interrupt(self) -> bool:
        """Set ``pipe._interrupt = True`` in a step callback to stop denoising after that step."""
        return self._interrupt

    def enable_vae_slicing(self) -> None:
        """Decode one frame at a time (diffusers' pipeline method, which 0.42 moved onto the VAE)."""
        self.vae.enable_slicing()

    def disable_vae_slicing(self) -> None:
        self.vae.disable_slicing()

    # -- the shared sampling code ---------------------------------------------------------------
    @torch.no_grad()
    def encode_prompts(self, prompts: Sequence[str]) -> torch.Tensor:
        """CLIP text embeddings ``(b, 77, d)``, padded to the tokenizer's maximum as SD does.

        A prompt longer than the text encoder reads is cut, as in Stable Diffusion, with a warning
        saying what was cut. ``no_grad`` rather than ``inference_mode``: training feeds these
        tensors into a graph.
        """
        limit = self.tokenizer.model_max_length
        for index, ids in enumerate(self.tokenizer(list(prompts), verbose=False).input_ids):
            if len(ids) > limit:
                cut = self.tokenizer.decode(ids[limit - 1 : -1])
                log.warning(
                    "prompt %d has %d tokens but the text encoder reads %d; cut from its end: %r",
                    index,
                    len(ids),
                    limit,
                    cut,
                )
        tokens = self.tokenizer(
            list(prompts), padding="max_length", max_length=limit, truncation=True, return_tensors="pt"
        )
        return self.text_encoder(tokens.input_ids.to(self._execution_device))[0].to(self.unet.dtype)

    def latent_shape(self, settings: GenerationSettings) -> tuple[int, int, int, int]:
        """One clip's latent shape ``(c, f, h, w)``; height and width must be positive multiples of the VAE factor."""
        factor = self.vae_scale_factor
        if settings.height < factor or settings.width < factor or settings.height % factor or settings.width % factor:
            raise ValueError(
                f"height and width must be positive multiples of {factor}, got {settings.height}x{settings.width}"
            )
        if settings.num_frames < 1:
            raise ValueError(f"num_frames must be at least 1, got {settings.num_frames}")
        channels = self.unet.unet.config.in_channels
        return channels, settings.num_frames, settings.height // factor, settings.width // factor

    def initial_noise(self, seeds: Sequence[int], settings: GenerationSettings) -> torch.Tensor:
        """Starting latents ``(b, c, f, h, w)``, each clip drawn on the CPU from its own seed."""
        shape = self.latent_shape(settings)
        noise = [torch.randn(shape, generator=torch.Generator().manual_seed(int(seed))) for seed in seeds]
        return torch.stack(noise).to(self._execution_device)

    @torch.inference_mode()
    def denoise(
        self,
        latents: torch.Tensor,
        text: torch.Tensor,
        uncond: torch.Tensor | None,
        settings: GenerationSettings,
        progress: bool | None = False,
        callback: StepCallback | None = None,
        callback_inputs: Sequence[str] = (),
        hook: DenoisingHook | None = None,
    ) -> torch.Tensor:
        """Run the scheduler from ``latents``; ``uncond=None`` switches classifier-free guidance off.

        The one denoising loop of text-to-video and super-resolution: ``hook`` (default: this
        pipeline's text conditioning) makes each step's guided prediction and scheduler step, so the
        upscaler adds its low-resolution video and per-clip noise without a loop of its own.
        ``progress=None`` follows ``set_progress_bar_config``. ``callback(pipe, i, t, tensors)``
        runs after each step, as diffusers' ``callback_on_step_end`` does: it receives the tensors
        named in ``callback_inputs``, may return replacements, and may set ``pipe._interrupt``.
        """
        if hook is None:  # text-to-video; the upscaler brings its own hook
            denoiser = self._compiled_unet() if settings.compile_unet else self.unet
            hook = TextConditioning(self, self._step_kwargs(settings.eta), denoiser)
        device = self._execution_device
        self.scheduler.set_timesteps(settings.num_inference_steps, device=device)
        latents = latents.to(device).float() * self.scheduler.init_noise_sigma
        self._interrupt = False
        timesteps = self.scheduler.timesteps
        with self._progress_bar(len(timesteps), progress, hook.label) as bar:
            for index, t in enumerate(timesteps):
                if self._interrupt:
                    break
                latents = hook.step(hook.predict(latents, t, text, uncond, settings.guidance_scale), t, latents)
                if callback is not None:
                    current = {"latents": latents, "prompt_embeds": text, "negative_prompt_embeds": uncond}
                    returned = callback(self, index, t, {name: current[name] for name in callback_inputs})
                    latents = returned.get("latents", latents)
                    text = returned.get("prompt_embeds", text)
                    uncond = returned.get("negative_prompt_embeds", uncond)
                bar.update()
        return latents

    def _compiled_unet(self) -> torch.nn.Module:
        """The UNet under ``torch.compile``, built once per UNet (compiling happens on its first call)."""
        key = id(self.unet)
        if key not in self._compiled_unets:
            self._compiled_unets = {key: torch.compile(self.unet, dynamic=False)}
        return self._compiled_unets[key]

    def _step_kwargs(self, eta: float) -> dict[str, float]:
        """``eta`` for schedulers that take it (DDIM); refused, rather than ignored, for others."""
        if "eta" in inspect.signature(self.scheduler.step).parameters:
            return {"eta": eta}
        if eta != 0.0:
            raise ValueError(f"eta={eta} needs a DDIM scheduler; {type(self.scheduler).__name__} has no eta")
        return {}

    def _progress_bar(self, total: int, progress: bool | None, label: str = "denoising") -> tqdm:
        if progress is None:
            return self.progress_bar(total=total)
        return progress_bar(total=total, desc=label, disable=not progress, leave=False)

    def sample(
        self,
        prompts: Sequence[str],
        noise: torch.Tensor,
        settings: GenerationSettings,
        negative_prompts: Sequence[str] | None = None,
        progress: bool | None = False,
        callback: StepCallback | None = None,
        callback_inputs: Sequence[str] = (),
    ) -> torch.Tensor:
        """Denoised latents for ``prompts`` from ``noise``; both doors come through here."""
        text = self.encode_prompts(prompts)
        uncond = None
        if settings.guidance_scale != 1.0:
            uncond = self.encode_prompts(negative_prompts or [settings.negative_prompt] * len(prompts))
        return self.denoise(noise, text, uncond, settings, progress, callback, callback_inputs)

    @torch.inference_mode()
    def decode_latents(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents ``(b, c, f, h, w)`` to float pixels ``(b, 3, f, H, W)`` in about [-1, 1], a few frames at a time."""
        batch, _, frames = latents.shape[:3]
        folded = latents.transpose(1, 2).flatten(0, 1) / self.vae.config.scaling_factor
        images = [
            self.vae.decode(chunk.to(self.vae.dtype)).sample.float() for chunk in folded.split(self.decode_chunk_size)
        ]
        video = torch.cat(images)
        return video.view(batch, frames, *video.shape[1:]).transpose(1, 2)

    def decode(self, latents: torch.Tensor) -> np.ndarray:
        """Latents ``(b, c, f, h, w)`` to uint8 frames ``(b, f, H, W, 3)``."""
        video = self.decode_latents(latents).clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)
        return video.permute(0, 2, 3, 4, 1).cpu().numpy()

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

    # -- the two doors ----------------------------------------------------------------------------
    def generate(
        self,
        prompts: Sequence[str],
        seeds: Sequence[int],
        settings: GenerationSettings | None = None,
        progress: bool = False,
    ) -> np.ndarray:
        """The harness's door: one clip per prompt as uint8 ``(b, f, H, W, 3)``; ``seeds[i]`` alone decides clip i."""
        settings = settings or GenerationSettings()
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds: give one seed per prompt")
        return self.decode(self.sample(prompts, self.initial_noise(seeds, settings), settings, progress=progress))

    def __call__(
        self,
        prompt: str | list[str],
        num_frames: int = 16,
        height: int | None = None,
        width: int | None = None,
        num_inference_steps: int = 50,
        guidance_scale: float = 7.5,
        negative_prompt: str | list[str] | None = None,
        eta: float = 0.0,
        generator: torch.Generator | list[torch.Generator] | None = None,
        seeds: Sequence[int] | None = None,
        latents: torch.Tensor | None = None,
        output_type: str = "pil",
        return_dict: bool = True,
        callback_on_step_end: StepCallback | PipelineCallback | MultiPipelineCallbacks | None = None,
        callback_on_step_end_tensor_inputs: Sequence[str] = ("latents",),
    ) -> SimDAPipelineOutput | tuple[Any]:
        """diffusers' door, with ``AnimateDiffPipeline``'s argument names.

        Starting noise: ``seeds`` (one per prompt, each drawn on the CPU from its own seed, as the
        harness does), or ``latents``, or diffusers' ``generator`` (or the global RNG): give at
        most one. ``height``/``width`` default to the UNet's sample size times the VAE factor.
        ``guidance_scale=1`` switches classifier-free guidance off.
        """
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        if not prompts:
            raise ValueError("prompt is empty: give a prompt or a list of prompts")
        if sum(source is not None for source in (generator, seeds, latents)) > 1:
            raise ValueError("give at most one of generator, seeds and latents: each decides the starting noise")
        if output_type not in OUTPUT_TYPES:
            raise ValueError(f"output_type {output_type!r} is not one of {OUTPUT_TYPES}")
        if isinstance(callback_on_step_end, (PipelineCallback, MultiPipelineCallbacks)):
            callback_on_step_end_tensor_inputs = callback_on_step_end.tensor_inputs
        unknown = sorted(set(callback_on_step_end_tensor_inputs) - set(self._callback_tensor_inputs))
        if unknown:
            raise ValueError(f"callback_on_step_end_tensor_inputs {unknown} are not in {self._callback_tensor_inputs}")
        default_size = self.unet.unet.config.sample_size * self.vae_scale_factor
        settings = GenerationSettings(
            num_frames=num_frames,
            height=default_size if height is None else height,
            width=default_size if width is None else width,
            num_inference_steps=num_inference_steps,
            guidance_scale=guidance_scale,
            eta=eta,
        )
        shape = (len(prompts), *self.latent_shape(settings))
        if seeds is not None:
            if len(seeds) != len(prompts):
                raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds: give one seed per prompt")
            noise = self.initial_noise(seeds, settings)
        elif latents is not None:
            if tuple(latents.shape) != shape:
                raise ValueError(f"latents must be shaped {shape} (b, c, f, h, w), got {tuple(latents.shape)}")
            noise = latents
        else:
            noise = randn_tensor(shape, generator=generator, device=self._execution_device, dtype=torch.float32)
        denoised = self.sample(
            prompts,
            noise,
            settings,
            negative_prompts=_one_per_prompt(negative_prompt, len(prompts)),
            progress=None,
            callback=callback_on_step_end,
            callback_inputs=callback_on_step_end_tensor_inputs,
        )
        if output_type == "latent":
            frames: Any = denoised
        else:
            frames = self.video_processor.postprocess_video(self.decode_latents(denoised), output_type=output_type)
        self.maybe_free_model_hooks()
        return SimDAPipelineOutput(frames=frames) if return_dict else (frames,)


def _one_per_prompt(negative_prompt: str | list[str] | None, count: int) -> list[str]:
    if negative_prompt is None or isinstance(negative_prompt, str):
        return [negative_prompt or ""] * count
    if len(negative_prompt) != count:
        raise ValueError(f"{count} prompts but {len(negative_prompt)} negative prompts: give one, or one per prompt")
    return list(negative_prompt)
