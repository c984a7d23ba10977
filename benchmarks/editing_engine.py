"""The engine of ``benchmarks.editing``: tune, invert and edit every case, score it, resume by case.

Every case tunes from the same starting adapters. A finished case's rows are saved beside its
videos (``scores.json``, written last) under a key of everything that decides them (settings,
base, checkpoint, CLIP, the source video's sha256, its captions), so a rerun skips it.
"""

from __future__ import annotations

import copy
import logging
import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import torch

from benchmarks.editing_job import (
    EDIT_COLUMNS,
    TINY_EDITS,
    EditCase,
    EditingBenchmarkJob,
    EditingBenchmarkResult,
    read_cases,
)
from benchmarks.networks import load_clip_scorer
from benchmarks.paper import TABLE5
from benchmarks.publish import finite_metrics, log_edit_samples
from benchmarks.rundir import config_hash, read_json, write_json
from metrics.clip import ClipScorer, to_percent
from metrics.i3d import file_sha256
from simda.data import CaptionedVideo
from simda.editor import EditResult, edit_video, save_result, synthetic_source
from simda.model.loading import load_model
from simda.pipeline import SimDAPipeline
from simda.plumbing.atomic import require_writable_dir
from simda.plumbing.tracking import log_table, tracked_run
from simda.video_io import slug

log = logging.getLogger("benchmarks.editing")


def clip_scores(scorer: ClipScorer, frames: np.ndarray, caption: str) -> dict[str, float]:
    """Frame consistency and textual alignment of one edited clip, both x100 as Table 5 prints them."""
    return {
        "frame_consistency": to_percent(scorer.frame_consistency(frames)),
        "textual_alignment": to_percent(scorer.clipsim([frames], [caption]).mean),
    }


def table5_rows(video_id: str, result: EditResult, scorer: ClipScorer, on_gpu: bool) -> list[dict[str, object]]:
    """One row of Table 5's columns per edited caption (GPU memory NaN on a CPU, never 0)."""
    return [
        {
            "video": video_id,
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


def run_editing_benchmark(job: EditingBenchmarkJob) -> EditingBenchmarkResult:
    require_writable_dir(job.output_dir, "--output-dir")
    settings = job.editing
    loaded = load_model(job.model, seed=settings.seed)
    scorer, clip_params = load_clip_scorer(job.clip_ckpt, job.clip_model, loaded.model.device)
    params = {
        "edit": settings.as_params(),
        "base": loaded.base.source,
        "ckpt": loaded.checkpoint or "none",
        "clip": clip_params,
        "cases": str(job.cases or "synthetic"),
        "random_weights": job.random_weights,
    }
    identity = {
        "edit": settings.as_params(),
        "base": loaded.base.identity(),
        "ckpt": params["ckpt"],
        "clip": clip_params,
    }
    on_gpu = loaded.model.device.type == "cuda"
    rows: list[dict[str, object]] = []
    with (
        tracked_run(
            "simda-editing",
            "table5",
            params,
            {"random_weights": str(job.random_weights).lower()},
            tracking_uri=job.tracking_uri,
            resume_key=str(job.output_dir.resolve()),
            identity=job.identity(),  # only a run of these settings is continued
        ),
        tempfile.TemporaryDirectory() as scratch,
    ):
        if job.cases is not None:
            cases = read_cases(job.cases)
        else:
            source = synthetic_source(Path(scratch), settings)
            cases = [EditCase(source.path, source.caption, TINY_EDITS)]
        initial = copy.deepcopy(loaded.model.adapter_state_dict())
        for index, case in enumerate(cases):
            video = CaptionedVideo(case.video.stem, case.video, case.prompt)
            folder = job.output_dir / slug(video.video_id)
            key = config_hash(
                {**identity, "video_sha256": file_sha256(case.video), "prompt": case.prompt, "edits": list(case.edits)}
            )
            saved = read_json(folder / "scores.json")
            if saved.get("key") == key:
                log.info("%s: already edited with these settings, scores from %s", video.video_id, folder)
                rows.extend(saved["rows"])
                continue
            with torch.no_grad():  # every video tunes from the same starting adapters
                for name, param in loaded.model.adapter_named_parameters():
                    param.copy_(initial[name])
            pipeline = SimDAPipeline.from_base(loaded.base, loaded.model)
            result = edit_video(pipeline, video, list(case.edits), settings, Path(scratch) / f"tune-{index}")
            save_result(result, folder)
            case_rows = table5_rows(video.video_id, result, scorer, on_gpu)
            write_json(folder / "scores.json", {"key": key, "rows": case_rows})  # last: its presence means done
            rows.extend(case_rows)
        per_edit = pd.DataFrame(rows, columns=list(EDIT_COLUMNS))  # rows reloaded from JSON come key-sorted
        # and hold null for NaN (strict JSON): numbers again, so a resumed table equals the first
        per_edit = per_edit.astype({column: float for column in EDIT_COLUMNS[2:]})
        summary = per_edit.drop(columns=["video", "edit"]).mean().to_frame().T
        summary.insert(0, "method", "SimDA (this run" + (", random weights)" if job.random_weights else ")"))
        table = pd.concat([summary, pd.DataFrame(TABLE5)], ignore_index=True)
        log_table(per_edit, "edits")
        log_table(table, "table5")
        mlflow.log_metrics(finite_metrics({**summary.iloc[0].drop("method"), "num_edits": len(per_edit)}))
        for case in cases:
            log_edit_samples(job.output_dir / slug(case.video.stem), case.prompt, list(case.edits), case.video.stem)
    return EditingBenchmarkResult(job.output_dir, table, per_edit, job.random_weights, per_edit.to_dict("records"))
