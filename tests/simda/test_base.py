from __future__ import annotations

import pytest
import torch

from simda.model.base import build_clip_tokenizer, load_stable_diffusion


def test_a_saved_stable_diffusion_folder_loads_back_offline(tiny_base, tmp_path, no_network):
    for name in ("unet", "vae", "text_encoder", "tokenizer", "scheduler"):
        getattr(tiny_base, name).save_pretrained(tmp_path / name)
    loaded = load_stable_diffusion(tmp_path)
    assert not loaded.random_weights and loaded.identity() == tiny_base.identity()
    for name in ("unet", "vae", "text_encoder"):
        for (key, a), (_, b) in zip(
            getattr(tiny_base, name).state_dict().items(), getattr(loaded, name).state_dict().items(), strict=True
        ):
            assert torch.equal(a, b), f"{name}.{key}"
    assert all(not p.requires_grad for p in loaded.unet.parameters())
    assert loaded.tokenizer("a cat").input_ids == tiny_base.tokenizer("a cat").input_ids


def test_a_folder_missing_parts_names_them_and_the_flag(tmp_path):
    (tmp_path / "unet").mkdir()
    with pytest.raises(FileNotFoundError, match=r"missing \['vae', 'text_encoder', 'tokenizer', 'scheduler'\].*--base"):
        load_stable_diffusion(tmp_path, argument="--base")  # as the commands call it


def test_tokenizer_matches_open_clip_ids_and_pads_like_stable_diffusion():
    import open_clip

    tokenizer = build_clip_tokenizer()
    text = "A panda, playing guitar on a boat! 4k"
    ours = tokenizer(text, padding="max_length", max_length=77).input_ids
    reference = open_clip.get_tokenizer("ViT-B-32")([text])[0].tolist()
    length = reference.index(49407) + 1
    assert len(tokenizer) == 49408 and ours[:length] == reference[:length]
    assert set(ours[length:]) == {49407}, "Stable Diffusion 1.x pads with <|endoftext|>"
