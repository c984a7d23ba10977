"""``python -m benchmarks.editing``: the paper's Table 5, one-shot video editing.

    python -m benchmarks.editing --preset tiny
    python -m benchmarks.editing --base ./stable-diffusion-v1-4 --cases edits.jsonl \\
        --clip-ckpt weights/openai-vit-b-32.bin

``--cases`` is a JSON-lines file, one source video per line:
``{"video": "car-turn.mp4", "prompt": "a jeep car is moving on the road", "edits": ["...", "..."]}``
(paths relative to the file). Each video is tuned once, inverted once and edited once per
caption; the table reports Table 5's columns: frame consistency and textual alignment (CLIP,
x100), training and inference minutes, training and inference peak GPU memory, tuned parameters.
A rerun with the same ``--out`` skips every case it finished with the same settings.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import torch

from benchmarks.networks import load_clip_scorer
from benchmarks.report import finite_metrics, log_edit_samples
from benchmarks.rundir import config_hash, write_json
from benchmarks.tracking import log_table, tracked_run
from metrics.clip import ClipScorer, to_percent
from metrics.i3d import file_sha256
from simda.data import CaptionedVideo
from simda.edit import add_edit_arguments, edit_settings, save_result, slug, tiny_source
from simda.editing import EditResult, edit_video
from simda.loading import add_model_arguments, load_model
from simda.logs import setup_logging
from simda.pipeline import SimDAPipeline

log = logging.getLogger("benchmarks.editing")
# Table 5: Tune-A-Video and SimDA (frame consistency and textual alignment are CLIP scores x100).
PAPER_TABLE5 = pd.DataFrame(
    [
        {
            "method": "Tune-A-Video",
            "frame_consistency": 94.1,
            "textual_alignment": 31.8,
            "train_min": 9.3,
            "inference_min": 0.8,
            "train_gib": 31.3,
            "inference_gib": 11.4,
            "tuned_M": 74.4,
        },
        {
            "method": "SimDA",
            "frame_consistency": 94.9,
            "textual_alignment": 31.9,
            "train_min": 2.5,
            "inference_min": 0.4,
            "train_gib": 28.6,
            "inference_gib": 8.8,
            "tuned_M": 24.9,
        },
    ]
)
# The per-edit table: Table 5's columns for each (video, edited caption).
EDIT_COLUMNS = (
    "video",
    "edit",
    "frame_consistency",
    "textual_alignment",
    "train_min",
    "inference_min",
    "train_gib",
    "inference_gib",
    "tuned_M",
)
TINY_EDITS = ["a blue square moving up", "a yellow circle on a white background"]


@dataclass(frozen=True)
class EditCase:
    video: CaptionedVideo
    edits: list[str]


def read_cases(path: Path) -> list[EditCase]:
    """The cases file: one JSON object per line with ``video``, ``prompt`` and ``edits``."""
    if not path.is_file():
        raise SystemExit(f"cases file {path} not found; pass --cases a .jsonl of video/prompt/edits")
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        missing = [key for key in ("video", "prompt", "edits") if key not in row]
        if missing:
            raise SystemExit(f"{path}:{number} lacks {missing}; each line needs video, prompt and edits")
        video = (path.parent / row["video"]).resolve()
        if not video.is_file():
            raise SystemExit(f"{path}:{number}: video {video} not found")
        cases.append(EditCase(CaptionedVideo(video.stem, video, row["prompt"]), list(row["edits"])))
    return cases


def clip_scores(scorer: ClipScorer, frames: np.ndarray, caption: str) -> dict[str, float]:
    """Frame consistency and textual alignment of one edited clip, both x100 as Table 5 prints them."""
    return {
        "frame_consistency": to_percent(scorer.frame_consistency(frames)),
        "textual_alignment": to_percent(scorer.clipsim([frames], [caption]).mean),
    }


def table5_rows(case: EditCase, result: EditResult, scorer: ClipScorer, on_gpu: bool) -> list[dict[str, object]]:
    """One row of Table 5's columns per edited caption of ``case``."""
    return [
        {
            "video": case.video.video_id,
            "edit": caption,
            **clip_scores(scorer, frames, caption),
            "train_min": result.train_seconds / 60,
            "inference_min": result.inference_seconds / 60,
            "train_gib": result.train_peak_gib if on_gpu else float("nan"),
            "inference_gib": result.inference_peak_gib if on_gpu else float("nan"),
            "tuned_M": result.tuned_parameters / 1e6,
        }
        for caption, frames in result.edits.items()
    ]


def main(argv: list[str] | None = None) -> pd.DataFrame:
    setup_logging()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(parser)
    parser.add_argument("--cases", type=Path, help="JSON-lines file of videos to edit (tiny: one synthetic clip)")
    parser.add_argument("--clip-ckpt", type=Path, help="open_clip checkpoint (OpenAI ViT-B/32); tiny: random CLIP")
    parser.add_argument("--clip-model", default="ViT-B-32")
    parser.add_argument("--out", type=Path, default=Path("runs/editing"))
    parser.add_argument("--tracking-uri", help="MLflow tracking URI (default $MLFLOW_TRACKING_URI or ./mlflow.db)")
    add_edit_arguments(parser)
    args = parser.parse_args(argv)
    settings = edit_settings(args)
    if args.cases is None and args.preset != "tiny":
        raise SystemExit("pass --cases a .jsonl of videos to edit (or --preset tiny)")
    if args.clip_ckpt is not None and not args.clip_ckpt.is_file():
        raise SystemExit(f"CLIP checkpoint {args.clip_ckpt} not found; pass --clip-ckpt a local open_clip file")
    cases = read_cases(args.cases) if args.cases is not None else None
    loaded = load_model(args.preset, args.base, args.ckpt, args.device, args.dtype, seed=settings.seed)
    scorer, clip_params = load_clip_scorer(args.clip_ckpt, args.clip_model, loaded.model.device)
    random_weights = loaded.base.random_weights or args.clip_ckpt is None
    params = {
        "edit": settings.as_params(),
        "base": loaded.base.source,
        "ckpt": loaded.checkpoint or "none",
        "clip": clip_params,
        "cases": str(args.cases or "synthetic"),
        "random_weights": random_weights,
    }
    # What decides a case's numbers; a rerun with the same ``--out`` skips the cases it finished.
    identity = {
        "edit": settings.as_params(),
        "base": loaded.base.identity(),
        "ckpt": params["ckpt"],
        "clip": clip_params,
    }
    on_gpu = loaded.model.device.type == "cuda"  # Table 5's memory columns are GPU peaks: NaN on a CPU
    rows = []
    with (
        tracked_run(
            "simda-editing",
            "table5",
            params,
            {"random_weights": str(random_weights).lower()},
            tracking_uri=args.tracking_uri,
        ),
        tempfile.TemporaryDirectory() as scratch,
    ):
        cases = cases or [EditCase(tiny_source(Path(scratch), settings), TINY_EDITS)]
        initial = copy.deepcopy(loaded.model.adapter_state_dict())
        for index, case in enumerate(cases):
            folder = args.out / slug(case.video.video_id)
            source = {"video_sha256": file_sha256(case.video.path), "prompt": case.video.caption, "edits": case.edits}
            key = config_hash({**identity, **source})
            done = folder / "scores.json"
            saved = json.loads(done.read_text()) if done.is_file() else {}
            if saved.get("key") == key:
                log.info("%s: already edited with these settings, scores from %s", case.video.video_id, done)
                rows.extend(saved["rows"])
                continue
            with torch.no_grad():  # every video tunes from the same starting adapters
                for name, param in loaded.model.adapter_named_parameters():
                    param.copy_(initial[name])
            pipeline = SimDAPipeline.from_base(loaded.base, loaded.model)
            result = edit_video(pipeline, case.video, case.edits, settings, Path(scratch) / f"tune-{index}")
            save_result(result, folder)
            case_rows = table5_rows(case, result, scorer, on_gpu)
            write_json(done, {"key": key, "rows": case_rows})  # written last: its presence means the case is done
            rows.extend(case_rows)
        per_edit = pd.DataFrame(rows, columns=list(EDIT_COLUMNS))  # rows reloaded from JSON come key-sorted
        summary = per_edit.drop(columns=["video", "edit"]).mean().to_frame().T
        summary.insert(0, "method", "SimDA (this run" + (", random weights)" if random_weights else ")"))
        table = pd.concat([summary, PAPER_TABLE5], ignore_index=True)
        log_table(per_edit, "edits")
        log_table(table, "table5")
        mlflow.log_metrics(finite_metrics({**summary.iloc[0].drop("method"), "num_edits": len(per_edit)}))
        for case in cases:
            log_edit_samples(args.out / slug(case.video.video_id), case.video.caption, case.edits, case.video.video_id)
    if random_weights:
        log.warning("random weights: these numbers prove the machinery, not the model")
    log.info("\n%s", table.to_string(index=False))
    return table


if __name__ == "__main__":
    main()
