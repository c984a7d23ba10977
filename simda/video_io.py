"""Writing generated clips: H.264 mp4 (readable by decord) and GIF, both atomically."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

from simda.atomic import atomic_path


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


def write_mp4(path: str | Path, frames: np.ndarray, fps: int = 8, crf: int = 17) -> Path:
    """Encode ``frames`` as H.264 (yuv420p) at near-lossless quality; identical frames give identical bytes.

    The bytes are a function of the frames alone: the colour conversion is integer arithmetic
    (:func:`_yuv420p`), timestamps are set here (frame i at i/fps), the muxer writes no creation
    time, and libx264 runs on one thread (frame, slice and lookahead threads make the output depend
    on scheduling) with its assembly off (``asm=0``). With assembly on, one process encoding the
    same frames gave two different files, depending on what the process had imported and encoded
    before (so on its memory, not its input), and the assembly paths, chosen by CPU, gave other
    bytes than the portable C code. The C code costs about 0.35 s more per 16-frame 256x256 clip
    on one CPU core, small beside denoising it. A reader never sees a half-written file: the video
    is encoded beside its target and renamed. yuv420p needs even sides, so an odd size is padded by
    one edge pixel.
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


def write_gif(path: str | Path, frames: np.ndarray, fps: int = 8) -> Path:
    """A looping GIF of ``frames`` (for READMEs, MLflow artifacts and quick looks)."""
    _check_frames(frames)
    path = Path(path)
    images = [Image.fromarray(frame) for frame in frames]
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=1000 / fps, loop=0)
    return path
