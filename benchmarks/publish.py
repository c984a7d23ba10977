"""What a finished benchmark sends to MLflow besides its parameters: metrics, tables, a sample grid."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from metrics.video_io import read_video
from simda.plumbing.tracking import log_table
from simda.video_io import write_gif

GRID_VIDEOS = 8


def sample_grid(video_paths: Sequence[Path], num_frames: int) -> np.ndarray:
    """The first ``GRID_VIDEOS`` videos side by side as one uint8 clip ``[T, H, W * n, 3]``."""
    return np.concatenate([read_video(path, num_frames) for path in video_paths[:GRID_VIDEOS]], axis=2)


def log_results(
    metrics: dict[str, float],
    per_video: pd.DataFrame,
    comparison: pd.DataFrame,
    grid: np.ndarray,
    artifacts: Sequence[Path],
) -> None:
    """Log to the active MLflow run: metrics, the per-video and paper tables, the grid as GIF and PNG."""
    mlflow.log_metrics(metrics)
    log_table(per_video, "per_video")
    log_table(comparison, "paper_comparison")
    with tempfile.TemporaryDirectory() as folder:
        write_gif(Path(folder, "samples.gif"), grid)
        mlflow.log_artifact(str(Path(folder, "samples.gif")), artifact_path="samples")
        mlflow.log_image(grid[0], artifact_file="samples/first_frames.png")
    for path in artifacts:
        if path.exists():
            mlflow.log_artifact(str(path))
