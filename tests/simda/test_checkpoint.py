from __future__ import annotations

import copy
import json

import pytest
import torch

from simda.base import TINY_UNET
from simda.checkpoint import checkpoint_simda_config, config_path, load_adapters, save_adapters
from simda.config import SimDAConfig
from simda.video_unet import SimDAUNet
from tests.simda.test_video_unet import perturb_adapters


def test_adapters_round_trip_exactly(tiny_base, tmp_path):
    config = SimDAConfig(lsa_form="code")
    trained = SimDAUNet(copy.deepcopy(tiny_base.unet), config)
    perturb_adapters(trained, seed=3)
    path = save_adapters(trained, tmp_path / "adapters.safetensors")
    assert checkpoint_simda_config(path) == config
    fresh = SimDAUNet(copy.deepcopy(tiny_base.unet), checkpoint_simda_config(path))
    load_adapters(fresh, path)
    for (name, a), (_, b) in zip(trained.adapter_named_parameters(), fresh.adapter_named_parameters(), strict=True):
        assert torch.equal(a, b), name


def test_loading_onto_a_different_base_names_the_tensors(tiny_base, tmp_path):
    from diffusers import UNet2DConditionModel

    path = save_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet)), tmp_path / "a.safetensors")
    wider = UNet2DConditionModel(**{**TINY_UNET, "block_out_channels": [48, 64]})
    with pytest.raises(ValueError, match=r"does not fit this base model.*shape mismatches \['down_blocks"):
        load_adapters(SimDAUNet(wider), path)


def test_config_mismatch_and_foreign_files_are_refused(tiny_base, tmp_path):
    path = save_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet)), tmp_path / "a.safetensors")
    with pytest.raises(ValueError, match="was trained with"):
        load_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet), SimDAConfig().without("ta")), path)
    foreign = tmp_path / "foreign.safetensors"
    foreign.write_bytes(b"not a safetensors file")
    config_path(foreign).write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ValueError, match="not a SimDA adapter config"):
        load_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet)), foreign)
    with pytest.raises(FileNotFoundError, match="--ckpt"):
        load_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet)), tmp_path / "missing.safetensors")


def test_corrupt_weights_file_is_refused_with_its_name(tiny_base, tmp_path):
    path = save_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet)), tmp_path / "a.safetensors")
    path.write_bytes(b"truncated")
    with pytest.raises(ValueError, match=r"a\.safetensors is not a readable safetensors file"):
        load_adapters(SimDAUNet(copy.deepcopy(tiny_base.unet)), path)
