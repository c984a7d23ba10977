"""Minimal Motion-JPEG .mp4 writer for tests.

This environment has no video encoder reachable from Python (no PyAV, no
imageio-ffmpeg, no ffmpeg binary), so tests write ISO-BMFF files by hand: one
video track whose samples are JPEG frames encoded by Pillow.  FFmpeg's mov/mp4
demuxer (which decord uses) maps the ``jpeg`` sample entry to its MJPEG
decoder, so the files are real .mp4 files as far as decord is concerned.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image

_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *payload)


def _moov(sizes: list[int], width: int, height: int, fps: int, data_offset: int) -> bytes:
    n = len(sizes)
    duration_ms = n * 1000 // fps
    mvhd = _full_box(b"mvhd", 0, 0, struct.pack(">IIII", 0, 0, 1000, duration_ms),
                     struct.pack(">IH", 0x10000, 0x100), b"\0" * 10, _MATRIX, b"\0" * 24, struct.pack(">I", 2))
    tkhd = _full_box(b"tkhd", 0, 3, struct.pack(">IIIII", 0, 0, 1, 0, duration_ms), b"\0" * 8,
                     struct.pack(">HHHH", 0, 0, 0, 0), _MATRIX, struct.pack(">II", width << 16, height << 16))
    mdhd = _full_box(b"mdhd", 0, 0, struct.pack(">IIII", 0, 0, fps, n), struct.pack(">HH", 0x55C4, 0))
    hdlr = _full_box(b"hdlr", 0, 0, b"\0" * 4, b"vide", b"\0" * 12, b"VideoHandler\0")
    vmhd = _full_box(b"vmhd", 0, 1, b"\0" * 8)
    dinf = _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)))
    jpeg = _box(b"jpeg", b"\0" * 6, struct.pack(">H", 1), b"\0" * 16, struct.pack(">HH", width, height),
                struct.pack(">II", 0x480000, 0x480000), b"\0" * 4, struct.pack(">H", 1),
                bytes([4]) + b"jpeg".ljust(31, b"\0"), struct.pack(">Hh", 24, -1))
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), jpeg),
        _full_box(b"stts", 0, 0, struct.pack(">III", 1, n, 1)),
        _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, n, 1)),
        _full_box(b"stsz", 0, 0, struct.pack(">II", 0, n), struct.pack(f">{n}I", *sizes)),
        _full_box(b"stco", 0, 0, struct.pack(">II", 1, data_offset)),
    )
    mdia = _box(b"mdia", mdhd, hdlr, _box(b"minf", vmhd, dinf, stbl))
    return _box(b"moov", mvhd, _box(b"trak", tkhd, mdia))


def write_mjpeg_mp4(path: Path, frames: np.ndarray, fps: int = 8) -> None:
    """Write uint8 ``[T, H, W, 3]`` frames as a Motion-JPEG .mp4 (quality 95)."""
    jpegs = []
    for frame in frames:
        buffer = io.BytesIO()
        Image.fromarray(frame).save(buffer, format="JPEG", quality=95)
        jpegs.append(buffer.getvalue())
    height, width = frames.shape[1:3]
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2mp41")
    sizes = [len(j) for j in jpegs]
    # moov's size does not depend on the offset value, so build it once to learn where mdat's data starts.
    moov_len = len(_moov(sizes, width, height, fps, 0))
    moov = _moov(sizes, width, height, fps, len(ftyp) + moov_len + 8)
    Path(path).write_bytes(ftyp + moov + _box(b"mdat", *jpegs))
