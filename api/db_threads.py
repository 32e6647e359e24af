"""The database threads (`DbThreads`): an `Executor` whose `run` hands a call to a worker
thread and gives the event loop an asyncio future of its result, with nothing in between.

`loop.run_in_executor` on a `ThreadPoolExecutor` makes, per call, a `concurrent.futures`
future (with its `Condition`), a work item, an asyncio future chained to the first by
callbacks both ways (`asyncio.wrap_future`), and on completion copies the state across
(`_copy_future_state`); `ThreadPoolExecutor.submit` also checks for an idle thread through
a `threading.Semaphore` (Python code) on every call. For a `recordActivity` that hop was a
large part of the event-loop thread's instructions beyond the no-op (docs/performance.md).

Here the event loop puts `(call, arguments, loop, future)` on a `SimpleQueue`; a worker
runs the call and settles the asyncio future through `loop.call_soon_threadsafe`, as the
chained future would be settled. The same answers: the call's result, or the exception it
raised (any `BaseException`, as `ThreadPoolExecutor` keeps any). A future cancelled
before its call starts skips the call (as `run_in_executor` cancels a call not yet
started); one cancelled while its call runs is left cancelled. A loop closed meanwhile is
not called back (as `asyncio.wrap_future` does). No context variables are carried to the
thread (`run_in_executor` carries none either).

Threads are started one per call until there are `workers` of them (the pool never has
more than the SQL engine's pool of connections, `api.runtime.db_threads_max`), then
reused; they are daemon threads, stopped by `shutdown` (which the app's lifespan and every
test that makes a pool call). `submit` serves the `Executor` interface with a
`concurrent.futures.Future`, for any other caller."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from queue import SimpleQueue
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# A call, its arguments, and where its outcome goes: an asyncio future and its loop, or a
# concurrent future (loop None). None stops a worker.
_Job = tuple[Callable[..., Any], tuple[Any, ...], asyncio.AbstractEventLoop | None, Any]


def _succeed(future: asyncio.Future[Any], result: object) -> None:
    if not future.cancelled():
        future.set_result(result)


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(error)


class DbThreads(Executor):
    """Up to `workers` threads taking calls from one queue (the module's doc)."""

    def __init__(self, workers: int, name: str) -> None:
        assert workers > 0, "a pool has a thread at least"
        self._workers = workers
        self._name = name
        self._jobs: SimpleQueue[_Job | None] = SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def run(self, fn: Callable[..., R], *args: Any) -> asyncio.Future[R]:
        """`fn(*args)` in a worker thread: a future of the running loop for its outcome."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        with self._lock:  # a shutdown meanwhile (from another thread) comes before or after
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._jobs.put((fn, args, loop, future))
            if len(self._threads) < self._workers:
                self._start()
        return future

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        future: Future[R] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._jobs.put((lambda: fn(*args, **kwargs), (), None, future))
            if len(self._threads) < self._workers:
                self._start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            threads = list(self._threads)
            if cancel_futures:
                self._cancel_pending()
            self._jobs.put(None)  # after every call queued; each worker passes it on, then stops
        if wait:
            for thread in threads:
                thread.join()

    def _cancel_pending(self) -> None:
        while not self._jobs.empty():
            job = self._jobs.get()
            if job is None:
                continue
            _, _, loop, future = job
            if loop is None:
                future.cancel()
            else:
                _call_back(loop, future.cancel)

    def _start(self) -> None:
        """One more thread (under the lock: a shutdown finds every thread a call has)."""
        name = f"{self._name}_{len(self._threads)}"
        thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        jobs = self._jobs
        while True:
            job = jobs.get()
            if job is None:
                jobs.put(None)  # for the next worker
                return
            fn, args, loop, future = job
            del job
            if loop is None:
                _run_concurrent(fn, future)
                continue
            if future.cancelled():  # before its call started: not run
                continue
            try:
                result = fn(*args)
            except BaseException as error:  # kept for the caller, as a pool does
                _call_back(loop, _fail, future, error)
            else:
                _call_back(loop, _succeed, future, result)
            del fn, args, loop, future


def _run_concurrent(fn: Callable[[], Any], future: Future[Any]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        result = fn()
    except BaseException as error:  # kept for the caller, as a pool does
        future.set_exception(error)
    else:
        future.set_result(result)


def _call_back(loop: asyncio.AbstractEventLoop, callback: Callable[..., Any], *args: Any) -> None:
    """`callback(*args)` on the loop, unless it is closed (nobody awaits it then)."""
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:  # the loop was closed meanwhile
        if not loop.is_closed():
            raise
