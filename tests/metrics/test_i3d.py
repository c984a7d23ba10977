import hashlib

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from metrics.fvd_protocols import get_protocol
from metrics.i3d import InceptionI3d, MaxPool3dSame, TorchScriptI3D, Unit3D, _same_pad, file_sha256, load_i3d
from tests.metrics.random_i3d import calibrated_random_i3d

# The spec, written out independently of metrics.i3d: (out0, out1a, out1b, out2a, out2b, out3b).
BLOCKS = [
    ("Mixed_3b", 192, (64, 96, 128, 16, 32, 32)),
    ("Mixed_3c", 256, (128, 128, 192, 32, 96, 64)),
    ("Mixed_4b", 480, (192, 96, 208, 16, 48, 64)),
    ("Mixed_4c", 512, (160, 112, 224, 24, 64, 64)),
    ("Mixed_4d", 512, (128, 128, 256, 24, 64, 64)),
    ("Mixed_4e", 512, (112, 144, 288, 32, 64, 64)),
    ("Mixed_4f", 528, (256, 160, 320, 32, 128, 128)),
    ("Mixed_5b", 832, (256, 160, 320, 32, 128, 128)),
    ("Mixed_5c", 832, (384, 192, 384, 48, 128, 128)),
]
NUM_PARAMETERS = 12_697_264


def _unit(name: str, cin: int, cout: int, k: int) -> dict[str, tuple[int, ...]]:
    return {
        f"{name}.conv3d.weight": (cout, cin, k, k, k),
        f"{name}.bn.weight": (cout,),
        f"{name}.bn.bias": (cout,),
        f"{name}.bn.running_mean": (cout,),
        f"{name}.bn.running_var": (cout,),
        f"{name}.bn.num_batches_tracked": (),
    }


def _expected_layout() -> dict[str, tuple[int, ...]]:
    layout = _unit("Conv3d_1a_7x7", 3, 64, 7) | _unit("Conv3d_2b_1x1", 64, 64, 1) | _unit("Conv3d_2c_3x3", 64, 192, 3)
    for name, cin, (o0, o1a, o1b, o2a, o2b, o3b) in BLOCKS:
        layout |= _unit(f"{name}.b0", cin, o0, 1) | _unit(f"{name}.b1a", cin, o1a, 1)
        layout |= _unit(f"{name}.b1b", o1a, o1b, 3) | _unit(f"{name}.b2a", cin, o2a, 1)
        layout |= _unit(f"{name}.b2b", o2a, o2b, 3) | _unit(f"{name}.b3b", cin, o3b, 1)
    layout["logits.conv3d.weight"] = (400, 1024, 1, 1, 1)
    layout["logits.conv3d.bias"] = (400,)
    return layout


@pytest.fixture(scope="module")
def random_i3d() -> InceptionI3d:
    # Non-default running statistics, so that a load that skipped them would be caught.
    return calibrated_random_i3d()


def test_state_dict_layout_matches_public_checkpoints(random_i3d):
    got = {k: tuple(v.shape) for k, v in random_i3d.state_dict().items()}
    assert got == _expected_layout()
    assert sum(p.numel() for p in random_i3d.parameters()) == NUM_PARAMETERS


def test_batch_norm_eps_is_switchable_without_changing_the_layout(random_i3d, tmp_path):
    norms = [m for m in random_i3d.modules() if isinstance(m, nn.BatchNorm3d)]
    assert len(norms) == 57
    assert all(m.eps == 1e-5 and m.momentum == 0.01 for m in norms)  # VideoGPT's eps, the default protocol's
    path = tmp_path / "i3d.pt"
    torch.save(random_i3d.state_dict(), path)
    tf_like = load_i3d(path, bn_eps=1e-3)  # strict load: the eps is no parameter
    assert all(m.eps == 1e-3 for m in tf_like.modules() if isinstance(m, nn.BatchNorm3d)) and tf_like.bn_eps == 1e-3
    clip = torch.rand(1, 3, 9, 224, 224) * 2 - 1
    with torch.no_grad():
        assert not torch.allclose(tf_like(clip), random_i3d(clip), rtol=1e-4)
    convs = [m for m in random_i3d.modules() if isinstance(m, nn.Conv3d)]
    assert [m.bias is not None for m in convs].count(True) == 1  # only the logits conv


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "expected"),
    [
        (224, 7, 2, (2, 3)),
        (9, 7, 2, (3, 3)),
        (10, 7, 2, (2, 3)),
        (56, 3, 1, (1, 1)),
        (5, 2, 2, (0, 1)),
        (7, 1, 1, (0, 0)),
    ],
)
def test_tf_same_padding(size, kernel, stride, expected):
    assert _same_pad(size, kernel, stride) == expected


def test_stem_output_shape_follows_tf_same_rule():
    unit = Unit3D(3, 8, (7, 7, 7), (2, 2, 2))
    assert unit(torch.randn(1, 3, 9, 33, 32)).shape == (1, 8, 5, 17, 16)


def test_zero_padded_max_pool_equals_neg_inf_padding_after_relu():
    x = torch.relu(torch.randn(2, 4, 5, 9, 9))
    pool = MaxPool3dSame((3, 3, 3), (2, 2, 2))
    reference = F.max_pool3d(F.pad(x, (1, 1, 1, 1, 1, 1), value=float("-inf")), 3, 2)
    torch.testing.assert_close(pool(x), reference, rtol=0, atol=0)


def test_strict_roundtrip_and_logits(random_i3d, tmp_path):
    path = tmp_path / "i3d_pretrained_400.pt"
    torch.save(random_i3d.state_dict(), path)
    loaded = load_i3d(path)
    assert isinstance(loaded, InceptionI3d) and not loaded.training
    for key, value in random_i3d.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value, rtol=0, atol=0)
    x = torch.rand(1, 3, 9, 224, 224) * 2 - 1
    with torch.inference_mode():
        logits = loaded(x)
        assert logits.shape == (1, 400)
        torch.testing.assert_close(logits, random_i3d(x))
        assert logits.std() > 0.05  # calibrated random weights: the check above is not comparing zeros


def test_loads_checkpoints_without_num_batches_tracked(random_i3d, tmp_path):
    # rgb_imagenet.pt predates BatchNorm's num_batches_tracked buffer.
    state = {k: v for k, v in random_i3d.state_dict().items() if not k.endswith("num_batches_tracked")}
    path = tmp_path / "rgb_imagenet.pt"
    torch.save(state, path)
    loaded = load_i3d(path)
    torch.testing.assert_close(loaded.Mixed_5c.b0.bn.running_var, random_i3d.Mixed_5c.b0.bn.running_var)


def test_load_i3d_refuses_other_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.pt"):
        load_i3d(tmp_path / "nowhere.pt")
    wrong_keys = tmp_path / "resnet.pt"
    torch.save(nn.Linear(3, 4).state_dict(), wrong_keys)
    with pytest.raises(ValueError, match=r"resnet\.pt.*i3d_pretrained_400"):
        load_i3d(wrong_keys)
    not_tensors = tmp_path / "config.pt"
    torch.save({"lr": 0.1}, not_tensors)
    with pytest.raises(ValueError, match=r"config\.pt does not contain a dict of tensors"):
        load_i3d(not_tensors)
    garbage = tmp_path / "notes.pt"
    garbage.write_text("hello")
    with pytest.raises(ValueError, match=r"notes\.pt"):
        load_i3d(garbage)


class _FakeStyleGanDetector(nn.Module):
    """Mimics the StyleGAN-V TorchScript call signature; each flag changes the output so misuse shows."""

    def forward(self, x: torch.Tensor, rescale: bool = True, resize: bool = True, return_features: bool = False):
        if rescale:
            x = x * 2 - 1
        if resize:
            x = x[..., ::2, ::2]
        features = x.mean(dim=(2, 3, 4))
        return features if return_features else torch.softmax(features, dim=1)


def test_load_i3d_wraps_torchscript_detector(tmp_path):
    path = tmp_path / "i3d_torchscript.pt"
    torch.jit.save(torch.jit.script(_FakeStyleGanDetector()), str(path))
    detector = load_i3d(path)
    assert isinstance(detector, TorchScriptI3D)
    x = torch.rand(2, 3, 4, 8, 8)
    torch.testing.assert_close(detector(x), x.mean(dim=(2, 3, 4)))


def test_protocols_call_the_torchscript_detector_as_their_tools_do(tmp_path):
    path = tmp_path / "i3d_torchscript.pt"
    torch.jit.save(torch.jit.script(_FakeStyleGanDetector()), str(path))
    on = get_protocol("stylegan-v").load_detector(path)  # StyleGAN-V: rescale=True, resize=True
    off = get_protocol("common-metrics-styleganv").load_detector(path)  # common_metrics: both off
    x = torch.rand(2, 3, 4, 8, 8)
    torch.testing.assert_close(on(x), (x * 2 - 1)[..., ::2, ::2].mean(dim=(2, 3, 4)))
    torch.testing.assert_close(off(x), x.mean(dim=(2, 3, 4)))
    with pytest.raises(ValueError, match="needs a state_dict"):
        get_protocol("cd-fvd").load_detector(path)
    with pytest.raises(ValueError, match="rescale/resize"):
        get_protocol("stylegan-v").check_detector(off)
    with pytest.raises(ValueError, match="TorchScript detector"):
        get_protocol("stylegan-v").check_detector(InceptionI3d(num_classes=5))


def test_input_validation():
    model = InceptionI3d(num_classes=5)
    with pytest.raises(ValueError, match="at least 9 frames"):
        model(torch.zeros(1, 3, 8, 224, 224))
    with pytest.raises(ValueError, match="224x224"):
        model(torch.zeros(1, 3, 9, 112, 112))
    with pytest.raises(ValueError, match=r"\[B, C, T, H, W\]"):
        model(torch.zeros(3, 9, 224, 224))


def test_file_sha256(tmp_path):
    path = tmp_path / "blob.bin"
    data = bytes(range(256)) * 5000
    path.write_bytes(data)
    assert file_sha256(path, chunk_size=1000) == hashlib.sha256(data).hexdigest()
