"""Team quests and help quests at the edge: the instance type, a member's instances, and
the mutations startTeamQuest, joinTeamQuest, startHelpQuest and helpQuest. Resolvers only
translate to `domain.services`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, cast

import strawberry

from api import ids
from api.auth import utc_now
from api.commanding import attempt, viewer_member
from api.connections import Connection, Edge, connection, page_size
from api.context import Info
from api.errors import (
    AlreadyJoined,
    FriendQuestClosed,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    LimitReached,
    NotFound,
    OwnInstance,
)
from api.fields import mutation
from api.permissions import IsMember
from api.types import Member
from domain import commands as c
from domain import services
from domain import team_help as th
from domain.economy import Economy


@strawberry.enum(description="A team quest (friends join) or a help quest (friends help).")
class FriendQuestKind(Enum):
    TEAM = "team"
    HELP = "help"


@strawberry.enum(description="Where a team or help instance stands.")
class FriendQuestState(Enum):
    OPEN = "open"
    FILLED = "filled"
    COMPLETED = "completed"
    EXPIRED = "expired"


@strawberry.type(description="A started team or help instance and who joined or helped it.")
class FriendQuestInstance:
    id: strawberry.ID
    kind: FriendQuestKind
    quest_id: strawberry.ID
    title: str
    state: FriendQuestState
    code: str = strawberry.field(description="The share code friends join or help with.")
    started_at: datetime
    deadline: datetime = strawberry.field(description="Joins and helps count until then.")
    closed_at: datetime | None
    needed: int = strawberry.field(description="Members of a full team, or helps needed.")
    points: int = strawberry.field(description="Paid to each member (team) or the starter.")
    helper_points: int = strawberry.field(description="Paid to each helper on completion.")
    starter_id: strawberry.Private[str]
    member_ids: strawberry.Private[tuple[str, ...]]

    @strawberry.field
    async def members(self, info: Info) -> list[Member]:
        """Team members (the starter first) or helpers, in order."""
        found = [await info.context.loaders.members.load(m) for m in self.member_ids]
        return [Member.of(m) for m in found if m is not None]

    @strawberry.field
    async def starter(self, info: Info) -> Member:
        found = await info.context.loaders.members.load(self.starter_id)
        assert found is not None, f"instance {self.id} of unknown member {self.starter_id}"
        return Member.of(found)

    @classmethod
    def of(cls, economy: Economy, instance: th.FriendQuestInstance) -> FriendQuestInstance:
        if instance.kind is th.FriendQuestKind.TEAM:
            team = economy.team_quest(instance.quest_id)
            title, needed = (team.title, team.size) if team else (instance.quest_id, 0)
        else:
            helped = economy.help_quest(instance.quest_id)
            title, needed = (helped.title, helped.helps) if helped else (instance.quest_id, 0)
        return cls(
            id=strawberry.ID(instance.id),
            kind=FriendQuestKind(instance.kind.value),
            quest_id=strawberry.ID(instance.quest_id),
            title=title,
            state=FriendQuestState(instance.state.value),
            code=instance.code,
            started_at=instance.started_at,
            deadline=instance.deadline,
            closed_at=instance.closed_at,
            needed=needed,
            points=instance.points,
            helper_points=instance.helper_points,
            starter_id=instance.starter_id,
            member_ids=instance.members,
        )


async def friend_quests_page(
    info: Info, member_id: str, first: int, after: str | None
) -> Connection[FriendQuestInstance]:
    """The member's team and help instances by id (keyset)."""
    limit = page_size(first)
    runtime = info.context.runtime
    after_id = ids.decode_cursor("friendQuest", after)
    rows = await runtime.read(
        lambda uow: services.friend_quest_instances(uow, member_id, after_id, limit + 1)
    )
    edges = [
        Edge(
            cursor=ids.encode_cursor("friendQuest", row.id),
            node=FriendQuestInstance.of(runtime.economy, row),
        )
        for row in rows[:limit]
    ]
    return connection(edges, len(rows) > limit, after)


@strawberry.input
class StartFriendQuestInput:
    quest_id: strawberry.ID
    idempotency_key: str


@strawberry.input
class JoinFriendQuestInput:
    code: str = strawberry.field(description="The share code (case does not matter).")
    idempotency_key: str


@strawberry.type
class FriendQuestPayload:
    instance: FriendQuestInstance


StartFriendQuestResult = Annotated[
    FriendQuestPayload | NotFound | LimitReached | InvalidInput | IdempotencyKeyReused,
    strawberry.union("StartFriendQuestResult"),
]
JoinFriendQuestResult = Annotated[
    FriendQuestPayload
    | NotFound
    | FriendQuestClosed
    | AlreadyJoined
    | OwnInstance
    | LimitReached
    | InvalidTransition
    | InvalidInput
    | IdempotencyKeyReused,
    strawberry.union("JoinFriendQuestResult"),
]


async def _start(info: Info, input: StartFriendQuestInput, team: bool) -> FriendQuestPayload:
    cmd = c.StartFriendQuest(
        viewer_member(info), str(input.quest_id), team, input.idempotency_key, utc_now()
    )
    instance = await info.context.runtime.command(services.start_friend_quest, cmd)
    return FriendQuestPayload(
        instance=FriendQuestInstance.of(info.context.runtime.economy, instance)
    )


async def _join(info: Info, input: JoinFriendQuestInput, team: bool) -> FriendQuestPayload:
    cmd = c.JoinFriendQuest(viewer_member(info), input.code, team, input.idempotency_key, utc_now())
    instance = await info.context.runtime.command(services.join_friend_quest, cmd)
    return FriendQuestPayload(
        instance=FriendQuestInstance.of(info.context.runtime.economy, instance)
    )


@strawberry.type
class FriendQuestMutations:
    @mutation(permissions=[IsMember], description="Start a team of a team quest; share its code.")
    async def start_team_quest(
        self, info: Info, input: StartFriendQuestInput
    ) -> StartFriendQuestResult:
        return cast(StartFriendQuestResult, await attempt(info, lambda: _start(info, input, True)))

    @mutation(permissions=[IsMember], description="Join a friend's team by its share code.")
    async def join_team_quest(
        self, info: Info, input: JoinFriendQuestInput
    ) -> JoinFriendQuestResult:
        return cast(JoinFriendQuestResult, await attempt(info, lambda: _join(info, input, True)))

    @mutation(permissions=[IsMember], description="Start a help instance; share its code.")
    async def start_help_quest(
        self, info: Info, input: StartFriendQuestInput
    ) -> StartFriendQuestResult:
        return cast(StartFriendQuestResult, await attempt(info, lambda: _start(info, input, False)))

    @mutation(permissions=[IsMember], description="Help a friend's instance by its share code.")
    async def help_quest(self, info: Info, input: JoinFriendQuestInput) -> JoinFriendQuestResult:
        return cast(JoinFriendQuestResult, await attempt(info, lambda: _join(info, input, False)))
