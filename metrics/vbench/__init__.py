"""VBench's quality dimensions, each computed exactly as vbench 0.1.5 computes it (see each module).

This module is the registry: VBench's dimension names, the module and class of each, and the
``vbench-quality`` group. It imports no torch and no dimension module, so settings and ``--help``
can validate ``--metrics`` at once; a dimension's module is imported when it is built.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metrics.vbench.dimension import VBenchDimension

#: VBench's dimension name -> ``module:Class`` of ours.
DIMENSIONS: dict[str, str] = {
    "subject_consistency": "metrics.vbench.subject_consistency:SubjectConsistency",
    "background_consistency": "metrics.vbench.background_consistency:BackgroundConsistency",
    "temporal_flickering": "metrics.vbench.temporal_flickering:TemporalFlickering",
    "motion_smoothness": "metrics.vbench.motion_smoothness:MotionSmoothness",
    "dynamic_degree": "metrics.vbench.dynamic_degree:DynamicDegree",
    "aesthetic_quality": "metrics.vbench.aesthetic_quality:AestheticQuality",
    "imaging_quality": "metrics.vbench.imaging_quality:ImagingQuality",
}
#: Named groups a ``--metrics`` list may use: VBench's seven quality dimensions.
GROUPS: dict[str, tuple[str, ...]] = {"vbench-quality": tuple(DIMENSIONS)}
#: The benchmark's own metrics, always computed; ``--metrics`` may name them beside the dimensions.
BENCHMARK_METRICS = ("fvd", "clipsim")


class DimensionNotAvailableError(ImportError):
    """A registered dimension whose module is not part of this installation."""


def expand_metrics(names: Iterable[str]) -> list[str]:
    """The VBench dimensions a ``--metrics`` list asks for, groups expanded, in the order given, each once."""
    chosen: list[str] = []
    for raw in names:
        name = raw.strip()
        if name in BENCHMARK_METRICS:
            continue
        for member in GROUPS.get(name, (name,)):
            if member not in DIMENSIONS:
                accepted = ", ".join([*BENCHMARK_METRICS, *GROUPS, *DIMENSIONS])
                raise ValueError(f"unknown metric {name!r}; choose from {accepted}")
            if member not in chosen:
                chosen.append(member)
    return chosen


def dimension_class(name: str) -> type[VBenchDimension]:
    """The class of dimension ``name``, its module imported now; a clear error if the module is absent."""
    if name not in DIMENSIONS:
        raise ValueError(f"unknown VBench dimension {name!r}; choose from {', '.join(DIMENSIONS)}")
    module_name, class_name = DIMENSIONS[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise DimensionNotAvailableError(
            f"VBench dimension {name!r} needs {module_name}, which this installation does not have; "
            "leave it out of --metrics (list the dimensions you want instead of the group)"
        ) from exc
    return getattr(module, class_name)
