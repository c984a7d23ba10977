"""Progress of long work: tqdm's bar on a terminal, a timestamped log line every few seconds elsewhere.

Redirected to a file, tqdm either stays silent (``disable=None``) or fills one line with carriage
returns; a 9-minute run then looks hung. Off a terminal, :func:`progress_bar` logs tqdm's own
summary (done/total, rate, ETA) as an ordinary log line at most every ``LOG_INTERVAL_S`` seconds.
Lives in ``metrics`` (the bottom package) so every package can use it.
"""

from __future__ import annotations

import io
import logging
import sys
from typing import Any

from tqdm.auto import tqdm

LOG_INTERVAL_S = 10.0
log = logging.getLogger("metrics.progress")


class LoggedProgress(tqdm):
    """A tqdm whose every refresh is one log line (``desc: 40%| 4/10 [00:12<00:18, 3.0 s/it]``)."""

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        text = (self.__str__() if msg is None else msg).strip()
        if text:
            log.info("%s", text)
        return True


def progress_bar(*args: Any, disable: bool | None = None, **kwargs: Any) -> tqdm:
    """``tqdm(*args, **kwargs)`` on a terminal; off one (a log file, a pipe), a :class:`LoggedProgress` that logs
    a line at most every ``LOG_INTERVAL_S`` seconds. ``disable=True`` shows nothing either way."""
    if disable is True or sys.stderr.isatty():
        return tqdm(*args, disable=disable, **kwargs)
    kwargs["mininterval"] = max(kwargs.get("mininterval", 0.0), LOG_INTERVAL_S)
    kwargs["leave"] = True  # the last line (done, total time) is worth keeping in a log
    kwargs["ascii"] = True  # a log file holds plain text
    kwargs["file"] = io.StringIO()  # tqdm's own writes (a closing newline) go nowhere: the log has each line
    return LoggedProgress(*args, disable=False, **kwargs)
