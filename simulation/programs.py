"""The simulator's side of assigned tasks, contests and seasons: what operators and
members do with them, through the same domain services as the API.

- Tasks: every `task_offer_every_days` an operator offers each task of the economy to up
  to `task_offers_max` living members of the archetypes that take tasks (`task_accept`
  above zero); each accepts with their archetype's `task_accept` the same day, submits
  the next day with `task_submit`, and a reviewer approves two days after the offer with
  `task_approval` (an approval picks a quality tier, or none, uniformly), else rejects.
- Contests and seasons: each scheduled review settles the contest periods that closed
  and keeps the seasons that ended (`honorloop review` does the same)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from domain import contests as dc
from domain import services
from domain.commands import AnswerTask, OfferTask, ReviewTask, SubmitTask
from domain.economy import Economy, Task
from domain.errors import DomainError
from domain.model import Event
from domain.ports import UnitOfWork

TASK_COUNTS = ("offered", "accepted", "declined", "submitted", "approved", "rejected", "points")
CONTEST_COUNTS = ("periods", "ranked", "winners", "points")
LogFn = Callable[[str, Any], None]


@dataclass
class Programs:
    """Counts of what tasks and contests did in one run, and the open task rounds."""

    economy: Economy
    store: Callable[[], UnitOfWork]
    log: LogFn
    tasks: dict[str, dict[str, int]] = field(default_factory=dict)
    contests: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tasks = {t.id: dict.fromkeys(TASK_COUNTS, 0) for t in self.economy.tasks}
        self.contests = {c.id: dict.fromkeys(CONTEST_COUNTS, 0) for c in self.economy.contests}

    # --- tasks --------------------------------------------------------------------------

    def offer(self, task: Task, member_ids: list[str], at: datetime, key: str) -> list[str]:
        """The operator's offer; the assignment ids, in member id order."""
        if not member_ids:
            return []
        cmd = OfferTask(task.id, tuple(member_ids), None, "simulator", key, at)
        offered = services.offer_task(cmd, self.store(), self.economy)
        self.log("offer_task", (cmd, [a.id for a in offered]))
        self.tasks[task.id]["offered"] += len(offered)
        return [a.id for a in offered]

    def answer(self, task: Task, member: str, assignment: str, accept: bool, at: datetime) -> None:
        cmd = AnswerTask(member, assignment, accept, at)
        services.answer_task(cmd, self.store(), self.economy)
        self.log("answer_task", cmd)
        self.tasks[task.id]["accepted" if accept else "declined"] += 1

    def submit(
        self, task: Task, member: str, assignment: str, at: datetime, key: str
    ) -> list[Event]:
        url = f"https://notes.example/{assignment}"
        cmd = SubmitTask(member, assignment, url, "", None, key, at)
        uow = self.store()
        done = services.submit_task(cmd, uow, self.economy)
        self.log("submit_task", cmd)
        self.tasks[task.id]["submitted"] += 1
        if done.points:
            self.tasks[task.id]["approved"] += 1
            self.tasks[task.id]["points"] += done.points
        return list(uow.events)

    def review(
        self, task: Task, assignment: str, approve: bool, tier: str | None, at: datetime, key: str
    ) -> tuple[int, list[Event]]:
        """The reviewer's decision; the points paid and the events it caused."""
        reason = "" if approve else "does not follow the guideline"
        cmd = ReviewTask(assignment, approve, tier if approve else None, reason, "simulator",
                         key, at)  # fmt: skip
        uow = self.store()
        try:
            done = services.review_task(cmd, uow, self.economy)
        except DomainError:
            return 0, []
        self.log("review_task", cmd)
        self.tasks[task.id]["approved" if approve else "rejected"] += 1
        self.tasks[task.id]["points"] += done.points
        return done.points, list(uow.events)

    # --- contests and seasons -----------------------------------------------------------

    def settle(self, as_of: datetime) -> list[Event]:
        """Settle every closed contest period and keep every ended season, as the scheduled
        review does; the events of the prizes."""
        self.log("settle", as_of)
        events: list[Event] = []
        for contest in self.economy.contests:
            with self.store() as uow:
                pending = uow.contests.pending(contest.id)
            for instance in pending:
                _, end = dc.window(contest, instance, self.economy.timezone)
                if end is None or end > as_of:
                    continue
                unit = self.store()
                settled = services.settle_period(unit, self.economy, contest, instance, as_of)
                if settled is None:
                    continue
                counts = self.contests[contest.id]
                counts["periods"] += 1
                counts["ranked"] += settled.ranked
                counts["winners"] += settled.winners
                counts["points"] += settled.points
                events += unit.events
        services.snapshot_seasons(self.store, self.economy, as_of)
        return events


def choose(rng: np.random.Generator, candidates: list[int], count: int) -> list[int]:
    """Up to `count` of the candidates, uniformly, in ascending order."""
    if len(candidates) <= count:
        return sorted(candidates)
    picked = rng.choice(len(candidates), size=count, replace=False)
    return sorted(candidates[int(i)] for i in picked)
