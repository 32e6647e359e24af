"""Query root: translate arguments, call a read (service or loader), shape the result."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError

from api import ids
from api.auth import utc_now
from api.campaigns import CampaignQueries
from api.connections import Connection, Edge
from api.contests import ContestQueries
from api.context import Info
from api.economy_types import EconomyGuide, Level
from api.errors import (
    ActivityTooLate,
    InvalidInput,
    NotFound,
    UnknownNote,
    bad_input,
    invalid_input,
    user_error,
)
from api.fields import field
from api.inputs import ExplainActivityInput, LeaderboardPeriod, attributes
from api.permissions import ActsForOwnMember, IsAuthenticated, IsMember, IsOperator
from api.quests import Quest, QuestFilter, viewer_quests
from api.referrals import ReferralQueries
from api.reward_pages import RewardConnection, page_info, relay_slice
from api.roles import RoleQueries
from api.seasons import SeasonQueries, honors_of, members_of, season_view
from api.settings import page_size_max
from api.tasks import TaskQueries
from api.types import HonorAward, Member, Reward, member_reads
from domain import services
from domain.commands import RecordActivity
from domain.errors import DomainError
from domain.model import Evaluation

hall_of_fame_size_max = 100


@strawberry.type
class LeaderboardEntry:
    rank: int
    points: int
    member: Member


@strawberry.type
class HallOfFameEntry:
    member: Member
    level: Level
    honors: list[HonorAward]


@strawberry.type
class AwardLine:
    rule_id: strawberry.ID
    base_points: int
    streak_bonus: int
    points: int
    reason: str
    streak_length: int


@strawberry.type
class LimitStatus:
    scope: str = strawberry.field(description="A rule id, or 'daily_cap'.")
    period: str
    max_count: int | None
    max_points: int | None
    used_count: int
    used_points: int
    remaining_count: int | None
    remaining_points: int | None


@strawberry.type(description="What an activity would earn and why, and the limits left.")
class ActivityExplanation:
    points: int
    explanation: str
    lines: list[AwardLine]
    limits: list[LimitStatus]


ExplainActivityResult = Annotated[
    ActivityExplanation | NotFound | InvalidInput | UnknownNote | ActivityTooLate,
    strawberry.union("ExplainActivityResult"),
]


def _explanation(evaluation: Evaluation) -> ActivityExplanation:
    return ActivityExplanation(
        points=evaluation.points,
        explanation=evaluation.explanation,
        lines=[
            AwardLine(
                rule_id=strawberry.ID(line.rule_id),
                base_points=line.base_points,
                streak_bonus=line.streak_bonus,
                points=line.points,
                reason=line.reason,
                streak_length=line.streak_length,
            )
            for line in evaluation.lines
        ],
        limits=[
            LimitStatus(
                scope=lim.scope,
                period=lim.period,
                max_count=lim.max_count,
                max_points=lim.max_points,
                used_count=lim.used_count,
                used_points=lim.used_points,
                remaining_count=lim.remaining_count,
                remaining_points=lim.remaining_points,
            )
            for lim in evaluation.limits
        ],
    )


@strawberry.type
class Query(
    TaskQueries, ContestQueries, SeasonQueries, RoleQueries, ReferralQueries, CampaignQueries
):
    @field(
        permissions=[IsAuthenticated],
        description="Any object by global id; another member's private objects read as null.",
    )
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:
        try:
            found: relay.Node | None = await id.resolve_node(info, required=False)
        except GlobalIDValueError:
            raise bad_input("id", "is not a global id of this API") from None
        return found

    @field(permissions=[IsMember], description="The member the token names.")
    async def viewer(self, info: Info) -> Member | None:
        viewer = info.context.viewer
        assert viewer is not None, "guarded by IsMember"
        assert viewer.member_id is not None, "guarded by IsMember"
        honors, pages = member_reads(info, viewer.member_id)
        found = await info.context.loaders.member_with(
            viewer.member_id, honors=honors, ledger_pages=pages
        )
        return Member.of(found) if found else None

    @field(permissions=[IsOperator], description="Any member (operators).")
    async def member(self, info: Info, id: relay.GlobalID) -> Member | None:
        if id.type_name != "Member":
            raise bad_input("id", "must be the global id of a Member")
        found = await info.context.loaders.members.load(id.node_id)
        return Member.of(found) if found else None

    @field(
        permissions=[IsMember],
        description="The economy's quests as the viewer stands on them now, in file order.",
    )
    async def quests(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        state: QuestFilter | None = None,
    ) -> Connection[Quest]:
        viewer = info.context.viewer
        assert viewer is not None, "guarded by IsMember"
        assert viewer.member_id is not None, "guarded by IsMember"
        return await viewer_quests(info, viewer.member_id, utc_now(), first, after, state)

    @field(description="The public contribution-value guide.")
    def economy(self, info: Info) -> EconomyGuide:
        return info.context.runtime.guide.economy

    @field(description="The points mall, in catalogue order, with stock left.")
    def rewards(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        tier: strawberry.ID | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> RewardConnection:
        economy = info.context.runtime.economy
        listed = [
            (index, reward)
            for index, reward in enumerate(economy.rewards)
            if tier is None or reward.tier == tier
        ]
        page, has_previous, has_next = relay_slice(
            listed,
            first,
            ids.decode_int_cursor("reward", after),
            last,
            ids.decode_int_cursor("reward", before),
        )
        edges = [
            Edge(
                cursor=ids.encode_cursor("reward", index),
                node=Reward.of(info.context.runtime.guide, reward),
            )
            for index, reward in page
        ]
        return RewardConnection(
            edges=edges,
            page_info=page_info(edges, has_previous, has_next),
            total_count=len(listed),
        )

    @field(
        description="Top earners from rules in the current local period, or as kept at the "
        "end of `season` (empty while the season runs)."
    )
    async def leaderboard(
        self,
        info: Info,
        period: LeaderboardPeriod = LeaderboardPeriod.WEEK,
        first: int = 10,
        season: strawberry.ID | None = None,
    ) -> list[LeaderboardEntry]:
        if not 0 <= first <= page_size_max:
            raise bad_input("first", f"must be between 0 and {page_size_max}")
        if season is not None:
            return await season_leaderboard(info, str(season), first)
        runtime = info.context.runtime
        now = utc_now()
        rows = await runtime.read(
            lambda uow: services.leaderboard(uow, runtime.economy, period.value, now, first)
        )
        return [
            LeaderboardEntry(rank=rank, points=points, member=Member.of(member))
            for rank, (member, points) in enumerate(rows, start=1)
        ]

    @field(
        description="Members holding a hall-of-fame honor or level, or as kept at the end "
        "of `season` (empty while the season runs)."
    )
    async def hall_of_fame(
        self, info: Info, first: int = 100, season: strawberry.ID | None = None
    ) -> list[HallOfFameEntry]:
        if not 0 <= first <= hall_of_fame_size_max:
            raise bad_input("first", f"must be between 0 and {hall_of_fame_size_max}")
        if season is not None:
            return await season_hall_of_fame(info, str(season), first)
        runtime = info.context.runtime
        guide = runtime.guide
        rows = await runtime.read(lambda uow: services.hall_of_fame(uow, runtime.economy, first))
        return [
            HallOfFameEntry(
                member=Member.of(row.member),
                level=guide.level(row.level_id),
                honors=[HonorAward.of(guide, award) for award in row.honors],
            )
            for row in rows
        ]

    @field(
        permissions=[ActsForOwnMember],
        description="What an activity would earn now and the limits left; writes nothing.",
    )
    async def explain_activity(
        self, info: Info, input: ExplainActivityInput
    ) -> ExplainActivityResult:
        viewer = info.context.viewer
        runtime = info.context.runtime
        try:
            named = ids.node_id(input.member_id, "Member", "memberId") if input.member_id else None
            member_id = named or (viewer.member_id if viewer else None)
            if member_id is None:
                return invalid_input("memberId", "name the member to explain for")
            now = runtime.clock()
            cmd = RecordActivity(
                member_id=member_id,
                kind=input.kind,
                occurred_at=input.occurred_at or now,
                idempotency_key="explain",
                subject_id=input.subject_id,
                attributes=attributes(input.attributes),
                at=now,
            )
            evaluation = await runtime.read(
                lambda uow: services.explain_activity(cmd, uow, runtime.economy)
            )
        except DomainError as error:
            return user_error(error)  # type: ignore[return-value]
        return _explanation(evaluation)


async def season_leaderboard(info: Info, season_id: str, first: int) -> list[LeaderboardEntry]:
    try:
        snapshot = await season_view(info, season_id)
    except DomainError:
        raise bad_input("season", "is not a season of this economy") from None
    rows = snapshot.leaderboard[:first] if snapshot else ()
    members = await members_of(info, [r.member_id for r in rows])
    return [
        LeaderboardEntry(rank=r.rank, points=r.points, member=members[r.member_id])
        for r in rows
        if r.member_id in members
    ]


async def season_hall_of_fame(info: Info, season_id: str, first: int) -> list[HallOfFameEntry]:
    try:
        snapshot = await season_view(info, season_id)
    except DomainError:
        raise bad_input("season", "is not a season of this economy") from None
    rows = snapshot.hall_of_fame[:first] if snapshot else ()
    members = await members_of(info, [r.member_id for r in rows])
    guide = info.context.runtime.guide
    return [
        HallOfFameEntry(
            member=members[r.member_id],
            level=guide.level(r.level_id),
            honors=honors_of(info, r.honors),
        )
        for r in rows
        if r.member_id in members
    ]
