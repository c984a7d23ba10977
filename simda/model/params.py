"""Parameter counts per component (the paper's Table 1), usable on the meta device."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from simda.model.base import BaseModel
from simda.model.video_unet import SimDAUNet


@dataclass(frozen=True)
class ParameterCount:
    component: str
    total: int
    trainable: int

    def as_row(self) -> dict[str, object]:
        return {
            "component": self.component,
            "params": self.total,
            "params_B": round(self.total / 1e9, 4),
            "trainable": self.trainable,
            "trainable_M": round(self.trainable / 1e6, 2),
        }


def count(module: nn.Module | list[nn.Parameter], component: str) -> ParameterCount:
    params = list(module.parameters()) if isinstance(module, nn.Module) else module
    return ParameterCount(component, sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad))


def parameter_report(base: BaseModel, model: SimDAUNet) -> list[ParameterCount]:
    """Text encoder, autoencoder, frozen UNet, adapters, and the whole, as Table 1 splits them."""
    adapters = model.adapter_parameters()
    adapter_ids = {id(p) for p in adapters}
    frozen_unet = [p for p in model.unet.parameters() if id(p) not in adapter_ids]
    rows = [
        count(base.text_encoder, "text_encoder"),
        count(base.vae, "autoencoder"),
        count(frozen_unet, "unet"),
        count(adapters, "adapters"),
    ]
    rows.append(ParameterCount("total", sum(r.total for r in rows), sum(r.trainable for r in rows)))
    return rows


def format_report(rows: list[ParameterCount]) -> str:
    lines = [f"{'component':<14}{'params':>16}{'trainable':>16}"]
    lines += [f"{r.component:<14}{r.total:>16,}{r.trainable:>16,}" for r in rows]
    return "\n".join(lines)
