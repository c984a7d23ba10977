"""The report shows a run's VBench dimensions as a table and a bar chart beside Table 2."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from reports.plots import vbench_bars
from reports.store import LoggedRun
from reports.tables import vbench_table


def logged(run_id: str, metrics: dict[str, float], random_weights: bool = True) -> LoggedRun:
    tags = {"random_weights": str(random_weights).lower(), "generator": "SimDA"}
    return LoggedRun(run_id, "simda-msrvtt", "msrvtt-x", "FINISHED", 0, {}, metrics, tags)


def test_vbench_table_has_a_row_per_scoring_run_and_a_column_per_dimension() -> None:
    scored = logged("a" * 32, {"fvd": 10.0, "vbench_subject_consistency": 0.9, "vbench_dynamic_degree": 0.25})
    plain = logged("b" * 32, {"fvd": 12.0})
    table = vbench_table([scored, plain], "VBench")
    assert list(table.frame["subject_consistency"]) == [0.9]
    assert list(table.frame["dynamic_degree"]) == [0.25]
    assert table.random_rows == [True]
    assert vbench_table([plain], "VBench") is None


@pytest.mark.parametrize("random_weights", [True, False])
def test_vbench_bars_draw_a_png(random_weights: bool) -> None:
    png = vbench_bars({"subject_consistency": 0.95, "temporal_flickering": 0.99}, "run", random_weights)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] > 100
