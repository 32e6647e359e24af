"""Assigned tasks with review (seed 001's content tasks): an operator offers a task of the
economy to named members; each offer is an assignment that moves through

    OFFERED -> ACCEPTED | DECLINED;  ACCEPTED -> SUBMITTED;
    SUBMITTED -> APPROVED (paid once) | REJECTED;  REJECTED -> SUBMITTED (while
    resubmissions are left);  OFFERED | ACCEPTED | REJECTED (with resubmissions left)
    -> EXPIRED once past due.

Every refused transition raises a domain error. Pure: no I/O, no clock; `version` counts
the writes, so the store can save a transition only over the state it was made from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.economy import Task
from domain.errors import InvalidInput, InvalidTransition, ResubmissionLimitReached, TaskOverdue

url_length_max = 2_000
note_length_max = 2_000
reason_length_max = 500


class TaskState(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


@dataclass(slots=True)
class TaskAssignment:
    """One offer of a task to one member, and what became of it."""

    id: str
    task_id: str
    member_id: str
    state: TaskState
    offered_at: datetime
    offered_by: str
    due_at: datetime
    version: int = 0  # writes so far: a save is conditional on the version it was read at
    submissions: int = 0
    submission_url: str | None = None
    submission_note: str | None = None
    activity_id: str | None = None  # the member's own recorded activity the work links
    submitted_at: datetime | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    quality_tier: str | None = None
    reason: str | None = None  # why it was rejected
    points: int = 0  # paid on approval (the task's points and the tier's bonus)

    def resubmissions_left(self, task: Task) -> int:
        return max(task.max_resubmissions + 1 - self.submissions, 0)


def _refuse(assignment: TaskAssignment, action: str) -> InvalidTransition:
    return InvalidTransition("task assignment", assignment.id, assignment.state.value, action)


def accept(assignment: TaskAssignment, at: datetime) -> None:
    if assignment.state is not TaskState.OFFERED:
        raise _refuse(assignment, "accept")
    if at >= assignment.due_at:
        raise TaskOverdue(assignment.id, assignment.due_at)
    assignment.state = TaskState.ACCEPTED


def decline(assignment: TaskAssignment, at: datetime) -> None:
    if assignment.state is not TaskState.OFFERED:
        raise _refuse(assignment, "decline")
    assignment.state = TaskState.DECLINED


def check_submission(url: str, note: str) -> None:
    if not url.strip():
        raise InvalidInput("submission.url", "a submission links the work")
    if len(url) > url_length_max:
        raise InvalidInput("submission.url", f"must be at most {url_length_max} characters")
    if len(note) > note_length_max:
        raise InvalidInput("submission.note", f"must be at most {note_length_max} characters")


def submit(
    task: Task,
    assignment: TaskAssignment,
    url: str,
    note: str,
    activity_id: str | None,
    at: datetime,
) -> None:
    """Hand in the work (again, after a rejection, while resubmissions are left)."""
    check_submission(url, note)
    if assignment.state is TaskState.REJECTED:
        if assignment.resubmissions_left(task) == 0:
            raise ResubmissionLimitReached(assignment.id, task.max_resubmissions)
    elif assignment.state is not TaskState.ACCEPTED:
        raise _refuse(assignment, "submit")
    if at >= assignment.due_at:
        raise TaskOverdue(assignment.id, assignment.due_at)
    assignment.state = TaskState.SUBMITTED
    assignment.submissions += 1
    assignment.submission_url, assignment.submission_note = url, note
    assignment.activity_id, assignment.submitted_at = activity_id, at
    assignment.reason = None


def review(
    task: Task,
    assignment: TaskAssignment,
    decision: Decision,
    quality_tier: str | None,
    reason: str,
    reviewer: str,
    at: datetime,
) -> int:
    """Approve (the points to pay: the task's and the tier's bonus) or reject (0)."""
    if assignment.state is not TaskState.SUBMITTED:
        raise _refuse(assignment, decision.value)
    if len(reason) > reason_length_max:
        raise InvalidInput("reason", f"must be at most {reason_length_max} characters")
    if decision is Decision.APPROVE:
        bonus = task.bonus_for(quality_tier)
        if bonus is None:
            tiers = ", ".join(name for name, _ in task.bonus) or "none"
            raise InvalidInput("qualityTier", f"{quality_tier!r} is not a tier of this task "
                               f"({tiers})")  # fmt: skip
        assignment.state, assignment.quality_tier = TaskState.APPROVED, quality_tier
        assignment.points = task.points + bonus
    else:
        if quality_tier is not None:
            raise InvalidInput("qualityTier", "a rejected submission has no quality tier")
        if not reason.strip():
            raise InvalidInput("reason", "a rejection tells the member why")
        assignment.state, assignment.reason = TaskState.REJECTED, reason
    assignment.reviewed_at, assignment.reviewed_by = at, reviewer
    return assignment.points if decision is Decision.APPROVE else 0


def can_expire(task: Task | None, assignment: TaskAssignment, at: datetime) -> bool:
    """Past due and still waiting on the member (work handed in waits for its review)."""
    if at < assignment.due_at:
        return False
    if assignment.state in (TaskState.OFFERED, TaskState.ACCEPTED):
        return True
    return (
        assignment.state is TaskState.REJECTED
        and task is not None
        and assignment.resubmissions_left(task) > 0
    )


def expire(task: Task | None, assignment: TaskAssignment, at: datetime) -> None:
    if not can_expire(task, assignment, at):
        raise _refuse(assignment, "expire")
    assignment.state = TaskState.EXPIRED
