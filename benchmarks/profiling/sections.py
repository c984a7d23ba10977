"""The profile's sections, each a table: what runs, on which inputs, timed in which order.

Each section builds its workloads, times them interleaved (see ``benchmarks.timing``) and returns
a table with every workload's median and its ratio to the section's reference.
"""

from __future__ import annotations

import copy
import functools
import logging
import platform
from dataclasses import dataclass

import diffusers
import pandas as pd
import torch
from torch import nn

from benchmarks.profiling.kernels import count_kernels, kernel_table, kernel_time_table, transformer_blocks
from benchmarks.profiling.models import (
    FLOOR,
    FULL,
    ModelSize,
    floor_contender,
    image_model_per_frame,
    inference_contenders,
    simda_contender,
    simda_variants,
)
from benchmarks.profiling.overlap import time_overlap
from benchmarks.profiling.tables import methods_table, parameter_table, timing_table
from benchmarks.profiling.workloads import (
    CFG_BATCH,
    Shapes,
    forward_backward,
    inference_step,
    peak_memory_gib,
    resident_bytes,
    step_inputs,
    temporal_conv_pair,
    training_step,
)
from benchmarks.timing import Measure, Workload, cuda_clock, interleaved_timings, wall_clock
from simda.model.base import BaseModel
from simda.model.config import SimDAConfig
from simda.model.params import parameter_report
from simda.model.video_unet import SimDAUNet
from simda.pipeline import GenerationSettings, SimDAPipeline
from simda.plumbing.errors import InvalidSetting
from simda.settings import ProfileSettings, TrainSettings
from simda.sr.upscaler import LOW_RES_CHANNELS, UpscalerBase
from simda.training import adapter_optimizer

PROMPT = "a panda playing guitar on times square"

log = logging.getLogger("benchmarks.profile")


class LoggedTables(dict[str, pd.DataFrame]):
    """The profile's tables, each logged the moment its section finishes: a full-size GPU run takes minutes, and
    one cut short (a job's time limit, a later section out of memory) still shows what it measured."""

    def __setitem__(self, name: str, table: pd.DataFrame) -> None:
        super().__setitem__(name, table)
        log.info("== %s ==\n%s", name, table.to_string(index=False))


@dataclass(frozen=True)
class Settings:
    """Everything that decides what the profile measures (all of it goes to MLflow as params)."""

    model_size: ModelSize
    device: torch.device
    dtype: torch.dtype
    shapes: ProfileSettings  # the model size's shapes and repeats under the ones typed on the command line

    @property
    def dtype_name(self) -> str:
        return str(self.dtype).removeprefix("torch.")

    def step_shapes(self, base: BaseModel, batch: int) -> Shapes:
        """``batch`` clips of the profiled frames, as latents of ``base``."""
        latent = self.shapes.size // base.vae_scale_factor
        return Shapes(batch, self.shapes.num_frames, latent, base.unet.config.in_channels)

    def as_params(self, base: BaseModel) -> dict[str, object]:
        shapes = self.shapes.as_params()
        return {
            "preset": self.model_size.name,
            "device": str(self.device),
            "device_name": device_name(self.device),
            "dtype": self.dtype_name,
            "torch": torch.__version__,
            "diffusers": diffusers.__version__,
            "frames": shapes.pop("num_frames"),  # logged as "frames" since the first profile runs
            **shapes,
            "latent_size": self.shapes.size // base.vae_scale_factor,
            "cfg_batch": CFG_BATCH,
            "base": base.source,
            "random_weights": True,
        }


def device_name(device: torch.device) -> str:
    """The hardware in words, for the report: a ratio is only comparable on the same device."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"


def time_video(base: BaseModel, full: SimDAUNet, settings: Settings, clock: Measure) -> pd.DataFrame:
    """Table 1's seconds per video: SimDA's pipeline against the same pipeline on the 2D UNet per frame."""
    shapes = settings.shapes
    generation = GenerationSettings(
        num_frames=shapes.num_frames, height=shapes.size, width=shapes.size, num_inference_steps=shapes.video_steps
    )
    pipelines = {FLOOR: image_model_per_frame(base.unet), FULL: full}
    # text encoding, every DDIM step with guidance, and the VAE decode of one video (seed 0)
    workloads = {
        name: functools.partial(SimDAPipeline.from_base(base, model).generate, [PROMPT], [0], generation)
        for name, model in pipelines.items()
    }
    timings = interleaved_timings(workloads, shapes.video_repeats, min(shapes.warmup, 1), clock)
    return timing_table(timings, FLOOR, unit="s").assign(steps=shapes.video_steps)


def training_variants(variants: dict[str, SimDAUNet], dtype: torch.dtype) -> dict[str, SimDAUNet]:
    """SimDA, SimDA with gradient checkpointing, then the ablations.

    Under half precision the adapters become float32 master weights here, after the inference
    timings, which run them in the base's dtype as deployment would.
    """
    if dtype != torch.float32:  # the frozen base stays in its half dtype
        for param in (param for model in variants.values() for param in model.adapter_parameters()):
            param.data = param.data.float()
    checkpointed = copy.deepcopy(variants[FULL])
    checkpointed.enable_gradient_checkpointing()
    ablations = {name: model for name, model in variants.items() if name != FULL}
    return {FULL: variants[FULL], f"{FULL}_checkpointing": checkpointed, **ablations}


def time_training(
    base: BaseModel, variants: dict[str, SimDAUNet], settings: Settings, clock: Measure
) -> tuple[pd.DataFrame, dict[str, Workload]]:
    """The floor's forward and backward, then a training step (with AdamW) per SimDA variant, timed in one
    rotation, then each one's peak memory; and each step's forward and backward alone (what the kernel count reads).

    At least one warmup round runs, so AdamW's state exists (and counts as resident) before any step is timed.
    """
    shapes = settings.step_shapes(base, 1)
    floor_inputs = step_inputs(floor_contender(base.unet), shapes, settings.device, settings.dtype)
    floor_inputs.sample.requires_grad_(True)
    steps = {FLOOR: training_step(base.unet, floor_inputs, settings.dtype)}
    passes = {FLOOR: steps[FLOOR]}
    trained: dict[str, tuple[nn.Module, torch.optim.Optimizer | None]] = {FLOOR: (base.unet, None)}
    for name, model in training_variants(variants, settings.dtype).items():
        optimizer = adapter_optimizer(model, TrainSettings())  # the paper's learning rate and weight decay
        trained[name] = (model, optimizer)
        inputs = step_inputs(simda_contender(name, model), shapes, settings.device, settings.dtype)
        steps[name] = training_step(model, inputs, settings.dtype, optimizer)
        passes[name] = forward_backward(model, inputs, settings.dtype)
    timings = interleaved_timings(steps, settings.shapes.repeats, max(settings.shapes.warmup, 1), clock)
    peaks = {
        name: peak_memory_gib(step, settings.device, resident_bytes(*trained[name])) for name, step in steps.items()
    }
    return timing_table(timings, FLOOR, peak_gib=peaks), passes


def time_temporal_conv(base: BaseModel, settings: Settings, clock: Measure) -> pd.DataFrame:
    """The depth-wise (3,1,1) conv at the first block's adapter width and the latent size, one clip."""
    channels = int(base.unet.config.block_out_channels[0] * SimDAConfig().temporal_ratio)
    shapes = settings.step_shapes(base, 1)
    frames, latent = shapes.frames, shapes.latent_size
    workloads = temporal_conv_pair(channels, frames, latent, settings.device, settings.dtype)
    timings = interleaved_timings(workloads, settings.shapes.repeats, settings.shapes.warmup, clock)
    return timing_table(timings, "conv3d").assign(shape=f"1x{channels}x{frames}x{latent}x{latent}")


NOISE_LEVEL = 20  # diffusers' default for the x4 upscaler; the step costs the same at any level


def time_sr_step(
    upscaler: UpscalerBase,
    frames: int,
    low_res_size: int,
    device: torch.device,
    dtype: torch.dtype,
    repeats: int,
    warmup: int,
    clock: Measure,
) -> pd.DataFrame:
    """One guided SR denoising step of the image upscaler per frame (the floor) and of SimDA, interleaved.

    The x4 upscaler's latents have the size of the low-resolution frames, so a 16x256x256 input means 16
    frames of 256x256 latents per clip, 64 times the first stage's 32x32: expect this step, not the first
    stage, to dominate a two-stage video. Both models are built on their own copies of ``upscaler.unet``,
    which must be the plain 2D UNet (timing does not depend on adapter weights, so no checkpoint is needed).
    Returns ``timing_table``'s columns and the stage, frame count, input and output resolution.
    """
    if low_res_size % 2 ** (len(upscaler.unet.config.block_out_channels) - 1):
        raise ValueError(f"low-resolution size {low_res_size} does not fit the upscaler's UNet levels")
    models = {
        FLOOR: image_model_per_frame(upscaler.unet),
        FULL: SimDAUNet(copy.deepcopy(upscaler.unet), SimDAConfig()).eval(),
    }
    # one guided call on [noisy latents, low-res frames], the text, and the noise level as class label; the
    # per-frame floor takes SimDA's layout too
    shapes = Shapes(CFG_BATCH, frames, low_res_size, upscaler.vae.config.latent_channels + LOW_RES_CHANNELS)
    inputs = step_inputs(simda_contender(FULL, models[FULL]), shapes, device, dtype)
    noise = torch.full((CFG_BATCH,), NOISE_LEVEL, device=device)
    workloads = {
        name: inference_step(functools.partial(model, class_labels=noise), inputs) for name, model in models.items()
    }
    timings = interleaved_timings(workloads, repeats, warmup, clock)
    peaks = {name: peak_memory_gib(workloads[name], device, resident_bytes(m)) for name, m in models.items()}
    output_size = low_res_size * upscaler.vae_scale_factor
    return timing_table(timings, FLOOR, peak_gib=peaks).assign(
        stage="super_resolution",
        frames=frames,
        input=f"{low_res_size}x{low_res_size}",
        output=f"{output_size}x{output_size}",
    )


def measure(settings: Settings, base: BaseModel) -> dict[str, pd.DataFrame]:
    """Every table of the profile, the slow parts last so a bad setting fails early."""
    shapes = settings.shapes
    if shapes.size % base.vae_scale_factor:
        raise InvalidSetting(f"--size must be a multiple of the autoencoder's factor {base.vae_scale_factor}")
    clock = cuda_clock(settings.device) if settings.device.type == "cuda" else wall_clock
    variants = simda_variants(base.unet)
    parameters = parameter_table(parameter_report(base, variants[FULL]))
    tables = LoggedTables()
    tables["parameters"] = parameters
    tables["temporal_conv"] = time_temporal_conv(base, settings, clock)
    step = settings.step_shapes(base, CFG_BATCH)
    inference = {
        contender.name: inference_step(contender.model, step_inputs(contender, step, settings.device, settings.dtype))
        for contender in inference_contenders(base.unet, variants, settings.model_size)
    }
    timings = interleaved_timings(inference, shapes.repeats, shapes.warmup, clock)  # in one rotation
    tables["inference"] = timing_table(timings, FLOOR)
    # counted now: the training section turns half-precision adapters into float32 master weights
    inference_kernels = {name: count_kernels(workload) for name, workload in inference.items()}
    tables["kernel_time"] = kernel_time_table(inference[FLOOR], inference[FULL], settings.device)
    tables["video"] = time_video(base, variants[FULL], settings, clock)
    tables["training"], passes = time_training(base, variants, settings, clock)
    training_kernels = {name: count_kernels(workload) for name, workload in passes.items()}
    tables["kernels"] = kernel_table(inference_kernels, training_kernels, transformer_blocks(base.unet), FLOOR)
    del variants  # the first stage's models leave the GPU before the upscaler's arrive
    upscaler = settings.model_size.build_upscaler(settings.device, settings.dtype)
    sr_shape = (shapes.num_frames, shapes.size, settings.device, settings.dtype)
    tables["super_resolution"] = time_sr_step(upscaler, *sr_shape, shapes.repeats, shapes.warmup, clock)
    tables["overlap"] = time_overlap(settings.device)  # a tiny MSR-VTT run, issue 25's busy accelerator
    video_seconds = tables["video"].set_index("variant").loc[FULL, "median_s"]
    tables["table1"] = methods_table(parameters, video_seconds, device_name(settings.device))
    return tables
