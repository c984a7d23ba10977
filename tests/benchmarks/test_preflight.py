"""The preflight refuses bad inputs before anything is generated, with the flag and the fix in the message."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch
from torch import nn

from benchmarks.datasets import read_msrvtt, write_msrvtt_set
from benchmarks.networks import MetricNetworks, load_metric_networks
from benchmarks.preflight import PreflightError, check_writable, run_preflight
from metrics.fvd_protocols import get_protocol
from simda.synthetic import moving_square
from simda.video_io import write_mp4
from tests.benchmarks.conftest import tracking_uri

FRAMES, SIZE = 9, (32, 32)


@pytest.fixture(scope="module")
def msrvtt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_msrvtt_set(tmp_path_factory.mktemp("msrvtt"), num_test=4, num_train=0, num_frames=12)


def _preflight(tmp_path: Path, clips, videos: Path, nets: MetricNetworks | None, i3d: str = "random"):
    folders = [("--out", tmp_path / "run"), ("--cache-dir", tmp_path / "real-cache")]
    return run_preflight(clips, videos, FRAMES, SIZE, folders, nets, "cpu", i3d, tracking_uri(tmp_path))


def _written(tmp_path: Path) -> list[Path]:
    """What a run would have written: the run and cache folders must not even exist."""
    return [path for path in (tmp_path / "run", tmp_path / "real-cache") if path.exists()]


def test_a_good_setup_passes_with_one_short_report(tmp_path, msrvtt, random_nets):
    annotations, videos = msrvtt
    short = tmp_path / "short"
    write_mp4(short / "video7011.mp4", moving_square(1, 4, 32, 32)[0])
    clips = [clip for clip in read_msrvtt(annotations, videos)]
    clips[1] = type(clips[1])(clips[1].id, clips[1].caption, short / "video7011.mp4")
    report = _preflight(tmp_path, clips, videos, random_nets)
    assert (report.real_videos.listed, report.real_videos.present, report.real_videos.long_enough) == (4, 4, 3)
    assert report.networks.i3d_features == 400 and report.tracking_uri == tracking_uri(tmp_path)
    text = report.format()
    assert "4/4 present" in text and "fewer than the 9 FVD takes" in text and "random weights" in text
    assert len(text.splitlines()) <= 8 and not _written(tmp_path)


def test_an_empty_or_top_level_videos_folder_is_refused(tmp_path, msrvtt, random_nets):
    annotations, videos = msrvtt
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PreflightError, match=r"none of the 4 real videos exists.*--videos must be the folder"):
        _preflight(tmp_path, read_msrvtt(annotations, empty), empty, random_nets)
    top = videos.parent  # the dataset's top folder, as a new user passes it
    with pytest.raises(PreflightError, match=rf"they are in {videos}: pass --videos {videos}$"):
        _preflight(tmp_path, read_msrvtt(annotations, top), top, random_nets)
    assert not _written(tmp_path) and not (tmp_path / "mlflow.db").exists()


class NotAnI3D(nn.Module):
    """Has the StyleGAN-V detector's call signature, but answers with 3 numbers per clip."""

    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False, return_features: bool = False):
        return x.mean(dim=(2, 3, 4))


def test_a_torchscript_file_that_is_not_an_i3d_is_refused(tmp_path, msrvtt):
    annotations, videos = msrvtt
    for name, module, error in (
        ("same-signature.pt", NotAnI3D(), r"(features of shape \(3,\), not the 400 Kinetics|does not run as an I3D)"),
        ("linear.pt", nn.Linear(3, 4), r"does not run as an I3D on a 9-frame clip"),
    ):
        path = tmp_path / name
        torch.jit.save(torch.jit.script(module), str(path))
        # A TorchScript file loads under the StyleGAN-V protocol (under cd-fvd it is refused at loading):
        nets = load_metric_networks(path, None, "ViT-B-32", "cpu", get_protocol("stylegan-v"))
        with pytest.raises(PreflightError, match=rf"--i3d {path} .*{error}.*pass --i3d an I3D weight file"):
            _preflight(tmp_path, read_msrvtt(annotations, videos), videos, nets, str(path))
    assert not _written(tmp_path)


CHECK_AS_ANOTHER_USER = """
import os, sys
from pathlib import Path
from benchmarks.preflight import PreflightError, check_writable
if os.geteuid() == 0:  # root writes through any permission bits: check as user nobody
    os.setgid(65534)
    os.setuid(65534)
try:
    check_writable(Path(sys.argv[1]), "--cache-dir")
except PreflightError as exc:
    print(exc)
    sys.exit(3)
"""


def test_a_read_only_cache_folder_is_refused(tmp_path):
    shared = Path(tempfile.mkdtemp(prefix="simda-preflight-"))
    try:
        os.chmod(shared, 0o755)
        cache = shared / "real-cache"
        cache.mkdir(mode=0o555)
        os.chmod(cache, 0o555)
        for folder in (cache, cache / "not-yet-made"):
            answer = subprocess.run(
                [sys.executable, "-c", CHECK_AS_ANOTHER_USER, str(folder)], capture_output=True, text=True
            )
            assert answer.returncode == 3, answer.stderr[-2000:]
            assert (
                f"--cache-dir {folder} is not writable" in answer.stdout
                and "pass --cache-dir a folder" in answer.stdout
            )
        assert list(cache.iterdir()) == []
        assert check_writable(shared / "new" / "cache", "--cache-dir") == shared / "new" / "cache"
        assert list(shared.iterdir()) == [cache]  # the probe made nothing, not even the missing folders
    finally:
        os.chmod(shared / "real-cache", 0o755)
        shutil.rmtree(shared)
