"""VBench dimensions in the benchmarks: built from the weight-file flags, scored per video, cached, summed.

A video's state (:class:`metrics.vbench.dimension.DimensionState`) is written to its own file,
``<clip id>.<dimension>.json``, in a folder keyed by the dimension and the checksums of its weights, so a
rerun or a resumed run recomputes nothing and other weights never reuse a stale score. Rank 0 sums the
cached states in clip-id order: the numbers are the same for one process or many.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from benchmarks.rundir import write_json
from benchmarks.vbench_job import WEIGHT_FLAGS
from metrics.i3d import file_sha256
from metrics.vbench import DimensionNotAvailableError, dimension_class
from metrics.vbench.dimension import DimensionState, VBenchDimension
from metrics.vbench.dynamic_degree import DynamicDegree
from simda.plumbing.errors import BadInputFile, InvalidSetting
from simda.plumbing.identity import identity_of
from simda.settings import EvaluationSettings


@dataclass
class LoadedDimension:
    """A dimension ready to score, with what identifies it (its weights) in the run's parameters."""

    dimension: VBenchDimension
    params: dict[str, str]
    random_weights: bool

    @property
    def name(self) -> str:
        return self.dimension.name

    @property
    def cache_key(self) -> str:
        return f"vbench-{self.name}-{identity_of(self.params)}"


def require_available(names: Sequence[str]) -> None:
    """Refuse, as a usage error (exit status 2), a requested dimension whose module is not installed."""
    for name in names:
        try:
            dimension_class(name)
        except DimensionNotAvailableError as exc:
            raise InvalidSetting(str(exc)) from exc


def load_dimension(
    name: str, weights: Mapping[str, Path | None], device: str | torch.device, tiny: bool, fps: float, seed: int = 0
) -> LoadedDimension:
    """Dimension ``name`` from its weight files (``weights``: settings field -> path), or random when ``tiny``
    and none is given. Missing or unreadable files are refused with the flag that names them."""
    cls = dimension_class(name)
    given = {field: weights.get(field) for field in cls.weight_fields}
    if given and all(path is None for path in given.values()):
        if not tiny:
            flags = " and ".join(WEIGHT_FLAGS[field] for field in given)
            raise InvalidSetting(f"--metrics {name} needs {flags} (without --preset tiny): pass the weight files")
        dimension, params, random_weights = cls.tiny(seed, device), {"weights": f"random-init-seed{seed}"}, True
    else:
        for field, path in given.items():
            if path is None or not Path(path).is_file():
                raise BadInputFile(f"{WEIGHT_FLAGS[field]} {path}: not found; {name} needs this weight file")
        try:
            dimension = cls.from_pretrained(*given.values(), device=device)
        except Exception as exc:  # any reading or key error is a bad file: name it
            flags = ", ".join(f"{WEIGHT_FLAGS[f]} {p}" for f, p in given.items())
            raise BadInputFile(f"{flags}: cannot be loaded for {name} ({type(exc).__name__}: {exc})") from exc
        params = {WEIGHT_FLAGS[f]: file_sha256(Path(p)) for f, p in given.items()}
        random_weights = False
    if isinstance(dimension, DynamicDegree):
        dimension.fps = fps
        params["fps"] = str(fps)
    return LoadedDimension(dimension, params, random_weights)


def load_dimensions(
    names: Sequence[str],
    evaluation: EvaluationSettings,
    clip_ckpt: Path | None,
    device: str | torch.device,
    tiny: bool,
    fps: float,
) -> list[LoadedDimension]:
    """The dimensions ``names`` from the weight-file flags (``clip_ckpt`` is a benchmark's own, the rest are
    ``evaluation``'s), every dimension's module checked present before any network loads."""
    require_available(names)
    weights = {name: clip_ckpt if name == "clip_ckpt" else getattr(evaluation, name) for name in WEIGHT_FLAGS}
    return [load_dimension(name, weights, device, tiny, fps) for name in names]


def state_path(folder: Path, clip_id: str, name: str) -> Path:
    return folder / f"{clip_id}.{name}.json"


def score_video(video: Any, clip_id: str, dimensions: Sequence[LoadedDimension], folders: Mapping[str, Path]) -> None:
    """Cache each dimension's state of one uint8 ``[T, H, W, 3]`` video that is not cached yet."""
    frames = torch.as_tensor(video)
    for loaded in dimensions:
        path = state_path(folders[loaded.name], clip_id, loaded.name)
        if not path.exists():
            write_json(path, asdict(loaded.dimension.video_state(frames)))


def missing_states(clip_id: str, dimensions: Sequence[LoadedDimension], folders: Mapping[str, Path]) -> bool:
    return any(not state_path(folders[d.name], clip_id, d.name).exists() for d in dimensions)


def read_state(path: Path) -> DimensionState:
    return DimensionState(**json.loads(path.read_text()))


def cached_states(
    clip_id: str, dimensions: Sequence[LoadedDimension], folders: Mapping[str, Path]
) -> dict[str, DimensionState]:
    """The states of ``dimensions`` already cached for one video (dimension name -> state)."""
    paths = {d.name: state_path(folders[d.name], clip_id, d.name) for d in dimensions}
    return {name: read_state(path) for name, path in paths.items() if path.is_file()}


def summarise_dimensions(
    dimensions: Sequence[LoadedDimension], folders: Mapping[str, Path], clip_ids: Sequence[str]
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """``vbench_<dimension>`` scores from the cached states summed in ``clip_ids`` order, and each video's own."""
    metrics, per_video = {}, {}
    for loaded in dimensions:
        states = [read_state(state_path(folders[loaded.name], clip_id, loaded.name)) for clip_id in clip_ids]
        loaded.dimension.reset()
        for state in states:
            loaded.dimension.update_state(state)
        metrics[f"vbench_{loaded.name}"] = loaded.dimension.compute()
        per_video[f"vbench_{loaded.name}"] = [state.total / state.count for state in states]
    return metrics, per_video
