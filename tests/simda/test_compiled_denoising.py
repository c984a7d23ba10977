"""The opt-in ``--compile-unet``: the denoising loop under torch.compile gives the eager loop's frames."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simda.model.base import build_tiny
from simda.model.video_unet import SimDAUNet
from simda.pipeline import SimDAPipeline
from simda.settings import GenerationSettings


def test_compile_unet_stays_out_of_the_params_until_switched_on() -> None:
    assert "compile_unet" not in GenerationSettings().as_params()  # run folders named before it keep their names
    assert GenerationSettings(compile_unet=True).as_params()["compile_unet"] is True


@pytest.mark.slow  # compiling the tiny UNet takes minutes on two shared cores
def test_compiled_denoising_gives_the_eager_frames() -> None:
    base = build_tiny()
    pipeline = SimDAPipeline.from_base(base, SimDAUNet(base.unet).eval())
    settings = GenerationSettings(num_frames=2, height=32, width=32, num_inference_steps=2)
    eager = pipeline.generate(["a red ball"], [3], settings)
    compiled = pipeline.generate(["a red ball"], [3], dataclasses.replace(settings, compile_unet=True))
    assert eager.shape == compiled.shape
    assert np.abs(eager.astype(int) - compiled.astype(int)).max() <= 1  # uint8 frames: at most round-off
