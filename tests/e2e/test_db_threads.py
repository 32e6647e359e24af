"""`api.db_threads.DbThreads` against `loop.run_in_executor` on a `ThreadPoolExecutor`:
the same outcomes (results, exceptions of any kind), cancellation before and during a
call, shutdown, the `Executor` interface, and the threads it starts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from api.db_threads import DbThreads


class Stop(BaseException):
    """Not an `Exception`: a pool keeps it for the caller all the same."""


def fails() -> None:
    raise ValueError("refused")


def stops() -> None:
    raise Stop("stopped")


@pytest.fixture
def pool() -> Iterator[DbThreads]:
    threads = DbThreads(2, "test-db")
    yield threads
    threads.shutdown(wait=True)


async def outcome(awaitable: asyncio.Future[Any]) -> tuple[str, Any]:
    try:
        return "result", await awaitable
    except BaseException as error:  # what the caller would see
        return "raised", (type(error), error.args)


@pytest.mark.parametrize(
    "call",
    [lambda: 42, lambda: None, lambda: threading.current_thread().name[:7], fails, stops],
    ids=["value", "none", "thread", "exception", "base-exception"],
)
def test_outcomes_are_run_in_executors(pool: DbThreads, call: Callable[[], Any]) -> None:
    reference = ThreadPoolExecutor(2, thread_name_prefix="test-db")

    async def both() -> tuple[tuple[str, Any], tuple[str, Any]]:
        loop = asyncio.get_running_loop()
        ours = await outcome(pool.run(call))
        theirs = await outcome(loop.run_in_executor(reference, call))
        return ours, theirs

    try:
        ours, theirs = asyncio.run(both())
    finally:
        reference.shutdown(wait=True)
    assert ours == theirs


def test_arguments_are_passed_in_order(pool: DbThreads) -> None:
    async def main() -> list[int]:
        return await pool.run(lambda *values: list(values), 1, 2, 3)

    assert asyncio.run(main()) == [1, 2, 3]


def test_a_call_cancelled_before_it_starts_is_not_run() -> None:
    pool = DbThreads(1, "test-db")
    release = threading.Event()
    ran: list[str] = []

    async def main() -> None:
        busy = pool.run(release.wait)  # the only thread is held by this one
        later = pool.run(lambda: ran.append("later"))
        later.cancel()
        release.set()
        await busy
        await pool.run(lambda: None)  # after the cancelled one in the queue

    asyncio.run(main())
    pool.shutdown(wait=True)
    assert ran == []


def test_a_call_cancelled_while_it_runs_completes_and_stays_cancelled(pool: DbThreads) -> None:
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def work() -> str:
        started.set()
        release.wait()
        done.append("done")
        return "late"

    async def main() -> asyncio.Future[str]:
        future = pool.run(work)
        await asyncio.get_running_loop().run_in_executor(None, started.wait)
        future.cancel()
        release.set()
        await pool.run(lambda: None)  # the first has been settled (or skipped) by now
        await asyncio.sleep(0)
        return future

    future = asyncio.run(main())
    pool.shutdown(wait=True)
    assert future.cancelled()
    assert done == ["done"]


def test_a_result_for_a_closed_loop_is_dropped(pool: DbThreads) -> None:
    release = threading.Event()
    finished = threading.Event()

    def work() -> None:
        release.wait()

    async def main() -> None:
        pool.run(work)

    asyncio.run(main())  # the loop is closed with the call still running
    release.set()
    pool.submit(finished.set).result(timeout=10)  # the worker carried on past the closed loop
    assert finished.is_set()


def test_submit_serves_the_executor_interface(pool: DbThreads) -> None:
    assert pool.submit(lambda a, b: a + b, 2, b=3).result(timeout=10) == 5
    with pytest.raises(ValueError, match="refused"):
        pool.submit(fails).result(timeout=10)

    async def main() -> int:  # and through run_in_executor, as any Executor
        return await asyncio.get_running_loop().run_in_executor(pool, lambda: 7)

    assert asyncio.run(main()) == 7


def test_shutdown_finishes_the_queued_calls_then_refuses() -> None:
    pool = DbThreads(2, "test-db")
    done: list[int] = []
    futures = [pool.submit(done.append, n) for n in range(20)]
    pool.shutdown(wait=True)
    assert sorted(done) == list(range(20))
    assert all(f.done() for f in futures)
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(lambda: None)

    async def main() -> None:
        pool.run(lambda: None)

    with pytest.raises(RuntimeError, match="after shutdown"):
        asyncio.run(main())


def test_shutdown_may_cancel_the_queued_calls() -> None:
    pool = DbThreads(1, "test-db")
    release = threading.Event()
    busy = pool.submit(release.wait)
    queued = [pool.submit(lambda: None) for _ in range(3)]
    pool.shutdown(wait=False, cancel_futures=True)
    release.set()
    busy.result(timeout=10)
    assert all(f.cancelled() for f in queued)
    pool.shutdown(wait=True)


def test_no_more_threads_than_workers() -> None:
    pool = DbThreads(3, "test-db")
    names: set[str] = set()
    lock = threading.Lock()

    def work() -> None:
        with lock:
            names.add(threading.current_thread().name)

    for future in [pool.submit(work) for _ in range(50)]:
        future.result(timeout=10)
    pool.shutdown(wait=True)
    assert names <= {"test-db_0", "test-db_1", "test-db_2"}
    assert not any(t.name.startswith("test-db_") and t.is_alive() for t in threading.enumerate())
