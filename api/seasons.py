"""Seasons at the edge: the list of seasons and the snapshots `leaderboard(season:)` and
`hallOfFame(season:)` read. Resolvers only translate to `domain.services`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.auth import utc_now
from api.context import Info
from api.fields import field
from api.types import HonorAward, Member
from domain import services
from domain.model import HonorAward as DomainHonorAward
from domain.seasons import SeasonSnapshot


@strawberry.type(description="A season: a period whose leaderboard and hall of fame are kept.")
class Season:
    id: strawberry.ID
    title: str
    starts_at: datetime
    ends_at: datetime
    snapshot_taken_at: datetime | None = strawberry.field(
        description="When its leaderboard and hall of fame were kept (null: not yet)."
    )


async def season_view(info: Info, season_id: str) -> SeasonSnapshot | None:
    """The season's snapshot (None while it runs); NotFound for an unknown season."""
    runtime = info.context.runtime
    now = utc_now()
    view = await runtime.read(
        lambda uow: services.season_snapshot(season_id, uow, runtime.economy, now)
    )
    return view.snapshot


async def members_of(info: Info, member_ids: list[str]) -> dict[str, Member]:
    found = await info.context.loaders.members.load_many(member_ids)
    return {m.id: Member.of(m) for m in found if m is not None}


def honors_of(info: Info, awards: tuple[DomainHonorAward, ...]) -> list[HonorAward]:
    guide = info.context.runtime.guide
    return [HonorAward.of(guide, a) for a in awards]


@strawberry.type
class SeasonQueries:
    @field(description="The seasons started so far, newest first.")
    async def seasons(self, info: Info) -> list[Season]:
        runtime = info.context.runtime
        now = utc_now()
        views = await runtime.read(lambda uow: services.seasons_of(uow, runtime.economy, now))
        return [
            Season(
                id=strawberry.ID(v.season.id),
                title=v.season.title,
                starts_at=v.season.starts,
                ends_at=v.season.ends,
                snapshot_taken_at=v.snapshot.taken_at if v.snapshot else None,
            )
            for v in views
        ]
