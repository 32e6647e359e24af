"""Paying a member for something other than an activity's rules: a reviewed task, a
contest prize. Built the way quests pay (`domain.services.quests._pay`): points are
earned (they count toward levels and expiry), a manual honor takes a seat, a coupon is
a redemption at no cost. The one place tasks and contests build a transfer."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain import earning, ledger, levels
from domain.calendar import day_number
from domain.economy import Economy
from domain.ledger import Source
from domain.model import (
    Event,
    HonorAward,
    HonorGranted,
    Member,
    PointsAwarded,
    Redemption,
    RedemptionStatus,
    RedemptionUpdated,
)
from domain.ports import UnitOfWork


def pay_points(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    points: int,
    at: datetime,
    reference: str,
    memo: str,
    source: Source,
) -> list[Event]:
    """Earn `points` for the locked `member`: the transfer, the earning counters, levels."""
    assert points > 0, f"a payout of {points} points for {reference}"
    earn = ledger.earn(uow.next_id("trf"), {member.id: points}, at, source, reference, memo)
    assert uow.ledger.post(earn), "an earning transfer only credits the member"
    earning.record_earning(economy, member.progress, day_number(at, economy.timezone), points)
    return [
        PointsAwarded(member.id, reference, points, at),
        *levels.earn(economy, member, points, at),
    ]


def grant_honor(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    honor_id: str,
    at: datetime,
    reference: str,
    reason: str,
) -> list[Event]:
    """A manual honor, unless the member holds it or its seats are all taken."""
    honor = economy.honor(honor_id)
    if (
        honor is None
        or uow.honors.active(member.id, honor.id) is not None
        or not uow.honors.take_seat(honor.id, honor.max_holders)
    ):
        return []
    uow.honors.add(HonorAward(uow.next_id("hon"), member.id, honor.id, None, at, reference, reason))
    return [HonorGranted(member.id, honor.id, None, at)]


def hand_coupon(
    uow: UnitOfWork, member: Member, reward_id: str, at: datetime, note: str
) -> list[Event]:
    """One code from a coupon reward's pool, as a redemption at no cost (it stays reserved
    while the pool is empty; the operator's fulfilment hands out a code later)."""
    pending = Redemption(
        uow.next_id("red"),
        member.id,
        reward_id,
        1,
        0,
        RedemptionStatus.RESERVED,
        at,
        at,
        note=note,
    )
    code = uow.stock.claim_code(pending.reward_id, pending.id)
    redemption = (
        pending
        if code is None
        else replace(pending, status=RedemptionStatus.FULFILLED, coupon_code=code)
    )
    uow.redemptions.add(redemption)
    return [RedemptionUpdated(member.id, redemption.id, redemption.status, at)]
