"""``python -m benchmarks.ablation``: the paper's Table 6, retrained and re-measured.

    python -m benchmarks.ablation --preset tiny --disable lsa        # full model and w/o LSA
    python -m benchmarks.ablation --preset tiny                      # the whole Table 6 sweep
    python -m benchmarks.ablation --base ./stable-diffusion-v1-5 --csv webvid/results_2M_train.csv \\
        --videos webvid/train --val-csv webvid/results_2M_val.csv --val-videos webvid/val \\
        --i3d weights/i3d_pretrained_400.pt --clip-ckpt weights/openai-vit-b-32.bin --train-steps 20000

Every variant trains with the same data, seed and budget (``simda.train``) and is evaluated on the
same fixed-seed WebVid validation sample (``benchmarks.webvid``, 1,000 pairs as in the paper).
One MLflow parent run holds the Table-6 table; each variant is a nested child run with its
training and evaluation runs beneath it. Rerunning the same command resumes every stage.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd

from benchmarks import webvid
from benchmarks.tracking import log_table, tracked_run
from simda import train
from simda.atomic import atomic_path
from simda.checkpoint import load_adapter_checkpoint
from simda.config import SimDAConfig
from simda.logs import setup_logging

log = logging.getLogger("benchmarks.ablation")
ABLATION_SAMPLE = 1000  # the paper's Table 6 uses 1K WebVid validation pairs


@dataclass(frozen=True)
class Variant:
    label: str
    disabled: tuple[str, ...]
    paper_fvd: float
    paper_clipsim: float

    @property
    def slug(self) -> str:
        return "full" if not self.disabled else "without-" + "-".join(self.disabled)


# Table 6 of the paper, in its order (FVD and CLIPSIM on 1K WebVid-val samples).
TABLE6 = (
    Variant("w/o TA", ("ta",), 1470.1, 0.2629),
    Variant("w/o SA", ("sa",), 811.3, 0.2822),
    Variant("w/o AA", ("aa",), 764.8, 0.2851),
    Variant("w/o FA", ("fa",), 623.7, 0.2962),
    Variant("w/o LSA", ("lsa",), 618.2, 0.3011),
    Variant("Ours", (), 530.2, 0.3034),
)
BY_PART = {variant.disabled[0]: variant for variant in TABLE6 if variant.disabled}
FULL = TABLE6[-1]


def chosen_variants(disable: list[str]) -> list[Variant]:
    """No ``--disable``: the whole table. Otherwise each named removal, and the full model to compare with."""
    if not disable:
        return list(TABLE6)
    return [BY_PART[part] for part in dict.fromkeys(disable)] + [FULL]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--disable",
        action="append",
        default=[],
        choices=sorted(BY_PART),
        help="a part to remove (repeatable; sa = AA and FA); none: the full Table 6 sweep",
    )
    parser.add_argument("--preset", choices=["tiny"], help="tiny random model, synthetic data, tiny metric networks")
    parser.add_argument("--base", type=Path, help="local Stable Diffusion folder in diffusers layout")
    parser.add_argument("--csv", type=Path, help="training WebVid CSV")
    parser.add_argument("--videos", type=Path, help="training video folder")
    parser.add_argument("--val-csv", type=Path, help="WebVid validation CSV (results_2M_val.csv)")
    parser.add_argument("--val-videos", type=Path, help="WebVid validation video folder")
    parser.add_argument("--i3d", type=Path, help="I3D weights for FVD")
    parser.add_argument("--clip-ckpt", type=Path, help="open_clip checkpoint for CLIPSIM")
    parser.add_argument("--train-steps", type=int, help="training budget of every variant (tiny: 10)")
    parser.add_argument("--frames", type=int, help="frames per clip, trained and generated")
    parser.add_argument("--size", type=int, help="clip height and width, trained and generated")
    parser.add_argument("--eval-steps", type=int, help="DDIM steps of the evaluation videos")
    parser.add_argument("--num-videos", type=int, help=f"validation pairs (default {ABLATION_SAMPLE:,}; tiny: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=Path("runs/ablation"))
    parser.add_argument("--tracking-uri", help="MLflow tracking URI (default $MLFLOW_TRACKING_URI or ./mlflow.db)")
    return parser.parse_args(argv)


def _model_flags(args: argparse.Namespace) -> list[str]:
    flags = ["--device", args.device, "--seed", str(args.seed)]
    flags += ["--preset", "tiny"] if args.preset == "tiny" else ["--base", str(args.base)]
    return flags + _given(("--frames", args.frames), ("--tracking-uri", args.tracking_uri))


def _given(*pairs: tuple[str, object]) -> list[str]:
    """``[flag, value, ...]`` for the pairs whose value is set, so each command keeps its own defaults."""
    return [str(item) for flag, value in pairs if value is not None for item in (flag, value)]


def train_variant(args: argparse.Namespace, variant: Variant) -> Path:
    argv = [*_model_flags(args), "--out", str(args.out / variant.slug / "train"), "--experiment", "simda-ablation"]
    argv += [flag for part in variant.disabled for flag in ("--disable", part)]
    if args.train_steps:
        argv += ["--steps", str(args.train_steps)]
    elif args.preset == "tiny":
        argv += ["--steps", "10"]
    argv += _given(("--size", args.size), ("--csv", args.csv), ("--videos", args.videos))
    return train.main(argv)


def evaluate_variant(args: argparse.Namespace, variant: Variant, adapters: Path) -> dict[str, float]:
    argv = [*_model_flags(args), "--ckpt", str(adapters), "--out", str(args.out / variant.slug / "eval")]
    argv += _given(
        ("--csv", args.val_csv),
        ("--videos", args.val_videos),
        ("--i3d", args.i3d),
        ("--clip-ckpt", args.clip_ckpt),
        ("--height", args.size),
        ("--width", args.size),
        ("--steps", args.eval_steps),
    )
    argv += ["--cache-dir", str(args.out / "real-cache")]  # every variant meets the same real statistics
    num_videos = args.num_videos or (None if args.preset == "tiny" else ABLATION_SAMPLE)
    if num_videos:
        argv += ["--num-videos", str(num_videos)]
    metrics = webvid.main(argv)
    if metrics is None:
        raise RuntimeError(f"evaluation of {variant.label} returned no metrics")
    return metrics


def table_row(variant: Variant, adapters: Path, metrics: dict[str, float], random_weights: bool) -> dict[str, object]:
    parts = SimDAConfig().without(*variant.disabled).parts_on()
    return {
        "variant": variant.label,
        **{part.upper(): part in parts for part in ("ta", "aa", "fa", "lsa")},
        "tuned_params": load_adapter_checkpoint(adapters).num_parameters(),
        "fvd": metrics["fvd"],
        "clipsim": metrics["clipsim"],
        "paper_fvd": variant.paper_fvd,
        "paper_clipsim": variant.paper_clipsim,
        "note": "random weights: proves the machinery, not the model" if random_weights else "",
    }


def main(argv: list[str] | None = None) -> pd.DataFrame:
    setup_logging()
    args = parse_args(argv)
    if (args.preset is None) == (args.base is None):
        raise SystemExit("choose exactly one of --preset tiny or --base PATH (a local Stable Diffusion folder)")
    if args.preset is None and None in (args.csv, args.videos, args.val_csv, args.val_videos):
        raise SystemExit(
            "a real ablation needs training data (--csv, --videos) and validation data (--val-csv, --val-videos)"
        )
    variants = chosen_variants(args.disable)
    random_weights = args.preset == "tiny" or args.i3d is None or args.clip_ckpt is None
    params = {"variants": [v.label for v in variants], **{k: str(v) for k, v in vars(args).items()}}
    tags = {"random_weights": str(random_weights).lower()}
    rows = []
    with tracked_run("simda-ablation", "table6", params, tags, tracking_uri=args.tracking_uri):
        for variant in variants:
            with mlflow.start_run(run_name=variant.label, nested=True):
                mlflow.log_params({"variant": variant.label, "disabled": ",".join(variant.disabled) or "none"})
                adapters = train_variant(args, variant)
                metrics = evaluate_variant(args, variant, adapters)
                mlflow.log_metrics({"fvd": metrics["fvd"], "clipsim": metrics["clipsim"]})
            rows.append(table_row(variant, adapters, metrics, random_weights))
        table = pd.DataFrame(rows)
        log_table(table, "table6")
    if random_weights:
        log.warning("random weights: the table proves the machinery, not the model")
    log.info("\n%s", table.to_string(index=False))
    with atomic_path(args.out / "table6.json") as tmp:
        Path(tmp).write_text(json.dumps(rows, indent=2))
    return table


if __name__ == "__main__":
    main()
