"""The `[[tasks]]` tables of an economy file: assigned work with review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.economy.model import Task

if TYPE_CHECKING:
    from domain.economy.reader import _Reader

TASK_FIELDS = {"id", "title", "guideline", "points", "bonus", "review", "max_resubmissions",
               "due_days"}  # fmt: skip
tasks_max = 200
task_bonus_tiers_max = 10
task_due_days_max = 366
task_resubmissions_max = 10


def read_tasks(r: _Reader, raw: Any) -> tuple[Task, ...]:
    if not isinstance(raw, list):
        r.problem("tasks", "", "must be an array of tables ([[tasks]])")
        return ()
    if len(raw) > tasks_max:
        r.problem("tasks", "", f"at most {tasks_max} tasks are allowed")
    out: list[Task] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        table = f"tasks[{index}]"
        if not isinstance(item, dict):
            r.problem(table, "", "each task must be a table")
            continue
        r.known(item, table, TASK_FIELDS)
        task_id = r.string(item, table, "id")
        r.ident(table, "id", task_id)
        if task_id in seen:
            r.problem(table, "id", f"task {task_id!r} is declared twice")
        seen.add(task_id)
        out.append(
            Task(
                id=task_id,
                title=r.string(item, table, "title", task_id.replace("_", " ").capitalize()),
                guideline=r.string(item, table, "guideline", ""),
                points=r.integer(item, table, "points", 0),
                bonus=_bonus(r, item, table),
                review=r.boolean(item, table, "review", True),
                max_resubmissions=r.integer(
                    item, table, "max_resubmissions", 0, maximum=task_resubmissions_max
                ),
                due_days=r.integer(item, table, "due_days", 7, 1, task_due_days_max),
            )
        )
        if not out[-1].points and not out[-1].bonus:
            r.problem(table, "points", "a task must pay something: points or a quality bonus")
        if out[-1].bonus and not out[-1].review:
            r.problem(table, "bonus", "a quality bonus needs a review (review = true)")
    return tuple(out)


def _bonus(r: _Reader, item: dict[str, Any], table: str) -> tuple[tuple[str, int], ...]:
    if "bonus" not in item:
        return ()
    raw = r.table(item, table, "bonus")
    bt = f"{table}.bonus"
    if len(raw) > task_bonus_tiers_max:
        r.problem(table, "bonus", f"at most {task_bonus_tiers_max} quality tiers are allowed")
    tiers: list[tuple[str, int]] = []
    for tier in raw:
        r.ident(bt, tier, tier)
        tiers.append((tier, r.integer(raw, bt, tier, minimum=1)))
    return tuple(tiers)
