"""Task assignments in SQL: explicit mapping to and from rows (re-checking invariants on
load) and the repository, whose saves are conditional updates on `version`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.tasks import TaskAssignment, TaskState
from persistence.sql import tables as t
from persistence.sql.raw import insert_sql, select_list, update_sql

if TYPE_CHECKING:
    from persistence.sql.uow import SqlUnitOfWork

Row = dict[str, Any]

TASKS = f"SELECT {select_list(t.task_assignments)} FROM task_assignments"
TASK_INSERT = insert_sql(t.task_assignments)
TASK_UPDATE = update_sql(
    t.task_assignments, ["id"], where=" AND version = :read_version RETURNING id"
)
DUE_STATES = (TaskState.OFFERED.value, TaskState.ACCEPTED.value, TaskState.REJECTED.value)


def task_to_row(assignment: TaskAssignment) -> Row:
    return {
        "id": assignment.id,
        "task_id": assignment.task_id,
        "member_id": assignment.member_id,
        "state": assignment.state.value,
        "offered_at": assignment.offered_at,
        "offered_by": assignment.offered_by,
        "due_at": assignment.due_at,
        "version": assignment.version,
        "submissions": assignment.submissions,
        "submission_url": assignment.submission_url,
        "submission_note": assignment.submission_note,
        "activity_id": assignment.activity_id,
        "submitted_at": assignment.submitted_at,
        "reviewed_at": assignment.reviewed_at,
        "reviewed_by": assignment.reviewed_by,
        "quality_tier": assignment.quality_tier,
        "reason": assignment.reason,
        "points": assignment.points,
    }


def task_from_row(row: Row) -> TaskAssignment:
    assignment = TaskAssignment(
        id=row["id"],
        task_id=row["task_id"],
        member_id=row["member_id"],
        state=TaskState(row["state"]),
        offered_at=row["offered_at"],
        offered_by=row["offered_by"],
        due_at=row["due_at"],
        version=int(row["version"]),
        submissions=int(row["submissions"]),
        submission_url=row["submission_url"],
        submission_note=row["submission_note"],
        activity_id=row["activity_id"],
        submitted_at=row["submitted_at"],
        reviewed_at=row["reviewed_at"],
        reviewed_by=row["reviewed_by"],
        quality_tier=row["quality_tier"],
        reason=row["reason"],
        points=int(row["points"]),
    )
    assert (assignment.points > 0) <= (assignment.state is TaskState.APPROVED), (
        f"task assignment {assignment.id} is {assignment.state} but was paid"
    )
    assert (assignment.submitted_at is None) == (assignment.submissions == 0), (
        f"task assignment {assignment.id}: submissions and submission time disagree"
    )
    return assignment


class SqlTasks:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    def add(self, assignment: TaskAssignment) -> None:
        self.uow.run(TASK_INSERT, task_to_row(assignment), write=True)

    def get(self, assignment_id: str) -> TaskAssignment | None:
        row = self.uow.one(f"{TASKS} WHERE id = :id", {"id": assignment_id})
        return task_from_row(row) if row is not None else None

    def save(self, assignment: TaskAssignment) -> bool:
        params = {
            **task_to_row(assignment),
            "version": assignment.version + 1,
            "read_version": assignment.version,
        }
        return self.uow.run(TASK_UPDATE, params, write=True).fetchone() is not None

    def page(
        self, state: TaskState | None, member_id: str | None, after_id: str | None, limit: int
    ) -> list[TaskAssignment]:
        conditions: list[str] = []
        params: dict[str, Any] = {"limit": limit}
        if state is not None:
            conditions.append("state = :state")
            params["state"] = state.value
        if member_id is not None:
            conditions.append("member_id = :member_id")
            params["member_id"] = member_id
        if after_id is not None:
            conditions.append("id > :after_id")
            params["after_id"] = after_id
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self.uow.all(f"{TASKS}{where} ORDER BY id LIMIT :limit", params)
        return [task_from_row(r) for r in rows]

    def due(self, at: datetime, after_id: str | None, limit: int) -> list[TaskAssignment]:
        keyset = " AND id > :after_id" if after_id is not None else ""
        sql = (
            f"{TASKS} WHERE state IN (:offered, :accepted, :rejected) AND due_at <= :at{keyset}"
            " ORDER BY id LIMIT :limit"
        )
        offered, accepted, rejected = DUE_STATES
        params = {"offered": offered, "accepted": accepted, "rejected": rejected, "at": at,
                  "after_id": after_id, "limit": limit}  # fmt: skip
        return [task_from_row(r) for r in self.uow.all(sql, params)]
