"""VBench dimensions in the benchmark: per-video states cached once, and two shards sum to one process."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch

from benchmarks.text_to_video_engine import probe_dimensions
from benchmarks.vbench_scoring import (
    load_dimension,
    require_available,
    score_video,
    state_path,
    summarise_dimensions,
)
from simda.plumbing.distributed import ProcessLayout
from simda.plumbing.errors import BadInputFile, InvalidSetting
from simda.settings import EvaluationSettings


def videos(count: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(3)
    return {
        f"clip{i}": torch.randint(0, 256, (3, 32, 32, 3), dtype=torch.uint8, generator=generator) for i in range(count)
    }


def loaded(names=("temporal_flickering", "subject_consistency")):
    return [load_dimension(name, {}, "cpu", tiny=True, fps=8) for name in names]


def score(folder, layout: ProcessLayout, clips: dict[str, torch.Tensor], dims) -> dict:
    folders = {d.name: folder / d.cache_key for d in dims}
    for clip_id in layout.take(list(clips)):
        score_video(clips[clip_id], clip_id, dims, folders)
    return folders


@pytest.mark.slow
def test_two_shards_give_the_states_and_scores_of_one_process(tmp_path) -> None:
    clips = videos(5)
    dims = loaded()
    one = score(tmp_path / "one", ProcessLayout(), clips, dims)
    for rank in (0, 1):
        two = score(tmp_path / "two", ProcessLayout(rank=rank, world_size=2), clips, dims)
    single, single_videos = summarise_dimensions(dims, one, list(clips))
    sharded, sharded_videos = summarise_dimensions(dims, two, list(clips))
    assert sharded == single and sharded_videos == single_videos
    assert set(single) == {"vbench_temporal_flickering", "vbench_subject_consistency"}
    assert 0.0 < single["vbench_temporal_flickering"] < 1.0


def test_a_rerun_recomputes_nothing(tmp_path) -> None:
    clips = videos(2)
    dims = loaded(("temporal_flickering",))
    folders = score(tmp_path, ProcessLayout(), clips, dims)
    path = state_path(folders["temporal_flickering"], "clip0", "temporal_flickering")
    stamp = path.stat().st_mtime_ns
    score(tmp_path, ProcessLayout(), clips, dims)
    assert path.stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_weight_files_are_required_without_the_tiny_preset_and_checked(tmp_path) -> None:
    with pytest.raises(InvalidSetting, match="--dino-ckpt"):
        load_dimension("subject_consistency", {}, "cpu", tiny=False, fps=8)
    bad = tmp_path / "dino.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(BadInputFile, match="--dino-ckpt .*dino.pth: cannot be loaded"):
        load_dimension("subject_consistency", {"dino_ckpt": bad}, "cpu", tiny=False, fps=8)
    with pytest.raises(BadInputFile, match="--aesthetic-head None: not found"):
        load_dimension("aesthetic_quality", {"clip_l14_ckpt": bad}, "cpu", tiny=False, fps=8)


def test_the_preflight_refuses_videos_a_network_cannot_take() -> None:
    dims = loaded(("temporal_flickering", "dynamic_degree"))
    with pytest.raises(InvalidSetting, match="--metrics dynamic_degree cannot score 24x24 videos"):
        probe_dimensions(dims, (24, 24))  # the tiny RAFT's two correlation levels need 32 pixels
    assert probe_dimensions(dims[:1], (24, 24)) == ["vbench        temporal_flickering scores a test clip ({})"]


def test_a_dimension_whose_module_is_absent_is_refused_by_name() -> None:
    if importlib.util.find_spec("metrics.vbench.motion_smoothness") is not None:
        pytest.skip("motion_smoothness is installed here")
    with pytest.raises(InvalidSetting, match="'motion_smoothness' needs metrics.vbench.motion_smoothness"):
        require_available(EvaluationSettings(metrics="fvd,clipsim,vbench-quality").vbench_dimensions)


def test_unknown_metric_names_are_refused_with_the_flag() -> None:
    with pytest.raises(InvalidSetting, match="--metrics 'fvd,subject_consistancy': unknown metric"):
        EvaluationSettings(metrics="fvd,subject_consistancy")


def test_a_clip_file_of_another_architecture_is_refused(tmp_path) -> None:
    tiny = load_dimension("background_consistency", {}, "cpu", tiny=True, fps=8).dimension.model
    path = tmp_path / "tiny-clip.pt"
    torch.save({name: value.half() for name, value in tiny.state_dict().items()}, path)
    with pytest.raises(BadInputFile, match="VBench uses OpenAI's ViT-B/32"):
        load_dimension("background_consistency", {"clip_ckpt": path}, "cpu", tiny=False, fps=8)


@pytest.mark.slow  # a tiny msrvtt run and its rerun
def test_msrvtt_reports_the_dimensions_and_a_rerun_reuses_every_state(tmp_path) -> None:
    from benchmarks import msrvtt
    from tests.benchmarks.conftest import FAST_ARGS, only_run, tracking_uri

    out, uri = tmp_path / "run", tracking_uri(tmp_path)
    argv = [*FAST_ARGS, "--num-videos", "2", "--out", str(out), "--tracking-uri", uri]
    argv += ["--metrics", "fvd,clipsim,temporal_flickering,subject_consistency"]
    assert msrvtt.main(argv) == 0
    metrics = json.loads((out / "result.json").read_text())["metrics"]
    logged = only_run(uri, "simda-msrvtt").data.metrics
    for name in ("vbench_temporal_flickering", "vbench_subject_consistency"):
        assert 0 < metrics[name] <= 1 and logged[name] == pytest.approx(metrics[name])
    states = sorted(out.glob("features/vbench-*/*.json"))
    assert len(states) == 4
    stamps = [path.stat().st_mtime_ns for path in states]
    assert msrvtt.main(argv) == 0
    assert [path.stat().st_mtime_ns for path in states] == stamps
    assert json.loads((out / "result.json").read_text())["metrics"] == {
        **metrics,
        "videos_generated": 0.0,
        "videos_reused": 2.0,
    }


def test_a_missing_weight_file_is_refused_by_its_flag(isolated_cwd, capsys) -> None:
    from benchmarks import msrvtt

    assert msrvtt.main(["--preset", "tiny", "--metrics", "subject_consistency", "--dino-ckpt", "dino.pth"]) == 2
    assert "--dino-ckpt PosixPath('dino.pth'): not found" in capsys.readouterr().err


@pytest.mark.slow  # the acceptance command as a user types it: eight 16-frame videos, seven dimensions
def test_the_tiny_preset_prints_and_logs_all_seven_dimensions(isolated_cwd, capsys) -> None:
    import math

    from benchmarks import msrvtt
    from metrics.vbench import DIMENSIONS
    from tests.benchmarks.conftest import only_run

    assert msrvtt.main(["--preset", "tiny", "--metrics", "vbench-quality"]) == 0
    printed = capsys.readouterr().out
    assert "RANDOM WEIGHTS: these numbers prove the machinery, not the model" in printed
    logged = only_run(f"sqlite:///{isolated_cwd / 'mlflow.db'}", "simda-msrvtt").data
    assert logged.params["random_weights"] == "True"
    for name in DIMENSIONS:
        line = next(line for line in printed.splitlines() if line.startswith(f"vbench_{name}: "))
        value = float(line.split(": ")[1])
        assert math.isfinite(value) and logged.metrics[f"vbench_{name}"] == pytest.approx(value, abs=1e-6)
