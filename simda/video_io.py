"""Writing generated clips: H.264 mp4 (readable by decord) and GIF, both atomically."""

from __future__ import annotations

import re
from pathlib import Path

import av
import numpy as np
from PIL import Image

from simda.plumbing.atomic import atomic_path


def _check_frames(frames: np.ndarray) -> None:
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"expected uint8 frames [T, H, W, 3], got {frames.dtype} {frames.shape}")


# BT.601 limited range, the matrix decoders assume for yuv420p H.264 without colour metadata.
_RGB_TO_YUV = np.array(
    [[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]], dtype=np.float64
) / 255.0
_YUV_OFFSET = np.array([16.0, 128.0, 128.0])


def _yuv420p(frame: np.ndarray) -> av.VideoFrame:
    """An RGB frame (even sides) as yuv420p planes computed here, chroma averaged over 2x2 blocks.

    Handed RGB frames, PyAV converts them with swscale on the way into libx264, and the same frames
    then gave different bytes in about half of the encodes (PyAV 18); converting with swscale
    ourselves still differed now and then. Planes computed in numpy are the same every time, so a
    dataset written twice is the same dataset.
    """
    yuv = frame.astype(np.float64) @ _RGB_TO_YUV.T + _YUV_OFFSET
    h, w = frame.shape[:2]
    chroma = yuv[..., 1:].reshape(h // 2, 2, w // 2, 2, 2).mean(axis=(1, 3))
    planes = [yuv[..., 0], chroma[..., 0], chroma[..., 1]]
    packed = np.concatenate([plane.reshape(-1) for plane in planes]).round().clip(0, 255).astype(np.uint8)
    return av.VideoFrame.from_ndarray(packed.reshape(h * 3 // 2, w), format="yuv420p")


def write_mp4(path: str | Path, frames: np.ndarray, fps: int = 8, crf: int = 17) -> Path:
    """Encode ``frames`` as H.264 (yuv420p) at near-lossless quality.

    A reader never sees a half-written file: the video is encoded beside its target and renamed.
    yuv420p needs even sides, so an odd size is padded by one edge pixel.
    """
    _check_frames(frames)
    path = Path(path)
    pad_h, pad_w = frames.shape[1] % 2, frames.shape[2] % 2
    if pad_h or pad_w:
        frames = np.pad(frames, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    with atomic_path(path) as tmp, av.open(tmp, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf)}
        stream.codec_context.thread_count = 1  # one encoder thread: no scheduling can change the bytes
        for frame in frames:
            container.mux(stream.encode(_yuv420p(frame)))
        container.mux(stream.encode())
    return path


def write_gif(path: str | Path, frames: np.ndarray, fps: int = 8) -> Path:
    """A looping GIF of ``frames`` (for READMEs, MLflow artifacts and quick looks)."""
    _check_frames(frames)
    path = Path(path)
    images = [Image.fromarray(frame) for frame in frames]
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=1000 / fps, loop=0)
    return path


def slug(text: str, limit: int = 60) -> str:
    """A file-name-safe form of a caption: lower case, runs of other characters as one ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit] or "video"
