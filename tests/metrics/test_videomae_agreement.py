"""Our content-debiased FVD (``cd-fvd-videomae``) against cd-fvd 0.1.1's own VideoMAE-v2 code.

cd-fvd's loader always builds ViT-g/14 (1B weights) and downloads its checkpoint, so the test builds
cd-fvd's own ``VisionTransformer`` class at the same input, patch grid and frame count but narrow and
shallow, with random weights (random query/value biases too, so the bias layout is checked), saves
it as a checkpoint, and runs cd-fvd's ``preprocess_videomae`` / ``get_videomae_features`` /
``compute_fvd_from_stats`` beside ours on the same uint8 videos. Random weights: the FVD describes
no model.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import pytest
import torch
from torch import nn

from metrics.fvd import FVD, SmallSampleWarning, extract_features
from metrics.fvd_protocols import get_protocol
from metrics.video_preprocess import preprocess_videos
from metrics.videomae import TINY_VIDEOMAE, VideoMAEv2Encoder, load_videomae

finetune = pytest.importorskip("cdfvd.third_party.VideoMAEv2.videomaev2_finetune", reason="cd-fvd is a dev extra")


def _their_model(tmp_path) -> tuple[nn.Module, str]:
    """cd-fvd's VideoMAE-v2 class at TINY_VIDEOMAE size (as vit_giant_patch14_224 builds it otherwise) and its
    checkpoint, saved the way the public one is (weights under 'module')."""
    config = TINY_VIDEOMAE
    torch.manual_seed(0)
    model = finetune.VisionTransformer(
        img_size=config.image_size,
        patch_size=config.patch_size,
        num_classes=174,
        embed_dim=config.embed_dim,
        depth=config.depth,
        num_heads=config.num_heads,
        mlp_ratio=config.mlp_ratio,
        qkv_bias=True,
        norm_layer=partial(nn.LayerNorm, eps=config.norm_eps),
        all_frames=config.num_frames,
        tubelet_size=config.tubelet_size,
        use_mean_pooling=True,
    ).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(("q_bias", "v_bias")) or "norm" in name:
                param.normal_(0.0 if "bias" in name else 1.0, 0.1)
    path = tmp_path / "tiny_videomae.pth"
    torch.save({"module": model.state_dict()}, path)
    return model, str(path)


def _videos(n: int, seed: int, frames: int, h: int = 48, w: int = 64) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, frames, h, w, 3), dtype=np.uint8)


def test_tiny_config_is_vit_g_narrowed():
    assert replace(TINY_VIDEOMAE, embed_dim=1408, depth=40, num_heads=16) == type(TINY_VIDEOMAE)()


# 8 frames: positions stretched along time as cd-fvd does (slow: a second model pass on the CPU)
@pytest.mark.parametrize("frames", [16, pytest.param(8, marks=pytest.mark.slow)])
def test_features_equal_cd_fvds(tmp_path, frames):
    from cdfvd.third_party.VideoMAEv2.utils import preprocess_videomae

    theirs, path = _their_model(tmp_path)
    ours = load_videomae(path, config=TINY_VIDEOMAE)
    assert isinstance(ours, VideoMAEv2Encoder)
    videos = _videos(2, 0, frames)
    their_input = preprocess_videomae(videos)
    our_input = preprocess_videos(videos, get_protocol("cd-fvd-videomae"))
    assert (our_input - their_input).abs().max() < 1e-4
    with torch.no_grad():
        reference = theirs.forward_features(their_input)
    mine = extract_features(videos, ours, batch_size=2, protocol=get_protocol("cd-fvd-videomae"))
    assert np.abs(mine - reference.double().numpy()).max() / reference.abs().max().item() < 1e-5


@pytest.mark.slow  # about 10 s: four passes over 2,048 tokens
def test_fvd_equals_cd_fvds(tmp_path):
    from cdfvd.fvd import cdfvd, get_videomae_features
    from cdfvd.utils.metric_utils import FeatureStats

    theirs, path = _their_model(tmp_path)
    real, fake = _videos(3, 1, 16), _videos(3, 2, 16) // 2 + 60
    stats = [FeatureStats(capture_mean_cov=True) for _ in range(2)]
    for stat, videos in zip(stats, (real, fake), strict=True):
        get_videomae_features(stat, theirs, videos, batchsize=3, device="cpu")
    reference = float(cdfvd.compute_fvd_from_stats(None, fake_stats=stats[1], real_stats=stats[0]))

    fvd = FVD(load_videomae(path, config=TINY_VIDEOMAE), protocol=get_protocol("cd-fvd-videomae"), batch_size=3)
    fvd.update(real, real=True)
    fvd.update(fake)
    with pytest.warns(SmallSampleWarning):
        result = fvd.compute()
    assert result.value == pytest.approx(reference, rel=1e-5) and result.value > 0
    assert result.protocol.as_params()["fvd.network"] == "videomae-v2"
