"""``reports.build`` on runs the real commands made with their tiny presets, checked against MLflow itself."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from PIL import Image

from benchmarks.paper import MSRVTT_TABLE, RANDOM_WEIGHTS_NOTE, TABLE5, TABLE6
from reports.build import BuildJob, BuildResult, run
from reports.tables import TABLE5_QUANTITIES, ReportTable
from tests.reports.browser import chromium, render

IMAGE_SOURCE = re.compile(r'<img src="([^"]+)"')

# Its session fixture runs the tiny msrvtt, editing, profile and train commands: end to end, over a minute.
pytestmark = pytest.mark.slow


def runs_of(uri: str, experiment: str) -> list:
    client = MlflowClient(uri)
    return client.search_runs([client.get_experiment_by_name(experiment).experiment_id])


def logged_table(uri: str, run_id: str, name: str) -> pd.DataFrame:
    """A table as the command logged it, read independently of the report's own reader."""
    return pd.read_parquet(MlflowClient(uri).download_artifacts(run_id, f"tables/{name}.parquet"))


def section(result: BuildResult, prefix: str):
    return next(section for section in result.sections if section.title.startswith(prefix))


def table(result: BuildResult, prefix: str, title_prefix: str = "") -> ReportTable:
    return next(table for table in section(result, prefix).tables if table.title.startswith(title_prefix))


def decoded_images(result: BuildResult) -> list[Image.Image]:
    """Every picture the page shows, opened from the file beside the page that its ``src`` names."""
    images = []
    for source in IMAGE_SOURCE.findall(result.html.read_text()):
        image = Image.open(result.html.parent / source)
        image.load()  # raises on a truncated or corrupt picture
        assert image.format.lower() == source.rsplit(".", 1)[1]
        images.append(image)
    return images


@pytest.fixture(scope="module")
def report(tiny_store, tmp_path_factory) -> BuildResult:
    return run(BuildJob(output_dir=tmp_path_factory.mktemp("report"), tracking_uri=tiny_store.uri))


def test_table2_rows_are_the_logged_metrics_beside_the_papers(report, tiny_store):
    (logged,) = runs_of(tiny_store.uri, "simda-msrvtt")
    frame = table(report, "Table 2").frame
    assert list(frame["method"][: len(MSRVTT_TABLE)]) == [row.method for row in MSRVTT_TABLE]
    ours = frame.iloc[-1]
    assert ours["method"].endswith(f"({logged.info.run_id[:8]})")
    assert ours["FVD"] == logged.data.metrics["fvd"] and ours["CLIPSIM"] == logged.data.metrics["clipsim"]
    assert ours["paper SimDA FVD"] == 456 and ours["Δ FVD"] == pytest.approx(logged.data.metrics["fvd"] - 456)
    assert ours["Δ CLIPSIM"] == pytest.approx(logged.data.metrics["clipsim"] - 0.2945)
    assert ours["videos"] == int(logged.data.metrics["num_videos"])
    metrics = logged.data.metrics
    assert ours["FVD interval"] == f"[{metrics['fvd_ci_low']:.2f}, {metrics['fvd_ci_high']:.2f}]"
    protocol = table(report, "Table 2", "FVD protocol").frame.set_index("setting")
    fvd_params = {key: value for key, value in logged.data.params.items() if key.startswith("fvd.")}
    assert fvd_params and protocol.iloc[:, 0].to_dict() == fvd_params


def test_table5_is_the_editing_runs_metrics(report, tiny_store):
    (logged,) = runs_of(tiny_store.uri, "simda-editing")
    metrics = logged.data.metrics
    assert {"frame_consistency", "textual_alignment", "train_min", "tuned_M", "num_edits"} <= set(metrics)
    assert "train_gib" not in metrics, "GPU memory is not measured on a CPU: it must not be logged as a number"
    frame = table(report, "Table 5").frame.set_index("quantity")
    for column, words in TABLE5_QUANTITIES.items():
        row = frame.loc[words]
        assert row["paper SimDA"] == pd.DataFrame(TABLE5).set_index("method").loc["SimDA", column]
        if column in metrics:
            assert row["ours"] == metrics[column]
        else:
            assert pd.isna(row["ours"]) and pd.isna(row["Δ"])
    samples = {entry.path for entry in MlflowClient(tiny_store.uri).list_artifacts(logged.info.run_id, "samples")}
    assert {"samples/tiny-source.gif", "samples/tiny-source.png"} <= samples


def test_table1_is_the_profile_runs_tables(report, tiny_store):
    (logged,) = runs_of(tiny_store.uri, "simda-profile")
    frame = table(report, "Table 1", "Table 1: cost").frame.set_index("quantity")
    table1 = logged_table(tiny_store.uri, logged.info.run_id, "table1").iloc[0]
    inference = logged_table(tiny_store.uri, logged.info.run_id, "inference").set_index("variant").loc["simda"]
    assert frame.loc["overall parameters (B)", "ours"] == table1["overall_B"]
    assert frame.loc["overall parameters (B)", "paper SimDA"] == 1.08
    assert frame.loc["one video (s)", "ours"] == table1["video_s"]
    adapters = logged_table(tiny_store.uri, logged.info.run_id, "parameters").set_index("component").loc["adapters"]
    assert frame.loc["tuned parameters (B)", "ours"] == adapters["trainable"] / 1e9 > 0
    assert frame.loc["inference step / 2D UNet", "ours"] == inference["x_2d_floor"]
    assert pd.isna(frame.loc["training peak memory (GiB)", "ours"])  # a CPU run measures no GPU peak


def test_training_logs_its_loss_plot_and_the_report_draws_the_curve(report, tiny_store):
    (logged,) = runs_of(tiny_store.uri, "simda-train")
    client = MlflowClient(tiny_store.uri)
    listed = [client.list_artifacts(logged.info.run_id, folder) for folder in ("plots", "validation")]
    artifacts = {entry.path for entries in listed for entry in entries}
    assert {"plots/loss.png", "validation/step-0000003.gif"} <= artifacts
    assert len(client.get_metric_history(logged.info.run_id, "loss")) == 3
    names = [figure.name for figure in section(report, "Training").figures]
    assert "training-loss.png" in names and any(name.endswith("validation-step-0000003.gif") for name in names)


def test_missing_sections_say_why(report):
    for title in ("Table 3", "Table 6"):
        assert "no finished" in section(report, title).skipped
    page = report.html.read_text()
    assert page.count("Skipped: ") == 2 and report.markdown.read_text().count("_Skipped: ") == 2


def test_pictures_are_files_beside_the_page_and_the_page_is_small(report):
    page = report.html.read_text()
    images = decoded_images(report)
    figures = [figure for section in report.sections for figure in section.figures]
    # profile cost, MSR-VTT grid and still, editing grid and still, loss curves, validation video
    assert len(images) == len(figures) >= 7
    assert "http://" not in page and "https://" not in page  # nothing to fetch: the page opens offline
    assert "data:image" not in page and len(page.encode()) < 200_000  # small enough to mail
    markdown = report.markdown.read_text()
    for asset in report.assets:
        assert f"](assets/{asset.name})" in markdown
        Image.open(asset).load()
    grid = next(image for image in images if image.format == "GIF" and image.n_frames == 9)
    assert grid.height > 160  # the clip (32 px, enlarged to 160) plus the caption band under it


def test_random_weights_are_marked_on_every_table_and_plot(report):
    page, markdown = report.html.read_text(), report.markdown.read_text()
    marked_rows = 0
    for section in report.sections:
        for shown in section.tables:
            if "weights" in shown.frame:  # every row from a run says which weights made it
                assert list(shown.frame["weights"].str.contains("random")) == shown.random_rows
            else:  # the paper's own rows, or one column per run named with its mark
                runs = [column for column in shown.frame.columns[1:] if "(" in column]
                assert all(column.endswith("[random weights]") for column in runs) and not any(shown.random_rows)
            marked_rows += sum(shown.random_rows)
        for figure in section.figures:
            assert figure.random_weights, f"{figure.name} comes from random weights and must say so"
    assert marked_rows > 0 and page.count('<tr class="random">') == marked_rows
    assert markdown.count("(random weights) |") == marked_rows
    assert page.count('<figure class="random">') == len(decoded_images(report))
    assert RANDOM_WEIGHTS_NOTE in page


@pytest.mark.slow
def test_ablation_sweep_fills_table6_and_its_plots(ablation_store, tmp_path):
    result = run(BuildJob(("simda-ablation", "simda-profile"), output_dir=tmp_path, tracking_uri=ablation_store.uri))
    client = MlflowClient(ablation_store.uri)
    experiment = client.get_experiment_by_name("simda-ablation").experiment_id
    (parent,) = client.search_runs([experiment], "tags.mlflow.runName = 'table6'")
    logged = logged_table(ablation_store.uri, parent.info.run_id, "table6").set_index("variant")
    frame = table(result, "Table 6").frame.set_index("variant")
    assert list(frame.index) == ["w/o LSA", "Ours"]
    paper = {variant.label: variant for variant in TABLE6}
    for variant, row in frame.iterrows():
        assert row["FVD"] == logged.loc[variant, "fvd"] and row["CLIPSIM"] == logged.loc[variant, "clipsim"]
        assert row["paper FVD"] == paper[variant].fvd
        assert row["tuned parameters"] == logged.loc[variant, "tuned_params"]
    names = [figure.name for figure in section(result, "Table 6").figures]
    for plot in ("ablation-quality", "quality-vs-params", "quality-vs-latency"):
        assert any(plot in name for name in names), plot
    # The sweep's nested WebVid evaluations belong to Table 6, not Table 3; its training runs draw loss curves.
    assert "top-level webvid" in section(result, "Table 3").skipped
    assert section(result, "Training").figures[0].name == "training-loss.png"


@pytest.mark.slow
def test_page_renders_in_headless_chromium(ablation_store, tmp_path):
    binary = chromium()
    if binary is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    result = run(BuildJob(output_dir=tmp_path, tracking_uri=ablation_store.uri))
    rendered = render(result.html, binary)
    assert rendered.errors == []
    shown_tables = [shown for section in result.sections for shown in section.tables]
    figures = [figure for section in result.sections for figure in section.figures]
    assert rendered.state["tables"] == len(shown_tables)
    assert rendered.state["randomRows"] == sum(sum(shown.random_rows) for shown in shown_tables) > 0
    assert rendered.state["images"] == len(figures) and rendered.state["broken"] == []


@pytest.mark.slow
def test_the_browser_check_sees_errors_and_broken_images(tmp_path):
    """The Chromium check itself must be able to fail: a page with a console error and a missing picture."""
    binary = chromium()
    if binary is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    page = tmp_path / "bad.html"
    page.write_text('<html><body><img src="gone.png" alt="gone"><script>console.error("boom")</script></body></html>')
    rendered = render(page, binary)
    assert rendered.state["broken"] == ["gone"]
    assert any("boom" in error for error in rendered.errors)
