"""Which checkpoints a training run can resume from, readable without torch (commands check flags first).

A checkpoint is ``<output-dir>/checkpoints/step-NNNNNNN`` and counts once its ``training_state.pt``
is written; a run always resumes from the newest one (:data:`simda.settings.RESUME_RULE`).
"""

from __future__ import annotations

from pathlib import Path

from simda.plumbing.errors import InvalidSetting
from simda.settings import RESUME_RULE


def checkpoint_root(output_dir: Path) -> Path:
    """The folder holding a run's ``step-NNNNNNN`` checkpoints."""
    return Path(output_dir) / "checkpoints"


def complete_checkpoints(output_dir: Path) -> list[Path]:
    """The complete checkpoints under ``output_dir``, oldest first."""
    root = checkpoint_root(output_dir)
    if not root.is_dir():
        return []
    return sorted(path for path in root.glob("step-*") if (path / "training_state.pt").is_file())


def check_resume_request(value: str | None, output_dir: Path) -> None:
    """Accept ``--resume-from-checkpoint latest`` or the newest checkpoint's step; refuse others with the rule."""
    if value is None or value == "latest":
        return
    found = complete_checkpoints(output_dir)
    newest = int(found[-1].name.removeprefix("step-")) if found else None
    if newest == int(value):
        return
    holds = f"its newest is step {newest}" if found else "it holds none yet"
    raise InvalidSetting(
        f"--resume-from-checkpoint {value}: {RESUME_RULE} ({output_dir}: {holds}); pass latest or leave the flag "
        "out to resume there, or pass a new --output-dir to train afresh"
    )
