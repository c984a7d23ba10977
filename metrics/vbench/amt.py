"""AMT-S (Li et al., "AMT: All-Pairs Multi-Field Transforms for Efficient Frame Interpolation", CVPR 2023).

VBench's motion smoothness interpolates a video's odd frames back from its even ones with AMT-S and
scores the error. This is our own implementation of the network, laid out so that the public
``amt-s.pth`` (``{"state_dict": ...}``) loads into it strictly, key for key; its forward pass follows
AMT-S's published definition (the one vbench 0.1.5 ships in ``vbench/third_party/amt``):

1. a RAFT-style small feature encoder builds an all-pairs correlation volume between the two frames
   at 1/8 resolution, queried in both directions (frame 0 -> 1 and 1 -> 0) over a 4-level pyramid;
2. an IFRNet-style image pyramid encoder and coarse-to-fine decoders predict the bidirectional flows
   from the intermediate frame to each input and an intermediate feature, each level refined by a
   small update block fed with correlation lookups;
3. the finest decoder predicts several flow fields per pixel; the warped candidates are blended by
   learned masks and residuals, then merged by a small convolution.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

#: AMT-S's widths: image pyramid channels, the skip width of the residual blocks, flows per pixel.
PYRAMID_CHANNELS = (20, 32, 44, 56)
SKIP_CHANNELS = 20
NUM_FLOWS = 3
CORR_RADIUS = 3
CORR_LEVELS = 4
#: The tiny preset's AMT-S: the same network with two correlation levels, so 32-pixel frames keep 2 x 2 cells.
TINY_CORR_LEVELS = 2
CONTEXT_DIM = 84  # the feature encoder's output width


def rescale(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Bilinear resampling by ``factor`` (AMT resizes flows and features this way between levels); 1 keeps ``x``."""
    return x if factor == 1 else F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)


def backward_warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample ``image`` at each pixel displaced by ``flow`` (pixels), clamping at the border."""
    height, width = flow.shape[-2:]
    xs = torch.linspace(-1.0, 1.0, width, device=flow.device, dtype=image.dtype)
    ys = torch.linspace(-1.0, 1.0, height, device=flow.device, dtype=image.dtype)
    grid_x = xs.view(1, 1, 1, width) + flow[:, :1] / ((width - 1.0) / 2.0)
    grid_y = ys.view(1, 1, height, 1) + flow[:, 1:2] / ((height - 1.0) / 2.0)
    grid = torch.cat([grid_x, grid_y], 1).permute(0, 2, 3, 1)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)


def conv_prelu(in_ch: int, out_ch: int, kernel: int = 3, stride: int = 1, padding: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, kernel, stride, padding), nn.PReLU(out_ch))


class Bottleneck(nn.Module):
    """The feature encoder's residual bottleneck with parameter-free instance norms."""

    def __init__(self, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        mid = out_ch // 4
        self.conv1 = nn.Conv2d(in_ch, mid, 1)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride=stride, padding=1)
        self.conv3 = nn.Conv2d(mid, out_ch, 1)
        self.downsample = None
        if stride != 1:
            self.downsample = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride), nn.InstanceNorm2d(out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(F.instance_norm(self.conv1(x)))
        y = F.relu(F.instance_norm(self.conv2(y)))
        y = F.relu(F.instance_norm(self.conv3(y)))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(shortcut + y)


class FeatureEncoder(nn.Module):
    """1/8-resolution matching features of both frames (one pass over the pair)."""

    def __init__(self, out_dim: int = CONTEXT_DIM) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 7, stride=2, padding=3)
        self.layer1 = nn.Sequential(Bottleneck(32, 32, 1), Bottleneck(32, 32, 1))
        self.layer2 = nn.Sequential(Bottleneck(32, 64, 2), Bottleneck(64, 64, 1))
        self.layer3 = nn.Sequential(Bottleneck(64, 96, 2), Bottleneck(96, 96, 1))
        self.conv2 = nn.Conv2d(96, out_dim, 1)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        x = F.relu(F.instance_norm(self.conv1(frames)))
        return self.conv2(self.layer3(self.layer2(self.layer1(x))))


class BidirectionalCorrelation:
    """All-pairs feature correlation, pooled into a pyramid and looked up around given positions, both ways
    (frame 0's pixels against frame 1, and transposed): both flows of the intermediate frame find evidence."""

    def __init__(self, features0: torch.Tensor, features1: torch.Tensor, levels: int, radius: int) -> None:
        batch, dim, height, width = features0.shape
        flat0, flat1 = features0.flatten(2), features1.flatten(2)
        volume = torch.matmul(flat0.transpose(1, 2), flat1) / torch.sqrt(torch.tensor(dim).float())
        volume = volume.view(batch, height, width, 1, height, width)
        forward = volume.reshape(batch * height * width, 1, height, width)
        backward = volume.permute(0, 4, 5, 3, 1, 2).reshape(batch * height * width, 1, height, width)
        self.radius = radius
        self.forward_pyramid, self.backward_pyramid = [forward], [backward]
        for _ in range(levels - 1):
            self.forward_pyramid.append(F.avg_pool2d(self.forward_pyramid[-1], 2, stride=2))
            self.backward_pyramid.append(F.avg_pool2d(self.backward_pyramid[-1], 2, stride=2))

    def _lookup(self, pyramid: list[torch.Tensor], coords: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = coords.shape
        span = torch.linspace(-self.radius, self.radius, 2 * self.radius + 1, device=coords.device)
        offset_y, offset_x = torch.meshgrid(span, span, indexing="ij")
        # AMT adds (dy, dx) pairs to (x, y) centres: the window is transposed, as the checkpoint learned it.
        window = torch.stack([offset_y, offset_x], dim=-1).view(1, 2 * self.radius + 1, 2 * self.radius + 1, 2)
        centres = coords.permute(0, 2, 3, 1).reshape(batch * height * width, 1, 1, 2)
        sampled = []
        for level, volume in enumerate(pyramid):
            points = centres / 2**level + window
            size_y, size_x = volume.shape[-2:]
            grid = torch.cat([2 * points[..., :1] / (size_x - 1) - 1, 2 * points[..., 1:] / (size_y - 1) - 1], dim=-1)
            sampled.append(F.grid_sample(volume, grid, align_corners=True).view(batch, height, width, -1))
        return torch.cat(sampled, dim=-1).permute(0, 3, 1, 2).contiguous().float()

    def __call__(self, coords0: torch.Tensor, coords1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._lookup(self.forward_pyramid, coords0), self._lookup(self.backward_pyramid, coords1)


class UpdateBlock(nn.Module):
    """Refines a level's intermediate feature and both flows from correlation lookups (AMT's small head), working
    at the correlation's 1/8 resolution, ``upsample`` times coarser than the level (1 at the coarsest)."""

    def __init__(self, feature_dim: int, upsample: int, corr_levels: int = CORR_LEVELS) -> None:
        super().__init__()
        corr_planes = corr_levels * (2 * CORR_RADIUS + 1) ** 2
        hidden, flow_dim, corr_dim, fc_dim = 76, 20, 64, 68
        self.upsample = upsample
        self.convc1 = nn.Conv2d(2 * corr_planes, corr_dim, 1)
        self.convf1 = nn.Conv2d(4, flow_dim * 2, 7, padding=3)
        self.convf2 = nn.Conv2d(flow_dim * 2, flow_dim, 3, padding=1)
        self.conv = nn.Conv2d(corr_dim + flow_dim, fc_dim, 3, padding=1)
        self.gru = self._two_convs(fc_dim + 4 + feature_dim, hidden, hidden)
        self.feat_head = self._two_convs(hidden, hidden, feature_dim)
        self.flow_head = self._two_convs(hidden, hidden, 4)

    @staticmethod
    def _two_convs(in_ch: int, mid: int, out_ch: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(in_ch, mid, 3, padding=1), nn.LeakyReLU(0.1), nn.Conv2d(mid, out_ch, 3, padding=1)
        )

    def forward(
        self, feature: torch.Tensor, flow: torch.Tensor, corr: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        feature = rescale(feature, 1 / self.upsample)  # exact at 1: rescale keeps it
        corr_features = F.leaky_relu(self.convc1(corr), 0.1)
        flow_features = F.leaky_relu(self.convf2(F.leaky_relu(self.convf1(flow), 0.1)), 0.1)
        motion = F.leaky_relu(self.conv(torch.cat([corr_features, flow_features], 1)), 0.1)
        hidden = self.gru(torch.cat([motion, flow, feature], 1))
        delta_feature, delta_flow = self.feat_head(hidden), self.flow_head(hidden)
        return rescale(delta_feature, self.upsample), self.upsample * rescale(delta_flow, self.upsample)


class SideResBlock(nn.Module):
    """IFRNet's residual block that convolves the last ``side`` channels separately twice."""

    def __init__(self, channels: int, side: int) -> None:
        super().__init__()
        self.side = side
        self.conv1 = conv_prelu(channels, channels)
        self.conv2 = conv_prelu(side, side)
        self.conv3 = conv_prelu(channels, channels)
        self.conv4 = conv_prelu(side, side)
        self.conv5 = nn.Conv2d(channels, channels, 3, padding=1)
        self.prelu = nn.PReLU(channels)

    def _refine_side(self, x: torch.Tensor, side_conv: nn.Module) -> torch.Tensor:
        return torch.cat([x[:, : -self.side], side_conv(x[:, -self.side :])], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self._refine_side(self.conv1(x), self.conv2)
        y = self._refine_side(self.conv3(y), self.conv4)
        return self.prelu(x + self.conv5(y))


class ImagePyramid(nn.Module):
    """Four stride-2 stages of (conv, PReLU) x 2: features at 1/2 ... 1/16 resolution."""

    def __init__(self, channels: tuple[int, ...]) -> None:
        super().__init__()
        for index, (in_ch, out) in enumerate(zip((3, *channels), channels, strict=False), 1):
            self.add_module(f"pyramid{index}", nn.Sequential(conv_prelu(in_ch, out, 3, 2, 1), conv_prelu(out, out)))

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for stage in self.children():  # pyramid1, 2, ... in registration order
            image = stage(image)
            features.append(image)
        return features


def decoder_body(in_ch: int, width: int, out_ch: int) -> nn.Sequential:
    """conv+PReLU, side residual block, then a 2x transposed convolution (every decoder's body)."""
    return nn.Sequential(
        conv_prelu(in_ch, width), SideResBlock(width, SKIP_CHANNELS), nn.ConvTranspose2d(width, out_ch, 4, 2, 1)
    )


class CoarsestDecoder(nn.Module):
    """From both frames' 1/16 features and the time step to 1/8 flows and intermediate feature."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.convblock = decoder_body(in_ch * 2 + 1, in_ch * 2, out_ch + 4)

    def forward(self, f0: torch.Tensor, f1: torch.Tensor, time: torch.Tensor) -> tuple[torch.Tensor, ...]:
        time_map = time.expand(f0.shape[0], 1, *f0.shape[2:])
        out = self.convblock(torch.cat([f0, f1, time_map], 1))
        return out[:, 0:2], out[:, 2:4], out[:, 4:]


class RefiningDecoder(nn.Module):
    """One finer level: warps both frames' features by the coarser flows and predicts residual flows."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.convblock = decoder_body(in_ch * 3 + 4, in_ch * 3, out_ch)

    def _predict(self, feature, f0, f1, flow0, flow1) -> torch.Tensor:
        inputs = [feature, backward_warp(f0, flow0), backward_warp(f1, flow1), flow0, flow1]
        return self.convblock(torch.cat(inputs, 1))


class IntermediateDecoder(RefiningDecoder):
    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__(in_ch, out_ch + 4)

    def forward(self, feature, f0, f1, flow0, flow1) -> tuple[torch.Tensor, ...]:
        out = self._predict(feature, f0, f1, flow0, flow1)
        return out[:, 0:2] + 2.0 * rescale(flow0, 2.0), out[:, 2:4] + 2.0 * rescale(flow1, 2.0), out[:, 4:]


class MultiFlowDecoder(RefiningDecoder):
    """The finest level: ``NUM_FLOWS`` flow pairs per pixel, with blend masks and image residuals."""

    def __init__(self, in_ch: int) -> None:
        super().__init__(in_ch, 8 * NUM_FLOWS)

    def forward(self, feature, f0, f1, flow0, flow1) -> tuple[torch.Tensor, ...]:
        n = NUM_FLOWS
        out = self._predict(feature, f0, f1, flow0, flow1)
        delta0, delta1, mask, residual = torch.split(out, [2 * n, 2 * n, n, 3 * n], 1)
        flow0 = delta0 + 2.0 * rescale(flow0, 2.0).repeat(1, n, 1, 1)
        flow1 = delta1 + 2.0 * rescale(flow1, 2.0).repeat(1, n, 1, 1)
        return flow0, flow1, torch.sigmoid(mask), residual


class AMTS(nn.Module):
    """AMT-S: ``model(frame0, frame1, time)`` -> the interpolated frame in [0, 1], [B, 3, H, W].

    Frames are float in [0, 1] with H and W multiples of 16 (pad them first, as vbench does).
    ``scale_factor`` < 1 runs the network on downscaled frames and upsamples the flows (vbench's
    memory rule for large frames on small GPUs). ``corr_levels`` below AMT-S's 4 is only for random weights
    (the tiny preset): the public file has 4, and :meth:`from_pretrained` builds that.
    """

    def __init__(self, corr_levels: int = CORR_LEVELS) -> None:
        super().__init__()
        c = PYRAMID_CHANNELS
        self.corr_levels = corr_levels
        self.feat_encoder = FeatureEncoder()
        self.encoder = ImagePyramid(c)
        self.decoder4 = CoarsestDecoder(c[3], c[2])
        self.decoder3 = IntermediateDecoder(c[2], c[1])
        self.decoder2 = IntermediateDecoder(c[1], c[0])
        self.decoder1 = MultiFlowDecoder(c[0])
        self.update4 = UpdateBlock(c[2], 1, corr_levels)
        self.update3 = UpdateBlock(c[1], 2, corr_levels)
        self.update2 = UpdateBlock(c[0], 4, corr_levels)
        self.comb_block = nn.Sequential(
            nn.Conv2d(3 * NUM_FLOWS, 6 * NUM_FLOWS, 3, 1, 1),
            nn.PReLU(6 * NUM_FLOWS),
            nn.Conv2d(6 * NUM_FLOWS, 3, 3, 1, 1),
        )

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str | torch.device = "cpu") -> AMTS:
        """The public ``amt-s.pth`` ({"state_dict": ...}), loaded strictly."""
        checkpoint = torch.load(Path(path), map_location="cpu", weights_only=True)
        state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else None
        if state is None:
            raise ValueError(f"{path}: not an AMT checkpoint (expected a dict with 'state_dict'); pass amt-s.pth")
        model = cls()
        model.load_state_dict(state, strict=True)
        return model.to(device).eval()

    @property
    def min_padded_side(self) -> int:
        """The smallest padded frame side: 1/8 resolution pooled ``corr_levels - 1`` times keeps 2 x 2 cells."""
        return 16 * 2 ** (self.corr_levels - 1)

    @classmethod
    def random(cls, seed: int, device: str | torch.device = "cpu", corr_levels: int = CORR_LEVELS) -> AMTS:
        """AMT-S with seeded random weights: each tensor drawn in key order, independent of build order.

        Weights are N(0, 1/fan_in) (PReLU slopes 0.25, biases 0), which keeps activations at a sane scale so the
        interpolated frames depend on the inputs (numbers carry :data:`metrics.protocol_names.RANDOM_WEIGHTS_BANNER`).
        """
        model = cls(corr_levels)
        generator = torch.Generator().manual_seed(seed)
        state = {}
        for key, tensor in sorted(model.state_dict().items()):
            if tensor.ndim >= 2:
                state[key] = torch.randn(tensor.shape, generator=generator) / tensor[0].numel() ** 0.5
            else:  # PReLU slopes 0.25, biases 0
                state[key] = torch.full(tensor.shape, 0.25 if key.endswith(".weight") else 0.0)
        model.load_state_dict(state, strict=True)
        return model.to(device).eval()

    @classmethod
    def tiny(cls, seed: int, device: str | torch.device = "cpu") -> AMTS:
        """:meth:`random` with :data:`TINY_CORR_LEVELS` correlation levels: it scores frames over 16 pixels a side."""
        return cls.random(seed, device, TINY_CORR_LEVELS)

    def _refine(self, update, feature, flow0, flow1, correlation, coords, time):
        """One update from the correlation around the positions the (linearly extrapolated) flows point to, at
        1/8 resolution (the flows brought down by the update's factor)."""
        small0 = rescale(flow0, 1 / update.upsample) / update.upsample  # exact at 1: rescale keeps it, x / 1 is x
        small1 = rescale(flow1, 1 / update.upsample) / update.upsample
        corr0, corr1 = correlation(coords + small1 * (1.0 / time), coords + small0 * (1.0 / (1.0 - time)))
        delta_feature, delta_flow = update(feature, torch.cat([small0, small1], 1), torch.cat([corr0, corr1], 1))
        return flow0 + delta_flow[:, :2], flow1 + delta_flow[:, 2:], feature + delta_feature

    def forward(
        self, img0: torch.Tensor, img1: torch.Tensor, time: torch.Tensor, scale_factor: float = 1.0
    ) -> torch.Tensor:
        mean = torch.cat([img0, img1], 2).mean(1, keepdim=True).mean(2, keepdim=True).mean(3, keepdim=True)
        img0, img1 = img0 - mean, img1 - mean
        small0, small1 = rescale(img0, scale_factor), rescale(img1, scale_factor)
        height, width = small0.shape[-2:]
        # pixel coordinates at 1/8 resolution, [1, 2, H/8, W/8], x first (added to each pair's flows by broadcasting)
        xs, ys = torch.arange(width // 8, device=img0.device), torch.arange(height // 8, device=img0.device)
        coords = torch.stack(torch.meshgrid(xs, ys, indexing="xy")).float()[None]
        fmap0, fmap1 = self.feat_encoder(torch.cat([small0, small1])).chunk(2)
        correlation = BidirectionalCorrelation(fmap0, fmap1, self.corr_levels, CORR_RADIUS)
        f0, f1 = self.encoder(small0), self.encoder(small1)

        flow0, flow1, feature = self.decoder4(f0[3], f1[3], time)
        flow0, flow1, feature = self._refine(self.update4, feature, flow0, flow1, correlation, coords, time)
        flow0, flow1, feature = self.decoder3(feature, f0[2], f1[2], flow0, flow1)
        flow0, flow1, feature = self._refine(self.update3, feature, flow0, flow1, correlation, coords, time)
        flow0, flow1, feature = self.decoder2(feature, f0[1], f1[1], flow0, flow1)
        flow0, flow1, feature = self._refine(self.update2, feature, flow0, flow1, correlation, coords, time)
        flow0, flow1, mask, residual = self.decoder1(feature, f0[0], f1[0], flow0, flow1)
        up = 1.0 / scale_factor  # exact at 1: rescale keeps its input, x * 1.0 is x
        flow0, flow1 = rescale(flow0, up) * up, rescale(flow1, up) * up
        mask, residual = rescale(mask, up), rescale(residual, up)
        return self._merge(img0, img1, flow0, flow1, mask, residual, mean).clamp(0, 1)

    def _merge(self, img0, img1, flow0, flow1, mask, residual, mean) -> torch.Tensor:
        """Warp both frames by each flow pair, blend by mask, add residual and mean, then combine the candidates."""
        batch, _, height, width = flow0.shape
        n = NUM_FLOWS

        def per_flow(x: torch.Tensor, channels: int) -> torch.Tensor:
            return x.reshape(batch * n, channels, height, width)

        def repeated(x: torch.Tensor) -> torch.Tensor:
            return x.unsqueeze(1).expand(batch, n, *x.shape[1:]).reshape(batch * n, *x.shape[1:])

        warped0 = backward_warp(repeated(img0), per_flow(flow0, 2))
        warped1 = backward_warp(repeated(img1), per_flow(flow1, 2))
        blend = per_flow(mask, 1)
        candidates = blend * warped0 + (1 - blend) * warped1 + repeated(mean) + per_flow(residual, 3)
        candidates = candidates.reshape(batch, n, 3, height, width)
        return candidates.mean(1) + self.comb_block(candidates.reshape(batch, n * 3, height, width))
