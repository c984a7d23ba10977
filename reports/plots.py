"""The report's PNG plots, drawn off-screen with matplotlib's Agg backend.

Each function returns PNG bytes. A plot that shows numbers made with random weights says so in
red above its axes and in the label of every such series, so the picture cannot travel without
its caveat.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.paper import RANDOM_WEIGHTS_NOTE  # noqa: E402

RANDOM_SUFFIX = " [random weights]"


def _png(figure: plt.Figure, random_weights: bool, right: float = 1.0) -> bytes:
    """The figure as PNG bytes; ``right`` keeps the part of the width beyond it for a legend beside the axes."""
    if random_weights:
        figure.text(0.5, 0.995, RANDOM_WEIGHTS_NOTE.upper(), ha="center", va="top", color="tab:red", fontsize=9)
    figure.tight_layout(rect=(0, 0, right, 0.95))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return buffer.getvalue()


def _suffix(random_weights: bool) -> str:
    return RANDOM_SUFFIX if random_weights else ""


def ablation_quality(table: pd.DataFrame, random_weights: bool) -> bytes:
    """FVD and CLIPSIM of every variant of one sweep, ours beside the paper's bars."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    positions = np.arange(len(table))
    for axis, metric in zip(axes, ("FVD", "CLIPSIM"), strict=True):
        axis.bar(
            positions - 0.2, table[metric], 0.4, label="ours" + _suffix(random_weights), hatch="//" * random_weights
        )
        axis.bar(positions + 0.2, table[f"paper {metric}"], 0.4, label="paper", color="tab:gray")
        axis.set_xticks(positions, table["variant"], rotation=20)
        axis.set_title(f"{metric} per ablation variant" + (" (lower is better)" if metric == "FVD" else ""))
        axis.legend(fontsize=8)
    return _png(figure, random_weights)


def profile_cost(inference: pd.DataFrame, training: pd.DataFrame, title: str, random_weights: bool) -> bytes:
    """Median step time per variant and per peer (inference, training) and training peak memory."""
    memory = training.dropna(subset=["peak_gib"])
    panels = [(inference, "median_ms", "inference step (ms)"), (training, "median_ms", "training step (ms)")]
    if not memory.empty:
        panels.append((memory, "peak_gib", "training peak memory (GiB)"))
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.5))
    for axis, (table, column, label) in zip(np.atleast_1d(axes), panels, strict=True):
        axis.barh(table["variant"], table[column], hatch="//" * random_weights)
        axis.invert_yaxis()
        axis.set_title(label + _suffix(random_weights), fontsize=10)
    figure.suptitle(title + ("" if not memory.empty else " (peak memory is measured on CUDA only)"), y=0.93)
    return _png(figure, random_weights)


def quality_against(table: pd.DataFrame, x: str, x_label: str, random_weights: bool) -> bytes:
    """FVD and CLIPSIM of each ablation variant against a cost (tuned parameters, step latency).

    Each variant has its own colour, named once in a legend beside the panels: variants of equal
    cost share a point, so text labels written at the points would sit on top of each other.
    """
    figure, axes = plt.subplots(1, 2, figsize=(12, 4))
    colours = plt.get_cmap("tab10")
    ours = "x" if random_weights else "o"
    for axis, metric in zip(axes, ("FVD", "CLIPSIM"), strict=True):
        for index, row in enumerate(table.to_dict("records")):
            colour = colours(index % 10)
            axis.scatter(row[x], row[metric], color=colour, marker=ours, label=row["variant"])
            axis.scatter(row[x], row[f"paper {metric}"], facecolors="none", edgecolors=colour)
        axis.set_xlabel(x_label)
        axis.set_ylabel(metric)
        axis.set_title(f"{metric}: {ours} ours{_suffix(random_weights)}, hollow: paper at our cost", fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="center right", fontsize=8, title="variant")
    return _png(figure, random_weights, right=0.8)


def loss_curves(curves: Sequence[tuple[str, bool, list[tuple[int, float]]]]) -> bytes:
    """The ``loss`` history of each training run, one line per run."""
    figure, axis = plt.subplots(figsize=(8, 4))
    for label, random_weights, history in curves:
        steps, values = zip(*history, strict=True)
        axis.plot(steps, values, label=label + _suffix(random_weights), linestyle="--" if random_weights else "-")
    axis.set_xlabel("step")
    axis.set_ylabel("loss")
    axis.set_title("training loss")
    axis.legend(fontsize=7)
    return _png(figure, any(random for _, random, _ in curves))


def vbench_bars(scores: dict[str, float], label: str, random_weights: bool) -> bytes:
    """One run's VBench dimensions as horizontal bars on VBench's 0..1 scale (higher is better), as its leaderboard."""
    figure, axis = plt.subplots(figsize=(7, 0.5 * len(scores) + 1.2))
    axis.barh(list(scores), list(scores.values()), hatch="//" * random_weights, color="tab:blue")
    for row, score in enumerate(scores.values()):
        axis.text(min(max(score, 0.0), 1.0), row, f" {score:.4f}", va="center", fontsize=8)
    axis.set_xlim(0, 1.1)
    axis.invert_yaxis()
    axis.set_title(f"VBench dimensions: {label}" + _suffix(random_weights))
    return _png(figure, random_weights)
