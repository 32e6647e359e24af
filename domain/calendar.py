"""Period buckets in the economy's time zone: local day, ISO week, month, lifetime."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.economy import Period
from domain.errors import InvalidInput

# Moments the domain accepts: far enough from datetime's limits (years 1 and 9999) that
# no offset or time zone conversion, and no day, week or month arithmetic, can overflow.
year_min = 2000
year_max = 8999


def require_aware(value: datetime, field_name: str) -> datetime:
    """An aware moment inside years `year_min`..`year_max` (as written and in UTC)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field_name, "must include a time zone offset")
    if not year_min <= value.year <= year_max:  # an offset moves it by less than a day
        raise InvalidInput(field_name, f"must be in the years {year_min} to {year_max}")
    return value


# The last moment converted, as (moment, zone, local date): recording an activity asks
# for the local day of the same `occurred_at` three times (the rules, the quests, the
# seasons), and a zone conversion costs more than all the rest of the question. Compared
# by identity: the entry holds its moment, so no other object can take its id, and a
# datetime never changes. One tuple, replaced whole, so a reader never sees half of one.
_last_local: list[tuple[datetime, ZoneInfo, date] | None] = [None]


def local_date(at: datetime, tz: ZoneInfo) -> date:
    last = _last_local[0]
    if last is not None and last[0] is at and last[1] is tz:
        return last[2]
    local = at.astimezone(tz).date()
    _last_local[0] = (at, tz, local)
    return local


def day_number(at: datetime, tz: ZoneInfo) -> int:
    """Proleptic ordinal of the local calendar day."""
    return local_date(at, tz).toordinal()


def bucket(period: Period, day: int) -> int:
    """The bucket of `period` holding local day `day` (a date ordinal)."""
    if period == "day":
        return day
    if period == "week":
        return day - (day - 1) % 7  # the Monday of that ISO week (ordinal 1 is a Monday)
    if period == "month":
        return month_index(day)
    return 0


_months: dict[int, int] = {}  # day ordinal -> month index, filled as days are seen
_months_kept_max = 100_000


def month_index(day: int) -> int:
    """Months since year 0 of the month holding local day `day`."""
    month = _months.get(day)
    if month is None:
        d = date.fromordinal(day)
        month = d.year * 12 + d.month - 1
        if len(_months) < _months_kept_max:
            _months[day] = month
    return month


_starts: dict[tuple[int, ZoneInfo], datetime] = {}  # (day, zone) -> its local midnight
_starts_kept_max = 100_000


def start_of_day(day: int, tz: ZoneInfo) -> datetime:
    """The local midnight starting day `day` (asked per activity, for each quest period
    and season: a day's answer is kept, as `month_index` keeps its months)."""
    key = (day, tz)
    start = _starts.get(key)
    if start is None:
        start = datetime.combine(date.fromordinal(day), datetime.min.time(), tzinfo=tz)
        if len(_starts) < _starts_kept_max:
            _starts[key] = start
    return start


def days_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier) / timedelta(days=1)


def epoch_seconds(at: datetime) -> int:
    return int(at.timestamp())
