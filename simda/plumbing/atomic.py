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
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    The temporary file keeps the target's suffix, so writers that infer the format from the
    name (video muxers, numpy) still work, and it gets the permissions a plain ``open`` would.
    """
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
    """Prove a file can be written in ``path`` (or in its nearest existing parent, when it does not exist
    yet: nothing is created), before any expensive work; returns the absolute path.

    Raises :class:`~simda.plumbing.errors.UsageError` naming ``flag`` when the folder is a file or
    read-only, so a run never fails at its first write hours in.
    """
    folder = Path(path).absolute()
    existing = folder
    while not existing.exists():
        existing = existing.parent
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
    """Delete the temporary files that killed writers left anywhere under ``folder`` (named like
    :func:`atomic_path`'s); returns them. Only safe while no other process writes there: call it with
    the folder's lock held.
    """
    removed = [path for path in sorted(Path(folder).rglob(".*")) if path.is_file() and _INTERRUPTED.match(path.name)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


class LockHeldError(UsageError):
    """Another process holds the lock; ``holder`` is what it wrote there (pid and host)."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is held by {holder}")
        self.path, self.holder = path, holder


@contextlib.contextmanager
def file_lock(path: str | Path, wait: bool) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing) for the block.

    With ``wait`` the call blocks until the holder lets go; without, it raises
    :class:`LockHeldError` at once. The holder writes ``pid <n> on <host>`` into the file so the
    refusal can name it. The kernel drops the lock when its process dies, however it dies, so a
    killed run never leaves a folder locked (on local file systems; NFS locks depend on the server).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666 & ~current_umask())
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = os.pread(descriptor, 200, 0).decode(errors="replace").strip() or "a process that is starting"
            raise LockHeldError(path, holder) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)


#: The lock file :func:`claim_folder` leaves in a run folder.
LOCK_FILE = ".lock"


@contextlib.contextmanager
def claim_folder(folder: str | Path, flag: str) -> Iterator[None]:
    """Hold ``folder`` for one run: a second run on it is refused at once, naming the holder and ``flag``.

    Two runs in one output folder would overwrite each other's work (checkpoints, videos, features);
    the lock is the kernel's, so a killed run never leaves the folder claimed.
    """
    try:
        with file_lock(Path(folder) / LOCK_FILE, wait=False):
            yield
    except LockHeldError as busy:
        raise FolderBusyError(
            f"{flag} {folder}: another run ({busy.holder}) is using it; wait for it to finish, or pass another {flag}"
        ) from None


class FolderBusyError(UsageError):
    """Another run holds the output folder."""
