"""A VBench dimension scored by one network that loads a public weight file or seeded random weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch

from metrics.vbench.dimension import VBenchDimension


class NetworkDimension(VBenchDimension):
    """Holds the network in eval mode on ``device``; ``network`` names its class (``from_pretrained``/``random``)."""

    network: ClassVar[Any]
    default_batch_size: ClassVar[int] = 4

    def __init__(self, model: torch.nn.Module, device: str | torch.device = "cpu", batch_size: int | None = None):
        super().__init__()
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.batch_size = batch_size or self.default_batch_size

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str | torch.device = "cpu") -> NetworkDimension:
        """From the network's public weight file (see the subclass's module docstring for which)."""
        return cls(cls.network.from_pretrained(path), device)

    @classmethod
    def random(cls, seed: int, device: str | torch.device = "cpu") -> NetworkDimension:
        """The network with seeded random weights (tests and ``--preset tiny``: random-weight numbers)."""
        return cls(cls.network.random(seed), device)
