"""A run's identity is what it computes: its settings and the content of its input files.

Three things derive from that one identity, so they can never disagree:

* the default output folder, ``runs/<command>-<identity>``: two commands, two presets or two
  settings never share a folder unless the user names one;
* the folder's record, ``<folder>/run.json`` (the command and its identity): a command writing into
  a folder that holds another run's results refuses before any work or MLflow call, naming the holder
  and the flag that picks another folder, instead of overwriting them;
* the MLflow run: :func:`simda.plumbing.tracking.tracked_run` continues only a run of the same identity.

Nothing here imports torch, MLflow or the model: it runs before any of them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from simda.plumbing.atomic import LOCK_FILE, atomic_path, claim_folder, require_writable_dir
from simda.plumbing.errors import BadInputFile, UsageError

RECORD_FILE = "run.json"
DEFAULT_ROOT = Path("runs")


def content_key(path: Path) -> str:
    """The SHA-256 of a file's bytes (moving or renaming a file keeps its key); a folder's absolute path."""
    path = Path(path)
    if not path.is_file():
        return str(path.absolute())
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):  # hashlib.file_digest is Python 3.11+; we support 3.10
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def settings_of(value: Any, leave_out: Iterable[str] = ()) -> Any:
    """``value`` (dataclasses, mappings, paths) as plain JSON data, files as their content keys, without the fields
    ``leave_out`` names at any depth (those that do not change what is computed: device, logging)."""
    dropped = set(leave_out)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): settings_of(item, dropped) for key, item in value.items() if key not in dropped}
    if isinstance(value, (list, tuple)):
        return [settings_of(item, dropped) for item in value]
    if isinstance(value, Path):
        return content_key(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def identity_of(settings: Any) -> str:
    """Twelve hex digits naming ``settings`` (order of keys does not matter)."""
    text = json.dumps(settings, sort_keys=True, default=str, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def default_folder(command: str, identity: str) -> Path:
    """``runs/<command>-<identity>``: the output folder of a run whose user named none."""
    return DEFAULT_ROOT / f"{command}-{identity}"


def claim_record(folder: Path, command: str, identity: str, flag: str = "--output-dir") -> None:
    """Record in ``folder`` which run's results it holds, or refuse (naming the holder and ``flag``) another run's;
    call it with the folder's lock held. A record beside nothing else is replaced: its run left no results."""
    path = Path(folder) / RECORD_FILE
    wanted = {"command": command, "identity": identity}
    fix = f"pass {flag} another folder, or leave it unset for a folder named after these settings"
    if path.is_file():
        try:
            found = json.loads(path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadInputFile(f"{path}: not a run record ({exc}); pass {flag} another folder") from None
        if found == wanted:
            return
        if any(entry.name not in (RECORD_FILE, LOCK_FILE) for entry in Path(folder).iterdir()):
            raise UsageError(
                f"{flag} {folder} holds the results of another run ({found.get('command')} with settings "
                f"{found.get('identity')}, recorded in {path}; this is {command} with settings {identity}); {fix}"
            )
    elif (Path(folder) / "result.json").is_file():
        raise UsageError(
            f"{flag} {folder} holds the results of an earlier run ({Path(folder) / 'result.json'}, "
            f"no {RECORD_FILE}); {fix}"
        )
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(wanted, indent=2, sort_keys=True) + "\n")


@contextlib.contextmanager
def claim_output_dir(folder: Path, command: str, identity: str, flag: str = "--output-dir") -> Iterator[None]:
    """Hold ``folder`` for one run, before any work or MLflow call: writable, locked, and recorded as this run's."""
    require_writable_dir(folder, flag)
    with claim_folder(folder, flag):
        claim_record(folder, command, identity, flag)
        yield
