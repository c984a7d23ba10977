"""One run at a time in a run folder; what a killed writer left behind is cleaned up and never listed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.rundir import RunDir
from simda.plumbing.atomic import FolderBusyError, atomic_path
from simda.plumbing.distributed import ProcessLayout

# A stand-in for a benchmark's generation loop: under the folder's lock, write every missing video
# and append its id to generated.log. It waits for a "go" file after taking the lock, so the test can
# start a second run while the first holds the folder.
RUN = """
import sys, time
from pathlib import Path
from benchmarks.rundir import RunDir
from simda.plumbing.atomic import FolderBusyError
from simda.plumbing.distributed import ProcessLayout
from simda.synthetic import moving_square
from simda.video_io import write_mp4

root, wait_for = Path(sys.argv[1]), sys.argv[2]
run_dir = RunDir(root)
try:
    with run_dir.exclusive(ProcessLayout()):
        (root / "holding").touch()
        while wait_for != "-" and not Path(wait_for).exists():
            time.sleep(0.05)
        for index in range(3):
            clip_id = f"clip{index}"
            if not run_dir.video(clip_id).exists():
                write_mp4(run_dir.video(clip_id), moving_square(index, 4, 16, 16)[0])
                with open(root / "generated.log", "a") as log:
                    log.write(clip_id + "\\n")
except FolderBusyError as exc:
    print(exc)
    sys.exit(3)
"""


def _start(root: Path, wait_for: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUN, str(root), wait_for], stdout=subprocess.PIPE, text=True)


@pytest.mark.slow  # an end-to-end run: over 5 s on two cores
def test_two_concurrent_runs_generate_each_video_once(tmp_path: Path) -> None:
    root, go = tmp_path / "run", tmp_path / "go"
    first = _start(root, str(go))
    deadline = time.monotonic() + 60
    while not (root / "holding").exists():
        assert first.poll() is None and time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.05)
    second = _start(root, "-")
    refusal, _ = second.communicate(timeout=60)
    assert second.returncode == 3
    assert f"--output-dir {root}: another run (pid {first.pid} on" in refusal and "pass another --output-dir" in refusal
    go.touch()
    assert first.wait(timeout=60) == 0
    third = _start(root, "-")  # after the first finished, a rerun finds every video and generates none
    assert third.wait(timeout=60) == 0
    assert sorted((root / "generated.log").read_text().split()) == ["clip0", "clip1", "clip2"]


def test_the_lock_refuses_in_process_and_cleans_interrupted_writes(tmp_path: Path) -> None:
    run_dir = RunDir(tmp_path / "run")
    interrupted = run_dir.video("clip0").parent / ".clip0.k3j9x_2q.mp4"
    interrupted.parent.mkdir(parents=True)
    interrupted.write_bytes(b"half a video")
    with run_dir.lock():
        assert not interrupted.exists()
        with pytest.raises(FolderBusyError, match=f"pid {os.getpid()}"), run_dir.exclusive(ProcessLayout()):
            pass
        with atomic_path(run_dir.video("clip1")) as tmp:  # a write in progress is not touched by the check
            Path(tmp).write_bytes(b"x")
    assert run_dir.video("clip1").read_bytes() == b"x"
    with run_dir.lock():  # released when the block ends
        pass
