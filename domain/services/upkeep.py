"""Scheduled upkeep: pending points confirmed when due (with the level and honors they
reach), the daily level review and point expiry."""

from __future__ import annotations

from domain import expiry, ledger, levels
from domain.calendar import require_aware
from domain.commands import (
    ReviewMember,
)
from domain.economy import Economy
from domain.ledger import available_account
from domain.model import (
    Event,
    PointsExpired,
)
from domain.ports import UnitOfWork
from domain.services import pending
from domain.services._support import grant_automatic, member_for_update


def review_member(cmd: ReviewMember, uow: UnitOfWork, economy: Economy) -> list[Event]:
    """Pending points due, level review (warning, grace, demotion) and point expiry as of
    `as_of`. Idempotent."""
    require_aware(cmd.as_of, "asOf")
    with uow:
        member = member_for_update(uow, cmd.member_id)
        earned = member.progress.lifetime_earned
        events: list[Event] = pending.confirm_due(uow, economy, member, cmd.as_of)
        if member.progress.lifetime_earned != earned:  # they may reach a level or points honor
            events.extend(grant_automatic(uow, economy, member, cmd.as_of))
        events.extend(levels.review(economy, member, cmd.as_of))
        account = available_account(member.id)
        expiring = expiry.expirable_points(economy, member, uow.ledger.balance(account), cmd.as_of)
        if expiring > 0:
            transfer = ledger.expire(
                uow.next_id("trf"),
                member.id,
                expiring,
                cmd.as_of,
                "expiry",
                "points past the expiry horizon",
            )
            assert uow.ledger.post(transfer), "expiry never takes more than is available"
            member.progress.consumed += expiring
            member.progress.expired += expiring
            events.append(PointsExpired(member.id, expiring, cmd.as_of))
        expiry.compact_months(economy, member, cmd.as_of)
        uow.members.save(member)
        uow.events.extend(events)
        uow.commit()
    return events
