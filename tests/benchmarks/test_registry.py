"""The benchmark registry: every benchmark is its entry, one module and its tests; nothing else lists them."""

from __future__ import annotations

import ast
import importlib.util
import math
from pathlib import Path

import pytest

from benchmarks.paper import PaperRow, comparison_table, simda_row
from benchmarks.registry import BENCHMARKS, resolve
from reports.store import LoggedRun
from reports.tables import benchmark_table, run_kind

#: The modules that serve every benchmark: they must iterate the registry, never name a benchmark.
SHARED = (
    "benchmarks.text_to_video",
    "benchmarks.text_to_video_engine",
    "benchmarks.compare",
    "reports.sections",
    "reports.tables",
    "reports.build",
)


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_a_benchmark_is_its_registry_entry_and_at_most_one_more_module(name):
    spec = BENCHMARKS[name]
    reader, writer = resolve(spec.reader), resolve(spec.writer)
    assert reader.__module__ == writer.__module__, "the synthetic writer lives beside its reader"
    command = importlib.import_module(f"benchmarks.{name}")
    assert command.SPEC is spec and callable(command.main), f"python -m benchmarks.{name} takes its spec from here"
    modules = {reader.__module__, command.__name__} - {"benchmarks.datasets"}  # the published sets' shared readers
    assert len(modules) == 1, f"{name} spreads over {sorted(modules)}: a benchmark is one module beside its entry"
    assert spec.experiment == f"simda-{name}" and spec.command == f"python -m benchmarks.{name}"


@pytest.mark.parametrize("module", SHARED)
def test_the_commands_compare_and_reports_name_no_benchmark(module):
    tree = ast.parse(Path(importlib.util.find_spec(module).origin).read_text())  # read, not imported: no torch
    literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert not literals & set(BENCHMARKS), f"{module} spells out a benchmark instead of iterating the registry"


def _run(name: str) -> LoggedRun:
    tags = {"benchmark": name, "random_weights": "true", "generator": "SimDA"}
    return LoggedRun("0123456789", f"simda-{name}", "run", "FINISHED", 0, {}, {"fvd": 900.0, "clipsim": 0.2}, tags)


@pytest.mark.parametrize("paper", [None, (PaperRow("LVDM", 742, 0.2381),)], ids=["no table", "no SimDA row"])
def test_a_paper_table_without_a_simda_row_leaves_the_paper_column_empty(paper):
    assert simda_row(paper) is None
    table = comparison_table({"fvd": 900.0, "clipsim": 0.2}, paper, random_weights=True)
    assert list(table["ours"]) == [900.0, 0.2] and table["paper"].isna().all()
    report = benchmark_table([_run("webvid")], paper, "a benchmark")
    assert list(report.frame["source"]) == ["paper"] * len(paper or ()) + ["this run"]
    assert math.isnan(report.frame["Δ FVD"].iloc[-1]) and report.random_rows[-1]


def test_every_registered_benchmark_is_a_report_kind():
    assert {run_kind(_run(name)) for name in BENCHMARKS} == set(BENCHMARKS)
    assert simda_row(BENCHMARKS["msrvtt"].paper_table).fvd == 456
