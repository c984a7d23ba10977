"""Adapter checkpoints: the adapters alone, as a diffusers model folder.

Like diffusers' ``MotionAdapter``, ``SimDAAdapters`` saves to a folder (``config.json`` +
``diffusion_pytorch_model.safetensors``) that ``from_pretrained`` (ours or diffusers' own machinery)
reads back. Older single-file checkpoints (``.safetensors`` with a ``.json`` beside it) still load.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from diffusers import ModelMixin, UNet2DConditionModel
from diffusers.configuration_utils import ConfigMixin, register_to_config
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from metrics.file_modes import share_like_open
from metrics.strict_json import strict_dumps
from simda.model.adapters import ADAPTER_TYPES, SpatialAdapter, TemporalAdapter
from simda.model.base import architecture
from simda.model.config import SimDAConfig
from simda.model.video_unet import SimDAUNet, base_kind_of
from simda.plumbing.errors import BadInputFile, MissingInput
from simda.plumbing.names import read_text

LEGACY_FORMAT = "simda-adapters/1"
WEIGHTS_NAME = "diffusion_pytorch_model.safetensors"
TRAINING_INFO = "training_info.json"


def _fresh_adapter(placed: nn.Module, config: SimDAConfig) -> nn.Module:
    """A newly initialised adapter of the same kind and width as ``placed`` (built on the meta device)."""
    if isinstance(placed, SpatialAdapter):
        return SpatialAdapter(placed.down.in_features, config.spatial_ratio, placed.residual)
    return TemporalAdapter(placed.down.in_channels, config.temporal_ratio, config.temporal_kernel)


def _place(root: nn.Module, path: str, module: nn.Module) -> None:
    """Register ``module`` under the dotted ``path``, creating empty containers on the way."""
    *parents, leaf = path.split(".")
    node = root
    for name in parents:
        if name not in node._modules:
            node.add_module(name, nn.Module())
        node = node._modules[name]
    node.add_module(leaf, module)


class SimDAAdapters(ModelMixin, ConfigMixin):
    """The trainable SimDA parts of one model, apart from the frozen base they were trained on: the weights and
    what places them (the parts that are on, their sizes, the LSA form, the base UNet's architecture), so they
    attach onto any base UNet of that architecture.

    The module tree mirrors the adapted UNet (``down_blocks.0.attentions.0.temporal_adapter``, ...), as do the
    ``state_dict()`` names (those of ``SimDAUNet.adapter_state_dict()`` and the older single files); it is derived
    by adapting a weightless copy of ``base_unet_config``'s UNet, so ``install_simda`` alone says where adapters go.
    """

    @register_to_config
    def __init__(
        self,
        base_unet_config: dict[str, Any],
        temporal_adapter: bool = True,
        attention_adapter: bool = True,
        ffn_adapter: bool = True,
        latent_shift: bool = True,
        spatial_ratio: float = 0.25,
        temporal_ratio: float = 0.5,
        temporal_kernel: int = 3,
        lsa_form: str = "paper",
        clip_groupnorm: bool = True,
    ) -> None:
        super().__init__()
        simda_config = self.simda_config  # the arguments above, as register_to_config recorded them
        with torch.device("meta"):
            skeleton = SimDAUNet(UNet2DConditionModel.from_config(base_unet_config), simda_config)
        for name, module in skeleton.unet.named_modules():
            if isinstance(module, ADAPTER_TYPES):
                _place(self, name, _fresh_adapter(module, simda_config))

    @property
    def base_kind(self) -> str:
        """The stage these adapters belong to (``text-to-video`` or ``x4-upscaler``), from their base's config."""
        return base_kind_of(self.config["base_unet_config"])

    def require_base_kind(self, kind: str, source: str | Path) -> None:
        """Refuse adapters trained for the other stage, naming the flag they belong to."""
        if self.base_kind != kind:
            flag = {"text-to-video": "--ckpt", "x4-upscaler": "--sr-ckpt"}
            raise BadInputFile(
                f"{source} holds adapters for a {self.base_kind} base, but this model is a {kind} base; "
                f"pass it as {flag[self.base_kind]}, and give {flag[kind]} adapters trained on a {kind} base"
            )

    @property
    def simda_config(self) -> SimDAConfig:
        return SimDAConfig.from_dict({key: self.config[key] for key in SimDAConfig.__dataclass_fields__})

    @classmethod
    def from_model(cls, model: SimDAUNet) -> SimDAAdapters:
        """A copy of ``model``'s adapters (same names, values and dtype), ready to save."""
        adapters = cls(base_unet_config=architecture(model.unet), **model.config.to_dict())
        adapters.load_state_dict(model.adapter_state_dict())
        return _cast(adapters, model.dtype)

    def attach(self, unet: UNet2DConditionModel | SimDAUNet) -> SimDAUNet:
        """Copy these adapters into ``unet`` (a SimDA model in place; a 2D UNet is adapted first), refusing a model
        built with other SimDA parts or a base whose architecture gives other adapters (naming the differences)."""
        base = unet.unet if isinstance(unet, SimDAUNet) else unet
        self.require_base_kind(base_kind_of(base.config), "these adapters")  # before a 2D UNet is adapted in place
        model = unet if isinstance(unet, SimDAUNet) else SimDAUNet(unet, self.simda_config).eval()
        if model.config != self.simda_config:
            raise ValueError(
                f"these adapters were trained with {self.simda_config}, but the model was built with "
                f"{model.config}; build the model from the adapters' config (adapters.attach(unet_2d))"
            )
        params, tensors = dict(model.adapter_named_parameters()), self.state_dict()
        missing, unexpected = sorted(set(params) - set(tensors)), sorted(set(tensors) - set(params))
        wrong_shape = [
            f"{name}: adapters {tuple(tensors[name].shape)} vs model {tuple(params[name].shape)}"
            for name in sorted(set(params) & set(tensors))
            if tensors[name].shape != params[name].shape
        ]
        if missing or unexpected or wrong_shape:
            base, saved = architecture(model.unet), self.config["base_unet_config"]
            differing = sorted(key for key in set(base) & set(saved) if base[key] != saved[key])
            raise ValueError(
                f"these adapters do not fit this base model: missing {missing[:5]} ({len(missing)} in all), "
                f"unexpected {unexpected[:5]} ({len(unexpected)} in all), shape mismatches {wrong_shape[:5]}; "
                f"the base UNet config differs in {differing}. Attach them to the base architecture they "
                "were trained on (base_unet_config in their config)."
            )
        with torch.no_grad():
            for name, param in params.items():
                param.copy_(tensors[name].to(param.dtype))
        return model


def _cast(adapters: SimDAAdapters, dtype: torch.dtype) -> SimDAAdapters:
    """``nn.Module.to``: diffusers' ``ModelMixin.to`` warns about fp32-kept modules on every dtype cast,
    even when a model (like this one) keeps none."""
    return nn.Module.to(adapters, dtype=dtype)


class NonFiniteAdaptersError(RuntimeError):
    """Adapter tensors hold NaN or infinity: a diverged training, never written or loaded as a checkpoint."""


def require_finite(tensors: Mapping[str, torch.Tensor], what: str) -> None:
    """Raise :class:`NonFiniteAdaptersError` naming ``what`` and the first tensors holding NaN or inf."""
    bad = [name for name, tensor in tensors.items() if not bool(torch.isfinite(tensor).all())]
    if bad:
        shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
        raise NonFiniteAdaptersError(f"{what}: {len(bad)} of {len(tensors)} adapter tensors hold NaN or inf ({shown})")


def save_adapters(model: SimDAUNet, folder: str | Path, training_info: dict[str, Any] | None = None) -> Path:
    """Write ``model``'s adapters as a diffusers model folder, whole or not at all; ``training_info`` (how they were
    made, not how to build them) goes to ``training_info.json``, not ``config.json``."""
    folder = Path(folder)
    require_finite(model.adapter_state_dict(), f"refusing to write {folder}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        SimDAAdapters.from_model(model).save_pretrained(staging, safe_serialization=True)
        if training_info is not None:
            (staging / TRAINING_INFO).write_text(strict_dumps(training_info, indent=2))
        for written in staging.iterdir():  # safetensors writes its file 0600, whatever the umask
            share_like_open(written)
        share_like_open(staging, folder=True)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def load_adapter_checkpoint(path: str | Path, argument: str = "path") -> SimDAAdapters:
    """Adapters from a folder written by ``save_adapters`` or an older ``.safetensors`` file. One holding NaN or inf
    (:class:`BadInputFile`, naming the file) and a missing or incomplete one (:class:`MissingInput`) are refused
    naming ``argument``, the user's name for ``path`` (``--ckpt``, a function's argument)."""
    path = Path(path)
    if path.is_dir():
        if not (path / "config.json").is_file() or not (path / WEIGHTS_NAME).is_file():
            raise MissingInput(
                f"{argument} {path}: not a SimDA adapter folder: it needs config.json and {WEIGHTS_NAME} "
                "(written by simda.train or SimDAAdapters.save_pretrained)"
            )
        read_config(path / "config.json")  # a corrupt config is named here, not in a diffusers traceback
        # Adapters are small: a plain load needs no accelerate and behaves the same with or without it.
        adapters = SimDAAdapters.from_pretrained(path, local_files_only=True, low_cpu_mem_usage=False)
    elif path.is_file():
        adapters = _load_legacy(path, argument)
    else:
        raise MissingInput(
            f"{argument} {path}: adapter checkpoint not found; pass an adapter folder (config.json + {WEIGHTS_NAME}) "
            "or an older .safetensors file with its .json beside it"
        )
    try:
        require_finite(adapters.state_dict(), str(weights_file(path)))
    except NonFiniteAdaptersError as exc:
        raise BadInputFile(f"{exc}: the training that wrote them diverged; pass an earlier checkpoint") from None
    return adapters


def read_config(path: Path) -> dict[str, Any]:
    """An adapter checkpoint's JSON config; an unreadable one is refused (:class:`BadInputFile`) naming the file."""
    try:
        config = json.loads(read_text(path, "--ckpt an adapter checkpoint whose config"))
    except json.JSONDecodeError as exc:
        raise BadInputFile(f"{path}: not JSON ({exc}); the adapter checkpoint is damaged, save it again") from None
    if not isinstance(config, dict):
        raise BadInputFile(f"{path}: not a JSON object; the adapter checkpoint is damaged, save it again")
    return config


def legacy_config_path(checkpoint: str | Path) -> Path:
    """Where an older single-file checkpoint keeps its JSON config: same stem, ``.json``."""
    return Path(checkpoint).with_suffix(".json")


def _load_legacy(path: Path, argument: str) -> SimDAAdapters:
    meta_file = legacy_config_path(path)
    if not meta_file.is_file():
        raise FileNotFoundError(
            f"{argument} {path}: {meta_file} not found: a single-file SimDA checkpoint is a .safetensors file with "
            "its .json config beside it; pass an adapter folder or the .safetensors file with its .json"
        )
    meta = read_config(meta_file)
    if meta.get("format") != LEGACY_FORMAT:
        raise ValueError(
            f"{meta_file} is not a SimDA adapter config (format {meta.get('format')!r}, want {LEGACY_FORMAT!r})"
        )
    try:
        tensors = load_file(path)
    except (SafetensorError, OSError) as error:
        raise ValueError(f"{path} is not a readable safetensors file ({error}); save it again") from error
    simda_config = SimDAConfig.from_dict(meta["simda_config"])
    adapters = SimDAAdapters(base_unet_config=meta["base_unet_config"], **simda_config.to_dict())
    dtypes = {tensor.dtype for tensor in tensors.values()}
    _cast(adapters, dtypes.pop() if len(dtypes) == 1 else torch.float32)
    try:
        adapters.load_state_dict(tensors)
    except RuntimeError as error:
        raise ValueError(f"{path} does not fit the adapter layout its {meta_file.name} describes: {error}") from error
    return adapters


def load_adapters(model: SimDAUNet, path: str | Path) -> SimDAAdapters:
    """Load the adapters at ``path`` (folder or older file) into ``model`` exactly."""
    adapters = load_adapter_checkpoint(path)
    adapters.attach(model)
    return adapters


def weights_file(path: str | Path) -> Path:
    """The file holding a checkpoint's tensors (inside a folder, or the older single file), e.g. to hash it."""
    path = Path(path)
    return path / WEIGHTS_NAME if path.is_dir() else path
