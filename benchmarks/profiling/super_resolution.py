"""The super-resolution stage's profile: one guided denoising step of the SimDA x4 upscaler.

It sits beside the first stage's sections and measures the same way: interleaved medians
against the floor (here the frozen image upscaler run frame by frame), and peak GPU memory as
if each model were alone on the GPU. The latents of the x4 upscaler have the size of the
low-resolution frames, so a 16x256x256 input means 16 frames of 256x256 latents per clip, 64
times the first stage's 32x32: expect this step, not the first stage, to dominate a
two-stage video.
"""

from __future__ import annotations

import copy

import pandas as pd
import torch

from benchmarks.profiling.models import FLOOR, FULL, image_model_per_frame
from benchmarks.profiling.tables import timing_table
from benchmarks.profiling.workloads import CFG_BATCH, TIMESTEP, peak_memory_gib, resident_bytes
from benchmarks.timing import Measure, Workload, interleaved_timings
from simda.model.config import SimDAConfig
from simda.model.video_unet import SimDAUNet
from simda.sr.upscaler import LOW_RES_CHANNELS, UpscalerBase

NOISE_LEVEL = 20  # diffusers' default for the x4 upscaler; the step costs the same at any level


def sr_inference_step(model: SimDAUNet, sample: torch.Tensor, context: torch.Tensor, noise: torch.Tensor) -> Workload:
    """One guided call on ``[noisy latents, low-res frames]``, the text and the noise level as class label."""
    timestep = torch.tensor(TIMESTEP, device=sample.device)

    @torch.inference_mode()
    def step() -> object:
        return model(sample, timestep, context, class_labels=noise)

    return step


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

    Both are built on their own copies of ``upscaler.unet``, which must be the plain 2D UNet
    (timing does not depend on adapter weights, so no checkpoint is needed). Returns
    ``timing_table``'s columns (median, range, ratio to the floor, peak GiB on CUDA, NaN
    elsewhere) and the stage, frame count, input and output resolution.
    """
    if low_res_size % 2 ** (len(upscaler.unet.config.block_out_channels) - 1):
        raise ValueError(f"low-resolution size {low_res_size} does not fit the upscaler's UNet levels")
    models = {
        FLOOR: image_model_per_frame(upscaler.unet),
        FULL: SimDAUNet(copy.deepcopy(upscaler.unet), SimDAConfig()).eval(),
    }
    generator = torch.Generator().manual_seed(0)  # random inputs, seed 0: the same for both models
    channels = upscaler.vae.config.latent_channels + LOW_RES_CHANNELS
    sample = torch.randn(CFG_BATCH, channels, frames, low_res_size, low_res_size, generator=generator)
    context = torch.randn(CFG_BATCH, 77, upscaler.unet.config.cross_attention_dim, generator=generator)
    noise = torch.full((CFG_BATCH,), NOISE_LEVEL, device=device)
    step_args = (sample.to(device, dtype), context.to(device, dtype), noise)
    workloads = {name: sr_inference_step(model, *step_args) for name, model in models.items()}
    timings = interleaved_timings(workloads, repeats, warmup, clock)
    peaks = {name: peak_memory_gib(workloads[name], device, resident_bytes(m)) for name, m in models.items()}
    output_size = low_res_size * upscaler.vae_scale_factor
    return timing_table(timings, FLOOR, peak_gib=peaks).assign(
        stage="super_resolution",
        frames=frames,
        input=f"{low_res_size}x{low_res_size}",
        output=f"{output_size}x{output_size}",
    )
