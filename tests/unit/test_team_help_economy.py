"""Team and help quests in the economy file: read with their sizes, hours, points and
limits; refused with file, line, table and field when they cannot work."""

from __future__ import annotations

import pytest

from domain.economy import HelpQuest, TeamQuest, parse_economy
from domain.errors import EconomyInvalid
from domain.guide import build_guide, guide_data
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
[[team_quests]]
id = "team_buy"
title = "Team buy"
size = 3
hours = 24
points = 60
teams_per_member = 2

[[help_quests]]
id = "bargain"
helps = 5
points = 80
helper_points = 5
"""


def issues(body: str) -> list[tuple[str, str, int | None]]:
    with pytest.raises(EconomyInvalid) as raised:
        parse_economy(BASE + body, "t.toml")
    assert all(i.source == "t.toml" for i in raised.value.issues)
    return [(i.table, i.field, i.line) for i in raised.value.issues]


def line_of(body: str, text: str) -> int:
    return (BASE + body).splitlines().index(text) + 1


def test_team_and_help_quests_are_read_with_their_limits() -> None:
    economy = parse_economy(BASE + GOOD, "t.toml")
    assert economy.team_quest("team_buy") == TeamQuest("team_buy", "Team buy", 3, 24, 60, 2)
    assert economy.help_quest("bargain") == HelpQuest("bargain", "Bargain", 5, 24, 80, 5, 3, 1)
    assert economy.team_quest("bargain") is None
    assert economy.help_quest("team_buy") is None


def test_the_sample_economy_declares_a_three_person_day_long_team_and_the_seeds_helps() -> None:
    with open("economies/koc_community.toml", encoding="utf-8") as f:
        economy = parse_economy(f.read(), "koc_community.toml")
    [team] = economy.team_quests
    assert (team.size, team.hours) == (3, 24)
    [helped] = economy.help_quests
    assert helped.helps_per_day == 3


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ('[[team_quests]]\nid = "t"\nsize = 1\npoints = 5\n', "size", "size = 1"),
        ('[[team_quests]]\nid = "t"\nsize = 51\npoints = 5\n', "size", "size = 51"),
        ('[[team_quests]]\nid = "t"\nhours = 0\npoints = 5\n', "hours", "hours = 0"),
        ('[[team_quests]]\nid = "t"\npoints = 0\n', "points", "points = 0"),
        ('[[team_quests]]\nid = "t"\npoints = 5\nteams_per_member = 0\n', "teams_per_member",
         "teams_per_member = 0"),
        ('[[team_quests]]\nid = "t"\npoints = 5\nseats = 3\n', "seats", "seats = 3"),
        ('[[help_quests]]\nid = "h"\nhelps = 0\npoints = 5\n', "helps", "helps = 0"),
        ('[[help_quests]]\nid = "h"\npoints = 5\nhelps_per_day = 0\n', "helps_per_day",
         "helps_per_day = 0"),
        ('[[help_quests]]\nid = "h"\npoints = 5\nhelper_points = -1\n', "helper_points",
         "helper_points = -1"),
    ],
)  # fmt: skip
def test_a_quest_that_cannot_work_is_refused_at_its_line(body: str, field: str, text: str) -> None:
    table = "team_quests[0]" if body.startswith("[[team") else "help_quests[0]"
    assert issues(body) == [(table, field, line_of(body, text))]


def test_points_are_required() -> None:
    body = '[[team_quests]]\nid = "t"\n'
    assert [(t, f) for t, f, _ in issues(body)] == [("team_quests[0]", "points")]


def test_ids_are_unique_across_team_and_help_quests() -> None:
    body = (
        '[[team_quests]]\nid = "same"\npoints = 5\n'
        '[[team_quests]]\nid = "same"\npoints = 5\n'
        '[[help_quests]]\nid = "same"\npoints = 5\n'
    )
    assert [(t, f) for t, f, _ in issues(body)] == [
        ("team_quests[1]", "id"),
        ("help_quests[0]", "id"),
    ]


def test_team_quests_must_be_an_array_of_tables() -> None:
    assert [(t, f) for t, f, _ in issues('[team_quests]\nid = "t"\n')] == [("team_quests", "")]


def test_the_guide_says_how_each_works_and_what_it_pays() -> None:
    guide = build_guide(parse_economy(BASE + GOOD, "t.toml"))
    team, helped = guide.friend_quests
    assert (team.kind, helped.kind) == ("team", "help")
    assert "2 friend(s) join within 24 hours" in team.guideline
    assert "60 points" in team.summary
    assert "pays nobody" in team.summary
    assert "80 points, each helper 5 points" in helped.summary
    assert "at most 3 a day" in helped.summary
    assert "Team buy" in render_text(guide)
    assert "| **Bargain** |" in render_markdown(guide)
    assert guide_data(guide)["friend_quests"][0]["id"] == "team_buy"
