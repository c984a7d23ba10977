"""The work behind ``python -m benchmarks.profile``: build, measure, render, publish."""

from __future__ import annotations

from typing import Any

import mlflow
import pandas as pd
import torch

from benchmarks.profiling.job import EXPERIMENT, ProfileJob, ProfileResult
from benchmarks.profiling.models import MODEL_SIZES, build_base
from benchmarks.profiling.sections import CFG_BATCH, Settings, device_name, measure
from benchmarks.profiling.tables import TARGETS, methods_table, parameter_table, plot, ratio_metrics, render
from simda.model.base import BaseModel
from simda.model.loading import resolve_dtype
from simda.model.params import parameter_report
from simda.model.video_unet import SimDAUNet
from simda.plumbing.distributed import resolve_device
from simda.plumbing.tracking import log_table, tracked_run


def weights_label(base: BaseModel) -> str:
    """The label every output carries: adapters (zero-init) and peers are random in every profile."""
    frozen = "random" if base.random_weights else f"real ({base.source})"
    return (
        f"RANDOM WEIGHTS: frozen base {frozen}; SimDA adapters, AnimateDiff and ModelScope random. "
        "Timings and memory measure the architecture, not the model."
    )


def header(settings: Settings, base: BaseModel) -> list[str]:
    shapes, size = settings.shapes, settings.shapes.size
    latent = size // base.vae_scale_factor
    lines = [
        f"SimDA profile: model size {settings.model_size.name}, {device_name(settings.device)} ({settings.device}), "
        f"{settings.dtype_name}, {shapes.num_frames} frames at {size}x{size} "
        f"(latents {latent}x{latent}), inference batch {CFG_BATCH} (CFG), training batch 1; medians of "
        f"{shapes.repeats} interleaved runs after {shapes.warmup} warmup rounds",
        f"super_resolution: one guided step of the random-weight {settings.model_size.name} x4 upscaler on those "
        f"frames as its low-resolution input ({size}x{size} -> {4 * size}x{4 * size}), SimDA against the image "
        "upscaler frame by frame",
        weights_label(base),
    ]
    if settings.device.type != "cuda" or settings.model_size.name != "sd15":
        lines.append(
            "Not the GPU run: ratios here check the machinery only. The targets (inference <= "
            f"{TARGETS['inference_x_floor']}x, training <= {TARGETS['training_x_floor']}x the floor, peak <= the "
            f"floor's + {TARGETS['training_peak_over_floor_gib']} GiB) apply to --model-size sd15 in fp16 on a GPU."
        )
    return lines


def parameters_only(job: ProfileJob) -> ProfileResult:
    """Table 1's parameter rows without timing anything: SD 1.5 shapes on meta take seconds. Logged too, so
    Table 1 of the report fills from the README's own command."""
    model_size = MODEL_SIZES[job.model.size_name(on_gpu=True)]  # sd15 unless named: no timing
    device = torch.device("meta" if job.model.base is None else "cpu")  # real weights are read, shapes are not
    base = build_base(model_size, job.model.base, device, torch.float32)
    parameters = parameter_table(parameter_report(base, SimDAUNet(base.unet)))
    upscaler = model_size.build_upscaler(torch.device("meta"), torch.float32)
    tables = {
        "parameters": parameters,
        "table1": methods_table(parameters, None, "not timed"),
        # the frozen x4 upscaler and its SimDA adapters
        "super_resolution_parameters": pd.DataFrame(
            [row.as_row() for row in parameter_report(upscaler, SimDAUNet(upscaler.unet))]
        ),
    }
    header = [f"SimDA parameters: {base.source}; super-resolution: {upscaler.source}", weights_label(base)]
    result = ProfileResult(render(tables, header), tables, {}, None, job.output.output_dir)
    params = {"preset": model_size.name, "params_only": True, "base": base.source, "device_name": "not timed"}
    publish(result, f"profile-{model_size.name}-parameters", params, base, job)
    return result


def publish(result: ProfileResult, run_name: str, params: dict[str, Any], base: BaseModel, job: ProfileJob) -> None:
    """One MLflow run (unless ``--no-mlflow``): settings as params, every table, the ratios as metrics, text and PNG."""
    if not job.output.mlflow:
        return
    tags = {"random_weights": "true", "weights": weights_label(base), "preset": params["preset"]}
    with tracked_run(EXPERIMENT, run_name, params, tags, tracking_uri=job.output.tracking_uri, system_metrics=False):
        for name, table in result.tables.items():
            log_table(table, name)
        mlflow.log_metrics(result.metrics)
        mlflow.log_text(result.text, "profile.txt")
        if result.plot_path is not None:
            mlflow.log_artifact(str(result.plot_path))


def run_profile(job: ProfileJob) -> ProfileResult:
    """Build the models of the chosen size, time every section, write the text and PNG, log to MLflow."""
    device = resolve_device(job.model.device)
    if job.model.params_only:
        return parameters_only(job)
    model_size = MODEL_SIZES[job.model.size_name(on_gpu=device.type == "cuda")]
    shapes = model_size.shapes.overlay(job.shape_overrides)
    settings = Settings(model_size, device, resolve_dtype(job.model.dtype, device), shapes)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels during warmup
    base = build_base(settings.model_size, job.model.base, device, settings.dtype)
    tables = measure(settings, base)
    text = render(tables, header(settings, base))
    job.output.output_dir.mkdir(parents=True, exist_ok=True)
    (job.output.output_dir / "profile.txt").write_text(text)
    title = (
        f"SimDA profile, {settings.model_size.name} on {device_name(device)} (random weights: architecture cost only)"
    )
    plot_path = plot(tables, title, job.output.output_dir / "profile.png")
    result = ProfileResult(text, tables, ratio_metrics(tables), plot_path, job.output.output_dir)
    publish(result, f"profile-{model_size.name}-{device.type}", settings.as_params(base), base, job)
    return result
