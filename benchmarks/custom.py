"""``python -m benchmarks.custom``: your own prompts and real videos, under the MSR-VTT benchmark's protocol.

    python -m benchmarks.custom --preset tiny
    python -m benchmarks.custom --base ./stable-diffusion-v1-5 --ckpt runs/simda-train/simda-adapters \\
        --csv my-set/prompts.csv --i3d weights/i3d_pretrained_400.pt --clip-ckpt weights/openai-vit-b-32.bin

The CSV has the columns ``id``, ``caption`` and ``path``: one generated video per row from its caption,
scored (FVD, CLIPSIM, frame consistency) against the real video at ``path``, relative to the CSV's
folder or absolute. An id names the generated video ``<id>.mp4``, so it must be a plain file name.
Every row is used unless --num-videos samples fewer. Sharding under torchrun, resume, MLflow
(experiment ``simda-custom``) and the reports work as for MSR-VTT; no paper table is set beside it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks import text_to_video
from benchmarks.registry import BENCHMARKS
from simda.plumbing.atomic import atomic_path
from simda.plumbing.errors import BadInputFile, MissingInput

if TYPE_CHECKING:  # the command parses and checks its flags without torch: readers import what they need
    from benchmarks.datasets import Clip

COLUMNS = ("id", "caption", "path")


def read_custom(csv_path: Path, videos: Path, caption_seed: int = 0) -> list[Clip]:
    """Every row of a prompts CSV as a clip; relative paths are read from ``videos`` (the CSV's folder).

    Each row has one caption, so ``caption_seed`` has nothing to choose (every reader takes it).
    """
    from benchmarks.datasets import Clip
    from simda.data import refuse_duplicates

    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise MissingInput(f"--csv {csv_path}: not found; pass a CSV with columns {', '.join(COLUMNS)}")
    with open(csv_path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            needed = ", ".join(COLUMNS)
            raise BadInputFile(f"{csv_path}: no column {', '.join(missing)}; the CSV needs columns {needed}")
        clips = []
        for row in reader:
            clip_id, caption, path = (str(row[column] or "").strip() for column in COLUMNS)
            where = f"{csv_path} line {reader.line_num}"
            if not clip_id or Path(clip_id).name != clip_id or "\\" in clip_id or clip_id.startswith("."):
                raise BadInputFile(
                    f"{where}: id {clip_id!r} is not a plain file name (it names the generated <id>.mp4); "
                    "use ids without folders, slashes or a leading dot"
                )
            if not caption or not path:
                raise BadInputFile(f"{where}: id {clip_id} has an empty {'caption' if not caption else 'path'}")
            clips.append(Clip(clip_id, caption, Path(videos) / path))  # an absolute path stays itself
    if not clips:
        raise BadInputFile(f"{csv_path}: no rows; list one id, caption and path per line")
    refuse_duplicates((clip.id for clip in clips), csv_path, "id")
    return clips


def write_custom_set(root: str | Path, count: int, num_frames: int = 24, size: int = 64) -> tuple[Path, Path]:
    """``count`` synthetic clips as a prompts CSV: ``root/prompts.csv`` and ``root/videos/clip-<n>.mp4``
    (paths relative to the CSV); returns (csv, the CSV's folder)."""
    from simda.synthetic import moving_square
    from simda.video_io import write_mp4

    root = Path(root)
    rows = []
    for index in range(count):
        frames, caption = moving_square(index, num_frames, size, size)
        relative = Path("videos") / f"clip-{index:04d}.mp4"
        write_mp4(root / relative, frames)
        rows.append({"id": f"clip-{index:04d}", "caption": caption, "path": relative.as_posix()})
    csv_path = root / "prompts.csv"
    with atomic_path(csv_path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return csv_path, root


SPEC = BENCHMARKS["custom"]

run, build_parser, make_job, main = text_to_video.command(SPEC, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
