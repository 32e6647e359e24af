"""Public reads: member ids for batch jobs, honors, hall of fame, leaderboards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from domain.calendar import bucket, day_number, start_of_day
from domain.economy import Economy
from domain.errors import (
    InvalidInput,
)
from domain.model import (
    Event,
    HonorAward,
    LevelChanged,
    Member,
)
from domain.ports import UnitOfWork
from domain.services._support import (
    page_size_max,
)


@dataclass(frozen=True, slots=True)
class HallOfFameEntry:
    member: Member
    honors: tuple[HonorAward, ...]
    level_id: str


def member_ids(uow: UnitOfWork, after_id: str | None = None, limit: int = 500) -> list[str]:
    """One page of member ids in ascending order, for batch jobs such as the daily review."""
    with uow:
        return uow.members.ids(after_id, min(max(limit, 0), 10_000))


def honors_of(member_id: str, uow: UnitOfWork) -> list[HonorAward]:
    with uow:
        return uow.honors.list_for_member(member_id)


def hall_of_fame(uow: UnitOfWork, economy: Economy, limit: int = 100) -> list[HallOfFameEntry]:
    """Members holding a hall-of-fame honor or standing at a hall-of-fame level."""
    limit = min(max(limit, 0), page_size_max)
    honor_ids = [h.id for h in economy.honors if h.hall_of_fame]
    level_ids = [lv.id for lv in economy.levels if lv.hall_of_fame]
    with uow:
        awards = uow.honors.active_for_honors(honor_ids, limit * 4) if honor_ids else []
        by_member: dict[str, list[HonorAward]] = {}
        for award in awards:
            by_member.setdefault(award.member_id, []).append(award)
        members = {m.id: m for m in uow.members.get_many(list(by_member))}
        if level_ids:
            for m in uow.members.at_levels(level_ids, limit):
                members.setdefault(m.id, m)
    entries = [
        HallOfFameEntry(m, tuple(by_member.get(m.id, ())), m.level_id) for m in members.values()
    ]
    first_award = {mid: min(a.granted_at for a in aw) for mid, aw in by_member.items()}
    entries.sort(key=lambda e: (e.member.id not in first_award,
                                first_award.get(e.member.id, e.member.joined_at),
                                e.member.id))  # fmt: skip
    return entries[:limit]


LEADERBOARD_PERIODS = ("day", "week", "month", "all_time")


def leaderboard_since(economy: Economy, period: str, as_of: datetime) -> datetime | None:
    """The start of the current local day, week or month (None for all time)."""
    if period not in LEADERBOARD_PERIODS:
        raise InvalidInput("period", f"must be one of {', '.join(LEADERBOARD_PERIODS)}")
    if period == "all_time":
        return None
    day = day_number(as_of, economy.timezone)
    if period == "day":
        return start_of_day(day, economy.timezone)
    if period == "week":
        return start_of_day(bucket("week", day), economy.timezone)
    first_of_month = date.fromordinal(day).replace(day=1).toordinal()
    return start_of_day(first_of_month, economy.timezone)


def leaderboard(
    uow: UnitOfWork, economy: Economy, period: str, as_of: datetime, first: int = 10
) -> list[tuple[Member, int]]:
    since = leaderboard_since(economy, period, as_of)
    with uow:
        top = uow.ledger.top_earners(since, min(max(first, 0), page_size_max))
        members = {m.id: m for m in uow.members.get_many([mid for mid, _ in top])}
    return [(members[mid], points) for mid, points in top if mid in members]


def member_level_changes(events: Sequence[Event]) -> list[LevelChanged]:
    return [e for e in events if isinstance(e, LevelChanged)]
