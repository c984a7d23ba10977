"""The overlap pool: results in submission order, a bounded number in flight, errors and Ctrl-C reach the main
thread, and the background task stops when the run fails."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from benchmarks.overlap import OrderedWorkers, in_background
from simda.plumbing.errors import InvalidSetting
from simda.settings import OverlapSettings

WAIT = 10.0  # seconds: only a broken pool waits this long


def waiting_for(event: threading.Event, value: int, ran: list[int]):
    """A task that returns ``value`` once ``event`` is set, recording that it ran."""

    def task() -> int:
        assert event.wait(WAIT), "the test never released this task"
        ran.append(value)
        return value

    return task


def recording(value: int, ran: list[int]):
    """A task that returns ``value`` at once, recording that it ran."""

    def task() -> int:
        ran.append(value)
        return value

    return task


def test_results_come_back_in_submission_order_when_tasks_finish_out_of_order():
    first_released, ran = threading.Event(), []
    with OrderedWorkers[int](2) as workers:
        workers.submit(waiting_for(first_released, 1, ran))
        workers.submit(recording(2, ran))
        assert workers.finished() == []  # the second finished first, but the first is still pending
        first_released.set()
        assert workers.drain() == [1, 2]
    assert ran == [2, 1]


def test_finished_waits_until_at_most_workers_tasks_are_pending():
    release, ran = threading.Event(), []
    with OrderedWorkers[int](1) as workers:
        workers.submit(waiting_for(release, 1, ran))
        workers.submit(recording(2, ran))
        threading.Timer(0.2, release.set).start()
        results = workers.finished()
        assert release.is_set()  # it waited for the oldest: two were pending with one worker
        assert results + workers.drain() == [1, 2]


def test_a_workers_error_is_raised_in_the_main_thread_and_later_tasks_are_dropped():
    release, ran = threading.Event(), []

    def fails() -> int:
        raise ValueError("encoder broke on clip 7")

    with pytest.raises(ValueError, match="clip 7"):
        with OrderedWorkers[int](1) as workers:
            workers.submit(fails)
            workers.submit(waiting_for(release, 2, ran))
            workers.submit(waiting_for(release, 3, ran))
            workers.finished()
    release.set()
    assert 3 not in ran  # not started when the error ended the block: cancelled, never run


def test_without_workers_each_task_runs_at_once_on_the_calling_thread():
    threads = []
    with OrderedWorkers[str](0) as workers:
        workers.submit(lambda: threads.append(threading.current_thread()) or "a")
        assert threads == [threading.main_thread()]
        with pytest.raises(KeyError):
            workers.submit(lambda: {}["missing"])
        assert workers.finished() == ["a"]


def test_ctrl_c_while_waiting_for_a_worker_ends_the_block_and_drops_queued_tasks():
    release, ran = threading.Event(), []
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    threading.Timer(0.6, release.set).start()  # the running task ends later; the block waits for it
    with pytest.raises(KeyboardInterrupt):
        with OrderedWorkers[int](1) as workers:
            workers.submit(waiting_for(release, 1, ran))
            workers.submit(waiting_for(release, 2, ran))
            workers.drain()
    assert ran == [1]  # the running task completed (its files whole), the queued one never started


def test_a_failing_block_stops_the_background_task_and_its_own_error_is_raised():
    seen = []

    def watcher(stop: threading.Event) -> None:
        seen.append(stop.wait(WAIT))

    with pytest.raises(RuntimeError, match="generation failed"):
        with in_background(watcher, True, "test"):
            raise RuntimeError("generation failed")
    assert seen == [True]

    def broken(stop: threading.Event) -> None:
        raise OSError("real clip 3 unreadable")

    with pytest.raises(OSError, match="clip 3"), in_background(broken, True, "test"):
        pass


def test_a_disabled_background_task_runs_after_the_block():
    order = []
    with in_background(lambda stop: order.append("task"), False, "test"):
        order.append("block")
    assert order == ["block", "task"]


def test_the_worker_count_is_refused_when_negative():
    with pytest.raises(InvalidSetting, match="--overlap-workers"):
        OverlapSettings(overlap_workers=-1)
