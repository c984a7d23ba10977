"""The paper's tables rebuilt from logged runs, each run's numbers beside the published ones.

Every function here takes runs (and tables) already read from MLflow and returns plain
DataFrames, so the numbers can be checked against MLflow without rendering anything. The
published numbers are imported from where the benchmarks keep them, never retyped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from benchmarks.paper import (
    RANDOM_WEIGHTS_NOTE,
    TABLE1_METHODS,
    TABLE1_SIMDA_PARAMS_B,
    TABLE5,
    TABLE6,
    PaperRow,
    simda_row,
)
from benchmarks.registry import BENCHMARKS
from reports.store import LoggedRun

NAN = math.nan
WEIGHTS = "weights"  # the column every table carries: which rows come from random weights


@dataclass
class ReportTable:
    """A titled table; ``random_rows`` says which rows come from random weights (marked when rendered)."""

    title: str
    frame: pd.DataFrame
    random_rows: list[bool]
    note: str = ""


@dataclass
class Figure:
    """A picture for the report: a PNG plot, or a sample grid (GIF with a PNG still)."""

    name: str
    data: bytes
    caption: str
    random_weights: bool = False


@dataclass
class Section:
    """One part of the report; ``skipped`` says why it is empty instead of failing the report."""

    title: str
    tables: list[ReportTable] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None


def weights_mark(run: LoggedRun) -> str:
    return RANDOM_WEIGHTS_NOTE if run.random_weights else "real"


def marked_table(title: str, rows: Sequence[dict[str, object]]) -> ReportTable:
    """Rows that each carry their run's weights mark; every row not marked ``real`` is shaded as random."""
    return ReportTable(title, pd.DataFrame(rows), [row[WEIGHTS] != "real" for row in rows])


def run_kind(run: LoggedRun) -> str | None:
    """What command made ``run``, read from what it logged (a run may sit in any experiment)."""
    benchmark = run.tags.get("benchmark")
    if benchmark in BENCHMARKS:
        return benchmark
    if run.name in ("table5", "table6"):
        return {"table5": "editing", "table6": "ablation"}[run.name]
    if run.experiment == "simda-profile" or any(key.startswith("inference_x_floor.") for key in run.metrics):
        return "profile"
    if "train.max_steps" in run.params:
        return "train"
    return None


def _difference(ours: float | None, paper: float | None) -> float:
    return NAN if ours is None or paper is None or math.isnan(ours) else ours - paper


def benchmark_table(runs: Sequence[LoggedRun], paper: tuple[PaperRow, ...] | None, title: str) -> ReportTable:
    """A benchmark's table (Table 2 or 3): the paper's rows as published, then one row per evaluated run beside
    the paper's SimDA (blank for a benchmark the paper has no table or no SimDA row for)."""
    simda = simda_row(paper) or PaperRow("SimDA", None, None)
    published = paper or ()
    rows: list[dict[str, object]] = [
        {"method": row.method, "source": "paper", "FVD": row.fvd, "CLIPSIM": row.clipsim} for row in published
    ]
    for run in runs:
        fvd, clipsim = run.metrics.get("fvd", NAN), run.metrics.get("clipsim", NAN)
        low, high = run.metrics.get("fvd_ci_low"), run.metrics.get("fvd_ci_high")
        rows.append(
            {
                "method": f"{run.tags.get('generator', 'SimDA')}, run {run.label}",
                "source": "this run",
                "FVD": fvd,
                "CLIPSIM": clipsim,
                "paper SimDA FVD": simda.fvd,
                "Δ FVD": _difference(fvd, simda.fvd),
                "paper SimDA CLIPSIM": simda.clipsim,
                "Δ CLIPSIM": _difference(clipsim, simda.clipsim),
                "FVD interval": "not logged" if low is None or high is None else f"[{low:.2f}, {high:.2f}]",
                "videos": int(run.metrics["num_videos"]) if "num_videos" in run.metrics else None,
                WEIGHTS: weights_mark(run),
            }
        )
    frame = pd.DataFrame(rows).astype({"FVD": float, "CLIPSIM": float, "videos": "Int64"})
    frame[WEIGHTS] = frame[WEIGHTS].fillna("")
    return ReportTable(title, frame, [False] * len(published) + [run.random_weights for run in runs])


def protocol_table(runs: Sequence[LoggedRun]) -> ReportTable:
    """Every ``fvd.*`` parameter of each run: the conventions without which an FVD cannot be compared."""
    keys = sorted({key for run in runs for key in run.params if key.startswith("fvd.")})
    columns = {"setting": keys}
    for run in runs:
        label = run.label + (" [random weights]" if run.random_weights else "")
        columns[label] = [run.params.get(key, "not logged") for key in keys]
    return ReportTable("FVD protocol of each run", pd.DataFrame(columns), [False] * len(keys))


def _metric_rows(
    run: LoggedRun, quantities: Sequence[tuple[str, float, float | None]], extras: Sequence[dict[str, object]]
) -> list[dict[str, object]]:
    """One row per quantity beside the paper's SimDA, each with its ``extras`` columns before the weights."""
    return [
        {
            "run": run.label,
            "quantity": name,
            "ours": ours,
            "paper SimDA": NAN if paper is None else paper,
            "Δ": _difference(ours, paper),
            **extra,
            WEIGHTS: weights_mark(run),
        }
        for (name, ours, paper), extra in zip(quantities, extras, strict=True)
    ]


def _simda_row(timings: pd.DataFrame | None) -> pd.Series:
    """SimDA's row of a profile's timing table; empty for a ``--params-only`` run, which times nothing."""
    return pd.Series(dtype=float) if timings is None else timings.set_index("variant").loc["simda"]


def table1(profiles: Sequence[tuple[LoggedRun, dict[str, pd.DataFrame]]]) -> list[ReportTable]:
    """Table 1: parameters, the video's time, step times and memory of each profile run, beside the paper's SimDA.

    The paper prints parameters and the time of one video (A100); step times and peak memory
    have no published counterpart and show a dash there.
    """
    paper = pd.DataFrame(TABLE1_METHODS).set_index("method").loc["SimDA"]
    rows = []
    for run, tables in profiles:
        ours = tables["table1"].iloc[0]
        inference, training = (_simda_row(tables.get(name)) for name in ("inference", "training"))
        # table1 rounds tuned_B to 4 decimals (0 for the tiny model): the exact count is in the parameters table
        tuned = int(tables["parameters"].set_index("component").loc["adapters", "trainable"])
        quantities = [
            ("overall parameters (B)", float(ours["overall_B"]), float(paper["overall_B"])),
            ("tuned parameters (B)", tuned / 1e9, float(paper["tuned_B"])),
            ("one video (s)", float(ours["video_s"]), float(paper["video_s"])),
            ("inference step (ms)", float(inference.get("median_ms", NAN)), None),
            ("inference step / 2D UNet", float(inference.get("x_2d_floor", NAN)), None),
            ("training step (ms)", float(training.get("median_ms", NAN)), None),
            ("training peak memory (GiB)", float(training.get("peak_gib", NAN)), None),
        ]
        device = f"{run.params.get('device_name', '?')}, {run.params.get('dtype', '?')}"
        rows += _metric_rows(run, quantities, [{"device": device}] * len(quantities))
    components = [
        {
            "run": run.label,
            "component": row.component,
            "ours (B)": float(row.params_B),
            "paper (B)": TABLE1_SIMDA_PARAMS_B.get(row.component, NAN),
            "Δ (B)": _difference(float(row.params_B), TABLE1_SIMDA_PARAMS_B.get(row.component)),
            "trainable": int(row.trainable),
            WEIGHTS: weights_mark(run),
        }
        for run, tables in profiles
        for row in tables["parameters"].itertuples(index=False)
    ]
    return [
        marked_table("Table 1: cost of each profile run", rows),
        marked_table("Parameters per component", components),
        ReportTable("Table 1 as published (one A100)", pd.DataFrame(TABLE1_METHODS), [False] * len(TABLE1_METHODS)),
    ]


# Table 5's columns in the paper's order, with the words the report prints for them.
TABLE5_QUANTITIES = {
    "frame_consistency": "frame consistency (CLIP x100)",
    "textual_alignment": "textual alignment (CLIP x100)",
    "train_min": "training (min)",
    "inference_min": "inference (min)",
    "train_gib": "training memory (GiB)",
    "inference_gib": "inference memory (GiB)",
    "tuned_M": "tuned parameters (M)",
}


def table5(runs: Sequence[tuple[LoggedRun, pd.DataFrame | None]]) -> ReportTable:
    """Table 5: each editing run's scores (its MLflow metrics, else its logged table) beside both papers' rows.

    A quantity the run did not measure (GPU memory on a CPU) stays empty, never zero.
    """
    published = pd.DataFrame(TABLE5).set_index("method")
    rows = []
    for run, table in runs:
        logged_row = table.iloc[0] if table is not None and len(table) else None
        quantities = []
        for column, words in TABLE5_QUANTITIES.items():
            value = run.metrics.get(column)
            if value is None and logged_row is not None:
                value = float(logged_row[column])
            quantities.append((words, NAN if value is None else value, float(published.loc["SimDA", column])))
        tune_a_video = [
            {"paper Tune-A-Video": float(published.loc["Tune-A-Video", column])} for column in TABLE5_QUANTITIES
        ]
        rows += _metric_rows(run, quantities, tune_a_video)
    return marked_table("Table 5: one-shot video editing", rows)


def table6(runs: Sequence[tuple[LoggedRun, pd.DataFrame]]) -> ReportTable:
    """Table 6: each variant of each ablation sweep, ours beside the paper's FVD and CLIPSIM."""
    paper = {variant.label: variant for variant in TABLE6}
    rows = []
    for run, table in runs:
        for logged in table.to_dict("records"):
            published = paper[logged["variant"]]
            rows.append(
                {
                    "run": run.label,
                    "variant": logged["variant"],
                    **{part: bool(logged[part]) for part in ("TA", "AA", "FA", "LSA")},
                    "tuned parameters": int(logged["tuned_params"]),
                    "FVD": float(logged["fvd"]),
                    "paper FVD": published.fvd,
                    "Δ FVD": float(logged["fvd"]) - published.fvd,
                    "CLIPSIM": float(logged["clipsim"]),
                    "paper CLIPSIM": published.clipsim,
                    "Δ CLIPSIM": float(logged["clipsim"]) - published.clipsim,
                    WEIGHTS: weights_mark(run),
                }
            )
    return marked_table("Table 6: ablation (1K WebVid validation pairs in the paper)", rows)


def vbench_scores(run: LoggedRun) -> dict[str, float]:
    """The run's VBench dimension scores (metrics ``vbench_<dimension>``), by dimension name."""
    metrics = sorted(run.metrics.items())
    return {name.removeprefix("vbench_"): value for name, value in metrics if name.startswith("vbench_")}


def vbench_table(runs: Sequence[LoggedRun], title: str) -> ReportTable | None:
    """One row per run that scored VBench dimensions, one column per dimension; ``None`` when none did."""
    rows = [
        {"method": f"{run.tags.get('generator', 'SimDA')}, run {run.label}", **scores, WEIGHTS: weights_mark(run)}
        for run in runs
        if (scores := vbench_scores(run))
    ]
    return marked_table(title, rows) if rows else None
