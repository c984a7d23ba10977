import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import open_clip
import pytest
import torch

from metrics import fvd_command
from metrics.clip import TINY_CLIP_CONFIG, ClipScorer, random_clip
from metrics.frechet import frechet_distance_from_features
from metrics.fvd import extract_features
from metrics.fvd_command import main
from metrics.fvd_protocols import get_protocol
from metrics.i3d import file_sha256, load_i3d
from metrics.video_io import read_video
from simda.video_io import write_mp4
from tests.command_helpers import job_of
from tests.metrics.random_i3d import calibrated_random_i3d

REPO_ROOT = Path(__file__).resolve().parents[2]


def _clip_frames(seed: int, t: int = 10) -> np.ndarray:
    """A moving bright square on a coloured background: smooth content that survives JPEG."""
    rng = np.random.default_rng(seed)
    frames = np.empty((t, 32, 40, 3), dtype=np.uint8)
    frames[:] = rng.integers(0, 200, size=3, dtype=np.uint8)
    for i in range(t):
        frames[i, 8:20, 2 + 2 * i : 14 + 2 * i] = 255
    return frames


@pytest.fixture(scope="module")
def i3d_checkpoint(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "i3d_random.pt"
    torch.save(calibrated_random_i3d().state_dict(), path)
    return path


@pytest.fixture(scope="module")
def video_sets(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("videos")
    real, fake = root / "real", root / "fake"
    real.mkdir()
    fake.mkdir()
    for i in range(2):
        write_mp4(real / f"real_{i}.mp4", _clip_frames(i))
        write_mp4(fake / f"fake_{i}.mp4", _clip_frames(10 + i) // 2)
    write_mp4(real / "short.mp4", _clip_frames(5, t=5))
    (real / "broken.mp4").write_bytes(b"definitely not a video")
    rows = [{"path": f"fake/fake_{i}.mp4", "caption": f"a white square number {i}"} for i in range(2)]
    rows.append({"path": "fake/gone.mp4", "caption": "missing file"})
    (root / "fake.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return real, root / "fake.jsonl"


def test_cli_reports_fvd_clipsim_protocol_and_skips(i3d_checkpoint, video_sets, tmp_path, capsys):
    real, fake_index = video_sets
    config = tmp_path / "metrics-test-cli-clip.json"
    config.write_text(json.dumps(TINY_CLIP_CONFIG))
    open_clip.add_model_config(config)
    clip = random_clip(0)
    clip_ckpt = tmp_path / "tiny_clip.pt"
    torch.save(clip.state_dict(), clip_ckpt)

    with pytest.warns(UserWarning, match="feature dimension 400"):
        code = main(
            [
                "--real",
                str(real),
                "--fake",
                str(fake_index),
                "--i3d",
                str(i3d_checkpoint),
                "--frames",
                "9",
                "--batch-size",
                "2",
                "--device",
                "cpu",
                "--clip-ckpt",
                str(clip_ckpt),
                "--clip-model",
                "metrics-test-cli-clip",
                "--no-openai",  # a custom config: its own activation
            ]
        )
    out = capsys.readouterr().out
    assert code == 0, out

    # Recompute what the CLI should have measured, from the same decoded frames (random I3D weights:
    # the number itself means nothing, only that the plumbing is right).
    first_window = get_protocol("cd-fvd").frame_selection()
    real_frames = [read_video(real / f"real_{i}.mp4", 9, first_window) for i in range(2)]
    fake_frames = [read_video(fake_index.parent / "fake" / f"fake_{i}.mp4", 9, first_window) for i in range(2)]
    detector = load_i3d(i3d_checkpoint)
    expected_fvd = frechet_distance_from_features(
        extract_features(real_frames, detector), extract_features(fake_frames, detector)
    )
    assert expected_fvd > 0.1  # not a comparison of zeros
    # Different batch compositions change float32 I3D outputs in the last bits.
    assert float(re.search(r"^FVD: (\S+)$", out, re.M).group(1)) == pytest.approx(expected_fvd, rel=1e-5)
    scorer = ClipScorer(clip, open_clip.get_tokenizer("ViT-B-32"))
    expected_clipsim = scorer.clipsim(fake_frames, [f"a white square number {i}" for i in range(2)]).mean
    assert float(re.search(r"^CLIPSIM: (\S+) ", out, re.M).group(1)) == pytest.approx(expected_clipsim, abs=1e-4)

    assert "videos: real 2, fake 2, skipped 3" in out
    assert f"fvd.detector_sha256: {file_sha256(i3d_checkpoint)}" in out
    assert "fvd.num_frames: 9" in out and "fvd.ddof: 0" in out
    assert "fvd.frame_sampling: consecutive: stride 1, first window" in out
    skipped = out.split("skipped 3 videos:")[1]
    assert "broken.mp4: cannot be decoded" in skipped and "gone.mp4" in skipped
    assert "short.mp4: has 5 frames, fewer than the 9 requested" in skipped


def test_cli_missing_inputs_exit_2_naming_the_flag(i3d_checkpoint, video_sets, tmp_path, capsys):
    real, _ = video_sets
    assert main(["--real", str(tmp_path / "no_such_dir"), "--fake", str(real), "--i3d", str(i3d_checkpoint)]) == 2
    err = capsys.readouterr().err
    assert "--real" in err and "no_such_dir" in err

    # The module entry point, as users run it.
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "metrics.fvd",
            "--real",
            str(real),
            "--fake",
            str(real),
            "--i3d",
            str(tmp_path / "i3d_missing.pt"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "--i3d" in proc.stderr and "i3d_missing.pt" in proc.stderr


def test_cli_fails_when_no_video_is_usable(i3d_checkpoint, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.mp4").write_bytes(b"junk")
    assert main(["--real", str(bad), "--fake", str(bad), "--i3d", str(i3d_checkpoint), "--frames", "9"]) == 1
    captured = capsys.readouterr()
    assert "no usable real videos" in captured.err and "x.mp4: cannot be decoded" in captured.err


def test_cli_tiny_preset_needs_no_weight_file_and_says_so(video_sets, tmp_path, capsys):
    real, fake_index = video_sets
    argv = ["--preset", "tiny", "--real", str(real), "--fake", str(fake_index), "--frames", "9"]
    assert main([*argv, "--output-dir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "RANDOM WEIGHTS" in out and "fvd.detector_sha256: random-calibrated-seed0" in out
    saved = json.loads((tmp_path / "out" / "result.json").read_text())
    assert saved["random_weights"] and float(re.search(r"^FVD: (\S+)$", out, re.M).group(1)) == pytest.approx(
        saved["fvd"]["value"], rel=1e-6
    )
    # Without a weight file or the preset, nothing runs.
    assert main(["--real", str(real), "--fake", str(real)]) == 2
    assert "--i3d" in capsys.readouterr().err


def test_cli_frame_window_flags_choose_the_frames_of_both_sets(video_sets, tmp_path, capsys):
    real, fake_index = video_sets
    base = ["--preset", "tiny", "--real", str(real), "--fake", str(fake_index), "--frames", "9"]
    protocol = get_protocol("cd-fvd")
    window = job_of(fvd_command, [*base, "--fvd-frame-stride", "2", "--fvd-frame-start", "centre"])
    selection = window.frame_selection(protocol)
    assert (selection.mode, selection.stride, selection.start) == ("consecutive", 2, "centre")
    assert job_of(fvd_command, base).frame_selection(protocol) == protocol.frame_selection()
    spread = job_of(fvd_command, [*base, "--fvd-frames", "spread"]).frame_selection(protocol)
    assert spread.mode == "spread"
    assert main([*base, "--fvd-frames", "spread", "--fvd-frame-stride", "2"]) == 2
    assert "--fvd-frames spread takes none" in capsys.readouterr().err
    assert main([*base, "--fvd-frames", "spread", "--output-dir", str(tmp_path)]) == 0
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["fvd"]["fvd.frame_sampling"] == spread.describe()


def test_cli_clip_pretrained_and_its_openai_spellings(video_sets, capsys):
    real, _ = video_sets
    base = ["--preset", "tiny", "--real", str(real), "--fake", str(real)]
    assert job_of(fvd_command, base).pretrained == "openai"
    assert job_of(fvd_command, [*base, "--no-openai"]).pretrained == "none"
    assert job_of(fvd_command, [*base, "--clip-pretrained", "none"]).pretrained == "none"
    assert job_of(fvd_command, [*base, "--openai", "--clip-pretrained", "openai"]).pretrained == "openai"
    assert main([*base, "--openai", "--clip-pretrained", "none"]) == 2
    assert "--openai contradicts --clip-pretrained none" in capsys.readouterr().err
