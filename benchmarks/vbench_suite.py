"""VBench's own prompt suite as a benchmark: its prompts per dimension, five videos each, scored per dimension.

The suite is the file vbench ships, ``VBench_full_info.json`` (a list of ``{"prompt_en", "dimension",
["auxiliary_info"]}``; vbench 0.1.5's copy has 946 entries, 944 distinct prompts, sha256
:data:`VBENCH_FULL_INFO_SHA256`). It is read from a local copy whose sha256 is returned and logged, so a
table always names the prompt file it came from. VBench's rules, as its prompt-suite README and
``VBench.build_full_info_json`` (standard mode) state them:

* every prompt gets :data:`VBENCH_VIDEOS_PER_PROMPT` (5) videos named ``<prompt>-<index>.mp4``, index 0-4;
  a video is scored for every dimension its prompt lists. Two prompts appear twice in the file with
  different dimensions; vbench then points both entries at the same five files, so here they are one
  prompt carrying both entries' dimensions;
* a dimension's score is computed over the videos of the prompts that list it, and only those;
* seeds must be random (not cherry-picked), reproducible and recorded. VBench fixes no numbers, so
  each video's seed here is :func:`benchmarks.datasets.video_seed` of the run's seed and the video's
  id: the same in every shard and resume, and written beside each video's scores.

Custom prompts: a ``.txt`` file, one prompt per line (the format of vbench's
``prompts_per_dimension/*.txt``), every prompt then scored on every requested dimension, as vbench's
custom mode does. Videos made elsewhere are read by their ``<prompt>-<index>`` ids (``benchmarks.video_folder``).

:func:`run_suite` (``python -m benchmarks.vbench``) makes videos with the text-to-video benchmarks' generators
and names its folder as they do; dimensions are loaded, probed, scored and cached as they do it
(:mod:`benchmarks.vbench_scoring`), each video's states written atomically after its mp4, and its id,
prompt, index and seed beside, as ``<run>/vbench/<id>.json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import torch

from benchmarks.datasets import stable_int, video_seed
from benchmarks.rundir import RunDir, write_json
from benchmarks.text_to_video_engine import build_generator, probe_dimensions
from benchmarks.vbench_job import VBenchJob, VBenchResult
from benchmarks.vbench_scoring import LoadedDimension, cached_states, load_dimensions, missing_states, score_video
from metrics.i3d import file_sha256
from metrics.protocol_names import RANDOM_WEIGHTS_BANNER
from metrics.vbench import GROUPS
from metrics.vbench.dimension import DimensionState
from simda.plumbing.atomic import atomic_path
from simda.plumbing.content_cache import synthetic_data_root
from simda.plumbing.distributed import ProcessLayout, process_group
from simda.plumbing.errors import BadInputFile
from simda.plumbing.identity import default_folder, identity_of
from simda.plumbing.tracking import tracked_run
from simda.settings import FPS, TINY_SUITE_PROMPTS, VBENCH_VIDEOS_PER_PROMPT

if TYPE_CHECKING:
    from benchmarks.generators import VideoGenerator
    from simda.pipeline import GenerationSettings

log = logging.getLogger("benchmarks")

#: sha256 of ``vbench/VBench_full_info.json`` in the vbench 0.1.5 wheel on PyPI.
VBENCH_FULL_INFO_SHA256 = "5dd2de80ee43cda750b2b72ea7023657c0b90d3702041c7e4608c65dbe50dccd"
#: VBench's seven quality dimensions (the ones scored on any video, with no prompt-specific information).
QUALITY_DIMENSIONS = GROUPS["vbench-quality"]


@dataclass(frozen=True)
class SuitePrompt:
    """One prompt of the suite, the VBench dimensions it serves and their extra information (e.g. a colour)."""

    prompt: str
    dimensions: tuple[str, ...]
    auxiliary_info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SuiteVideo:
    """One video to make and score: VBench's file stem ``<prompt>-<index>`` is its id."""

    id: str
    caption: str
    index: int
    dimensions: tuple[str, ...]


@dataclass(frozen=True)
class Suite:
    """The prompts read from a file, and that file's sha256 (logged with every table)."""

    sha256: str
    prompts: tuple[SuitePrompt, ...]

    @property
    def is_vbench_release(self) -> bool:
        return self.sha256 == VBENCH_FULL_INFO_SHA256


def _merge(entries: Iterable[tuple[str, Sequence[str], Mapping[str, Any]]]) -> list[SuitePrompt]:
    """One prompt per distinct text, in first-seen order, with the union of its entries' dimensions."""
    merged: dict[str, tuple[list[str], dict[str, Any]]] = {}
    for prompt, dimensions, auxiliary in entries:
        known, info = merged.setdefault(prompt, ([], {}))
        known.extend(d for d in dimensions if d not in known)
        info.update(auxiliary)
    return [SuitePrompt(prompt, tuple(dims), info) for prompt, (dims, info) in merged.items()]


def read_full_info(path: Path) -> list[SuitePrompt]:
    """The prompts of a ``VBench_full_info.json``-format file."""
    fix = "pass the VBench_full_info.json that vbench ships (vbench/VBench_full_info.json in its package)"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        entries = [(e["prompt_en"], list(e["dimension"]), dict(e.get("auxiliary_info", {}))) for e in data]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise BadInputFile(f"{path}: not a VBench prompt file ({type(exc).__name__}: {exc}); {fix}") from exc
    bad = [prompt for prompt, dims, _ in entries if not isinstance(prompt, str) or not prompt.strip() or not dims]
    if bad or not entries:
        raise BadInputFile(f"{path}: {len(bad)} entries without a prompt or a dimension (or none at all); {fix}")
    return _merge(entries)


def read_prompt_list(path: Path, dimensions: Sequence[str]) -> list[SuitePrompt]:
    """Custom prompts, one per line (blank lines skipped), each scored on every dimension in ``dimensions``."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputFile(
            f"{path}: unreadable prompt list ({exc}); pass a UTF-8 text file, one prompt a line"
        ) from exc
    prompts = [line.strip() for line in lines if line.strip()]
    if not prompts:
        raise BadInputFile(f"{path}: no prompts; write one prompt per line")
    return _merge((prompt, dimensions, {}) for prompt in prompts)


def read_suite(path: Path, dimensions: Sequence[str] = QUALITY_DIMENSIONS) -> Suite:
    """The prompts of ``path`` that serve any of ``dimensions`` (a ``.json`` suite or a ``.txt`` list)."""
    path = Path(path)
    prompts = read_prompt_list(path, dimensions) if path.suffix == ".txt" else read_full_info(path)
    chosen = [p for p in prompts if set(p.dimensions) & set(dimensions)]
    if not chosen:
        raise BadInputFile(f"{path}: no prompt serves any of {', '.join(dimensions)}; check the file and --metrics")
    for prompt in chosen:
        if "/" in prompt.prompt or prompt.prompt != prompt.prompt.strip():
            raise BadInputFile(f"{path}: prompt {prompt.prompt!r} cannot name a file (a '/' or edge spaces); fix it")
    suite = Suite(file_sha256(path), tuple(chosen))
    release = "vbench 0.1.5's own file" if suite.is_vbench_release else "not vbench 0.1.5's file"
    log.info("VBench prompts: %s, sha256 %s (%s), %d prompts", path, suite.sha256, release, len(chosen))
    return suite


def sample_prompts(prompts: Sequence[SuitePrompt], count: int | None, seed: int) -> list[SuitePrompt]:
    """``count`` whole prompts (all when ``None``) by a hash of (seed, prompt): a larger sample holds a smaller."""
    return sorted(prompts, key=lambda p: (stable_int("vbench-sample", seed, p.prompt), p.prompt))[:count]


def suite_videos(prompts: Iterable[SuitePrompt], videos_per_prompt: int = VBENCH_VIDEOS_PER_PROMPT) -> list[SuiteVideo]:
    """Every video of the suite, sorted by id (the order sharding and batching use)."""
    videos = [
        SuiteVideo(f"{p.prompt}-{index}", p.prompt, index, p.dimensions)
        for p in prompts
        for index in range(videos_per_prompt)
    ]
    return sorted(videos, key=lambda video: video.id)


def dimension_scores(
    videos: Sequence[SuiteVideo], states: Mapping[str, Mapping[str, DimensionState]], dimensions: Iterable[str]
) -> dict[str, float]:
    """VBench's table: each dimension over the videos of its own prompts (``states``: id -> name -> state).

    Refuses a dimension with a listed video left unscored: a partial table must not pass for a full one.
    """
    table = {}
    for name in dimensions:
        total = DimensionState()
        for video in (v for v in videos if name in v.dimensions):
            if name not in states.get(video.id, {}):
                raise ValueError(f"{name}: video {video.id!r} has no score; finish the run before the table")
            total = total + states[video.id][name]
        if total.count == 0:
            raise ValueError(f"{name}: no video of the suite serves this dimension")
        table[name] = total.total / total.count
    return table


def serving(video: SuiteVideo, dimensions: Sequence[LoadedDimension]) -> list[LoadedDimension]:
    """The requested dimensions that ``video``'s prompt serves (VBench scores no others)."""
    return [loaded for loaded in dimensions if loaded.name in video.dimensions]


def write_synthetic(folder: Path, count: int) -> Path:
    """A tiny ``VBench_full_info.json`` in the real format: ``count`` entries, quality and other dimensions.

    Every third entry also lists a dimension that needs auxiliary information (``color``, with it),
    and the last prompt is repeated with other dimensions, as two prompts are in vbench's file.
    """
    if count < 2:
        raise ValueError(f"a synthetic VBench suite needs at least 2 prompts; got {count}")
    colours = ("red", "green", "blue")
    entries: list[dict[str, Any]] = []
    for i in range(count):
        colour = colours[i % 3]
        dims = [QUALITY_DIMENSIONS[i % len(QUALITY_DIMENSIONS)], QUALITY_DIMENSIONS[(i + 3) % len(QUALITY_DIMENSIONS)]]
        entry: dict[str, Any] = {"prompt_en": f"a {colour} square moving, synthetic prompt {i}", "dimension": dims}
        if i % 3 == 0:
            entry.update(dimension=[*dims, "color"], auxiliary_info={"color": {"color": colour}})
        entries.append(entry)
    entries.append({"prompt_en": entries[-1]["prompt_en"], "dimension": ["imaging_quality", "aesthetic_quality"]})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "VBench_full_info.json"
    path.write_text(json.dumps(entries, indent=1), encoding="utf-8")
    return path


def read_all_frames(path: Path) -> torch.Tensor:
    """Every frame of a video as uint8 [T, H, W, 3] (VBench scores all of a file's frames)."""
    import decord

    try:
        reader = decord.VideoReader(str(path), ctx=decord.cpu(0))
        return torch.from_numpy(reader.get_batch(list(range(len(reader)))).asnumpy())
    except decord.DECORDError as exc:
        raise BadInputFile(f"{path}: cannot be decoded ({exc}); re-encode it as H.264 mp4") from exc


@dataclass
class SuiteRun:
    """One suite run's folder (videos, per-video scores, settings guard) and what makes its videos.

    A cached score counts only for the same weights (:mod:`benchmarks.vbench_scoring`), so a run that asks
    for one more dimension scores only that one."""

    root: Path
    generator: VideoGenerator | None
    settings: GenerationSettings
    seed: int
    batch_size: int = 1
    fps: int = 8

    @property
    def folder(self) -> RunDir:
        return RunDir(self.root)

    def video_path(self, video: SuiteVideo) -> Path:
        """The file a video is scored from: the folder's own file for videos made elsewhere, else ours."""
        paths = getattr(self.generator, "paths", None)
        return Path(paths[video.id]) if paths is not None else self.folder.video(video.id)

    def row_path(self, video: SuiteVideo) -> Path:
        return self.root / "vbench" / f"{video.id}.json"

    def state_folders(self, dimensions: Sequence[LoadedDimension]) -> dict[str, Path]:
        """Each dimension's per-video state folder, keyed by its weights (as the text-to-video benchmarks')."""
        return {loaded.name: self.folder.features(loaded.cache_key) for loaded in dimensions}

    def config(self, suite_sha256: str) -> dict[str, Any]:
        """What decides the videos (not the scores): guards the folder against mixing runs."""
        identity = None if self.generator is None else self.generator.identity()
        return {"generator": identity, "generation": vars(self.settings), "seed": self.seed, "suite": suite_sha256}

    def _make(self, batch: Sequence[SuiteVideo]) -> None:
        """Generate a whole batch (so each video is denoised beside the same companions) and write its mp4s."""
        from simda.video_io import write_mp4

        if self.generator is None:
            raise ValueError(f"{self.root}: videos are missing and no generator was given to make them")
        prompts, ids = [v.caption for v in batch], [v.id for v in batch]
        clips = self.generator.generate(prompts, [video_seed(self.seed, i) for i in ids], self.settings, ids)
        for video, clip in zip(batch, clips, strict=True):
            with atomic_path(self.video_path(video)) as tmp:
                write_mp4(tmp, clip, fps=self.fps)

    def _score_batch(self, batch: Sequence[SuiteVideo], dimensions: Sequence[LoadedDimension]) -> None:
        folders = self.state_folders(dimensions)
        todo = [v for v in batch if missing_states(v.id, serving(v, dimensions), folders)]
        if not todo:
            return
        if not hasattr(self.generator, "paths") and not all(self.video_path(v).is_file() for v in batch):
            self._make(batch)
        for video in todo:
            score_video(read_all_frames(self.video_path(video)), video.id, serving(video, dimensions), folders)
            seed = video_seed(self.seed, video.id)
            write_json(self.row_path(video), dict(id=video.id, caption=video.caption, index=video.index, seed=seed))

    def score(
        self,
        suite: Suite,
        videos: Sequence[SuiteVideo],
        dimensions: Sequence[LoadedDimension],
        layout: ProcessLayout,
    ) -> dict[str, float] | None:
        """Make and score this rank's missing videos; rank 0 returns VBench's table once every rank is done.

        Videos are cut into batches in id order and ranks take whole batches, as the text-to-video
        benchmarks do, so the videos and scores are the same for one process or many.
        """
        with self.folder.exclusive(layout):
            self.folder.claim(self.config(suite.sha256), write=layout.is_main)
            batches = [videos[start : start + self.batch_size] for start in range(0, len(videos), self.batch_size)]
            for batch in layout.take(batches):
                self._score_batch(batch, dimensions)
            layout.barrier()
            if not layout.is_main:
                return None
            folders = self.state_folders(dimensions)
            states = {v.id: cached_states(v.id, serving(v, dimensions), folders) for v in videos}
            return dimension_scores(videos, states, [loaded.name for loaded in dimensions])


def suite_file(job: VBenchJob, layout: ProcessLayout) -> Path:
    """``--full-info``, or the synthetic suite file rank 0 writes for the tiny preset (every rank reads that one)."""
    if job.suite.full_info is not None:
        return Path(job.suite.full_info)
    folder = synthetic_data_root() / "vbench"
    path = layout.broadcast(write_synthetic(folder, TINY_SUITE_PROMPTS) if layout.is_main else None)
    log.info("tiny preset: a synthetic VBench suite file in its real format at %s", path)
    return path


def loggable_identity(identity: dict[str, Any]) -> dict[str, Any]:
    """The generator's identity for MLflow: a videos folder's per-file checksums (keyed by VBench's file names,
    whose commas and quotes MLflow refuses in a parameter name) as one hash; config.json keeps each file's."""
    per_file = identity.get("videos_sha256")
    if per_file is None:
        return identity
    return {**identity, "videos_sha256": f"{len(per_file)} files, config hash {identity_of(per_file)}"}


def run_suite(job: VBenchJob) -> VBenchResult | None:
    """Load and check everything (the prompt file, a weight file, a network that cannot take the frame size, the
    generator's folder) before the first video is made, then make and score this rank's videos; rank 0 returns
    the table and logs it to MLflow."""
    with process_group() as layout:
        path = suite_file(job, layout)
        suite = read_suite(path, job.suite.dimension_names)
        prompts = sample_prompts(suite.prompts, job.suite.num_prompts, job.evaluation.seed)
        videos = suite_videos(prompts, job.suite.videos_per_prompt)
        device = layout.device(job.model.device)
        # random under --preset tiny; each probed on a clip of the run's frame size
        dimensions = load_dimensions(
            job.suite.dimension_names, job.evaluation, job.clip_ckpt, device, job.model.tiny, FPS
        )
        for line in probe_dimensions(dimensions, (job.generation.height, job.generation.width)):
            log.info("%s", line)
        generator = build_generator(
            job.generator, job.model, job.pipeline, job.generated_videos, job.generation, device, [v.id for v in videos]
        )
        suite_run = SuiteRun(Path(), generator, job.generation, job.evaluation.seed, job.evaluation.batch_size, FPS)
        config = suite_run.config(suite.sha256)
        identity = identity_of(config)  # the default folder's name, and what a resumed MLflow run must match
        suite_run.root = job.output_dir or default_folder("vbench", identity)
        random_weights = generator.random_weights or any(loaded.random_weights for loaded in dimensions)
        if random_weights:
            log.warning("WARNING: %s", RANDOM_WEIGHTS_BANNER)
        label = config["generator"]["label"]
        params = {
            **config,
            "generator": loggable_identity(config["generator"]),
            "suite_file": str(path.resolve()),
            "suite_sha256": suite.sha256,
            "suite_is_vbench_release": suite.is_vbench_release,
            "num_prompts": len(prompts),
            "videos_per_prompt": job.suite.videos_per_prompt,
            "num_videos": len(videos),
            "seed_rule": "sha256('video/<seed>/<prompt>-<index>')[:8] as int",
            "batch_size": job.evaluation.batch_size,
            "world_size": layout.world_size,
            "random_weights": random_weights,
            "out": str(suite_run.root.resolve()),
            "vbench": {loaded.name: loaded.params for loaded in dimensions},
        }
        with tracked_run(
            "vbench",
            suite_run.root.name,
            params,
            tags={"random_weights": str(random_weights).lower(), "benchmark": "vbench", "generator": label},
            enabled=layout.is_main,
            tracking_uri=job.tracking_uri,
            resume_key=str(suite_run.root.resolve()),  # a rerun of this folder continues its MLflow run
            identity=identity,
        ) as mlflow_run:
            scores = suite_run.score(suite, videos, dimensions, layout)
            if scores is None:
                return None
            if mlflow_run is not None:
                mlflow.log_metrics({f"vbench_{name}": score for name, score in scores.items()})
            return VBenchResult(
                output_dir=suite_run.root,
                scores=scores,
                videos={name: sum(name in video.dimensions for video in videos) for name in scores},
                suite_file=path,
                suite_sha256=suite.sha256,
                random_weights=random_weights,
                generator=label,
                mlflow_run_id=None if mlflow_run is None else mlflow_run.info.run_id,
                params=params,
            )
