"""torchrun-aware process layout: which rank am I, how many are we, which items and device are mine.

One process per GPU (``torchrun --nproc_per_node=N``), gloo on CPU so the same code and tests
run on a laptop. Work splits as ``items[rank::world_size]`` of an id-sorted list (disjoint and
deterministic), statistics merge by summation, and only rank 0 writes shared outputs and talks
to MLflow. Training and the benchmarks share this one layout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as dist

T = TypeVar("T")


def resolve_device(name: str = "auto", gpu: int | None = None) -> torch.device:
    """``--device``: as named, or for ``auto`` the GPU (``cuda:gpu`` when given) if there is one, else the CPU."""
    if name != "auto":
        return torch.device(name)
    return torch.device("cuda", gpu) if torch.cuda.is_available() else torch.device("cpu")


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
        """``auto``: this process's own GPU when there are GPUs (ranks never share one), else the CPU."""
        return resolve_device(requested, self.local_rank)

    def take(self, items: Sequence[T]) -> list[T]:
        """This rank's slice of ``items``."""
        return list(items[self.rank :: self.world_size])

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def broadcast(self, value: T) -> T:
        """Rank 0's ``value`` on every rank (e.g. where rank 0 wrote files the others must read)."""
        if not self.distributed:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def sum(self, value: float) -> float:
        """``value`` summed over all processes (counts each rank knows only for its own slice)."""
        if not self.distributed:
            return value
        device = torch.device("cuda", self.local_rank) if dist.get_backend() == "nccl" else torch.device("cpu")
        tensor = torch.tensor([value], dtype=torch.float64, device=device)
        dist.all_reduce(tensor)
        return float(tensor)

    def mean(self, value: float) -> float:
        """Average a scalar over all processes (for logging a loss that every rank computed)."""
        return self.sum(value) / self.world_size


PARENT_DEATH_GRACE_S = 30.0
_watcher: threading.Thread | None = None


def exit_when_parent_dies(poll_s: float = 1.0) -> threading.Thread:
    """SIGTERM this process (SIGKILL after a grace period) once its parent is gone; one watcher per process.

    Killing only torchrun's launcher (``kill <pid>``, a lost ssh session) would leave its workers computing,
    holding their GPUs and the run folder's lock. The thread polls ``os.getppid`` (a re-parented process has
    another parent) because Linux's ``PR_SET_PDEATHSIG`` fires when the parent *thread* ends, and is Linux-only."""
    global _watcher
    if _watcher is None:
        parent = os.getppid()

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(poll_s)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(PARENT_DEATH_GRACE_S)  # a process that handles SIGTERM gets this long to finish
            os.kill(os.getpid(), signal.SIGKILL)

        _watcher = threading.Thread(target=watch, name="exit-when-parent-dies", daemon=True)
        _watcher.start()
    return _watcher


@contextlib.contextmanager
def process_group() -> Iterator[ProcessLayout]:
    """The layout for a command: torchrun's process group when launched by it, else a single process. A group
    this call created is torn down after; an existing one (several commands in one torchrun job) is left open."""
    created = not (dist.is_available() and dist.is_initialized())
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    layout = ProcessLayout()
    if world_size > 1:
        exit_when_parent_dies()
        layout = ProcessLayout(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", "0")))
        if not dist.is_initialized():
            if torch.cuda.is_available():
                torch.cuda.set_device(layout.local_rank)
            dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    try:
        yield layout
    finally:
        if created and layout.distributed:
            dist.destroy_process_group()
