"""Captioned training clips: WebVid's published CSV layout, or any folder of captioned mp4s.

Clips are decoded with decord, centre-cropped and resized to the training size, and returned as uint8
frames; which frames a step reads is the trainer's per-step generator's choice (see ``simda.training``).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from simda.plumbing.errors import BadInputFile, MissingInput
from simda.plumbing.names import plain_name, read_text

WEBVID_COLUMNS = ("videoid", "name", "page_dir")


class ClipError(Exception):
    """A clip that cannot be used (unreadable or too short); trainers skip it and count it."""


class DuplicateIdError(BadInputFile):
    """An annotation file names one video twice: its clip would be scored, counted or trained on twice."""


def refuse_duplicates(ids: Iterable[str], source: str | Path, column: str) -> None:
    """Raise :class:`DuplicateIdError` listing every id that ``source`` repeats in ``column``: which row is meant
    is the user's call (two captions would share one CLIPSIM, FVD would count the clip twice), so the file is refused
    rather than silently deduplicated."""
    repeated = sorted(key for key, count in Counter(ids).items() if count > 1)
    if repeated:
        shown = ", ".join(repeated[:20]) + (f" and {len(repeated) - 20} more" if len(repeated) > 20 else "")
        raise DuplicateIdError(
            f"{source} lists {len(repeated)} {column} value(s) more than once: {shown}; "
            "keep one row per video (remove or merge the repeated rows)"
        )


@dataclass(frozen=True)
class CaptionedVideo:
    video_id: str
    path: Path
    caption: str


def read_webvid_csv(csv_path: str | Path, video_root: str | Path) -> list[CaptionedVideo]:
    """Rows of a WebVid CSV (``results_2M_val.csv`` layout), videos at ``<root>/<page_dir>/<videoid>.mp4``."""
    csv_path, video_root = Path(csv_path), Path(video_root)
    if not csv_path.is_file():
        raise MissingInput(f"WebVid CSV {csv_path} not found; pass --csv the results_*.csv file")
    if not video_root.is_dir():
        raise MissingInput(f"video folder {video_root} not found; pass --videos the folder holding page_dir/")
    with io.StringIO(read_text(csv_path, "--csv"), newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in WEBVID_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise BadInputFile(
                f"{csv_path} lacks WebVid columns {missing} (has {reader.fieldnames}); "
                "pass --csv a file in the published layout videoid,name,page_dir,duration,contentUrl"
            )
        rows = list(reader)
    for number, row in enumerate(rows, start=2):  # the header is line 1
        plain_name(row["videoid"], csv_path, number, "videoid")
        plain_name(row["page_dir"], csv_path, number, "page_dir")
    refuse_duplicates((row["videoid"] for row in rows), csv_path, "videoid")
    return [
        CaptionedVideo(row["videoid"], video_root / row["page_dir"] / f"{row['videoid']}.mp4", row["name"])
        for row in rows
    ]


def read_caption_folder(folder: str | Path) -> list[CaptionedVideo]:
    """A folder of ``clip.mp4`` files, each captioned by ``clip.txt`` beside it or a ``captions.jsonl``
    (``{"path": ..., "caption": ...}`` per line). Hidden files (interrupted writes) are not videos."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingInput(f"video folder {folder} not found; pass --video-folder a folder of captioned mp4s")
    index = folder / "captions.jsonl"
    if index.is_file():
        rows = [json.loads(line) for line in read_text(index, "captions.jsonl").splitlines() if line.strip()]
        names = [plain_name(Path(row["path"]).stem, index, number, "path") for number, row in enumerate(rows, start=1)]
        videos = [
            CaptionedVideo(name, folder / row["path"], row["caption"]) for name, row in zip(names, rows, strict=True)
        ]
        refuse_duplicates((video.video_id for video in videos), index, "video name (path stem)")
        return videos
    videos = []  # dot files include interrupted atomic writes (``.<name>.<random>.mp4``): never videos to read
    for path in sorted(path for path in folder.glob("*.mp4") if not path.name.startswith(".")):
        caption_file = path.with_suffix(".txt")
        if not caption_file.is_file():
            raise BadInputFile(f"{path} has no caption: write {caption_file.name} beside it or a captions.jsonl")
        videos.append(CaptionedVideo(path.stem, path, caption_file.read_text(encoding="utf-8").strip()))
    return videos


def resize_and_crop(frames: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """uint8 ``(f, H, W, 3)`` -> uint8 ``(f, height, width, 3)``: centre crop to the target aspect ratio (MSR-VTT's
    4:3 and WebVid's 16:9 stay undistorted beside square generations, and no pixel outside the crop bleeds into its
    border), then an antialiased bilinear resize; training clips and FVD's real clips alike."""
    _, h, w, _ = frames.shape
    crop_h, crop_w = (h, round(h * width / height)) if w * height > h * width else (round(w * height / width), w)
    top, left = (h - crop_h) // 2, (w - crop_w) // 2
    cropped = frames[:, top : top + crop_h, left : left + crop_w]
    if (crop_h, crop_w) == (height, width):
        return cropped.clone()
    pixels = cropped.permute(0, 3, 1, 2).float()
    pixels = F.interpolate(pixels, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    return pixels.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1)


@dataclass(frozen=True)
class ClipSampler:
    """How a training clip is cut from a video: ``num_frames`` frames, ``stride`` apart, starting at
    ``start`` (``None``: a position drawn per step; one-shot editing fixes it at 0)."""

    num_frames: int = 16
    height: int = 256
    width: int = 256
    stride: int = 1
    start: int | None = None

    def read(self, video: CaptionedVideo, generator: torch.Generator) -> torch.Tensor:
        """Decode one clip starting at a position drawn from ``generator``."""
        import decord

        try:
            reader = decord.VideoReader(str(video.path), ctx=decord.cpu(0))
        except Exception as error:  # decord raises its own DECORDError
            raise ClipError(f"{video.path} cannot be decoded ({error})") from error
        span = (self.num_frames - 1) * self.stride + 1
        if len(reader) < span:
            raise ClipError(f"{video.path} has {len(reader)} frames; a clip needs {span}")
        start = self.start
        if start is None:
            start = int(torch.randint(0, len(reader) - span + 1, (1,), generator=generator))
        elif start + span > len(reader):
            raise ClipError(f"{video.path} has {len(reader)} frames; a clip from frame {start} needs {start + span}")
        frames = torch.from_numpy(reader.get_batch(list(range(start, start + span, self.stride))).asnumpy())
        return resize_and_crop(frames, self.height, self.width)
