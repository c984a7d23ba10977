"""The run folder: what a benchmark leaves on disk, and the guard that keeps one folder one config.

    <output-dir>/config.json             settings that decide the videos; a rerun with other settings is refused
    <output-dir>/captions.csv            the evaluated clips: id, caption (the seeded choice), seed, real video
    <output-dir>/videos/<id>.mp4         generated videos
    <output-dir>/index/rank-R-of-W.jsonl per-rank index (id, caption, seed, path), rewritten after every batch
    <output-dir>/features/<key>/<id>.*   per-video I3D logits, CLIP frame embeddings and scores, per metric networks
    <output-dir>/results.csv             per-video table of the finished run (rank 0)
    <output-dir>/skipped_real.csv        real videos left out of FVD, with the reason

    <out>/.lock                   held (flock) by the run working in the folder: pid and host of the holder

Every file is written atomically, so a crash leaves either the old file or the new one, and a rerun
skips every video and feature file that exists. One run at a time works in a folder: a second one
started on it refuses at once, naming the holder, rather than waiting (a wait of hours behind a
forgotten run looks like a hang) or generating every video a second time beside the first. The run
that takes the lock removes the temporary files that killed writers left behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from metrics.strict_json import strict_dumps
from simda.plumbing.atomic import FolderBusyError, atomic_path, claim_folder, remove_interrupted_writes
from simda.plumbing.distributed import ProcessLayout
from simda.plumbing.errors import UsageError

log = logging.getLogger("benchmarks")


def on_main_rank(layout: ProcessLayout, attempt: Callable[[], object], refusal: type[UsageError]) -> None:
    """Run ``attempt`` on rank 0 alone; its ``refusal`` is raised on every rank together, so no rank goes on to
    wait at a barrier for one that stopped."""
    failure = None
    if layout.is_main:
        try:
            attempt()
        except refusal as exc:
            failure = str(exc)
    failure = layout.broadcast(failure)
    if failure is not None:
        raise refusal(failure)


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(strict_dumps(data, indent=2, sort_keys=True))


def write_csv(path: Path, table: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)


class RunDir:
    """Paths inside one benchmark run folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.captions = self.root / "captions.csv"
        self.results = self.root / "results.csv"
        self.skipped_real = self.root / "skipped_real.csv"
        self.config_file = self.root / "config.json"

    def video(self, clip_id: str) -> Path:
        return self.root / "videos" / f"{clip_id}.mp4"

    def features(self, key: str) -> Path:
        return self.root / "features" / key

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for one run (one process); refuse at once (:class:`FolderBusyError`, naming the
        holder's pid) if another run holds it."""
        with claim_folder(self.root, "--output-dir"):
            removed = remove_interrupted_writes(self.root)
            if removed:
                log.info("removed %d temporary files of an interrupted run from %s", len(removed), self.root)
            yield

    @contextlib.contextmanager
    def exclusive(self, layout: ProcessLayout) -> Iterator[None]:
        """:meth:`lock` for a possibly sharded run: rank 0 holds it, and every rank refuses together; the other
        ranks only pass once rank 0 holds the lock and has cleaned the folder."""
        with contextlib.ExitStack() as held:
            on_main_rank(layout, lambda: held.enter_context(self.lock()), FolderBusyError)
            yield

    def claim(self, config: Mapping[str, Any], write: bool) -> None:
        """Refuse to mix videos of different settings in one folder; record the settings on first use.

        Videos on disk are reused by id, so a folder made with another checkpoint, seed or step
        count would silently feed stale videos into the new numbers.
        """
        wanted = json.loads(json.dumps(config, sort_keys=True, default=str))
        if self.config_file.exists():
            found = json.loads(self.config_file.read_text())
            if found != wanted:
                changed = sorted(key for key in wanted.keys() | found.keys() if found.get(key) != wanted.get(key))
                raise UsageError(
                    f"run folder {self.root} holds videos made with other settings (differing: {changed}); "
                    "pass --output-dir a new folder, or leave it unset for one named after the settings"
                )
        elif write:
            write_json(self.config_file, wanted)

    def write_index_part(self, rank: int, world_size: int, rows: Sequence[Mapping[str, Any]]) -> None:
        with atomic_path(self.root / "index" / f"rank-{rank}-of-{world_size}.jsonl") as tmp:
            Path(tmp).write_text("".join(strict_dumps(row) + "\n" for row in rows))


def read_json(path: Path) -> dict[str, Any]:
    """A JSON file written by :func:`write_json`, or ``{}`` when there is none yet."""
    return json.loads(path.read_text()) if path.is_file() else {}
