"""The engine of ``benchmarks.editing``: tune, invert and edit every case, score it, resume by case.

Every case tunes from the same starting adapters. A finished case's rows are saved beside its
videos (``scores.json``, written last) under a key of everything that decides them (settings,
base, checkpoint, CLIP, the source video's sha256, its captions), so a rerun skips it.
"""

from __future__ import annotations

import copy
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
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
from benchmarks.rundir import read_json, write_json
from metrics.clip import ClipScorer, to_percent
from metrics.i3d import file_sha256
from simda.data import CaptionedVideo
from simda.editor import EditResult, edit_video, save_result, synthetic_source
from simda.model.loading import LoadedModel, load_model
from simda.pipeline import SimDAPipeline
from simda.plumbing.identity import identity_of
from simda.plumbing.tracking import log_table, tracked_run
from simda.video_io import slug

log = logging.getLogger("benchmarks.editing")


def table5_rows(video_id: str, result: EditResult, scorer: ClipScorer, on_gpu: bool) -> list[dict[str, object]]:
    """One row of Table 5's columns per edited caption: the CLIP scores x100 as Table 5 prints them, GPU memory
    NaN on a CPU (never 0)."""
    return [
        {
            "video": video_id,
            "edit": caption,
            "frame_consistency": to_percent(scorer.frame_consistency(frames)),
            "textual_alignment": to_percent(scorer.clipsim([frames], [caption]).mean),
            "train_min": result.train_seconds / 60,
            "inference_min": result.inference_seconds / 60,
            "train_gib": result.train_peak_gib if on_gpu else float("nan"),
            "inference_gib": result.inference_peak_gib if on_gpu else float("nan"),
            "tuned_M": result.tuned_parameters / 1e6,
        }
        for caption, frames in result.edits.items()
    ]


@dataclass(frozen=True)
class CaseEditor:
    """What every case is edited with: the model, the adapters each case tunes from, the CLIP scorer, and the
    identity of all three with the settings (part of each case's resume key)."""

    job: EditingBenchmarkJob
    loaded: LoadedModel
    initial: dict[str, torch.Tensor]
    scorer: ClipScorer
    identity: dict[str, object]

    def rows(self, case: EditCase, scratch: Path) -> list[dict[str, object]]:
        """The case's Table 5 rows: saved ones when it was edited with these settings, else tuned, inverted,
        edited and scored now (``scores.json`` written last: its presence means the case is done)."""
        video = CaptionedVideo(case.video.stem, case.video, case.prompt)
        folder = self.job.output_dir / slug(video.video_id)
        key = identity_of(
            {**self.identity, "video_sha256": file_sha256(case.video), "prompt": case.prompt, "edits": list(case.edits)}
        )
        saved = read_json(folder / "scores.json")
        if saved.get("key") == key:
            log.info("%s: already edited with these settings, scores from %s", video.video_id, folder)
            return saved["rows"]
        with torch.no_grad():  # every video tunes from the same starting adapters
            for name, param in self.loaded.model.adapter_named_parameters():
                param.copy_(self.initial[name])
        pipeline = SimDAPipeline.from_base(self.loaded.base, self.loaded.model)
        result = edit_video(pipeline, video, list(case.edits), self.job.editing, scratch)
        save_result(result, folder)
        rows = table5_rows(video.video_id, result, self.scorer, self.loaded.model.device.type == "cuda")
        write_json(folder / "scores.json", {"key": key, "rows": rows})
        return rows


def table5(rows: list[dict[str, object]], random_weights: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-edit table and this run's mean row above the paper's Table 5."""
    # rows reloaded from JSON come key-sorted and hold null for NaN (strict JSON): a resumed table equals the first
    per_edit = pd.DataFrame(rows, columns=list(EDIT_COLUMNS)).astype({column: float for column in EDIT_COLUMNS[2:]})
    summary = per_edit.drop(columns=["video", "edit"]).mean().to_frame().T
    summary.insert(0, "method", "SimDA (this run" + (", random weights)" if random_weights else ")"))
    return per_edit, pd.concat([summary, pd.DataFrame(TABLE5)], ignore_index=True)


def run_editing_benchmark(job: EditingBenchmarkJob) -> EditingBenchmarkResult:
    """Edit every case (a finished one is read back), then log Table 5 and each case's samples to MLflow; the
    caller (:func:`benchmarks.editing.run`) has checked and claimed the output folder."""
    settings = job.editing
    loaded = load_model(job.model, seed=settings.seed)
    scorer, clip_params = load_clip_scorer(job.clip_ckpt, job.clip_model, loaded.model.device)
    ckpt = loaded.checkpoint or "none"
    identity = {"edit": settings.as_params(), "base": loaded.base.identity(), "ckpt": ckpt, "clip": clip_params}
    # the run records the base's source where the resume key holds its identity
    params = {
        **identity,
        "base": loaded.base.source,
        "cases": str(job.cases or "synthetic"),
        "random_weights": job.random_weights,
    }
    editor = CaseEditor(job, loaded, copy.deepcopy(loaded.model.adapter_state_dict()), scorer, identity)
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
        rows = [row for index, case in enumerate(cases) for row in editor.rows(case, Path(scratch) / f"tune-{index}")]
        per_edit, table = table5(rows, job.random_weights)
        log_table(per_edit, "edits")
        log_table(table, "table5")
        mlflow.log_metrics(finite_metrics({**table.iloc[0].drop("method"), "num_edits": len(per_edit)}))
        for case in cases:
            log_edit_samples(job.output_dir / slug(case.video.stem), case.prompt, list(case.edits), case.video.stem)
    return EditingBenchmarkResult(job.output_dir, table, per_edit, job.random_weights)
