"""Event brokers: services leave events on the unit of work; after commit the API publishes
them here, and each `memberEvents` subscription reads its own member's queue.

`Broker` delivers within one process. `RedisBroker` (when `HONORLOOP_REDIS_URL` is set)
publishes to a Redis channel and delivers what it reads back, so that every worker's
subscribers hear the events committed by any worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any, Protocol, get_args

import orjson
import redis.asyncio as aioredis

from domain import model
from domain.model import Event

log = logging.getLogger("honorloop.api")

queue_size_max = 256  # events buffered per subscriber; the oldest is dropped beyond this
subscribers_per_member_max = 16
redis_channel = "honorloop:member-events"
reconnect_delay_s = 1.0

EVENT_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in get_args(model.Event)}


class TooManySubscriptions(Exception):
    def __init__(self, member_id: str) -> None:
        super().__init__(
            f"member {member_id!r} already has {subscribers_per_member_max} subscriptions"
        )


class EventBroker(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, events: Sequence[Event]) -> None: ...
    def subscribe(self, member_id: str) -> AbstractAsyncContextManager[asyncio.Queue[Event]]: ...
    def open(self, member_id: str) -> asyncio.Queue[Event]: ...
    def close(self, member_id: str, queue: asyncio.Queue[Event]) -> None: ...


class Broker:
    """In-process delivery to the subscribers of each event's member."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Event]]] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, events: Sequence[Event]) -> None:
        self.deliver(events)

    def deliver(self, events: Sequence[Event]) -> None:
        """Hand events to local subscribers (never blocks)."""
        for event in events:
            for queue in self._queues.get(event.member_id, ()):
                if queue.full():
                    queue.get_nowait()  # a slow reader loses the oldest, not the newest
                queue.put_nowait(event)

    def open(self, member_id: str) -> asyncio.Queue[Event]:
        """A new subscriber's queue, now (`TooManySubscriptions` beyond the limit)."""
        queues = self._queues.setdefault(member_id, set())
        if len(queues) >= subscribers_per_member_max:
            raise TooManySubscriptions(member_id)
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=queue_size_max)
        queues.add(queue)
        return queue

    def close(self, member_id: str, queue: asyncio.Queue[Event]) -> None:
        """Forget a subscriber's queue (again is harmless)."""
        queues = self._queues.get(member_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                self._queues.pop(member_id, None)

    @asynccontextmanager
    async def subscribe(self, member_id: str) -> AsyncIterator[asyncio.Queue[Event]]:
        queue = self.open(member_id)
        try:
            yield queue
        finally:
            self.close(member_id, queue)


def encode(event: Event) -> bytes:
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        fields[f.name] = value.isoformat() if isinstance(value, datetime) else value
    return orjson.dumps({"type": type(event).__name__, "fields": fields})


def decode(data: bytes) -> Event:
    raw = orjson.loads(data)
    cls = EVENT_TYPES[raw["type"]]
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        value = raw["fields"][f.name]
        if f.type in ("datetime", "datetime | None") and value is not None:
            value = datetime.fromisoformat(value)
        elif f.type == "RedemptionStatus":
            value = model.RedemptionStatus(value)
        elif isinstance(f.type, str) and f.type.startswith("tuple[") and value is not None:
            value = tuple(value)  # JSON has lists only
        values[f.name] = value
    event: Event = cls(**values)
    return event


class RedisBroker:
    """Publishes to one Redis channel; a reader task delivers to this process's queues."""

    def __init__(self, url: str, channel: str = redis_channel) -> None:
        self._url = url
        self._channel = channel
        self._local = Broker()
        self._client: aioredis.Redis | None = None
        self._reader: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        self._client = aioredis.Redis.from_url(self._url)
        await self._client.ping()  # fail startup if Redis is unreachable
        self._reader = asyncio.create_task(self._read(), name="honorloop-redis-events")
        await asyncio.wait_for(self._subscribed.wait(), timeout=10)

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._client is not None:
            await self._client.aclose()

    async def publish(self, events: Sequence[Event]) -> None:
        assert self._client is not None, "start() the broker before publishing"
        for event in events:
            await self._client.publish(self._channel, encode(event))

    def subscribe(self, member_id: str) -> AbstractAsyncContextManager[asyncio.Queue[Event]]:
        return self._local.subscribe(member_id)

    def open(self, member_id: str) -> asyncio.Queue[Event]:
        return self._local.open(member_id)

    def close(self, member_id: str, queue: asyncio.Queue[Event]) -> None:
        self._local.close(member_id, queue)

    async def _read(self) -> None:
        assert self._client is not None
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._local.deliver([decode(message["data"])])
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis went away: log, wait, resubscribe
                log.exception("redis event reader failed; reconnecting")
                await asyncio.sleep(reconnect_delay_s)
