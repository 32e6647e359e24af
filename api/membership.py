"""Paid membership at the edge: a member's paid tier (`Member.paidTier`, judged active
by the clock) and the trusted service's `recordMembershipPurchase`. Resolvers only
translate to `domain.services`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry
from strawberry import relay

from api import ids
from api.commanding import attempt, caller
from api.context import Info
from api.errors import IdempotencyKeyReused, InvalidInput, NotFound
from api.fields import mutation
from api.permissions import IsService
from domain import membership as dm
from domain import services


@strawberry.type(description="A paid tier the member bought, and whether it is active now.")
class PaidTierStatus:
    tier: strawberry.ID = strawberry.field(description="The paid tier's id in the economy.")
    title: str
    since: datetime = strawberry.field(description="The start of the current period.")
    until: datetime = strawberry.field(description="Its end (extended by each renewal).")
    active: bool = strawberry.field(description="Judged by the clock, whatever the review did.")

    @classmethod
    def of(cls, info: Info, membership: dm.Membership, now: datetime) -> PaidTierStatus:
        tier = info.context.runtime.economy.paid_tier(membership.tier_id)
        return cls(
            tier=strawberry.ID(membership.tier_id),
            title=tier.title if tier is not None else membership.tier_id,
            since=membership.since,
            until=membership.until,
            active=membership.active_at(now),
        )


async def paid_tier_of(info: Info, member_id: str) -> PaidTierStatus | None:
    runtime = info.context.runtime
    found = await runtime.read(lambda uow: services.membership_of(uow, member_id))
    return PaidTierStatus.of(info, found, runtime.clock()) if found is not None else None


@strawberry.input
class RecordMembershipPurchaseInput:
    member_id: relay.GlobalID
    tier_id: strawberry.ID
    period_days: int = strawberry.field(description="How long the purchase lasts, in days.")
    price: int = strawberry.field(description="The price paid, in the currency's minor unit.")
    idempotency_key: str


@strawberry.type
class MembershipPurchasePayload:
    paid_tier: PaidTierStatus
    renewed: bool = strawberry.field(description="True: extended from the current end.")
    replayed: bool


RecordMembershipPurchaseResult = Annotated[
    MembershipPurchasePayload | NotFound | InvalidInput | IdempotencyKeyReused,
    strawberry.union("RecordMembershipPurchaseResult"),
]


@strawberry.type
class MembershipMutations:
    @mutation(
        permissions=[IsService],
        description="Record a paid tier bought for a period (renewing an active one extends "
        "it from its end); a replayed idempotency key changes nothing.",
    )
    async def record_membership_purchase(
        self, info: Info, input: RecordMembershipPurchaseInput
    ) -> RecordMembershipPurchaseResult:
        async def act() -> MembershipPurchasePayload:
            cmd = dm.RecordMembershipPurchase(
                member_id=ids.node_id(input.member_id, "Member", "memberId"),
                tier_id=str(input.tier_id),
                period_days=input.period_days,
                price=input.price,
                idempotency_key=input.idempotency_key,
                at=info.context.runtime.clock(),
                caller=caller(info),
            )
            runtime = info.context.runtime
            outcome = await runtime.command(services.record_membership_purchase, cmd)
            return MembershipPurchasePayload(
                paid_tier=PaidTierStatus.of(info, outcome.membership, runtime.clock()),
                renewed=outcome.renewed,
                replayed=outcome.replayed,
            )

        return cast(RecordMembershipPurchaseResult, await attempt(info, act))
