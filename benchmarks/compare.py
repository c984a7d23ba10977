"""``python -m benchmarks.compare``: finished benchmark runs side by side, as the paper's Table 2.

    python -m benchmarks.compare --runs 3f2a... 9c41... [--tracking-uri sqlite:///mlflow.db]

One row per run: the method (the generator that made its videos), FVD with its interval, CLIPSIM,
frame consistency and the number of videos. An FVD is only comparable with another measured the same
way, so the runs must agree on everything that defines the measurement, and the command refuses
(exit status 2), naming every differing key, when they do not:

* the FVD protocol: every ``fvd.*`` parameter (tool conventions, detector checksum, frames, ...);
* the caption sample: the benchmark, the annotation file's SHA-256, the caption seed, the number of
  videos and the generation seed (the same captions and the same noise for every model);
* the real set: the SHA-256 of the real statistics FVD compared against, the real-video resize,
  and the frame size and count the real clips were fitted to;
* the CLIPSIM scorer (``clip.*``).

Runs of different models may differ in anything else: steps, guidance, precision, the model itself.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.paper import RANDOM_WEIGHTS_NOTE
from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.errors import InvalidSetting, MissingInput, UsageError
from simda.plumbing.identity import default_folder, identity_of
from simda.plumbing.options import add_options, values
from simda.settings import CompareSettings, TrackingSettings

if TYPE_CHECKING:  # --help answers without importing MLflow
    from mlflow.entities import Run

#: Parameters (exact names, or prefixes ending in ".") that must be equal across compared runs.
PROTOCOL_PARAMS = (
    "fvd.",
    "clip.",
    "annotations_sha256",
    "caption_seed",
    "num_videos",
    "seed",
    "num_frames",
    "height",
    "width",
    "real_resize",
)
#: Tags that must be equal: which benchmark, and the real statistics FVD measured against.
PROTOCOL_TAGS = ("benchmark", "real_stats_sha256")


class IncomparableRunsError(UsageError):
    """The runs were not measured under one protocol, caption sample and real set."""


@dataclass(frozen=True)
class CompareJob:
    """Which finished runs to put side by side, and where their tracking store is."""

    runs: tuple[str, ...]
    tracking_uri: str | None = None
    output_dir: Path | None = None

    def __post_init__(self) -> None:
        if len(self.runs) < 2:
            raise InvalidSetting(f"--runs needs at least two run ids to compare, got {len(self.runs)}")
        repeated = sorted({run for run in self.runs if self.runs.count(run) > 1})
        if repeated:
            raise InvalidSetting(f"--runs lists {repeated} more than once")


@dataclass
class CompareResult:
    """The table (a pandas DataFrame), the settings every run shares, and where the table was written."""

    output_dir: Path
    table: Any
    shared: dict[str, str]

    def summary(self) -> str:
        protocol = ", ".join(f"{key} {self.shared[key]}" for key in ("benchmark", "fvd.protocol", "num_videos"))
        return f"{self.table.to_string(index=False)}\nall runs: {protocol}"

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table.to_dict(orient="records"), "shared": self.shared}


def protocol_of(run: Run) -> dict[str, str]:
    """The settings of one run that must match the others' (missing ones read ``"not logged"``)."""
    params, tags = run.data.params, run.data.tags
    keys = {key for key in params if key.startswith(tuple(p for p in PROTOCOL_PARAMS if p.endswith(".")))}
    keys |= {key for key in PROTOCOL_PARAMS if not key.endswith(".")}
    found = {key: params.get(key, "not logged") for key in sorted(keys)}
    return {**found, **{key: tags.get(key, "not logged") for key in PROTOCOL_TAGS}}


def differing(protocols: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Each key whose value is not the same in every run, with each run's value."""
    keys = sorted({key for protocol in protocols.values() for key in protocol})
    values = {key: {run: protocol.get(key, "not logged") for run, protocol in protocols.items()} for key in keys}
    return {key: by_run for key, by_run in values.items() if len(set(by_run.values())) > 1}


def table_row(run: Run) -> dict[str, Any]:
    """One run as a row of Table 2: the generator names the method."""
    params, metrics, tags = run.data.params, run.data.metrics, run.data.tags
    random_weights = tags.get("random_weights", params.get("random_weights", "true")).lower() != "false"
    low, high = metrics.get("fvd_ci_low"), metrics.get("fvd_ci_high")
    return {
        "method": tags.get("generator", "SimDA"),
        "FVD": metrics.get("fvd", math.nan),
        "FVD interval": "none" if low is None or high is None else f"[{low:.2f}, {high:.2f}]",
        "CLIPSIM": metrics.get("clipsim", math.nan),
        "frame consistency": metrics.get("frame_consistency", math.nan),
        **{name: value for name, value in sorted(metrics.items()) if name.startswith("vbench_")},
        "videos": int(metrics["num_videos"]) if "num_videos" in metrics else None,
        "run": run.info.run_id,
        "note": RANDOM_WEIGHTS_NOTE if random_weights else "",
    }


def finished_runs(uri: str, run_ids: Sequence[str]) -> dict[str, Run]:
    """Each run of ``run_ids`` from the store at ``uri``, refused unless it exists and finished with an FVD."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from simda.plumbing.tracking import require_tracking_server

    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        raise MissingInput(f"tracking store {uri}: no such database file; pass --tracking-uri the runs' store")
    require_tracking_server(uri)  # a dead server or a web page that is not MLflow: refused in seconds
    client = MlflowClient(uri)
    fetched = {}
    for run_id in run_ids:
        try:
            fetched[run_id] = client.get_run(run_id)
        except MlflowException as exc:
            raise MissingInput(f"--runs {run_id}: no such run in {uri}; pass --tracking-uri its store") from exc
    for run_id, logged in fetched.items():
        if logged.info.status != "FINISHED" or "fvd" not in logged.data.metrics:
            raise InvalidSetting(
                f"--runs {run_id}: not a finished benchmark run (status {logged.info.status}, "
                f"{'no' if 'fvd' not in logged.data.metrics else 'an'} FVD logged); finish it by rerunning its command"
            )
    return fetched


def run(job: CompareJob) -> CompareResult:
    """Read the runs, refuse incomparable ones (naming each differing key), write and return the table."""
    import pandas as pd

    from benchmarks.rundir import write_csv
    from simda.plumbing.tracking import resolve_tracking_uri

    fetched = finished_runs(resolve_tracking_uri(job.tracking_uri), job.runs)
    protocols = {run_id: protocol_of(logged) for run_id, logged in fetched.items()}
    differences = differing(protocols)
    if differences:
        lines = "; ".join(
            f"{key}: " + ", ".join(f"{run_id[:8]}={value}" for run_id, value in by_run.items())
            for key, by_run in differences.items()
        )
        raise IncomparableRunsError(
            f"the runs were not measured the same way, so their FVDs are not comparable; differing: {lines}. "
            "Rerun them with the same --fvd-protocol, detector, annotations, --caption-seed, --num-videos, --seed, "
            "real videos and frame size"
        )
    table = pd.DataFrame([table_row(logged) for logged in fetched.values()])
    output_dir = job.output_dir or default_folder("compare", identity_of({"runs": list(job.runs)}))
    write_csv(output_dir / "comparison.csv", table)
    return CompareResult(output_dir, table, next(iter(protocols.values())))


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m benchmarks.compare", __doc__)
    for settings in (CompareSettings, TrackingSettings):
        add_options(parser, settings, {})
    return parser


def make_job(args: argparse.Namespace) -> CompareJob:
    return CompareJob(**values(args, CompareSettings, TrackingSettings))


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
