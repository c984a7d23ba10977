"""One-shot text-guided video editing (Tune-A-Video protocol, section 3.4 of the paper).

Tune the adapters on the one video with its source caption, invert the video's latents with
DDIM (an empty prompt, as in the released code), then denoise the inverted latents under the
edited caption. The inversion keeps the source's layout and motion; the edit changes the rest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from diffusers import DDIMInverseScheduler
from tqdm.auto import tqdm

from metrics.strict_json import strict_dumps
from simda.data import CaptionedVideo, ClipSampler
from simda.pipeline import SimDAPipeline
from simda.plumbing.atomic import atomic_path
from simda.settings import FPS, EditSettings
from simda.synthetic import moving_square
from simda.training import Trainer, peak_gib
from simda.video_io import slug, write_gif, write_mp4


@dataclass
class EditResult:
    source: np.ndarray  # uint8 (f, H, W, 3): the frames that were tuned on
    edits: dict[str, np.ndarray]  # edited caption -> uint8 (f, H, W, 3)
    train_seconds: float
    inference_seconds: float  # inversion plus generation, per edit
    train_peak_gib: float
    inference_peak_gib: float
    tuned_parameters: int


@torch.no_grad()
def ddim_invert(
    pipeline: SimDAPipeline, latents: torch.Tensor, text: torch.Tensor, num_steps: int, progress: bool = False
) -> torch.Tensor:
    """Run DDIM backwards from clean ``latents`` to the noise that DDIM would turn back into them."""
    inverse = DDIMInverseScheduler.from_config(pipeline.scheduler.config)
    inverse.set_timesteps(num_steps, device=pipeline.device)
    latents = latents.float()
    for t in tqdm(inverse.timesteps, desc="inverting", disable=not progress, leave=False):
        noise = pipeline.unet(latents.to(pipeline.unet.dtype), t, text).float()
        latents = inverse.step(noise, t, latents).prev_sample
    return latents


def _reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def edit_video(
    pipeline: SimDAPipeline,
    video: CaptionedVideo,
    edited_captions: list[str],
    settings: EditSettings,
    work_dir: str | Path,
    progress: bool = False,
) -> EditResult:
    """Tune on ``video`` (with its caption), then produce one edited clip per caption."""
    device = pipeline.device
    sampler = ClipSampler(settings.num_frames, settings.height, settings.width, settings.frame_stride, start=0)
    train = settings.training()
    _reset_peak(device)
    started = time.perf_counter()
    Trainer(pipeline, [video], sampler, train, work_dir).run(progress=progress, log_every=max(1, settings.tune_steps))
    train_seconds, train_peak = time.perf_counter() - started, peak_gib(device)
    pipeline.unet.eval()

    source = sampler.read(video, torch.Generator())
    _reset_peak(device)
    started = time.perf_counter()
    latents = pipeline.encode_video(source[None])
    inverted = ddim_invert(
        pipeline, latents, pipeline.encode_prompts([settings.inversion_prompt]), settings.num_inference_steps, progress
    )
    generation = settings.generation()
    uncond = pipeline.encode_prompts([generation.negative_prompt])
    edits = {}
    for caption in edited_captions:
        denoised = pipeline.denoise(inverted, pipeline.encode_prompts([caption]), uncond, generation, progress)
        edits[caption] = pipeline.decode(denoised)[0]
    inference_seconds = (time.perf_counter() - started) / max(1, len(edited_captions))
    return EditResult(
        source=source.numpy(),
        edits=edits,
        train_seconds=train_seconds,
        inference_seconds=inference_seconds,
        train_peak_gib=train_peak,
        inference_peak_gib=peak_gib(device),
        tuned_parameters=sum(p.numel() for p in pipeline.unet.adapter_parameters()),
    )


def synthetic_source(folder: Path, settings: EditSettings) -> CaptionedVideo:
    """A moving-square clip to edit when the tiny preset is given no video."""
    span = (settings.num_frames - 1) * settings.frame_stride + 1
    frames, caption = moving_square(0, span, settings.height, settings.width)
    return CaptionedVideo("tiny-source", write_mp4(folder / "tiny-source.mp4", frames), caption)


def save_result(result: EditResult, out: Path, fps: int = FPS) -> dict[str, object]:
    """Write the source and every edit as mp4 and GIF, and a summary JSON; returns the summary."""
    write_gif(out / "source.gif", result.source, fps)
    files = {}
    for caption, frames in result.edits.items():
        path = write_mp4(out / f"{slug(caption)}.mp4", frames, fps)
        write_gif(path.with_suffix(".gif"), frames, fps)
        files[caption] = str(path)
    summary = {
        "edits": files,
        "train_minutes": result.train_seconds / 60,
        "inference_minutes": result.inference_seconds / 60,
        "train_peak_gib": result.train_peak_gib,
        "inference_peak_gib": result.inference_peak_gib,
        "tuned_parameters": result.tuned_parameters,
    }
    with atomic_path(out / "summary.json") as tmp:
        Path(tmp).write_text(strict_dumps(summary, indent=2))
    return summary
