"""The ``--sr`` flags that every command with a super-resolution stage shares (generate, the benchmarks).

Its own flags (``--sr-base``, ``--sr-ckpt``, chunking, sampling) are refused without ``--sr``, as a likely
slip. No torch here: the flags are read before anything heavy loads.
"""

from __future__ import annotations

import argparse

from simda.plumbing.errors import InvalidSetting
from simda.plumbing.options import add_group, add_options, construct, from_args, typed_flags
from simda.settings import (
    GenerationSettings,
    ModelSettings,
    UpscalerModelSettings,
    UpscaleSettings,
    UpscaleSwitch,
    preset_defaults,
    preset_for,
)

#: The upscaler's settings that are the first stage's flags too (one --preset, --device, --dtype).
SHARED_WITH_FIRST_STAGE = ("preset", "device", "dtype")


def add_sr_options(parser: argparse.ArgumentParser) -> None:
    """``--sr`` and the upscaler's flags (its preset, device and dtype are the first stage's)."""
    sr = add_group(parser, "super-resolution (paper, section 3.4)", UpscaleSwitch)
    add_options(sr, UpscalerModelSettings, {}, skip=SHARED_WITH_FIRST_STAGE)
    add_options(sr, UpscaleSettings, preset_defaults("upscale"), prefix="sr_")


def make_sr_settings(
    args: argparse.Namespace, model: ModelSettings, generation: GenerationSettings
) -> tuple[UpscalerModelSettings | None, UpscaleSettings | None]:
    """The upscaler and its sampling with ``--sr``; without it, any upscaler flag is refused as a likely slip."""
    if not args.sr:
        typed = typed_flags(args, UpscalerModelSettings, skip=SHARED_WITH_FIRST_STAGE)
        typed += typed_flags(args, UpscaleSettings, prefix="sr_")
        if typed:
            raise InvalidSetting(f"{', '.join(typed)} given without --sr; add --sr to upscale the videos")
        return None, None
    upscaler = construct(UpscalerModelSettings, args)
    return upscaler, from_args(preset_for(model).upscale, args, prefix="sr_").for_input(generation)


def check_upscaler_input(
    upscaler: UpscalerModelSettings, upscale: UpscaleSettings, generation: GenerationSettings
) -> None:
    """The upscaler's files exist and the first stage's video fits it, before any model loads."""
    upscaler.require_files()
    first_stage = (generation.num_frames, generation.height, generation.width)
    if (upscale.num_frames, upscale.height, upscale.width) != first_stage:
        raise InvalidSetting("the upscaler's input must be the first stage's frames, height and width")
    multiple = upscaler.size_multiple()
    for flag, size in (("--height", generation.height), ("--width", generation.width)):
        if size % multiple:
            raise InvalidSetting(
                f"{flag} {size}: with --sr the first stage's frames are the upscaler's input, whose UNet needs "
                f"sizes that are multiples of {multiple}; pass a multiple of {multiple}"
            )
