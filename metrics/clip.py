"""CLIP-based video metrics on top of open_clip: CLIPSIM and frame consistency.

CLIPSIM of a video is the mean over its frames of the raw cosine between frame and caption embeddings
(not x100, not clamped at 0: rescale other papers' values before comparing). Frame consistency is the mean
cosine over all ordered pairs of distinct frames; ``to_percent`` gives the x100 form papers usually report.

Frames go through open_clip's own evaluation transform (what ``create_model_and_transforms`` returns: PIL
bicubic resize of the shorter side, centre crop, mean/std), so the pixels match open_clip exactly; a torch
re-implementation on the GPU differed by up to 26 uint8 levels on noisy frames (torch's bicubic kernel is
not PIL's), and the transform costs little beside the image encoder. open_clip is imported only when a
model is built, so that ``import metrics`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from metrics.i3d import is_torchscript_archive
from metrics.protocol_names import DEFAULT_CLIP_MODEL

Frames = torch.Tensor | np.ndarray


def to_percent(value: float) -> float:
    """Cosine similarity in the x100 form most papers print."""
    return 100.0 * value


#: ``--clip-pretrained`` value for a model config used as written (custom configs, random test models).
AS_CONFIGURED = "none"


@dataclass(frozen=True)
class ClipConfig:
    """open_clip's own settings for one (model, pretrained tag) pair: what weights of that name were trained with.

    QuickGELU and GELU models have identical parameters, so a weight file cannot say which it needs
    (OpenAI's weights need QuickGELU; open_clip's ``ViT-B-32`` config says GELU): the tag settles it,
    never the file name.
    """

    model: str
    pretrained: str
    quick_gelu: bool
    preprocess: dict[str, Any]  # mean, std, interpolation, resize_mode of the tag (open_clip's image_* arguments)

    def params(self) -> dict[str, str]:
        """What a run logs beside the checkpoint's sha256."""
        return {
            "model": self.model,
            "pretrained": self.pretrained,
            "activation": "QuickGELU" if self.quick_gelu else "GELU",
        }


def clip_config(model_name: str, pretrained: str, checkpoint: str | Path | None = None) -> ClipConfig:
    """open_clip's config for ``model_name`` with the weights ``pretrained`` names; refused when it cannot be known.

    ``pretrained`` is one of open_clip's tags for the model (``openai``, ``laion2b_s34b_b79k``, ...) or
    ``"none"`` (the model config as written, GELU unless it says otherwise). OpenAI's TorchScript release
    is OpenAI's weights, so only ``openai`` goes with it.
    """
    import open_clip
    from open_clip.pretrained import get_pretrained_cfg, list_pretrained_tags_by_model

    model_cfg = open_clip.get_model_config(model_name)
    if model_cfg is None:
        raise ValueError(
            f"--clip-model {model_name} is not an open_clip model name (e.g. ViT-B-32, ViT-L-14); "
            "name the architecture of --clip-ckpt"
        )
    configured_quick_gelu = bool(model_cfg.get("quick_gelu", False))
    if checkpoint is not None and is_torchscript_archive(Path(checkpoint)):
        if pretrained != "openai":
            raise ValueError(
                f"--clip-ckpt {checkpoint} is OpenAI's TorchScript release: pass --clip-pretrained openai "
                f"(got {pretrained})"
            )
        return ClipConfig(model_name, pretrained, True, {})
    if pretrained == AS_CONFIGURED:
        return ClipConfig(model_name, pretrained, configured_quick_gelu, {})
    tag_cfg = get_pretrained_cfg(model_name, pretrained)
    if not tag_cfg:
        tags = list_pretrained_tags_by_model(model_name)
        known = f"its tags: {', '.join(tags)}" if tags else "it has no published tags"
        raise ValueError(
            f"--clip-pretrained {pretrained} is not an open_clip tag of --clip-model {model_name} ({known}); "
            f"name the weights in --clip-ckpt with --clip-pretrained TAG, or --clip-pretrained {AS_CONFIGURED} "
            "for the model config as written"
        )
    keys = ("mean", "std", "interpolation", "resize_mode")
    preprocess = {f"image_{key}": tag_cfg[key] for key in keys if key in tag_cfg}
    return ClipConfig(model_name, pretrained, configured_quick_gelu or bool(tag_cfg.get("quick_gelu")), preprocess)


def clipsim_from_embeddings(
    image_embeddings: torch.Tensor | np.ndarray, text_embedding: torch.Tensor | np.ndarray
) -> float:
    """CLIPSIM of one video from its L2-normalised frame embeddings ``[T, D]`` and caption embedding ``[D]``."""
    images = torch.as_tensor(np.asarray(image_embeddings), dtype=torch.float64)
    text = torch.as_tensor(np.asarray(text_embedding), dtype=torch.float64)
    if images.ndim != 2 or text.shape != images.shape[1:]:
        raise ValueError(
            f"expected frame embeddings [T, D] and a caption embedding [D], got {tuple(images.shape)} "
            f"and {tuple(text.shape)}"
        )
    return float((images @ text).mean())


def frame_consistency_from_embeddings(image_embeddings: torch.Tensor | np.ndarray) -> float:
    """Mean cosine over all ordered pairs of distinct frames, from L2-normalised frame embeddings ``[T, D]``."""
    emb = torch.as_tensor(np.asarray(image_embeddings), dtype=torch.float64)
    if emb.ndim != 2 or emb.shape[0] < 2:
        raise ValueError(
            f"frame consistency needs the embeddings [T, D] of one video with T >= 2, got {tuple(emb.shape)}"
        )
    t = emb.shape[0]
    gram = emb @ emb.T
    return float((gram.sum() - gram.diagonal().sum()) / (t * (t - 1)))


@dataclass(frozen=True)
class VideoClipScores:
    """One video's CLIPSIM and frame consistency (raw cosines) from one embedding of its frames."""

    clipsim: float
    consistency: float
    image_embeddings: torch.Tensor  # [T, D], L2-normalised, float32 on the CPU


@dataclass(frozen=True)
class ClipSimResult:
    """Per-video CLIPSIM scores, their mean, and the embeddings they came from (for reuse)."""

    per_video: np.ndarray  # float64 [N]
    mean: float
    image_embeddings: list[torch.Tensor]  # one [T, D] tensor per video
    text_embeddings: torch.Tensor  # [N, D]


@dataclass
class ClipSimAccumulator:
    """Sum and count of per-video CLIPSIM scores; shards merge by addition, like a torchmetrics state."""

    count: int = 0
    total: float = 0.0

    def update(self, per_video: np.ndarray | Sequence[float]) -> None:
        scores = np.asarray(per_video, dtype=np.float64)
        self.count += scores.size
        self.total += float(scores.sum())

    def __add__(self, other: ClipSimAccumulator) -> ClipSimAccumulator:
        return ClipSimAccumulator(self.count + other.count, self.total + other.total)

    def compute(self) -> float:
        if self.count == 0:
            raise ValueError("no CLIPSIM scores accumulated")
        return self.total / self.count


# A two-layer CLIP in open_clip's model-config layout, sharing ViT-B/32's BPE vocabulary (bundled
# with open_clip), for tests and tiny presets that must run offline in seconds.
TINY_CLIP_CONFIG = {
    "embed_dim": 16,
    "vision_cfg": {"layers": 1, "width": 32, "head_width": 16, "patch_size": 8, "image_size": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


def random_clip(seed: int = 0) -> nn.Module:
    """open_clip's real ``CLIP`` class at :data:`TINY_CLIP_CONFIG` size with seeded random weights (numbers
    from it carry :data:`~metrics.protocol_names.RANDOM_WEIGHTS_BANNER`); the global random state is left as it was."""
    from open_clip.model import CLIP

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return CLIP(**TINY_CLIP_CONFIG).eval()  # open_clip builds the tower configs from the dicts


class ClipScorer:
    """Embeds frames and captions with an open_clip model and derives CLIPSIM / frame consistency."""

    def __init__(
        self,
        model: nn.Module,
        tokenizer: Callable[[list[str]], torch.Tensor],
        *,
        device: str | torch.device = "cpu",
        batch_size: int = 64,
        transform: Callable[[Any], torch.Tensor] | None = None,
    ) -> None:
        """``transform`` maps a PIL image to the model's input (open_clip's evaluation transform by default)."""
        import open_clip
        from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        size = getattr(model.visual, "image_size", 224)
        if isinstance(size, (tuple, list)) and size[0] != size[1]:
            raise ValueError(f"non-square CLIP image size {size} is not supported")
        self.image_size = int(size[0] if isinstance(size, (tuple, list)) else size)
        # A model that does not carry its own normalisation gets CLIP's published statistics.
        mean = getattr(model.visual, "image_mean", None) or OPENAI_DATASET_MEAN
        std = getattr(model.visual, "image_std", None) or OPENAI_DATASET_STD
        self.transform = transform or open_clip.image_transform(self.image_size, is_train=False, mean=mean, std=std)
        self.config: ClipConfig | None = None  # set by from_pretrained

    @classmethod
    def from_pretrained(
        cls,
        model_name: str = DEFAULT_CLIP_MODEL,
        checkpoint: str | Path | None = None,
        *,
        pretrained: str = "openai",
        device: str | torch.device = "cpu",
        batch_size: int = 64,
    ) -> ClipScorer:
        """Build from a local checkpoint file (never downloads) with open_clip's config for ``model_name`` and
        the ``pretrained`` tag naming its weights (:func:`clip_config`); ``self.config`` records the choice."""
        import open_clip

        if checkpoint is None or not Path(checkpoint).is_file():
            raise FileNotFoundError(
                f"CLIP checkpoint not found: {checkpoint}; pass a local weights file "
                "(e.g. --clip-ckpt path/to/open_clip_pytorch_model.bin)"
            )
        config = clip_config(model_name, pretrained, checkpoint)
        if is_torchscript_archive(Path(checkpoint)):
            # OpenAI's original release is a TorchScript archive; open_clip rebuilds it (with QuickGELU).
            model = open_clip.load_openai_model(str(checkpoint), precision="fp32", device="cpu")
            transform = None  # the scorer's default: open_clip's evaluation transform at the model's size
        else:
            model, _, transform = open_clip.create_model_and_transforms(
                model_name, pretrained=str(checkpoint), force_quick_gelu=config.quick_gelu, **config.preprocess
            )
        tokenizer = open_clip.get_tokenizer(model_name)
        scorer = cls(model, tokenizer, device=device, batch_size=batch_size, transform=transform)
        scorer.config = config
        return scorer

    @classmethod
    def random(cls, seed: int = 0, *, device: str | torch.device = "cpu", batch_size: int = 64) -> ClipScorer:
        """A scorer on :func:`random_clip`, offline; for tests and tiny presets."""
        import open_clip

        tokenizer = open_clip.get_tokenizer(DEFAULT_CLIP_MODEL)  # TINY_CLIP_CONFIG's vocabulary
        return cls(random_clip(seed), tokenizer, device=device, batch_size=batch_size)

    def preprocess(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 or [0, 1] float ``[N, H, W, 3]`` -> ``[N, 3, S, S]`` by open_clip's transform, on the scorer's device.

        Float frames are rounded to uint8 first, as PIL needs (and as a saved video would be).
        """
        from PIL import Image

        if frames.is_floating_point():
            frames = frames.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
        elif frames.dtype != torch.uint8:
            raise TypeError(f"frames must be uint8 or floating point in [0, 1], got {frames.dtype}")
        pixels = [self.transform(Image.fromarray(frame.numpy())) for frame in frames.cpu()]
        return torch.stack(pixels).to(self.device)

    def image_embeddings(self, frames: Frames) -> torch.Tensor:
        """L2-normalised embeddings of ``[N, H, W, 3]`` frames (-> ``[N, D]``) or ``[N, T, H, W, 3]`` videos
        (-> ``[N, T, D]``), float32 on the CPU, computed ``batch_size`` frames at a time."""
        frames = frames if isinstance(frames, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(frames))
        if frames.ndim not in (4, 5) or frames.shape[-1] != 3:
            raise ValueError(f"expected frames [N, H, W, 3] or videos [N, T, H, W, 3], got {tuple(frames.shape)}")
        flat = frames.reshape(-1, *frames.shape[-3:])
        with torch.inference_mode():
            out = [self.model.encode_image(self.preprocess(chunk)) for chunk in flat.split(self.batch_size)]
            return torch.cat([F.normalize(emb.float(), dim=-1).cpu() for emb in out]).reshape(*frames.shape[:-3], -1)

    def text_embeddings(self, captions: Sequence[str]) -> torch.Tensor:
        """L2-normalised caption embeddings ``[N, D]``, float32 on the CPU."""
        with torch.inference_mode():
            tokens = self.tokenizer(list(captions)).to(self.device)
            out = [self.model.encode_text(chunk) for chunk in tokens.split(self.batch_size)]
            return torch.cat([F.normalize(emb.float(), dim=-1).cpu() for emb in out])

    def clipsim(self, videos: Frames | Sequence[Frames], captions: Sequence[str]) -> ClipSimResult:
        """Per-video mean over frames of cosine(frame, caption) and the mean over videos."""
        if len(videos) != len(captions):
            raise ValueError(f"{len(videos)} videos but {len(captions)} captions")
        text = self.text_embeddings(captions)
        if isinstance(videos, (torch.Tensor, np.ndarray)):
            images = list(self.image_embeddings(videos))
        else:  # videos of different sizes or lengths are embedded one by one
            images = [self.image_embeddings(v) for v in videos]
        per_video = np.array([clipsim_from_embeddings(img, txt) for img, txt in zip(images, text, strict=True)])
        return ClipSimResult(per_video, float(per_video.mean()), images, text)

    def frame_consistency(self, video: Frames) -> float:
        """Mean cosine similarity over all ordered pairs of distinct frames of one ``[T, H, W, 3]`` video."""
        if len(video.shape) != 4:
            raise ValueError(f"frame consistency needs one video [T, H, W, 3] with T >= 2, got {tuple(video.shape)}")
        return frame_consistency_from_embeddings(self.image_embeddings(video))

    def video_scores(self, video: Frames, caption: str) -> VideoClipScores:
        """CLIPSIM and frame consistency of one ``[T, H, W, 3]`` video, embedding each frame once."""
        images = self.image_embeddings(video)
        if images.ndim != 2:
            raise ValueError(f"expected one video [T, H, W, 3], got {tuple(video.shape)}")
        text = self.text_embeddings([caption])[0]
        return VideoClipScores(clipsim_from_embeddings(images, text), frame_consistency_from_embeddings(images), images)
