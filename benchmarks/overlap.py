"""Scoring and encoding beside generation: a bounded pool of worker threads whose results come back in order.

A benchmark run alternates two kinds of work: denoising a batch (the accelerator's work) and finishing it
(I3D and CLIP features, VBench states, H.264 encoding, files: mostly the CPU's). Done one after the other
the accelerator idles while a batch is finished. :class:`OrderedWorkers` finishes batch ``k`` on a worker
thread while the main thread denoises batch ``k + 1``; real clips are read and featurised on one more
thread (:func:`in_background`) meanwhile.

The rules the run keeps, whatever the number of workers:

* the same files with the same bytes: every task does exactly what the sequential run does, for the same
  inputs, and its results are handed back in submission order (the run folder's index is written from them);
* a worker's error ends the run with that error, raised in the main thread before the next batch is
  generated (or at the end); no result is silently dropped;
* Ctrl-C or SIGTERM (raised in the main thread) ends the run: batches not yet started are dropped, the ones
  being finished complete (a batch's mp4s still appear together or not at all);
* at most ``workers`` batches wait or are being finished while the next one is generated, so memory
  holds a bounded number of videos.

``--overlap-workers 0`` runs every task on the main thread, as before. How many workers run does not change
what a run computes, so the setting stays out of the run's identity and its MLflow params.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Generic, TypeVar

import torch

T = TypeVar("T")


def worker_stream(device: str) -> contextlib.AbstractContextManager[object]:
    """A CUDA stream of the calling thread's own on a GPU, so a worker's kernels and copies need not queue
    behind the generator's on the default stream; nothing on the CPU."""
    if torch.device(device).type != "cuda":
        return contextlib.nullcontext()
    return torch.cuda.stream(torch.cuda.Stream(torch.device(device)))


class OrderedWorkers(contextlib.AbstractContextManager["OrderedWorkers[T]"], Generic[T]):
    """Run tasks on ``workers`` threads (on the calling thread when 0) and hand their results back in the order
    the tasks were submitted; use it as a context manager (its exit ends the threads)."""

    def __init__(self, workers: int, name: str = "overlap") -> None:
        """``workers`` is ``--overlap-workers``, refused below zero by :class:`simda.settings.OverlapSettings`."""
        self.workers = workers
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix=name) if workers else None
        self._pending: deque[Future[T]] = deque()

    def submit(self, task: Callable[[], T]) -> None:
        """Queue ``task`` (run it now, here, without workers: its error is raised at once)."""
        if self._executor is not None:
            self._pending.append(self._executor.submit(task))
            return
        done: Future[T] = Future()
        done.set_result(task())
        self._pending.append(done)

    def finished(self) -> list[T]:
        """The results of the oldest tasks that have finished, in submission order; first waits until at most
        ``workers`` tasks are pending. A failed task's error is raised here."""
        results = []
        while self._pending and (len(self._pending) > self.workers or self._pending[0].done()):
            results.append(self._pending.popleft().result())
        return results

    def drain(self) -> list[T]:
        """Wait for every task; their results in submission order (the first error is raised)."""
        return [self._pending.popleft().result() for _ in range(len(self._pending))]

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """On an error (a worker's, Ctrl-C, SIGTERM) drop the tasks not yet started and wait for the running ones,
        so no thread writes into the run folder after the run has ended."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=error is not None)
        self._pending.clear()


@contextlib.contextmanager
def in_background(task: Callable[[threading.Event], None], enabled: bool, name: str) -> Iterator[None]:
    """Run ``task`` on its own thread during the block (after it, on the calling thread, when not ``enabled``).

    The task gets an event that is set when the block fails, and should return soon after it is set (between
    two videos): an interrupted run is not kept waiting for minutes of real clips. Its error is raised at the
    end of the block.
    """
    stop = threading.Event()
    if not enabled:
        yield
        task(stop)
        return
    with ThreadPoolExecutor(1, thread_name_prefix=name) as executor:
        future = executor.submit(task, stop)
        try:
            yield
        except BaseException:
            stop.set()
            raise
        future.result()
