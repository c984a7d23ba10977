"""The editing benchmark's cases, job and result: light types that the command and the engine both import."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.paper import TABLE5_COLUMNS
from metrics.protocol_names import DEFAULT_CLIP_MODEL, RANDOM_WEIGHTS_BANNER
from simda.plumbing.errors import BadInputFile, InvalidSetting, MissingInput
from simda.plumbing.identity import identity_of, settings_of
from simda.plumbing.names import plain_name, read_text
from simda.settings import EditSettings, ModelSettings

# The per-edit table: Table 5's columns for each (video, edited caption).
EDIT_COLUMNS = ("video", "edit", *TABLE5_COLUMNS)
TINY_EDITS = ("a blue square moving up", "a yellow circle on a white background")


@dataclass(frozen=True)
class EditCase:
    """One source video (path and caption) and the captions to edit it to."""

    video: Path
    prompt: str
    edits: tuple[str, ...]


def case_schema_problem(row: Any) -> str | None:
    """What is wrong with one case line, or ``None``: ``video`` and ``prompt`` strings, ``edits`` a non-empty
    list of non-empty strings (a bare string would be taken as one edit per character)."""
    if not isinstance(row, dict):
        return f"a JSON object with video, prompt and edits, not {type(row).__name__}"
    if missing := [key for key in ("video", "prompt", "edits") if key not in row]:
        return f"lacks {missing}; each line needs video, prompt and edits"
    for key in ("video", "prompt"):
        if not isinstance(row[key], str) or not row[key].strip():
            return f"{key} must be a non-empty string, not {row[key]!r}"
    edits = row["edits"]
    if not isinstance(edits, list) or not edits or not all(isinstance(e, str) and e.strip() for e in edits):
        return f'edits must be a non-empty list of non-empty strings (e.g. ["a red car"]), not {edits!r}'
    return None


def read_cases(path: Path) -> list[EditCase]:
    """The cases file: one JSON object per line with ``video``, ``prompt`` and ``edits``."""
    if not path.is_file():
        raise MissingInput(f"--cases {path}: not found; pass a .jsonl of video/prompt/edits")
    cases = []
    for number, line in enumerate(read_text(path, "--cases").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInputFile(f"{path}:{number}: not JSON ({exc.msg}); each line is one JSON object") from exc
        if problem := case_schema_problem(row):
            raise BadInputFile(f"{path}:{number}: {problem}")
        video = (path.parent / row["video"]).resolve()
        plain_name(video.stem, path, number, "video")  # the case's folder is named after it
        if not video.is_file():
            raise MissingInput(f"{path}:{number}: video {video} not found")
        cases.append(EditCase(video, row["prompt"], tuple(row["edits"])))
    if not cases:
        raise BadInputFile(f"--cases {path}: no cases in the file")
    return cases


@dataclass(frozen=True)
class EditingBenchmarkJob:
    model: ModelSettings
    editing: EditSettings
    output_dir: Path
    cases: Path | None = None
    clip_ckpt: Path | None = None
    clip_model: str = DEFAULT_CLIP_MODEL
    tracking_uri: str | None = None

    def __post_init__(self) -> None:
        self.model.require_model()
        if self.cases is None and not self.model.tiny:
            raise InvalidSetting("--cases: pass a .jsonl of videos to edit (or --preset tiny)")
        if self.clip_ckpt is not None and not self.clip_ckpt.is_file():
            raise MissingInput(f"--clip-ckpt {self.clip_ckpt}: not found; pass a local open_clip file")
        if self.cases is not None:
            read_cases(self.cases)  # every line and video checked before any model loads

    @property
    def random_weights(self) -> bool:
        return self.model.tiny or self.clip_ckpt is None

    def identity(self) -> str:
        """What the table is computed from: the settings and the cases file's bytes, not the folder or device."""
        return identity_of(settings_of(self, ("output_dir", "tracking_uri", "device")))


@dataclass
class EditingBenchmarkResult:
    output_dir: Path
    table: Any  # pandas.DataFrame: this run's mean row above the paper's rows
    per_edit: Any  # pandas.DataFrame: Table 5's columns per (video, edit)
    random_weights: bool

    def summary(self) -> str:
        note = f"\n{RANDOM_WEIGHTS_BANNER}" if self.random_weights else ""
        return self.table.to_string(index=False) + note

    def to_dict(self) -> dict[str, Any]:
        return {
            "edits": self.per_edit.to_dict("records"),
            "table5": self.table.to_dict("records"),
            "random_weights": self.random_weights,
        }
