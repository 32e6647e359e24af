"""Quests at the edge: the viewer's quests with their progress, a member's quest
history, and the types both use. Resolvers only translate to `domain.services`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api import ids
from api.connections import Connection, Edge, connection, page_size
from api.context import Info
from api.economy_types import GuideIndex, Honor, KocTier, Level
from api.quest_types import QuestProgress, QuestState, progress_type
from api.types import Reward
from domain import services
from domain.economy import Economy


@strawberry.enum
class QuestKind(Enum):
    ONE_OFF = "one_off"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@strawberry.enum(description="Filter for the viewer's quests.")
class QuestFilter(Enum):
    AVAILABLE = "available"
    ACTIVE = "active"
    COMPLETED = "completed"  # completed, claimed or finished after every place was taken


@strawberry.type(description="N activities of a kind whose attributes meet every condition.")
class QuestStep:
    kind: str
    target: int
    conditions: list[str]


@strawberry.type(description="What completing a quest pays.")
class QuestReward:
    points: int
    honor: Honor | None
    coupon: Reward | None = strawberry.field(description="A coupon code from this reward's pool.")


@strawberry.type(description="A quest of the economy, as the viewer stands on it now.")
class Quest:
    id: strawberry.ID
    title: str
    guideline: str
    kind: QuestKind
    starts_at: datetime | None
    ends_at: datetime | None
    ordered: bool = strawberry.field(description="Steps count only in order.")
    opt_in: bool = strawberry.field(description="Progress starts only after startQuest.")
    claim_required: bool = strawberry.field(description="Rewards wait for claimQuestReward.")
    capacity: int | None = strawberry.field(description="Completers paid per period.")
    steps: list[QuestStep]
    reward: QuestReward
    min_level: Level | None
    koc_tier: KocTier | None
    required_honor: Honor | None
    state: QuestState
    ineligible_reason: str | None
    progress: QuestProgress | None


def quest_state(view: services.QuestView) -> QuestState:
    if view.progress is not None:
        return QuestState(view.progress.state.value)
    if not view.open:
        return QuestState.CLOSED
    return QuestState.LOCKED if view.ineligible else QuestState.AVAILABLE


def quest_type(economy: Economy, guide: GuideIndex, view: services.QuestView) -> Quest:
    quest = view.quest
    coupon = economy.reward(quest.reward.coupon) if quest.reward.coupon else None
    return Quest(
        id=strawberry.ID(quest.id),
        title=quest.title,
        guideline=quest.guideline,
        kind=QuestKind(quest.kind),
        starts_at=quest.starts,
        ends_at=quest.ends,
        ordered=quest.ordered,
        opt_in=quest.opt_in,
        claim_required=quest.claim,
        capacity=quest.capacity,
        steps=[
            QuestStep(kind=s.kind, target=s.count, conditions=[str(c) for c in s.conditions])
            for s in quest.steps
        ],
        reward=QuestReward(
            points=quest.reward.points,
            honor=guide.honor(quest.reward.honor) if quest.reward.honor else None,
            coupon=Reward.of(guide, coupon) if coupon else None,
        ),
        min_level=guide.level(quest.min_level) if quest.min_level else None,
        koc_tier=guide.koc_tiers[quest.koc_tier] if quest.koc_tier else None,
        required_honor=guide.honor(quest.honor) if quest.honor else None,
        state=quest_state(view),
        ineligible_reason=view.ineligible,
        progress=progress_type(economy, quest, view.progress) if view.progress else None,
    )


_FILTERED = {
    QuestFilter.AVAILABLE: {QuestState.AVAILABLE},
    QuestFilter.ACTIVE: {QuestState.ACTIVE},
    QuestFilter.COMPLETED: {QuestState.COMPLETED, QuestState.CLAIMED, QuestState.FULL},
}


async def viewer_quests(
    info: Info,
    member_id: str,
    at: datetime,
    first: int,
    after: str | None,
    state: QuestFilter | None,
) -> Connection[Quest]:
    limit = page_size(first)
    runtime = info.context.runtime
    start = ids.decode_int_cursor("quest", after)
    position = -1 if start is None else start
    views = await runtime.read(lambda uow: services.quests_for(member_id, uow, runtime.economy, at))
    wanted = _FILTERED[state] if state is not None else None
    listed = [
        (index, view)
        for index, view in enumerate(views)
        if index > position and (wanted is None or quest_state(view) in wanted)
    ]
    edges = [
        Edge(
            cursor=ids.encode_cursor("quest", index),
            node=quest_type(runtime.economy, runtime.guide, view),
        )
        for index, view in listed[:limit]
    ]
    return connection(edges, len(listed) > limit, after)
