"""Writing generated clips: H.264 mp4 (readable by decord) and GIF, both atomically; captioned grids;
``export_to_video`` for a pipeline's ``.frames``, as diffusers users call it."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from simda.plumbing.atomic import atomic_path
from simda.settings import FPS


def _check_frames(frames: np.ndarray) -> None:
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"expected uint8 frames [T, H, W, 3], got {frames.dtype} {frames.shape}")


# BT.601 limited range, the matrix decoders assume for yuv420p H.264 without colour metadata, in 8-bit
# fixed point (coefficients x 256, the usual integer form of the standard).
_RGB_TO_YUV = np.array([[66, 129, 25], [-38, -74, 112], [112, -94, -18]], dtype=np.int32)


def _yuv420p(frame: np.ndarray) -> av.VideoFrame:
    """An RGB frame (even sides) as yuv420p planes computed here in integers, chroma summed over 2x2 blocks.

    Handed RGB frames, PyAV converts them with swscale on the way into libx264, and the same frames
    then gave different bytes in about half of the encodes (PyAV 18). A float conversion in numpy
    goes through BLAS, whose rounding depends on the CPU's kernels, so a value near .5 could round
    either way on another machine. Integer arithmetic has one result everywhere.
    """
    rgb = frame.astype(np.int32)
    h, w = frame.shape[:2]
    weighted = rgb @ _RGB_TO_YUV.T  # int32 matmul: exact, no BLAS
    luma = ((weighted[..., 0] + 128) >> 8) + 16
    block_sums = weighted[..., 1:].reshape(h // 2, 2, w // 2, 2, 2).sum(axis=(1, 3))
    chroma = ((block_sums + 512) >> 10) + 128  # the 2x2 mean and the /256 in one rounded shift
    planes = [luma, chroma[..., 0], chroma[..., 1]]
    packed = np.concatenate([plane.reshape(-1) for plane in planes]).clip(0, 255).astype(np.uint8)
    return av.VideoFrame.from_ndarray(packed.reshape(h * 3 // 2, w), format="yuv420p")


def write_mp4(path: str | Path, frames: np.ndarray, fps: int = FPS, crf: int = 17) -> Path:
    """Encode ``frames`` as H.264 (yuv420p, an odd side padded by one edge pixel) at near-lossless quality, beside
    the target and renamed onto it; identical frames give identical bytes.

    The colour conversion is integer arithmetic (:func:`_yuv420p`), timestamps are set here (frame i at i/fps),
    the muxer writes no creation time, and libx264 runs on one thread (frame, slice and lookahead threads make the
    output depend on scheduling) with its assembly off (``asm=0``): with it on, one process encoding the same
    frames gave two files depending on what it had imported and encoded before, and the per-CPU assembly paths
    gave other bytes than the portable C code, which costs about 0.35 s more per 16-frame 256x256 clip on one core,
    small beside denoising it.
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
        stream.options = {"crf": str(crf), "x264-params": "asm=0"}  # see the docstring: the same bytes every time
        stream.codec_context.thread_count = 1  # one encoder thread: no scheduling can change the bytes
        for index, frame in enumerate(frames):
            planes = _yuv420p(frame)
            planes.pts = index
            container.mux(stream.encode(planes))
        container.mux(stream.encode())
    return path


def export_to_video(video_frames: Any, output_video_path: str | Path | None = None, fps: int = 10) -> str:
    """One clip of a pipeline's ``.frames`` (any output type, or uint8 ``(f, H, W, 3)``) as an mp4 at the returned
    path (a new temporary file unless given), called like diffusers' ``export_to_video``, whose OpenCV or imageio
    SimDA does not install: :func:`write_mp4` encodes it, floats rounded to 256 levels as ``generate`` does."""
    if isinstance(video_frames, (list, tuple)) and video_frames and isinstance(video_frames[0], Image.Image):
        frames = np.stack([np.asarray(image.convert("RGB")) for image in video_frames])
    else:
        frames = np.asarray(video_frames.cpu() if hasattr(video_frames, "cpu") else video_frames)
        if frames.ndim == 4 and frames.shape[1] == 3 and frames.shape[-1] != 3:
            frames = frames.transpose(0, 2, 3, 1)  # the "pt" layout (f, 3, H, W)
        if frames.dtype != np.uint8:
            frames = (frames.astype(np.float64).clip(0, 1) * 255).round().astype(np.uint8)
    if output_video_path is None:
        with tempfile.NamedTemporaryFile(suffix=".mp4", delete=False) as handle:
            output_video_path = handle.name
    return str(write_mp4(output_video_path, frames, fps=fps))


def write_gif(path: str | Path, frames: np.ndarray, fps: int = FPS) -> Path:
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


CAPTION_MIN_WIDTH = 160  # pixels per clip in a captioned grid: room for a few words per line
CAPTION_MAX_LINES = 4


def _wrap(text: str, font: ImageFont.ImageFont | ImageFont.FreeTypeFont, width: int) -> list[str]:
    """``text`` in lines no wider than ``width`` pixels; past ``CAPTION_MAX_LINES`` the last line ends in '...'."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > CAPTION_MAX_LINES:
        lines = lines[:CAPTION_MAX_LINES]
        lines[-1] = lines[-1] + "..."
    return lines or [""]


def captioned_grid(clips: list[np.ndarray], captions: list[str]) -> np.ndarray:
    """Clips side by side, each with its caption printed under it, as one uint8 clip ``[T, H', W', 3]``.

    A grid whose clips are not labelled sends the reader to a separate table to learn which prompt
    made which video, so the prompt travels inside the image. Small clips (the tiny preset makes
    32x32 ones) are enlarged by an integer factor, nearest neighbour, until a few words fit under
    them. The text uses PIL's built-in font: nothing is downloaded.
    """
    if len(clips) != len(captions) or not clips:
        raise ValueError(f"captioned_grid needs one caption per clip, got {len(clips)} clips, {len(captions)} captions")
    for clip in clips:
        _check_frames(clip)
    if len({clip.shape for clip in clips}) != 1:
        raise ValueError(f"captioned_grid needs clips of one shape, got {sorted({clip.shape for clip in clips})}")
    frames, _, width = clips[0].shape[:3]
    scale = -(-CAPTION_MIN_WIDTH // width)
    cell = width * scale
    font = ImageFont.load_default(size=13)
    line_height = font.getbbox("Ag")[3] + 3
    wrapped = [_wrap(caption, font, cell - 4) for caption in captions]
    band = Image.new("RGB", (cell * len(clips), line_height * max(map(len, wrapped)) + 4), "white")
    draw = ImageDraw.Draw(band)
    for index, lines in enumerate(wrapped):
        for number, line in enumerate(lines):
            draw.text((index * cell + 2, 2 + number * line_height), line, fill="black", font=font)
    enlarged = np.concatenate([clip.repeat(scale, axis=1).repeat(scale, axis=2) for clip in clips], axis=2)
    text = np.broadcast_to(np.asarray(band), (frames, *np.asarray(band).shape))
    return np.ascontiguousarray(np.concatenate([enlarged, text], axis=1))
