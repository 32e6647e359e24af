"""Group commit of `recordActivity`: activities that arrive while the database is busy with
earlier ones are queued and written together, in one transaction of
`services.record_activities` (members locked up front in one global order, each activity
succeeding or failing on its own), instead of one transaction each.

- Each request is answered only after the transaction holding its activity committed.
- Idempotency is the same as alone: the keys are checked inside the group's transaction,
  so a key sent twice in one group is recorded once and replayed once.
- Order: a group takes the queue in arrival order, and on SQLite (one writer) groups run
  one after another; on PostgreSQL up to `writers` groups run at once, as separate
  requests did.
- A failing command does not poison the others: a domain error is that activity's own
  answer; if the group's transaction fails (after `persistence.sql.failures` retried a
  transient failure), nothing of it was committed and each activity is then recorded on
  its own, so only the one at fault fails.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

from domain.commands import RecordActivity, batch_size_max
from domain.errors import DomainError
from domain.services.activities import ActivityResult

log = logging.getLogger("honorloop.api")

Outcome = ActivityResult | DomainError
Batch = Callable[[Sequence[RecordActivity]], Awaitable[list[Outcome]]]
Single = Callable[[RecordActivity], Awaitable[ActivityResult]]


class GroupCommit:
    """Queue of activities written by at most `writers` concurrent transactions."""

    def __init__(self, batch: Batch, single: Single, writers: int) -> None:
        assert writers >= 1
        self._batch = batch
        self._single = single
        self._writers_max = writers
        self._writers = 0
        self._queue: deque[tuple[RecordActivity, asyncio.Future[ActivityResult]]] = deque()
        self._tasks: set[asyncio.Task[None]] = set()  # the event loop keeps only weak references
        self.groups = 0  # transactions written so far (observability and specs)
        self.fallbacks = 0  # groups whose transaction failed and were replayed one by one

    async def record(self, cmd: RecordActivity) -> ActivityResult:
        """Record `cmd` in the next group; its result once that group committed."""
        future: asyncio.Future[ActivityResult] = asyncio.get_running_loop().create_future()
        self._queue.append((cmd, future))
        if self._writers < self._writers_max:
            self._writers += 1
            task = asyncio.get_running_loop().create_task(self._write())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _write(self) -> None:
        try:
            while self._queue:
                group = [
                    self._queue.popleft() for _ in range(min(batch_size_max, len(self._queue)))
                ]
                await self._commit(group)
        finally:
            self._writers -= 1

    async def _commit(
        self, group: list[tuple[RecordActivity, asyncio.Future[ActivityResult]]]
    ) -> None:
        self.groups += 1
        try:
            outcomes = await self._batch([cmd for cmd, _ in group])
        except Exception as error:  # the transaction failed: nothing of it committed
            log.warning("group of %d activities failed (%r): one by one", len(group), error)
            self.fallbacks += 1
            await asyncio.gather(*(self._alone(cmd, future) for cmd, future in group))
            return
        for (_, future), outcome in zip(group, outcomes, strict=True):
            if future.done():  # the request went away
                continue
            if isinstance(outcome, DomainError):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def _alone(self, cmd: RecordActivity, future: asyncio.Future[ActivityResult]) -> None:
        try:
            result = await self._single(cmd)
        except BaseException as error:
            if not future.done():
                future.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        if not future.done():
            future.set_result(result)
