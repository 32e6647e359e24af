"""Paid membership (seed 002's Fan Deng members, seed 003's service provider): a paid
tier bought for a number of days. It is active from `since` until `until`; buying the
same tier again while it is active extends it from its current end (a renewal), and
buying it after it ended starts a new period from the purchase. While a member holds
another tier that is still active, a purchase of a different tier is refused.

The expiry is judged by date wherever a tier is read (`active_paid_tier`), so a member's
privileges end at `until` even before `honorloop review` records the expiry (and emits
MembershipExpired). Pure: no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.economy import Economy, PaidTier, points_max
from domain.errors import InvalidInput
from domain.idempotency import SERVICE

price_max = 10**12  # in the currency's minor unit
multiplier_percent_max = 1000


@dataclass(frozen=True, slots=True)
class RecordMembershipPurchase:
    """A trusted service reports that `member_id` paid `price` (minor unit) for
    `period_days` of `tier_id`; `at` is when it was paid."""

    member_id: str
    tier_id: str
    period_days: int
    price: int
    idempotency_key: str
    at: datetime
    caller: str = SERVICE


@dataclass(frozen=True, slots=True)
class Membership:
    """A member's paid tier: the current (or last) continuous period of one tier.
    `expired` is set once the review recorded the end (it is reset by a new period)."""

    member_id: str
    tier_id: str
    since: datetime
    until: datetime
    purchases: int
    paid_total: int
    expired: bool = False

    def active_at(self, at: datetime) -> bool:
        return self.since <= at < self.until


@dataclass(frozen=True, slots=True)
class MembershipOutcome:
    membership: Membership
    renewed: bool  # extended from its current end (it was active)
    replayed: bool = False


def active_paid_tier(membership: Membership | None, at: datetime) -> str | None:
    """The id of the paid tier a member holds at `at`, or None: the one question other
    features ask (privileges, eligibility as a tier)."""
    if membership is None or not membership.active_at(at):
        return None
    return membership.tier_id


def check_purchase(cmd: RecordMembershipPurchase, economy: Economy) -> PaidTier:
    """The tier bought, once the command's values are acceptable."""
    tier = economy.paid_tier(cmd.tier_id)
    if tier is None:
        raise InvalidInput("tierId", f"no paid tier {cmd.tier_id!r} in this economy")
    if not 1 <= cmd.period_days <= tier.period_days_max:
        raise InvalidInput("periodDays", f"must be 1 to {tier.period_days_max} days")
    if not 0 <= cmd.price <= price_max:
        raise InvalidInput("price", f"must be 0 to {price_max} in the currency's minor unit")
    return tier


def purchased(current: Membership | None, cmd: RecordMembershipPurchase) -> MembershipOutcome:
    """The membership after a purchase: a renewal extends an active period from its end;
    otherwise a new period starts at the purchase."""
    days = timedelta(days=cmd.period_days)
    if current is not None and current.active_at(cmd.at):
        if current.tier_id != cmd.tier_id:
            raise InvalidInput(
                "tierId",
                f"the member holds {current.tier_id!r} until {current.until.isoformat()};"
                " another tier can be bought once it ends",
            )
        renewed = replace(
            current,
            until=current.until + days,
            purchases=current.purchases + 1,
            paid_total=current.paid_total + cmd.price,
        )
        return MembershipOutcome(renewed, True)
    if current is not None and cmd.at < current.since:
        raise InvalidInput("at", "a purchase cannot be dated before the member's current period")
    started = Membership(cmd.member_id, cmd.tier_id, cmd.at, cmd.at + days, 1, cmd.price)
    return MembershipOutcome(started, False)


def due_to_expire(membership: Membership, at: datetime) -> bool:
    """Whether the review should record this membership's end now."""
    return not membership.expired and membership.until <= at


def multiplied(economy: Economy, tier_id: str | None, rule_id: str, points: int) -> int:
    """A rule's points under the active tier's multiplier (floor: the ledger is whole;
    never above a rule's maximum)."""
    tier = economy.paid_tier(tier_id) if tier_id is not None else None
    if tier is None or rule_id not in tier.rules or points <= 0:
        return points
    return min(points * tier.multiplier_percent // 100, points_max)


def reward_open_to(economy: Economy, tier_id: str | None, reward_id: str) -> bool:
    """Whether a reward some paid tier reserves is open to a member holding `tier_id`
    (a reward no tier reserves is open to everyone)."""
    reserving = [t.id for t in economy.paid_tiers if reward_id in t.rewards]
    return not reserving or tier_id in reserving
