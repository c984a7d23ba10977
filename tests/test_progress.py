"""Off a terminal, long work logs a timestamped progress line (done/total, rate, ETA) every few seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = """
import time
from metrics import progress
from simda.plumbing.cli import setup_logging
setup_logging()
progress.LOG_INTERVAL_S = 0.2
for _ in progress.progress_bar(range(6), desc="generating", unit="video"):
    time.sleep(0.1)
"""


def test_progress_reaches_a_log_file_as_timestamped_lines(tmp_path: Path) -> None:
    with (tmp_path / "run.log").open("w") as log_file:  # stderr is a file, not a terminal
        subprocess.run([sys.executable, "-c", WORK], stderr=log_file, cwd=REPO, check=True, timeout=60)
    lines = (tmp_path / "run.log").read_text().splitlines()
    assert "\r" not in "".join(lines)
    assert 2 <= len(lines) <= 6, lines  # a line per interval, not one per step
    assert all(line[:4].isdigit() and line[10] == " " and "generating:" in line for line in lines), lines
    assert "6/6" in lines[-1] and ("video/s" in lines[-1] or "s/video" in lines[-1])
    assert any("<" in line for line in lines)  # tqdm's elapsed<remaining: the ETA
