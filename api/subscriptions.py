"""Subscription root: `memberEvents` streams the viewer's committed events
(graphql-transport-ws; send the token as `Authorization` in `connection_init`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.context import Info
from api.event_types import MemberEvent, event_type
from api.fields import subscription
from api.permissions import IsMember


@strawberry.type
class Subscription:
    @subscription(
        permissions=[IsMember],
        description="Points awarded, level changes, honors, redemption updates: the viewer's.",
    )
    async def member_events(self, info: Info) -> AsyncGenerator[MemberEvent, None]:
        viewer = info.context.viewer
        assert viewer is not None, "guarded by IsMember"
        assert viewer.member_id is not None, "guarded by IsMember"
        async with info.context.runtime.broker.subscribe(viewer.member_id) as queue:
            while True:
                event = await queue.get()
                yield event_type(event)
