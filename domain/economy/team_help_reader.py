"""The `[[team_quests]]` and `[[help_quests]]` tables of an economy file (seed 003)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.economy.model import HelpQuest, TeamQuest

if TYPE_CHECKING:
    from domain.economy.reader import _Reader

TEAM_FIELDS = {"id", "title", "size", "hours", "points", "teams_per_member"}
HELP_FIELDS = {"id", "title", "helps", "hours", "points", "helper_points", "helps_per_day",
               "starts_per_member"}  # fmt: skip
friend_quests_max = 100
team_size_max = 50
helps_max = 100
friend_quest_hours_max = 24 * 31
per_member_max = 100
friend_points_max = 1_000_000


def _items(r: _Reader, raw: Any, name: str) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(raw, list):
        r.problem(name, "", f"must be an array of tables ([[{name}]])")
        return []
    if len(raw) > friend_quests_max:
        r.problem(name, "", f"at most {friend_quests_max} are allowed")
    found: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(raw):
        table = f"{name}[{index}]"
        if not isinstance(item, dict):
            r.problem(table, "", "each entry must be a table")
            continue
        found.append((table, item))
    return found


def _ident(r: _Reader, item: dict[str, Any], table: str, seen: set[str]) -> str:
    quest_id = r.string(item, table, "id")
    r.ident(table, "id", quest_id)
    if quest_id in seen:
        r.problem(table, "id", f"{quest_id!r} is declared twice")
    seen.add(quest_id)
    return quest_id


def read_team_quests(r: _Reader, raw: Any) -> tuple[TeamQuest, ...]:
    out: list[TeamQuest] = []
    seen: set[str] = set()
    for table, item in _items(r, raw, "team_quests"):
        r.known(item, table, TEAM_FIELDS)
        quest_id = _ident(r, item, table, seen)
        out.append(
            TeamQuest(
                id=quest_id,
                title=r.string(item, table, "title", quest_id.replace("_", " ").capitalize()),
                size=r.integer(item, table, "size", 3, 2, team_size_max),
                hours=r.integer(item, table, "hours", 24, 1, friend_quest_hours_max),
                points=r.integer(item, table, "points", None, 1, friend_points_max),
                teams_per_member=r.integer(item, table, "teams_per_member", 1, 1, per_member_max),
            )
        )
    return tuple(out)


def read_help_quests(r: _Reader, raw: Any, team_ids: set[str]) -> tuple[HelpQuest, ...]:
    out: list[HelpQuest] = []
    seen: set[str] = set()
    for table, item in _items(r, raw, "help_quests"):
        r.known(item, table, HELP_FIELDS)
        quest_id = _ident(r, item, table, seen)
        if quest_id in team_ids:
            r.problem(table, "id", f"{quest_id!r} is a team quest's id already")
        out.append(
            HelpQuest(
                id=quest_id,
                title=r.string(item, table, "title", quest_id.replace("_", " ").capitalize()),
                helps=r.integer(item, table, "helps", 5, 1, helps_max),
                hours=r.integer(item, table, "hours", 24, 1, friend_quest_hours_max),
                points=r.integer(item, table, "points", None, 1, friend_points_max),
                helper_points=r.integer(item, table, "helper_points", 0, 0, friend_points_max),
                helps_per_day=r.integer(item, table, "helps_per_day", 3, 1, per_member_max),
                starts_per_member=r.integer(item, table, "starts_per_member", 1, 1, per_member_max),
            )
        )
    return tuple(out)
