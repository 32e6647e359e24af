"""Task definitions in the economy file: refused with file, line, table and field when
they cannot work; read into tasks with their points, bonus tiers and limits."""

from __future__ import annotations

import pytest

from domain.economy import Task, parse_economy
from domain.errors import EconomyInvalid
from domain.guide import build_guide
from honorloop.guide_render import render_markdown, render_text

BASE = """[economy]
id = "t"
timezone = "Asia/Shanghai"

[rules.post]
kind = "post"
points = 5

[[levels]]
id = "newcomer"
threshold = 0
"""

GOOD = """
[[tasks]]
id = "review_video"
title = "Review video"
points = 100
bonus = { good = 20, excellent = 50 }
max_resubmissions = 2
due_days = 10
"""


def issues(tasks: str) -> list[tuple[str, str, int | None]]:
    with pytest.raises(EconomyInvalid) as raised:
        parse_economy(BASE + tasks, "t.toml")
    assert all(i.source == "t.toml" for i in raised.value.issues)
    return [(i.table, i.field, i.line) for i in raised.value.issues]


def line_of(tasks: str, text: str) -> int:
    return (BASE + tasks).splitlines().index(text) + 1


def test_a_task_is_read_with_its_points_bonus_tiers_and_limits() -> None:
    economy = parse_economy(BASE + GOOD, "t.toml")

    assert economy.task("review_video") == Task(
        id="review_video",
        title="Review video",
        guideline="",
        points=100,
        bonus=(("good", 20), ("excellent", 50)),
        review=True,
        max_resubmissions=2,
        due_days=10,
    )
    assert economy.task("nothing") is None


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('kind = "weekly"', "kind"),
        ("points = -5", "points"),
        ("due_days = 0", "due_days"),
        ("max_resubmissions = 99", "max_resubmissions"),
        ('review = "yes"', "review"),
    ],
)
def test_a_bad_task_field_is_refused_naming_its_table_field_and_line(line: str, field: str) -> None:
    pays = "" if field == "points" else "points = 10\n"
    body = f'\n[[tasks]]\nid = "t1"\n{pays}{line}\n'

    found = issues(body)

    assert ("tasks[0]", field, line_of(body, line)) in found


def test_a_task_that_pays_nothing_or_a_bonus_without_review_is_refused() -> None:
    body = """
[[tasks]]
id = "free"

[[tasks]]
id = "unreviewed"
points = 5
review = false
bonus = { good = 5 }
"""
    found = issues(body)

    assert ("tasks[0]", "points", line_of(body, "[[tasks]]")) in found
    assert [(t, f) for t, f, _ in found if t == "tasks[1]"] == [("tasks[1]", "bonus")]


def test_a_task_id_taken_twice_or_a_bad_bonus_tier_is_refused() -> None:
    body = """
[[tasks]]
id = "dup"
points = 5

[[tasks]]
id = "dup"
points = 5
bonus = { Good = 0 }
"""
    found = {(t, f) for t, f, _ in issues(body)}

    assert found == {("tasks[1]", "id"), ("tasks[1].bonus", "Good")}


def test_tasks_must_be_an_array_of_tables() -> None:
    with pytest.raises(EconomyInvalid) as raised:
        parse_economy('tasks = "none"\n' + BASE, "t.toml")

    assert [(i.table, i.field) for i in raised.value.issues] == [("tasks", "")]


def test_the_guide_lists_each_task_with_what_it_pays_and_how_it_is_reviewed() -> None:
    unreviewed = '\n[[tasks]]\nid = "share"\ntitle = "Share"\npoints = 10\nreview = false\n'
    economy = parse_economy(BASE + GOOD + unreviewed, "t.toml")

    guide = build_guide(economy)
    text, markdown = render_text(guide), render_markdown(guide)

    reviewed, shared = guide.tasks
    assert reviewed.bonus == ("good: +20 points", "excellent: +50 points")
    assert "pays 100 points once a reviewer approves the work" in reviewed.summary
    assert "handed in again 2 time(s)" in reviewed.summary
    assert "on submission (no review)" in shared.summary
    assert "ASSIGNED TASKS" in text
    assert "| **Review video** |" in markdown
