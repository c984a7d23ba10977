"""Folders written once per content and reused by every later run: the tiny presets' synthetic data.

A folder lives at ``<root>/<name>-<key>``, where the key hashes what decides its bytes, so an identical
rerun reads the same files at the same paths and logs the same MLflow parameters. It is written into a
temporary sibling and renamed into place when complete: an interrupted write is never read, and of two
runs writing it at once the first rename wins and the other's copy is dropped.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from simda.plumbing.atomic import require_writable_dir
from simda.plumbing.identity import identity_of

#: What a finished folder records: where its named files are, relative to the folder.
RECORD = "synthetic-set.json"
#: The environment variable naming the cache folder (default ``$XDG_CACHE_HOME/simda``, else ``~/.cache/simda``).
CACHE_ENV = "SIMDA_CACHE_DIR"


def synthetic_data_root() -> Path:
    """Where the tiny presets' synthetic sets are cached: a cache like the Hugging Face one, not a run's output,
    so a command refused for a bad flag or file has touched nothing under ``runs/``."""
    home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get(CACHE_ENV) or Path(home) / "simda") / "synthetic-data"


def cached_folder(
    root: Path, name: str, content: Mapping[str, Any], write: Callable[[Path], Mapping[str, Path]]
) -> dict[str, Path]:
    """The files ``write(folder)`` writes (by name) in ``<root>/<name>-<key of content>``, written if absent.
    ``content`` holds all that decides the bytes (the writer, its sizes, a version); an unwritable ``root`` is
    refused naming :data:`CACHE_ENV`, the variable that moves it."""
    folder = Path(root) / f"{name}-{identity_of(dict(content))}"
    if not (folder / RECORD).is_file():
        require_writable_dir(folder.parent, CACHE_ENV)
        folder.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        record = {key: str(Path(path).relative_to(scratch)) for key, path in write(scratch).items()}
        (scratch / RECORD).write_text(json.dumps(record))
        try:
            os.rename(scratch, folder)
        except OSError:  # another run renamed its identical copy into place first
            shutil.rmtree(scratch)
    return {key: folder / path for key, path in json.loads((folder / RECORD).read_text()).items()}
