"""Strict JSON for every file a command writes: a missing or non-finite number is ``null``, never bare ``NaN``.

Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which strict readers (browsers'
``JSON.parse``, ``jq``, most languages' parsers) reject, so one bad number would make a whole
``result.json`` unreadable to them. Lives in ``metrics`` (the bottom package) so every package can use it.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping
from typing import Any


def finite_or_null(value: Any) -> Any:
    """``value`` with every NaN or infinite number (Python or NumPy) replaced by ``None``, at any depth."""
    if isinstance(value, Mapping):
        return {key: finite_or_null(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_null(item) for item in value]
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        number = float(value)
        return number if math.isfinite(number) else None
    return value


def strict_dumps(data: Any, **options: Any) -> str:
    """``json.dumps`` of :func:`finite_or_null` ``(data)`` with ``allow_nan=False`` (objects as ``str``)."""
    return json.dumps(finite_or_null(data), allow_nan=False, default=str, **options)
