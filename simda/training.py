"""Training the SimDA adapters: the loss of equation (3) in the frozen VAE's latent space.

Everything random in a step (which videos, where the clip starts, the VAE posterior sample, the noise, the
timesteps) comes from a generator seeded by ``(seed, rank, step)``, so a run resumed from a checkpoint (adapters,
optimizer, learning-rate schedule, loss scaler, step) continues exactly as an uninterrupted one, with no sampler
or RNG state to carry. That holds only with the settings the checkpoints were made with, so the output directory
records them (``training_settings.json``: training settings, clip sampling, SimDA parts, base architecture, data
and process count) and a resume with others is refused, naming what differs; how long to train and how often to
save may change on resume.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler
from diffusers.optimization import get_scheduler
from torch.nn.parallel import DistributedDataParallel

from simda.data import CaptionedVideo, ClipError, ClipSampler
from simda.model.base import unet_identity
from simda.model.checkpoint import NonFiniteAdaptersError, load_adapters, require_finite, save_adapters
from simda.model.video_unet import SimDAUNet
from simda.pipeline import SimDAPipeline, hashed_generator
from simda.plumbing.atomic import atomic_path
from simda.plumbing.distributed import ProcessLayout
from simda.plumbing.errors import UsageError
from simda.resume import checkpoint_root, complete_checkpoints
from simda.settings import RESUMABLE_SETTINGS, TrainSettings

log = logging.getLogger("simda.training")
MIXED_PRECISION = {"no": None, "fp16": torch.float16, "bf16": torch.bfloat16}
SETTINGS_FILE = "training_settings.json"
#: The trainer's parts whose state a checkpoint saves beside the step and the adapters, and a resume restores.
TRAINING_STATE = ("optimizer", "lr_scheduler", "scaler")


class TrainingDivergedError(RuntimeError):
    """The loss or the adapters became NaN or infinite: the run stops (exit 1) and saves nothing more."""


class ResumeMismatchError(UsageError):
    """The output directory holds checkpoints made with other training settings."""


@dataclass(frozen=True)
class StepReport:
    step: int
    loss: float
    learning_rate: float
    clips_per_second: float
    peak_memory_gib: float


def step_generator(seed: int, rank: int, step: int) -> torch.Generator:
    """The one source of randomness of a training step, a pure function of its coordinates."""
    return hashed_generator(f"simda-train:{seed}:{rank}:{step}")


def denoising_target(
    scheduler: DDPMScheduler, latents: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor
) -> torch.Tensor:
    """What the UNet learns to predict: the noise, or the velocity for v-prediction bases."""
    if scheduler.config.prediction_type == "v_prediction":
        return scheduler.get_velocity(latents, noise, timesteps)
    return noise


def peak_gib(device: torch.device) -> float:
    """The most memory allocated on a CUDA ``device`` since its last reset, in GiB; 0 elsewhere."""
    return torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else 0.0


def epoch_order(num_videos: int, seed: int, epoch: int) -> list[int]:
    """The shuffled video order of one pass over the data (the same for every rank)."""
    return torch.randperm(num_videos, generator=torch.Generator().manual_seed(seed * 100_003 + epoch)).tolist()


def adapter_optimizer(model: SimDAUNet, settings: TrainSettings) -> torch.optim.AdamW:
    """AdamW over the adapters alone, as SimDA trains them: the frozen base has no optimizer state."""
    return torch.optim.AdamW(model.adapter_parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)


class Trainer:
    """Tunes the adapters of ``pipeline.unet`` on captioned clips; only adapters change."""

    def __init__(
        self,
        pipeline: SimDAPipeline,
        videos: Sequence[CaptionedVideo],
        sampler: ClipSampler,
        settings: TrainSettings,
        out_dir: str | Path,
        layout: ProcessLayout | None = None,
    ) -> None:
        if not videos:
            raise ValueError("no training videos: check --csv/--videos or --video-folder")
        self.check_clips(pipeline, sampler)
        self.pipeline, self.videos, self.sampler, self.settings = pipeline, list(videos), sampler, settings
        self.out_dir = Path(out_dir)
        self.layout = layout or ProcessLayout()
        self.model = pipeline.unet
        self.autocast_dtype = MIXED_PRECISION[settings.mixed_precision]
        for param in self.model.adapter_parameters():  # master weights in fp32 under mixed precision
            param.data = param.data.float()
        if settings.gradient_checkpointing:
            self.model.enable_gradient_checkpointing()
        self.noise_scheduler = DDPMScheduler.from_config(pipeline.scheduler.config)
        self.optimizer = adapter_optimizer(self.model, settings)
        self.lr_scheduler = get_scheduler(
            "constant_with_warmup", self.optimizer, num_warmup_steps=settings.lr_warmup_steps
        )
        self.scaler = torch.amp.GradScaler(enabled=settings.mixed_precision == "fp16")
        self.forward_model = self.model
        if self.layout.distributed:
            device_ids = None if self.model.device.type == "cpu" else [self.model.device]
            self.forward_model = DistributedDataParallel(self.model, device_ids=device_ids)
        self.step = 0
        self.skipped: set[str] = set()

    def check_clips(self, pipeline: SimDAPipeline, sampler: ClipSampler) -> None:
        """Refuse clips this stage cannot train on, before anything is built; text-to-video takes any size."""

    def batch(self, generator: torch.Generator) -> tuple[torch.Tensor, list[str]]:
        """This rank's clips for the current step; unreadable videos are skipped and remembered."""
        clips, captions = [], []
        first = (self.step * self.layout.world_size + self.layout.rank) * self.settings.batch_size
        position = first
        while len(clips) < self.settings.batch_size:
            if position - first > len(self.videos) + self.settings.batch_size:
                raise RuntimeError(
                    f"no readable training video among {len(self.videos)}; skipped: {sorted(self.skipped)}"
                )
            epoch, offset = divmod(position, len(self.videos))
            video = self.videos[epoch_order(len(self.videos), self.settings.seed, epoch)[offset]]
            position += 1
            try:
                clips.append(self.sampler.read(video, generator))
                captions.append(video.caption)
            except ClipError as error:
                if video.video_id not in self.skipped:
                    log.warning("skipping training video: %s", error)
                self.skipped.add(video.video_id)
        return torch.stack(clips), captions

    def loss(self, clips: torch.Tensor, captions: list[str], generator: torch.Generator) -> torch.Tensor:
        """``|| eps - eps_theta(x_t, c, t) ||^2`` (or the v-target for v-prediction bases)."""
        device = self.model.device
        latents = self.pipeline.encode_video(clips, generator=generator)
        noise = torch.randn(latents.shape, generator=generator).to(device)
        timesteps = torch.randint(
            0, self.noise_scheduler.config.num_train_timesteps, (latents.shape[0],), generator=generator
        ).to(device)
        noisy = self.noise_scheduler.add_noise(latents, noise, timesteps)
        target = denoising_target(self.noise_scheduler, latents, noise, timesteps)
        text = self.pipeline.encode_prompts(captions)
        sample, conditioning = self.model_inputs(noisy, clips, generator)
        with torch.autocast(device.type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None):
            prediction = self.forward_model(sample.to(self.model.dtype), timesteps, text, **conditioning)
        return F.mse_loss(prediction.float(), target.float())

    def model_inputs(
        self, noisy: torch.Tensor, clips: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The UNet's input and extra arguments for noisy latents: the one seam where another stage's conditioning
        enters the shared loop (``simda.sr.training``); text-to-video adds nothing."""
        return noisy, {}

    def train_step(self) -> float:
        self.model.train()
        generator = step_generator(self.settings.seed, self.layout.rank, self.step)
        clips, captions = self.batch(generator)
        loss = self.loss(clips, captions, generator)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.model.adapter_parameters(), self.settings.max_grad_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.lr_scheduler.step()
        self.step += 1
        return float(loss.detach())

    def save_checkpoint(self) -> Path:
        """Adapters and optimizer state under ``checkpoints/step-NNNNNNN``, written as a whole or not at all;
        never adapters holding NaN or inf (:class:`TrainingDivergedError`)."""
        self.require_finite_adapters()
        root = checkpoint_root(self.out_dir)
        final = root / f"step-{self.step:07d}"
        if self.layout.is_main and not final.exists():
            staging = root / f".staging-{self.step:07d}"
            shutil.rmtree(staging, ignore_errors=True)
            save_adapters(self.model, staging / "adapters", {"step": self.step})
            state = {"step": self.step} | {name: getattr(self, name).state_dict() for name in TRAINING_STATE}
            torch.save(state, staging / "training_state.pt")
            os.replace(staging, final)
            for old in self.checkpoints()[: -self.settings.keep_checkpoints]:
                shutil.rmtree(old, ignore_errors=True)
        self.layout.barrier()
        return final

    def require_finite_adapters(self) -> None:
        """Stop (:class:`TrainingDivergedError`) when a finite loss still left NaN or inf in the adapters."""
        try:
            require_finite(self.model.adapter_state_dict(), "the adapters")
        except NonFiniteAdaptersError as exc:
            raise self.diverged(str(exc)) from None

    def diverged(self, what: str) -> TrainingDivergedError:
        """The error that stops a diverged run: at which step, and the last checkpoint (all finite) it keeps."""
        kept = self.checkpoints()
        last = f"the last checkpoint, {kept[-1]}, is finite" if kept else "no checkpoint was written"
        return TrainingDivergedError(
            f"training diverged at step {self.step}: {what}; nothing of it is saved and {last}; "
            "lower --learning-rate (or --max-grad-norm) and train again in a new --output-dir"
        )

    def checkpoints(self) -> list[Path]:
        return complete_checkpoints(self.out_dir)

    def training_identity(self) -> dict[str, Any]:
        """The settings that decide what the adapters learn, as recorded in ``training_settings.json``."""
        train = {key: value for key, value in self.settings.as_params().items() if key not in RESUMABLE_SETTINGS}
        video_ids = json.dumps([video.video_id for video in self.videos])
        identity = {
            **{f"train.{key}": value for key, value in train.items()},
            **{f"clip.{key}": value for key, value in asdict(self.sampler).items()},
            **{f"simda.{key}": value for key, value in self.model.config.to_dict().items()},
            "base.unet_identity": unet_identity(self.model.unet),
            "data.num_videos": len(self.videos),
            "data.video_ids_sha256": hashlib.sha256(video_ids.encode()).hexdigest()[:16],
            "world_size": self.layout.world_size,
        }
        return json.loads(json.dumps(identity, default=str))  # as it reads back from the file

    def check_settings(self, has_checkpoints: bool) -> None:
        """Record the training settings in ``out_dir``, or refuse checkpoints made with other ones
        (:class:`ResumeMismatchError`, naming each differing setting with both values)."""
        path = self.out_dir / SETTINGS_FILE
        wanted = self.training_identity()
        if has_checkpoints and path.is_file():
            found = json.loads(path.read_text())
            differing = sorted(key for key in wanted.keys() | found.keys() if found.get(key) != wanted.get(key))
            if differing:
                changes = "; ".join(f"{key}: {found.get(key)!r} then, {wanted.get(key)!r} now" for key in differing)
                raise ResumeMismatchError(
                    f"{self.out_dir} holds checkpoints trained with other settings ({changes}); pass --out a new "
                    f"folder to train with these settings, or rerun with the settings in {path} to resume"
                )
            return
        if has_checkpoints:
            log.warning("%s has checkpoints but no %s: recording today's settings", self.out_dir, SETTINGS_FILE)
        if self.layout.is_main:
            with atomic_path(path) as tmp:
                Path(tmp).write_text(json.dumps(wanted, indent=2, sort_keys=True))

    def resume(self) -> int:
        """Continue from the newest complete checkpoint in ``out_dir``, if any (checked by :meth:`check_settings`);
        returns the step."""
        found = self.checkpoints()
        self.check_settings(has_checkpoints=bool(found))
        if not found:
            return 0
        latest = found[-1]
        load_adapters(self.model, latest / "adapters")
        state = torch.load(latest / "training_state.pt", map_location="cpu", weights_only=True)
        for name in TRAINING_STATE:
            getattr(self, name).load_state_dict(state[name])
        self.step = int(state["step"])
        log.info("resumed from %s at step %d", latest, self.step)
        return self.step

    def run(
        self,
        on_report: Callable[[StepReport], None] | None = None,
        log_every: int = 10,
        progress: bool = True,
    ) -> Path:
        """Train to ``max_steps`` (resuming first) and return the final adapter checkpoint."""
        from metrics.progress import progress_bar

        self.resume()
        bar = progress_bar(
            total=self.settings.max_steps,
            initial=self.step,
            desc="training",
            disable=not (progress and self.layout.is_main),
        )
        window_start, losses = time.perf_counter(), []  # this report window's start and step losses
        while self.step < self.settings.max_steps:
            losses.append(self.train_step())
            if not math.isfinite(losses[-1]):
                raise self.diverged(f"the loss is {losses[-1]}")
            bar.update(1)
            if self.step % log_every == 0 or self.step == self.settings.max_steps:
                elapsed = time.perf_counter() - window_start
                report = StepReport(
                    step=self.step,
                    loss=self.layout.mean(sum(losses) / len(losses)),
                    learning_rate=self.lr_scheduler.get_last_lr()[0],
                    clips_per_second=len(losses) * self.settings.batch_size * self.layout.world_size / elapsed,
                    peak_memory_gib=peak_gib(self.model.device),
                )
                bar.set_postfix(loss=f"{report.loss:.4f}")
                if on_report is not None and self.layout.is_main:
                    on_report(report)
                window_start, losses = time.perf_counter(), []
            if self.step % self.settings.checkpoint_every == 0 or self.step == self.settings.max_steps:
                self.save_checkpoint()
        bar.close()
        final = self.out_dir / "simda-adapters"
        self.require_finite_adapters()
        if self.layout.is_main:
            save_adapters(self.model, final, {"step": self.step, "train_settings": self.settings.as_params()})
        self.layout.barrier()
        return final
