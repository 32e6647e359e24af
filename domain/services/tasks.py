"""Use cases of assigned tasks: an operator offers, the member accepts or declines and
submits, an operator reviews (approval pays once), upkeep expires what is past due.

Every change of an assignment happens under its member's row lock and is saved by a
conditional update on its version, so replays and concurrent reviews pay at most once."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import idempotency, tasks
from domain.calendar import require_aware
from domain.commands import AnswerTask, OfferTask, ReviewTask, SubmitTask
from domain.economy import Economy, Task
from domain.errors import InvalidInput, InvalidTransition, NotFound
from domain.ledger import Source, SourceKind
from domain.model import Event, Member, TaskOffered, TaskReviewed
from domain.ports import UnitOfWork
from domain.services._support import (
    audit,
    check_key,
    grant_automatic,
    member_for_update,
    page_size_max,
    remember,
    replayed,
)
from domain.services.payouts import pay_points
from domain.tasks import Decision, TaskAssignment, TaskState

offer_members_max = 100
offer_due_days_max = 366


def _task(economy: Economy, task_id: str) -> Task:
    task = economy.task(task_id)
    if task is None:
        raise NotFound("task", task_id)
    return task


def _own(uow: UnitOfWork, member: Member, assignment_id: str) -> TaskAssignment:
    """The member's assignment; another member's is as unknown as a missing one."""
    found = uow.tasks.get(assignment_id)
    if found is None or found.member_id != member.id:
        raise NotFound("task assignment", assignment_id)
    return found


def _save(uow: UnitOfWork, assignment: TaskAssignment, action: str) -> None:
    if not uow.tasks.save(assignment):
        current = uow.tasks.get(assignment.id)
        state = current.state.value if current is not None else "gone"
        raise InvalidTransition("task assignment", assignment.id, state, action)
    assignment.version += 1


def _stored(uow: UnitOfWork, assignment_id: str) -> TaskAssignment:
    found = uow.tasks.get(assignment_id)
    assert found is not None, f"idempotency record points at missing assignment {assignment_id}"
    return found


def _approve(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    task: Task,
    assignment: TaskAssignment,
    at: datetime,
) -> list[Event]:
    """Pay an approved assignment (once: its state moved from SUBMITTED in this write)."""
    events: list[Event] = []
    if assignment.points > 0:
        reference = f"task:{assignment.id}"
        source = Source(SourceKind.TASK, assignment.id)
        events += pay_points(uow, economy, member, assignment.points, at, reference,
                             f"task {task.id}", source)  # fmt: skip
        events += grant_automatic(uow, economy, member, at)
    return events


def _reviewed(assignment: TaskAssignment, at: datetime) -> TaskReviewed:
    approved = assignment.state is TaskState.APPROVED
    return TaskReviewed(
        assignment.member_id,
        assignment.id,
        assignment.task_id,
        approved,
        assignment.quality_tier,
        assignment.points if approved else 0,
        assignment.reason,
        at,
    )


def offer_task(cmd: OfferTask, uow: UnitOfWork, economy: Economy) -> list[TaskAssignment]:
    """One OFFERED assignment per named member, due at `due_at` (or the task's due days
    after now). Members are locked in id order; a replayed key returns the first offer."""
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    task = _task(economy, cmd.task_id)
    member_ids = sorted(set(cmd.member_ids))
    if not member_ids or len(cmd.member_ids) > offer_members_max:
        raise InvalidInput("memberIds", f"name 1 to {offer_members_max} members")
    if len(member_ids) != len(cmd.member_ids):
        raise InvalidInput("memberIds", "names a member twice")
    due_at = cmd.due_at
    if due_at is None:
        due_at = cmd.at + timedelta(days=task.due_days)
    require_aware(due_at, "dueAt")
    if due_at <= cmd.at:
        raise InvalidInput("dueAt", "must be in the future")
    if (due_at - cmd.at).days > offer_due_days_max:
        raise InvalidInput("dueAt", f"must be at most {offer_due_days_max} days ahead")
    scope = idempotency.scope(idempotency.OPERATOR, idempotency.OFFER_TASK, "")
    with uow:
        members = [member_for_update(uow, member_id) for member_id in member_ids]
        previous = replayed(uow, scope, cmd.idempotency_key, cmd)
        if previous is not None:
            return [_stored(uow, ident) for ident in previous.result_id.split(",")]
        offered: list[TaskAssignment] = []
        for member in members:
            assignment = TaskAssignment(
                uow.next_id("tsk"),
                task.id,
                member.id,
                TaskState.OFFERED,
                cmd.at,
                cmd.actor,
                due_at,
            )
            uow.tasks.add(assignment)
            offered.append(assignment)
            uow.events.append(TaskOffered(member.id, assignment.id, task.id, due_at, cmd.at))
        result = ",".join(a.id for a in offered)
        remember(uow, scope, cmd.idempotency_key, cmd, "task_offer", result)
        audit(uow, cmd.actor, "offer_task", task.id, cmd.at,
              f"{len(offered)} member(s), due {due_at.isoformat()}")  # fmt: skip
        uow.commit()
    return offered


def answer_task(cmd: AnswerTask, uow: UnitOfWork, economy: Economy) -> TaskAssignment:
    """The member accepts (before the due date) or declines an offered assignment."""
    require_aware(cmd.at, "at")
    with uow:
        member = member_for_update(uow, cmd.member_id)
        assignment = _own(uow, member, cmd.assignment_id)
        if cmd.accept:
            tasks.accept(assignment, cmd.at)
        else:
            tasks.decline(assignment, cmd.at)
        _save(uow, assignment, "accept" if cmd.accept else "decline")
        uow.commit()
    return assignment


def submit_task(cmd: SubmitTask, uow: UnitOfWork, economy: Economy) -> TaskAssignment:
    """Hand in the work, optionally linking one of the member's own recorded activities.
    A task without review is approved and paid at once."""
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    tasks.check_submission(cmd.url, cmd.note)
    with uow:
        member = member_for_update(uow, cmd.member_id)
        key_scope = idempotency.scope(
            idempotency.member_caller(member.id), idempotency.SUBMIT_TASK, member.id
        )
        previous = replayed(uow, key_scope, cmd.idempotency_key, cmd)
        if previous is not None:
            return _stored(uow, previous.result_id)
        assignment = _own(uow, member, cmd.assignment_id)
        task = _task(economy, assignment.task_id)
        if cmd.activity_id is not None:
            activity = uow.activities.get(cmd.activity_id)
            if activity is None or activity.member_id != member.id:
                raise InvalidInput("activityId", "must name an activity of your own")
        tasks.submit(task, assignment, cmd.url, cmd.note, cmd.activity_id, cmd.at)
        events: list[Event] = []
        if not task.review:
            tasks.review(task, assignment, Decision.APPROVE, None, "", "automatic", cmd.at)
            events = _approve(uow, economy, member, task, assignment, cmd.at)
            events.append(_reviewed(assignment, cmd.at))
        _save(uow, assignment, "submit")
        remember(uow, key_scope, cmd.idempotency_key, cmd, "task_assignment", assignment.id)
        uow.members.save(member)
        uow.events.extend(events)
        uow.commit()
    return assignment


def review_task(cmd: ReviewTask, uow: UnitOfWork, economy: Economy) -> TaskAssignment:
    """Approve (pay the task's points and the quality tier's bonus, once) or reject a
    submission. The reviewer's key lives in the operators' scope for that member
    (domain.idempotency)."""
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    with uow:
        found = uow.tasks.get(cmd.assignment_id)
        if found is None:
            raise NotFound("task assignment", cmd.assignment_id)
        member = member_for_update(uow, found.member_id)
        key_scope = idempotency.scope(idempotency.OPERATOR, idempotency.REVIEW_TASK, member.id)
        previous = replayed(uow, key_scope, cmd.idempotency_key, cmd)
        if previous is not None:
            return _stored(uow, previous.result_id)
        assignment = _own(uow, member, cmd.assignment_id)  # read again, under the lock
        task = _task(economy, assignment.task_id)
        decision = Decision.APPROVE if cmd.approve else Decision.REJECT
        tasks.review(task, assignment, decision, cmd.quality_tier, cmd.reason, cmd.actor, cmd.at)
        _save(uow, assignment, decision.value)  # before paying: a lost race pays nothing
        events: list[Event] = []
        if decision is Decision.APPROVE:
            events = _approve(uow, economy, member, task, assignment, cmd.at)
        events.append(_reviewed(assignment, cmd.at))
        remember(uow, key_scope, cmd.idempotency_key, cmd, "task_assignment", assignment.id)
        audit(uow, cmd.actor, "review_task", member.id, cmd.at,
              f"{assignment.id} {decision.value}: {cmd.reason}")  # fmt: skip
        uow.members.save(member)
        uow.events.extend(events)
        uow.commit()
    return assignment


def expire_tasks(
    uow: UnitOfWork, economy: Economy, at: datetime, after_id: str | None = None
) -> tuple[list[TaskAssignment], str | None]:
    """Expire one page of assignments past due as of `at`; the ones expired and the
    cursor of the next page (None: done). Idempotent: an expired one is not due again."""
    require_aware(at, "at")
    expired: list[TaskAssignment] = []
    with uow:
        page = uow.tasks.due(at, after_id, page_size_max)
        for candidate in sorted(page, key=lambda a: a.member_id):  # locks in id order
            member_for_update(uow, candidate.member_id)
            assignment = uow.tasks.get(candidate.id)
            assert assignment is not None, f"assignment {candidate.id} vanished"
            task = economy.task(assignment.task_id)
            if not tasks.can_expire(task, assignment, at):
                continue
            tasks.expire(task, assignment, at)
            _save(uow, assignment, "expire")
            expired.append(assignment)
        uow.commit()
    following = page[-1].id if len(page) == page_size_max else None
    return expired, following


def get_assignment(assignment_id: str, uow: UnitOfWork) -> TaskAssignment:
    with uow:
        found = uow.tasks.get(assignment_id)
    if found is None:
        raise NotFound("task assignment", assignment_id)
    return found


def task_assignments(
    uow: UnitOfWork,
    state: TaskState | None = None,
    member_id: str | None = None,
    after_id: str | None = None,
    first: int = 20,
) -> list[TaskAssignment]:
    """Assignments by id, of one state and/or one member (operators: all; members: own)."""
    with uow:
        return uow.tasks.page(state, member_id, after_id, min(max(first, 0), page_size_max + 1))
