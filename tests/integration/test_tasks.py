"""Assigned tasks on every store: the lifecycle OFFERED -> ACCEPTED | DECLINED ->
SUBMITTED -> APPROVED | REJECTED | EXPIRED, every refused transition, and approval paying
exactly once (replays, second reviews, racing reviews)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from domain import services
from domain.commands import (
    AnswerTask,
    OfferTask,
    RecordActivity,
    RegisterMember,
    ReviewTask,
    SubmitTask,
)
from domain.economy import Economy
from domain.errors import (
    DomainError,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    NotFound,
    ResubmissionLimitReached,
    TaskOverdue,
)
from domain.model import TaskOffered, TaskReviewed
from domain.tasks import TaskAssignment, TaskState
from tests.integration.conftest import StoreFactory
from tests.unit.builders import economy_from, local

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 5

[[tasks]]
id = "review_video"
title = "Review video of the new phone"
guideline = "A 60-second video with the phone in daylight."
points = 100
bonus = { good = 20, excellent = 50 }
max_resubmissions = 1
due_days = 7

[[tasks]]
id = "share_link"
title = "Share the launch link"
points = 10
review = false
"""
)
MONDAY = local(2026, 3, 2, 10)
DUE = local(2026, 3, 9, 10)


class Tasks:
    """The real services on one store, with short verbs."""

    def __init__(self, store: StoreFactory, economy: Economy = ECONOMY) -> None:
        self.store, self.economy = store, economy
        self._keys = itertools.count(1)

    def key(self) -> str:
        return f"k{next(self._keys)}"

    def join(self, handle: str) -> str:
        cmd = RegisterMember(handle, handle, local(2026, 1, 1, 8))
        return services.register_member(cmd, self.store(), self.economy).id

    def offer(
        self,
        task: str,
        *members: str,
        due_at: datetime | None = DUE,
        at: datetime = MONDAY,
        key: str | None = None,
    ) -> list[TaskAssignment]:
        cmd = OfferTask(task, members, due_at, "op:ana", key or self.key(), at)
        return services.offer_task(cmd, self.store(), self.economy)

    def accept(self, member: str, assignment: str, at: datetime = MONDAY) -> TaskAssignment:
        cmd = AnswerTask(member, assignment, True, at)
        return services.answer_task(cmd, self.store(), self.economy)

    def decline(self, member: str, assignment: str, at: datetime = MONDAY) -> TaskAssignment:
        cmd = AnswerTask(member, assignment, False, at)
        return services.answer_task(cmd, self.store(), self.economy)

    def submit(
        self,
        member: str,
        assignment: str,
        at: datetime = MONDAY + timedelta(days=1),
        activity: str | None = None,
        key: str | None = None,
    ) -> TaskAssignment:
        url = "https://notes.example/n/1"
        cmd = SubmitTask(member, assignment, url, "done", activity, key or self.key(), at)
        return services.submit_task(cmd, self.store(), self.economy)

    def review(
        self,
        assignment: str,
        approve: bool = True,
        tier: str | None = None,
        reason: str = "",
        key: str | None = None,
        at: datetime = MONDAY + timedelta(days=2),
    ) -> TaskAssignment:
        cmd = ReviewTask(assignment, approve, tier, reason, "op:ben", key or self.key(), at)
        return services.review_task(cmd, self.store(), self.economy)

    def accepted(self, member: str, task: str = "review_video") -> str:
        assignment = self.offer(task, member)[0].id
        self.accept(member, assignment)
        return assignment

    def available(self, member: str) -> int:
        return services.balances(member, self.store()).available

    def state(self, assignment: str) -> TaskState:
        return services.get_assignment(assignment, self.store()).state


@pytest.fixture
def tasks(store: StoreFactory) -> Tasks:
    return Tasks(store)


def test_an_offer_makes_one_offered_assignment_per_member_with_an_event(
    store: StoreFactory,
) -> None:
    tasks = Tasks(store)
    alice, bob = tasks.join("alice"), tasks.join("bob")
    uow = store()

    offered = services.offer_task(
        OfferTask("review_video", (bob, alice), DUE, "op:ana", "offer-1", MONDAY), uow, ECONOMY
    )

    assert [(a.member_id, a.state, a.due_at) for a in offered] == [
        (alice, TaskState.OFFERED, DUE),
        (bob, TaskState.OFFERED, DUE),
    ]
    assert TaskOffered(alice, offered[0].id, "review_video", DUE, MONDAY) in uow.events


def test_an_offer_without_a_due_date_is_due_the_tasks_due_days_later(tasks: Tasks) -> None:
    alice = tasks.join("alice")

    offered = tasks.offer("review_video", alice, due_at=None)

    assert offered[0].due_at == MONDAY + timedelta(days=7)


def test_a_replayed_offer_returns_the_first_assignments(tasks: Tasks) -> None:
    alice = tasks.join("alice")

    first = tasks.offer("review_video", alice, key="offer-1")
    again = tasks.offer("review_video", alice, key="offer-1")

    assert [a.id for a in again] == [a.id for a in first]
    assert len(services.task_assignments(tasks.store())) == 1
    with pytest.raises(IdempotencyKeyReused):
        tasks.offer("share_link", alice, key="offer-1")


@pytest.mark.parametrize(
    ("named", "due_at", "field"),
    [
        (0, DUE, "memberIds"),
        (2, DUE, "memberIds"),  # the same member twice
        (1, MONDAY, "dueAt"),
        (1, MONDAY + timedelta(days=400), "dueAt"),
    ],
)
def test_an_offer_out_of_bounds_is_refused_naming_the_field(
    tasks: Tasks, named: int, due_at: datetime, field: str
) -> None:
    alice = tasks.join("alice")

    with pytest.raises(InvalidInput) as refused:
        tasks.offer("review_video", *([alice] * named), due_at=due_at)

    assert refused.value.field == field
    assert services.task_assignments(tasks.store()) == []


def test_an_offer_of_more_than_a_hundred_members_is_refused(tasks: Tasks) -> None:
    with pytest.raises(InvalidInput) as refused:
        tasks.offer("review_video", *(f"m{n}" for n in range(101)))

    assert refused.value.field == "memberIds"


def test_an_offer_of_an_unknown_task_or_to_an_unknown_member_is_refused(tasks: Tasks) -> None:
    alice = tasks.join("alice")

    with pytest.raises(NotFound):
        tasks.offer("no_such_task", alice)
    with pytest.raises(NotFound):
        tasks.offer("review_video", alice, "mbr_nobody")
    assert services.task_assignments(tasks.store()) == []


def test_an_approved_submission_pays_the_points_and_the_quality_tiers_bonus(
    store: StoreFactory,
) -> None:
    tasks = Tasks(store)
    alice = tasks.join("alice")
    assignment = tasks.accepted(alice)
    tasks.submit(alice, assignment)
    uow = store()

    reviewed = services.review_task(
        ReviewTask(assignment, True, "excellent", "", "op:ben", "rev-1", MONDAY), uow, ECONOMY
    )

    assert (reviewed.state, reviewed.quality_tier, reviewed.points) == (
        TaskState.APPROVED,
        "excellent",
        150,
    )
    assert tasks.available(alice) == 150
    assert (
        TaskReviewed(alice, assignment, "review_video", True, "excellent", 150, None, MONDAY)
        in uow.events
    )


def test_approving_twice_pays_once(tasks: Tasks) -> None:
    alice = tasks.join("alice")
    assignment = tasks.accepted(alice)
    tasks.submit(alice, assignment)
    tasks.review(assignment, key="rev-1")

    replay = tasks.review(assignment, key="rev-1")
    with pytest.raises(InvalidTransition):
        tasks.review(assignment, key="rev-2")

    assert replay.state is TaskState.APPROVED
    assert tasks.available(alice) == 100


def test_an_unknown_quality_tier_is_refused_and_pays_nothing(tasks: Tasks) -> None:
    alice = tasks.join("alice")
    assignment = tasks.accepted(alice)
    tasks.submit(alice, assignment)

    with pytest.raises(InvalidInput) as refused:
        tasks.review(assignment, tier="legendary")

    assert refused.value.field == "qualityTier"
    assert tasks.state(assignment) is TaskState.SUBMITTED
    assert tasks.available(alice) == 0


def test_a_rejection_needs_a_reason_and_allows_a_resubmission(tasks: Tasks) -> None:
    alice = tasks.join("alice")
    assignment = tasks.accepted(alice)
    tasks.submit(alice, assignment)

    with pytest.raises(InvalidInput):
        tasks.review(assignment, approve=False)
    rejected = tasks.review(assignment, approve=False, reason="too dark")
    again = tasks.submit(alice, assignment, at=MONDAY + timedelta(days=3))

    assert (rejected.state, rejected.reason) == (TaskState.REJECTED, "too dark")
    assert (again.state, again.submissions, again.reason) == (TaskState.SUBMITTED, 2, None)
    assert tasks.available(alice) == 0


def test_a_rejection_after_the_last_resubmission_is_final(tasks: Tasks) -> None:
    alice = tasks.join("alice")
    assignment = tasks.accepted(alice)
    tasks.submit(alice, assignment)
    tasks.review(assignment, approve=False, reason="too dark")
    tasks.submit(alice, assignment, at=MONDAY + timedelta(days=3))
    tasks.review(assignment, approve=False, reason="still dark", at=MONDAY + timedelta(days=4))

    with pytest.raises(ResubmissionLimitReached):
        tasks.submit(alice, assignment, at=MONDAY + timedelta(days=5))

    assert tasks.state(assignment) is TaskState.REJECTED


def test_a_task_without_review_is_approved_and_paid_on_submission(tasks: Tasks) -> None:
    alice = tasks.join("alice")
    assignment = tasks.accepted(alice, "share_link")

    submitted = tasks.submit(alice, assignment)

    assert (submitted.state, submitted.points) == (TaskState.APPROVED, 10)
    assert tasks.available(alice) == 10
    with pytest.raises(InvalidTransition):
        tasks.review(assignment)


def test_a_replayed_submission_returns_the_first_and_pays_once(tasks: Tasks) -> None:
    alice = tasks.join("alice")
    assignment = tasks.accepted(alice, "share_link")

    tasks.submit(alice, assignment, key="sub-1")
    again = tasks.submit(alice, assignment, key="sub-1")

    assert again.state is TaskState.APPROVED
    assert tasks.available(alice) == 10


def test_a_declined_offer_cannot_be_accepted_or_submitted(tasks: Tasks) -> None:
    alice = tasks.join("alice")
    assignment = tasks.offer("review_video", alice)[0].id

    declined = tasks.decline(alice, assignment)

    assert declined.state is TaskState.DECLINED
    with pytest.raises(InvalidTransition):
        tasks.accept(alice, assignment)
    with pytest.raises(InvalidTransition):
        tasks.submit(alice, assignment)


OUT_OF_ORDER: dict[str, tuple[bool, Callable[[Tasks, str, str], object]]] = {
    "accept twice": (True, Tasks.accept),
    "decline accepted": (True, Tasks.decline),
    "submit offered": (False, Tasks.submit),
}


@pytest.mark.parametrize("step", sorted(OUT_OF_ORDER))
def test_every_out_of_order_step_is_an_invalid_transition(tasks: Tasks, step: str) -> None:
    alice = tasks.join("alice")
    assignment = tasks.offer("review_video", alice)[0].id
    accept_first, act = OUT_OF_ORDER[step]
    if accept_first:
        tasks.accept(alice, assignment)

    with pytest.raises(InvalidTransition):
        act(tasks, alice, assignment)


def test_reviewing_work_not_submitted_is_an_invalid_transition(tasks: Tasks) -> None:
    alice = tasks.join("alice")
    assignment = tasks.accepted(alice)

    with pytest.raises(InvalidTransition):
        tasks.review(assignment)

    assert tasks.available(alice) == 0


def test_a_member_cannot_act_on_another_members_assignment(tasks: Tasks) -> None:
    alice, mallory = tasks.join("alice"), tasks.join("mallory")
    assignment = tasks.offer("review_video", alice)[0].id

    with pytest.raises(NotFound):
        tasks.accept(mallory, assignment)
    tasks.accept(alice, assignment)
    with pytest.raises(NotFound):
        tasks.submit(mallory, assignment)

    assert tasks.state(assignment) is TaskState.ACCEPTED


def test_a_submission_may_link_the_members_own_activity_only(tasks: Tasks) -> None:
    alice, mallory = tasks.join("alice"), tasks.join("mallory")
    assignment = tasks.accepted(alice)
    post = RecordActivity(mallory, "post", MONDAY, "post-1", "note-1", {}, at=MONDAY)
    theirs = services.record_activity(post, tasks.store(), ECONOMY).record.id
    own = RecordActivity(alice, "post", MONDAY, "post-2", "note-2", {}, at=MONDAY)
    mine = services.record_activity(own, tasks.store(), ECONOMY).record.id

    with pytest.raises(InvalidInput) as refused:
        tasks.submit(alice, assignment, activity=theirs)
    submitted = tasks.submit(alice, assignment, activity=mine)

    assert refused.value.field == "activityId"
    assert submitted.activity_id == mine


def test_accepting_or_submitting_after_the_due_date_is_refused(tasks: Tasks) -> None:
    alice = tasks.join("alice")
    late = tasks.offer("review_video", alice)[0].id
    accepted = tasks.accepted(alice)

    with pytest.raises(TaskOverdue):
        tasks.accept(alice, late, at=DUE)
    with pytest.raises(TaskOverdue):
        tasks.submit(alice, accepted, at=DUE + timedelta(seconds=1))

    assert tasks.state(accepted) is TaskState.ACCEPTED


def test_expiry_ends_what_waits_on_the_member_past_due_and_only_that(tasks: Tasks) -> None:
    alice = tasks.join("alice")
    offered = tasks.offer("review_video", alice)[0].id
    accepted = tasks.accepted(alice)
    submitted = tasks.accepted(alice)
    tasks.submit(alice, submitted)
    early, _ = services.expire_tasks(tasks.store(), ECONOMY, DUE - timedelta(seconds=1))

    expired, following = services.expire_tasks(tasks.store(), ECONOMY, DUE)
    again, _ = services.expire_tasks(tasks.store(), ECONOMY, DUE)

    assert early == []
    assert sorted(a.id for a in expired) == sorted([offered, accepted])
    assert following is None
    assert again == []
    assert tasks.state(submitted) is TaskState.SUBMITTED
    with pytest.raises(InvalidTransition):
        tasks.accept(alice, offered)


def test_operators_list_assignments_by_state_and_members_see_their_own(tasks: Tasks) -> None:
    alice, bob = tasks.join("alice"), tasks.join("bob")
    offered = tasks.offer("review_video", alice, bob)
    tasks.accept(alice, offered[0].id)

    accepted = services.task_assignments(tasks.store(), TaskState.ACCEPTED)
    bobs = services.task_assignments(tasks.store(), member_id=bob)
    after_first = services.task_assignments(tasks.store(), after_id=offered[0].id)

    assert [a.id for a in accepted] == [offered[0].id]
    assert [a.member_id for a in bobs] == [bob]
    assert [a.id for a in after_first] == [offered[1].id]


def test_a_stale_write_of_an_assignment_is_refused_by_the_store(store: StoreFactory) -> None:
    tasks = Tasks(store)
    alice = tasks.join("alice")
    assignment = tasks.offer("review_video", alice)[0]
    with store() as first:
        stale = first.tasks.get(assignment.id)
    with store() as second:
        fresh = second.tasks.get(assignment.id)
        assert fresh is not None
        fresh.state = TaskState.ACCEPTED
        assert second.tasks.save(fresh)
        second.commit()

    with store() as third:
        assert stale is not None
        stale.state = TaskState.DECLINED
        saved = third.tasks.save(stale)
        third.commit()

    assert not saved
    assert tasks.state(assignment.id) is TaskState.ACCEPTED


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)  # fmt: skip
def test_concurrent_reviews_of_one_submission_pay_once(store: StoreFactory) -> None:
    tasks = Tasks(store)
    alice = tasks.join("alice")
    assignment = tasks.accepted(alice)
    tasks.submit(alice, assignment)
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def review(n: int) -> None:
        start.wait()
        try:
            tasks.review(assignment, key=f"rev-{n}")
            outcomes.append("approved")
        except DomainError as error:
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=review, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["InvalidTransition"] * 3 + ["approved"]
    assert tasks.available(alice) == 100
