import json

import numpy as np
import open_clip
import pytest
import torch
import torch.nn.functional as F
from open_clip.model import CLIP
from open_clip.transformer import QuickGELU
from PIL import Image

from metrics.clip import (
    TINY_CLIP_CONFIG,
    ClipScorer,
    ClipSimAccumulator,
    clip_config,
    clipsim_from_embeddings,
    frame_consistency_from_embeddings,
    random_clip,
    to_percent,
)

CAPTIONS = ["a red car on a road", "two dogs playing", "a bowl of soup"]


@pytest.fixture(scope="module")
def tiny_model() -> CLIP:
    return random_clip(0)


@pytest.fixture(scope="module")
def scorer(tiny_model) -> ClipScorer:
    return ClipScorer(tiny_model, open_clip.get_tokenizer("ViT-B-32"), batch_size=4)


def _videos(n=3, t=5, h=40, w=56, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, t, h, w, 3), dtype=np.uint8)


def test_a_frame_scores_one_against_itself(scorer):
    frame = _videos(n=1, t=1)[0, 0]
    emb = scorer.image_embeddings(np.stack([frame, frame, _videos(n=1, t=1, seed=1)[0, 0]]))
    assert emb.shape == (3, 16)
    torch.testing.assert_close(emb.norm(dim=1), torch.ones(3))
    assert float(emb[0] @ emb[1]) == pytest.approx(1.0, abs=1e-6)
    assert float(emb[0] @ emb[2]) < 0.9999


def test_static_video_is_perfectly_consistent(scorer):
    static = np.repeat(_videos(n=1, t=1)[0], 6, axis=0)
    assert to_percent(scorer.frame_consistency(static)) == pytest.approx(100.0, abs=1e-4)
    assert to_percent(scorer.frame_consistency(_videos(n=1)[0])) < 99.99


def test_frame_consistency_is_mean_over_ordered_pairs(scorer):
    video = _videos(n=1, t=4)[0]
    emb = scorer.image_embeddings(video).double()
    pairs = [float(emb[i] @ emb[j]) for i in range(4) for j in range(4) if i != j]
    assert scorer.frame_consistency(video) == pytest.approx(np.mean(pairs), rel=1e-12)
    with pytest.raises(ValueError, match="T >= 2"):
        scorer.frame_consistency(video[:1])


def test_clipsim_equals_manual_computation(scorer, tiny_model):
    videos = _videos()
    result = scorer.clipsim(videos, CAPTIONS)
    with torch.inference_mode():
        pixels = scorer.preprocess(torch.from_numpy(videos.reshape(-1, 40, 56, 3)))
        images = F.normalize(tiny_model.encode_image(pixels), dim=-1).reshape(3, 5, -1)
        texts = F.normalize(tiny_model.encode_text(open_clip.get_tokenizer("ViT-B-32")(CAPTIONS)), dim=-1)
    manual = np.array([float((images[i] @ texts[i]).mean()) for i in range(3)])
    np.testing.assert_allclose(result.per_video, manual, rtol=1e-5)
    assert result.mean == pytest.approx(manual.mean(), rel=1e-5)
    assert result.text_embeddings.shape == (3, 16) and result.image_embeddings[0].shape == (5, 16)
    with pytest.raises(ValueError, match="3 videos but 2 captions"):
        scorer.clipsim(videos, CAPTIONS[:2])


def test_numbers_do_not_depend_on_batch_size(tiny_model):
    tokenizer = open_clip.get_tokenizer("ViT-B-32")
    videos = _videos()
    one, many = (
        ClipScorer(tiny_model, tokenizer, batch_size=1),
        ClipScorer(tiny_model, tokenizer, batch_size=64),
    )
    np.testing.assert_allclose(
        one.clipsim(videos, CAPTIONS).per_video, many.clipsim(videos, CAPTIONS).per_video, rtol=1e-5
    )
    assert one.frame_consistency(videos[0]) == pytest.approx(many.frame_consistency(videos[0]), rel=1e-5)


def test_list_input_matches_array_input(scorer):
    videos = _videos()
    as_list = scorer.clipsim(list(videos), CAPTIONS).per_video
    np.testing.assert_allclose(as_list, scorer.clipsim(videos, CAPTIONS).per_video, rtol=1e-6)


def test_preprocess_matches_open_clip_transform_exactly(scorer):
    # open_clip's own eval transform (PIL bicubic resize of the short side + centre crop + normalise).
    transform = open_clip.image_transform(32, is_train=False)
    for h, w in ((45, 70), (70, 45), (200, 300), (32, 32)):  # landscape, portrait, downscaling, no resize
        frame = _videos(n=1, t=1, h=h, w=w)[0, 0]
        reference = transform(Image.fromarray(frame))
        ours = scorer.preprocess(torch.from_numpy(frame)[None])[0]
        assert ours.shape == reference.shape == (3, 32, 32)
        torch.testing.assert_close(ours, reference, rtol=0, atol=0)
    as_float = torch.from_numpy(frame).float() / 255  # [0, 1] floats are rounded back to the same uint8 pixels
    torch.testing.assert_close(scorer.preprocess(as_float[None])[0], reference, rtol=0, atol=0)


def test_video_scores_embed_once_and_match_the_separate_scores(scorer):
    video = _videos(n=1, t=4)[0]
    scores = scorer.video_scores(video, CAPTIONS[0])
    assert scores.image_embeddings.shape == (4, 16)
    assert scores.clipsim == pytest.approx(scorer.clipsim(video[None], CAPTIONS[:1]).mean, rel=1e-12)
    assert scores.consistency == pytest.approx(scorer.frame_consistency(video), rel=1e-12)
    saved = scores.image_embeddings.numpy()  # what a benchmark writes as <id>.clip.npy
    assert frame_consistency_from_embeddings(saved) == pytest.approx(scores.consistency, rel=1e-12)
    text = scorer.text_embeddings(CAPTIONS[:1])[0].numpy()
    assert clipsim_from_embeddings(saved, text) == pytest.approx(scores.clipsim, rel=1e-12)
    with pytest.raises(ValueError, match="T >= 2"):
        frame_consistency_from_embeddings(saved[:1])


def test_accumulator_merges_shards():
    scores = np.random.default_rng(0).uniform(-1, 1, size=17)
    whole, left, right = ClipSimAccumulator(), ClipSimAccumulator(), ClipSimAccumulator()
    whole.update(scores)
    left.update(scores[:5])
    right.update(list(scores[5:]))
    merged = left + right
    assert merged.count == 17
    assert merged.compute() == pytest.approx(whole.compute(), rel=1e-12) == pytest.approx(scores.mean())
    with pytest.raises(ValueError, match="no CLIPSIM"):
        ClipSimAccumulator().compute()


def test_from_pretrained_loads_a_local_checkpoint_as_configured(tiny_model, tmp_path):
    config = tmp_path / "metrics-test-tiny.json"
    config.write_text(json.dumps(TINY_CLIP_CONFIG))
    open_clip.add_model_config(config)
    checkpoint = tmp_path / "tiny.pt"
    torch.save(tiny_model.state_dict(), checkpoint)

    plain = ClipScorer.from_pretrained("metrics-test-tiny", checkpoint, pretrained="none")
    assert not any(isinstance(m, QuickGELU) for m in plain.model.modules()) and plain.image_size == 32
    assert plain.config.params() == {"model": "metrics-test-tiny", "pretrained": "none", "activation": "GELU"}
    frames = _videos(n=1)[0]
    torch.testing.assert_close(
        plain.image_embeddings(frames), ClipScorer(tiny_model, plain.tokenizer).image_embeddings(frames)
    )
    # A custom config has no published weights: "openai" cannot be settled, whatever the file is called.
    openai_named = tmp_path / "vit_b_32.openai.pt"
    openai_named.write_bytes(checkpoint.read_bytes())
    with pytest.raises(ValueError, match="--clip-pretrained openai is not an open_clip tag of --clip-model"):
        ClipScorer.from_pretrained("metrics-test-tiny", openai_named)
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        ClipScorer.from_pretrained("metrics-test-tiny", tmp_path / "missing.pt")


def test_the_pretrained_tag_sets_open_clips_config_not_the_file_name():
    openai = clip_config("ViT-B-32", "openai", "vit-b-32.bin")  # the README's file name
    assert openai.quick_gelu and openai.params()["activation"] == "QuickGELU"
    assert openai.preprocess["image_mean"] == pytest.approx((0.48145466, 0.4578275, 0.40821073))
    laion = clip_config("ViT-B-32", "laion2b_s34b_b79k", "openai-weights.bin")
    assert not laion.quick_gelu and laion.params()["activation"] == "GELU"
    assert clip_config("ViT-B-32-quickgelu", "none").quick_gelu  # the model config itself says QuickGELU
    with pytest.raises(ValueError, match="--clip-pretrained nope is not an open_clip tag of --clip-model ViT-B-32"):
        clip_config("ViT-B-32", "nope")
    with pytest.raises(ValueError, match="--clip-model ViT-Q-99 is not an open_clip model name"):
        clip_config("ViT-Q-99", "openai")
