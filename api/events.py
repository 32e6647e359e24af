"""In-process event broker: services leave events on the unit of work after commit; the
API publishes them here and each `memberEvents` subscription reads its member's queue.

One process only: with several workers, a subscriber sees the events of the worker it is
connected to. (A Redis pub/sub bridge is the planned way to share them; not built yet.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from domain.model import Event

queue_size_max = 256  # events buffered per subscriber; the oldest is dropped beyond this
subscribers_per_member_max = 16


class Broker:
    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Event]]] = {}

    def publish(self, events: Sequence[Event]) -> None:
        """Deliver committed events to the subscribers of their members (never blocks)."""
        for event in events:
            for queue in self._queues.get(event.member_id, ()):
                if queue.full():
                    queue.get_nowait()  # a slow reader loses the oldest, not the newest
                queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self, member_id: str) -> AsyncIterator[asyncio.Queue[Event]]:
        queues = self._queues.setdefault(member_id, set())
        if len(queues) >= subscribers_per_member_max:
            raise TooManySubscriptions(member_id)
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=queue_size_max)
        queues.add(queue)
        try:
            yield queue
        finally:
            queues.discard(queue)
            if not queues:
                self._queues.pop(member_id, None)

    def subscriber_count(self, member_id: str) -> int:
        return len(self._queues.get(member_id, ()))


class TooManySubscriptions(Exception):
    def __init__(self, member_id: str) -> None:
        super().__init__(
            f"member {member_id!r} already has {subscribers_per_member_max} subscriptions"
        )
