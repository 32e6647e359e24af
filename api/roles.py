"""Honor roles at the edge: the roles of the economy, holdings (operators' list, the
flagged holders, the hall of fame of current and past terms) and the mutations (apply,
nominate, appoint, accept, end, renew, assign a mentee). Resolvers only translate to
`domain.services.roles`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, cast

import strawberry
from strawberry import relay

from api import ids
from api.auth import utc_now
from api.commanding import actor, attempt, viewer_member
from api.connections import Connection, Edge, connection, page_size
from api.context import Info
from api.errors import (
    AlreadyExists,
    InvalidInput,
    InvalidTransition,
    LimitReached,
    NotEligible,
    NotFound,
    bad_input,
)
from api.fields import field, mutation
from api.permissions import IsMember, IsMemberOrOperator, IsOperator
from api.types import Member
from domain import commands as c
from domain import roles as dr
from domain.economy import Economy
from domain.economy import Role as DomainRole
from domain.services import roles as services

hall_of_fame_size_max = 100


@strawberry.enum(description="Where a role holding stands.")
class RoleHoldingState(Enum):
    APPLIED = "applied"
    NOMINATED = "nominated"
    ACTIVE = "active"
    ENDED = "ended"


@strawberry.type(description="A role of the economy: a seat of responsibility held for a term.")
class HonorRole:
    id: strawberry.ID
    title: str
    duties: str
    seats: int
    term_days: int
    entry: str = strawberry.field(description="application, nomination or appointment.")
    nominated_by: list[strawberry.ID] = strawberry.field(
        description="Roles whose holders may nominate (operators always may)."
    )
    min_level: strawberry.ID | None
    honors: list[strawberry.ID] = strawberry.field(description="Honors a holder must hold.")
    honor: strawberry.ID | None = strawberry.field(description="Shown while holding the role.")
    mentees: int = strawberry.field(description="Mentees per holder (0: not a mentor role).")
    mentee_level: strawberry.ID | None

    @classmethod
    def of(cls, role: DomainRole) -> HonorRole:
        return cls(
            id=strawberry.ID(role.id),
            title=role.title,
            duties=role.duties,
            seats=role.seats,
            term_days=role.term_days,
            entry=role.entry,
            nominated_by=[strawberry.ID(r) for r in role.nominated_by],
            min_level=strawberry.ID(role.min_level) if role.min_level else None,
            honors=[strawberry.ID(h) for h in role.honors],
            honor=strawberry.ID(role.honor) if role.honor else None,
            mentees=role.mentees,
            mentee_level=strawberry.ID(role.mentee_level) if role.mentee_level else None,
        )


@strawberry.type(description="One member's way into one role, and the term that followed.")
class RoleHolding:
    id: strawberry.ID
    state: RoleHoldingState
    entry: str
    proposed_at: datetime
    started_at: datetime | None
    ends_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    renewals: int
    flagged_at: datetime | None = strawberry.field(
        description="When the review found the holder below the role's eligibility."
    )
    flag_reason: str | None
    role: HonorRole
    owner_id: strawberry.Private[str]

    @strawberry.field
    async def member(self, info: Info) -> Member:
        found = await info.context.loaders.members.load(self.owner_id)
        assert found is not None, f"role holding {self.id} of unknown member {self.owner_id}"
        return Member.of(found)

    @classmethod
    def of(cls, economy: Economy, holding: dr.RoleHolding) -> RoleHolding:
        role = economy.role(holding.role_id)
        assert role is not None, f"holding {holding.id} of unknown role {holding.role_id}"
        return cls(
            id=strawberry.ID(holding.id),
            state=RoleHoldingState(holding.state.value),
            entry=holding.entry,
            proposed_at=holding.proposed_at,
            started_at=holding.started_at,
            ends_at=holding.ends_at,
            ended_at=holding.ended_at,
            end_reason=holding.end_reason,
            renewals=holding.renewals,
            flagged_at=holding.flagged_at,
            flag_reason=holding.flag_reason,
            role=HonorRole.of(role),
            owner_id=holding.member_id,
        )


@strawberry.type(description="A newcomer paired with a mentor; credited once, ever.")
class Mentorship:
    id: strawberry.ID
    role_id: strawberry.ID
    mentor_id: relay.GlobalID
    mentee_id: relay.GlobalID
    assigned_at: datetime
    credited_at: datetime | None

    @classmethod
    def of(cls, mentorship: dr.Mentorship) -> Mentorship:
        return cls(
            id=strawberry.ID(mentorship.id),
            role_id=strawberry.ID(mentorship.role_id),
            mentor_id=relay.GlobalID("Member", mentorship.mentor_id),
            mentee_id=relay.GlobalID("Member", mentorship.mentee_id),
            assigned_at=mentorship.assigned_at,
            credited_at=mentorship.credited_at,
        )


# --- inputs, payloads, results ----------------------------------------------------------


@strawberry.input
class RoleInput:
    role_id: strawberry.ID


@strawberry.input
class NominateForRoleInput:
    role_id: strawberry.ID
    member_id: relay.GlobalID = strawberry.field(description="The nominee.")


@strawberry.input
class AppointToRoleInput:
    role_id: strawberry.ID
    member_id: relay.GlobalID


@strawberry.input
class RoleHoldingInput:
    holding_id: strawberry.ID


@strawberry.input
class EndRoleInput:
    holding_id: strawberry.ID
    reason: str


@strawberry.input
class AssignMenteeInput:
    role_id: strawberry.ID
    mentor_id: relay.GlobalID
    mentee_id: relay.GlobalID = strawberry.field(description="A member may name only itself.")


@strawberry.type
class RoleHoldingPayload:
    holding: RoleHolding


@strawberry.type
class MentorshipPayload:
    mentorship: Mentorship


RoleHoldingResult = Annotated[
    RoleHoldingPayload
    | NotFound
    | NotEligible
    | AlreadyExists
    | LimitReached
    | InvalidTransition
    | InvalidInput,
    strawberry.union("RoleHoldingResult"),
]
AssignMenteeResult = Annotated[
    MentorshipPayload | NotFound | NotEligible | AlreadyExists | LimitReached | InvalidInput,
    strawberry.union("AssignMenteeResult"),
]


def _payload(info: Info, holding: dr.RoleHolding) -> RoleHoldingPayload:
    return RoleHoldingPayload(holding=RoleHolding.of(info.context.runtime.economy, holding))


def _member(value: relay.GlobalID, name: str) -> str:
    return ids.node_id(value, "Member", name)


async def _holdings(
    info: Info, state: RoleHoldingState | None, first: int, after: str | None
) -> Connection[RoleHolding]:
    limit = page_size(first)
    runtime = info.context.runtime
    after_id = ids.decode_cursor("roleHolding", after)
    states = (dr.RoleState(state.value),) if state is not None else ()
    known = {r.id for r in runtime.economy.roles}
    rows = await runtime.read(
        lambda uow: services.role_holdings(uow, None, None, states, after_id, limit + 1)
    )
    edges = [
        Edge(
            cursor=ids.encode_cursor("roleHolding", row.id),
            node=RoleHolding.of(runtime.economy, row),
        )
        for row in rows[:limit]
        if row.role_id in known  # a role the economy no longer declares is not shown
    ]
    return connection(edges, len(rows) > limit, after)


@strawberry.type
class RoleQueries:
    @field(description="The roles of the economy: seats of responsibility held for a term.")
    def roles(self, info: Info) -> list[HonorRole]:
        return [HonorRole.of(role) for role in info.context.runtime.economy.roles]

    @field(permissions=[IsOperator], description="Every role holding, by id (operators).")
    async def role_holdings(
        self,
        info: Info,
        state: RoleHoldingState | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[RoleHolding]:
        return await _holdings(info, state, first, after)

    @field(
        permissions=[IsOperator],
        description="Holders the review found below their role's eligibility (operators decide).",
    )
    async def flagged_role_holders(self, info: Info, first: int = 20) -> list[RoleHolding]:
        limit = page_size(first)
        runtime = info.context.runtime
        known = {r.id for r in runtime.economy.roles}
        rows = await runtime.read(lambda uow: services.flagged_holders(uow, None, limit))
        return [RoleHolding.of(runtime.economy, r) for r in rows if r.role_id in known]

    @field(description="Current and past role holders with their terms, newest first.")
    async def role_hall_of_fame(self, info: Info, first: int = 100) -> list[RoleHolding]:
        if not 0 <= first <= hall_of_fame_size_max:
            raise bad_input("first", f"must be between 0 and {hall_of_fame_size_max}")
        runtime = info.context.runtime
        rows = await runtime.read(
            lambda uow: services.role_hall_of_fame(uow, runtime.economy, first)
        )
        return [RoleHolding.of(runtime.economy, r) for r in rows]


@strawberry.type
class RoleMutations:
    @mutation(permissions=[IsMember], description="Apply for a role entered by application.")
    async def apply_for_role(self, info: Info, input: RoleInput) -> RoleHoldingResult:
        async def act() -> RoleHoldingPayload:
            cmd = c.ApplyForRole(viewer_member(info), str(input.role_id), utc_now())
            return _payload(info, await info.context.runtime.command(services.apply_for_role, cmd))

        return cast(RoleHoldingResult, await attempt(info, act))

    @mutation(
        permissions=[IsMemberOrOperator],
        description="Nominate a member: an operator, or a holder of a nominating role.",
    )
    async def nominate_for_role(self, info: Info, input: NominateForRoleInput) -> RoleHoldingResult:
        async def act() -> RoleHoldingPayload:
            nominator = info.context.viewer.member_id if info.context.viewer else None
            cmd = c.NominateForRole(_member(input.member_id, "memberId"), str(input.role_id),
                                    nominator, actor(info), utc_now())  # fmt: skip
            runtime = info.context.runtime
            return _payload(info, await runtime.command(services.nominate_for_role, cmd))

        return cast(RoleHoldingResult, await attempt(info, act))

    @mutation(permissions=[IsOperator], description="Appoint a member to a role (operators).")
    async def appoint_to_role(self, info: Info, input: AppointToRoleInput) -> RoleHoldingResult:
        async def act() -> RoleHoldingPayload:
            cmd = c.AppointToRole(_member(input.member_id, "memberId"), str(input.role_id),
                                  actor(info), utc_now())  # fmt: skip
            runtime = info.context.runtime
            return _payload(info, await runtime.command(services.appoint_to_role, cmd))

        return cast(RoleHoldingResult, await attempt(info, act))

    @mutation(permissions=[IsMember], description="Accept a nomination: the term starts.")
    async def accept_role(self, info: Info, input: RoleHoldingInput) -> RoleHoldingResult:
        async def act() -> RoleHoldingPayload:
            cmd = c.AcceptRole(viewer_member(info), str(input.holding_id), utc_now())
            return _payload(info, await info.context.runtime.command(services.accept_role, cmd))

        return cast(RoleHoldingResult, await attempt(info, act))

    @mutation(
        permissions=[IsMemberOrOperator],
        description="Step down from (or withdraw) one's own holding, or end any (operators).",
    )
    async def end_role(self, info: Info, input: EndRoleInput) -> RoleHoldingResult:
        async def act() -> RoleHoldingPayload:
            member = info.context.viewer.member_id if info.context.viewer else None
            cmd = c.EndRole(str(input.holding_id), member, input.reason, actor(info), utc_now())
            return _payload(info, await info.context.runtime.command(services.end_role, cmd))

        return cast(RoleHoldingResult, await attempt(info, act))

    @mutation(permissions=[IsOperator], description="Renew an active term for another term.")
    async def renew_role(self, info: Info, input: RoleHoldingInput) -> RoleHoldingResult:
        async def act() -> RoleHoldingPayload:
            cmd = c.RenewRole(str(input.holding_id), actor(info), utc_now())
            return _payload(info, await info.context.runtime.command(services.renew_role, cmd))

        return cast(RoleHoldingResult, await attempt(info, act))

    @mutation(
        permissions=[IsMemberOrOperator],
        description="Pair a newcomer with a mentor: an operator, or the mentee itself.",
    )
    async def assign_mentee(self, info: Info, input: AssignMenteeInput) -> AssignMenteeResult:
        async def act() -> MentorshipPayload:
            member = info.context.viewer.member_id if info.context.viewer else None
            cmd = c.AssignMentee(str(input.role_id), _member(input.mentor_id, "mentorId"),
                                 _member(input.mentee_id, "menteeId"), member, actor(info),
                                 utc_now())  # fmt: skip
            made = await info.context.runtime.command(services.assign_mentee, cmd)
            return MentorshipPayload(mentorship=Mentorship.of(made))

        return cast(AssignMenteeResult, await attempt(info, act))
