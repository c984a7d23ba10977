"""The SimDA x4 upscaler: where its parts go, what zero-init promises, the SR pipeline and its checks."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler

from simda.model.base import build_tiny
from simda.model.checkpoint import load_adapter_checkpoint, load_adapters, save_adapters
from simda.model.config import SimDAConfig
from simda.model.latent_shift import LatentShiftAttnProcessor
from simda.model.params import parameter_report
from simda.model.video_unet import AdaptedSelfAttention, FeedForwardWithAdapter, SimDAUNet, VideoTransformer
from simda.pipeline import GenerationSettings, SimDAPipeline
from simda.settings import UpscaleSettings
from simda.sr.pipeline import SimDAUpscalePipeline, generate_two_stage, upscaler_model
from simda.sr.upscaler import UPSCALER_SUBFOLDERS, build_x4_upscaler, load_upscaler
from tests.simda.test_video_unet import perturb_adapters

FAST = UpscaleSettings(num_frames=3, height=8, width=12, num_inference_steps=2, noise_level=30)


def random_low_res(settings: UpscaleSettings, clips: int = 1, seed: int = 0) -> np.ndarray:
    generator = np.random.default_rng(seed)
    shape = (clips, settings.num_frames, settings.height, settings.width, 3)
    return generator.integers(0, 256, shape, dtype=np.uint8)


def upscaler_pipeline(base, **kwargs) -> SimDAUpscalePipeline:
    model = SimDAUNet(copy.deepcopy(base.unet)).eval()
    perturb_adapters(model, seed=5)  # trained-looking adapters, so frames really interact
    return SimDAUpscalePipeline.from_upscaler(model, base, **kwargs)


def test_only_self_attention_gets_latent_shift_and_the_attention_adapter(tiny_upscaler_unet):
    model = SimDAUNet(tiny_upscaler_unet)
    transformers = [m for m in model.unet.modules() if isinstance(m, VideoTransformer)]
    assert transformers and all(t.temporal_adapter is not None for t in transformers)
    seen = set()
    for transformer in transformers:
        for block in transformer.transformer.transformer_blocks:
            seen.add(block.only_cross_attention)
            assert isinstance(block.ff, FeedForwardWithAdapter)
            if block.only_cross_attention:  # attn1 attends to the text here
                assert not isinstance(block.attn1, AdaptedSelfAttention)
                assert not isinstance(block.attn1.processor, LatentShiftAttnProcessor)
            else:
                assert isinstance(block.attn1, AdaptedSelfAttention)
                assert isinstance(block.attn1.attention.processor, LatentShiftAttnProcessor)
    assert seen == {True, False}, "the tiny upscaler must hold both kinds of block, as the real one does"


def test_adapter_count_at_the_released_upscalers_size():
    base = build_x4_upscaler(device="meta")
    rows = {row.component: row for row in parameter_report(base, SimDAUNet(base.unet))}
    assert rows["unet"].total == 473_398_020 and rows["unet"].trainable == 0
    assert rows["adapters"].total == rows["adapters"].trainable == 16_576_256


@torch.no_grad()
def test_zero_adapters_without_lsa_and_per_frame_norm_equal_the_image_upscaler(tiny_upscaler_unet):
    reference = copy.deepcopy(tiny_upscaler_unet)
    model = SimDAUNet(tiny_upscaler_unet, SimDAConfig(latent_shift=False, clip_groupnorm=False)).eval()
    generator = torch.Generator().manual_seed(0)
    latents = torch.randn(2, 4, 3, 8, 12, generator=generator)
    low_res = torch.randn(2, 3, 3, 8, 12, generator=generator)
    context, levels = torch.randn(2, 77, 32, generator=generator), torch.tensor([20, 300])
    sample = torch.cat([latents, low_res], dim=1)
    frames = [reference(sample[:, :, i], 400, context, class_labels=levels).sample for i in range(sample.shape[2])]
    expected = torch.stack(frames, dim=2)
    actual = model(sample, 400, context, class_labels=levels)
    assert actual.shape == latents.shape
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(actual, model(sample, 400, context, class_labels=levels.flip(0)))


def test_output_is_four_times_larger_with_the_frame_count_kept(tiny_upscaler):
    pipeline = upscaler_pipeline(tiny_upscaler)
    result = pipeline(["a red car", "a dog"], random_low_res(FAST, clips=2), [1, 2], FAST)
    assert result.video.shape == (2, 3, 32, 48, 3) and result.video.dtype == np.uint8
    other_input = pipeline(["a red car", "a dog"], random_low_res(FAST, clips=2, seed=1), [1, 2], FAST)
    assert not np.array_equal(result.video, other_input.video), "the low-resolution frames must condition the output"
    assert pipeline.scheduler.config.prediction_type == "v_prediction"


def test_a_ddpm_upscaler_samples_with_ddpm_and_each_clip_keeps_its_own_noise(tiny_upscaler):
    ddpm_base = copy.copy(tiny_upscaler)
    ddpm_base.scheduler = DDPMScheduler.from_config(tiny_upscaler.scheduler.config)
    pipeline = upscaler_pipeline(ddpm_base)
    assert isinstance(pipeline.scheduler, DDPMScheduler)
    low_res = random_low_res(FAST, clips=2)
    together = pipeline(["a red car", "a dog"], low_res, [5, 6], FAST).video
    alone = pipeline(["a dog"], low_res[1:], [6], FAST).video
    assert np.abs(together[1].astype(int) - alone[0].astype(int)).max() <= 1
    assert not np.array_equal(together, pipeline(["a red car", "a dog"], low_res, [5, 7], FAST).video)


def test_chunking_splits_clips_and_frames_but_not_the_result(tiny_upscaler):
    whole = upscaler_pipeline(tiny_upscaler)
    chunked = upscaler_pipeline(tiny_upscaler, unet_chunk_size=1, decode_chunk_size=2)
    low_res = random_low_res(FAST, clips=2)
    expected = whole(["a", "b"], low_res, [3, 4], FAST)
    result = chunked(["a", "b"], low_res, [3, 4], FAST)
    assert result.plan.unet_calls_per_step == 4 and result.plan.clips_per_unet_call == 1
    assert expected.plan.unet_calls_per_step == 1 and result.plan.frames_per_decode == 2
    assert "never split in time" in result.plan.describe()
    assert np.abs(result.video.astype(int) - expected.video.astype(int)).max() <= 1


def test_bad_low_res_input_is_refused_before_work(tiny_upscaler):
    pipeline = upscaler_pipeline(tiny_upscaler)
    low_res = random_low_res(FAST)
    with pytest.raises(ValueError, match=r"expected uint8 \(1, 3, 8, 12, 3\)"):
        pipeline(["a"], low_res[:, :2], [0], FAST)  # wrong frame count
    with pytest.raises(ValueError, match=r"expected uint8"):
        pipeline(["a"], low_res[:, :, :4], [0], FAST)  # wrong size
    with pytest.raises(ValueError, match=r"expected uint8"):
        pipeline(["a"], low_res.astype(np.float32), [0], FAST)
    with pytest.raises(ValueError, match="--sr-noise-level 351: must lie between 0 and 350"):
        UpscaleSettings(noise_level=351)
    pipeline.max_noise_level = 100  # a fine-tune whose model_index.json allows less than the released 350
    with pytest.raises(ValueError, match="exceeds its maximum 100"):
        pipeline(["a"], low_res, [0], UpscaleSettings(**{**FAST.as_params(), "noise_level": 101}))
    with pytest.raises(ValueError, match="multiple of 4"):
        pipeline.check(UpscaleSettings(height=10, width=12))
    with pytest.raises(ValueError, match="--sr-guidance-scale nan"):
        UpscaleSettings(guidance_scale=float("nan"))


def test_two_stages_make_a_four_times_larger_video_from_text(tiny_base, tiny_upscaler):
    first = SimDAPipeline.from_base(tiny_base, SimDAUNet(copy.deepcopy(tiny_base.unet)).eval())
    settings = GenerationSettings(num_frames=3, height=32, width=32, num_inference_steps=2)
    sr_settings = UpscaleSettings(num_frames=3, height=32, width=32, num_inference_steps=2)
    result = generate_two_stage(first, upscaler_pipeline(tiny_upscaler), ["a cat"], [7], settings, sr_settings)
    assert result.video.shape == (1, 3, 128, 128, 3)


def test_two_stages_that_disagree_are_refused_before_the_first_stage(tiny_upscaler):
    class FirstStageThatMustNotRun:
        def __call__(self, *args: object) -> None:
            raise AssertionError("the first stage ran before the settings were checked")

    settings = GenerationSettings(num_frames=4, height=32, width=32)
    with pytest.raises(ValueError, match=r"makes \(4, 32, 32\).*set for \(3, 32, 32\)"):
        generate_two_stage(
            FirstStageThatMustNotRun(),
            upscaler_pipeline(tiny_upscaler),
            ["a"],
            [0],
            settings,
            UpscaleSettings(num_frames=3, height=32, width=32),
        )


def test_checkpoints_say_which_stage_they_belong_to(tiny_base, tiny_upscaler, tmp_path):
    sr_model = SimDAUNet(copy.deepcopy(tiny_upscaler.unet))
    perturb_adapters(sr_model, seed=2)
    sr_path = save_adapters(sr_model, tmp_path / "sr")
    assert load_adapter_checkpoint(sr_path).base_kind == "x4-upscaler"
    fresh = SimDAUNet(copy.deepcopy(tiny_upscaler.unet))
    load_adapters(fresh, sr_path)
    for (name, a), (_, b) in zip(sr_model.adapter_named_parameters(), fresh.adapter_named_parameters(), strict=True):
        assert torch.equal(a, b), name
    t2v_path = save_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet)), tmp_path / "t2v")
    with pytest.raises(ValueError, match="text-to-video base.*pass it as --ckpt"):
        load_adapters(SimDAUNet(copy.deepcopy(tiny_upscaler.unet)), t2v_path)
    with pytest.raises(ValueError, match="x4-upscaler base.*pass it as --sr-ckpt"):
        load_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet)), sr_path)


def test_upscaler_model_takes_its_config_from_an_sr_checkpoint_and_refuses_others(tiny_base, tiny_upscaler, tmp_path):
    trained = SimDAUNet(copy.deepcopy(tiny_upscaler.unet), SimDAConfig(lsa_form="code").without("fa"))
    perturb_adapters(trained, seed=4)
    sr_path = save_adapters(trained, tmp_path / "sr")
    base = copy.copy(tiny_upscaler)
    base.unet = copy.deepcopy(tiny_upscaler.unet)
    model = upscaler_model(base, sr_path)
    assert model.config == trained.config and not model.training
    for (name, a), (_, b) in zip(trained.adapter_named_parameters(), model.adapter_named_parameters(), strict=True):
        assert torch.equal(a, b), name
    t2v_path = save_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet)), tmp_path / "t2v")
    untouched = copy.copy(tiny_upscaler)
    untouched.unet = copy.deepcopy(tiny_upscaler.unet)
    with pytest.raises(ValueError, match="text-to-video base"):
        upscaler_model(untouched, t2v_path)
    assert not any(isinstance(m, VideoTransformer) for m in untouched.unet.modules()), "refused after adapting"
    with pytest.raises(FileNotFoundError, match="--sr-ckpt"):
        upscaler_model(untouched, tmp_path / "missing")


def save_upscaler(base, folder) -> None:
    for name in UPSCALER_SUBFOLDERS:
        getattr(base, name).save_pretrained(folder / name)
    (folder / "model_index.json").write_text(json.dumps({"max_noise_level": 250}))


def test_a_saved_upscaler_folder_loads_back_offline(tiny_upscaler, tmp_path, no_network):
    save_upscaler(tiny_upscaler, tmp_path)
    loaded = load_upscaler(tmp_path)
    assert not loaded.random_weights and loaded.identity() == tiny_upscaler.identity()
    assert loaded.max_noise_level == 250 and loaded.scheduler.config.prediction_type == "v_prediction"
    assert loaded.vae.config.scaling_factor == pytest.approx(0.08333)
    for (key, a), (_, b) in zip(tiny_upscaler.unet.state_dict().items(), loaded.unet.state_dict().items(), strict=True):
        assert torch.equal(a, b), key


def test_a_folder_that_is_not_an_upscaler_is_refused_before_loading(tiny_upscaler, tmp_path):
    (tmp_path / "unet").mkdir()
    with pytest.raises(FileNotFoundError, match=r"missing \['vae', .*'low_res_scheduler'\].*--sr-base"):
        load_upscaler(tmp_path)
    sd = tmp_path / "sd"
    save_upscaler(tiny_upscaler, sd)
    build_tiny().unet.save_pretrained(sd / "unet")  # a text-to-image UNet where the upscaler's belongs
    with pytest.raises(ValueError, match="not a latent upscaler's.*in_channels 4.*num_class_embeds"):
        load_upscaler(sd)
