"""result.json and every JSON a command writes are strict: a missing or non-finite number is null."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simda.plumbing.cli import write_result_json


@dataclass
class NumbersResult:
    output_dir: Path

    def summary(self) -> str:
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {"fvd": float("nan"), "rows": [{"clipsim": np.float32("inf")}, {"loss": np.float64(0.25)}], "steps": 3}


def test_result_json_holds_null_for_a_non_finite_number(tmp_path: Path) -> None:
    text = write_result_json(NumbersResult(tmp_path)).read_text()
    assert "NaN" not in text and "Infinity" not in text
    strict = json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
    assert strict == {"fvd": None, "rows": [{"clipsim": None}, {"loss": 0.25}], "steps": 3}
