"""torchrun-aware process layout: which rank am I, how many are we, and which device is mine.

One process per GPU (``torchrun --nproc_per_node=N``), gloo on CPU so the same code and tests
run on a laptop. Work splits as ``items[rank::world_size]``, statistics merge by summation, and
only rank 0 writes shared outputs and talks to MLflow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class ProcessLayout:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def device(self, requested: str = "auto") -> torch.device:
        """``auto``: this process's own GPU when there are GPUs, else the CPU."""
        if requested != "auto":
            return torch.device(requested)
        if torch.cuda.is_available():
            return torch.device("cuda", self.local_rank)
        return torch.device("cpu")

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def mean(self, value: float) -> float:
        """Average a scalar over all processes (for logging a loss that every rank computed)."""
        if not self.distributed:
            return value
        device = torch.device("cuda", self.local_rank) if dist.get_backend() == "nccl" else torch.device("cpu")
        tensor = torch.tensor([value], dtype=torch.float64, device=device)
        dist.all_reduce(tensor)
        return float(tensor) / self.world_size


def init_from_environment() -> ProcessLayout:
    """Join torchrun's process group if launched by it; a single process otherwise."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return ProcessLayout()
    layout = ProcessLayout(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(layout.local_rank)
        dist.init_process_group(backend)
    return layout
