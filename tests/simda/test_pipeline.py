from __future__ import annotations

import copy

import decord
import numpy as np
import pytest

from simda import generate
from simda.pipeline import GenerationSettings, SimDAPipeline
from simda.video_unet import SimDAUNet
from tests.simda.test_video_unet import perturb_adapters

FAST = GenerationSettings(num_frames=4, height=32, width=48, num_inference_steps=3)


@pytest.fixture(scope="module")
def pipeline(tiny_base) -> SimDAPipeline:
    model = SimDAUNet(copy.deepcopy(tiny_base.unet)).eval()
    perturb_adapters(model, seed=5)  # trained-looking adapters, so clips really interact through time
    return SimDAPipeline.from_base(tiny_base, model)


def test_a_prompts_video_does_not_depend_on_its_batch(pipeline):
    together = pipeline(["a red car", "a dog running on grass"], [11, 12], FAST)
    alone = pipeline(["a dog running on grass"], [12], FAST)
    assert together.shape == (2, 4, 32, 48, 3) and together.dtype == np.uint8
    assert np.abs(together[1].astype(int) - alone[0].astype(int)).max() <= 1
    assert not np.array_equal(together[0], together[1])


def test_seed_decides_the_noise_and_guidance_changes_the_result(pipeline):
    first, again = pipeline(["a cat"], [3], FAST), pipeline(["a cat"], [3], FAST)
    assert np.array_equal(first, again)
    other_seed = pipeline(["a cat"], [4], FAST)
    assert not np.array_equal(first, other_seed)
    unguided = pipeline(["a cat"], [3], GenerationSettings(**{**FAST.as_params(), "guidance_scale": 1.0}))
    assert not np.array_equal(first, unguided)


def test_one_seed_per_prompt_is_required(pipeline):
    with pytest.raises(ValueError, match="one seed per prompt"):
        pipeline(["a", "b"], [1], FAST)


def test_encode_then_decode_keeps_the_layout(pipeline):
    frames = np.random.default_rng(0).integers(0, 255, (2, 3, 32, 48, 3), dtype=np.uint8)
    import torch

    latents = pipeline.encode_video(torch.from_numpy(frames))
    assert latents.shape == (2, 4, 3, 8, 12)
    assert pipeline.decode(latents).shape == frames.shape


def test_generate_command_writes_an_mp4_that_decord_reads(tmp_path, no_network):
    out = tmp_path / "clip.mp4"
    paths = generate.main(["--preset", "tiny", "--prompt", "a panda surfing", "--steps", "4", "--out", str(out)])
    assert paths == [out] and out.with_suffix(".gif").stat().st_size > 0
    video = decord.VideoReader(str(out))
    assert len(video) == 16 and video[0].shape == (64, 64, 3)


def test_generate_names_the_flag_for_a_missing_checkpoint(tmp_path):
    with pytest.raises(SystemExit, match="--ckpt"):
        generate.main(["--preset", "tiny", "--prompt", "x", "--ckpt", str(tmp_path / "none.safetensors")])
