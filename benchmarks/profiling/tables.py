"""The profile's results as tables (printed and logged), ratio metrics and one PNG.

Ratios to the floor are the headline: a time on one machine says little, a ratio measured in
the same run says a lot. The paper's Table 1 sits beside our parameter counts and video time.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: the profile runs on headless GPU nodes and in CI

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.paper import TABLE1_METHODS, TABLE1_SIMDA_PARAMS_B  # noqa: E402
from benchmarks.profiling.models import FLOOR  # noqa: E402
from benchmarks.timing import Timing  # noqa: E402
from simda.model.params import ParameterCount  # noqa: E402

# The targets for the SD 1.5 GPU run (fp16, 16x256x256), meaningless for the tiny CPU run: SimDA's steps over
# the frozen 2D UNet's, and its training peak over the floor's (AdamW's state for the adapters included).
TARGETS = {"inference_x_floor": 1.15, "training_x_floor": 1.8, "training_peak_over_floor_gib": 0.5}


def parameter_table(rows: list[ParameterCount]) -> pd.DataFrame:
    """Our counts per component (plus the T2V core, the paper's grouping) beside the paper's."""
    by_name = {row.component: row for row in rows}
    core = ParameterCount("t2v_core", by_name["unet"].total + by_name["adapters"].total, by_name["adapters"].trainable)
    ordered = [*rows[:-1], core, rows[-1]]
    table = pd.DataFrame([row.as_row() for row in ordered])
    return table.assign(paper_B=table["component"].map(TABLE1_SIMDA_PARAMS_B))


def methods_table(parameters: pd.DataFrame, video_seconds: float | None, device_name: str) -> pd.DataFrame:
    """Table 1's comparison rows, with this run's SimDA row on top."""
    totals = parameters.set_index("component")
    ours = {
        "method": "SimDA (this run)",
        "overall_B": totals.loc["total", "params_B"],
        "tuned_B": round(totals.loc["adapters", "trainable"] / 1e9, 4),
        "video_s": video_seconds if video_seconds is not None else math.nan,
        "source": device_name,
    }
    paper = pd.DataFrame(TABLE1_METHODS).assign(source="paper, A100")
    return pd.concat([pd.DataFrame([ours]), paper], ignore_index=True)


def timing_table(
    timings: dict[str, Timing], reference: str, unit: str = "ms", peak_gib: dict[str, float | None] | None = None
) -> pd.DataFrame:
    """Median (and range) per workload and its ratio to ``reference``'s median."""
    scale = {"ms": 1e3, "s": 1.0}[unit]
    base = timings[reference].median
    table = pd.DataFrame(
        {
            "variant": list(timings),
            f"median_{unit}": [t.median * scale for t in timings.values()],
            f"min_{unit}": [t.minimum * scale for t in timings.values()],
            f"max_{unit}": [t.maximum * scale for t in timings.values()],
            f"x_{reference}": [t.median / base for t in timings.values()],
            "runs": [len(t.samples) for t in timings.values()],
        }
    )
    if peak_gib is not None:
        table["peak_gib"] = table["variant"].map(peak_gib).astype(float)
    return table.round(4)


# MLflow metric -> (table, column), one metric per row of the table: ``<metric>.<variant>``.
METRIC_COLUMNS = {
    "inference_x_floor": ("inference", f"x_{FLOOR}"),
    "training_x_floor": ("training", f"x_{FLOOR}"),
    "training_peak_gib": ("training", "peak_gib"),
    "temporal_conv_x_conv3d": ("temporal_conv", "x_conv3d"),
    "kernels_per_step": ("kernels", "inference_kernels"),
    "kernels_added_per_block": ("kernels", "added_per_block"),
    "training_kernels_per_step": ("kernels", "training_kernels"),
    "video_s": ("video", "median_s"),
    "sr_step_ms": ("super_resolution", "median_ms"),
    "sr_x_floor": ("super_resolution", f"x_{FLOOR}"),
    "sr_peak_gib": ("super_resolution", "peak_gib"),
}


def ratio_metrics(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Flat MLflow metrics: every ratio to the floor, peak memory, kernel counts and the video times.

    A cell with nothing measured (NaN: peak memory off CUDA, kernels of a variant never trained) is left out.
    """
    return {
        f"{metric}.{variant}": float(value)
        for metric, (section, column) in METRIC_COLUMNS.items()
        for variant, value in zip(tables[section]["variant"], tables[section][column], strict=True)
        if not math.isnan(value)
    }


def render(tables: dict[str, pd.DataFrame], header: list[str]) -> str:
    """Plain-text report: the header lines, then every table under its name, integers with thousands
    separators so parameter counts read at a glance."""
    blocks = ["\n".join(header)]
    for name, table in tables.items():
        integers = {column: "{:,}".format for column in table if pd.api.types.is_integer_dtype(table[column])}
        blocks.append(f"== {name} ==\n{table.to_string(index=False, formatters=integers)}")
    return "\n\n".join(blocks) + "\n"


def plot(tables: dict[str, pd.DataFrame], title: str, path: Path) -> Path:
    """Step-time ratios to the floor (inference, training) and peak training memory, as bars."""
    figure, axes = plt.subplots(1, 3, figsize=(16, 5))
    for axis, section in zip(axes[:2], ("inference", "training"), strict=True):
        axis.axvline(1.0, color="black", linewidth=0.8)
        target = TARGETS[f"{section}_x_floor"]
        bars(axis, tables[section], f"x_{FLOOR}", target, f"{section} step / 2D UNet floor", "tab:blue")
    memory = tables["training"].dropna(subset=["peak_gib"])
    if memory.empty:
        axes[2].text(0.5, 0.5, "peak memory is measured on CUDA only", ha="center", va="center")
        axes[2].set_axis_off()
    else:
        target = memory.set_index("variant").loc[FLOOR, "peak_gib"] + TARGETS["training_peak_over_floor_gib"]
        bars(axes[2], memory, "peak_gib", target, "training peak memory (GiB)", "tab:green")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def bars(axis: plt.Axes, table: pd.DataFrame, column: str, target: float, title: str, color: str) -> None:
    """One variant a bar, top to bottom in the table's order, with the GPU target marked."""
    axis.barh(table["variant"], table[column], color=color)
    axis.axvline(target, color="tab:red", linestyle="--", label="GPU target")
    axis.set_title(title)
    axis.invert_yaxis()
    axis.legend(loc="lower right")
