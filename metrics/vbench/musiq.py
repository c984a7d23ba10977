"""MUSIQ (Ke et al., "MUSIQ: Multi-scale Image Quality Transformer", ICCV 2021), as pyiqa runs it.

VBench scores imaging quality with pyiqa's MUSIQ trained on SPAQ (``musiq_spaq_ckpt-358bb6af.pth``).
pyiqa cannot be installed beside this project (its current release requires transformers >= 5 and
pulls in bitsandbytes, datasets, facexlib), so this is our own implementation of the network and
its multi-scale input, laid out so that pyiqa's weight file loads into it strictly, key for key.

How an image is scored (pyiqa's ``MUSIQ.forward`` in evaluation mode):

1. pixels in [0, 1] are mapped to [-1, 1];
2. the image is resized (bicubic, aspect ratio kept) so its longer side is 224 and then 384, and
   also used at its own resolution; each version is cut into 32 x 32 patches (TensorFlow "SAME"
   zero padding). The resized versions are padded (or cut) to a fixed number of patches with
   masked-out zero patches; every patch carries a hashed 10 x 10 grid position and its scale's id;
3. each patch goes through a small weight-standardised ResNet stem to one token; a ViT encoder
   reads the class token plus all patch tokens (masked attention) and a linear head gives the score.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from timm.layers import Mlp
from torch import nn

from metrics.i3d import pad_same  # TensorFlow's "SAME" padding, as MUSIQ's TF original pads

PATCH = 32
STEM_WIDTH = 64
HASH_GRID = 10
LONGER_SIDES = (224, 384)
#: The tiny preset's MUSIQ reads one resized scale, longer side 64 (4 patches, not 49 + 144): seconds on a CPU.
TINY_LONGER_SIDES = (64,)


class StandardizedConv(nn.Conv2d):
    """Convolution with weight standardisation (zero mean, unit std per output filter) and SAME padding."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight - self.weight.mean((1, 2, 3), keepdim=True)
        weight = weight / (weight.std((1, 2, 3), keepdim=True) + 1e-5)
        return F.conv2d(pad_same(x, self.kernel_size, self.stride), weight, self.bias, self.stride)


class StemBottleneck(nn.Module):
    """The stem's one bottleneck (64 -> 256 channels) with group norms and a projected shortcut."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv1 = StandardizedConv(in_ch, in_ch, 1, 1, bias=False)
        self.gn1 = nn.GroupNorm(32, in_ch, eps=1e-4)
        self.conv2 = StandardizedConv(in_ch, in_ch, 3, 1, bias=False)
        self.gn2 = nn.GroupNorm(32, in_ch, eps=1e-4)
        self.conv3 = StandardizedConv(in_ch, out_ch, 1, 1, bias=False)
        self.gn3 = nn.GroupNorm(32, out_ch, eps=1e-4)
        self.conv_proj = StandardizedConv(in_ch, out_ch, 1, 1, bias=False)
        self.gn_proj = nn.GroupNorm(32, out_ch, eps=1e-4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.gn_proj(self.conv_proj(x))
        y = F.relu(self.gn1(self.conv1(x)))
        y = F.relu(self.gn2(self.conv2(y)))
        return F.relu(self.gn3(self.conv3(y)) + shortcut)


class MaskedSelfAttention(nn.Module):
    """Multi-head self-attention in which masked (padding) tokens get a logit of -1000, as MUSIQ does."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value, self.out = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, tokens, dim = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(batch, tokens, self.heads, dim // self.heads).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        logits = (q @ k.transpose(-2, -1)) * (dim // self.heads) ** -0.5
        pair_mask = mask.reshape(batch, 1, tokens, 1) * mask.reshape(batch, 1, 1, tokens)
        logits = logits.masked_fill(pair_mask == 0, -1e3)
        mixed = (logits.softmax(dim=-1) @ v).transpose(1, 2).reshape(batch, tokens, dim)
        return self.out(mixed)


class EncoderBlock(nn.Module):
    def __init__(self, dim: int, mlp_dim: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attention = MaskedSelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, mlp_dim)  # fc1, GELU, fc2

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x), mask)
        return x + self.mlp(self.norm2(x))


class TransformerEncoder(nn.Module):
    def __init__(self, dim: int, mlp_dim: int, heads: int, layers: int, scales: int) -> None:
        super().__init__()
        self.posembed_input, self.scaleembed_input = nn.Module(), nn.Module()  # pyiqa's names of the tables
        self.posembed_input.position_emb = nn.Parameter(torch.zeros(1, HASH_GRID * HASH_GRID, dim))
        self.scaleembed_input.scale_emb = nn.Parameter(torch.zeros(scales, dim))
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.encoder_norm = nn.LayerNorm(dim, eps=1e-6)
        self.transformer = nn.ModuleDict(
            {f"encoderblock_{i}": EncoderBlock(dim, mlp_dim, heads) for i in range(layers)}
        )

    def forward(self, tokens: torch.Tensor, positions: torch.Tensor, scales: torch.Tensor, mask: torch.Tensor):
        batch, _, dim = tokens.shape
        tokens = tokens + self.posembed_input.position_emb.reshape(-1, dim)[positions.long()]
        tokens = tokens + self.scaleembed_input.scale_emb[scales.long()]
        tokens = torch.cat([self.cls.expand(batch, 1, -1), tokens], dim=1)
        mask = torch.cat([torch.ones(batch, 1, dtype=mask.dtype, device=mask.device), mask], dim=1)
        for block in self.transformer.values():
            tokens = block(tokens, mask)
        return self.encoder_norm(tokens)


def hashed_positions(rows: int, cols: int) -> torch.Tensor:
    """Each patch's cell on the 10 x 10 hash grid (nearest-neighbour resampling of the grid), row-major."""
    grid = torch.arange(HASH_GRID).float().reshape(1, 1, HASH_GRID)
    row_cell = F.interpolate(grid, rows, mode="nearest").reshape(rows, 1)
    col_cell = F.interpolate(grid, cols, mode="nearest").reshape(1, cols)
    return (row_cell * HASH_GRID + col_cell).reshape(-1)


def patch_sequence(images: torch.Tensor, scale_id: int, length: int | None) -> torch.Tensor:
    """[N, 3, H, W] -> [N, P, 3*32*32 + 3]: flattened patches, hash position, scale id and mask.

    With ``length``, the sequence is padded with zero rows (position 0, scale 0, mask 0) or cut to it.
    """
    n, _, height, width = images.shape
    patches = F.unfold(pad_same(images, (PATCH, PATCH), (PATCH, PATCH)), PATCH, stride=PATCH)  # [N, 3*32*32, P]
    positions = hashed_positions(math.ceil(height / PATCH), math.ceil(width / PATCH)).to(patches)
    extras = torch.stack([positions, torch.full_like(positions, scale_id), torch.ones_like(positions)])
    sequence = torch.cat([patches, extras.unsqueeze(0).expand(n, -1, -1)], dim=1)
    if length is not None:
        sequence = F.pad(sequence, (0, max(length - sequence.shape[-1], 0)))[..., :length]
    return sequence.transpose(1, 2)


def multiscale_patches(images: torch.Tensor, longer_sides: tuple[int, ...] = LONGER_SIDES) -> torch.Tensor:
    """MUSIQ's input: the image at each of ``longer_sides`` and at its own size, as patch rows."""
    height, width = images.shape[-2:]
    sequences = []
    for scale_id, longer in enumerate(sorted(longer_sides)):
        ratio = longer / max(height, width)
        resized = F.interpolate(images, (round(height * ratio), round(width * ratio)), mode="bicubic")
        sequences.append(patch_sequence(resized, scale_id, math.ceil(longer / PATCH) ** 2))
    sequences.append(patch_sequence(images, len(longer_sides), None))
    return torch.cat(sequences, dim=1)


class MUSIQ(nn.Module):
    """``model(images)`` -> quality score per image, [N, 1]; images are float in [0, 1], [N, 3, H, W]."""

    def __init__(
        self,
        hidden: int = 384,
        mlp_dim: int = 1152,
        heads: int = 6,
        layers: int = 14,
        longer_sides: tuple[int, ...] = LONGER_SIDES,
    ) -> None:
        """``longer_sides``: the resized scales; pyiqa's (224, 384) unless a tiny random configuration."""
        super().__init__()
        self.longer_sides = longer_sides
        self.conv_root = StandardizedConv(3, STEM_WIDTH, 7, 2, bias=False)
        self.gn_root = nn.GroupNorm(32, STEM_WIDTH, eps=1e-6)
        self.block1 = StemBottleneck(STEM_WIDTH, STEM_WIDTH * 4)
        self.embedding = nn.Linear(STEM_WIDTH * 4 * (PATCH // 4) ** 2, hidden)
        self.transformer_encoder = TransformerEncoder(hidden, mlp_dim, heads, layers, len(longer_sides) + 1)
        self.head = nn.Linear(hidden, 1)

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str | torch.device = "cpu") -> MUSIQ:
        """pyiqa's MUSIQ weight file (e.g. ``musiq_spaq_ckpt-358bb6af.pth``), loaded strictly."""
        state = torch.load(Path(path), map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise ValueError(f"{path}: not a MUSIQ state_dict; pass pyiqa's musiq_spaq_ckpt-358bb6af.pth")
        state = {key.removeprefix("module."): value for key, value in state.items()}
        model = cls()
        model.load_state_dict(state, strict=True)
        return model.to(device).eval()

    @classmethod
    def random(
        cls, seed: int, device: str | torch.device = "cpu", longer_sides: tuple[int, ...] = LONGER_SIDES
    ) -> MUSIQ:
        """A small MUSIQ (hidden 32, 2 layers; MUSIQ's patching and stem) on pyiqa's scales, every tensor drawn
        in key order from ``seed`` (random-weight numbers only)."""
        model = cls(hidden=32, mlp_dim=64, heads=2, layers=2, longer_sides=longer_sides)
        generator = torch.Generator().manual_seed(seed)
        state = {}
        for key, tensor in sorted(model.state_dict().items()):
            noise = torch.randn(tensor.shape, generator=generator)
            if tensor.ndim >= 2:
                state[key] = noise / tensor[0].numel() ** 0.5
            else:  # norm scales near 1, biases near 0
                state[key] = (1.0 if key.endswith(".weight") else 0.0) + 0.1 * noise
        model.load_state_dict(state, strict=True)
        return model.to(device).eval()

    @classmethod
    def tiny(cls, seed: int, device: str | torch.device = "cpu") -> MUSIQ:
        """:meth:`random` reading one resized scale (:data:`TINY_LONGER_SIDES`): the tiny preset's."""
        return cls.random(seed, device, TINY_LONGER_SIDES)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        rows = multiscale_patches((images - 0.5) * 2, self.longer_sides)
        pixels, positions, scales, mask = rows[..., :-3], rows[..., -3], rows[..., -2], rows[..., -1].bool()
        batch, length = pixels.shape[:2]
        x = F.relu(self.gn_root(self.conv_root(pixels.reshape(-1, 3, PATCH, PATCH))))
        x = F.max_pool2d(pad_same(x, (3, 3), (2, 2)), 3, 2)
        x = self.block1(x).permute(0, 2, 3, 1)  # channels last, the order the TensorFlow weights expect
        tokens = self.embedding(x.reshape(batch, length, -1))
        encoded = self.transformer_encoder(tokens, positions, scales, mask)
        return self.head(encoded[:, 0])
