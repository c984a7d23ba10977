"""Names taken from input data (clip ids, video ids, case names) become file names: only plain ones may.

An annotation file is downloaded data, not code: a clip id such as ``../../x`` would make a
benchmark write its video, features and scores outside its output folder. Every reader passes
each such name through :func:`plain_name` before any work starts.
"""

from __future__ import annotations

from pathlib import Path

from simda.plumbing.errors import BadInputFile

_FORBIDDEN = ("/", "\\", "\x00")


def plain_name(value: object, source: str | Path, row: int | str, column: str) -> str:
    """``value`` as a string when it is a plain file name; else :class:`BadInputFile` naming the file and row.

    Plain: not empty, no path separator or NUL, not ``.``/``..``, no leading dot (dot files are how
    interrupted writes are named, and listers skip them), no surrounding spaces.
    """
    text = str(value)
    if not text or text.startswith(".") or text != text.strip() or any(sign in text for sign in _FORBIDDEN):
        raise BadInputFile(
            f"{source} row {row}: {column} {text!r} is not a plain file name (it names where files are written: "
            "no '/', '\\', leading '.', '..' or surrounding spaces); fix or remove that row"
        )
    return text
