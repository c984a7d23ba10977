"""An interrupted run resumes: no video is generated twice, no cached feature is recomputed."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest

from benchmarks import msrvtt
from benchmarks import text_to_video_engine as engine
from simda.pipeline import SimDAPipeline
from simda.plumbing.errors import UsageError
from simda.video_io import write_mp4
from tests.benchmarks.conftest import FAST_ARGS, only_run, tracking_uri
from tests.command_helpers import run_argv

REAL_CALL = SimDAPipeline.generate


class InjectedCrash(RuntimeError):
    """Stands for a crash or Ctrl-C in the middle of a run."""


class GenerationSpy:
    """Wraps the real pipeline call, recording every caption it generates; can crash after k calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, crash_after: int | None = None) -> None:
        self.prompts: list[str] = []
        self.crash_after = crash_after

        def spy(pipeline, prompts, seeds, settings=None, progress=False):
            if self.crash_after is not None and len(self.prompts) >= self.crash_after:
                raise InjectedCrash("injected interruption")
            self.prompts.extend(prompts)
            return REAL_CALL(pipeline, prompts, seeds, settings, progress)

        monkeypatch.setattr(SimDAPipeline, "generate", spy)


@pytest.mark.slow  # an end-to-end run: over 5 s on two cores
def test_interrupted_run_resumes_without_regenerating(tmp_path, monkeypatch):
    out = tmp_path / "run"
    argv = [*FAST_ARGS, "--out", str(out), "--tracking-uri", tracking_uri(tmp_path)]

    first = GenerationSpy(monkeypatch, crash_after=2)
    with pytest.raises(InjectedCrash):
        run_argv(msrvtt, [*argv, "--num-videos", "4"])
    done = {path.stem: path.stat().st_mtime_ns for path in (out / "videos").glob("*.mp4")}
    assert len(done) == 2 == len(first.prompts)
    # A crash between writing a video and its features: the video must be scored, not regenerated.
    scored_later = sorted(done)[0]
    next((out / "features").glob(f"*/{scored_later}.json")).unlink()

    second = GenerationSpy(monkeypatch)
    metrics = run_argv(msrvtt, [*argv, "--num-videos", "4"]).metrics
    captions = dict(zip(*_captions(out), strict=True))
    assert len(second.prompts) == 2 and not set(second.prompts) & set(first.prompts)
    assert sorted(captions[clip_id] for clip_id in done) == sorted(first.prompts)
    assert {path.stem: path.stat().st_mtime_ns for path in (out / "videos").glob("*.mp4") if path.stem in done} == done
    assert metrics["videos_generated"] == 2 and metrics["videos_reused"] == 2
    real_cache = {path: path.stat().st_mtime_ns for path in (tmp_path / "real-cache").glob("*/*.npy")}
    assert len(real_cache) == 4

    third = GenerationSpy(monkeypatch)
    grown = run_argv(msrvtt, [*argv, "--num-videos", "6"]).metrics
    assert len(third.prompts) == 2 and grown["videos_generated"] == 2 and grown["num_videos"] == 6
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in real_cache.items())
    assert len(list((tmp_path / "real-cache").glob("*/*.npy"))) == 6
    client = mlflow.MlflowClient(tracking_uri(tmp_path))
    runs = client.search_runs([client.get_experiment_by_name("simda-msrvtt").experiment_id])
    # The rerun of the same run folder continued the crashed run's MLflow run: one run holds all three.
    assert [run.info.status for run in runs] == ["FINISHED"]
    assert runs[0].data.metrics["num_videos"] == 6


def _captions(out: Path) -> tuple[pd.Series, pd.Series]:
    table = pd.read_csv(out / "captions.csv", dtype=str)
    return table["id"], table["caption"]


def test_a_run_folder_refuses_other_settings(tmp_path):
    out = tmp_path / "run"
    argv = [*FAST_ARGS, "--num-videos", "2", "--out", str(out), "--tracking-uri", tracking_uri(tmp_path)]
    run_argv(msrvtt, argv)
    with pytest.raises(UsageError, match=r"other settings \(differing: \['seed'\]\).*--output-dir"):
        run_argv(msrvtt, [*argv, "--seed", "1"])
    assert only_run(tracking_uri(tmp_path), "simda-msrvtt").data.metrics["num_videos"] == 2


@pytest.mark.slow  # three tiny runs
def test_a_crash_inside_a_batch_leaves_none_of_its_videos(tmp_path, monkeypatch):
    # A rerun must denoise the whole batch again: the same videos generated as a smaller batch differ.
    argv = [*FAST_ARGS, "--num-videos", "2", "--tracking-uri", tracking_uri(tmp_path)]
    written = []

    def crash_on_second(path, frames, fps=8):
        if written:
            raise InjectedCrash("killed while encoding the batch's second video")
        written.append(path)
        return write_mp4(path, frames, fps=fps)

    monkeypatch.setattr(engine, "write_mp4", crash_on_second)
    with pytest.raises(InjectedCrash):
        run_argv(msrvtt, [*argv, "--out", str(tmp_path / "resumed")])
    assert len(written) == 1 and list((tmp_path / "resumed" / "videos").iterdir()) == []
    monkeypatch.setattr(engine, "write_mp4", write_mp4)
    resumed = GenerationSpy(monkeypatch)
    assert run_argv(msrvtt, [*argv, "--out", str(tmp_path / "resumed")]).metrics["videos_generated"] == 2
    assert len(resumed.prompts) == 2
    run_argv(msrvtt, [*argv, "--out", str(tmp_path / "fresh")])
    fresh, again = (pd.read_csv(tmp_path / name / "results.csv") for name in ("fresh", "resumed"))
    assert fresh[["id", "clipsim", "consistency"]].equals(again[["id", "clipsim", "consistency"]])
