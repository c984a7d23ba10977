"""SimDA as a diffusers user meets it: save and reload by both loaders, offload, AnimateDiff's call
arguments, Hub ids from a local cache, defaults, and mp4 export of ``.frames``."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import decord
import numpy as np
import pytest
import torch
from diffusers import DiffusionPipeline, UNet2DConditionModel
from diffusers.models.attention_processor import AttnProcessor2_0
from PIL import Image

from simda import export_to_video, generate
from simda.model.base import TINY_UNET
from simda.model.checkpoint import load_adapter_checkpoint, save_adapters
from simda.model.config import SimDAConfig
from simda.model.video_unet import SimDAUNet
from simda.pipeline import GenerationSettings, SimDAPipeline
from simda.plumbing.errors import MissingInput
from tests.simda.test_video_unet import perturb_adapters

FAST = GenerationSettings(num_frames=3, height=32, width=32, num_inference_steps=2)
CALL = {"num_frames": 3, "height": 32, "width": 32, "num_inference_steps": 2}
SNAPSHOT = "0123456789abcdef0123456789abcdef01234567"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pipeline(tiny_base) -> SimDAPipeline:
    """Trained-looking adapters with a non-default LSA form, so a lost config or weight shows."""
    model = SimDAUNet(copy.deepcopy(tiny_base.unet), SimDAConfig(lsa_form="code")).eval()
    perturb_adapters(model, seed=5)
    pipe = SimDAPipeline.from_base(tiny_base, model)
    pipe.set_progress_bar_config(disable=True)
    return pipe


@pytest.fixture(scope="module")
def saved(pipeline, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("saved") / "simda-tiny"
    pipeline.save_pretrained(folder)
    return folder


def quiet(pipe: SimDAPipeline) -> SimDAPipeline:
    pipe.set_progress_bar_config(disable=True)
    return pipe


def hub_cache(root: Path, repos: dict[str, Path]) -> Path:
    """A Hugging Face hub cache (``models--owner--name/snapshots/<commit>`` + ``refs/main``) holding ``repos``."""
    for repo_id, folder in repos.items():
        repo = root / f"models--{repo_id.replace('/', '--')}"
        shutil.copytree(folder, repo / "snapshots" / SNAPSHOT)
        (repo / "refs").mkdir()
        (repo / "refs" / "main").write_text(SNAPSHOT)
    return root


def test_the_unadapted_base_is_the_original_unet_sharing_its_tensors(pipeline, tiny_base):
    base = pipeline.unet.unadapted()
    original = tiny_base.unet.state_dict()
    tensors = base.state_dict()
    assert isinstance(base, UNet2DConditionModel) and tensors.keys() == original.keys()
    assert all(torch.equal(tensors[name], original[name]) for name in original)
    shared = dict(pipeline.unet.unet.named_parameters())["conv_in.weight"]
    assert tensors["conv_in.weight"].data_ptr() == shared.data_ptr()


def test_save_pretrained_writes_the_base_and_the_adapters_as_model_folders(pipeline, saved):
    index = json.loads((saved / "model_index.json").read_text())
    assert index["unet"] == ["diffusers", "UNet2DConditionModel"]
    assert index["adapters"] == ["simda.model.checkpoint", "SimDAAdapters"]
    assert index["_class_name"] == ["simda_pipeline", "SimDAPipeline"] and (saved / "simda_pipeline.py").is_file()
    adapters = load_adapter_checkpoint(saved / "adapters")
    assert adapters.simda_config == pipeline.unet.config
    expected = pipeline.unet.adapter_state_dict()
    assert all(torch.equal(tensor, expected[name]) for name, tensor in adapters.state_dict().items())
    unet = UNet2DConditionModel.from_pretrained(saved / "unet")  # diffusers' own class reads the base
    base = pipeline.unet.base_state_dict()
    assert all(torch.equal(tensor, base[name]) for name, tensor in unet.state_dict().items())
    assert pipeline.config["adapters"] == (None, None) and isinstance(pipeline.unet, SimDAUNet)  # restored
    assert sorted(pipeline.components) == ["adapters", "scheduler", "text_encoder", "tokenizer", "unet", "vae"]


def test_both_loaders_give_the_same_frames_bit_for_bit(pipeline, saved):
    expected = pipeline.generate(["a cat"], [3], FAST)
    ours = quiet(SimDAPipeline.from_pretrained(saved))
    theirs = quiet(DiffusionPipeline.from_pretrained(saved, trust_remote_code=True))
    for loaded in (ours, theirs):
        assert type(loaded) is SimDAPipeline and loaded.unet.config == pipeline.unet.config
        assert np.array_equal(loaded.generate(["a cat"], [3], FAST), expected)
    with pytest.raises(ValueError, match="trust_remote_code"):
        DiffusionPipeline.from_pretrained(saved)  # diffusers runs no code from a folder unasked


def test_adapters_given_to_from_pretrained_replace_the_saved_ones(saved, tiny_base, tmp_path):
    other = SimDAUNet(copy.deepcopy(tiny_base.unet), SimDAConfig(lsa_form="code")).eval()
    perturb_adapters(other, seed=9)
    loaded = SimDAPipeline.from_pretrained(
        saved, motion_adapter=load_adapter_checkpoint(save_adapters(other, tmp_path / "other"))
    )
    expected = other.adapter_state_dict()
    assert all(torch.equal(tensor, expected[name]) for name, tensor in loaded.unet.adapter_state_dict().items())
    with pytest.raises(FileNotFoundError, match=r"^adapters .*missing: adapter checkpoint not found"):
        SimDAPipeline.from_pretrained(saved, adapters=tmp_path / "missing")


SEQUENTIAL_ON_CPU = (
    "diffusers offloads to cpu:0 when no GPU is there, and accelerate 1.15 then fails on any model "
    "(Parameter.new() ... requires_grad, also for a bare CLIPTextModel), so this runs where CUDA is"
)


@pytest.mark.slow
@pytest.mark.parametrize(
    "offload",
    [
        "enable_model_cpu_offload",
        pytest.param(
            "enable_sequential_cpu_offload",
            marks=pytest.mark.skipif(not torch.cuda.is_available(), reason=SEQUENTIAL_ON_CPU),
        ),
    ],
)
def test_cpu_offload_gives_the_same_frames(saved, offload):
    """Offloading to the GPU when there is one, else (model offload) onto the CPU itself through the same hooks."""
    pipe = quiet(SimDAPipeline.from_pretrained(saved))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    expected = pipe.to(device)("a cat", seeds=[1], output_type="np", **CALL).frames
    pipe.to("cpu")
    getattr(pipe, offload)(device=device)
    assert hasattr(pipe.unet, "_hf_hook") or any(hasattr(m, "_hf_hook") for m in pipe.unet.modules())
    assert np.array_equal(pipe("a cat", seeds=[1], output_type="np", **CALL).frames, expected)


def test_num_videos_per_prompt_and_one_seed_per_video(pipeline):
    one_step = {**CALL, "num_inference_steps": 1}
    videos = pipeline(["a cat", "a dog"], num_videos_per_prompt=2, seeds=[1, 2, 3, 4], output_type="np", **one_step)
    alone = pipeline("a dog", seeds=[3], output_type="np", **one_step).frames
    assert videos.frames.shape == (4, 3, 32, 32, 3)
    assert np.abs(videos.frames[2] - alone[0]).max() <= 1 / 255  # a prompt's videos sit next to each other
    with pytest.raises(ValueError, match=r"give one seed per video \(prompts x num_videos_per_prompt = 4\)"):
        pipeline(["a cat", "a dog"], num_videos_per_prompt=2, seeds=[1, 2], **CALL)


def test_prompt_embeds_give_the_same_video_as_the_prompt(pipeline):
    by_text = pipeline("a cat", negative_prompt="blurry", seeds=[1], output_type="latent", **CALL).frames
    embeds = pipeline.encode_prompts(["a cat"])
    by_embeds = pipeline(
        prompt_embeds=embeds,
        negative_prompt_embeds=pipeline.encode_prompts(["blurry"]),
        seeds=[1],
        output_type="latent",
        **CALL,
    ).frames
    assert torch.equal(by_text, by_embeds)
    with pytest.raises(ValueError, match="exactly one of prompt and prompt_embeds"):
        pipeline("a cat", prompt_embeds=embeds, **CALL)
    with pytest.raises(ValueError, match="negative_prompt_embeds must be shaped like prompt_embeds"):
        pipeline(prompt_embeds=embeds, negative_prompt_embeds=embeds[:, :5], **CALL)


def test_clip_skip_takes_an_earlier_text_layer(pipeline):
    assert torch.equal(pipeline.encode_prompts(["a cat"], clip_skip=0), pipeline.encode_prompts(["a cat"]))
    assert not torch.equal(pipeline.encode_prompts(["a cat"], clip_skip=1), pipeline.encode_prompts(["a cat"]))
    usual = pipeline("a cat", seeds=[1], output_type="latent", **CALL).frames
    skipped = pipeline("a cat", seeds=[1], output_type="latent", clip_skip=1, **CALL).frames
    assert not torch.equal(usual, skipped)
    with pytest.raises(ValueError, match="clip_skip must lie in 0..1"):
        pipeline("a cat", clip_skip=2, **CALL)


def test_decode_chunk_size_is_a_call_argument(pipeline):
    whole = pipeline("a cat", seeds=[2], output_type="np", **CALL).frames
    framewise = pipeline("a cat", seeds=[2], output_type="np", decode_chunk_size=1, **CALL).frames
    assert np.abs(whole - framewise).max() <= 1e-5
    with pytest.raises(ValueError, match="decode_chunk_size must be a positive number of frames"):
        pipeline("a cat", decode_chunk_size=0, **CALL)


class ProbeProcessor(AttnProcessor2_0):
    """diffusers' attention, recording the ``probe`` it is handed through ``cross_attention_kwargs``."""

    def __init__(self, seen: list) -> None:
        super().__init__()
        self.seen = seen

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, probe=None):
        self.seen.append(probe)
        return super().__call__(attn, hidden_states, encoder_hidden_states, attention_mask, temb)


def test_cross_attention_kwargs_reach_the_attention_processors(pipeline):
    unet = pipeline.unet.unet
    processors = unet.attn_processors
    seen: list = []
    probed = {name: ProbeProcessor(seen) if ".attn2." in name else proc for name, proc in processors.items()}
    unet.set_attn_processor(probed)
    try:
        pipeline("a cat", seeds=[1], output_type="latent", cross_attention_kwargs={"probe": "here"}, **CALL)
    finally:
        unet.set_attn_processor(processors)
    assert seen and set(seen) == {"here"}


@pytest.mark.parametrize(
    ("argument", "reason"),
    [
        ("ip_adapter_image", "no IP-Adapter image projection"),
        ("ip_adapter_image_embeds", "no IP-Adapter image projection"),
        ("callback_steps", "callback_on_step_end"),
    ],
)
def test_animatediff_arguments_simda_cannot_honour_are_refused_with_the_reason(pipeline, argument, reason):
    with pytest.raises(ValueError, match=f"{argument} is not supported: .*{reason}"):
        pipeline("a cat", **{argument: object()}, **CALL)
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['num_image'\]"):
        pipeline("a cat", num_image=2, **CALL)


def test_defaults_come_from_the_settings_module_and_the_model(pipeline):
    defaults, paper = pipeline.default_settings(), GenerationSettings()
    natural = TINY_UNET["sample_size"] * pipeline.vae_scale_factor
    assert (defaults.height, defaults.width) == (natural, natural) != (paper.height, paper.width)
    assert defaults.as_params() | {"height": paper.height, "width": paper.width} == paper.as_params()
    latents = pipeline("a cat", num_frames=2, num_inference_steps=1, output_type="latent").frames
    assert latents.shape[-2:] == (TINY_UNET["sample_size"], TINY_UNET["sample_size"])


@pytest.mark.slow
def test_generate_and_call_share_their_defaults(pipeline):
    harness = pipeline.generate(["a cat"], [0])
    called = pipeline("a cat", seeds=[0], output_type="np").frames
    assert np.array_equal((called * 255).round().astype(np.uint8), harness)


@pytest.mark.slow
def test_a_hub_id_loads_from_the_local_cache_offline(pipeline, saved, tiny_sd_folder, tmp_path):
    cache = hub_cache(tmp_path / "hub", {"simda-test/tiny-simda": saved, "simda-test/tiny-sd": tiny_sd_folder})
    expected = pipeline.generate(["a cat"], [3], FAST)
    saved_by_id = quiet(SimDAPipeline.from_pretrained("simda-test/tiny-simda", cache_dir=cache))
    base_by_id = quiet(
        SimDAPipeline.from_pretrained("simda-test/tiny-sd", adapters=saved / "adapters", cache_dir=cache)
    )
    for loaded in (saved_by_id, base_by_id):
        assert np.array_equal(loaded.generate(["a cat"], [3], FAST), expected)


def test_a_hub_id_missing_from_the_cache_is_refused_naming_the_argument(saved, tmp_path):
    cache = hub_cache(tmp_path / "hub", {"simda-test/tiny-simda": saved})
    refusal = r"^pretrained_model_name_or_path simda-test/absent: .* local Hugging Face cache .*`hf download"
    with pytest.raises(MissingInput, match=refusal):
        SimDAPipeline.from_pretrained("simda-test/absent", cache_dir=cache)


def test_commands_name_their_flag_for_a_hub_id_not_in_the_cache(capsys):
    assert generate.main(["--base", "simda-test/absent", "--prompt", "a cat"]) == 2
    assert "error: --base simda-test/absent: no such folder" in capsys.readouterr().err


def test_frames_export_to_an_mp4_in_every_output_type(pipeline, tmp_path):
    """One clip in each of the pipeline's output types (pil, np, pt, and the harness's uint8) gives one mp4."""
    floats = pipeline("a cat", seeds=[1], output_type="np", **CALL).frames[0]
    as_uint8 = (floats * 255).round().astype(np.uint8)
    clips = {
        "np": floats,
        "pt": torch.from_numpy(floats).permute(0, 3, 1, 2),
        "pil": [Image.fromarray(frame) for frame in as_uint8],
        "uint8": as_uint8,
    }
    for kind, clip in clips.items():
        path = export_to_video(clip, tmp_path / f"{kind}.mp4", fps=8)
        assert path == str(tmp_path / f"{kind}.mp4")
    assert len({(tmp_path / f"{kind}.mp4").read_bytes() for kind in clips}) == 1
    video = decord.VideoReader(str(tmp_path / "np.mp4"))
    assert len(video) == 3 and video[0].shape == (32, 32, 3)


@pytest.mark.slow
def test_the_animatediff_documentation_example_runs_with_simda(pipeline, tiny_sd_folder, tmp_path):
    """From outside: diffusers' AnimateDiff example with SimDA's class names, offline, Hub ids in a temporary cache."""
    adapters = save_adapters(pipeline.unet, tmp_path / "adapters")
    repos = {"simda-test/tiny-adapters": adapters, "simda-test/tiny-sd": tiny_sd_folder}
    cache = hub_cache(tmp_path / "hf" / "hub", repos)
    env = {
        **os.environ,
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_CACHE": str(cache),
        "HF_HUB_OFFLINE": "1",
        "SIMDA_ADAPTERS": "simda-test/tiny-adapters",
        "SIMDA_BASE": "simda-test/tiny-sd",
        "PYTHONPATH": str(REPO),
    }
    out = tmp_path / "out"
    out.mkdir()
    run = subprocess.run(
        [sys.executable, str(REPO / "examples" / "animatediff_example.py")],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    natural = TINY_UNET["sample_size"] * pipeline.vae_scale_factor
    with Image.open(out / "animation.gif") as gif:
        assert gif.n_frames == 16 and gif.size == (natural, natural)
    video = decord.VideoReader(str(out / "animation.mp4"))
    assert len(video) == 16 and video[0].shape == (natural, natural, 3)
