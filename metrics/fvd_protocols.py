"""Named FVD protocols: every convention of one public FVD tool, as data.

The public FVD tools agree on the network (Inception-I3D, 400 Kinetics logits) and disagree on
everything around it, which is why published FVDs rarely match. Each :class:`FVDProtocol` here
reproduces one tool on the same weights and videos (read from each tool's own code); the registry
below names each tool, call and weight file in its ``tool`` and ``weights`` fields, and docs/metrics.md
tabulates every convention. A protocol also carries the facts of one run that change the value
(:meth:`FVDProtocol.for_run`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from metrics.frame_selection import FrameSelection, FrameStart
from metrics.frechet import SqrtmMethod
from metrics.i3d import TF_BN_EPS, VIDEOGPT_BN_EPS, InceptionI3d, TorchScriptI3D, load_i3d, random_i3d
from metrics.protocol_names import DEFAULT_PROTOCOL_NAME, PROTOCOL_NAMES
from metrics.videomae import TINY_VIDEOMAE, VideoMAEv2Encoder, load_videomae, random_videomae

#: How frames reach 224x224: one of :mod:`metrics.video_preprocess`'s resizes (each tool's, documented
#: there), or inside the detector.
Resize = Literal["tf1-bilinear", "bilinear", "shorter-side-bilinear-centre-crop", "cd-fvd-folder", "detector"]
DetectorFormat = Literal["state_dict", "torchscript", "any"]
#: The network whose outputs are the features: Inception-I3D's 400 Kinetics logits, or VideoMAE-v2's
#: 1408 pooled encoder features (cd-fvd's content-debiased FVD).
Network = Literal["i3d", "videomae-v2"]

#: Run-specific fields: they describe one evaluation, not the tool, and may differ per run.
_RUN_FIELDS = ("detector_sha256", "num_frames", "frame_sampling")
#: Fields applied to statistics, not to features: a feature cache need not be keyed by them.
_STATISTICS_FIELDS = ("ddof", "sqrtm_method")


@dataclass(frozen=True)
class FVDProtocol:
    """Every convention that changes an FVD value; ``as_params()`` is meant for experiment logs.

    The defaults are the ``cd-fvd`` protocol (see :data:`DEFAULT_PROTOCOL` for why). A protocol
    whose ``name`` is registered must carry exactly that entry's conventions, so a name never
    describes a number computed otherwise; build variants with another name.
    """

    name: str = "cd-fvd"
    tool: str = "cd-fvd 0.1.1 (cdfvd.fvd.cdfvd(model='i3d').compute_fvd on uint8 arrays)"
    network: Network = "i3d"
    weights: str = "i3d_pretrained_400.pt (VideoGPT's, as downloaded by cd-fvd from TATS)"
    detector_format: DetectorFormat = "state_dict"
    bn_eps: float | None = VIDEOGPT_BN_EPS
    resize: Resize = "bilinear"
    size: int = 224
    value_range: tuple[float, float] | None = (-1.0, 1.0)
    frame_start: FrameStart = "first"
    ddof: int = 0
    sqrtm_method: SqrtmMethod = "sqrtm"
    detector_sha256: str | None = None
    num_frames: int | None = None
    frame_sampling: str | None = None

    def __post_init__(self) -> None:
        registered = PROTOCOLS.get(self.name) if "PROTOCOLS" in globals() else None
        if registered is not None and registered.conventions() != self.conventions():
            changed = sorted(k for k, v in self.conventions().items() if registered.conventions()[k] != v)
            raise ValueError(
                f"FVD protocol {self.name!r} is defined with other conventions ({', '.join(changed)} differ); "
                f"use get_protocol({self.name!r}) or give the variant its own name"
            )
        if self.ddof not in (0, 1):
            raise ValueError(f"ddof must be 0 or 1, got {self.ddof}")
        if self.detector_format == "torchscript" and self.bn_eps is not None:
            raise ValueError("a TorchScript detector has its BatchNorm eps built in; set bn_eps=None")
        if (self.resize == "detector") != (self.value_range is None):
            raise ValueError("resize='detector' and value_range=None go together: the detector rescales uint8 itself")
        if self.resize == "detector" and self.detector_format != "torchscript":
            raise ValueError("only the StyleGAN-V TorchScript detector resizes and rescales by itself")
        if self.network == "videomae-v2" and (self.bn_eps is not None or self.detector_format != "state_dict"):
            raise ValueError("a VideoMAE-v2 protocol loads a state_dict and has no BatchNorm: set bn_eps=None")

    def conventions(self) -> dict[str, object]:
        """The tool's conventions: every field except the run-specific ones."""
        return {k: v for k, v in asdict(self).items() if k not in _RUN_FIELDS}

    def for_run(
        self, *, detector_sha256: str | None = None, num_frames: int | None = None, frame_sampling: str | None = None
    ) -> FVDProtocol:
        """This protocol with the facts of one run filled in."""
        return replace(self, detector_sha256=detector_sha256, num_frames=num_frames, frame_sampling=frame_sampling)

    def as_params(self) -> dict[str, str]:
        """Flat ``{"fvd.<field>": str}`` (the name as ``fvd.protocol``; unknown values as ``"unknown"``)."""
        params = {f"fvd.{k}": "unknown" if v is None else str(v) for k, v in asdict(self).items() if k != "name"}
        return {"fvd.protocol": self.name, **params}

    def feature_params(self) -> dict[str, str]:
        """The params that change per-video features (keys a real-feature cache); statistics choices left out."""
        return {k: v for k, v in self.as_params().items() if k.removeprefix("fvd.") not in _STATISTICS_FIELDS}

    def check_detector(self, detector: nn.Module) -> None:
        """Refuse a detector this protocol cannot reproduce its tool with (wrong eps, format or call).

        Detectors of other classes (test stand-ins, custom networks) cannot be checked and pass.
        """
        # the other network's detector classes (checkpoints are told apart by the protocol, not the file)
        if isinstance(detector, VideoMAEv2Encoder if self.network == "i3d" else (InceptionI3d, TorchScriptI3D)):
            raise ValueError(
                f"FVD protocol {self.name!r} computes features with {self.network}, got a "
                f"{type(detector).__name__}; load the detector with protocol.load_detector(path)"
            )
        if isinstance(detector, InceptionI3d):
            if self.detector_format == "torchscript":
                raise ValueError(
                    f"FVD protocol {self.name!r} needs StyleGAN-V's TorchScript detector ({self.weights}), "
                    "got an InceptionI3d state_dict model"
                )
            if self.bn_eps is not None and detector.bn_eps != self.bn_eps:
                raise ValueError(
                    f"FVD protocol {self.name!r} needs I3D BatchNorm eps {self.bn_eps:g}, the detector has "
                    f"{detector.bn_eps:g}; load it with protocol.load_detector(path) or load_i3d(path, "
                    f"bn_eps={self.bn_eps:g})"
                )
        elif isinstance(detector, TorchScriptI3D):
            if self.detector_format == "state_dict":
                raise ValueError(
                    f"FVD protocol {self.name!r} needs a state_dict in the InceptionI3d layout ({self.weights}), "
                    "got the StyleGAN-V TorchScript detector; use --fvd-protocol stylegan-v, "
                    "common-metrics-styleganv or tf with that file"
                )
            if detector.detector_preprocesses != (self.resize == "detector"):
                raise ValueError(
                    f"FVD protocol {self.name!r} calls the TorchScript detector with rescale/resize "
                    f"{self.resize == 'detector'}; load it with protocol.load_detector(path)"
                )

    def frame_selection(self) -> FrameSelection:
        """The frames the tool takes from a longer clip: consecutive, stride 1 (every tool's default), from
        the first frame (array APIs) or at a random offset (dataset loaders)."""
        return FrameSelection(start=self.frame_start)

    def load_detector(self, path: str | Path, device: str | torch.device = "cpu") -> nn.Module:
        """Load ``path`` as this protocol's tool loads its detector (BatchNorm eps, TorchScript call)."""
        if self.network == "videomae-v2":
            return load_videomae(path, device)
        eps = self.bn_eps if self.bn_eps is not None else TF_BN_EPS
        detector = load_i3d(path, device, bn_eps=eps, detector_preprocesses=self.resize == "detector")
        self.check_detector(detector)
        return detector

    def random_detector(self, seed: int = 0) -> nn.Module:
        """The real I3D with calibrated random weights (:func:`metrics.i3d.random_i3d`) at this protocol's eps,
        or for VideoMAE-v2 its architecture at :data:`metrics.videomae.TINY_VIDEOMAE` size (ViT-g is 1B weights)."""
        if self.network == "videomae-v2":
            return random_videomae(TINY_VIDEOMAE, seed)
        if self.detector_format == "torchscript":
            raise ValueError(f"FVD protocol {self.name!r} needs the TorchScript file; there is no random version")
        return random_i3d(seed, bn_eps=self.bn_eps if self.bn_eps is not None else TF_BN_EPS)


#: VideoGPT's resize and statistics, which common_metrics_on_video_quality's two modes copy.
_VIDEOGPT_CONVENTIONS: dict = {"resize": "shorter-side-bilinear-centre-crop", "ddof": 1, "sqrtm_method": "eigh"}
#: The registry; a field left out is the cd-fvd default above.
PROTOCOLS: dict[str, FVDProtocol] = {
    protocol.name: protocol
    for protocol in (
        FVDProtocol(
            name="tf",
            tool="google-research frechet_video_distance (TF1 tf.image.resize_bilinear, TF-GAN distance)",
            weights="DeepMind's TF-hub i3d-kinetics-400/1, e.g. StyleGAN-V's port i3d_torchscript.pt, "
            "or a state_dict converted from TF (eps 1e-3)",
            detector_format="any",
            bn_eps=TF_BN_EPS,
            resize="tf1-bilinear",
            ddof=1,
            sqrtm_method="eigh",
        ),
        FVDProtocol(
            name="stylegan-v",
            tool="StyleGAN-V src/metrics/frechet_video_distance.py (detector rescale=True, resize=True on uint8)",
            weights="i3d_torchscript.pt (StyleGAN-V's TorchScript port of the TF-hub module)",
            detector_format="torchscript",
            bn_eps=None,
            resize="detector",
            value_range=None,
            frame_start="random",
        ),
        FVDProtocol(),  # cd-fvd: the field defaults
        FVDProtocol(
            name="cd-fvd-folder",
            tool="cd-fvd 0.1.1 (load_videos(data_type='video_folder', resolution=256), then compute_real_stats)",
            resize="cd-fvd-folder",
            frame_start="random",
        ),
        FVDProtocol(
            name="cd-fvd-videomae",
            tool="cd-fvd 0.1.1 (cdfvd.fvd.cdfvd(model='videomae').compute_fvd on uint8 arrays: content-debiased FVD)",
            network="videomae-v2",
            weights="vit_g_hybrid_pt_1200e_ssv2_ft.pth "
            "(VideoMAE-v2 ViT-g/14, fine-tuned on SSv2, as cd-fvd downloads it)",
            bn_eps=None,
            value_range=(0.0, 1.0),
        ),
        FVDProtocol(
            name="videogpt",
            tool="VideoGPT videogpt/fvd/fvd.py (data.py's [-0.5, 0.5] preprocess doubled to [-1, 1], torch SVD root)",
            weights="i3d_pretrained_400.pt (shipped with VideoGPT)",
            **_VIDEOGPT_CONVENTIONS,
        ),
        FVDProtocol(
            name="common-metrics-videogpt",
            tool="common_metrics_on_video_quality fvd/videogpt (VideoGPT's fvd.py preprocess on [0, 1] floats)",
            weights="i3d_pretrained_400.pt",
            **_VIDEOGPT_CONVENTIONS,
        ),
        FVDProtocol(
            name="common-metrics-styleganv",
            tool="common_metrics_on_video_quality fvd/styleganv (own resize and crop, detector rescale/resize off)",
            weights="i3d_torchscript.pt",
            detector_format="torchscript",
            bn_eps=None,
            resize="shorter-side-bilinear-centre-crop",
            ddof=1,
        ),
    )
}

if tuple(PROTOCOLS) != PROTOCOL_NAMES:  # the torch-free list the command lines show must be this registry
    raise ImportError(f"metrics.protocol_names lists {PROTOCOL_NAMES}, the registry holds {tuple(PROTOCOLS)}")
#: cd-fvd's, for the reasons :data:`metrics.protocol_names.DEFAULT_PROTOCOL_NAME` gives.
DEFAULT_PROTOCOL = PROTOCOLS[DEFAULT_PROTOCOL_NAME]


def get_protocol(name: str) -> FVDProtocol:
    """The registered protocol called ``name``; an unknown name lists the known ones."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise ValueError(f"unknown FVD protocol {name!r}; choose one of {', '.join(PROTOCOLS)}") from None
