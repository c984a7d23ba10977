"""What a finished benchmark sends to MLflow besides its parameters: metrics, tables, a sample grid."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from PIL import Image, ImageSequence

from metrics.video_io import read_video
from simda.plumbing.tracking import log_table
from simda.video_io import captioned_grid, slug, write_gif

GRID_VIDEOS = 8


def log_results(
    metrics: dict[str, float],
    per_video: pd.DataFrame,
    comparison: pd.DataFrame,
    num_frames: int,
    artifacts: Sequence[Path],
) -> None:
    """Log to the active MLflow run: metrics, the per-video and paper tables, and the first ``GRID_VIDEOS``
    videos of ``per_video`` (its ``path`` column) side by side, each caption printed under its clip, as GIF and PNG."""
    mlflow.log_metrics(metrics)
    log_table(per_video, "per_video")
    log_table(comparison, "paper_comparison")
    shown = per_video[:GRID_VIDEOS]
    grid = captioned_grid([read_video(Path(path), num_frames) for path in shown["path"]], list(shown["caption"]))
    log_grid(grid, "samples/samples.gif", "samples/first_frames.png")
    for path in artifacts:
        if path.exists():
            mlflow.log_artifact(str(path))


def log_grid(grid: np.ndarray, gif_artifact: str, png_artifact: str) -> None:
    """Log a clip to the active run as a looping GIF and its first frame as a PNG still."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_gif(Path(folder, Path(gif_artifact).name), grid)
        mlflow.log_artifact(str(path), artifact_path=str(Path(gif_artifact).parent))
    mlflow.log_image(grid[0], artifact_file=png_artifact)


def finite_metrics(values: Mapping[str, float]) -> dict[str, float]:
    """The finite entries of ``values``: an unmeasured number (NaN: GPU memory on a CPU) is left out, not logged."""
    return {name: float(value) for name, value in values.items() if math.isfinite(float(value))}


def read_gif(path: Path) -> np.ndarray:
    """Every frame of a GIF as uint8 ``[T, H, W, 3]``."""
    with Image.open(path) as image:
        return np.stack([np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)])


def log_edit_samples(folder: Path, prompt: str, edits: Sequence[str], video_id: str) -> None:
    """One edited case as a captioned grid (the source, then every edit) under ``samples/<video>``.

    Read back from the GIFs ``simda.edit.save_result`` wrote in ``folder``, so a resumed case logs
    the same pictures as a fresh one.
    """
    clips = [read_gif(folder / "source.gif"), *(read_gif(folder / f"{slug(edit)}.gif") for edit in edits)]
    grid = captioned_grid(clips, [f"source: {prompt}", *edits])
    log_grid(grid, f"samples/{slug(video_id)}.gif", f"samples/{slug(video_id)}.png")
