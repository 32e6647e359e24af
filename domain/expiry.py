"""FIFO point expiry: points earned in months past the horizon expire first, less
everything already consumed (spent, expired, adjusted away)."""

from __future__ import annotations

from datetime import datetime

from domain.calendar import day_number, month_index
from domain.economy import Economy
from domain.model import Member


def expirable_points(economy: Economy, member: Member, available: int, as_of: datetime) -> int:
    """FIFO expiry: points earned in months past the horizon, less all points consumed."""
    if economy.expiry is None:
        return 0
    horizon = month_index(day_number(as_of, economy.timezone)) - economy.expiry.after_months
    old = sum(p for m, p in member.progress.earned_by_month.items() if m < horizon)
    return min(max(old - member.progress.consumed, 0), available)


def compact_months(economy: Economy, member: Member, as_of: datetime) -> None:
    """Fold fully-consumed old months away so progress stays bounded."""
    if economy.expiry is None:
        return
    progress = member.progress
    horizon = month_index(day_number(as_of, economy.timezone)) - economy.expiry.after_months
    old_months = sorted(m for m in progress.earned_by_month if m < horizon)
    old = sum(progress.earned_by_month[m] for m in old_months)
    folded = min(old, progress.consumed)
    if not old_months or folded == 0:
        return
    for m in old_months:
        del progress.earned_by_month[m]
    progress.consumed -= folded
    if old > folded:
        progress.earned_by_month[old_months[-1]] = old - folded
