"""Pending points: confirmed by the daily review once due, exactly once.

An activity paid by a rule with `pending_days` earns into the member's pending bucket (one
pending earning per activity). It is due `pending_days` (the longest of the rules that paid
it, as the economy declares them now) after the activity's time; the review confirms it
(pending -> available) and only then do its points count toward qualifying points, levels,
lifetime, the review window and the expiry horizon, on the day it falls due. A pending
earning whose activity is reversed first is voided, never confirmed: a confirm and a void
both name the pending earning, and a pending earning is settled or voided once."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import earning, ledger, levels
from domain.calendar import day_number
from domain.economy import Economy
from domain.ledger import SourceKind, Transfer
from domain.model import Event, Member
from domain.ports import UnitOfWork


def due_at(uow: UnitOfWork, economy: Economy, pending: Transfer) -> datetime:
    """When a pending earning is confirmed: its activity's time plus the longest
    `pending_days` of the rules that paid it."""
    record = uow.activities.get(pending.reference)
    days = 0
    if record is not None:
        for line in record.lines:
            rule = economy.rule(line.rule_id)
            if rule is not None and line.points > 0:
                days = max(days, rule.pending_days)
    return pending.at + timedelta(days=days)


def confirm_due(uow: UnitOfWork, economy: Economy, member: Member, as_of: datetime) -> list[Event]:
    """Confirm the member's pending earnings due by `as_of` (the member is locked)."""
    events: list[Event] = []
    for pending in uow.ledger.open_pending(member.id):
        if pending.source.kind is SourceKind.REFERRAL:
            continue  # commission confirms in its own pass; a held reward by an operator
        due = due_at(uow, economy, pending)
        if due > as_of:
            continue
        owed = -uow.ledger.balance(ledger.debt_account(member.id))
        confirmed = ledger.confirm_pending(
            uow.next_id("trf"), pending, as_of, pending.memo, {member.id: owed}
        )
        if not uow.ledger.post(confirmed):
            continue  # confirmed or voided meanwhile: nothing to count
        points = sum(p.amount for p in pending.postings if p.amount > 0)
        day = day_number(due, economy.timezone)
        earning.record_earning(economy, member.progress, day, points)
        events.extend(levels.earn(economy, member, points, due))
    return events
