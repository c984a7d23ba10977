"""The report's sections, each built from the runs that can fill it, or skipped with the reason.

runs (RunStore) -> kinds (benchmark, editing, ablation, profile, train)
                -> tables (reports.tables), plots (reports.plots), sample grids (logged artifacts)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from benchmarks.paper import TABLE6
from benchmarks.profiling.models import ABLATIONS
from benchmarks.publish import GRID_VIDEOS
from benchmarks.registry import BENCHMARKS, BenchmarkSpec
from reports import plots
from reports.store import LoggedRun, RunStore
from reports.tables import (
    WEIGHTS,
    Figure,
    Section,
    benchmark_table,
    marked_table,
    protocol_table,
    run_kind,
    table1,
    table5,
    table6,
    vbench_scores,
    vbench_table,
)


def _asset_name(run: LoggedRun, stem: str, suffix: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", f"{run.run_id[:8]}-{stem}") + suffix


def _plot(run: LoggedRun, stem: str, png: bytes, caption: str, random_weights: bool | None = None) -> Figure:
    """A plot drawn for ``run``, named after it; marked random when the run is (or as ``random_weights`` says)."""
    marked = run.random_weights if random_weights is None else random_weights
    return Figure(_asset_name(run, stem, ".png"), png, caption, marked)


def _by_kind(runs: Sequence[LoggedRun], kind: str, top_level: bool = False) -> list[LoggedRun]:
    return [run for run in runs if run_kind(run) == kind and not (top_level and run.parent_id)]


def _logged_figures(store: RunStore, run: LoggedRun, paths: Sequence[str], caption: str) -> list[Figure]:
    """Logged pictures (a sample grid's GIF and its PNG still) as figures; the ones the run lacks are left out."""
    figures = []
    for path in paths:
        if (data := store.artifact_bytes(run, path)) is not None:
            stem, suffix = path.rsplit(".", 1)
            kind = "looping clip" if suffix == "gif" else "still"
            name = _asset_name(run, stem.replace("/", "-"), f".{suffix}")
            figures.append(Figure(name, data, f"{caption} [{kind}]", run.random_weights))
    return figures


def _prompts(store: RunStore, run: LoggedRun) -> str:
    """The prompts of the grid's clips, left to right, from the run's per-video table."""
    table = store.table(run, "per_video")
    if table is None or "caption" not in table:
        return "prompts not logged"
    return "; ".join(f"{number}. {caption}" for number, caption in enumerate(table["caption"][:GRID_VIDEOS], start=1))


def benchmark_section(store: RunStore, runs: Sequence[LoggedRun], spec: BenchmarkSpec) -> Section:
    """A benchmark's table (Table 2 for MSR-VTT, ...), each run's FVD protocol and its captioned sample grid."""
    chosen = _by_kind(runs, spec.name, top_level=True)
    if not chosen:
        return Section(spec.title, skipped=f"no finished top-level {spec.name} benchmark run among the chosen runs")
    vbench = vbench_table(chosen, f"{spec.title}: VBench dimensions")  # None when no run scored a dimension
    tables = [benchmark_table(chosen, spec.paper_table, spec.title), protocol_table(chosen), vbench]
    section = Section(spec.title, tables=[table for table in tables if table is not None])
    for run in chosen:
        if scores := vbench_scores(run):
            png = plots.vbench_bars(scores, run.label, run.random_weights)
            caption = f"{run.label}: VBench dimensions (0..1, higher is better)"
            section.figures.append(_plot(run, "vbench", png, caption))
    for run in chosen:
        caption = f"{run.label}: first videos, prompt under each ({_prompts(store, run)})"
        section.figures += _logged_figures(store, run, ["samples/samples.gif", "samples/first_frames.png"], caption)
    return section


def editing_section(store: RunStore, runs: Sequence[LoggedRun]) -> Section:
    chosen = _by_kind(runs, "editing")
    title = "Table 5: video editing"
    if not chosen:
        return Section(title, skipped="no finished editing run (benchmarks.editing) among the chosen runs")
    section = Section(title, tables=[table5([(run, store.table(run, "table5")) for run in chosen])])
    for run in chosen:
        for path in sorted(store.artifact_files(run, "samples")):
            if path.endswith(".gif"):
                caption = f"{run.label}: the source clip, then each edit, the prompt under each"
                section.figures += _logged_figures(store, run, [path, path[: -len(".gif")] + ".png"], caption)
    if not section.figures:
        section.notes.append("these editing runs logged no sample videos (older runs did not)")
    return section


def _latency_table(ablation: pd.DataFrame, inference: pd.DataFrame) -> pd.DataFrame:
    """Each ablation variant beside the profile's inference step of the same parts (matched by what is off)."""
    profile_name = {disabled: name for name, disabled in ABLATIONS.items()}
    variant_name = {variant.label: profile_name.get(variant.disabled) for variant in TABLE6}
    step = inference.set_index("variant")["median_ms"]
    joined = ablation.assign(step_ms=ablation["variant"].map(variant_name).map(step))
    return joined.dropna(subset=["step_ms"])


def ablation_section(store: RunStore, runs: Sequence[LoggedRun], profiles: list[tuple[LoggedRun, dict]]) -> Section:
    chosen = [(run, store.table(run, "table6")) for run in _by_kind(runs, "ablation")]
    chosen = [(run, table) for run, table in chosen if table is not None]
    title = "Table 6: ablation"
    if not chosen:
        return Section(title, skipped="no finished ablation sweep (benchmarks.ablation, run 'table6') with its table")
    report = table6(chosen)
    section = Section(title, tables=[report])
    for run, _ in chosen:
        rows = report.frame[report.frame["run"] == run.label]
        bars = plots.ablation_quality(rows, run.random_weights)
        by_params = plots.quality_against(rows, "tuned parameters", "tuned parameters", run.random_weights)
        section.figures += [
            _plot(run, "ablation-quality", bars, f"{run.label}: FVD and CLIPSIM per variant, ours beside the paper's"),
            _plot(run, "quality-vs-params", by_params, f"{run.label}: quality against tuned parameters"),
        ]
        if not profiles:
            section.notes.append(
                "quality against latency: no profile run among the chosen runs to take step times from"
            )
            continue
        profile, tables = profiles[-1]
        latency = _latency_table(rows, tables["inference"])
        random_weights = run.random_weights or profile.random_weights
        by_latency = plots.quality_against(
            latency, "step_ms", f"inference step (ms), profile {profile.label}", random_weights
        )
        caption = f"{run.label}: quality against the inference step time of profile run {profile.label}"
        section.figures.append(_plot(run, "quality-vs-latency", by_latency, caption, random_weights))
    return section


def profile_tables(store: RunStore, runs: Sequence[LoggedRun]) -> list[tuple[LoggedRun, dict[str, pd.DataFrame]]]:
    """Profile runs that logged Table 1's parameter tables (a ``--params-only`` run times nothing: its
    timing tables are ``None``)."""
    found = []
    for run in _by_kind(runs, "profile"):
        tables = {name: store.table(run, name) for name in ("table1", "parameters", "inference", "training")}
        if tables["table1"] is not None and tables["parameters"] is not None:
            found.append((run, tables))
    return found


def profile_section(profiles: list[tuple[LoggedRun, dict[str, pd.DataFrame]]]) -> Section:
    title = "Table 1: parameters, speed and memory"
    if not profiles:
        return Section(title, skipped="no finished profile run (benchmarks.profile) with its tables")
    section = Section(title, tables=table1(profiles))
    for run, tables in profiles:
        if tables["inference"] is None or tables["training"] is None:
            continue  # parameters only: no cost to draw
        name = f"{run.label}: {run.params.get('preset', '?')} on {run.params.get('device_name', '?')}"
        cost = plots.profile_cost(tables["inference"], tables["training"], name, run.random_weights)
        section.figures.append(
            _plot(run, "profile-cost", cost, f"{name}: step time per variant and per peer, and training peak memory")
        )
    return section


def training_section(store: RunStore, runs: Sequence[LoggedRun]) -> Section:
    title = "Training"
    chosen = _by_kind(runs, "train")
    if not chosen:
        return Section(title, skipped="no finished training run (simda.train) among the chosen runs")
    names = {run.run_id: run.name for run in runs}
    curves = []
    for run in chosen:
        if history := store.history(run, "loss"):
            parent = names.get(run.parent_id or "")
            curves.append((f"{parent}/{run.label}" if parent else run.label, run.random_weights, history))
    section = Section(title)
    if curves:
        random_weights = any(random for _, random, _ in curves)
        section.figures.append(
            Figure("training-loss.png", plots.loss_curves(curves), "training loss per run", random_weights)
        )
    else:
        section.notes.append("no training run logged a loss")
    for run in chosen:
        videos = sorted(path for path in store.artifact_files(run, "validation") if path.endswith(".gif"))
        if videos:
            caption = f"{run.label}: last validation video ({videos[-1].rsplit('/', 1)[-1]})"
            section.figures += _logged_figures(store, run, videos[-1:], caption)
    return section


def runs_section(runs: Sequence[LoggedRun]) -> Section:
    """Every run the report read, so a reader can find each one in MLflow."""
    rows = [
        {
            "run": run.label,
            "run id": run.run_id,
            "experiment": run.experiment,
            "kind": run_kind(run) or "other",
            "parent": run.parent_id or "",
            WEIGHTS: "random weights" if run.random_weights else "real",
        }
        for run in runs
    ]
    return Section("Runs", tables=[marked_table("Runs read from MLflow", rows)])


def build_sections(store: RunStore, runs: Sequence[LoggedRun]) -> list[Section]:
    profiles = profile_tables(store, runs)
    return [
        runs_section(runs),
        profile_section(profiles),
        *(
            benchmark_section(store, runs, spec)
            for spec in BENCHMARKS.values()
            # a benchmark of the paper says why it is empty; one of your own appears only with its runs
            if spec.paper_table is not None or _by_kind(runs, spec.name, top_level=True)
        ),
        editing_section(store, runs),
        ablation_section(store, runs, profiles),
        training_section(store, runs),
    ]
