"""The tiny presets' synthetic datasets, written once per content and reused by every later run.

A set lives at ``<root>/<benchmark>-<count>-<key>``, where the key hashes what decides its bytes (the
writer, the clip count and :data:`SYNTHETIC_VERSION`), so an identical rerun reads the same files at
the same paths and logs the same MLflow parameters. It is written into a temporary sibling and renamed
into place when complete: an interrupted write is never read, and of two runs writing it at once the
first rename wins and the other's copy is dropped.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from benchmarks.registry import BenchmarkSpec
from benchmarks.rundir import config_hash
from simda.plumbing.atomic import require_writable_dir

#: Raise it when a synthetic writer changes what it writes for the same count, so no old copy is reused.
SYNTHETIC_VERSION = 1
#: What a finished set records: where its annotation file and video folder are, relative to the set.
RECORD = "synthetic-set.json"


def synthetic_set(spec: BenchmarkSpec, count: int, root: Path) -> tuple[Path, Path]:
    """``spec``'s tiny set of ``count`` clips under ``root``: (annotations, videos), written if absent.

    ``root`` sits beside the run folder, so an unwritable one is refused naming ``--output-dir``.
    """
    key = config_hash({"writer": spec.writer, "count": count, "version": SYNTHETIC_VERSION})
    folder = Path(root) / f"{spec.name}-{count}-{key}"
    if not (folder / RECORD).is_file():
        require_writable_dir(folder.parent, "--output-dir")
        folder.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        annotations, videos = spec.write_synthetic(scratch, count)
        record = {"annotations": str(annotations.relative_to(scratch)), "videos": str(videos.relative_to(scratch))}
        (scratch / RECORD).write_text(json.dumps(record))
        try:
            os.rename(scratch, folder)
        except OSError:  # another run renamed its identical copy into place first
            shutil.rmtree(scratch)
    record = json.loads((folder / RECORD).read_text())
    return folder / record["annotations"], folder / record["videos"]
