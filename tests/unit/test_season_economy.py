"""Season definitions in the economy file: a cadence or named periods, refused with
file, line, table and field when they cannot work; quarters named as people say them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import seasons
from domain.economy import Season, SeasonCadence, Seasons, parse_economy
from domain.errors import EconomyInvalid
from domain.guide import build_guide
from honorloop.guide_render import render_text
from tests.unit.builders import local

BASE = """[economy]
id = "s"
timezone = "Asia/Shanghai"

[rules.post]
kind = "post"
points = 5

[[levels]]
id = "newcomer"
threshold = 0
"""
SHANGHAI = ZoneInfo("Asia/Shanghai")


def issues(body: str) -> list[tuple[str, str, int | None]]:
    with pytest.raises(EconomyInvalid) as raised:
        parse_economy(BASE + body, "s.toml")
    assert all(i.source == "s.toml" for i in raised.value.issues)
    return [(i.table, i.field, i.line) for i in raised.value.issues]


def line_of(body: str, text: str) -> int:
    return (BASE + body).splitlines().index(text) + 1


def test_quarterly_seasons_are_named_and_bounded_in_local_time() -> None:
    body = '\n[seasons]\nevery = "quarter"\nstarts = 2026-01-01T00:00:00+08:00\n'
    plan = parse_economy(BASE + body, "s.toml").seasons
    assert plan is not None

    started = seasons.started_by(plan, SHANGHAI, local(2026, 7, 1, 0))

    assert [(s.id, s.title) for s in started] == [
        ("2026-q1", "Q1 2026"),
        ("2026-q2", "Q2 2026"),
        ("2026-q3", "Q3 2026"),
    ]
    assert (started[2].starts, started[2].ends) == (local(2026, 7, 1, 0), local(2026, 10, 1, 0))
    assert seasons.season_at(plan, SHANGHAI, local(2026, 6, 30, 23, 59)) == started[1]
    assert seasons.season_at(plan, SHANGHAI, local(2025, 12, 31, 23, 59)) is None


def test_named_periods_are_read_in_order() -> None:
    body = """
[[seasons.periods]]
id = "launch"
title = "Launch season"
starts = 2026-01-01T00:00:00+08:00
ends = 2026-03-01T00:00:00+08:00
"""
    plan = parse_economy(BASE + body, "s.toml").seasons

    assert plan is not None
    assert plan.periods == (
        Season("launch", "Launch season", local(2026, 1, 1, 0), local(2026, 3, 1, 0)),
    )


def test_overlapping_or_backward_periods_are_refused() -> None:
    body = """
[[seasons.periods]]
id = "a"
starts = 2026-01-01T00:00:00+08:00
ends = 2026-03-01T00:00:00+08:00

[[seasons.periods]]
id = "b"
starts = 2026-02-01T00:00:00+08:00
ends = 2026-04-01T00:00:00+08:00

[[seasons.periods]]
id = "c"
starts = 2026-06-01T00:00:00+08:00
ends = 2026-05-01T00:00:00+08:00
"""
    found = issues(body)

    assert (
        "seasons.periods[1]",
        "starts",
        line_of(body, "starts = 2026-02-01T00:00:00+08:00"),
    ) in found
    assert (
        "seasons.periods[2]",
        "ends",
        line_of(body, "ends = 2026-05-01T00:00:00+08:00"),
    ) in found


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('\n[seasons]\nevery = "fortnight"\nstarts = 2026-01-01T00:00:00+08:00\n', "every"),
        ('\n[seasons]\nevery = "quarter"\n', "starts"),
        ('\n[seasons]\nevery = "quarter"\nstarts = 2026-01-15T00:00:00+08:00\n', "starts"),
    ],
)
def test_a_bad_cadence_is_refused_naming_the_field(body: str, field: str) -> None:
    assert [(t, f) for t, f, _ in issues(body)] == [("seasons", field)]


def test_the_guide_lists_the_seasons() -> None:
    body = '\n[seasons]\nevery = "quarter"\nstarts = 2026-01-01T00:00:00+08:00\n'
    guide = build_guide(parse_economy(BASE + body, "s.toml"))

    assert guide.seasons is not None
    assert "every quarter" in guide.seasons
    assert "SEASONS" in render_text(guide)


@pytest.mark.parametrize(
    ("body", "table", "field"),
    [
        ('seasons = "quarterly"\n', "", "seasons"),
        ("\n[seasons]\n", "seasons", ""),
        ('\n[seasons]\nperiods = "q1"\n', "seasons", "periods"),
        ("\n[[seasons.periods]]\nid = \"a\"\nstarts = 2026-01-01T00:00:00+08:00\n",
         "seasons.periods[0]", "ends"),
    ],
)  # fmt: skip
def test_a_seasons_table_of_the_wrong_shape_is_refused(body: str, table: str, field: str) -> None:
    text = body + BASE if body.startswith("seasons =") else BASE + body
    with pytest.raises(EconomyInvalid) as raised:
        parse_economy(text, "s.toml")

    assert (table, field) in [(i.table, i.field) for i in raised.value.issues]


def test_a_cadence_and_named_periods_together_are_refused() -> None:
    body = """
[seasons]
every = "quarter"
starts = 2026-01-01T00:00:00+08:00

[[seasons.periods]]
id = "launch"
starts = 2026-01-01T00:00:00+08:00
ends = 2026-03-01T00:00:00+08:00

[[seasons.periods]]
id = "launch"
starts = 2026-04-01T00:00:00+08:00
ends = 2026-05-01T00:00:00+08:00
"""
    found = {(t, f) for t, f, _ in issues(body)}

    assert found == {("seasons", "periods"), ("seasons.periods[1]", "id")}


def _season_by_scan(cadence: Seasons, tz: ZoneInfo, at: datetime) -> Season | None:
    """The season of `at` as `season_at` always found it: every season started by then."""
    found = seasons.started_by(cadence, tz, at)
    return found[-1] if found and found[-1].ends > at else None


@given(
    every=st.sampled_from(["month", "quarter", "year"]),
    zone=st.sampled_from(["Asia/Shanghai", "America/Sao_Paulo", "Europe/London", "UTC"]),
    starts=st.datetimes(datetime(2015, 1, 1), datetime(2030, 1, 1)),  # noqa: DTZ001
    offset=st.timedeltas(timedelta(days=-400), timedelta(days=12_000)),
)
def test_the_season_of_a_moment_is_the_one_every_season_started_by_then_ends_in(
    every: SeasonCadence, zone: str, starts: datetime, offset: timedelta
) -> None:
    tz = ZoneInfo(zone)
    cadence = Seasons(every=every, starts=starts.replace(tzinfo=tz))
    at = cadence.starts + offset if cadence.starts is not None else starts

    assert seasons.season_at(cadence, tz, at) == _season_by_scan(cadence, tz, at)


def test_the_season_of_a_moment_on_a_season_boundary_is_the_season_starting_then() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    cadence = Seasons(every="quarter", starts=local(2026, 1, 1, 0))
    april = local(2026, 4, 1, 0)

    found = seasons.season_at(cadence, tz, april)
    before = seasons.season_at(cadence, tz, april - timedelta(microseconds=1))

    assert found is not None
    assert before is not None
    assert (found.id, found.starts, before.id, before.ends) == ("2026-q2", april, "2026-q1", april)
    assert seasons.season_at(cadence, tz, local(2025, 12, 31, 23)) is None
    assert seasons.season_at(cadence, tz, local(2126, 1, 2, 0)) is None
