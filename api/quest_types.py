"""Quest progress at the edge: the types a member's quest history and the quest
mutations answer with, and the history connection. (The quests themselves, with the
reward and guide types they name, are in `api.quests`.)"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api import ids
from api.connections import Connection, Edge, connection, page_size
from api.context import Info
from api.errors import bad_input
from domain import quests as dq
from domain import services
from domain.economy import Economy
from domain.economy import Quest as DomainQuest


@strawberry.enum(description="Where a member stands on a quest's current period.")
class QuestState(Enum):
    AVAILABLE = "available"  # open, eligible, not started
    LOCKED = "locked"  # open, but the member does not meet its eligibility
    CLOSED = "closed"  # outside its window
    ACTIVE = "active"
    COMPLETED = "completed"
    CLAIMED = "claimed"
    FULL = "full"


@strawberry.type(description="One step of a quest and how far the member is.")
class QuestStepProgress:
    kind: str
    done: int
    target: int


@strawberry.type(description="A member's progress on one period of a quest.")
class QuestProgress:
    quest_id: strawberry.ID
    state: QuestState
    steps: list[QuestStepProgress]
    started_at: datetime
    completed_at: datetime | None
    claimed_at: datetime | None
    period_ends_at: datetime | None = strawberry.field(
        description="When this period closes (null: a one-off quest without an end)."
    )


def progress_type(
    economy: Economy, quest: DomainQuest, progress: dq.QuestProgress
) -> QuestProgress:
    return QuestProgress(
        quest_id=strawberry.ID(quest.id),
        state=QuestState(progress.state.value),
        steps=[
            QuestStepProgress(kind=step.kind, done=done, target=step.count)
            for step, done in zip(quest.steps, progress.done, strict=True)
        ],
        started_at=progress.started_at,
        completed_at=progress.completed_at,
        claimed_at=progress.claimed_at,
        period_ends_at=dq.instance_ends(quest, progress.instance, economy.timezone),
    )


async def member_quest_history(
    info: Info, member_id: str, first: int, after: str | None
) -> Connection[QuestProgress]:
    limit = page_size(first)
    runtime = info.context.runtime
    key = ids.decode_cursor("questProgress", after)
    keyset: tuple[str, int] | None = None
    if key is not None:
        quest_id, _, instance = key.rpartition("@")
        if not quest_id or not instance.isdigit():
            raise bad_input("after", "is not a cursor from this connection")
        keyset = (quest_id, int(instance))
    rows = await runtime.read(lambda uow: services.quest_history(member_id, uow, keyset, limit + 1))
    edges: list[Edge[QuestProgress]] = []
    for row in rows[:limit]:
        quest = runtime.economy.quest(row.quest_id)
        if quest is None:  # a quest the economy no longer declares
            continue
        edges.append(
            Edge(
                cursor=ids.encode_cursor("questProgress", f"{row.quest_id}@{row.instance}"),
                node=progress_type(runtime.economy, quest, row),
            )
        )
    return connection(edges, len(rows) > limit, after)
