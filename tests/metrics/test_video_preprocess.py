import dataclasses

import numpy as np
import pytest
import torch

from metrics.fvd_protocols import PROTOCOLS, FVDProtocol, get_protocol
from metrics.video_preprocess import preprocess_videos, resize_frames


def _videos(n=2, t=3, h=20, w=30, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, t, h, w, 3), dtype=np.uint8)


def test_uint8_and_float_inputs_agree():
    videos = _videos()
    from_uint8 = preprocess_videos(videos)
    from_float = preprocess_videos(torch.from_numpy(videos).double() / 255.0)
    torch.testing.assert_close(from_uint8, from_float, rtol=0, atol=1e-6)


def test_output_shape_dtype_and_range():
    out = preprocess_videos(_videos(n=2, t=3, h=20, w=30))
    assert out.shape == (2, 3, 3, 224, 224) and out.dtype == torch.float32
    # Bilinear weights are convex; only float round-off (~1e-7) may cross the ends.
    assert out.min() >= -1.0 - 1e-6 and out.max() <= 1.0 + 1e-6
    black_white = np.zeros((1, 2, 8, 8, 3), dtype=np.uint8)
    black_white[:, 1] = 255
    out = preprocess_videos(black_white)
    torch.testing.assert_close(out[:, :, 0], torch.full_like(out[:, :, 0], -1.0), rtol=0, atol=1e-6)
    torch.testing.assert_close(out[:, :, 1], torch.full_like(out[:, :, 1], 1.0), rtol=0, atol=1e-6)


def test_channel_and_time_axes_are_not_mixed():
    videos = np.zeros((1, 2, 224, 224, 3), dtype=np.uint8)
    videos[0, 1, :, :, 2] = 255  # blue in the second frame only
    out = preprocess_videos(videos)
    assert torch.all(out[0, 2, 1] == 1.0)  # 224x224 input: no interpolation, exact values
    assert torch.all(out[0, :2, 1] == -1.0) and torch.all(out[0, :, 0] == -1.0)


def test_no_resize_at_target_size_is_exact_affine_map():
    videos = _videos(n=1, t=2, h=224, w=224)
    expected = torch.from_numpy(videos).float().permute(0, 4, 1, 2, 3) / 127.5 - 1.0
    torch.testing.assert_close(preprocess_videos(videos), expected, rtol=0, atol=1e-6)


def test_bilinear_half_pixel_convention():
    # 2 -> 4 upsampling with align_corners=False samples source positions 0, 0.25, 0.75, 1 (clamped).
    frame = torch.tensor([[0.0, 1.0], [0.0, 1.0]])[None, None]
    torch.testing.assert_close(resize_frames(frame, "bilinear", 4)[0, 0, 0], torch.tensor([0.0, 0.25, 0.75, 1.0]))


def test_tf1_bilinear_uses_corner_aligned_source_positions():
    # TF1's resize_bilinear samples source position i * in / out: 2x downscaling picks every other pixel
    # (torch's half-pixel rule would average neighbours), and 2 -> 4 samples 0, 0.5, 1, 1.5 (clamped).
    frames = torch.arange(2 * 36, dtype=torch.float32).reshape(2, 1, 6, 6)
    torch.testing.assert_close(resize_frames(frames, "tf1-bilinear", 3), frames[..., ::2, ::2])
    row = resize_frames(torch.tensor([[0.0, 1.0], [0.0, 1.0]])[None, None], "tf1-bilinear", 4)[0, 0, 0]
    torch.testing.assert_close(row, torch.tensor([0.0, 0.5, 1.0, 1.0]))


def test_shorter_side_resize_and_centre_crop_as_videogpt():
    # 20x30 -> shorter side 224, longer ceil(30 * 224 / 20) = 336, crop columns 56:280.
    frames = torch.rand(1, 3, 20, 30)
    resized = torch.nn.functional.interpolate(frames, size=(224, 336), mode="bilinear", align_corners=False)
    torch.testing.assert_close(
        resize_frames(frames, "shorter-side-bilinear-centre-crop", 224), resized[..., :, 56:280]
    )
    square = torch.rand(1, 3, 256, 256)  # square input: no crop, the same as the plain resize
    torch.testing.assert_close(
        resize_frames(square, "shorter-side-bilinear-centre-crop", 224), resize_frames(square, "bilinear", 224)
    )


def test_value_ranges_and_detector_side_preprocessing():
    videos = _videos(n=1, t=2, h=224, w=224)
    pixels = torch.from_numpy(videos).float().permute(0, 4, 1, 2, 3)
    videogpt = preprocess_videos(videos, get_protocol("videogpt"))  # VideoGPT's fvd.py doubles data.py's [-0.5, 0.5]
    torch.testing.assert_close(videogpt, (pixels / 255 - 0.5) * 2, rtol=0, atol=1e-6)
    stylegan_v = preprocess_videos(videos, get_protocol("stylegan-v"))  # uint8 [N, 3, T, H, W] for the detector
    assert stylegan_v.dtype == torch.uint8 and torch.equal(stylegan_v, pixels.to(torch.uint8))


def test_list_of_differently_sized_videos():
    a, b = _videos(n=1, h=20, w=30)[0], _videos(n=1, h=40, w=16, seed=1)[0]
    out = preprocess_videos([a, torch.from_numpy(b)])
    assert out.shape == (2, 3, 3, 224, 224)
    torch.testing.assert_close(out[1:], preprocess_videos(b[None]))


def test_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        preprocess_videos(torch.full((1, 2, 4, 4, 3), 2.0))
    with pytest.raises(ValueError, match=r"\[N, T, H, W, 3\]"):
        preprocess_videos(np.zeros((1, 2, 3, 4, 4), dtype=np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        preprocess_videos(np.zeros((1, 2, 4, 4, 3), dtype=np.int32))


def test_protocol_params_are_flat_strings_and_frozen():
    protocol = get_protocol("tf").for_run(detector_sha256="abc", num_frames=16)
    params = protocol.as_params()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    assert params["fvd.protocol"] == "tf" and params["fvd.bn_eps"] == "0.001" and params["fvd.resize"] == "tf1-bilinear"
    assert params["fvd.ddof"] == "1" and params["fvd.num_frames"] == "16" and params["fvd.detector_sha256"] == "abc"
    assert FVDProtocol().as_params()["fvd.detector_sha256"] == "unknown"
    assert "fvd.ddof" not in protocol.feature_params() and "fvd.bn_eps" in protocol.feature_params()
    with pytest.raises(dataclasses.FrozenInstanceError):
        protocol.ddof = 0


def test_a_registered_name_always_means_its_conventions():
    assert {p.name for p in PROTOCOLS.values()} == set(PROTOCOLS) and len(PROTOCOLS) == 8
    with pytest.raises(ValueError, match="ddof"):
        FVDProtocol(name="cd-fvd", ddof=1)
    variant = FVDProtocol(name="cd-fvd-unbiased", ddof=1)  # a variant under its own name is fine
    assert variant.as_params()["fvd.protocol"] == "cd-fvd-unbiased"
    with pytest.raises(ValueError, match="unknown FVD protocol 'nope'; choose one of tf, stylegan-v"):
        get_protocol("nope")
