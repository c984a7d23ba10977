"""Files the user shares (adapters, statistics, reports) get the permissions a plain ``open`` would give.

Atomic writes go through ``tempfile.mkstemp``, which creates files readable by their owner only
(0600) whatever the umask; renamed onto their target they would keep that, and a colleague could
not read the statistics or adapters. Lives in ``metrics`` (the bottom package) so every package can use it.
"""

from __future__ import annotations

import os


def current_umask() -> int:
    """The process's umask (reading it means setting it, so it is set back at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def share_like_open(path: str | os.PathLike[str], folder: bool = False) -> None:
    """Give ``path`` the mode ``open`` (0666) or ``mkdir`` (0777, ``folder``) would, less the umask."""
    os.chmod(path, (0o777 if folder else 0o666) & ~current_umask())
