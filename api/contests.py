"""Contests at the edge: `contest(id)` with its live standings while a period runs and
its frozen ones once settled. Resolvers only translate to `domain.services`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.auth import utc_now
from api.context import Info
from api.errors import bad_input
from api.fields import field
from api.types import Member
from domain import contests as dc
from domain import services
from domain.errors import NotFound
from domain.services import ContestView


@strawberry.enum(description="Where a contest's period stands.")
class ContestState(Enum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"  # ended, waiting for settlement (`honorloop review`)
    SETTLED = "settled"


@strawberry.type(description="One member's place in a contest period.")
class ContestStanding:
    rank: int
    value: int
    reached_at: datetime = strawberry.field(description="When the value was last raised.")
    prize_points: int = strawberry.field(description="Prize points paid (settled periods).")
    member_id: strawberry.Private[str]

    @strawberry.field
    async def member(self, info: Info) -> Member | None:
        found = await info.context.loaders.members.load(self.member_id)
        return Member.of(found) if found else None


@strawberry.type(description="A contest period: its window, state and standings.")
class Contest:
    id: strawberry.ID
    title: str
    guideline: str
    metric: str
    state: ContestState
    starts_at: datetime | None
    ends_at: datetime | None
    settled_at: datetime | None
    view: strawberry.Private[ContestView]

    @field(
        description="Ranked by value, then earlier reaching, then member id: live while "
        "the period runs, frozen once settled."
    )
    def standings(self, first: int = 10) -> list[ContestStanding]:
        if not 0 <= first <= services.page_size_max:
            raise bad_input("first", f"must be between 0 and {services.page_size_max}")
        return [_standing(s) for s in self.view.standings[:first]]


def _standing(standing: dc.Standing) -> ContestStanding:
    return ContestStanding(
        rank=standing.rank,
        value=standing.value,
        reached_at=standing.reached_at,
        prize_points=standing.points,
        member_id=standing.member_id,
    )


@strawberry.type
class ContestQueries:
    @field(description="A contest's period holding `periodAt` (default: now).")
    async def contest(
        self, info: Info, id: strawberry.ID, period_at: datetime | None = None
    ) -> Contest | None:
        runtime = info.context.runtime
        if period_at is not None and period_at.tzinfo is None:
            raise bad_input("periodAt", "needs a UTC offset")
        now = utc_now()
        try:
            view = await runtime.read(
                lambda uow: services.contest_view(
                    str(id), uow, runtime.economy, now, services.page_size_max, period_at
                )
            )
        except NotFound:
            return None
        contest = view.contest
        return Contest(
            id=strawberry.ID(contest.id),
            title=contest.title,
            guideline=contest.guideline,
            metric=contest.metric,
            state=ContestState(view.state.value),
            starts_at=view.starts,
            ends_at=view.ends,
            settled_at=view.settled_at,
            view=view,
        )
