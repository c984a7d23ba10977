"""Every default and preset of every command, in one place: the paper's values and the tiny preset's.

Each setting is declared once (:func:`simda.plumbing.options.option`): its default is the paper's
(or the released code's, where the paper is silent), and :data:`TINY` holds the tiny preset's
values beside them. Commands build their settings as "preset, then every flag the user typed laid
over it", and the dataclasses refuse invalid values on construction with the flag's name, so
nothing invalid reaches a model. The flag names follow diffusers' scripts and pipelines
(``--num-inference-steps``, ``--guidance-scale``, ``--num-frames``, ``--max-train-steps``,
``--learning-rate``, ``--output-dir``, ``--mixed-precision``); the older short names stay as aliases.

This module imports no torch: every command's ``--help`` reads it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from metrics.protocol_names import DEFAULT_PROTOCOL_NAME, PROTOCOL_NAMES
from simda.plumbing.errors import BadInputFile, InvalidSetting, MissingInput
from simda.plumbing.options import (
    ValidatedSettings,
    at_least,
    between,
    finite,
    multiple_of,
    non_negative,
    option,
    optional,
    positive,
)

#: I3D's temporal receptive field needs at least this many frames per video (FVD).
MIN_FVD_FRAMES = 9
#: The VAE of Stable Diffusion 1.x downsamples by 8: pixel sizes must divide by it.
PIXELS_PER_LATENT = 8
PRECISIONS = ("no", "fp16", "bf16")
DTYPES = ("auto", "fp32", "fp16", "bf16")
PARTS = ("ta", "aa", "fa", "sa", "lsa")

_SIZE = multiple_of(PIXELS_PER_LATENT, "the autoencoder downsamples by 8")
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
        """Refuse a command that builds SimDA but names neither a base nor the tiny preset.

        Separate from construction: a benchmark scoring another generator's videos needs neither.
        """
        if self.preset is None and self.base is None:
            raise InvalidSetting("choose exactly one of --preset tiny or --base PATH (a local Stable Diffusion folder)")


@dataclass(frozen=True)
class UpscalerModelSettings(ValidatedSettings):
    """Which upscaler the super-resolution stage runs: the tiny random one, or a local x4 upscaler and SR adapters.

    ``preset``, ``device`` and ``dtype`` are the first stage's flags (the two stages share them);
    only ``--sr-base``, ``--sr-ckpt`` and the chunk sizes are the upscaler's own.
    """

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
        """What low-resolution sizes must divide by: the UNet halves its maps once per level after the first.

        Read from ``unet/config.json`` (no weights), so a bad size is refused before any model loads.
        """
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

    num_frames: int = option(16, "--num-frames", "frames per video", aliases=("--frames",), checks=(positive,))
    height: int = option(256, "--height", "frame height in pixels", checks=(_SIZE,))
    width: int = option(256, "--width", "frame width in pixels", checks=(_SIZE,))
    num_inference_steps: int = option(
        50, "--num-inference-steps", "DDIM denoising steps", aliases=("--steps",), checks=(positive,)
    )
    guidance_scale: float = option(
        7.5,
        "--guidance-scale",
        "classifier-free guidance scale (1 switches guidance off)",
        aliases=("--guidance",),
        checks=(finite, non_negative),
    )
    negative_prompt: str = option("", "--negative-prompt", "text to steer away from under guidance")
    eta: float = option(0.0, "--eta", "DDIM eta (0: deterministic DDIM)", checks=(finite, between(0.0, 1.0)))


@dataclass(frozen=True)
class UpscaleSettings(ValidatedSettings):
    """Every setting that changes an upscaled video, and the low-resolution input it expects.

    The paper gives no sampling settings for its SR stage; the defaults are those of diffusers'
    ``StableDiffusionUpscalePipeline`` for the released upscaler (75 steps, guidance 9, noise
    level 20). ``num_frames``, ``height`` and ``width`` describe the input and have no flags: a
    command fills them from the first stage (16x256x256 by default); the output is the upscaler
    VAE's factor (4) times larger in height and width.
    """

    num_frames: int = field(default=16, metadata={"checks": (positive,)})
    height: int = field(default=256, metadata={"checks": (positive,)})
    width: int = field(default=256, metadata={"checks": (positive,)})
    num_inference_steps: int = option(
        75, "--sr-steps", "denoising steps of the upscaler", aliases=("--sr-num-inference-steps",), checks=(positive,)
    )
    guidance_scale: float = option(
        9.0,
        "--sr-guidance-scale",
        "classifier-free guidance of the upscaler (1 switches guidance off)",
        aliases=("--sr-guidance",),
        checks=(finite, non_negative),
    )
    noise_level: int = option(
        20,
        "--sr-noise-level",
        f"noise added to the low-resolution video, also the upscaler's class label (0..{MAX_SR_NOISE_LEVEL})",
        checks=(between(0, MAX_SR_NOISE_LEVEL),),
    )
    negative_prompt: str = option("", "--sr-negative-prompt", "text the upscaler steers away from under guidance")
    eta: float = option(
        0.0, "--sr-eta", "DDIM eta of the upscaler (0: deterministic)", checks=(finite, between(0.0, 1.0))
    )

    def for_input(self, generation: GenerationSettings) -> UpscaleSettings:
        """These settings for the first stage's video: its frame count, height and width."""
        return dataclasses.replace(
            self, num_frames=generation.num_frames, height=generation.height, width=generation.width
        )


@dataclass(frozen=True)
class ClipSettings(ValidatedSettings):
    """How training clips are cut from videos: frames, stride and size."""

    num_frames: int = option(16, "--num-frames", "frames per training clip", aliases=("--frames",), checks=(positive,))
    height: int = option(256, "--height", "clip height in pixels", checks=(_SIZE,))
    width: int = option(256, "--width", "clip width in pixels", checks=(_SIZE,))
    frame_stride: int = option(4, "--frame-stride", "take every n-th frame of the source", checks=(positive,))


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


@dataclass(frozen=True)
class EditSettings(ValidatedSettings):
    """One-shot editing: the paper's 200 tuning steps, the released editing code's values otherwise."""

    tune_steps: int = option(200, "--tune-steps", "adapter tuning steps on the one video", checks=(positive,))
    learning_rate: float = option(
        5e-5, "--learning-rate", "AdamW learning rate", aliases=("--lr",), checks=(finite, positive)
    )
    num_frames: int = option(
        24, "--num-frames", "frames tuned and generated", aliases=("--frames",), checks=(positive,)
    )
    frame_stride: int = option(2, "--frame-stride", "take every n-th frame of the source", checks=(positive,))
    height: int = option(512, "--height", "frame height in pixels", checks=(_SIZE,))
    width: int = option(512, "--width", "frame width in pixels", checks=(_SIZE,))
    num_inference_steps: int = option(
        50,
        "--num-inference-steps",
        "DDIM steps of inversion and generation",
        aliases=("--steps", "--inference-steps"),
        checks=(positive,),
    )
    guidance_scale: float = option(
        12.5, "--guidance-scale", "guidance of the edit", aliases=("--guidance",), checks=(finite, non_negative)
    )
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

    def clips(self) -> ClipSettings:
        return ClipSettings(self.num_frames, self.height, self.width, self.frame_stride)


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
    fvd_interval: int = option(
        40,
        "--fvd-interval",
        "jackknife groups of the FVD interval (0: no interval)",
        checks=(lambda groups: None if groups == 0 or groups >= 2 else "must be 0 (off) or at least 2",),
    )
    clip_model: str = option("ViT-B-32", "--clip-model", "open_clip model name of --clip-ckpt")


@dataclass(frozen=True)
class ProfileSettings(ValidatedSettings):
    """Shapes and repeat counts of the profile; the model sizes come with its preset (sd15 or tiny)."""

    num_frames: int = option(16, "--num-frames", "frames per clip", aliases=("--frames",), checks=(positive,))
    size: int = option(256, "--size", "frame side in pixels", checks=(_SIZE,))
    repeats: int = option(20, "--repeats", "timed rounds per workload", checks=(positive,))
    warmup: int = option(3, "--warmup", "untimed rounds first", checks=(non_negative,))
    video_steps: int = option(50, "--video-steps", "DDIM steps of the whole-video timing", checks=(positive,))
    video_repeats: int = option(3, "--video-repeats", "timed whole videos per pipeline", checks=(positive,))


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
class Preset:
    """A complete set of defaults: what a command uses for every flag the user did not type."""

    name: str
    generation: GenerationSettings
    clips: ClipSettings
    training: TrainSettings
    editing: EditSettings
    evaluation: EvaluationSettings
    profile: ProfileSettings
    #: Sampling of the super-resolution stage (frames and size come from ``generation``).
    upscale: UpscaleSettings
    #: Training clips of the super-resolution adapters, at the high (output) resolution: the
    #: low-resolution input is each clip box-filtered down 4x.
    sr_clips: ClipSettings
    #: WebVid validation pairs per ablation variant (``None``: all of them).
    ablation_videos: int | None
    #: Synthetic clips written for a tiny run without data (``None``: real data is required).
    synthetic_videos: int | None
    #: The learning benchmark's data and seeds (only ``--preset learn`` has them).
    learning: LearningSettings | None = None


PAPER = Preset(
    name="paper",
    generation=GenerationSettings(),
    clips=ClipSettings(),
    training=TrainSettings(),
    editing=EditSettings(),
    evaluation=EvaluationSettings(),
    profile=ProfileSettings(),
    upscale=UpscaleSettings(),
    sr_clips=ClipSettings(height=1024, width=1024),  # the 1024x1024 output of 256x256 inputs
    ablation_videos=1000,  # Table 6 uses 1K WebVid validation pairs
    synthetic_videos=None,
)
# Small enough to finish in seconds on a 2-core CPU (the tiny UNet takes ~0.1 s a step at 32x32).
TINY = Preset(
    name="tiny",
    generation=GenerationSettings(num_frames=16, height=32, width=32, num_inference_steps=10),
    clips=ClipSettings(num_frames=8, height=32, width=32, frame_stride=1),
    training=TrainSettings(max_steps=20, learning_rate=1e-3),
    editing=EditSettings(
        tune_steps=10, learning_rate=1e-3, num_frames=8, frame_stride=1, height=64, width=64, num_inference_steps=10
    ),
    evaluation=EvaluationSettings(),
    profile=ProfileSettings(num_frames=8, size=32, repeats=3, warmup=1, video_repeats=1),
    upscale=UpscaleSettings(num_inference_steps=4),
    sr_clips=ClipSettings(num_frames=8, height=32, width=32, frame_stride=1),  # 8x8 low-res inputs
    ablation_videos=None,
    synthetic_videos=8,
)
# The tiny model trained long enough, on clips whose motion it can learn, for Table 6's two largest
# effects (w/o TA, w/o SA) to separate across seeds: about 10 minutes for the sweep on 2 CPU cores.
LEARN = Preset(
    name="learn",
    generation=TINY.generation,
    clips=ClipSettings(num_frames=8, height=32, width=32, frame_stride=1),
    training=TrainSettings(max_steps=250, learning_rate=1e-3, checkpoint_every=250, keep_checkpoints=1),
    editing=TINY.editing,
    evaluation=TINY.evaluation,
    profile=TINY.profile,
    ablation_videos=None,
    synthetic_videos=None,
    upscale=TINY.upscale,
    sr_clips=TINY.sr_clips,
    learning=LearningSettings(),
)
PRESETS = {"paper": PAPER, "tiny": TINY, "learn": LEARN}


def preset_for(model: ModelSettings | UpscalerModelSettings) -> Preset:
    """The defaults that go with a model: ``--preset tiny`` or ``learn``'s, else the paper's."""
    return PRESETS[model.preset] if model.preset else PAPER


def require_fvd_frames(num_frames: int) -> None:
    """FVD needs at least :data:`MIN_FVD_FRAMES` frames per video; refuse fewer before any work."""
    if num_frames < MIN_FVD_FRAMES:
        raise InvalidSetting(f"--num-frames {num_frames}: FVD's I3D needs at least {MIN_FVD_FRAMES} frames per video")
