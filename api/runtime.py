"""What the resolvers run against: the economy, the store and the broker, with the two
ways to reach the domain (a command service, or a read over a fresh unit of work), both
off the event loop in a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from api.economy_types import GuideIndex
from api.events import EventBroker
from api.settings import Settings
from domain.economy import Economy
from domain.ports import UnitOfWork

StoreFactory = Callable[[], UnitOfWork]
C = TypeVar("C")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    economy: Economy
    guide: GuideIndex  # the public guide, built once from the economy
    store: StoreFactory
    broker: EventBroker

    async def command(self, service: Callable[[C, UnitOfWork, Economy], R], cmd: C) -> R:
        """Run one use case in a worker thread; publish the events it committed."""
        uow = self.store()
        result = await run_in_threadpool(service, cmd, uow, self.economy)
        await self.broker.publish(list(uow.events))
        return result

    async def read(self, query: Callable[[UnitOfWork], R]) -> R:
        """Run a read over a fresh unit of work in a worker thread."""
        uow = self.store()
        return await run_in_threadpool(query, uow)
