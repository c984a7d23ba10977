"""A torchrun worker does not outlive its launcher."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# The launcher starts a worker and then waits; the worker starts the watchdog, says its pid and computes on.
WORKER = """
import sys, time
from pathlib import Path
from simda.plumbing.distributed import exit_when_parent_dies
exit_when_parent_dies(poll_s=0.05)
Path(sys.argv[1]).write_text("ready")
time.sleep(600)
"""
LAUNCHER = """
import subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]])
print(worker.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Running, not a zombie (an orphan's zombie waits for a reaper that a container may not have)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_a_worker_ends_when_its_launcher_is_killed(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, WORKER, str(ready)], stdout=subprocess.PIPE, text=True)
    worker_pid = int(launcher.stdout.readline())
    deadline = time.monotonic() + 120
    try:
        while not ready.exists():
            assert time.monotonic() < deadline and _alive(worker_pid), "the worker did not start"
            time.sleep(0.05)
        launcher.send_signal(signal.SIGKILL)  # the launcher alone, as `kill -9 <torchrun pid>` does
        launcher.wait()
        while _alive(worker_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker_pid), "the worker outlived its launcher"
    finally:
        if _alive(worker_pid):
            os.kill(worker_pid, signal.SIGKILL)
