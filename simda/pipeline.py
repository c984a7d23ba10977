"""Text-to-video with SimDA: prompts -> text encoder -> SimDA UNet under DDIM with
classifier-free guidance -> VAE decode, through diffusers' ``__call__`` (``AnimateDiffPipeline``'s
arguments) or the harness's ``generate``, both over ``denoise`` and ``decode_latents``.

With ``seeds``, each prompt's starting noise is drawn on the CPU from its own seed alone, so a
prompt's video does not depend on the device, on the batch it shares or on how a benchmark was
split over processes. With a ``generator`` the noise follows diffusers' semantics instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import torch
from diffusers import AutoencoderKL, DDIMScheduler, DiffusionPipeline, UNet2DConditionModel
from diffusers.callbacks import MultiPipelineCallbacks, PipelineCallback
from diffusers.schedulers.scheduling_utils import SchedulerMixin
from diffusers.utils import BaseOutput
from diffusers.utils.torch_utils import get_device, randn_tensor
from diffusers.video_processor import VideoProcessor
from transformers import CLIPTextModel, CLIPTokenizer

from metrics.progress import progress_bar
from simda.model.base import BaseModel, load_stable_diffusion
from simda.model.checkpoint import SimDAAdapters, load_adapter_checkpoint
from simda.model.config import SimDAConfig
from simda.model.video_unet import SimDAUNet
from simda.pretrained import SD_SUBFOLDERS, local_folder, require_subfolders
from simda.settings import GenerationSettings, UpscaleSettings

log = logging.getLogger(__name__)
OUTPUT_TYPES = ("pil", "np", "pt", "latent")
StepCallback = Callable[..., dict[str, Any]]
#: The file ``save_pretrained`` writes beside ``model_index.json`` so that diffusers' own
#: ``DiffusionPipeline.from_pretrained(folder, trust_remote_code=True)`` finds this class: diffusers
#: looks a pipeline class up in diffusers unless ``_class_name`` names a file in the folder.
PIPELINE_FILE = "simda_pipeline.py"
PIPELINE_FILE_TEXT = '''"""SimDA's pipeline class, for diffusers' generic loader:

    DiffusionPipeline.from_pretrained(folder, trust_remote_code=True)

The class itself comes from the installed simda package; nothing else runs.
"""

from simda.pipeline import SimDAPipeline

__all__ = ["SimDAPipeline"]
'''
TEXT_ONLY = "SimDA is conditioned on text alone: its UNet has no IP-Adapter image projection to feed"
#: AnimateDiffPipeline's call arguments that do not apply to SimDA, and why.
UNSUPPORTED_ARGUMENTS = {
    "ip_adapter_image": f"{TEXT_ONLY} an image prompt to",
    "ip_adapter_image_embeds": f"{TEXT_ONLY} image embeddings to",
    "callback": "diffusers deprecated it; pass callback_on_step_end, called as callback(pipe, step, timestep, tensors)",
    "callback_steps": "diffusers deprecated it with callback; callback_on_step_end runs after every step",
}


def seeded_noise(shape: Sequence[int], seeds: Sequence[int]) -> torch.Tensor:
    """Starting latents ``(b, *shape)``, each clip's drawn on the CPU from its own seed alone.

    On the CPU, so the noise is the same on every device; per seed, so a clip's noise does not depend
    on the batch it shares (SimDA and the diffusers pipelines a benchmark compares start from the same draws).
    """
    return torch.stack([torch.randn(tuple(shape), generator=torch.Generator().manual_seed(int(s))) for s in seeds])


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


@dataclass
class TextConditioning:
    """What one denoising loop asks of its conditioning, the guided prediction at ``t`` and the step: here
    text-to-video's (one scheduler step for the batch), which the upscaler's ``LowResConditioning`` extends."""

    pipe: SimDAPipeline
    step_kwargs: dict[str, float]
    denoiser: Callable[..., torch.Tensor]  # the pipeline's UNet, or its torch.compile wrapper (--compile-unet)
    cross_attention_kwargs: dict[str, Any] | None = None  # diffusers' attention-processor arguments
    label: str = "denoising"

    def predict(
        self, latents: torch.Tensor, t: torch.Tensor, text: torch.Tensor, uncond: torch.Tensor | None, scale: float
    ) -> torch.Tensor:
        context = text if uncond is None else torch.cat([uncond, text])
        model_in = latents if uncond is None else torch.cat([latents, latents])
        model_in = self.pipe.scheduler.scale_model_input(model_in, t).to(self.pipe.unet.dtype)
        kwargs = {"cross_attention_kwargs": self.cross_attention_kwargs} if self.cross_attention_kwargs else {}
        return guided(self.denoiser(model_in, t, context, **kwargs).float(), uncond is not None, scale)

    def step(self, output: torch.Tensor, t: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        return self.pipe.scheduler.step(output, t, latents, **self.step_kwargs).prev_sample


class SimDAPipeline(DiffusionPipeline):
    """Generates clips from prompts; also encodes clips to latents (for training and editing).

    A diffusers ``DiffusionPipeline``: ``.to()``, CPU offloading (``pip install simda[offload]``: it needs
    accelerate), ``set_progress_bar_config()`` and ``components`` come from there.

    ``unet`` is the SimDA video UNet, or a diffusers ``UNet2DConditionModel`` that ``adapters`` (or, without them,
    freshly initialised adapters) turn into one; the adapters then live inside ``unet``, and the ``adapters``
    component is filled only while :meth:`save_pretrained` writes them as their own model folder.
    """

    model_cpu_offload_seq = "text_encoder->unet->vae"
    _optional_components = ["adapters"]
    _callback_tensor_inputs = ["latents", "prompt_embeds", "negative_prompt_embeds"]

    def __init__(
        self,
        vae: AutoencoderKL,
        text_encoder: CLIPTextModel,
        tokenizer: CLIPTokenizer,
        unet: SimDAUNet | UNet2DConditionModel,
        scheduler: SchedulerMixin,
        decode_chunk_size: int = 16,
        adapters: SimDAAdapters | None = None,
    ) -> None:
        super().__init__()
        if decode_chunk_size < 1:
            raise ValueError(f"decode_chunk_size must be a positive number of frames, got {decode_chunk_size}")
        if adapters is not None:
            unet = adapters.attach(unet)
        elif not isinstance(unet, SimDAUNet):
            log.warning("no adapters given: the SimDA adapters are freshly initialised (untrained)")
            unet = SimDAUNet(unet, SimDAConfig()).eval()
        self.register_modules(
            vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler, adapters=None
        )
        self.register_to_config(decode_chunk_size=decode_chunk_size)
        self.decode_chunk_size = decode_chunk_size
        self._compiled_unets: dict[int, torch.nn.Module] = {}  # id of the UNet -> its torch.compile wrapper
        self.vae_scale_factor = 2 ** (len(vae.config.block_out_channels) - 1)
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
        torch_dtype: torch.dtype | None = None,
        decode_chunk_size: int | None = None,
        cache_dir: str | Path | None = None,
        dtype: torch.dtype | None = None,
        motion_adapter: SimDAAdapters | None = None,
        **kwargs: Any,
    ) -> SimDAPipeline:
        """SimDA from a folder (``save_pretrained``'s, read by diffusers' loader with ``kwargs`` such as ``variant``,
        or Stable Diffusion's) or a Hub id in the local Hugging Face cache; nothing is downloaded, all loads on the CPU.

        ``adapters`` (``motion_adapter`` in AnimateDiff's examples) replaces a saved pipeline's own; ``None`` on a
        Stable Diffusion folder gives freshly initialised (untrained) adapters. ``dtype`` and ``torch_dtype``
        (AnimateDiff's spelling) mean the same; float32 if neither.
        """
        if motion_adapter is not None:
            if adapters is not None:
                raise ValueError("give adapters or motion_adapter (AnimateDiff's name for it), not both")
            adapters = motion_adapter
        dtype = dtype or torch_dtype or torch.float32
        folder = local_folder(pretrained_model_name_or_path, "pretrained_model_name_or_path", cache_dir)
        if adapters is not None and not isinstance(adapters, SimDAAdapters):
            adapters = load_adapter_checkpoint(adapters, "adapters")
        chunk = {} if decode_chunk_size is None else {"decode_chunk_size": decode_chunk_size}
        index = folder / "model_index.json"  # save_pretrained's index names the adapters; SD's does not
        if index.is_file() and (json.loads(index.read_text()).get("adapters") or [None])[0] is not None:
            passed = chunk if adapters is None else {**chunk, "adapters": adapters}
            return super().from_pretrained(folder, dtype=dtype, **passed, **kwargs)
        if kwargs:
            raise TypeError(
                f"{sorted(kwargs)} apply to a folder written by SimDAPipeline.save_pretrained; "
                f"{folder} is a Stable Diffusion folder, which SimDA reads as it is"
            )
        require_subfolders(
            folder,
            "pretrained_model_name_or_path",
            SD_SUBFOLDERS,
            "a saved SimDA pipeline or a Stable Diffusion folder",
            "pass pretrained_model_name_or_path a folder written by SimDAPipeline.save_pretrained, or a Stable "
            "Diffusion folder holding unet/, vae/, text_encoder/, tokenizer/ and scheduler/ (or its Hub id)",
        )
        base = load_stable_diffusion(folder, "cpu", dtype, "pretrained_model_name_or_path")
        scheduler = DDIMScheduler.from_config(base.scheduler.config)
        return cls(base.vae, base.text_encoder, base.tokenizer, base.unet, scheduler, adapters=adapters, **chunk)

    @classmethod
    def load_config(cls, *args: Any, **kwargs: Any) -> Any:
        """diffusers' ``load_config``, reading the :data:`PIPELINE_FILE` that a saved folder's ``_class_name``
        names for diffusers' generic loader as this class, already known: no code from the folder runs."""
        loaded = super().load_config(*args, **kwargs)
        config = loaded[0] if isinstance(loaded, tuple) else loaded
        if isinstance(config.get("_class_name"), list):
            config["_class_name"] = config["_class_name"][1]
        return loaded

    def save_pretrained(self, save_directory: str | os.PathLike, *args: Any, **kwargs: Any) -> None:
        """diffusers' ``save_pretrained``, ``unet/`` holding the frozen base as diffusers' own ``UNet2DConditionModel``
        and ``adapters/`` the adapters as their own model folder (what ``simda.train`` writes): the folder is also a
        Stable Diffusion folder for ``--base``, and reloads with ``from_pretrained`` or, through
        :data:`PIPELINE_FILE`, with diffusers' generic loader."""
        video_unet = self.unet
        self.register_modules(unet=video_unet.unadapted(), adapters=SimDAAdapters.from_model(video_unet))
        try:
            super().save_pretrained(save_directory, *args, **kwargs)
        finally:
            self.register_modules(unet=video_unet, adapters=None)
        folder = Path(save_directory)
        (folder / PIPELINE_FILE).write_text(PIPELINE_FILE_TEXT)
        index = json.loads((folder / "model_index.json").read_text())
        index["_class_name"] = [Path(PIPELINE_FILE).stem, type(self).__name__]
        (folder / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")

    def default_settings(self) -> GenerationSettings:
        """The paper's settings at the UNet's natural size, sample size times the VAE factor as in diffusers (512x512
        for SD 1.5; the presets choose the paper's 256x256): what ``generate()`` and ``__call__`` use unless given."""
        size = self.unet.unet.config.sample_size
        height, width = (size, size) if isinstance(size, int) else size
        factor = self.vae_scale_factor
        return dataclasses.replace(GenerationSettings(), height=height * factor, width=width * factor)

    @property
    def interrupt(self) -> bool:
        """Set ``pipe._interrupt = True`` in a step callback to stop denoising after that step."""
        return self._interrupt

    def enable_model_cpu_offload(self, gpu_id: int | None = None, device: torch.device | str | None = None) -> None:
        """diffusers' method (needs ``pip install simda[offload]``); on a machine without an accelerator,
        and no ``device`` given, it says so and leaves the models where they are (diffusers raises)."""
        if _offload_target(device):
            super().enable_model_cpu_offload(gpu_id=gpu_id, device=device)

    def enable_sequential_cpu_offload(
        self, gpu_id: int | None = None, device: torch.device | str | None = None
    ) -> None:
        """diffusers' method (needs ``pip install simda[offload]``); without an accelerator, as above."""
        if _offload_target(device):
            super().enable_sequential_cpu_offload(gpu_id=gpu_id, device=device)

    def enable_vae_slicing(self) -> None:
        """Decode one frame at a time (diffusers' pipeline method, which 0.42 moved onto the VAE)."""
        self.vae.enable_slicing()

    def disable_vae_slicing(self) -> None:
        self.vae.disable_slicing()

    @torch.no_grad()
    def encode_prompts(self, prompts: Sequence[str], clip_skip: int | None = None) -> torch.Tensor:
        """CLIP text embeddings ``(b, 77, d)``, padded to the tokenizer's maximum and a longer prompt cut (with a
        warning saying what), as in Stable Diffusion; ``clip_skip=k`` takes layer ``k`` before the last through the
        final layer norm, as diffusers does. ``no_grad``, not ``inference_mode``: training feeds these into a graph.
        """
        limit = self.tokenizer.model_max_length
        for index, ids in enumerate(self.tokenizer(list(prompts), verbose=False).input_ids):
            if len(ids) > limit:
                message = "prompt %d has %d tokens but the text encoder reads %d; cut from its end: %r"
                log.warning(message, index, len(ids), limit, self.tokenizer.decode(ids[limit - 1 : -1]))
        ids = self.tokenizer(
            list(prompts), padding="max_length", max_length=limit, truncation=True, return_tensors="pt"
        ).input_ids.to(self._execution_device)
        if clip_skip is None:
            return self.text_encoder(ids)[0].to(self.unet.dtype)
        layers = self.text_encoder.config.num_hidden_layers
        if not 0 <= clip_skip < layers:
            raise ValueError(
                f"clip_skip must lie in 0..{layers - 1} (the text encoder has {layers} layers): {clip_skip}"
            )
        hidden = self.text_encoder(ids, output_hidden_states=True).hidden_states[-(clip_skip + 1)]
        text_model = getattr(self.text_encoder, "text_model", self.text_encoder)  # transformers 5 flattened it
        return text_model.final_layer_norm(hidden).to(self.unet.dtype)

    def latent_shape(self, settings: GenerationSettings) -> tuple[int, int, int, int]:
        """One clip's latent shape ``(c, f, h, w)``; height and width must be positive multiples of the VAE factor."""
        factor = self.vae_scale_factor
        if settings.height < factor or settings.width < factor or settings.height % factor or settings.width % factor:
            raise ValueError(
                f"height and width must be positive multiples of {factor}, got {settings.height}x{settings.width}"
            )
        channels = self.unet.unet.config.in_channels
        return channels, settings.num_frames, settings.height // factor, settings.width // factor

    def initial_noise(self, seeds: Sequence[int], settings: GenerationSettings) -> torch.Tensor:
        """Starting latents ``(b, c, f, h, w)`` (:func:`seeded_noise`) on the execution device."""
        return seeded_noise(self.latent_shape(settings), seeds).to(self._execution_device)

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
        hook: TextConditioning | None = None,
        cross_attention_kwargs: dict[str, Any] | None = None,
    ) -> torch.Tensor:
        """Run the scheduler from ``latents``; ``uncond=None`` switches classifier-free guidance off.

        The one denoising loop of text-to-video and super-resolution: ``hook`` (default: this pipeline's
        :class:`TextConditioning`; the upscaler brings its own) makes each step's prediction and scheduler step.
        ``progress=None`` follows ``set_progress_bar_config``. ``callback(pipe, i, t, tensors)`` is diffusers'
        ``callback_on_step_end``: given the ``callback_inputs`` tensors, it may return replacements and set
        ``pipe._interrupt``.
        """
        if hook is None:
            denoiser = self._compiled_unet() if settings.compile_unet else self.unet
            hook = TextConditioning(self, self._step_kwargs(settings.eta), denoiser, cross_attention_kwargs)
        device = self._execution_device
        self.scheduler.set_timesteps(settings.num_inference_steps, device=device)
        latents = latents.to(device).float() * self.scheduler.init_noise_sigma
        self._interrupt = False
        timesteps = self.scheduler.timesteps
        if progress is None:
            bar = self.progress_bar(total=len(timesteps))
        else:
            bar = progress_bar(total=len(timesteps), desc=hook.label, disable=not progress, leave=False)
        with bar:
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

    @torch.inference_mode()
    def decode_latents(self, latents: torch.Tensor, decode_chunk_size: int | None = None) -> torch.Tensor:
        """Latents ``(b, c, f, h, w)`` to float pixels ``(b, 3, f, H, W)`` in about [-1, 1], ``decode_chunk_size``
        frames at a time (default: the pipeline's); fewer need less memory."""
        chunk_size = self.decode_chunk_size if decode_chunk_size is None else decode_chunk_size
        if chunk_size < 1:
            raise ValueError(f"decode_chunk_size must be a positive number of frames, got {chunk_size}")
        batch, _, frames = latents.shape[:3]
        folded = latents.transpose(1, 2).flatten(0, 1) / self.vae.config.scaling_factor
        images = [self.vae.decode(chunk.to(self.vae.dtype)).sample.float() for chunk in folded.split(chunk_size)]
        video = torch.cat(images)
        return video.view(batch, frames, *video.shape[1:]).transpose(1, 2)

    def decode(self, latents: torch.Tensor) -> np.ndarray:
        """Latents ``(b, c, f, h, w)`` to uint8 frames ``(b, f, H, W, 3)``."""
        video = self.decode_latents(latents).clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)
        return video.permute(0, 2, 3, 4, 1).cpu().numpy()

    @torch.no_grad()
    def encode_video(self, frames: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """uint8 frames ``(b, f, H, W, 3)`` to scaled latents ``(b, c, f, h, w)``: with a ``generator`` sampled from the
        VAE posterior (training, as Stable Diffusion was trained), without one its mean (inversion for editing)."""
        batch, num_frames = frames.shape[:2]
        pixels = frames.to(self.vae.device).flatten(0, 1).permute(0, 3, 1, 2).to(self.vae.dtype) / 127.5 - 1
        posteriors = [self.vae.encode(chunk).latent_dist for chunk in pixels.split(self.decode_chunk_size)]
        latents = torch.cat([p.mean if generator is None else p.sample(generator) for p in posteriors])
        latents = latents.float() * self.vae.config.scaling_factor
        return latents.view(batch, num_frames, *latents.shape[1:]).transpose(1, 2)

    def generate(
        self,
        prompts: Sequence[str],
        seeds: Sequence[int],
        settings: GenerationSettings | None = None,
        progress: bool = False,
    ) -> np.ndarray:
        """The harness's door: one clip per prompt as uint8 ``(b, f, H, W, 3)``; ``seeds[i]`` alone decides clip i.
        Without ``settings``, :meth:`default_settings`, as ``__call__``."""
        settings = settings or self.default_settings()
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds: give one seed per prompt")
        noise = self.initial_noise(seeds, settings)
        text, uncond = self._text_conditions(settings, list(prompts))
        return self.decode(self.denoise(noise, text, uncond, settings, progress))

    def __call__(
        self,
        prompt: str | list[str] | None = None,
        num_frames: int | None = None,
        height: int | None = None,
        width: int | None = None,
        num_inference_steps: int | None = None,
        guidance_scale: float | None = None,
        negative_prompt: str | list[str] | None = None,
        num_videos_per_prompt: int = 1,
        eta: float | None = None,
        generator: torch.Generator | list[torch.Generator] | None = None,
        seeds: Sequence[int] | None = None,
        latents: torch.Tensor | None = None,
        prompt_embeds: torch.Tensor | None = None,
        negative_prompt_embeds: torch.Tensor | None = None,
        output_type: str = "pil",
        return_dict: bool = True,
        cross_attention_kwargs: dict[str, Any] | None = None,
        clip_skip: int | None = None,
        callback_on_step_end: StepCallback | PipelineCallback | MultiPipelineCallbacks | None = None,
        callback_on_step_end_tensor_inputs: Sequence[str] = ("latents",),
        decode_chunk_size: int | None = None,
        **unsupported: Any,
    ) -> SimDAPipelineOutput | tuple[Any]:
        """diffusers' door, with ``AnimateDiffPipeline``'s arguments where they apply to SimDA.

        Unset settings come from :meth:`default_settings`. Text: ``prompt`` or ``prompt_embeds`` (and
        ``negative_prompt`` or ``negative_prompt_embeds``); ``clip_skip`` applies to both. Each prompt gives
        ``num_videos_per_prompt`` videos, next to each other. Starting noise: ``seeds`` (one per video, each drawn on
        the CPU from its own seed, as the harness does), or ``latents``, or diffusers' ``generator`` (or the global
        RNG): give at most one. ``guidance_scale=1`` switches classifier-free guidance off. Arguments SimDA cannot
        honour are refused with the reason (:data:`UNSUPPORTED_ARGUMENTS`).
        """
        refused = {name: UNSUPPORTED_ARGUMENTS[name] for name in unsupported if name in UNSUPPORTED_ARGUMENTS}
        if refused:
            raise ValueError("; ".join(f"{name} is not supported: {why}" for name, why in refused.items()))
        if unsupported:
            raise TypeError(f"SimDAPipeline.__call__() got unexpected keyword arguments {sorted(unsupported)}")
        if sum(source is not None for source in (generator, seeds, latents)) > 1:
            raise ValueError("give at most one of generator, seeds and latents: each decides the starting noise")
        if output_type not in OUTPUT_TYPES:
            raise ValueError(f"output_type {output_type!r} is not one of {OUTPUT_TYPES}")
        if num_videos_per_prompt < 1:
            raise ValueError(f"num_videos_per_prompt must be at least 1, got {num_videos_per_prompt}")
        if isinstance(callback_on_step_end, (PipelineCallback, MultiPipelineCallbacks)):
            callback_on_step_end_tensor_inputs = callback_on_step_end.tensor_inputs
        unknown = sorted(set(callback_on_step_end_tensor_inputs) - set(self._callback_tensor_inputs))
        if unknown:
            raise ValueError(f"callback_on_step_end_tensor_inputs {unknown} are not in {self._callback_tensor_inputs}")
        given = {"num_frames": num_frames, "height": height, "width": width, "eta": eta}
        given |= {"num_inference_steps": num_inference_steps, "guidance_scale": guidance_scale}
        settings = self.default_settings().overlay(given)
        text, uncond = self._text_conditions(
            settings, prompt, prompt_embeds, negative_prompt, negative_prompt_embeds, clip_skip
        )
        text = text.repeat_interleave(num_videos_per_prompt, dim=0)
        uncond = None if uncond is None else uncond.repeat_interleave(num_videos_per_prompt, dim=0)
        shape = (text.shape[0], *self.latent_shape(settings))
        if seeds is not None:
            if len(seeds) != shape[0]:
                raise ValueError(
                    f"{len(seeds)} seeds for {shape[0]} videos: give one seed per video "
                    f"(prompts x num_videos_per_prompt = {shape[0]})"
                )
            noise = self.initial_noise(seeds, settings)
        elif latents is not None:
            if tuple(latents.shape) != shape:
                raise ValueError(f"latents must be shaped {shape} (b, c, f, h, w), got {tuple(latents.shape)}")
            noise = latents
        else:
            noise = randn_tensor(shape, generator=generator, device=self._execution_device, dtype=torch.float32)
        denoised = self.denoise(
            noise,
            text,
            uncond,
            settings,
            progress=None,
            callback=callback_on_step_end,
            callback_inputs=callback_on_step_end_tensor_inputs,
            cross_attention_kwargs=cross_attention_kwargs,
        )
        if output_type == "latent":
            frames: Any = denoised
        else:
            pixels = self.decode_latents(denoised, decode_chunk_size)
            frames = self.video_processor.postprocess_video(pixels, output_type=output_type)
        self.maybe_free_model_hooks()
        return SimDAPipelineOutput(frames=frames) if return_dict else (frames,)

    def _text_conditions(
        self,
        settings: GenerationSettings | UpscaleSettings,
        prompt: str | list[str] | None,
        prompt_embeds: torch.Tensor | None = None,
        negative_prompt: str | list[str] | None = None,
        negative_prompt_embeds: torch.Tensor | None = None,
        clip_skip: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The prompt embeddings and, under guidance, the negative ones: encoded here or given (every door's text)."""
        if (prompt is None) == (prompt_embeds is None):
            raise ValueError("give exactly one of prompt and prompt_embeds")
        if prompt_embeds is None:
            prompts = [prompt] if isinstance(prompt, str) else list(prompt)
            if not prompts:
                raise ValueError("prompt is empty: give a prompt or a list of prompts")
            text = self.encode_prompts(prompts, clip_skip)
        else:
            text = prompt_embeds.to(self._execution_device, self.unet.dtype)
        if settings.guidance_scale == 1.0:
            return text, None
        if negative_prompt_embeds is not None:
            if negative_prompt is not None:
                raise ValueError("give at most one of negative_prompt and negative_prompt_embeds")
            if negative_prompt_embeds.shape != text.shape:
                raise ValueError(
                    f"negative_prompt_embeds must be shaped like prompt_embeds {tuple(text.shape)}, "
                    f"got {tuple(negative_prompt_embeds.shape)}"
                )
            return text, negative_prompt_embeds.to(self._execution_device, self.unet.dtype)
        negative = settings.negative_prompt if negative_prompt is None else negative_prompt
        count = text.shape[0]
        if negative is None or isinstance(negative, str):
            negative = [negative or ""] * count
        elif len(negative) != count:
            raise ValueError(f"{count} prompts but {len(negative)} negative prompts: give one, or one per prompt")
        return text, self.encode_prompts(list(negative), clip_skip)


def _offload_target(device: torch.device | str | None) -> bool:
    """Whether offloading has somewhere to run: a ``device`` given, or an accelerator found."""
    if device is None and get_device() == "cpu":
        log.warning("no accelerator found: CPU offloading has nothing to offload to; the models stay on the CPU")
        return False
    return True
