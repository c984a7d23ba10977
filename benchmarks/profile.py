"""``python -m benchmarks.profile``: SimDA's cost against its floor and its peers, in one run.

    python -m benchmarks.profile --params-only --preset sd15   # Table 1 parameters, seconds, no GPU
    python -m benchmarks.profile                               # sd15 on a GPU, tiny on the CPU
    python -m benchmarks.profile --base ./stable-diffusion-v1-5 --frames 16 --size 256

Measured in one process, interleaved round by round, so ratios are fair: one denoising step
(classifier-free guidance, so batch 2) of SimDA, of the frozen 2D UNet on the same frames (the
floor), of diffusers' AnimateDiff and ModelScope UNets and of every ablation; one training step
(forward, backward, AdamW over the adapters) with and without gradient checkpointing, against the
2D UNet's forward and backward, with peak GPU memory; the temporal adapter's depth-wise conv
against ``nn.Conv3d``; and a whole video (DDIM steps plus VAE decode). Results are printed,
written as text and PNG under ``--out``, and logged to MLflow (experiment ``simda-profile``).
Weights are random unless ``--base`` is given: timings measure the architecture, not the model.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
import torch

from benchmarks.profiling.models import PRESETS, Preset, build_base
from benchmarks.profiling.sections import CFG_BATCH, Settings, device_name, measure
from benchmarks.profiling.tables import TARGETS, methods_table, parameter_table, plot, ratio_metrics, render
from simda.base import BaseModel, load_stable_diffusion
from simda.loading import DTYPES, resolve_device, resolve_dtype
from simda.params import parameter_report
from simda.plumbing.tracking import log_table, tracked_run
from simda.video_unet import SimDAUNet

EXPERIMENT = "simda-profile"


@dataclass(frozen=True)
class ProfileResult:
    """What one profile produced, returned so callers (and tests) need not parse the printout."""

    text: str
    tables: dict[str, pd.DataFrame]
    metrics: dict[str, float]
    plot_path: Path | None


def weights_label(base: BaseModel) -> str:
    """The label every output carries: adapters (zero-init) and peers are random in every profile."""
    frozen = "random" if base.random_weights else f"real ({base.source})"
    return (
        f"RANDOM WEIGHTS: frozen base {frozen}; SimDA adapters, AnimateDiff and ModelScope random. "
        "Timings and memory measure the architecture, not the model."
    )


def header(settings: Settings, base: BaseModel) -> list[str]:
    latent = settings.size // base.vae_scale_factor
    lines = [
        f"SimDA profile: preset {settings.preset.name}, {device_name(settings.device)} ({settings.device}), "
        f"{settings.dtype_name}, {settings.frames} frames at {settings.size}x{settings.size} "
        f"(latents {latent}x{latent}), inference batch {CFG_BATCH} (CFG), training batch 1; medians of "
        f"{settings.repeats} interleaved runs after {settings.warmup} warmup rounds",
        weights_label(base),
    ]
    if settings.device.type != "cuda" or settings.preset.name != "sd15":
        lines.append(
            "Not the GPU run: ratios here check the machinery only. The targets (inference <= "
            f"{TARGETS['inference_x_floor']}x, training <= {TARGETS['training_x_floor']}x the floor, peak <= "
            f"{TARGETS['training_peak_gib']} GiB) apply to --preset sd15 in fp16 on a GPU."
        )
    return lines


def parameters_only(preset: Preset, base_path: Path | None) -> str:
    """Table 1's parameter rows without timing anything: SD 1.5 shapes on meta take seconds."""
    if base_path is not None:
        base = load_stable_diffusion(base_path, "cpu")
    else:
        base = preset.build_base(torch.device("meta"), torch.float32)
    parameters = parameter_table(parameter_report(base, SimDAUNet(base.unet)))
    tables = {"parameters": parameters, "table1": methods_table(parameters, None, "not timed")}
    return render(tables, [f"SimDA parameters: {base.source}", weights_label(base)])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=sorted(PRESETS), help="model sizes (default: sd15 on a GPU, else tiny)")
    parser.add_argument("--base", type=Path, help="local Stable Diffusion folder: real frozen weights, SD 1.5 sizes")
    parser.add_argument("--params-only", action="store_true", help="print Table 1's parameter rows and stop")
    parser.add_argument("--device", default="auto", help="cuda, cuda:1, cpu or auto")
    parser.add_argument("--dtype", default="auto", choices=["auto", *DTYPES], help="fp16 on a GPU, fp32 on CPU")
    parser.add_argument("--frames", type=int, help="frames per clip (preset default: 16 sd15, 8 tiny)")
    parser.add_argument("--size", type=int, help="frame side in pixels (preset default: 256 sd15, 32 tiny)")
    parser.add_argument("--repeats", type=int, help="timed rounds per workload (preset default)")
    parser.add_argument("--warmup", type=int, help="untimed rounds first (preset default)")
    parser.add_argument("--video-steps", type=int, default=50, help="DDIM steps of the whole-video timing")
    parser.add_argument("--video-repeats", type=int, help="timed whole videos per pipeline (preset default)")
    parser.add_argument("--out", type=Path, default=Path("runs/profile"), help="folder for profile.txt and .png")
    parser.add_argument("--tracking-uri", help="MLflow tracking URI (default $MLFLOW_TRACKING_URI or ./mlflow.db)")
    parser.add_argument("--no-mlflow", action="store_true", help="print and write files only")
    return parser.parse_args(argv)


def resolve_settings(args: argparse.Namespace, device: torch.device) -> Settings:
    preset = PRESETS[args.preset or ("sd15" if device.type == "cuda" or args.base else "tiny")]
    return Settings(
        preset=preset,
        device=device,
        dtype=resolve_dtype(args.dtype, device),
        frames=args.frames or preset.frames,
        size=args.size or preset.size,
        repeats=args.repeats or preset.repeats,
        warmup=preset.warmup if args.warmup is None else args.warmup,
        video_steps=args.video_steps,
        video_repeats=args.video_repeats or preset.video_repeats,
    )


def publish(result: ProfileResult, settings: Settings, base: BaseModel, args: argparse.Namespace) -> None:
    """One MLflow run: settings as params, every table, the ratios as metrics, text and PNG."""
    tags = {"random_weights": "true", "weights": weights_label(base), "preset": settings.preset.name}
    run_name = f"profile-{settings.preset.name}-{settings.device.type}"
    with tracked_run(
        EXPERIMENT, run_name, settings.as_params(base), tags, tracking_uri=args.tracking_uri, system_metrics=False
    ):
        for name, table in result.tables.items():
            log_table(table, name)
        mlflow.log_metrics(result.metrics)
        mlflow.log_text(result.text, "profile.txt")
        if result.plot_path is not None:
            mlflow.log_artifact(str(result.plot_path))


def main(argv: list[str] | None = None) -> ProfileResult:
    args = parse_args(argv)
    device = resolve_device(args.device)
    if args.params_only:
        text = parameters_only(PRESETS[args.preset or "sd15"], args.base)
        print(text)
        return ProfileResult(text, {}, {}, None)
    settings = resolve_settings(args, device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels during warmup
    base = build_base(settings.preset, args.base, device, settings.dtype)
    tables = measure(settings, base)
    text = render(tables, header(settings, base))
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "profile.txt").write_text(text)
    title = f"SimDA profile, {settings.preset.name} on {device_name(device)} (random weights: architecture cost only)"
    plot_path = plot(tables, title, args.out / "profile.png")
    result = ProfileResult(text, tables, ratio_metrics(tables), plot_path)
    if not args.no_mlflow:
        publish(result, settings, base, args)
    return result


if __name__ == "__main__":
    main()
