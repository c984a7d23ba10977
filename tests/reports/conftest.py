"""Runs made by the real commands on their tiny presets, in one tracking store shared by the report tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks import ablation, editing, msrvtt, profile
from simda import train

# Tiny and quick: 9 frames is I3D's minimum; two DDIM and training steps prove the wiring.
MSRVTT = ["--preset", "tiny", "--frames", "9", "--height", "32", "--width", "32", "--steps", "2", "--batch-size", "2"]
EDITING = ["--preset", "tiny", "--tune-steps", "2", "--inference-steps", "2", "--frames", "4"]
PROFILE = ["--preset", "tiny", "--device", "cpu", "--frames", "2", "--size", "32", "--repeats", "1", "--warmup", "0"]
TRAIN = ["--preset", "tiny", "--max-train-steps", "3", "--log-every", "1", "--validate-every", "3", "--frames", "4"]
ABLATION = ["--preset", "tiny", "--max-train-steps", "2", "--num-frames", "9", "--num-inference-steps", "2"]


@dataclass(frozen=True)
class TinyStore:
    """A tracking store holding tiny-preset runs, and the folder the commands ran in."""

    uri: str
    folder: Path


def _in_folder(folder: Path, commands) -> None:
    """Run ``commands`` with ``folder`` as working directory: MLflow puts artifacts under ./mlruns there."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        for command in commands:
            assert command() == 0, "a tiny command failed: its message is in the captured stderr"


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> TinyStore:
    """MSR-VTT, editing, profile and training runs of the tiny presets (about 20 s on two cores)."""
    folder = tmp_path_factory.mktemp("tiny-store")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    tracking = ["--tracking-uri", uri]
    _in_folder(
        folder,
        [
            lambda: msrvtt.main([*MSRVTT, "--out", str(folder / "msrvtt"), *tracking]),
            lambda: editing.main([*EDITING, "--out", str(folder / "editing"), *tracking]),
            lambda: profile.main([*PROFILE, "--video-steps", "2", "--out", str(folder / "profile"), *tracking]),
            lambda: train.main([*TRAIN, "--out", str(folder / "train"), *tracking]),
        ],
    )
    return TinyStore(uri, folder)


@pytest.fixture(scope="session")
def ablation_store(tiny_store: TinyStore) -> TinyStore:
    """The tiny store plus a ``--disable lsa`` ablation sweep (its training and WebVid runs nested inside)."""
    out = tiny_store.folder / "ablation"
    command = [*ABLATION, "--num-videos", "3", "--disable", "lsa", "--out", str(out), "--tracking-uri", tiny_store.uri]
    _in_folder(tiny_store.folder, [lambda: ablation.main(command)])
    return tiny_store
