"""Explain: what an activity would earn and why, with the limits left — the same
evaluation as the real award, and no writes."""

from datetime import timedelta

import pytest

from domain.errors import InvalidInput
from domain.model import LimitStatus
from tests.unit.builders import World, economy_from, local

ECONOMY = economy_from(
    """
[rules.check_in]
kind = "check_in"
points = 2
limits = [{ period = "day", max_count = 1 }]
streak = { bonus_per_day = 1, max_bonus = 3 }

[rules.comment]
kind = "comment"
points = 20
limits = [{ period = "day", max_count = 5, max_points = 70 }, { period = "week", max_count = 20 }]

[rules.post]
kind = "post"
points = 15
once_per_subject = true
exempt_from_daily_cap = true
""",
    daily_cap=50,
)
NOON = local(2026, 3, 2, 12)


@pytest.fixture
def world() -> World:
    return World(ECONOMY)


@pytest.fixture
def alice(world: World) -> str:
    return world.join("alice")


def limit(evaluation_limits: tuple[LimitStatus, ...], scope: str, period: str) -> LimitStatus:
    return next(s for s in evaluation_limits if (s.scope, s.period) == (scope, period))


def test_explain_gives_the_same_points_and_reasons_as_the_real_award(
    world: World, alice: str
) -> None:
    for day in range(3):
        world.earn(alice, "check_in", NOON + timedelta(days=day))
    when = NOON + timedelta(days=3)

    explained = world.explain(alice, "check_in", when)
    awarded = world.record(alice, "check_in", when)

    assert explained.points == awarded.points == 5
    assert explained.lines == awarded.record.lines


def test_explain_agrees_with_the_award_when_the_daily_cap_clips(world: World, alice: str) -> None:
    world.earn(alice, "comment", NOON)
    world.earn(alice, "comment", NOON)

    explained = world.explain(alice, "comment", NOON)
    awarded = world.record(alice, "comment", NOON)

    assert explained.lines == awarded.record.lines
    assert explained.points == 10
    assert "daily cap" in explained.explanation


def test_explain_says_how_much_of_each_limit_is_left(world: World, alice: str) -> None:
    world.earn(alice, "comment", NOON)

    explained = world.explain(alice, "comment", NOON)

    day = limit(explained.limits, "comment", "day")
    week = limit(explained.limits, "comment", "week")
    cap = limit(explained.limits, "daily_cap", "day")
    assert (day.remaining_count, day.remaining_points) == (4, 50)
    assert (week.remaining_count, week.remaining_points) == (19, None)
    assert cap.remaining_points == 30


def test_explain_names_why_nothing_would_be_earned(world: World, alice: str) -> None:
    world.earn(alice, "post", NOON, "note-1")

    explained = world.explain(alice, "post", NOON, "note-1")

    assert explained.points == 0
    assert explained.explanation == "post: already rewarded for subject 'note-1'"


def test_explaining_writes_nothing(world: World, alice: str) -> None:
    world.earn(alice, "check_in", NOON)
    writes = world.write_count()
    progress = world.member(alice).progress.to_primitives()

    for _ in range(3):
        world.explain(alice, "comment", NOON)
        world.explain(alice, "post", NOON, "note-9")
        world.explain(alice, "check_in", NOON + timedelta(days=1))

    assert world.write_count() == writes
    assert world.member(alice).progress.to_primitives() == progress
    assert world.earn(alice, "check_in", NOON + timedelta(days=1)) == 3


def test_explain_rejects_what_recording_would_reject(world: World, alice: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.explain(alice, "post", NOON, subject=None)

    assert raised.value.field == "subjectId"
