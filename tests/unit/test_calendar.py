"""Local days in the economy's time zone: a day's start is its local midnight, the same
moment however often it is asked (the answer is kept, within a bound)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain import calendar
from domain.calendar import day_number, start_of_day

ZONES = ["Asia/Shanghai", "America/Sao_Paulo", "Europe/London", "Pacific/Kiritimati"]


@pytest.mark.parametrize("zone", ZONES)
def test_a_day_starts_at_its_local_midnight_each_time_it_is_asked(zone: str) -> None:
    tz = ZoneInfo(zone)
    first = date(2018, 1, 1).toordinal()
    for day in range(first, first + 800, 7):
        expected = datetime.combine(date.fromordinal(day), datetime.min.time(), tzinfo=tz)

        assert start_of_day(day, tz) == expected
        assert start_of_day(day, tz) == expected  # the kept answer
        assert day_number(start_of_day(day, tz) + timedelta(hours=2), tz) == day


def test_the_days_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calendar, "_starts", {})
    monkeypatch.setattr(calendar, "_starts_kept_max", 3)
    tz = ZoneInfo("UTC")
    first = date(2026, 1, 1).toordinal()

    starts = [start_of_day(day, tz) for day in range(first, first + 10)]

    assert len(calendar._starts) == 3
    assert starts[-1] == datetime(2026, 1, 10, tzinfo=tz)


def test_the_last_conversion_kept_answers_as_a_fresh_one() -> None:
    """`local_date` keeps its last answer for the same moment object and zone: asked in
    any order, about moments equal or not, in several zones, it answers as a conversion
    made afresh."""
    rng = random.Random(11)
    zones = [ZoneInfo(zone) for zone in ZONES]
    utc = ZoneInfo("UTC")
    moments = [
        datetime(2026, 12, 31, 15, 0, tzinfo=utc) + timedelta(minutes=37 * i) for i in range(60)
    ]
    moments += [
        datetime.fromtimestamp(m.timestamp(), tz=utc) for m in moments
    ]  # equal, other objects
    for _ in range(3_000):
        at, tz = rng.choice(moments), rng.choice(zones)
        assert calendar.local_date(at, tz) == at.astimezone(tz).date()
        assert day_number(at, tz) == at.astimezone(tz).date().toordinal()
