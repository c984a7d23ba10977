"""write_mp4's promise: identical frames give identical bytes, in any process, any number of times."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np

from simda.synthetic import moving_square
from simda.video_io import write_mp4

# With libx264's assembly on, a process that had imported decord first encoded the same frames to two files.
ENCODE_IN_A_FRESH_PROCESS = """
import hashlib, sys
from pathlib import Path
if sys.argv[3] == "decord-first":
    import decord
import numpy as np
from simda.synthetic import moving_square
from simda.video_io import write_mp4
frames = moving_square(7012, 16, 64, 64)[0] if sys.argv[1] == "square" else np.load(sys.argv[1])
for i in range(4):
    print(hashlib.sha256(write_mp4(Path(sys.argv[2]) / f"{i}.mp4", frames).read_bytes()).hexdigest())
"""


def test_the_same_frames_encode_to_the_same_bytes_in_every_process(tmp_path: Path) -> None:
    # Through swscale's RGB conversion the bytes differed in up to half the encodes; noise frames
    # put many colour values near a rounding boundary, the synthetic square is what datasets hold.
    noise = np.random.default_rng(0).integers(0, 256, size=(12, 48, 64, 3), dtype=np.uint8)
    for name, frames in {"square": moving_square(7012, 16, 64, 64)[0], "noise": noise}.items():
        np.save(tmp_path / f"{name}.npy", frames)
        digests = {
            hashlib.sha256(write_mp4(tmp_path / f"{name}-{i}.mp4", frames).read_bytes()).hexdigest() for i in range(4)
        }
        for process in range(3):
            folder = tmp_path / f"{name}-process-{process}"
            folder.mkdir()
            imports = "decord-first" if process % 2 else "plain"
            source = "square" if name == "square" else str(tmp_path / f"{name}.npy")
            script = [sys.executable, "-c", ENCODE_IN_A_FRESH_PROCESS, source, str(folder), imports]
            digests |= set(subprocess.run(script, check=True, capture_output=True, text=True).stdout.split())
        assert len(digests) == 1, f"{name}: {len(digests)} different files from 16 encodes of the same frames"


def test_the_integer_colour_conversion_is_bt601_limited_range(tmp_path: Path) -> None:
    # Flat colours survive H.264 almost exactly, so a wrong matrix or range would show in the decoded pixels.
    import decord

    colours = np.array([[0, 0, 0], [255, 255, 255], [220, 40, 40], [40, 200, 60], [50, 80, 230]], dtype=np.uint8)
    frames = np.ascontiguousarray(np.broadcast_to(colours[:, None, None, :], (5, 32, 32, 3)))
    decoded = decord.VideoReader(str(write_mp4(tmp_path / "flat.mp4", frames))).get_batch(list(range(5))).asnumpy()
    np.testing.assert_allclose(decoded[:, 16, 16].astype(int), colours.astype(int), atol=4)
