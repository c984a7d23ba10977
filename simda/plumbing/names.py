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
    """``value`` as a string when it is a plain file name (the message says what is not); else
    :class:`BadInputFile` naming the file and row. No leading dot: interrupted writes are named so, and skipped."""
    text = str(value)
    if not text or text.startswith(".") or text != text.strip() or any(sign in text for sign in _FORBIDDEN):
        raise BadInputFile(
            f"{source} row {row}: {column} {text!r} is not a plain file name (it names where files are written: "
            "no '/', '\\', leading '.', '..' or surrounding spaces); fix or remove that row"
        )
    return text


def read_text(path: str | Path, what: str) -> str:
    """A UTF-8 text file's content; undecodable bytes are refused (:class:`BadInputFile`) naming the file and
    line, so binary garbage or another encoding never reaches a parser as an anonymous codec error."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInputFile(
            f"{path} line {line}: bytes that are not UTF-8 text (at byte {exc.start}); pass {what} as UTF-8 text"
        ) from None
