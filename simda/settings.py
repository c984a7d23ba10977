"""Every default and preset of every command, in one place: the paper's values and the tiny preset's.

A default is the paper's (the released code's where the paper is silent); :data:`TINY` and :data:`LEARN`
hold the presets' values beside them, and a command lays the flags the user typed over its preset
(:mod:`simda.plumbing.options` declares and checks each flag). The flag names follow diffusers' scripts
and pipelines (``--num-inference-steps``, ``--guidance-scale``, ``--num-frames``, ``--max-train-steps``,
``--learning-rate``, ``--output-dir``, ``--mixed-precision``); the older short names stay as aliases.
This module imports no torch: every command's ``--help`` reads it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metrics.protocol_names import (
    DEFAULT_CLIP_MODEL,
    DEFAULT_PROTOCOL_NAME,
    DEFAULT_REPLICATES,
    FRAME_STARTS,
    INTERVAL_METHOD_NAMES,
    MIN_FVD_FRAMES,
    PROTOCOL_NAMES,
    REAL_FRAME_SELECTIONS,
)
from metrics.vbench import DIMENSIONS as VBENCH_DIMENSIONS
from metrics.vbench import GROUPS as VBENCH_GROUPS
from metrics.vbench import expand_metrics
from simda.plumbing.errors import BadInputFile, InvalidSetting, MissingInput
from simda.plumbing.options import (
    Check,
    ValidatedSettings,
    at_least,
    at_most,
    between,
    finite,
    multiple_of,
    non_negative,
    option,
    optional,
    positive,
    rule,
)
from simda.pretrained import local_folder, require_stable_diffusion

#: Frames per second of every video this project writes (mp4 and GIF): the paper's clips are 8 fps.
FPS = 8
#: DDIM steps of the validation video that training logs (fewer than a benchmark's: a quick look).
VALIDATION_INFERENCE_STEPS = 25
PRECISIONS = ("no", "fp16", "bf16")
DTYPES = ("auto", "fp32", "fp16", "bf16")
PARTS = ("ta", "aa", "fa", "sa", "lsa")
#: Set to 1 (or pass ``--debug``) for tracebacks instead of one-line errors.
DEBUG_ENV = "SIMDA_DEBUG"
TRACKING_URI_HELP = "MLflow tracking URI (default $MLFLOW_TRACKING_URI or ./mlflow.db)"

#: Upper bounds of values that would otherwise fail late (out of memory hours in) or mean nothing.
MAX_FRAMES = 1024
MAX_FRAME_STRIDE = 64  # every 64th frame of a 30 fps video is one frame per two seconds
MAX_FPS = 240

_SIZE = (
    multiple_of(8, "the autoencoder downsamples by 8"),
    at_most(4096, " pixels (4x the x4 upscaler's output)"),
)
_FRAMES = (positive, at_most(MAX_FRAMES))
_STRIDE = (positive, at_most(MAX_FRAME_STRIDE))
_ETA = (finite, between(0.0, 1.0))


def _steps(default: int, flag: str, help: str, *aliases: str) -> Any:
    """Denoising steps: no more than the 1000 timesteps Stable Diffusion's schedulers train on."""
    checks = (positive, at_most(1000, ", the scheduler's training timesteps"))
    return option(default, flag, help, aliases=aliases, checks=checks)


def _guidance(default: float, flag: str, help: str) -> Any:
    """A classifier-free guidance scale; its older spelling drops ``-scale`` (``--guidance``, ``--sr-guidance``)."""
    checks = (finite, non_negative, at_most(100, " (published scales lie between 1 and 30)"))
    return option(default, flag, help, aliases=(flag.removesuffix("-scale"),), checks=checks)


def _output_dir(help: str, *aliases: str) -> Any:
    """``--output-dir`` (older spelling ``--out``), unset: the command names a folder after its settings."""
    return option(None, "--output-dir", help, aliases=("--out", *aliases))


#: The x4 upscaler's VAE: low-resolution frames are this many times smaller than the output.
UPSCALE_FACTOR = 4
#: The released x4 upscaler's noise-level embedding covers 0..350 (its model_index.json's max_noise_level).
MAX_SR_NOISE_LEVEL = 350
#: Low-resolution sizes must divide by 2 ** (UNet levels - 1): 4 for the tiny upscaler's three levels
#: (a test keeps this equal to the tiny upscaler; this module stays torch-free).
TINY_UPSCALER_SIZE_MULTIPLE = 4


@dataclass(frozen=True)
class ModelSettings(ValidatedSettings):
    """Which model a command runs: the tiny random preset, or a local Stable Diffusion folder and adapters."""

    preset: str | None = option(
        None,
        "--preset",
        "tiny: a tiny random-weight model, no downloads; learn: the same model trained on synthetic motion",
        choices=("tiny", "learn"),
    )
    base: Path | None = option(None, "--base", "local Stable Diffusion folder in diffusers layout")
    ckpt: Path | None = option(
        None, "--ckpt", "SimDA adapter folder as simda.train writes it (or an older .safetensors with its .json)"
    )
    device: str = option("auto", "--device", "cuda, cuda:1, cpu or auto (this process's GPU if any, else CPU)")
    dtype: str = option(
        "auto", "--dtype", "precision of the frozen model (auto: fp16 on a GPU, fp32 on CPU)", choices=DTYPES
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.preset is not None and self.base is not None:
            raise InvalidSetting("choose one of --preset tiny or --base PATH, not both")

    @property
    def tiny(self) -> bool:
        """Both presets build the tiny random-weight base; ``learn`` only changes the defaults around it."""
        return self.preset in ("tiny", "learn")

    def require_model(self) -> None:
        """Refuse a command that builds SimDA without a base or a preset (a benchmark scoring videos needs neither)."""
        if self.preset is None and self.base is None:
            raise InvalidSetting("choose exactly one of --preset tiny or --base PATH (a local Stable Diffusion folder)")

    def require_files(self) -> None:
        """Refuse a missing ``--ckpt`` or ``--base`` at once: commands call this before torch is imported."""
        self.require_model()
        if self.ckpt is not None and not Path(self.ckpt).exists():
            raise MissingInput(f"--ckpt {self.ckpt}: not found; pass an adapter folder (or an older .safetensors file)")
        if self.base is not None:
            # a folder, or a Hub id in the local Hugging Face cache, holding every part (before any folder is claimed)
            require_stable_diffusion(local_folder(self.base, "--base"), "--base")


@dataclass(frozen=True)
class UpscalerModelSettings(ValidatedSettings):
    """Which upscaler the super-resolution stage runs: the tiny random one, or a local x4 upscaler and SR adapters.
    ``--preset``, ``--device`` and ``--dtype`` are the first stage's flags, shared by both stages."""

    preset: str | None = option(None, "--preset", "tiny: a tiny random-weight upscaler too", choices=("tiny",))
    sr_base: Path | None = option(
        None, "--sr-base", "local stable-diffusion-x4-upscaler folder in diffusers layout (not with --preset tiny)"
    )
    sr_ckpt: Path | None = option(None, "--sr-ckpt", "SimDA super-resolution adapter folder (from simda.train --sr)")
    device: str = option("auto", "--device", "cuda, cuda:1, cpu or auto")
    dtype: str = option("auto", "--dtype", "precision of the frozen upscaler", choices=DTYPES)
    unet_chunk: int | None = option(
        None,
        "--sr-unet-chunk",
        "clips per upscaler UNet call, the two guidance halves counting as two (default: all at once)",
        checks=(optional(positive),),
    )
    decode_chunk: int = option(
        16, "--sr-decode-chunk", "frames per upscaler VAE decode (default 16)", checks=(positive,)
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.preset is None) == (self.sr_base is None):
            raise InvalidSetting(
                "--sr needs exactly one of --preset tiny (a tiny random upscaler) or --sr-base PATH "
                "(a local copy of stable-diffusion-x4-upscaler)"
            )

    @property
    def tiny(self) -> bool:
        return self.preset == "tiny"

    def require_files(self) -> None:
        """Refuse a missing ``--sr-base`` (or one without its UNet config) or ``--sr-ckpt`` before anything loads."""
        if self.sr_base is not None and not (self.sr_base / "unet" / "config.json").is_file():
            state = "has no unet/config.json" if self.sr_base.is_dir() else "not found"
            raise MissingInput(
                f"--sr-base {self.sr_base}: {state}; pass a local copy of stable-diffusion-x4-upscaler "
                "in diffusers layout"
            )
        if self.sr_ckpt is not None and not self.sr_ckpt.exists():
            raise MissingInput(f"--sr-ckpt {self.sr_ckpt}: not found; pass an SR adapter folder (simda.train --sr)")

    def size_multiple(self) -> int:
        """What low-resolution sizes must divide by: the UNet halves its maps once per level after the first
        (read from ``unet/config.json``, no weights, so a bad size is refused before any model loads)."""
        if self.sr_base is None:
            return TINY_UPSCALER_SIZE_MULTIPLE
        config_path = self.sr_base / "unet" / "config.json"
        try:
            levels = len(json.loads(config_path.read_text())["block_out_channels"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise BadInputFile(f"--sr-base {self.sr_base}: {config_path} is unreadable ({error})") from error
        return 2 ** (levels - 1)


@dataclass(frozen=True)
class GenerationSettings(ValidatedSettings):
    """Every setting that changes a generated video (all of them go to the MLflow run)."""

    num_frames: int = option(16, "--num-frames", "frames per video", aliases=("--frames",), checks=_FRAMES)
    height: int = option(256, "--height", "frame height in pixels", checks=_SIZE)
    width: int = option(256, "--width", "frame width in pixels", checks=_SIZE)
    num_inference_steps: int = _steps(50, "--num-inference-steps", "DDIM denoising steps", "--steps")
    guidance_scale: float = _guidance(
        7.5, "--guidance-scale", "classifier-free guidance scale (1 switches guidance off)"
    )
    negative_prompt: str = option("", "--negative-prompt", "text to steer away from under guidance")
    eta: float = option(0.0, "--eta", "DDIM eta (0: deterministic DDIM)", checks=_ETA)
    compile_unet: bool = option(
        False,
        "--compile-unet",
        "torch.compile the UNet of the denoising loop: fewer host launches per step once the first step "
        "has compiled; frames equal the eager ones within float round-off",
    )

    def as_params(self) -> dict[str, Any]:
        """Every setting; ``compile_unet`` only when on, so run folders named before the option keep their names."""
        params = super().as_params()
        if not self.compile_unet:
            del params["compile_unet"]
        return params


@dataclass(frozen=True)
class UpscaleSettings(ValidatedSettings):
    """Every setting that changes an upscaled video, and the low-resolution input it expects (``num_frames``,
    ``height`` and ``width``: no flags, :meth:`for_input` fills them from the first stage). The paper gives no
    sampling settings for its SR stage: the defaults are diffusers' ``StableDiffusionUpscalePipeline``'s."""

    num_frames: int = field(default=16, metadata={"checks": (positive,)})
    height: int = field(default=256, metadata={"checks": (positive,)})
    width: int = field(default=256, metadata={"checks": (positive,)})
    num_inference_steps: int = _steps(75, "--sr-steps", "denoising steps of the upscaler", "--sr-num-inference-steps")
    guidance_scale: float = _guidance(
        9.0, "--sr-guidance-scale", "classifier-free guidance of the upscaler (1 switches guidance off)"
    )
    noise_level: int = option(
        20,
        "--sr-noise-level",
        f"noise added to the low-resolution video, also the upscaler's class label (0..{MAX_SR_NOISE_LEVEL})",
        checks=(between(0, MAX_SR_NOISE_LEVEL),),
    )
    negative_prompt: str = option("", "--sr-negative-prompt", "text the upscaler steers away from under guidance")
    eta: float = option(0.0, "--sr-eta", "DDIM eta of the upscaler (0: deterministic)", checks=_ETA)

    def for_input(self, generation: GenerationSettings) -> UpscaleSettings:
        """These settings for the first stage's video: its frame count, height and width."""
        return dataclasses.replace(
            self, num_frames=generation.num_frames, height=generation.height, width=generation.width
        )


@dataclass(frozen=True)
class ClipSettings(ValidatedSettings):
    """How training clips are cut from videos: frames, stride and size."""

    num_frames: int = option(16, "--num-frames", "frames per training clip", aliases=("--frames",), checks=_FRAMES)
    height: int = option(256, "--height", "clip height in pixels", checks=_SIZE)
    width: int = option(256, "--width", "clip width in pixels", checks=_SIZE)
    frame_stride: int = option(4, "--frame-stride", "take every n-th frame of the source", checks=_STRIDE)


#: Training settings that may change when a run resumes: how long to train, how often to save, memory.
RESUMABLE_SETTINGS = ("max_steps", "checkpoint_every", "keep_checkpoints", "gradient_checkpointing")


@dataclass(frozen=True)
class TrainSettings(ValidatedSettings):
    """Every setting that changes what the adapters learn (all go to the MLflow run)."""

    max_steps: int = option(
        10_000, "--max-train-steps", "optimizer steps", aliases=("--train-steps",), checks=(positive,)
    )
    batch_size: int = option(1, "--train-batch-size", "clips per GPU per step", checks=(positive,))
    learning_rate: float = option(
        5e-5,
        "--learning-rate",
        "AdamW learning rate (0 freezes the adapters: a control run that must not improve)",
        aliases=("--lr",),
        checks=(finite, non_negative),
    )
    weight_decay: float = option(1e-2, "--weight-decay", "AdamW weight decay", checks=(finite, non_negative))
    lr_warmup_steps: int = option(
        0, "--lr-warmup-steps", "linear warm-up steps", aliases=("--warmup-steps",), checks=(non_negative,)
    )
    max_grad_norm: float = option(1.0, "--max-grad-norm", "gradient clipping norm", checks=(finite, positive))
    mixed_precision: str = option("no", "--mixed-precision", "autocast precision", choices=PRECISIONS)
    gradient_checkpointing: bool = option(False, "--gradient-checkpointing", "trade compute for memory")
    checkpoint_every: int = option(
        500,
        "--checkpointing-steps",
        "save a resumable checkpoint every n steps",
        aliases=("--checkpoint-every",),
        checks=(positive,),
    )
    keep_checkpoints: int = option(2, "--checkpoints-total-limit", "resumable checkpoints kept", checks=(positive,))
    seed: int = option(0, "--seed", "seed of data order, noise and timesteps")


#: How a training run resumes, in the words ``--resume-from-checkpoint`` refusals use.
RESUME_RULE = "simda.train always resumes from the newest complete checkpoint in --output-dir"
_latest_or_step = rule(lambda value: value == "latest" or value.isdigit(), "give latest or a step number")


@dataclass(frozen=True)
class ResumeSettings(ValidatedSettings):
    """diffusers' ``--resume_from_checkpoint``, read under SimDA's resume rule (:data:`RESUME_RULE`)."""

    resume_from_checkpoint: str | None = option(
        None,
        "--resume-from-checkpoint",
        f"latest, or the step of the newest checkpoint; {RESUME_RULE}, so the flag only confirms it",
        checks=(optional(_latest_or_step),),
    )


@dataclass(frozen=True)
class EditSettings(ValidatedSettings):
    """One-shot editing: the paper's 200 tuning steps, the released editing code's values otherwise."""

    tune_steps: int = option(200, "--tune-steps", "adapter tuning steps on the one video", checks=(positive,))
    learning_rate: float = option(
        5e-5, "--learning-rate", "AdamW learning rate", aliases=("--lr",), checks=(finite, positive)
    )
    num_frames: int = option(24, "--num-frames", "frames tuned and generated", aliases=("--frames",), checks=_FRAMES)
    frame_stride: int = option(2, "--frame-stride", "take every n-th frame of the source", checks=_STRIDE)
    height: int = option(512, "--height", "frame height in pixels", checks=_SIZE)
    width: int = option(512, "--width", "frame width in pixels", checks=_SIZE)
    num_inference_steps: int = _steps(
        50, "--num-inference-steps", "DDIM steps of inversion and generation", "--steps", "--inference-steps"
    )
    guidance_scale: float = _guidance(12.5, "--guidance-scale", "guidance of the edit")
    inversion_prompt: str = option("", "--inversion-prompt", "prompt of the DDIM inversion (released code: empty)")
    mixed_precision: str = option("no", "--mixed-precision", "autocast precision while tuning", choices=PRECISIONS)
    gradient_checkpointing: bool = option(False, "--gradient-checkpointing", "trade compute for memory")
    seed: int = option(0, "--seed", "seed of tuning and generation")

    def generation(self) -> GenerationSettings:
        return GenerationSettings(
            num_frames=self.num_frames,
            height=self.height,
            width=self.width,
            num_inference_steps=self.num_inference_steps,
            guidance_scale=self.guidance_scale,
        )

    def training(self) -> TrainSettings:
        """Tuning on the one video: the training loop with this budget and no intermediate checkpoints."""
        return TrainSettings(
            max_steps=self.tune_steps,
            learning_rate=self.learning_rate,
            mixed_precision=self.mixed_precision,
            gradient_checkpointing=self.gradient_checkpointing,
            checkpoint_every=self.tune_steps,
            keep_checkpoints=1,
            seed=self.seed,
        )


def _existing_file(fix: str) -> Check:
    """A file flag's check: a missing file is refused before any video is made."""
    return rule(lambda path: path is None or Path(path).is_file(), f"not found; {fix}")


def _weights(flag: str, help: str) -> Any:
    """A VBench dimension's local weight file."""
    return option(None, flag, help, checks=(_existing_file("pass the local weight file"),))


def _vbench_names(when_none: str | None = None) -> Check:
    """Comma-separated metric names that VBench's dimensions and groups expand; ``when_none``: the problem if
    they name no dimension (``--metrics`` may name fvd and clipsim alone)."""

    def check(value: str) -> str | None:
        try:
            return None if expand_metrics(value.split(",")) else when_none
        except ValueError as exc:
            return str(exc)

    return check


_jackknife_groups = rule(lambda groups: groups == 0 or groups >= 2, "must be 0 (off) or at least 2 jackknife groups")


@dataclass(frozen=True)
class EvaluationSettings(ValidatedSettings):
    """What a text-to-video benchmark evaluates and how: the sample, the seeds, the batches, the metrics."""

    num_videos: int | None = option(
        None,
        "--num-videos",
        "clips to evaluate, a fixed-seed sample (unset: the benchmark's full set)",
        checks=(optional(at_least(1)),),
    )
    caption_seed: int = option(0, "--caption-seed", "seed of the caption choice and of the clip sample")
    seed: int = option(0, "--seed", "global seed; each clip's generation seed hashes it with the clip id")
    batch_size: int = option(4, "--batch-size", "captions denoised together per process", checks=(positive,))
    fvd_protocol: str = option(
        DEFAULT_PROTOCOL_NAME,
        "--fvd-protocol",
        "the public FVD tool whose conventions to reproduce (docs/metrics.md)",
        choices=PROTOCOL_NAMES,
    )
    fvd_frames: str = option(
        "fps-matched",
        "--fvd-frames",
        "frames FVD takes from a longer real clip: fps-matched (consecutive, at the generated clips' frame rate), "
        "protocol (the FVD tool's own: consecutive, stride 1) or spread (the old sampling over the whole clip)",
        choices=REAL_FRAME_SELECTIONS,
    )
    fvd_frame_stride: int | None = option(
        None,
        "--fvd-frame-stride",
        "stride between the real frames FVD takes (unset: as --fvd-frames says)",
        checks=(optional(positive),),
    )
    fvd_frame_start: str | None = option(
        None,
        "--fvd-frame-start",
        "where the real window starts: first, centre or random (seeded by --seed and the clip id); "
        "unset: the FVD protocol's convention",
        choices=FRAME_STARTS,
    )
    fvd_interval: int = option(
        40, "--fvd-interval", "jackknife groups of the FVD interval (0: no interval)", checks=(_jackknife_groups,)
    )
    clip_model: str = option(DEFAULT_CLIP_MODEL, "--clip-model", "open_clip model name of --clip-ckpt")
    clip_pretrained: str = option(
        "openai",
        "--clip-pretrained",
        "open_clip pretrained tag naming the weights in --clip-ckpt (its config: QuickGELU for openai); "
        "none: the --clip-model config as written",
    )
    metrics: str = option(
        "fvd,clipsim",
        "--metrics",
        "comma-separated metrics: fvd and clipsim (always computed) plus VBench dimensions "
        f"({', '.join(VBENCH_DIMENSIONS)}) or the group {', '.join(VBENCH_GROUPS)} (README: VBench dimensions)",
        checks=(_vbench_names(),),
    )
    dino_ckpt: Path | None = _weights(
        "--dino-ckpt", "subject_consistency: DINO ViT-B/16 weights (dino_vitbase16_pretrain.pth)"
    )
    raft_ckpt: Path | None = _weights("--raft-ckpt", "dynamic_degree: RAFT weights (raft-things.pth)")
    aesthetic_head: Path | None = _weights(
        "--aesthetic-head", "aesthetic_quality: LAION's linear head (sa_0_4_vit_l_14_linear.pth)"
    )
    clip_l14_ckpt: Path | None = _weights("--clip-l14-ckpt", "aesthetic_quality: OpenAI's CLIP ViT-L/14 (ViT-L-14.pt)")
    amt_ckpt: Path | None = _weights("--amt-ckpt", "motion_smoothness: AMT-S weights (amt-s.pth)")
    musiq_ckpt: Path | None = _weights(
        "--musiq-ckpt", "imaging_quality: MUSIQ trained on SPAQ (musiq_spaq_ckpt-358bb6af.pth)"
    )

    @property
    def vbench_dimensions(self) -> list[str]:
        """The VBench dimensions ``--metrics`` asks for, groups expanded."""
        return expand_metrics(self.metrics.split(","))


#: VBench's standard mode: five videos per prompt, ``<prompt>-0.mp4`` to ``<prompt>-4.mp4``.
VBENCH_VIDEOS_PER_PROMPT = 5
#: Prompts of the synthetic suite file that ``--preset tiny`` writes: three cover all seven quality dimensions.
TINY_SUITE_PROMPTS = 3


@dataclass(frozen=True)
class OverlapSettings(ValidatedSettings):
    """How a benchmark run overlaps its work (not what it computes: left out of the run's identity)."""

    overlap_workers: int = option(
        1,
        "--overlap-workers",
        "threads that score and encode finished batches (and read the real clips) while the next batch is "
        "generated; 0 does it all on the main thread, one step after another",
        checks=(non_negative,),
    )


@dataclass(frozen=True)
class VBenchSuiteSettings(ValidatedSettings):
    """VBench's prompt suite (``python -m benchmarks.vbench``): the prompt file, its dimensions and its sample."""

    full_info: Path | None = option(
        None,
        "--full-info",
        "VBench_full_info.json (inside the vbench package) or a .txt of custom prompts, one a line, each "
        "scored on every --dimensions (unset with --preset tiny: a synthetic suite file in the real format)",
        checks=(
            _existing_file("pass VBench_full_info.json (vbench ships it inside its package) or a .txt of prompts"),
        ),
    )
    dimensions: str = option(
        "vbench-quality",
        "--dimensions",
        f"comma-separated VBench dimensions ({', '.join(VBENCH_DIMENSIONS)}) or the group "
        f"{', '.join(VBENCH_GROUPS)}; each is scored over the videos of the prompts that list it",
        checks=(_vbench_names("names no VBench dimension; e.g. vbench-quality"),),
    )
    num_prompts: int | None = option(
        None,
        "--num-prompts",
        "whole prompts to run, a sample seeded by --seed that grows by adding prompts (unset: every prompt)",
        checks=(optional(at_least(1)),),
    )
    videos_per_prompt: int = option(
        VBENCH_VIDEOS_PER_PROMPT,
        "--videos-per-prompt",
        f"videos per prompt, <prompt>-<index>.mp4 (VBench's standard: {VBENCH_VIDEOS_PER_PROMPT})",
        checks=(positive,),
    )

    @property
    def dimension_names(self) -> list[str]:
        """The dimensions ``--dimensions`` asks for, groups expanded."""
        return expand_metrics(self.dimensions.split(","))


@dataclass(frozen=True)
class ProfileSettings(ValidatedSettings):
    """Shapes and repeat counts of the profile; each model size (--model-size sd15 or tiny) has its own defaults."""

    num_frames: int = option(16, "--num-frames", "frames per clip", aliases=("--frames",), checks=_FRAMES)
    size: int = option(256, "--size", "frame side in pixels", checks=_SIZE)
    repeats: int = option(20, "--repeats", "timed rounds per workload", checks=(positive,))
    warmup: int = option(3, "--warmup", "untimed rounds first", checks=(non_negative,))
    video_steps: int = option(50, "--video-steps", "DDIM steps of the whole-video timing", checks=(positive,))
    video_repeats: int = option(3, "--video-repeats", "timed whole videos per pipeline", checks=(positive,))


@dataclass(frozen=True)
class ProfileModelSettings(ValidatedSettings):
    """Which model the profile times, and where: its size, or a local base with real frozen weights."""

    model_size: str | None = option(
        None,
        "--model-size",
        "model sizes: sd15 (Stable Diffusion 1.5) or tiny (default: sd15 on a GPU or with --base, else tiny)",
        choices=("sd15", "tiny"),
    )
    preset: str | None = option(
        None, "--preset", "tiny: the tiny model with the tiny preset's shapes and repeats", choices=("tiny",)
    )
    base: Path | None = option(None, "--base", "local Stable Diffusion folder: real frozen weights, SD 1.5 sizes")
    device: str = option("auto", "--device", "cuda, cuda:1, cpu or auto")
    dtype: str = option("auto", "--dtype", "fp16 on a GPU, fp32 on CPU", choices=DTYPES)
    params_only: bool = option(False, "--params-only", "print Table 1's parameter rows and stop")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.preset == "tiny" and self.model_size not in (None, "tiny"):
            raise InvalidSetting(f"--preset tiny profiles the tiny model; leave out --model-size {self.model_size}")

    def size_name(self, on_gpu: bool) -> str:
        """The model size to build: the flag, ``--preset tiny``'s, else sd15 on a GPU or with ``--base``, else tiny."""
        if self.model_size is not None:
            return self.model_size
        if self.preset == "tiny":
            return "tiny"
        return "sd15" if on_gpu or self.base is not None else "tiny"


@dataclass(frozen=True)
class ProfileOutputSettings(ValidatedSettings):
    """Where the profile's text, plot and MLflow run go."""

    output_dir: Path | None = _output_dir("folder for profile.txt and .png (unset: runs/profile-<settings hash>)")
    tracking_uri: str | None = option(None, "--tracking-uri", TRACKING_URI_HELP)
    mlflow: bool = option(True, "--mlflow", "log to MLflow (--no-mlflow: print and write files only)")


@dataclass(frozen=True)
class LearningSettings(ValidatedSettings):
    """The learning benchmark (``--preset learn``): synthetic motion clips, a held-out split, seeds."""

    train_clips: int = option(96, "--train-clips", "synthetic training clips", checks=(positive,))
    heldout_clips: int = option(
        16, "--heldout-clips", "synthetic held-out clips, disjoint from training", checks=(positive,)
    )
    seeds: int = option(
        3,
        "--seeds",
        "training seeds per variant (--seed, --seed+1, ...): the interval is over them",
        checks=(at_least(2),),
    )
    data_seed: int = option(0, "--data-seed", "seed of the synthetic clips (positions, backgrounds, bars)")


@dataclass(frozen=True)
class DebugSettings(ValidatedSettings):
    """Every command's ``--debug``."""

    debug: bool = option(False, "--debug", f"show tracebacks (or set {DEBUG_ENV}=1)")


@dataclass(frozen=True)
class TrackingSettings(ValidatedSettings):
    """Where a command logs its MLflow runs."""

    tracking_uri: str | None = option(None, "--tracking-uri", TRACKING_URI_HELP)


@dataclass(frozen=True)
class MetricWeightSettings(ValidatedSettings):
    """The metric networks' weights (unset with ``--preset tiny``: tiny random networks)."""

    i3d: Path | None = option(None, "--i3d", "I3D weights: i3d_pretrained_400.pt or i3d_torchscript.pt")
    clip_ckpt: Path | None = option(None, "--clip-ckpt", "local open_clip checkpoint (OpenAI ViT-B/32)")


@dataclass(frozen=True)
class PartSettings(ValidatedSettings):
    """Which SimDA parts the adapters have: the switches of Table 6's ablation."""

    disable: tuple[str, ...] = option(
        (), "--disable", "switch a SimDA part off (repeatable; sa = AA and FA)", choices=PARTS, repeat=True
    )
    lsa_form: str = option("paper", "--lsa-form", "keys/values of latent-shift attention", choices=("paper", "code"))


@dataclass(frozen=True)
class TrainingData(ValidatedSettings):
    """Where training clips come from: a WebVid CSV and its video folder, or a folder of captioned mp4s (with
    none of them and the tiny preset, a synthetic WebVid-layout set is written and used)."""

    csv: Path | None = option(None, "--csv", "WebVid CSV (videoid, name, page_dir, ...)")
    videos: Path | None = option(None, "--videos", "folder holding <page_dir>/<videoid>.mp4")
    video_folder: Path | None = option(
        None, "--video-folder", "instead: a folder of mp4s with .txt captions", aliases=("--train_data_dir",)
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.video_folder is not None and (self.csv or self.videos):
            raise InvalidSetting("pass either --csv with --videos, or --video-folder, not both")
        if (self.csv is None) != (self.videos is None):
            raise InvalidSetting("WebVid data needs both --csv (the CSV file) and --videos (the video folder)")
        for flag, path in (("--csv", self.csv), ("--videos", self.videos), ("--video-folder", self.video_folder)):
            if path is not None and not Path(path).exists():
                raise MissingInput(f"{flag} {path}: not found")

    @property
    def given(self) -> bool:
        return self.csv is not None or self.video_folder is not None


@dataclass(frozen=True)
class TrainOutputSettings(ValidatedSettings):
    """Where training writes and logs (diffusers' training-script spellings accepted as aliases)."""

    output_dir: Path | None = _output_dir(
        "checkpoints and final adapters; rerun with the same folder to resume "
        "(unset: runs/simda-train-<settings hash>, with --sr runs/simda-sr-<settings hash>)",
        "--output_dir",
    )
    log_every: int = option(10, "--log-every", "steps between logged losses (default 10)", checks=(positive,))
    validate_every: int = option(
        0,
        "--validate-every",
        "log a validation video every n steps (0: off)",
        aliases=("--validation_steps",),
    )
    validation_prompt: str = option(
        "a red square moving right on a dark background",
        "--validation-prompt",
        "prompt of the validation video",
        aliases=("--validation_prompt",),
    )
    experiment: str = option(
        "simda-train", "--experiment", "MLflow experiment (default simda-train)", aliases=("--tracker_project_name",)
    )


@dataclass(frozen=True)
class UpscaleSwitch(ValidatedSettings):
    """``--sr`` where videos are made: upscale them 4x (paper, section 3.4)."""

    sr: bool = option(False, "--sr", "upscale each video 4x with the SimDA x4 upscaler")


@dataclass(frozen=True)
class GenerateOutputSettings(ValidatedSettings):
    """The prompts of ``simda.generate``, their seeds and batching, and where the videos go."""

    prompts: tuple[str, ...] = option(
        (), "--prompt", "a prompt (repeat for several videos)", repeat=True, required=True, metavar="PROMPT"
    )
    seed: int = option(0, "--seed", "seed of the first prompt; prompt i uses seed + i")
    batch_size: int = option(4, "--batch-size", "prompts denoised together (default 4)", checks=(positive,))
    output_dir: Path | None = _output_dir(
        "folder for the videos (unset: runs/generate-<settings hash>: other settings, another folder)"
    )
    fps: int = option(
        FPS, "--fps", f"frames per second of the mp4 and GIF (default {FPS})", checks=(between(1, MAX_FPS),)
    )


@dataclass(frozen=True)
class EditSourceSettings(ValidatedSettings):
    """The video ``simda.edit`` tunes on, its caption, the edits, and where they go."""

    video: Path | None = option(None, "--video", "the source video (mp4); tiny preset: a synthetic clip")
    prompt: str | None = option(None, "--prompt", "caption of the source video")
    edits: tuple[str, ...] = option(
        (), "--edit", "edited caption (repeatable)", repeat=True, required=True, metavar="EDIT"
    )
    output_dir: Path | None = _output_dir("output folder (unset: runs/edit-<settings hash>)")


@dataclass(frozen=True)
class EditingCasesSettings(ValidatedSettings):
    """The editing benchmark's cases, its CLIP scorer, and where its table goes."""

    cases: Path | None = option(None, "--cases", "JSON-lines file of videos to edit (tiny: one synthetic clip)")
    clip_ckpt: Path | None = option(None, "--clip-ckpt", "open_clip checkpoint (OpenAI ViT-B/32); tiny: random CLIP")
    clip_model: str = option(DEFAULT_CLIP_MODEL, "--clip-model", "open_clip model name of --clip-ckpt")
    output_dir: Path | None = _output_dir("run folder (unset: runs/editing-<settings hash>)")


@dataclass(frozen=True)
class CompareSettings(ValidatedSettings):
    """The runs ``benchmarks.compare`` puts side by side, and where the table goes."""

    runs: tuple[str, ...] = option(
        (), "--runs", "MLflow run ids of finished msrvtt or webvid runs", many=True, required=True
    )
    output_dir: Path | None = _output_dir("where comparison.csv goes (default runs/compare-<hash>)")


@dataclass(frozen=True)
class ReportSettings(ValidatedSettings):
    """What ``reports.build`` reports on (unset: every run) and where it writes."""

    experiments: tuple[str, ...] = option(
        (), "--experiment", "an MLflow experiment (repeatable)", repeat=True, metavar="EXPERIMENT"
    )
    run_ids: tuple[str, ...] = option((), "--runs", "MLflow run ids to include", many=True, metavar="ID")
    output_dir: Path = option(Path("runs/report"), "--output-dir", "default runs/report")


GENERATORS = ("simda", "diffusers", "videos")
#: ``--pipeline`` names that build a tiny random pipeline of the real diffusers class (with ``--preset tiny``).
TINY_PIPELINES = ("tiny-animatediff", "tiny-modelscope")


@dataclass(frozen=True)
class GeneratorChoice(ValidatedSettings):
    """What makes a text-to-video benchmark's videos (the benchmark job checks the combination)."""

    generator: str = option(
        "simda",
        "--generator",
        "what makes the videos: simda (--preset tiny or --base), diffusers (--pipeline) or videos "
        "(--generated-videos) (default simda)",
        choices=GENERATORS,
    )
    pipeline: str | None = option(
        None,
        "--pipeline",
        f"--generator diffusers: a local diffusers pipeline folder, or {' / '.join(TINY_PIPELINES)} "
        "with --preset tiny (random weights)",
    )
    generated_videos: Path | None = option(
        None, "--generated-videos", "--generator videos: a folder of <clip id>.mp4, or a CSV with columns id and path"
    )


@dataclass(frozen=True)
class BenchmarkDataSettings(ValidatedSettings):
    """A text-to-video benchmark's real set; each benchmark names ``--annotations`` after its data format."""

    annotations: Path | None = option(None, "--annotations", "the benchmark's annotation file")
    videos: Path | None = option(None, "--videos", "folder of the real videos (the one holding the mp4 files)")
    real_stats: Path | None = option(None, "--real-stats", "precomputed real-video GaussianStats (.npz) to use")


@dataclass(frozen=True)
class BenchmarkOutputSettings(ValidatedSettings):
    """Where a text-to-video benchmark writes its run and caches the real videos' features."""

    output_dir: Path | None = _output_dir("run folder (default runs/<benchmark>-<settings hash>)")
    cache_dir: Path | None = option(
        None, "--cache-dir", "real-video feature cache (default <output-dir>/../real-cache)"
    )


@dataclass(frozen=True)
class AblationDataSettings(ValidatedSettings):
    """The ablation's WebVid training and validation data, and an optional held-out split."""

    train_csv: Path | None = option(None, "--csv", "training WebVid CSV", metavar="CSV")
    train_videos: Path | None = option(None, "--videos", "training video folder", metavar="VIDEOS")
    val_csv: Path | None = option(None, "--val-csv", "WebVid validation CSV (results_2M_val.csv)")
    val_videos: Path | None = option(None, "--val-videos", "WebVid validation video folder")
    heldout_csv: Path | None = option(
        None, "--heldout-csv", "WebVid CSV of held-out clips: adds each variant's held-out loss"
    )
    heldout_videos: Path | None = option(None, "--heldout-videos", "video folder of --heldout-csv")


@dataclass(frozen=True)
class AblationOutputSettings(ValidatedSettings):
    """Where the ablation sweep writes (every variant in its own folder)."""

    output_dir: Path | None = _output_dir(
        "sweep folder (unset: runs/ablation-<settings hash>, runs/ablation-learn-<hash> with --preset learn)"
    )


#: The flags ``python -m metrics.fvd`` shares with the benchmarks (fields of :class:`EvaluationSettings`).
FVD_COMMAND_EVALUATION_FIELDS = ("fvd_protocol", "fvd_frame_stride", "fvd_frame_start", "clip_model", "clip_pretrained")


@dataclass(frozen=True)
class FVDCommandSettings(ValidatedSettings):
    """``python -m metrics.fvd``'s own flags (the weights are :class:`MetricWeightSettings`', the rest shared)."""

    real: Path | None = option(None, "--real", "real videos: folder or index file", required=True)
    fake: Path | None = option(None, "--fake", "generated videos: folder or index file", required=True)
    preset: str | None = option(
        None, "--preset", "tiny: a random calibrated I3D instead of --i3d (and a random CLIP)", choices=("tiny",)
    )
    frames: int = option(
        16,
        "--frames",
        f"frames per video, a window taken as the protocol's tool does (>= {MIN_FVD_FRAMES})",
        checks=(at_least(MIN_FVD_FRAMES, ": I3D's temporal pooling needs them"), at_most(MAX_FRAMES)),
    )
    fvd_frames: str = option(
        "protocol",
        "--fvd-frames",
        "frames FVD takes from each clip: protocol (the FVD tool's window) or spread (over the whole clip)",
        choices=("protocol", "spread"),  # not fps-matched: both sets are read alike, no generated frame rate
    )
    batch_size: int = option(8, "--batch-size", "videos per detector call (default 8)", checks=(positive,))
    device: str = option("auto", "--device", "cuda, cpu or auto (default)")
    interval: int = option(
        40, "--interval", "jackknife groups of the 95%% interval (default 40; 0 = off)", checks=(_jackknife_groups,)
    )
    openai: bool | None = option(
        None,
        "--openai",
        "--clip-ckpt holds OpenAI weights (--clip-pretrained openai); --no-openai: --clip-pretrained none",
    )
    captions: Path | None = option(None, "--captions", ".csv/.jsonl of 'path' and 'caption' for the fake videos")
    output_dir: Path | None = option(None, "--output-dir", "write result.json there (the printed numbers, for scripts)")


#: ``python -m metrics.interval_coverage``'s bounds: a value outside them measures nothing (--dim 0 once
#: reported a coverage of 1.000 of nothing) or runs for hours.
_COVERAGE_DIM = (between(1, 4096),)
_COVERAGE_COUNT = (between(2, 100_000),)


@dataclass(frozen=True)
class IntervalCoverageSettings(ValidatedSettings):
    """The Gaussian simulation of ``python -m metrics.interval_coverage`` (random features)."""

    dim: int = option(400, "--dim", "feature dimension (I3D's logits: 400)", checks=_COVERAGE_DIM)
    num_videos: int = option(2990, "--num-videos", "videos per set (MSR-VTT's test set: 2990)", checks=_COVERAGE_COUNT)
    trials: int = option(100, "--trials", "fresh generated sets", checks=_COVERAGE_COUNT)
    replicates: int = option(
        DEFAULT_REPLICATES, "--replicates", "groups or resamples of each interval", checks=_COVERAGE_COUNT
    )
    methods: tuple[str, ...] = option(
        INTERVAL_METHOD_NAMES, "--methods", "interval methods to check", choices=INTERVAL_METHOD_NAMES, many=True
    )
    seed: int = option(0, "--seed", "seed of the simulation")


@dataclass(frozen=True)
class Preset:
    """A complete set of defaults: what a command uses for every flag the user did not type (unset: the paper's)."""

    name: str
    generation: GenerationSettings = GenerationSettings()
    clips: ClipSettings = ClipSettings()
    training: TrainSettings = TrainSettings()
    editing: EditSettings = EditSettings()
    evaluation: EvaluationSettings = EvaluationSettings()
    profile: ProfileSettings = ProfileSettings()
    #: Sampling of the super-resolution stage (frames and size come from ``generation``).
    upscale: UpscaleSettings = UpscaleSettings()
    #: Training clips of the super-resolution adapters, at the high (output) resolution: the
    #: low-resolution input is each clip box-filtered down 4x (the paper's 1024x1024 output of 256x256 inputs).
    sr_clips: ClipSettings = ClipSettings(height=1024, width=1024)
    #: WebVid validation pairs per ablation variant (``None``: all of them; Table 6 uses 1K).
    ablation_videos: int | None = 1000
    #: Synthetic clips written for a tiny run without data (``None``: real data is required).
    synthetic_videos: int | None = None
    #: The learning benchmark's data and seeds (only ``--preset learn`` has them).
    learning: LearningSettings | None = None
    vbench_suite: VBenchSuiteSettings = VBenchSuiteSettings()


PAPER = Preset(name="paper")
# Small enough to finish in seconds on a 2-core CPU (the tiny UNet takes ~0.1 s a step at 32x32).
TINY = Preset(
    name="tiny",
    generation=GenerationSettings(num_frames=16, height=32, width=32, num_inference_steps=10),
    clips=ClipSettings(num_frames=8, height=32, width=32, frame_stride=1),
    training=TrainSettings(max_steps=20, learning_rate=1e-3),
    editing=EditSettings(
        tune_steps=10, learning_rate=1e-3, num_frames=8, frame_stride=1, height=64, width=64, num_inference_steps=10
    ),
    profile=ProfileSettings(num_frames=8, size=32, repeats=3, warmup=1, video_repeats=1),
    upscale=UpscaleSettings(num_inference_steps=4),
    sr_clips=ClipSettings(num_frames=8, height=32, width=32, frame_stride=1),  # 8x8 low-res inputs
    ablation_videos=None,
    synthetic_videos=8,
    vbench_suite=VBenchSuiteSettings(videos_per_prompt=2),  # 6 videos over the 3 synthetic prompts
)
# The tiny preset's model and shapes, trained long enough, on clips whose motion it can learn, for Table 6's two
# largest effects (w/o TA, w/o SA) to separate across seeds: about 10 minutes for the sweep on 2 CPU cores.
LEARN = dataclasses.replace(
    TINY,
    name="learn",
    training=TrainSettings(max_steps=250, learning_rate=1e-3, checkpoint_every=250, keep_checkpoints=1),
    synthetic_videos=None,
    learning=LearningSettings(),
    vbench_suite=VBenchSuiteSettings(),
)
PRESETS = {"paper": PAPER, "tiny": TINY, "learn": LEARN}


def preset_defaults(part: str) -> dict[str, Any]:
    """Each preset's ``part`` (its ``generation``, ``training``, ...): the defaults a settings group's flags show."""
    return {name: getattr(preset, part) for name, preset in PRESETS.items()}


def preset_for(model: ModelSettings | UpscalerModelSettings) -> Preset:
    """The defaults that go with a model: ``--preset tiny`` or ``learn``'s, else the paper's."""
    return PRESETS[model.preset] if model.preset else PAPER


def require_fvd_frames(num_frames: int) -> None:
    """FVD needs at least :data:`MIN_FVD_FRAMES` frames per video; refuse fewer before any work."""
    if num_frames < MIN_FVD_FRAMES:
        raise InvalidSetting(f"--num-frames {num_frames}: FVD's I3D needs at least {MIN_FVD_FRAMES} frames per video")
