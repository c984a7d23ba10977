"""What a SimDA model is made of: which parts are on and how big they are.

The config travels with every adapter checkpoint (as JSON), so a checkpoint says which model it
belongs to, and an ablation variant is nothing more than a config with a part switched off.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

LsaForm = Literal["paper", "code"]
#: The four parts' short names, in the paper's order, and their switches.
PART_FIELDS = {"ta": "temporal_adapter", "aa": "attention_adapter", "fa": "ffn_adapter", "lsa": "latent_shift"}


@dataclass(frozen=True)
class SimDAConfig:
    """Switches and sizes of the four SimDA parts.

    Attributes:
        temporal_adapter: TA, a depth-wise temporal convolution adapter before each transformer.
        attention_adapter: AA, a bottleneck adapter in series on every self-attention output.
        ffn_adapter: FA, a bottleneck adapter in parallel with every feed-forward.
        latent_shift: LSA, latent-shift attention replacing every spatial self-attention.
        spatial_ratio: bottleneck width of AA and FA as a fraction of the block width (paper: 1/4).
        temporal_ratio: bottleneck width of TA as a fraction of the channels (released code: 1/2).
        temporal_kernel: length of TA's depth-wise kernel along time (released code: 3).
        lsa_form: LSA's keys/values as the paper ("paper") or the released code ("code") forms them (see latent_shift).
        clip_groupnorm: ResNet GroupNorm statistics over all frames of a clip, as in the released
            code (its norms run on the 5-D tensor); False gives per-frame statistics.
    """

    temporal_adapter: bool = True
    attention_adapter: bool = True
    ffn_adapter: bool = True
    latent_shift: bool = True
    spatial_ratio: float = 0.25
    temporal_ratio: float = 0.5
    temporal_kernel: int = 3
    lsa_form: LsaForm = "paper"
    clip_groupnorm: bool = True

    def __post_init__(self) -> None:
        if self.lsa_form not in ("paper", "code"):
            raise ValueError(f"lsa_form must be 'paper' or 'code', got {self.lsa_form!r}")
        if self.temporal_kernel < 1 or self.temporal_kernel % 2 == 0:
            raise ValueError(f"temporal_kernel must be a positive odd number, got {self.temporal_kernel}")
        for name in ("spatial_ratio", "temporal_ratio"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must lie in (0, 1], got {value}")

    def without(self, *parts: str) -> SimDAConfig:
        """The same config with parts switched off; ``sa`` stands for both spatial adapters."""
        off: dict[str, bool] = {}
        for part in parts:
            for name in ["aa", "fa"] if part == "sa" else [part]:
                if name not in PART_FIELDS:
                    raise ValueError(f"unknown part {part!r}: choose from ta, aa, fa, sa, lsa")
                off[PART_FIELDS[name]] = False
        return dataclasses.replace(self, **off)

    def parts_on(self) -> list[str]:
        """Short names of the parts that are switched on, in the paper's order."""
        return [name for name, field in PART_FIELDS.items() if getattr(self, field)]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimDAConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown SimDA config keys {unknown}; known keys are {sorted(known)}")
        return cls(**data)
