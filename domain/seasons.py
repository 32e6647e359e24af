"""Seasons (seed 000's "Creator of the season, Q3 2026"): named periods, or a cadence
of local months, quarters or years. Points earned from rules during a season are counted
per member; when the season ends its leaderboard and hall of fame are kept as a snapshot,
so they stay visible after the live boards move on. Pure: no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from domain.calendar import local_date, start_of_day
from domain.economy import Season, Seasons
from domain.model import HonorAward

seasons_listed_max = 400  # a cadence is enumerated at most this far
snapshot_size_max = 100  # leaderboard rows and hall-of-fame entries kept per season
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")  # fmt: skip


@dataclass(frozen=True, slots=True)
class LeaderRow:
    rank: int
    member_id: str
    points: int


@dataclass(frozen=True, slots=True)
class FameRow:
    member_id: str
    level_id: str
    honors: tuple[HonorAward, ...]


@dataclass(frozen=True, slots=True)
class SeasonSnapshot:
    season_id: str
    taken_at: datetime
    leaderboard: tuple[LeaderRow, ...]
    hall_of_fame: tuple[FameRow, ...]


@lru_cache(maxsize=4096)  # pure in its (hashable, frozen) arguments; asked per activity
def _cadence_season(seasons: Seasons, index: int, tz: ZoneInfo) -> Season:
    assert seasons.every is not None, "a cadence"
    assert seasons.starts is not None, "the reader requires a cadence's start"
    step = _MONTHS[seasons.every]
    first = local_date(seasons.starts, tz)
    months = first.year * 12 + first.month - 1 + index * step
    year, month = divmod(months, 12)
    end_year, end_month = divmod(months + step, 12)
    starts = start_of_day(date(year, month + 1, 1).toordinal(), tz)
    ends = start_of_day(date(end_year, end_month + 1, 1).toordinal(), tz)
    if seasons.every == "month":
        return Season(f"{year}-{month + 1:02d}", f"{_MONTH_NAMES[month]} {year}", starts, ends)
    if seasons.every == "quarter":
        if month % 3 == 0:  # calendar quarters
            return Season(f"{year}-q{month // 3 + 1}", f"Q{month // 3 + 1} {year}", starts, ends)
        label = f"Quarter from {_MONTH_NAMES[month]} {year}"
        return Season(f"{year}-{month + 1:02d}-quarter", label, starts, ends)
    return Season(str(year), str(year), starts, ends)


def started_by(seasons: Seasons, tz: ZoneInfo, at: datetime) -> list[Season]:
    """Every season that has started by `at`, oldest first."""
    if seasons.every is None:
        return [s for s in sorted(seasons.periods, key=lambda s: s.starts) if s.starts <= at]
    out: list[Season] = []
    for index in range(seasons_listed_max):
        season = _cadence_season(seasons, index, tz)
        if season.starts > at:
            break
        out.append(season)
    return out


# (id of the seasons, zone, local day) -> (those seasons, the cadence season of that day's
# month): asked per activity, so a day's answer is kept (the seasons are held, so their
# id cannot be reused by other seasons while the entry lives).
_cadence_by_day: dict[tuple[int, ZoneInfo, int], tuple[Seasons, Season | None]] = {}
_cadence_days_kept_max = 100_000


def _cadence_candidate(seasons: Seasons, tz: ZoneInfo, day: date) -> Season | None:
    """The cadence season of local day `day`'s month, if it is among the listed ones."""
    assert seasons.every is not None, "a cadence"
    assert seasons.starts is not None, "the reader requires a cadence's start"
    first = local_date(seasons.starts, tz)
    months = (day.year - first.year) * 12 + day.month - first.month
    index = months // _MONTHS[seasons.every]
    if 0 <= index < seasons_listed_max:
        return _cadence_season(seasons, index, tz)
    return None


def season_at(seasons: Seasons, tz: ZoneInfo, at: datetime) -> Season | None:
    """The season `at` falls in (asked per activity). A cadence's season is found from
    `at`'s local month, one cached season read, not every season since the first; what
    that does not settle (before the first season, past the listed ones, a boundary moved
    by a time-zone gap) is scanned as before."""
    if seasons.every is not None and seasons.starts is not None:
        day = local_date(at, tz)
        key = (id(seasons), tz, day.toordinal())
        kept = _cadence_by_day.get(key)
        if kept is None or kept[0] is not seasons:
            kept = (seasons, _cadence_candidate(seasons, tz, day))
            if len(_cadence_by_day) < _cadence_days_kept_max:
                _cadence_by_day[key] = kept
        season = kept[1]
        if season is not None and season.starts <= at < season.ends:
            return season
    found = started_by(seasons, tz, at)
    return found[-1] if found and found[-1].ends > at else None


def by_id(seasons: Seasons, tz: ZoneInfo, season_id: str, at: datetime) -> Season | None:
    return next((s for s in started_by(seasons, tz, at) if s.id == season_id), None)


def leader_rows(top: list[tuple[str, int]]) -> tuple[LeaderRow, ...]:
    """Ranked by points, then member id (the store returns them in that order)."""
    ordered = sorted(top, key=lambda row: (-row[1], row[0]))
    return tuple(LeaderRow(rank, mid, pts) for rank, (mid, pts) in enumerate(ordered, 1))
