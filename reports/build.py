"""``python -m reports.build``: the paper's tables, plots and sample videos rebuilt from MLflow runs.

    python -m reports.build                                   # every finished run in ./mlflow.db
    python -m reports.build --experiment simda-msrvtt --experiment simda-profile
    python -m reports.build --runs 3f2a... --tracking-uri http://127.0.0.1:5000 --output-dir report/

Writes ``report.html`` (self-contained: pictures inlined, no script or font from the network) and
``report.md`` with its pictures in ``assets/``. Runs are read through the MLflow tracking API only.
Sections no chosen run can fill are skipped with the reason; numbers made with random weights are
marked in every table and plot.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from metrics.command_line import CommandParser
from simda.plumbing.errors import MissingInput, UsageError
from simda.plumbing.options import add_options, construct
from simda.settings import ReportSettings, TrackingSettings

if TYPE_CHECKING:
    from reports.store import LoggedRun
    from reports.tables import Section


@dataclass(frozen=True)
class BuildJob(TrackingSettings, ReportSettings):
    """What to report on and where to write it; empty ``experiments`` and ``run_ids`` mean every run."""


@dataclass(frozen=True)
class BuildResult:
    html: Path
    markdown: Path
    assets: tuple[Path, ...]
    sections: tuple[Section, ...]
    runs: tuple[LoggedRun, ...]


def run(job: BuildJob) -> BuildResult:
    """Read the runs, build every section and write the page, its twin and the pictures."""
    from reports.render import to_html, to_markdown
    from reports.sections import build_sections
    from reports.store import RunStore
    from simda.plumbing.atomic import atomic_path
    from simda.plumbing.tracking import resolve_tracking_uri

    uri = resolve_tracking_uri(job.tracking_uri)  # read only: never create or upgrade a store here
    store = RunStore(uri)
    runs = store.runs(job.experiments, job.run_ids)
    if not runs:
        raise MissingInput(f"no finished runs to report on in {uri}; run a benchmark first or name --runs")
    sections = build_sections(store, runs)
    random_weights = any(run.random_weights for run in runs)
    heading = f"SimDA report: {len(runs)} runs from {uri}"
    assets = job.output_dir / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    pictures = [(assets / figure.name, figure.data) for section in sections for figure in section.figures]
    html_path, markdown_path = job.output_dir / "report.html", job.output_dir / "report.md"
    pages = [
        (html_path, to_html(sections, heading, random_weights, assets.name).encode("utf-8")),
        (markdown_path, to_markdown(sections, heading, random_weights, assets.name).encode("utf-8")),
    ]
    for path, data in pictures + pages:
        with atomic_path(path) as tmp:
            Path(tmp).write_bytes(data)
    return BuildResult(html_path, markdown_path, tuple(path for path, _ in pictures), tuple(sections), tuple(runs))


def parse_args(argv: list[str] | None) -> BuildJob:
    parser = CommandParser(
        prog="python -m reports.build", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_options(parser, BuildJob, {})
    job = construct(BuildJob, parser.parse_args(argv))
    if job.output_dir.exists() and not job.output_dir.is_dir():
        parser.error(f"--output-dir {job.output_dir} is a file; name a folder")
    return job


def main(argv: list[str] | None = None) -> int:
    """Parse, run, and turn a failure into one line and exit status 2."""
    job = parse_args(argv)
    # A tracking server that does not answer should fail in seconds, not after MLflow's minutes of retries.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one bar per download says nothing here
    try:
        result = run(job)
    except (UsageError, OSError) as error:
        print(f"reports.build: error: {error}", file=sys.stderr)
        return 2
    print(f"report: {result.html} (Markdown: {result.markdown}, {len(result.assets)} pictures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
