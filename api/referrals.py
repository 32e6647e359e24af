"""Referrals at the edge: a member's code (`Member.referralCode`), their invitees
(`Member.referrals`) and who referred them (`Member.referredBy`), a code entered after
joining (`applyReferralCode`), operators' flagged referrers and held rewards, and the
operator's confirm or reverse. Resolvers only translate to `domain.services`; the key
codes are derived with is the edge's (`HONORLOOP_REFERRAL_KEY`)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry import relay

from api import ids
from api.commanding import actor, attempt, caller
from api.connections import Connection, Edge, connection, page_size, page_size_default
from api.context import Info
from api.errors import (
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    NotFound,
    ReferralRefused,
)
from api.fields import field, mutation
from api.permissions import IsMemberOrOperator, IsOperator
from domain import referrals as dr
from domain import services
from domain.errors import InvalidInput as DomainInvalidInput

if TYPE_CHECKING:
    from api.types import Member


@strawberry.enum(description="Where an invitee stands.")
class InviteeState(Enum):
    WAITING = "waiting"
    QUALIFIED = "qualified"
    EXPIRED = "expired"


@strawberry.enum(description="What the referrer's reward became when the invitee qualified.")
class ReferralOutcome(Enum):
    PAY = "pay"
    HELD = "held"
    CAPPED = "capped"
    CONFIRMED = "confirmed"
    REVERSED = "reversed"


@strawberry.type(description="An invitee's link to their referrer and how far they got.")
class Referral:
    invitee_id: strawberry.ID
    referrer_id: strawberry.ID
    joined_at: datetime = strawberry.field(description="When the code linked them.")
    deadline: datetime = strawberry.field(description="A qualifying action must come before.")
    qualified_at: datetime | None
    state: InviteeState
    outcome: ReferralOutcome | None = strawberry.field(
        description="The referrer's reward once qualified: paid, held for review, capped, "
        "or (held, then) confirmed or reversed by an operator."
    )

    @field(description="The invitee.")
    async def invitee(self, info: Info) -> Annotated[Member, strawberry.lazy("api.types")] | None:
        return await _member(info, str(self.invitee_id))

    @field(description="The referrer.")
    async def referrer(self, info: Info) -> Annotated[Member, strawberry.lazy("api.types")] | None:
        return await _member(info, str(self.referrer_id))

    @classmethod
    def of(cls, info: Info, referral: dr.Referral) -> Referral:
        runtime = info.context.runtime
        program = runtime.economy.referrals
        assert program is not None, "referrals are stored only under a referral program"
        outcome = ReferralOutcome(referral.outcome.value) if referral.outcome else None
        return cls(
            invitee_id=strawberry.ID(referral.invitee_id),
            referrer_id=strawberry.ID(referral.referrer_id),
            joined_at=referral.joined_at,
            deadline=dr.deadline(program, referral.joined_at),
            qualified_at=referral.qualified_at,
            state=InviteeState(referral.state(program, runtime.clock()).value),
            outcome=outcome,
        )


async def _member(info: Info, member_id: str) -> Member | None:
    from api.types import Member  # api.types builds on this module

    found = await info.context.loaders.members.load(member_id)
    return Member.of(found) if found is not None else None


@strawberry.type(description="A referrer the farming signal holds for review.")
class FlaggedReferrer:
    member_id: strawberry.ID
    qualified: int = strawberry.field(description="Invitees who qualified.")
    expired: int = strawberry.field(description="Invitees past their time limit, unqualified.")
    waiting: int = strawberry.field(description="Invitees still inside their time limit.")
    unqualified_percent: int

    @field(description="The referrer.")
    async def member(self, info: Info) -> Annotated[Member, strawberry.lazy("api.types")] | None:
        return await _member(info, str(self.member_id))


async def referral_code_of(info: Info, member_id: str) -> str | None:
    runtime = info.context.runtime
    if runtime.economy.referrals is None:
        return None
    key = runtime.settings.referral_code_key
    return await runtime.read(lambda uow: services.referral_code_of(uow, member_id, key))


async def referred_by(info: Info, member_id: str) -> Referral | None:
    if info.context.runtime.economy.referrals is None:
        return None
    found = await info.context.runtime.read(lambda uow: services.referral_of(uow, member_id))
    return Referral.of(info, found) if found is not None else None


async def referrals_page(
    info: Info, member_id: str, first: int, after: str | None
) -> Connection[Referral]:
    limit = page_size(first)
    after_id = ids.decode_cursor("referral", after)
    if info.context.runtime.economy.referrals is None:
        return connection([], False, after)
    rows = await info.context.runtime.read(
        lambda uow: services.referrals_of(uow, member_id, after_id, limit + 1)
    )
    edges = [
        Edge(cursor=ids.encode_cursor("referral", r.invitee_id), node=Referral.of(info, r))
        for r in rows[:limit]
    ]
    return connection(edges, len(rows) > limit, after)


@strawberry.input(description="A member enters a referral code after joining.")
class ApplyReferralCodeInput:
    member_id: relay.GlobalID
    referral_code: str


@strawberry.input(description="Confirm or reverse a referral reward held for review.")
class ReferralRewardInput:
    invitee_id: relay.GlobalID
    reason: str
    idempotency_key: str


@strawberry.type
class ReferralPayload:
    referral: Referral
    replayed: bool = False


ApplyReferralCodeResult = Annotated[
    ReferralPayload | InvalidInput | NotFound | ReferralRefused,
    strawberry.union("ApplyReferralCodeResult"),
]
ReferralRewardResult = Annotated[
    ReferralPayload | InvalidInput | NotFound | InvalidTransition | IdempotencyKeyReused,
    strawberry.union("ReferralRewardResult"),
]


@strawberry.type
class ReferralQueries:
    @field(
        permissions=[IsOperator],
        description="Referrers whose invitees mostly never qualify (the farming signal), by id.",
    )
    async def flagged_referrers(
        self, info: Info, first: int = page_size_default, after: strawberry.ID | None = None
    ) -> list[FlaggedReferrer]:
        limit = page_size(first)
        runtime = info.context.runtime
        found = await runtime.read(
            lambda uow: services.flagged_referrers(
                uow, runtime.economy, runtime.clock(), str(after) if after else None, limit
            )
        )
        return [
            FlaggedReferrer(
                member_id=strawberry.ID(f.member_id),
                qualified=f.qualified,
                expired=f.expired,
                waiting=f.waiting,
                unqualified_percent=f.unqualified_percent,
            )
            for f in found
        ]

    @field(
        permissions=[IsOperator],
        description="Referral rewards held for review, waiting for an operator, by invitee.",
    )
    async def held_referrals(
        self, info: Info, first: int = page_size_default, after: str | None = None
    ) -> Connection[Referral]:
        limit = page_size(first)
        after_id = ids.decode_cursor("referral", after)
        rows = await info.context.runtime.read(
            lambda uow: services.held_referrals(uow, after_id, limit + 1)
        )
        edges = [
            Edge(cursor=ids.encode_cursor("referral", r.invitee_id), node=Referral.of(info, r))
            for r in rows[:limit]
        ]
        return connection(edges, len(rows) > limit, after)


@strawberry.type
class ReferralMutations:
    @mutation(
        permissions=[IsMemberOrOperator],
        description="Enter a referral code after joining, within the program's time limit.",
    )
    async def apply_referral_code(
        self, info: Info, input: ApplyReferralCodeInput
    ) -> ApplyReferralCodeResult:
        async def act() -> ReferralPayload:
            member_id = ids.node_id(input.member_id, "Member", "memberId")
            viewer = info.context.viewer
            if viewer is not None and viewer.member_id not in (None, member_id):
                raise DomainInvalidInput("memberId", "a member enters a code for themselves only")
            cmd = services.ApplyReferralCode(
                member_id, input.referral_code, info.context.runtime.clock()
            )
            referral = await info.context.runtime.command(services.apply_referral_code, cmd)
            return ReferralPayload(referral=Referral.of(info, referral))

        return cast(ApplyReferralCodeResult, await attempt(info, act))

    @mutation(
        permissions=[IsOperator],
        description="Confirm a referral reward held for review: the referrer's pending points "
        "become available.",
    )
    async def confirm_referral_reward(
        self, info: Info, input: ReferralRewardInput
    ) -> ReferralRewardResult:
        return cast(ReferralRewardResult, await _decide(info, input, confirm=True))

    @mutation(
        permissions=[IsOperator],
        description="Reverse a referral reward held for review: its pending points are voided.",
    )
    async def reverse_referral_reward(
        self, info: Info, input: ReferralRewardInput
    ) -> ReferralRewardResult:
        return cast(ReferralRewardResult, await _decide(info, input, confirm=False))


async def _decide(info: Info, input: ReferralRewardInput, *, confirm: bool) -> object:
    async def act() -> ReferralPayload:
        cmd = services.DecideReferralReward(
            invitee_id=ids.node_id(input.invitee_id, "Member", "inviteeId"),
            confirm=confirm,
            reason=input.reason,
            actor=actor(info),
            idempotency_key=input.idempotency_key,
            at=info.context.runtime.clock(),
            caller=caller(info),
        )
        decision = await info.context.runtime.command(services.decide_referral_reward, cmd)
        return ReferralPayload(
            referral=Referral.of(info, decision.referral), replayed=decision.replayed
        )

    return await attempt(info, act)
