from __future__ import annotations

import copy
import json

import pytest
import torch
from diffusers import ModelMixin, UNet2DConditionModel

from simda.model.base import SD15_UNET, TINY_UNET
from simda.model.checkpoint import (
    WEIGHTS_NAME,
    SimDAAdapters,
    legacy_config_path,
    load_adapter_checkpoint,
    load_adapters,
    save_adapters,
)
from simda.model.config import SimDAConfig
from simda.model.video_unet import SimDAUNet
from tests.simda.conftest import random_clip, random_context
from tests.simda.legacy_checkpoint import save_legacy_adapters
from tests.simda.test_video_unet import perturb_adapters


@pytest.fixture()
def trained(tiny_base) -> SimDAUNet:
    model = SimDAUNet(copy.deepcopy(tiny_base.unet), SimDAConfig(lsa_form="code")).eval()
    perturb_adapters(model, seed=3)
    return model


def assert_same_adapters(a: SimDAUNet, b: SimDAUNet) -> None:
    for (name, x), (other, y) in zip(a.adapter_named_parameters(), b.adapter_named_parameters(), strict=True):
        assert name == other and x.dtype == y.dtype and torch.equal(x, y), name


def test_save_pretrained_then_from_pretrained_is_exact(trained, tiny_base, tmp_path):
    folder = save_adapters(trained, tmp_path / "adapters", {"step": 12})
    assert {p.name for p in folder.iterdir()} == {"config.json", WEIGHTS_NAME, "training_info.json"}
    config = json.loads((folder / "config.json").read_text())
    assert config["_class_name"] == "SimDAAdapters" and config["lsa_form"] == "code"
    adapters = SimDAAdapters.from_pretrained(folder)
    assert adapters.simda_config == trained.config
    assert adapters.state_dict().keys() == trained.adapter_state_dict().keys()
    rebuilt = adapters.attach(copy.deepcopy(tiny_base.unet))
    assert_same_adapters(trained, rebuilt)
    with torch.no_grad():
        clip, context = random_clip(), random_context()
        assert torch.equal(trained(clip, 500, context), rebuilt(clip, 500, context))


def test_diffusers_own_loader_reads_the_folder(trained, tmp_path):
    folder = save_adapters(trained, tmp_path / "adapters")
    config = SimDAAdapters.load_config(folder)
    again = SimDAAdapters.from_pretrained(folder, torch_dtype=torch.float16)
    assert isinstance(again, ModelMixin) and again.dtype == torch.float16
    assert SimDAAdapters.from_config(config).state_dict().keys() == again.state_dict().keys()


def test_a_legacy_single_file_checkpoint_still_loads(trained, tiny_base, tmp_path):
    path = save_legacy_adapters(trained, tmp_path / "old.safetensors")
    adapters = load_adapter_checkpoint(path)
    assert adapters.simda_config == trained.config
    assert_same_adapters(trained, adapters.attach(copy.deepcopy(tiny_base.unet)))
    into = SimDAUNet(copy.deepcopy(tiny_base.unet), trained.config)
    load_adapters(into, path)
    assert_same_adapters(trained, into)


def test_adapter_count_at_stable_diffusion_size_matches_the_paper_budget():
    adapters = SimDAAdapters(base_unet_config=SD15_UNET)
    assert sum(p.numel() for p in adapters.parameters()) == 24_855_680


def test_a_different_base_architecture_is_refused_by_name(trained, tmp_path):
    folder = save_adapters(trained, tmp_path / "adapters")
    wider = UNet2DConditionModel(**{**TINY_UNET, "block_out_channels": [48, 64]})
    refusal = r"do not fit this base model.*shape mismatches \['down_blocks.*differs in \['block_out_channels'\]"
    with pytest.raises(ValueError, match=refusal):
        load_adapter_checkpoint(folder).attach(wider)


def test_config_mismatch_and_foreign_files_are_refused(trained, tiny_base, tmp_path):
    folder = save_adapters(trained, tmp_path / "adapters")
    with pytest.raises(ValueError, match="were trained with"):
        load_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet), SimDAConfig()), folder)
    foreign = tmp_path / "foreign.safetensors"
    foreign.write_bytes(b"not a safetensors file")
    legacy_config_path(foreign).write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ValueError, match="not a SimDA adapter config"):
        load_adapter_checkpoint(foreign)
    with pytest.raises(FileNotFoundError, match="^--ckpt .*missing.safetensors: adapter checkpoint not found"):
        load_adapter_checkpoint(tmp_path / "missing.safetensors", "--ckpt")
    with pytest.raises(FileNotFoundError, match="not a SimDA adapter folder"):
        load_adapter_checkpoint(tmp_path)


def test_corrupt_legacy_weights_file_is_refused_with_its_name(trained, tmp_path):
    path = save_legacy_adapters(trained, tmp_path / "a.safetensors")
    path.write_bytes(b"truncated")
    with pytest.raises(ValueError, match=r"a\.safetensors is not a readable safetensors file"):
        load_adapter_checkpoint(path)
