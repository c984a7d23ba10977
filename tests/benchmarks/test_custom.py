"""``benchmarks.custom``: any CSV of prompts with real videos, under the MSR-VTT benchmark's protocol."""

from __future__ import annotations

import json

import pytest

from benchmarks import custom
from benchmarks.custom import read_custom, write_custom_set
from simda.plumbing.errors import BadInputFile, InvalidSetting
from simda.synthetic import moving_square
from tests.benchmarks.conftest import FAST_ARGS, only_run, tracking_uri
from tests.command_helpers import job_of


def _csv(tmp_path, *lines: str):
    path = tmp_path / "prompts.csv"
    path.write_text("\n".join(["id,caption,path", *lines]) + "\n")
    return path


def test_the_tiny_set_reads_back_with_paths_relative_to_the_csv(tmp_path):
    csv, folder = write_custom_set(tmp_path / "set", 3, num_frames=4, size=32)
    clips = read_custom(csv, folder)
    assert [clip.id for clip in clips] == ["clip-0000", "clip-0001", "clip-0002"]
    assert [clip.caption for clip in clips] == [moving_square(index, 4, 32, 32)[1] for index in range(3)]
    assert all(clip.real_path.is_file() and clip.real_path.parent == folder / "videos" for clip in clips)


def test_absolute_and_relative_paths_are_both_read(tmp_path):
    absolute = tmp_path / "elsewhere" / "b.mp4"
    clips = read_custom(_csv(tmp_path, "a,a cat,videos/a.mp4", f"b,a dog,{absolute}"), tmp_path)
    assert [clip.real_path for clip in clips] == [tmp_path / "videos" / "a.mp4", absolute]


@pytest.mark.parametrize("clip_id", ["sub/a", "..", ".hidden", "a\\b", ""])
def test_an_id_that_is_no_plain_file_name_is_refused_naming_the_file_and_line(tmp_path, clip_id):
    path = _csv(tmp_path, "fine,a cat,a.mp4", f"{clip_id},a dog,b.mp4")
    with pytest.raises(BadInputFile, match=rf"{path} line 3: id .* is not a plain file name"):
        read_custom(path, tmp_path)


@pytest.mark.parametrize(
    ("header_and_rows", "message"),
    [
        (["id,caption", "a,a cat"], "no column path"),
        (["id,caption,path", "a,,a.mp4"], "line 2: id a has an empty caption"),
        (["id,caption,path", "a,a cat,a.mp4", "a,a dog,b.mp4"], "id"),
        (["id,caption,path"], "no rows"),
    ],
)
def test_a_malformed_csv_is_refused_naming_it(tmp_path, header_and_rows, message):
    path = tmp_path / "prompts.csv"
    path.write_text("\n".join(header_and_rows) + "\n")
    with pytest.raises(BadInputFile, match=message) as refused:
        read_custom(path, tmp_path)
    assert str(path) in str(refused.value)


def test_the_command_takes_no_videos_folder_and_needs_the_csv_on_real_weights(tmp_path):
    with pytest.raises(SystemExit):
        job_of(custom, ["--preset", "tiny", "--videos", str(tmp_path)])
    with pytest.raises(InvalidSetting, match="--csv is required"):
        job_of(custom, ["--base", "sd", "--i3d", str(tmp_path), "--clip-ckpt", str(tmp_path)])
    job = job_of(custom, ["--preset", "tiny"])
    assert job.num_videos is None and job.spec.paper_table is None, "every row, no paper table"


@pytest.mark.slow
def test_tiny_custom_runs_end_to_end_into_its_own_experiment_and_reruns_alike(no_network, tmp_path, capsys, caplog):
    uri, out = tracking_uri(tmp_path), tmp_path / "run"
    argv = [*FAST_ARGS, "--num-videos", "3", "--out", str(out), "--tracking-uri", uri]
    assert custom.main(argv) == 0
    first = dict(only_run(uri, "simda-custom").data.params)
    assert custom.main(argv) == 0, "the rerun finds every video done"
    assert dict(only_run(uri, "simda-custom").data.params) == first
    assert "changed parameters" not in caplog.text, "the tiny set is read from the same content-addressed paths"
    assert len(list((tmp_path / "cache" / "synthetic-data").iterdir())) == 1
    metrics = json.loads((out / "result.json").read_text())["metrics"]
    run = only_run(uri, "simda-custom")
    assert run.data.tags["benchmark"] == "custom" and run.data.metrics["num_videos"] == 3
    assert run.data.metrics["fvd"] == pytest.approx(metrics["fvd"]) and metrics["fvd"] > 0
    assert len(list((out / "videos").glob("clip-*.mp4"))) == 3, "each video is named by its row's id"
    assert "fvd" in capsys.readouterr().out
