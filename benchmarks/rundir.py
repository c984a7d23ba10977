"""The run folder: what a benchmark leaves on disk, and the guard that keeps one folder one config.

    <output-dir>/config.json             settings that decide the videos; a rerun with other settings is refused
    <output-dir>/captions.csv            the evaluated clips: id, caption (the seeded choice), seed, real video
    <output-dir>/videos/<id>.mp4         generated videos
    <output-dir>/index/rank-R-of-W.jsonl per-rank index (id, caption, seed, path), rewritten after every batch
    <output-dir>/features/<key>/<id>.*   per-video I3D logits, CLIP frame embeddings and scores, per metric networks
    <output-dir>/results.csv             per-video table of the finished run (rank 0)
    <output-dir>/skipped_real.csv        real videos left out of FVD, with the reason

Every file is written atomically, so a crash leaves either the old file or the new one, and a rerun
skips every video and feature file that exists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from simda.plumbing.atomic import atomic_path
from simda.plumbing.errors import UsageError


def config_hash(config: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:12]


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(data, indent=2, sort_keys=True, default=str))


def write_csv(path: Path, table: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)


class RunDir:
    """Paths inside one benchmark run folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def video(self, clip_id: str) -> Path:
        return self.root / "videos" / f"{clip_id}.mp4"

    def features(self, key: str) -> Path:
        return self.root / "features" / key

    def index_part(self, rank: int, world_size: int) -> Path:
        return self.root / "index" / f"rank-{rank}-of-{world_size}.jsonl"

    @property
    def captions(self) -> Path:
        return self.root / "captions.csv"

    @property
    def results(self) -> Path:
        return self.root / "results.csv"

    @property
    def skipped_real(self) -> Path:
        return self.root / "skipped_real.csv"

    def claim(self, config: Mapping[str, Any], write: bool) -> None:
        """Refuse to mix videos of different settings in one folder; record the settings on first use.

        Videos on disk are reused by id, so a folder made with another checkpoint, seed or step
        count would silently feed stale videos into the new numbers.
        """
        path = self.root / "config.json"
        wanted = json.loads(json.dumps(config, sort_keys=True, default=str))
        if path.exists():
            found = json.loads(path.read_text())
            if found != wanted:
                changed = sorted(key for key in wanted.keys() | found.keys() if found.get(key) != wanted.get(key))
                raise UsageError(
                    f"run folder {self.root} holds videos made with other settings (differing: {changed}); "
                    "pass --output-dir a new folder, or leave it unset for one named after the settings"
                )
        elif write:
            write_json(path, wanted)

    def write_index_part(self, rank: int, world_size: int, rows: Sequence[Mapping[str, Any]]) -> None:
        with atomic_path(self.index_part(rank, world_size)) as tmp:
            Path(tmp).write_text("".join(json.dumps(row) + "\n" for row in rows))


def read_json(path: Path) -> dict[str, Any]:
    """A JSON file written by :func:`write_json`, or ``{}`` when there is none yet."""
    return json.loads(path.read_text()) if path.is_file() else {}
