"""The training loss as a PNG, logged with every training run so its curve can be seen without a UI."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: training runs on headless nodes

import matplotlib.pyplot as plt  # noqa: E402

from metrics.protocol_names import RANDOM_WEIGHTS_BANNER  # noqa: E402
from simda.plumbing.atomic import atomic_path  # noqa: E402


def write_loss_plot(path: Path, steps: Sequence[int], losses: Sequence[float], random_weights: bool) -> Path:
    """Loss against optimizer step, the title saying when the frozen base had random weights."""
    if len(steps) != len(losses) or not steps:
        raise ValueError(f"a loss plot needs one loss per step, got {len(steps)} steps and {len(losses)} losses")
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(steps, losses, marker="." if len(steps) < 50 else None)
    axis.set_xlabel("step")
    axis.set_ylabel("loss (noise MSE)")
    note = f" ({RANDOM_WEIGHTS_BANNER})" if random_weights else ""
    axis.set_title(f"training loss{note}")
    axis.title.set_fontsize(9)
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=100)
    plt.close(figure)
    return path
