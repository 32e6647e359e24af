"""Period buckets in the economy's time zone: local day, ISO week, month, lifetime."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.economy import Period
from domain.errors import InvalidInput


def require_aware(value: datetime, field_name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field_name, "must include a time zone offset")
    return value


def local_date(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def day_number(at: datetime, tz: ZoneInfo) -> int:
    """Proleptic ordinal of the local calendar day."""
    return local_date(at, tz).toordinal()


def bucket(period: Period, day: int) -> int:
    """The bucket of `period` holding local day `day` (a date ordinal)."""
    if period == "day":
        return day
    if period == "week":
        return day - date.fromordinal(day).weekday()  # the Monday of that ISO week
    if period == "month":
        d = date.fromordinal(day)
        return d.year * 12 + d.month - 1
    return 0


def month_index(day: int) -> int:
    return bucket("month", day)


def start_of_day(day: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(date.fromordinal(day), datetime.min.time(), tzinfo=tz)


def days_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier) / timedelta(days=1)


def epoch_seconds(at: datetime) -> int:
    return int(at.timestamp())
