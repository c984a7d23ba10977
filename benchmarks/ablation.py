"""``python -m benchmarks.ablation``: the paper's Table 6, retrained and re-measured.

    python -m benchmarks.ablation --preset tiny --disable lsa        # full model and w/o LSA
    python -m benchmarks.ablation --preset tiny                      # the whole Table 6 sweep
    python -m benchmarks.ablation --base ./stable-diffusion-v1-5 --csv webvid/results_2M_train.csv \\
        --videos webvid/train --val-csv webvid/results_2M_val.csv --val-videos webvid/val \\
        --i3d weights/i3d_pretrained_400.pt --clip-ckpt weights/openai-vit-b-32.bin --max-train-steps 20000

    python -m benchmarks.ablation --preset learn                     # a Table 6 that learns, ~10 min on a CPU

Every variant trains with the same data, seed and budget (``simda.train``'s job) and is evaluated on
the same fixed-seed WebVid validation sample (``benchmarks.webvid``'s job, 1,000 pairs as in the
paper) against one shared real-feature cache. One MLflow parent run holds the Table-6 table; each
variant is a nested child run with its training and evaluation runs beneath it. Rerunning the same
command resumes every stage.

``--preset learn`` trains each variant from several seeds on synthetic clips of moving shapes and
scores it by the held-out denoising loss (:mod:`simda.heldout`) instead of FVD: a mean and a
t-interval over seeds per variant, its difference from the full model paired by seed with its own
interval, and an ordering stated only where that interval excludes zero. The
real ablation adds the same measurement with ``--heldout-csv`` and ``--heldout-videos``.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import webvid
from benchmarks.learning import SeedInterval, compare_to, orderings, paired_difference, score_adapters
from benchmarks.paper import RANDOM_WEIGHTS_NOTE, TABLE6, AblationRow
from benchmarks.text_to_video_job import BenchmarkJob
from metrics.protocol_names import RANDOM_WEIGHTS_BANNER
from simda import train
from simda.plumbing.cli import new_parser, run_command
from simda.plumbing.errors import InvalidSetting, MissingInput
from simda.plumbing.identity import claim_output_dir, default_folder, identity_of, settings_of
from simda.plumbing.options import add_group, add_options, construct, from_args, typed_flags, values
from simda.settings import (
    LEARN,
    AblationDataSettings,
    AblationOutputSettings,
    ClipSettings,
    EvaluationSettings,
    GenerationSettings,
    LearningSettings,
    MetricWeightSettings,
    ModelSettings,
    PartSettings,
    TrackingSettings,
    TrainSettings,
    preset_defaults,
    preset_for,
)

BY_PART = {row.disabled[0]: row for row in TABLE6 if row.disabled}
FULL = TABLE6[-1]
EXPERIMENT = "simda-ablation"
LEARN_NOTE = "random-weight base, trained adapters: held-out loss on synthetic motion, not FVD"


@dataclass(frozen=True)
class AblationJob:
    """The sweep: one training job and one evaluation job per variant, alike but for the parts removed."""

    model: ModelSettings
    clips: ClipSettings
    training: TrainSettings
    generation: GenerationSettings
    evaluation: EvaluationSettings
    output_dir: Path
    disable: tuple[str, ...] = ()
    train_csv: Path | None = None
    train_videos: Path | None = None
    val_csv: Path | None = None
    val_videos: Path | None = None
    i3d: Path | None = None
    clip_ckpt: Path | None = None
    tracking_uri: str | None = None
    synthetic_videos: int | None = None
    learning: LearningSettings | None = None
    heldout_csv: Path | None = None
    heldout_videos: Path | None = None

    def __post_init__(self) -> None:
        self.model.require_model()
        PartSettings(disable=self.disable)  # refuses an unknown part, as the flag does
        if not self.model.tiny and None in (self.train_csv, self.train_videos, self.val_csv, self.val_videos):
            raise InvalidSetting(
                "a real ablation needs training data (--csv, --videos) and validation data (--val-csv, --val-videos)"
            )
        if (self.heldout_csv is None) != (self.heldout_videos is None):
            raise InvalidSetting("a held-out split needs both --heldout-csv and --heldout-videos")
        for flag, path in (("--heldout-csv", self.heldout_csv), ("--heldout-videos", self.heldout_videos)):
            if path is not None and not Path(path).exists():
                raise MissingInput(f"{flag} {path}: not found")
        if self.learning is not None:
            return  # synthetic data written by run(), scored by held-out loss: no videos generated, no FVD
        # every variant's jobs validate (FVD's frames, paths, sizes) before any training starts
        self.eval_job(FULL, None)
        self.train_job(FULL)

    @property
    def command(self) -> str:
        """The sweep's name in its run record and default folder: Table 6, or the learning benchmark."""
        return "ablation" if self.learning is None else "ablation-learn"

    def identity(self) -> str:
        """What the sweep computes: every setting but where it writes and logs."""
        return identity_of(settings_of(self, ("output_dir", "tracking_uri", "device")))

    @property
    def variants(self) -> list[AblationRow]:
        """No ``--disable``: the whole table. Otherwise each named removal, and the full model to compare with."""
        if not self.disable:
            return list(TABLE6)
        return [BY_PART[part] for part in dict.fromkeys(self.disable)] + [FULL]

    @property
    def random_weights(self) -> bool:
        return self.model.tiny or self.i3d is None or self.clip_ckpt is None

    @property
    def seeds(self) -> list[int]:
        """The training seeds of every variant: ``--seed`` and, for the learning benchmark, the ones after it."""
        count = 1 if self.learning is None else self.learning.seeds
        return list(range(self.training.seed, self.training.seed + count))

    def train_job(
        self, variant: AblationRow, seed: int | None = None, csv: Path | None = None, videos: Path | None = None
    ) -> train.TrainJob:
        """``variant``'s training: on the job's data at ``--seed``, or (learning benchmark) on ``csv``
        and ``videos`` at ``seed``, each seed in its own folder."""
        return train.TrainJob(
            model=self.model,
            clips=self.clips,
            training=self.training if seed is None else dataclasses.replace(self.training, seed=seed),
            data=train.TrainingData(csv or self.train_csv, videos or self.train_videos),
            output_dir=self.output_dir / variant.slug / ("train" if seed is None else f"seed-{seed}/train"),
            disable=variant.disabled,
            tracking_uri=self.tracking_uri,
            experiment=EXPERIMENT,
            synthetic_videos=self.synthetic_videos,
        )

    def eval_job(self, variant: AblationRow, adapters: Path | None) -> BenchmarkJob:
        """``variant``'s evaluation of its trained ``adapters`` (``None``: the checks before any training)."""
        return BenchmarkJob(
            spec=webvid.SPEC,
            model=dataclasses.replace(self.model, ckpt=adapters),
            generation=self.generation,
            evaluation=self.evaluation,
            annotations=self.val_csv,
            videos=self.val_videos,
            i3d=self.i3d,
            clip_ckpt=self.clip_ckpt,
            output_dir=self.output_dir / variant.slug / "eval",
            cache_dir=self.output_dir / "real-cache",  # every variant meets the same real statistics
            tracking_uri=self.tracking_uri,
            synthetic_videos=self.synthetic_videos,
        )


@dataclass
class AblationResult:
    output_dir: Path
    table: Any  # pandas.DataFrame in Table 6's layout
    random_weights: bool
    rows: list[dict[str, Any]] = field(default_factory=list)
    report_command: str | None = None
    #: The orderings the held-out intervals support (learning benchmark), one sentence each.
    orderings: list[str] = field(default_factory=list)
    #: The learning benchmark's table (held-out loss over seeds) rather than FVD and CLIPSIM.
    learning: bool = False

    def summary(self) -> str:
        report = f"\nreport: {self.report_command}" if self.report_command else ""
        if self.learning:
            shown = self.table[[column for column in self.table if not column.startswith("loss_t")]]
            stated = "\n".join(self.orderings) or "no paired interval excludes zero: the table states no ordering"
            return f"{shown.to_string(index=False)}\n{stated}\nNOTE: {LEARN_NOTE}{report}"
        note = f"\n{RANDOM_WEIGHTS_BANNER}" if self.random_weights else ""
        return self.table.to_string(index=False) + note + report

    def to_dict(self) -> dict[str, Any]:
        return {"table6": self.rows, "random_weights": self.random_weights, "orderings": self.orderings}


def variant_columns(variant: AblationRow, adapters: Path) -> dict[str, Any]:
    """Table 6's first columns: the variant, which parts it has, and how many parameters it tuned."""
    from simda.model.checkpoint import load_adapter_checkpoint
    from simda.model.config import SimDAConfig

    parts = SimDAConfig().without(*variant.disabled).parts_on()
    return {
        "variant": variant.label,
        **{part.upper(): part in parts for part in ("ta", "aa", "fa", "lsa")},
        "tuned_params": load_adapter_checkpoint(adapters).num_parameters(),
    }


def ablation_run(name: str, params: dict[str, Any], folder: Path, **options: Any) -> Any:
    """An MLflow run of the sweep's experiment, keyed by its ``folder`` so a rerun of the sweep continues it."""
    from simda.plumbing.tracking import tracked_run

    return tracked_run(EXPERIMENT, name, params, resume_key=str(folder.resolve()), **options)


def variant_run(job: AblationJob, variant: AblationRow) -> Any:
    """The variant's MLflow run, nested under the sweep's."""
    params = {"variant": variant.label, "disabled": ",".join(variant.disabled) or "none"}
    return ablation_run(variant.label, params, job.output_dir / variant.slug, nested=True)


def run(job: AblationJob) -> AblationResult:
    """The sweep in its folder, held for this run: another run's folder is refused before any MLflow call."""
    with claim_output_dir(job.output_dir, job.command, job.identity()):
        return run_table6(job) if job.learning is None else run_learning(job, job.learning)


def sweep_run(job: AblationJob, name: str, params: dict[str, Any], tags: dict[str, str]) -> Any:
    """The sweep's parent MLflow run (the variants' runs nest under it); a rerun adds no runs."""
    params = {"variants": [v.label for v in job.variants], "training": job.training.as_params()} | params
    return ablation_run(name, params, job.output_dir, tags=tags, tracking_uri=job.tracking_uri, identity=job.identity())


def table6_row(job: AblationJob, variant: AblationRow, heldout_clips: list[Any]) -> dict[str, Any]:
    """Train and evaluate ``variant`` in its own nested run (with the held-out loss when a split is given)."""
    import mlflow

    with variant_run(job, variant):
        trained = train.run(job.train_job(variant))
        evaluated = None if trained is None else webvid.run(job.eval_job(variant, trained.adapters))
        if trained is None or evaluated is None:
            raise RuntimeError("the ablation runs as one process; launch the variants' commands under torchrun")
        quality = {name: evaluated.metrics[name] for name in ("fvd", "clipsim")}
        mlflow.log_metrics(quality)
        heldout = {}
        if job.heldout_csv is not None:
            heldout = score_adapters(
                job.model, trained.adapters, variant.disabled, job.training.seed, heldout_clips, job.clips
            ).metrics()
            mlflow.log_metrics(heldout)
    return {
        **variant_columns(variant, trained.adapters),
        **quality,
        "paper_fvd": variant.fvd,
        "paper_clipsim": variant.clipsim,
        "note": RANDOM_WEIGHTS_NOTE if job.random_weights else "",
        **heldout,
    }


def run_table6(job: AblationJob) -> AblationResult:
    """Train and evaluate every variant under one parent MLflow run, then log Table 6."""
    import logging

    import pandas as pd

    from simda.data import read_webvid_csv
    from simda.plumbing.tracking import log_table, report_command

    params = {"generation": job.generation.as_params(), "evaluation": job.evaluation.as_params()}
    heldout_clips = [] if job.heldout_csv is None else read_webvid_csv(job.heldout_csv, job.heldout_videos)
    with sweep_run(job, "table6", params, {"random_weights": str(job.random_weights).lower()}) as sweep:
        rows = [table6_row(job, variant, heldout_clips) for variant in job.variants]
        table = pd.DataFrame(rows)
        log_table(table, "table6")
    if job.random_weights:
        logging.getLogger("benchmarks.ablation").warning(RANDOM_WEIGHTS_BANNER)
    return AblationResult(job.output_dir, table, job.random_weights, rows, report_command(sweep))


def learning_data(job: AblationJob, learning: LearningSettings) -> Any:
    """The learning benchmark's synthetic split (train and held-out CSVs), written once per content into
    the synthetic-data cache (``simda.plumbing.content_cache``), so an identical rerun reads (and logs) the
    same files."""
    from simda.plumbing.content_cache import cached_folder, synthetic_data_root
    from simda.synthetic import SYNTHETIC_VERSION, LearningSet, write_learning_set
    from simda.train import SYNTHETIC_SPAN

    clips = job.clips
    frames, size = clips.num_frames * clips.frame_stride * SYNTHETIC_SPAN, max(clips.height, clips.width)
    counts = (learning.train_clips, learning.heldout_clips)

    def write(folder: Path) -> dict[str, Path]:
        written = write_learning_set(folder, *counts, num_frames=frames, size=size, seed=learning.data_seed)
        return dataclasses.asdict(written)

    content = {"writer": "simda.synthetic:write_learning_set", "counts": counts, "frames": frames, "size": size}
    content |= {"seed": learning.data_seed, "version": SYNTHETIC_VERSION}
    return LearningSet(**cached_folder(synthetic_data_root(), f"learn-{counts[0]}-{counts[1]}", content, write))


def learn_variant(job: AblationJob, variant: AblationRow, data: Any, heldout: list[Any]) -> tuple[dict, SeedInterval]:
    """Train ``variant`` from every seed, scoring the held-out clips before and after; its row and interval."""
    import statistics

    import mlflow

    initial, final, levels = [], [], []
    with variant_run(job, variant):
        for seed in job.seeds:
            folder = job.output_dir / variant.slug / f"seed-{seed}"
            with ablation_run(f"{variant.label} seed {seed}", {"seed": seed}, folder, nested=True):
                before = score_adapters(job.model, None, variant.disabled, seed, heldout, job.clips)
                trained = train.run(job.train_job(variant, seed, data.train_csv, data.videos))
                if trained is None:
                    raise RuntimeError("the ablation runs as one process; launch it without torchrun")
                after = score_adapters(job.model, trained.adapters, variant.disabled, seed, heldout, job.clips)
                mlflow.log_metrics(after.metrics() | before.metrics("initial_heldout_loss"))
            initial.append(before.overall)
            final.append(after.overall)
            levels.append(after.per_timestep)
        interval = SeedInterval(tuple(final))
        mlflow.log_metrics(
            {"heldout_loss": interval.mean, "heldout_loss_low": interval.low, "heldout_loss_high": interval.high}
        )
    row = {
        **variant_columns(variant, trained.adapters),
        "heldout_loss": interval.mean,
        "ci_low": interval.low,
        "ci_high": interval.high,
        "initial_loss": statistics.fmean(initial),
        **{f"loss_t{t}": statistics.fmean(level[t] for level in levels) for t in levels[0]},
        "paper_fvd": variant.fvd,
        "paper_clipsim": variant.clipsim,
    }
    return row, interval


def compare_with_full(rows: list[dict], finals: dict[str, SeedInterval]) -> list[str]:
    """Each row's paired difference from the full model (in place, every sweep has it); the orderings the
    intervals support."""
    full = finals[FULL.label]
    for row in rows:
        difference = paired_difference(full, finals[row["variant"]])  # the full model's own: zero, exactly
        row |= {"diff_vs_full": difference.mean, "diff_low": difference.low, "diff_high": difference.high}
        row["vs_full"] = "" if row["variant"] == FULL.label else compare_to(full, finals[row["variant"]])
    return orderings(finals, FULL.label)


def run_learning(job: AblationJob, learning: LearningSettings) -> AblationResult:
    """The learning benchmark: write the synthetic split, then train every variant from every seed
    and score it on the held-out clips before and after training; Table 6 with intervals over seeds."""
    import mlflow
    import pandas as pd

    from simda.data import read_webvid_csv
    from simda.plumbing.tracking import log_table, report_command

    data = learning_data(job, learning)
    heldout = read_webvid_csv(data.heldout_csv, data.videos)
    params = {"learning": learning.as_params(), "clips": job.clips.as_params(), "seeds": job.seeds}
    with sweep_run(job, "table6-learn", params, {"random_weights": "true", "benchmark": "learn"}) as sweep:
        rows, finals = [], {}
        for variant in job.variants:
            row, finals[variant.label] = learn_variant(job, variant, data, heldout)
            rows.append(row)
        stated = compare_with_full(rows, finals)
        table = pd.DataFrame(rows)
        table = table[[c for c in table if not c.startswith("paper_")] + ["paper_fvd", "paper_clipsim"]]
        log_table(table, "table6")
        mlflow.log_text("\n".join(stated) or "no paired interval excludes zero", "orderings.txt")
    return AblationResult(job.output_dir, table, True, rows, report_command(sweep), stated, learning=True)


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("python -m benchmarks.ablation", __doc__)
    removal = "a part to remove (repeatable; sa = AA and FA); none: the full Table 6 sweep"
    add_options(parser, PartSettings, {}, only=("disable",), override={"disable": {"help": removal}})
    add_group(parser, "model", ModelSettings, skip=("ckpt",))
    data = add_group(parser, "data", AblationDataSettings)
    add_group(parser, "learning benchmark (--preset learn)", LearningSettings, presets={"learn": LEARN.learning})
    clips = preset_defaults("clips")
    add_options(data, ClipSettings, clips, only=("frame_stride",))
    add_group(parser, "clips, trained and generated alike", ClipSettings, presets=clips, skip=("frame_stride",))
    add_group(parser, "training (every variant)", TrainSettings, presets=preset_defaults("training"))
    evaluation = add_group(
        parser,
        "evaluation (every variant)",
        GenerationSettings,
        presets=preset_defaults("generation"),
        skip=("num_frames", "height", "width"),
    )
    add_options(evaluation, EvaluationSettings, preset_defaults("evaluation"), skip=("seed",))
    add_options(evaluation, MetricWeightSettings, {})
    add_group(parser, "output", AblationOutputSettings, TrackingSettings)
    return parser


def make_job(args: argparse.Namespace) -> AblationJob:
    model = construct(ModelSettings, args)
    preset = preset_for(model)
    # --num-frames, --height and --width set both the training clips and the evaluation videos.
    generation = from_args(preset.generation, args).overlay(
        {"num_frames": args.num_frames, "height": args.height, "width": args.width}
    )
    evaluation = from_args(preset.evaluation, args)
    if evaluation.num_videos is None and preset.ablation_videos is not None:
        evaluation = evaluation.overlay({"num_videos": preset.ablation_videos})
    if preset.learning is None and (typed := typed_flags(args, LearningSettings)):
        raise InvalidSetting(f"{typed[0]} applies to --preset learn only; leave it out")
    fields = values(args, AblationDataSettings, MetricWeightSettings, AblationOutputSettings, TrackingSettings)
    job = AblationJob(
        model=model,
        clips=from_args(preset.clips, args),
        training=from_args(preset.training, args),
        generation=generation,
        evaluation=evaluation,
        disable=construct(PartSettings, args).disable,
        synthetic_videos=preset.synthetic_videos,
        learning=None if preset.learning is None else from_args(preset.learning, args),
        **{**fields, "output_dir": fields["output_dir"] or Path()},  # unset: named after the identity below
    )
    return job if args.output_dir else dataclasses.replace(job, output_dir=default_folder(job.command, job.identity()))


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), make_job, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
