"""The interface every VBench dimension implements: per-video states that sum across processes.

A dimension's score is a ratio ``total / count`` whose terms VBench accumulates in its own way (per
frame pair, per video, ...). Keeping both terms as float64 lets shards, cached per-video states and
resumed runs add up to exactly the number one process would compute.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch


@dataclass
class DimensionState:
    """Summable across processes, float64."""

    total: float = 0.0
    count: float = 0.0

    def __add__(self, other: DimensionState) -> DimensionState:
        return DimensionState(float(self.total) + float(other.total), float(self.count) + float(other.count))


class VBenchDimension(ABC):
    """One VBench dimension: ``update`` per video, ``compute`` at the end, as our FVD and CLIPSIM."""

    name: ClassVar[str]  # VBench's dimension name, e.g. "subject_consistency"

    def __init__(self, model: torch.nn.Module | None = None, device: str | torch.device = "cpu") -> None:
        """``model``: the dimension's network (none for temporal flickering), held in eval mode on ``device``."""
        self.state = DimensionState()
        self.device = torch.device(device)
        self.model = None if model is None else model.to(self.device).eval()

    @abstractmethod
    def video_state(self, frames: torch.Tensor) -> DimensionState:
        """frames: uint8 [T, H, W, 3] of one video -> that video's contribution, weighted as vbench weights it."""

    @classmethod
    @abstractmethod
    def random(cls, seed: int, device: str | torch.device = "cpu") -> VBenchDimension:
        """The dimension's networks with seeded random weights (tests; numbers carry
        :data:`metrics.protocol_names.RANDOM_WEIGHTS_BANNER`)."""

    @classmethod
    def tiny(cls, seed: int = 0, device: str | torch.device = "cpu") -> VBenchDimension:
        """Seeded random weights in a configuration of the same classes that scores the tiny preset's small
        frames (``--preset tiny``); the dimension's ``random`` where that already does."""
        return cls.random(seed, device)

    def update(self, frames: torch.Tensor) -> DimensionState:
        state = self.video_state(frames)
        self.state = self.state + state
        return state

    def update_state(self, state: DimensionState) -> None:
        """Add a cached per-video state (a resumed run recomputes nothing)."""
        self.state = self.state + state

    def compute(self) -> float:
        """VBench's final score."""
        if self.state.count == 0:
            raise ValueError(f"{self.name}: no videos were scored; update() at least one video before compute()")
        return self.state.total / self.state.count

    def reset(self) -> None:
        self.state = DimensionState()


class NetworkDimension(VBenchDimension):
    """A dimension scored by one network: ``network`` names its class, which loads a public weight file
    (``from_pretrained``) or seeded random weights (``random``)."""

    network: ClassVar[Any]
    default_batch_size: ClassVar[int] = 4

    def __init__(self, model: torch.nn.Module, device: str | torch.device = "cpu", batch_size: int | None = None):
        super().__init__(model, device)
        self.batch_size = batch_size or self.default_batch_size

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str | torch.device = "cpu") -> NetworkDimension:
        """From the network's public weight file (see the subclass's module docstring for which)."""
        return cls(cls.network.from_pretrained(path), device)

    @classmethod
    def random(cls, seed: int, device: str | torch.device = "cpu") -> NetworkDimension:
        """The network with seeded random weights (tests and ``--preset tiny``: random-weight numbers)."""
        return cls(cls.network.random(seed), device)

    @classmethod
    def tiny(cls, seed: int, device: str | torch.device = "cpu") -> NetworkDimension:
        """The network's ``tiny`` configuration at seeded random weights (``--preset tiny``: seconds on a CPU)."""
        return cls(cls.network.tiny(seed), device)
