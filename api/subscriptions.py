"""Subscription root: `memberEvents` streams the viewer's committed events
(graphql-transport-ws; send the token as `Authorization` in `connection_init`)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator

import strawberry

from api.context import Info
from api.errors import LIMIT_EXCEEDED, ApiError
from api.event_types import MemberEvent, event_type
from api.events import EventBroker, TooManySubscriptions, subscribers_per_member_max
from api.fields import subscription
from api.permissions import IsMember
from domain.model import Event


async def _events(
    broker: EventBroker, member_id: str, queue: asyncio.Queue[Event]
) -> AsyncGenerator[MemberEvent, None]:
    try:
        while True:
            yield event_type(await queue.get())
    finally:
        broker.close(member_id, queue)


@strawberry.type
class Subscription:
    @subscription(
        permissions=[IsMember],
        description="Points awarded, level changes, honors, redemption updates: the viewer's. "
        f"At most {subscribers_per_member_max} per member at a time (LIMIT_EXCEEDED).",
    )
    def member_events(self, info: Info) -> AsyncGenerator[MemberEvent, None]:
        """Not a generator itself: the subscriber's place is taken when the subscription
        starts, so a refusal is the operation's `error` message, not a `next` message.
        The place is given back when the stream ends, or when it is dropped unread."""
        viewer = info.context.viewer
        assert viewer is not None, "guarded by IsMember"
        assert viewer.member_id is not None, "guarded by IsMember"
        broker = info.context.runtime.broker
        try:
            queue = broker.open(viewer.member_id)
        except TooManySubscriptions:
            raise ApiError(
                f"a member may hold at most {subscribers_per_member_max} subscriptions at a time",
                LIMIT_EXCEEDED,
            ) from None
        stream = _events(broker, viewer.member_id, queue)
        weakref.finalize(stream, broker.close, viewer.member_id, queue)
        return stream
