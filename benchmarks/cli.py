"""Command line shared by ``python -m benchmarks.msrvtt`` and ``python -m benchmarks.webvid``.

Every path is checked before the model loads, so a typo costs a second, not an hour of generation.
``--preset tiny`` with no dataset or weights builds a synthetic dataset in the benchmark's real
format, the tiny random model and tiny random metric networks: the numbers prove the machinery.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.datasets import sample_clips
from benchmarks.engine import BenchmarkJob, BenchmarkSpec, run
from benchmarks.evaluation import REAL_RESIZE, RealFeatureCache
from benchmarks.networks import load_metric_networks
from benchmarks.rundir import RunDir, config_hash
from metrics.frechet import DEFAULT_DDOF, GaussianStats
from metrics.i3d import file_sha256
from metrics.video_io import FRAME_SAMPLING
from metrics.video_preprocess import FVDProtocol
from simda.checkpoint import weights_file
from simda.distributed import ProcessLayout, process_group
from simda.loading import add_model_arguments, load_model
from simda.logs import setup_logging
from simda.pipeline import GenerationSettings, SimDAPipeline

log = logging.getLogger("benchmarks")
# The tiny preset's defaults: about a minute on a 2-core CPU (the tiny UNet costs ~1.6 s per step at 64x64).
TINY = {"size": 32, "steps": 10}
PAPER = {"size": 256, "steps": 50}


def build_parser(spec: BenchmarkSpec) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m benchmarks.{spec.name}",
        description=f"SimDA {spec.name} benchmark: generate one video per caption, then FVD, CLIPSIM and "
        "frame consistency, logged to MLflow. Shard with torchrun --nproc_per_node=N -m benchmarks."
        f"{spec.name}; rerun the same command to resume.",
    )
    add_model_arguments(parser)
    data = parser.add_argument_group("data")
    data.add_argument(spec.annotation_flag, dest="annotations", type=Path, help=spec.annotation_help)
    data.add_argument("--videos", type=Path, help="folder of the real videos")
    default = "all" if spec.default_num_videos is None else f"{spec.default_num_videos:,}"
    data.add_argument("--num-videos", type=int, help=f"clips to evaluate, a fixed-seed sample (default {default})")
    data.add_argument("--caption-seed", type=int, default=0, help="seed of the caption choice and of the clip sample")
    metrics = parser.add_argument_group("metrics")
    metrics.add_argument("--i3d", type=Path, help="I3D weights: i3d_pretrained_400.pt or i3d_torchscript.pt")
    metrics.add_argument("--clip-ckpt", type=Path, help="local open_clip checkpoint for CLIPSIM (OpenAI ViT-B/32)")
    metrics.add_argument("--clip-model", default="ViT-B-32", help="open_clip model name of --clip-ckpt")
    metrics.add_argument("--ddof", type=int, choices=(0, 1), default=DEFAULT_DDOF, help="covariance divisor N - ddof")
    metrics.add_argument("--real-stats", type=Path, help="precomputed real-video GaussianStats (.npz) to use")
    generation = parser.add_argument_group("generation")
    generation.add_argument("--seed", type=int, default=0, help="global seed; each clip's seed hashes it with the id")
    generation.add_argument("--batch-size", type=int, default=4, help="captions denoised together per rank")
    generation.add_argument("--frames", type=int, default=16, help="frames per video (I3D needs at least 9)")
    generation.add_argument("--height", type=int, help=f"default {PAPER['size']} ({TINY['size']} with --preset tiny)")
    generation.add_argument("--width", type=int, help=f"default {PAPER['size']} ({TINY['size']} with --preset tiny)")
    generation.add_argument("--steps", type=int, help=f"DDIM steps, default {PAPER['steps']} ({TINY['steps']} tiny)")
    generation.add_argument("--guidance", type=float, default=7.5, help="classifier-free guidance scale")
    output = parser.add_argument_group("output")
    output.add_argument("--out", type=Path, help=f"run folder (default runs/{spec.name}-<settings hash>)")
    output.add_argument("--cache-dir", type=Path, help="real-video feature cache (default <out>/../real-cache)")
    output.add_argument("--tracking-uri", help="MLflow tracking URI (default $MLFLOW_TRACKING_URI or ./mlflow.db)")
    return parser


def check_inputs(spec: BenchmarkSpec, args: argparse.Namespace) -> None:
    """Stop before any work on a missing input, naming the path and the flag that fixes it."""
    tiny = args.preset == "tiny"
    required = {
        spec.annotation_flag: (args.annotations, spec.annotation_help),
        "--videos": (args.videos, "the folder of real videos"),
        "--i3d": (args.i3d, "the I3D weights file"),
        "--clip-ckpt": (args.clip_ckpt, "a local open_clip checkpoint"),
    }
    for flag, (path, what) in required.items():
        if path is None and not tiny:
            raise SystemExit(f"{flag} is required (without --preset tiny): pass {what}")
    if tiny and (args.annotations is None) != (args.videos is None):
        raise SystemExit(f"pass both {spec.annotation_flag} and --videos, or neither for the synthetic tiny dataset")
    optional = {"--real-stats": (args.real_stats, "a .npz saved by GaussianStats.save")}
    for flag, (path, what) in {**required, **optional}.items():
        if path is not None and not path.exists():
            raise SystemExit(f"{path} not found: pass {flag} {what}")
    if args.frames < 9:
        raise SystemExit(f"--frames {args.frames}: I3D needs at least 9 frames per video")


def video_config(
    spec: BenchmarkSpec,
    args: argparse.Namespace,
    annotations: Path,
    settings: GenerationSettings,
    base: Any,
    ckpt_sha: str | None,
) -> dict[str, Any]:
    """The settings that decide the generated videos: they name the default run folder and guard it."""
    return {
        "benchmark": spec.name,
        "annotations_sha256": file_sha256(annotations),
        "caption_seed": args.caption_seed,
        "base_source": base.source,
        "base_identity": base.identity(),
        "ckpt_sha256": ckpt_sha,
        "dtype": args.dtype,
        "seed": args.seed,
        **settings.as_params(),
    }


def main(spec: BenchmarkSpec, argv: Sequence[str] | None = None) -> dict[str, float] | None:
    """Parse, check, build and run; returns rank 0's metrics."""
    args = build_parser(spec).parse_args(argv)
    check_inputs(spec, args)
    with process_group() as layout, contextlib.ExitStack() as cleanup:
        setup_logging(verbose=layout.is_main)
        scratch = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix=f"simda-{spec.name}-")))
        return run(build_job(spec, args, layout, scratch), layout)


def build_job(spec: BenchmarkSpec, args: argparse.Namespace, layout: ProcessLayout, scratch: Path) -> BenchmarkJob:
    tiny = args.preset == "tiny"
    annotations, videos = args.annotations, args.videos
    if annotations is None:
        # Rank 0 writes it once and every rank reads that copy: no two writers race on one folder.
        annotations, videos = layout.broadcast(spec.write_synthetic(scratch) if layout.is_main else None)
        log.info("tiny preset: synthetic %s dataset in its real format at %s", spec.name, Path(videos).parent)
    clips = spec.read(annotations, videos, args.caption_seed)
    num_videos = args.num_videos or (None if tiny else spec.default_num_videos)
    clips = sample_clips(clips, num_videos, args.caption_seed)
    defaults = TINY if tiny else PAPER
    settings = GenerationSettings(
        num_frames=args.frames,
        height=args.height or defaults["size"],
        width=args.width or defaults["size"],
        num_inference_steps=args.steps or defaults["steps"],
        guidance_scale=args.guidance,
    )
    device = str(layout.device(args.device))
    loaded = load_model(args.preset, args.base, args.ckpt, device, args.dtype)
    nets = load_metric_networks(args.i3d, args.clip_ckpt, args.clip_model, loaded.model.device)
    ckpt_sha = None if args.ckpt is None else file_sha256(weights_file(args.ckpt))
    config = video_config(spec, args, annotations, settings, loaded.base, ckpt_sha)
    run_dir = RunDir(args.out or Path("runs") / f"{spec.name}-{config_hash(config)}")
    run_dir.claim(config, write=layout.is_main)
    random_weights = loaded.random_weights or nets.random_weights
    if random_weights:
        log.warning(
            "WARNING: random weights (model: %s, checkpoint: %s, I3D: %s, CLIP: %s): these numbers prove the "
            "machinery, not the model",
            loaded.base.source,
            loaded.checkpoint or "none",
            args.i3d or "random",
            args.clip_ckpt or "random",
        )
    protocol = FVDProtocol(
        detector_sha256=nets.i3d_sha256, num_frames=settings.num_frames, frame_sampling=FRAME_SAMPLING, ddof=args.ddof
    )
    real_key = {
        "benchmark": spec.name,
        "annotations_sha256": config["annotations_sha256"],
        "real_resize": REAL_RESIZE,
        "height": settings.height,
        "width": settings.width,
        **protocol.as_params(),
    }
    real_key.pop("fvd.ddof")  # the covariance divisor is applied at the end, not to cached features
    if args.real_stats is not None:
        real: RealFeatureCache | GaussianStats = GaussianStats.load(args.real_stats)
    else:
        real = RealFeatureCache(args.cache_dir or run_dir.root.parent / "real-cache", real_key)
    features_key = config_hash({"i3d": nets.i3d_sha256, **nets.clip_params, "frames": settings.num_frames})
    params = {
        **config,
        "annotations": str(Path(annotations).resolve()),
        "videos": str(Path(videos).resolve()),
        "num_videos": len(clips),
        "ckpt": loaded.checkpoint or "none",
        "random_weights": random_weights,
        "seed_rule": "sha256('video/<seed>/<clip id>')[:8] as int",
        "real_resize": REAL_RESIZE,
        "real_stats": str(args.real_stats or "computed"),
        "clip": nets.clip_params,
        "batch_size": args.batch_size,
        "world_size": layout.world_size,
        "out": str(run_dir.root.resolve()),
        **protocol.as_params(),
    }
    return BenchmarkJob(
        spec=spec,
        clips=clips,
        pipeline=SimDAPipeline.from_base(loaded.base, loaded.model),
        nets=nets,
        run_dir=run_dir,
        features_key=features_key,
        settings=settings,
        seed=args.seed,
        batch_size=args.batch_size,
        ddof=args.ddof,
        device=str(loaded.model.device),
        real=real,
        random_weights=random_weights,
        params=params,
        tracking_uri=args.tracking_uri,
    )
