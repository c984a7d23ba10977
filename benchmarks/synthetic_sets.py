"""The tiny presets' synthetic datasets, written once per content and reused by every later run.

A set lives at ``<root>/<benchmark>-<count>-<key>``, where the key hashes what decides its bytes (the
writer, the clip count and :data:`SYNTHETIC_VERSION`); :func:`simda.plumbing.content_cache.cached_folder`
writes it once and atomically, so an identical rerun reads the same files at the same paths and logs the
same MLflow parameters.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.registry import BenchmarkSpec
from simda.plumbing.content_cache import cached_folder
from simda.synthetic import SYNTHETIC_VERSION


def synthetic_set(spec: BenchmarkSpec, count: int, root: Path) -> tuple[Path, Path]:
    """``spec``'s tiny set of ``count`` clips under ``root``: (annotations, videos), written if absent.

    ``root`` sits beside the run folder, so an unwritable one is refused naming ``--output-dir``.
    """

    def write(folder: Path) -> dict[str, Path]:
        annotations, videos = spec.write_synthetic(folder, count)
        return {"annotations": annotations, "videos": videos}

    content = {"writer": spec.writer, "count": count, "version": SYNTHETIC_VERSION}
    files = cached_folder(root, f"{spec.name}-{count}", content, write)
    return files["annotations"], files["videos"]
