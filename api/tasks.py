"""Assigned tasks at the edge: the assignment type, the operators' list by state, a
member's own assignments, and the mutations of the lifecycle (offer, accept, decline,
submit, review). Resolvers only translate to `domain.services`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from typing import Annotated, TypeVar, cast

import strawberry
from strawberry import relay

from api import ids
from api.auth import utc_now
from api.commanding import actor, attempt, viewer_member
from api.connections import Connection, Edge, connection, page_size
from api.context import Info
from api.errors import (
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    LimitReached,
    NotFound,
    TaskOverdue,
)
from api.fields import field, mutation
from api.permissions import IsMember, IsOperator
from api.types import Member
from domain import commands as c
from domain import services
from domain import tasks as dt
from domain.economy import Economy
from domain.economy import Task as DomainTask

P = TypeVar("P")


@strawberry.enum(description="Where an assignment stands in its lifecycle.")
class TaskState(Enum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


@strawberry.enum
class ReviewDecision(Enum):
    APPROVE = "approve"
    REJECT = "reject"


@strawberry.type(description="Extra points a reviewer may award for the quality of the work.")
class QualityBonus:
    tier: str
    points: int


@strawberry.type(description="A task of the economy: work an operator assigns to members.")
class Task:
    id: strawberry.ID
    title: str
    guideline: str
    points: int = strawberry.field(description="Paid when the submission is approved.")
    bonus: list[QualityBonus]
    review_required: bool = strawberry.field(description="False: approved on submission.")
    max_resubmissions: int
    due_days: int = strawberry.field(description="Due date of an offer that names none.")

    @classmethod
    def of(cls, task: DomainTask) -> Task:
        return cls(
            id=strawberry.ID(task.id),
            title=task.title,
            guideline=task.guideline,
            points=task.points,
            bonus=[QualityBonus(tier=tier, points=points) for tier, points in task.bonus],
            review_required=task.review,
            max_resubmissions=task.max_resubmissions,
            due_days=task.due_days,
        )


@strawberry.type(description="The work handed in: a link, a note, the activity it is.")
class TaskSubmission:
    url: str
    note: str
    activity_id: strawberry.ID | None
    submitted_at: datetime


@strawberry.type(description="One offer of a task to one member, and what became of it.")
class TaskAssignment:
    id: strawberry.ID
    state: TaskState
    offered_at: datetime
    due_at: datetime
    submissions: int
    resubmissions_left: int
    submission: TaskSubmission | None
    reviewed_at: datetime | None
    quality_tier: str | None
    reason: str | None = strawberry.field(description="Why the last submission was rejected.")
    points: int = strawberry.field(description="Paid on approval (points and quality bonus).")
    task: Task
    owner_id: strawberry.Private[str]

    @strawberry.field
    async def member(self, info: Info) -> Member:
        found = await info.context.loaders.members.load(self.owner_id)
        assert found is not None, f"assignment {self.id} of unknown member {self.owner_id}"
        return Member.of(found)

    @classmethod
    def of(cls, economy: Economy, assignment: dt.TaskAssignment) -> TaskAssignment:
        task = economy.task(assignment.task_id)
        assert task is not None, f"assignment {assignment.id} of unknown task"
        submitted = assignment.submitted_at
        return cls(
            id=strawberry.ID(assignment.id),
            state=TaskState(assignment.state.value),
            offered_at=assignment.offered_at,
            due_at=assignment.due_at,
            submissions=assignment.submissions,
            resubmissions_left=assignment.resubmissions_left(task),
            submission=None
            if submitted is None
            else TaskSubmission(
                url=assignment.submission_url or "",
                note=assignment.submission_note or "",
                activity_id=strawberry.ID(assignment.activity_id)
                if assignment.activity_id
                else None,
                submitted_at=submitted,
            ),
            reviewed_at=assignment.reviewed_at,
            quality_tier=assignment.quality_tier,
            reason=assignment.reason,
            points=assignment.points,
            task=Task.of(task),
            owner_id=assignment.member_id,
        )


async def assignments_page(
    info: Info,
    member_id: str | None,
    state: TaskState | None,
    first: int,
    after: str | None,
) -> Connection[TaskAssignment]:
    """Assignments by id (keyset), of one member (None: every member) and state."""
    limit = page_size(first)
    runtime = info.context.runtime
    after_id = ids.decode_cursor("taskAssignment", after)
    wanted = dt.TaskState(state.value) if state is not None else None
    known = {t.id for t in runtime.economy.tasks}
    rows = await runtime.read(
        lambda uow: services.task_assignments(uow, wanted, member_id, after_id, limit + 1)
    )
    edges = [
        Edge(
            cursor=ids.encode_cursor("taskAssignment", row.id),
            node=TaskAssignment.of(runtime.economy, row),
        )
        for row in rows[:limit]
        if row.task_id in known  # a task the economy no longer declares is not shown
    ]
    return connection(edges, len(rows) > limit, after)


# --- inputs, payloads, results ----------------------------------------------------------


@strawberry.input
class OfferTaskInput:
    task_id: strawberry.ID
    member_ids: list[relay.GlobalID] = strawberry.field(
        description=f"1 to {services.offer_members_max} members, each offered once."
    )
    due_at: datetime | None = strawberry.field(
        default=None, description="Default: the task's due days from now."
    )
    idempotency_key: str


@strawberry.input
class TaskAnswerInput:
    assignment_id: strawberry.ID


@strawberry.input
class SubmissionInput:
    url: str
    note: str = ""


@strawberry.input
class SubmitTaskInput:
    assignment_id: strawberry.ID
    submission: SubmissionInput
    activity_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the viewer's own recorded activities (the note)."
    )
    idempotency_key: str


@strawberry.input
class ReviewTaskInput:
    assignment_id: strawberry.ID
    decision: ReviewDecision
    quality_tier: str | None = strawberry.field(
        default=None, description="One of the task's bonus tiers (approvals only)."
    )
    reason: str = strawberry.field(default="", description="Required when rejecting.")
    idempotency_key: str


@strawberry.type
class OfferTaskPayload:
    assignments: list[TaskAssignment]


@strawberry.type
class TaskAssignmentPayload:
    assignment: TaskAssignment


OfferTaskResult = Annotated[
    OfferTaskPayload | NotFound | InvalidInput | IdempotencyKeyReused,
    strawberry.union("OfferTaskResult"),
]
AnswerTaskResult = Annotated[
    TaskAssignmentPayload | NotFound | InvalidTransition | TaskOverdue | InvalidInput,
    strawberry.union("AnswerTaskResult"),
]
SubmitTaskResult = Annotated[
    TaskAssignmentPayload
    | NotFound
    | InvalidTransition
    | TaskOverdue
    | LimitReached
    | InvalidInput
    | IdempotencyKeyReused,
    strawberry.union("SubmitTaskResult"),
]
ReviewTaskResult = Annotated[
    TaskAssignmentPayload | NotFound | InvalidTransition | InvalidInput | IdempotencyKeyReused,
    strawberry.union("ReviewTaskResult"),
]


def _payload(info: Info, assignment: dt.TaskAssignment) -> TaskAssignmentPayload:
    return TaskAssignmentPayload(
        assignment=TaskAssignment.of(info.context.runtime.economy, assignment)
    )


@strawberry.type
class TaskQueries:
    @field(permissions=[IsOperator], description="Every member's task assignments (operators).")
    async def task_assignments(
        self,
        info: Info,
        state: TaskState | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[TaskAssignment]:
        return await assignments_page(info, None, state, first, after)


@strawberry.type
class TaskMutations:
    @mutation(permissions=[IsOperator], description="Offer a task to named members.")
    async def offer_task(self, info: Info, input: OfferTaskInput) -> OfferTaskResult:
        async def act() -> OfferTaskPayload:
            member_ids = tuple(
                ids.node_id(m, "Member", f"memberIds[{n}]") for n, m in enumerate(input.member_ids)
            )
            cmd = c.OfferTask(
                str(input.task_id),
                member_ids,
                input.due_at,
                actor(info),
                input.idempotency_key,
                utc_now(),
            )
            offered = await info.context.runtime.command(services.offer_task, cmd)
            economy = info.context.runtime.economy
            return OfferTaskPayload(assignments=[TaskAssignment.of(economy, a) for a in offered])

        return cast(OfferTaskResult, await attempt(info, act))

    @mutation(permissions=[IsMember], description="Accept a task offered to the viewer.")
    async def accept_task(self, info: Info, input: TaskAnswerInput) -> AnswerTaskResult:
        return cast(AnswerTaskResult, await attempt(info, _answer(info, input, True)))

    @mutation(permissions=[IsMember], description="Decline a task offered to the viewer.")
    async def decline_task(self, info: Info, input: TaskAnswerInput) -> AnswerTaskResult:
        return cast(AnswerTaskResult, await attempt(info, _answer(info, input, False)))

    @mutation(
        permissions=[IsMember],
        description="Hand in the viewer's work on an accepted (or rejected) assignment.",
    )
    async def submit_task(self, info: Info, input: SubmitTaskInput) -> SubmitTaskResult:
        async def act() -> TaskAssignmentPayload:
            cmd = c.SubmitTask(
                viewer_member(info),
                str(input.assignment_id),
                input.submission.url,
                input.submission.note,
                str(input.activity_id) if input.activity_id is not None else None,
                input.idempotency_key,
                utc_now(),
            )
            return _payload(info, await info.context.runtime.command(services.submit_task, cmd))

        return cast(SubmitTaskResult, await attempt(info, act))

    @mutation(
        permissions=[IsOperator],
        description="Approve (pays once, with the quality tier's bonus) or reject a submission.",
    )
    async def review_task(self, info: Info, input: ReviewTaskInput) -> ReviewTaskResult:
        async def act() -> TaskAssignmentPayload:
            cmd = c.ReviewTask(
                str(input.assignment_id),
                input.decision is ReviewDecision.APPROVE,
                input.quality_tier,
                input.reason,
                actor(info),
                input.idempotency_key,
                utc_now(),
            )
            return _payload(info, await info.context.runtime.command(services.review_task, cmd))

        return cast(ReviewTaskResult, await attempt(info, act))


def _answer(
    info: Info, input: TaskAnswerInput, accept: bool
) -> Callable[[], Awaitable[TaskAssignmentPayload]]:
    async def act() -> TaskAssignmentPayload:
        cmd = c.AnswerTask(viewer_member(info), str(input.assignment_id), accept, utc_now())
        return _payload(info, await info.context.runtime.command(services.answer_task, cmd))

    return act
