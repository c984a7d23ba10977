"""Both commands end to end on the tiny preset: the run folder, the MLflow run, skipped real videos."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from benchmarks import msrvtt, webvid
from benchmarks.datasets import write_webvid_set
from metrics.video_io import read_video
from simda.synthetic import moving_square
from simda.video_io import write_mp4
from tests.benchmarks.conftest import FAST_ARGS, artifact_paths, mlflow_artifact, only_run, tracking_uri
from tests.command_helpers import run_argv


@pytest.mark.slow  # an end-to-end run: over 5 s on two cores
def test_tiny_msrvtt_runs_offline_and_leaves_an_mlflow_run(no_network, tmp_path, caplog, capsys):
    uri = tracking_uri(tmp_path)
    out = tmp_path / "run"
    assert msrvtt.main([*FAST_ARGS, "--num-videos", "4", "--out", str(out), "--tracking-uri", uri]) == 0
    printed = capsys.readouterr().out
    assert "clipsim" in printed and "fvd" in printed and str(out) in printed, "the result table goes to stdout"
    assert "python -m reports.build --runs" in printed, "the command names the report of its run"
    metrics = json.loads((out / "result.json").read_text())["metrics"]

    run = only_run(uri, "simda-msrvtt")
    for name in ("fvd", "clipsim", "frame_consistency"):
        assert run.data.metrics[name] == pytest.approx(metrics[name])
    assert metrics["fvd"] > 0 and -1 <= metrics["clipsim"] <= 1 and 0 < metrics["frame_consistency"] <= 100
    assert run.data.metrics["num_videos"] == 4 and run.data.metrics["videos_generated"] == 4
    assert run.data.tags["random_weights"] == "true"
    interval = run.data.metrics
    assert interval["fvd_ci_low"] <= metrics["fvd"] <= interval["fvd_ci_high"] and interval["fvd_std_error"] > 0
    assert interval["fvd_interval_groups"] == 4  # one jackknife group per video below the default 40
    params = run.data.params
    assert params["fvd.protocol"] == "cd-fvd" and params["fvd.interval_method"].startswith("grouped jackknife")
    assert params["fvd.ddof"] == "0" and params["fvd.detector_sha256"] == "random-calibrated-seed0"
    assert params["num_frames"] == "9" and params["num_inference_steps"] == "2" and params["random_weights"] == "True"
    assert params["generator.base_identity"] and params["generator.kind"] == "simda"
    assert run.data.tags["generator"] == "SimDA (random weights)"
    assert params["caption_seed"] == "0" and "centre crop" in params["real_resize"]
    # real clips: consecutive frames at the 8 fps of the generated ones, from the first (cd-fvd's convention)
    assert params["fvd.frame_sampling"] == "consecutive: stride round(source fps / 8), first window"

    artifacts = artifact_paths(uri, run.info.run_id)
    assert {"per_video.json", "paper_comparison.json", "tables/per_video.parquet"} <= artifacts
    assert {"samples/samples.gif", "samples/first_frames.png", "captions.csv", "skipped_real.csv"} <= artifacts
    per_video = pd.DataFrame(**json.loads(open(mlflow_artifact(uri, run, "per_video.json")).read()))
    assert list(per_video.columns) == ["id", "caption", "seed", "clipsim", "consistency", "path"]
    assert per_video["clipsim"].mean() == pytest.approx(metrics["clipsim"])
    comparison = pd.read_parquet(mlflow_artifact(uri, run, "tables/paper_comparison.parquet"))
    assert comparison.set_index("metric").loc["fvd", "paper"] == 456
    assert comparison.set_index("metric").loc["clipsim", "paper"] == 0.2945
    assert comparison["note"].str.contains("random weights").all()

    assert sorted(p.name for p in (out / "videos").glob("*.mp4")) == sorted(f"{i}.mp4" for i in per_video["id"])
    index = [json.loads(line) for line in (out / "index" / "rank-0-of-1.jsonl").read_text().splitlines()]
    assert {row["id"] for row in index} == set(per_video["id"])
    assert len(list((out / "features").glob("*/*.i3d.npy"))) == 4
    assert "prove the machinery, not the model" in caplog.text


@pytest.mark.slow  # an end-to-end run: over 5 s on two cores
def test_tiny_webvid_skips_and_lists_unusable_real_videos(tmp_path):
    csv, videos = write_webvid_set(tmp_path / "data", 5, num_frames=12)
    table = pd.read_csv(csv, dtype=str)
    paths = [videos / row.page_dir / f"{row.videoid}.mp4" for row in table.itertuples()]
    paths[0].write_bytes(b"not a video at all")
    paths[1].unlink()
    write_mp4(paths[2], moving_square(2, 4)[0])  # shorter than the 9 frames asked for
    uri = tracking_uri(tmp_path)
    argv = [
        *FAST_ARGS,
        "--csv",
        str(csv),
        "--videos",
        str(videos),
        "--out",
        str(tmp_path / "run"),
        "--tracking-uri",
        uri,
    ]
    metrics = run_argv(webvid, argv).metrics

    assert metrics["num_videos"] == 5 and metrics["num_real"] == 2 and metrics["num_real_skipped"] == 3
    skipped = pd.read_csv(tmp_path / "run" / "skipped_real.csv", dtype=str)
    assert set(skipped["clip_id"]) == set(table["videoid"][:3])
    reasons = dict(zip(skipped["clip_id"], skipped["reason"], strict=True))
    assert reasons[table["videoid"][1]] == "file not found"
    assert "fewer than the 9" in reasons[table["videoid"][2]]
    run = only_run(uri, "simda-webvid")
    assert run.data.metrics["num_real_skipped"] == 3
    comparison = pd.read_parquet(mlflow_artifact(uri, run, "tables/paper_comparison.parquet"))
    assert comparison.set_index("metric").loc["fvd", "paper"] == 363.98


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--base", "sd"], "--annotations is required"),
        (
            ["--preset", "tiny", "--annotations", "nowhere.json", "--videos", "."],
            "--annotations nowhere.json: not found",
        ),
        (["--preset", "tiny", "--videos", "."], "pass both --annotations and --videos"),
        (["--preset", "tiny", "--i3d", "missing_i3d.pt"], "--i3d missing_i3d.pt: not found"),
        (["--preset", "tiny", "--clip-ckpt", "clip.bin"], "--clip-ckpt clip.bin: not found"),
        (["--preset", "tiny", "--real-stats", "real.npz"], "--real-stats real.npz: not found"),
        (["--preset", "tiny", "--frames", "8"], "I3D needs at least 9"),
        (["--preset", "tiny", "--fvd-frames", "spread", "--fvd-frame-stride", "2"], "--fvd-frames spread takes none"),
        (["--preset", "tiny", "--fvd-frame-start", "middle"], "--fvd-frame-start: invalid choice"),
        (["--preset", "tiny", "--ckpt", "adapters.safetensors"], "--ckpt adapters.safetensors: not found"),
    ],
)
def test_bad_input_stops_before_any_work_naming_the_fix(isolated_cwd, capsys, argv, message):
    assert msrvtt.main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (isolated_cwd / "runs").exists()


def test_webvid_names_its_own_flag(isolated_cwd, capsys):
    assert webvid.main(["--base", "sd", "--videos", "."]) == 2
    assert "--csv is required" in capsys.readouterr().err


@pytest.mark.slow  # an end-to-end run: over 5 s on two cores
def test_sr_scores_the_upscaled_videos_against_real_clips_at_that_size(tmp_path):
    uri = tracking_uri(tmp_path)
    argv = [*FAST_ARGS, "--num-videos", "2", "--sr", "--sr-steps", "2", "--out", str(tmp_path / "run")]
    result = run_argv(msrvtt, [*argv, "--tracking-uri", uri])
    run = only_run(uri, "simda-msrvtt")
    assert run.data.tags["generator"].endswith("+ SR x4") and run.data.params["generator.sr.num_inference_steps"] == "2"
    first = sorted((tmp_path / "run" / "videos").glob("*.mp4"))[0]
    assert read_video(first, 9).shape == (9, 128, 128, 3), "the scored videos are the 4x upscaled ones"
    cached = next((tmp_path / "real-cache").glob("*/*.npy"))
    assert cached.stat().st_size > 0 and result.metrics["num_videos"] == 2 and result.metrics["fvd"] > 0
