"""The SR stage's profile function on the tiny upscaler (CPU: times are not asserted, only the table)."""

from __future__ import annotations

import torch

from benchmarks.profiling.sections import time_sr_step
from benchmarks.timing import wall_clock
from simda.model.video_unet import VideoTransformer
from simda.sr.upscaler import build_tiny_upscaler


def test_sr_step_profile_times_simda_against_the_image_upscaler() -> None:
    upscaler = build_tiny_upscaler()
    table = time_sr_step(upscaler, 3, 8, torch.device("cpu"), torch.float32, repeats=2, warmup=1, clock=wall_clock)
    rows = table.set_index("variant")
    assert list(rows.index) == ["2d_floor", "simda"] and (rows["median_ms"] > 0).all()
    assert rows.loc["2d_floor", "x_2d_floor"] == 1.0 and rows["runs"].tolist() == [2, 2]
    assert rows["output"].tolist() == ["32x32", "32x32"] and rows["peak_gib"].isna().all()  # no CUDA peak on a CPU
    assert not any(isinstance(m, VideoTransformer) for m in upscaler.unet.modules()), "the base UNet was adapted"
