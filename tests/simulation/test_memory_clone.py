"""The memory store loads members with `clone_member` instead of `copy.deepcopy` (the
simulator's hot path): the copy must be equal and share no mutable container."""

from __future__ import annotations

import copy
from dataclasses import fields
from datetime import UTC, datetime

from domain.model import LevelState, Member, Progress
from persistence.memory import clone_member


def _busy_member() -> Member:
    progress = Progress(
        counters={"post|day": (5, 2, 30)},
        daily_total=(5, 30),
        last_award={"post": 100},
        streaks={"check_in": (3, 5)},
        best_streaks={"check_in": 7},
        kind_counts={"post": 2},
        earned_by_day={5: 30},
        earned_by_month={24300: 30},
        lifetime_earned=30,
        consumed=10,
        expired=1,
        honor_tiers={"first_post": 1},
        last_active_day=5,
    )
    return Member(
        "m1",
        "m1",
        "M",
        datetime(2027, 1, 1, tzinfo=UTC),
        "regular",
        30,
        False,
        LevelState.WARNING,
        datetime(2027, 2, 1, tzinfo=UTC),
        "junior",
        progress,
        3,
    )


def test_a_cloned_member_equals_a_deep_copy() -> None:
    member = _busy_member()
    assert clone_member(member) == copy.deepcopy(member)


def test_changing_a_clone_leaves_the_original_untouched() -> None:
    # given a member and its clone
    member = _busy_member()
    before = copy.deepcopy(member)
    clone = clone_member(member)

    # when every container of the clone's progress is changed
    for f in fields(Progress):
        value = getattr(clone.progress, f.name)
        if isinstance(value, dict):
            value["changed"] = (0, 0, 0)
        elif isinstance(value, list):
            value.append((0, "changed"))
    clone.level_id = "legend"

    # then the original is as it was
    assert member == before
