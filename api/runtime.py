"""What the resolvers run against: the economy, the store and the broker, with the two
ways to reach the domain (a command service, or a read over a fresh unit of work), both
off the event loop in a worker thread.

Database work runs on a pool of its own, no larger than the SQL engine's connection pool
(`db_threads_max`): every thread then always finds a pooled connection. On the shared
pool of 40 threads, 32 concurrent requests opened (and closed) overflow connections all
the time, and more threads only contended for the GIL and the single SQLite writer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from api.auth import utc_now
from api.db_threads import DbThreads
from api.economy_types import GuideIndex
from api.errors import database_unavailable
from api.events import EventBroker
from api.group_commit import GroupCommit, Outcome
from api.settings import Settings
from domain import services
from domain.commands import RecordActivity
from domain.economy import Economy
from domain.ports import UnitOfWork
from domain.services.activities import ActivityResult
from persistence.sql import failures

StoreFactory = Callable[[], UnitOfWork]
C = TypeVar("C")
R = TypeVar("R")
log = logging.getLogger("honorloop.api")
db_threads_max = 8  # at most the SQL engine's pool_size (asserted where the app is built)


def db_executor() -> DbThreads:
    """The database threads, which hand their results to the event loop directly
    (`api.db_threads`)."""
    return DbThreads(db_threads_max, "honorloop-db")


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    economy: Economy
    guide: GuideIndex  # the public guide, built once from the economy
    store: StoreFactory
    broker: EventBroker
    executor: Executor | None = field(default=None)  # None: Starlette's shared thread pool
    clock: Callable[[], datetime] = utc_now  # when a request arrived (activities' `at`)
    group_writers: int = 0  # >0: recordActivity commits in groups, this many at once
    groups: GroupCommit | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.group_writers > 0:
            group = GroupCommit(self._record_batch, self._record_one, self.group_writers)
            object.__setattr__(self, "groups", group)

    async def record_activity(self, cmd: RecordActivity) -> ActivityResult:
        """Record one activity: in the next group when group commit is on, else alone."""
        if self.groups is not None:
            return await self.groups.record(cmd)
        return await self._record_one(cmd)

    async def _record_one(self, cmd: RecordActivity) -> ActivityResult:
        return await self.command(services.record_activity, cmd)

    async def _record_batch(self, cmds: Sequence[RecordActivity]) -> list[Outcome]:
        return await self.command(services.record_activities, cmds)

    async def command(self, service: Callable[[C, UnitOfWork, Economy], R], cmd: C) -> R:
        """Run one use case in a worker thread (again on a transient database failure, see
        `persistence.sql.failures`); publish the events it committed."""
        result, uow = await self._off_loop(lambda uow: service(cmd, uow, self.economy))
        await self.broker.publish(list(uow.events))
        return result

    async def read(self, query: Callable[[UnitOfWork], R]) -> R:
        """Run a read over a fresh unit of work in a worker thread."""
        result, _ = await self._off_loop(query)
        return result

    async def _off_loop(self, work: Callable[[UnitOfWork], R]) -> tuple[R, UnitOfWork]:
        """`work` in a database thread; a database that stays unavailable is answered with a
        retryable error code (SERVICE_UNAVAILABLE or DATABASE_BUSY)."""
        try:
            executor = self.executor
            if type(executor) is DbThreads:  # straight to the loop (api/db_threads.py)
                return await executor.run(failures.run, self.store, work)
            if executor is None:
                return await run_in_threadpool(failures.run, self.store, work)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(executor, failures.run, self.store, work)
        except failures.DatabaseUnavailable as error:
            log.warning("database unavailable: %s (%r)", error, error.__cause__)
            raise database_unavailable(error) from None
