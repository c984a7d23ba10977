from __future__ import annotations

import copy
import logging
import subprocess
import sys

import decord
import numpy as np
import pytest
import torch

from simda import generate
from simda.model.checkpoint import save_adapters
from simda.model.video_unet import SimDAUNet
from simda.pipeline import GenerationSettings, SimDAPipeline
from tests.simda.test_video_unet import perturb_adapters

FAST = GenerationSettings(num_frames=4, height=32, width=48, num_inference_steps=3)
# The same settings under diffusers' argument names.
FAST_KWARGS = {"num_frames": 4, "height": 32, "width": 48, "num_inference_steps": 3, "guidance_scale": 7.5}


@pytest.fixture(scope="module")
def pipeline(tiny_base) -> SimDAPipeline:
    model = SimDAUNet(copy.deepcopy(tiny_base.unet)).eval()
    perturb_adapters(model, seed=5)  # trained-looking adapters, so clips really interact through time
    pipe = SimDAPipeline.from_base(tiny_base, model)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_a_prompts_video_does_not_depend_on_its_batch(pipeline):
    together = pipeline.generate(["a red car", "a dog running on grass"], [11, 12], FAST)
    alone = pipeline.generate(["a dog running on grass"], [12], FAST)
    assert together.shape == (2, 4, 32, 48, 3) and together.dtype == np.uint8
    assert np.abs(together[1].astype(int) - alone[0].astype(int)).max() <= 1
    assert not np.array_equal(together[0], together[1])


def test_seed_decides_the_noise_and_guidance_changes_the_result(pipeline):
    first, again = pipeline.generate(["a cat"], [3], FAST), pipeline.generate(["a cat"], [3], FAST)
    assert np.array_equal(first, again)
    other_seed = pipeline.generate(["a cat"], [4], FAST)
    assert not np.array_equal(first, other_seed)
    unguided = pipeline.generate(["a cat"], [3], GenerationSettings(**{**FAST.as_params(), "guidance_scale": 1.0}))
    assert not np.array_equal(first, unguided)


def test_one_seed_per_prompt_is_required(pipeline):
    with pytest.raises(ValueError, match="one seed per prompt"):
        pipeline.generate(["a", "b"], [1], FAST)
    with pytest.raises(ValueError, match="one seed per video"):
        pipeline(["a", "b"], seeds=[1], **FAST_KWARGS)
    with pytest.raises(ValueError, match="give one, or one per prompt"):
        pipeline(["a", "b"], negative_prompt=["blurry"], **FAST_KWARGS)
    with pytest.raises(ValueError, match="--height 0: must be a positive multiple"):
        pipeline("a", **{**FAST_KWARGS, "height": 0})


def test_the_diffusers_call_equals_the_harness_bit_for_bit(pipeline):
    prompts, seeds = ["a red car", "a dog running on grass"], [11, 12]
    harness = pipeline.generate(prompts, seeds, FAST)
    pil = pipeline(prompts, seeds=seeds, **FAST_KWARGS).frames
    assert len(pil) == 2 and len(pil[0]) == 4 and pil[0][0].size == (48, 32)
    assert np.array_equal(np.stack([np.stack([np.asarray(image) for image in clip]) for clip in pil]), harness)
    as_np = pipeline(prompts, seeds=seeds, output_type="np", **FAST_KWARGS).frames
    assert as_np.shape == (2, 4, 32, 48, 3) and as_np.dtype == np.float32
    assert np.array_equal((as_np * 255).round().astype(np.uint8), harness)
    (as_pt,) = pipeline(prompts, seeds=seeds, output_type="pt", return_dict=False, **FAST_KWARGS)
    assert as_pt.shape == (2, 4, 3, 32, 48) and torch.equal(as_pt.permute(0, 1, 3, 4, 2), torch.from_numpy(as_np))
    latents = pipeline(prompts, seeds=seeds, output_type="latent", **FAST_KWARGS).frames
    assert np.array_equal(pipeline.decode(latents), harness)


def test_a_torch_generator_follows_diffusers_semantics(pipeline):
    def run(**noise):
        return pipeline("a cat", output_type="latent", **noise, **FAST_KWARGS).frames

    first = run(generator=torch.Generator().manual_seed(0))
    assert torch.equal(first, run(generator=torch.Generator().manual_seed(0)))
    assert torch.equal(first, run(latents=torch.randn(1, 4, 4, 8, 12, generator=torch.Generator().manual_seed(0))))
    with pytest.raises(ValueError, match="at most one of generator, seeds and latents"):
        run(generator=torch.Generator(), seeds=[0])


def test_step_callback_runs_once_per_step_and_can_replace_latents(pipeline):
    calls = []

    def callback(pipe, step, timestep, tensors):
        calls.append((step, int(timestep), tuple(tensors["latents"].shape), tensors["prompt_embeds"].shape[0]))
        return {"latents": torch.zeros_like(tensors["latents"])} if step == 2 else {}

    out = pipeline(
        "a cat",
        seeds=[1],
        output_type="latent",
        callback_on_step_end=callback,
        callback_on_step_end_tensor_inputs=["latents", "prompt_embeds"],
        **FAST_KWARGS,
    )
    assert [step for step, *_ in calls] == [0, 1, 2]
    assert [timestep for _, timestep, *_ in calls] == pipeline.scheduler.timesteps.tolist()
    assert calls[0][2:] == ((1, 4, 4, 8, 12), 1)
    assert torch.equal(out.frames, torch.zeros(1, 4, 4, 8, 12))


def test_step_callback_can_stop_early(pipeline):
    steps = []

    def stop_after_two(pipe, step, timestep, tensors):
        steps.append(step)
        pipe._interrupt = step == 1
        return {}

    stopped = pipeline("a cat", seeds=[1], output_type="latent", callback_on_step_end=stop_after_two, **FAST_KWARGS)
    assert steps == [0, 1]
    full = pipeline("a cat", seeds=[1], output_type="latent", **FAST_KWARGS)
    assert not torch.equal(stopped.frames, full.frames)
    assert not pipeline.interrupt  # the next call starts afresh
    with pytest.raises(ValueError, match="callback_on_step_end_tensor_inputs"):
        pipeline("a cat", callback_on_step_end=stop_after_two, callback_on_step_end_tensor_inputs=["noise"])


def test_a_too_long_prompt_is_cut_with_a_warning(pipeline, caplog):
    words = "a small grey cat sleeping " * 16 + "under a purple umbrella"
    with caplog.at_level(logging.WARNING, logger="simda"):
        pipeline.encode_prompts(["short", words])
    (record,) = caplog.records
    tokens = len(pipeline.tokenizer(words, verbose=False).input_ids)  # 84 words and the two ends
    assert tokens == 86 and "prompt 1 has 86 tokens but the text encoder reads 77" in record.getMessage()
    assert record.getMessage().endswith("cut from its end: 'a small grey cat sleeping under a purple umbrella'")


def test_from_pretrained_loads_a_folder_and_its_adapters(pipeline, tiny_sd_folder, tmp_path):
    folder = save_adapters(pipeline.unet, tmp_path / "adapters")
    loaded = SimDAPipeline.from_pretrained(tiny_sd_folder, adapters=folder).to("cpu")
    loaded.set_progress_bar_config(disable=True)
    assert loaded.device.type == "cpu" and isinstance(loaded.unet, SimDAUNet)
    assert np.array_equal(loaded.generate(["a cat"], [3], FAST), pipeline.generate(["a cat"], [3], FAST))
    same = SimDAPipeline(**loaded.components)
    assert same.unet is loaded.unet
    with pytest.raises(FileNotFoundError, match="not a saved SimDA pipeline or a Stable Diffusion folder"):
        SimDAPipeline.from_pretrained(tmp_path, adapters=folder)


def test_vae_slicing_decodes_the_same_frames(pipeline):
    latents = pipeline("a cat", seeds=[2], output_type="latent", **FAST_KWARGS).frames
    whole = pipeline.decode(latents)
    pipeline.enable_vae_slicing()
    try:
        sliced = pipeline.decode(latents)
    finally:
        pipeline.disable_vae_slicing()
    assert np.abs(whole.astype(int) - sliced.astype(int)).max() <= 1


def test_import_simda_is_cheap_and_exports_the_pipeline():
    code = "import simda, sys; assert 'torch' not in sys.modules, 'torch'; print(sorted(simda.__all__))"
    listed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "SimDAPipeline" in listed and "SimDAAdapters" in listed
    import simda

    assert simda.SimDAPipeline is SimDAPipeline


def test_encode_then_decode_keeps_the_layout(pipeline):
    frames = np.random.default_rng(0).integers(0, 255, (2, 3, 32, 48, 3), dtype=np.uint8)
    latents = pipeline.encode_video(torch.from_numpy(frames))
    assert latents.shape == (2, 4, 3, 8, 12)
    assert pipeline.decode(latents).shape == frames.shape


def test_generate_command_writes_an_mp4_that_decord_reads(tmp_path, no_network):
    argv = ["--preset", "tiny", "--prompt", "a panda surfing", "--steps", "4", "--output-dir", str(tmp_path)]
    assert generate.main(argv) == 0
    out = tmp_path / "000-a-panda-surfing.mp4"
    assert out.with_suffix(".gif").stat().st_size > 0
    video = decord.VideoReader(str(out))
    assert len(video) == 16 and video[0].shape == (32, 32, 3)


def test_generate_names_the_flag_for_a_missing_checkpoint(tmp_path, capsys):
    assert generate.main(["--preset", "tiny", "--prompt", "x", "--ckpt", str(tmp_path / "none.safetensors")]) == 2
    assert "--ckpt" in capsys.readouterr().err
