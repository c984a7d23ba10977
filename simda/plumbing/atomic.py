"""Atomic file writes: a reader, or a rerun after a crash, never sees a half-written file.

A write goes to ``.<stem>.<8 random characters><suffix>`` beside its target and is renamed onto it.
A process killed mid-write leaves that hidden file behind: listers skip hidden files, and the next
run that holds the folder's lock removes them with :func:`remove_interrupted_writes`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from metrics.file_modes import current_umask, share_like_open
from simda.plumbing.errors import UsageError

# tempfile.mkstemp's random part: 8 characters of [a-z0-9_].
_INTERRUPTED = re.compile(r"^\..+\.[a-z0-9_]{8}(\.[^.]+)?$")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[str]:
    """A temporary path beside ``path``, renamed onto it on success; it keeps the suffix (muxers and numpy infer
    the format from it) and gets the permissions a plain ``open`` would."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(handle)
    try:
        yield tmp
        share_like_open(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def require_writable_dir(path: str | Path, flag: str) -> Path:
    """Prove a file can be written in ``path`` (or in its nearest existing parent: nothing is created) before
    any expensive work, so a run never fails at its first write hours in; returns the absolute path."""
    folder = Path(path).absolute()
    existing = next(parent for parent in (folder, *folder.parents) if parent.exists())
    if not existing.is_dir():
        raise UsageError(f"{flag} {folder}: {existing} is a file, not a folder; pass {flag} a folder")
    try:
        handle, probe = tempfile.mkstemp(dir=existing, prefix=".write-test.")
    except OSError as exc:
        raise UsageError(
            f"{flag} {folder} is not writable ({exc.strerror} in {existing}); pass {flag} a folder you can write to"
        ) from None
    os.close(handle)
    os.remove(probe)
    return folder


def remove_interrupted_writes(folder: str | Path) -> list[Path]:
    """Delete (and return) the temporary files killed writers left under ``folder``; hold the folder's lock."""
    removed = [path for path in sorted(Path(folder).rglob(".*")) if path.is_file() and _INTERRUPTED.match(path.name)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


@contextlib.contextmanager
def file_lock(path: str | Path, refuse_flag: str | None = None) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing), waiting for the holder; with ``refuse_flag``
    raise :class:`FolderBusyError` at once instead, naming the holder (its ``pid <n> on <host>`` line) and the flag.
    The kernel drops the lock however its process dies (on local file systems; NFS depends on the server)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666 & ~current_umask())
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (fcntl.LOCK_NB if refuse_flag else 0))
        except BlockingIOError:
            holder = os.pread(descriptor, 200, 0).decode(errors="replace").strip() or "a process that is starting"
            raise FolderBusyError(
                f"{refuse_flag} {path.parent}: another run ({holder}) is using it; wait for it to finish, "
                f"or pass another {refuse_flag}"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)


#: The lock file :func:`claim_folder` leaves in a run folder.
LOCK_FILE = ".lock"


def claim_folder(folder: str | Path, flag: str) -> contextlib.AbstractContextManager:
    """Hold ``folder`` for one run: a second run on it is refused at once, naming the holder and ``flag``
    (two runs in one output folder would overwrite each other's checkpoints, videos and features)."""
    return file_lock(Path(folder) / LOCK_FILE, refuse_flag=flag)


class FolderBusyError(UsageError):
    """Another run holds the output folder."""
