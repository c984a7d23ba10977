"""Every text-to-video benchmark, once: the commands, ``benchmarks.compare`` and the reports iterate this.

Adding a benchmark is one entry here (its data format's reader and tiny-set writer, the paper's table, the
default sample size), one module (reader, writer and ``python -m benchmarks.<name>`` command) and its tests;
nothing else names benchmarks one by one.

Readers and writers are named as ``"module:function"`` and imported when called, so this module
costs nothing to import (``--help`` and the reports read it without loading torch).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.paper import MSRVTT_TABLE, MSRVTT_TEST_VIDEOS, WEBVID_TABLE, WEBVID_VAL_PAIRS, PaperRow

if TYPE_CHECKING:
    from benchmarks.datasets import Clip


def resolve(reference: str) -> Callable[..., Any]:
    """The function a ``"module:function"`` reference names."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class BenchmarkSpec:
    """One benchmark: what its command reads and writes, and what its runs are set beside.

    ``reader(annotations, videos, caption_seed=...)`` returns the clips (without ``videos_required``
    there is no ``--videos``: the annotation file names each video's path, and ``videos`` is its folder);
    ``writer(folder, count)`` writes a tiny set in the real format and returns (annotations, videos).
    """

    name: str
    title: str  # the report section's title
    annotation_flag: str
    annotation_help: str
    reader: str
    writer: str
    paper_table: tuple[PaperRow, ...] | None = None
    default_num_videos: int | None = None  # None: every clip the annotation file lists
    videos_required: bool = True

    @property
    def experiment(self) -> str:
        return f"simda-{self.name}"

    @property
    def command(self) -> str:
        return f"python -m benchmarks.{self.name}"

    def read(self, annotations: Path, videos: Path, caption_seed: int) -> list[Clip]:
        return resolve(self.reader)(annotations, videos, caption_seed=caption_seed)


def synthetic_set(spec: BenchmarkSpec, count: int, root: Path) -> tuple[Path, Path]:
    """``spec``'s tiny set of ``count`` clips (the tiny preset's data): (annotations, videos), written if absent.

    It lives at ``<root>/<benchmark>-<count>-<key>``, the key hashing what decides its bytes (the writer, the
    count and ``SYNTHETIC_VERSION``); :func:`simda.plumbing.content_cache.cached_folder` writes it once and
    atomically, so an identical rerun reads the same files at the same paths and logs the same MLflow
    parameters. ``root`` sits beside the run folder, so an unwritable one is refused naming ``--output-dir``.
    """
    from simda.plumbing.content_cache import cached_folder
    from simda.synthetic import SYNTHETIC_VERSION

    def write(folder: Path) -> dict[str, Path]:
        annotations, videos = resolve(spec.writer)(folder, count)
        return {"annotations": annotations, "videos": videos}

    content = {"writer": spec.writer, "count": count, "version": SYNTHETIC_VERSION}
    files = cached_folder(root, f"{spec.name}-{count}", content, write)
    return files["annotations"], files["videos"]


BENCHMARKS: dict[str, BenchmarkSpec] = {
    spec.name: spec
    for spec in (
        BenchmarkSpec(
            name="msrvtt",
            title="Table 2: MSR-VTT zero-shot",
            paper_table=MSRVTT_TABLE,
            default_num_videos=MSRVTT_TEST_VIDEOS,
            annotation_flag="--annotations",
            annotation_help="MSR-VTT annotation file test_videodatainfo.json",
            reader="benchmarks.datasets:read_msrvtt",
            writer="benchmarks.datasets:write_msrvtt_set",
        ),
        BenchmarkSpec(
            name="webvid",
            title="Table 3: WebVid",
            paper_table=WEBVID_TABLE,
            default_num_videos=WEBVID_VAL_PAIRS,
            annotation_flag="--csv",
            annotation_help="WebVid csv (results_2M_val.csv) with videoid, name and page_dir columns",
            reader="benchmarks.datasets:read_webvid",
            writer="benchmarks.datasets:write_webvid_set",
        ),
        BenchmarkSpec(
            name="custom",
            title="Your own prompts and videos (benchmarks.custom)",
            annotation_flag="--csv",
            annotation_help="a CSV with columns id, caption and path (relative to the CSV's folder, or absolute)",
            reader="benchmarks.custom:read_custom",
            writer="benchmarks.custom:write_custom_set",
            videos_required=False,
        ),
    )
}
