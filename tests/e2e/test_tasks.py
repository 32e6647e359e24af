"""Assigned tasks over HTTP: an operator offers, the member accepts and submits, the
operator reviews (paying once), typed errors for refused steps, the lists by state and
the member's own, and the task events on the member's assignments."""

from __future__ import annotations

import secrets
from typing import Any

from tests.e2e.conftest import Api, Member

TASK = "product_review_note"

OFFER = """
mutation Offer($input: OfferTaskInput!) {
  offerTask(input: $input) {
    __typename
    ... on OfferTaskPayload { assignments { id state dueAt member { handle } task { id points } } }
    ... on InvalidInput { field }
    ... on NotFound { kind }
  }
}
"""

ANSWER = """
mutation Answer($input: TaskAnswerInput!) {
  acceptTask(input: $input) {
    __typename
    ... on TaskAssignmentPayload { assignment { id state } }
    ... on NotFound { kind }
    ... on InvalidTransition { state action }
  }
}
"""

SUBMIT = """
mutation Submit($input: SubmitTaskInput!) {
  submitTask(input: $input) {
    __typename
    ... on TaskAssignmentPayload { assignment { state submission { url note activityId } } }
    ... on InvalidInput { field }
    ... on NotFound { kind }
    ... on InvalidTransition { state }
  }
}
"""

REVIEW = """
mutation Review($input: ReviewTaskInput!) {
  reviewTask(input: $input) {
    __typename
    ... on TaskAssignmentPayload {
      assignment { state qualityTier points reason resubmissionsLeft }
    }
    ... on InvalidTransition { state action }
    ... on InvalidInput { field }
  }
}
"""

LISTED = """
query Listed($state: TaskState) {
  taskAssignments(state: $state, first: 100) { edges { node { id state } } }
}
"""

MINE = """
query Mine {
  viewer {
    points { available }
    taskAssignments(first: 10) { edges { node { id state points task { title } } } }
  }
}
"""


def offer(api: Api, *members: Member, key: str | None = None) -> dict[str, Any]:
    variables = {
        "input": {
            "taskId": TASK,
            "memberIds": [m.id for m in members],
            "idempotencyKey": key or secrets.token_hex(8),
        }
    }
    result: dict[str, Any] = api.data(OFFER, variables, api.operator)["offerTask"]
    return result


def accept(api: Api, member: Member, assignment: str) -> dict[str, Any]:
    variables = {"input": {"assignmentId": assignment}}
    result: dict[str, Any] = api.data(ANSWER, variables, api.member_token(member))["acceptTask"]
    return result


def submit(
    api: Api, member: Member, assignment: str, activity: str | None = None
) -> dict[str, Any]:
    variables = {
        "input": {
            "assignmentId": assignment,
            "submission": {"url": "https://notes.example/n/7", "note": "six photos"},
            "activityId": activity,
            "idempotencyKey": secrets.token_hex(8),
        }
    }
    result: dict[str, Any] = api.data(SUBMIT, variables, api.member_token(member))["submitTask"]
    return result


def review(
    api: Api, assignment: str, decision: str, tier: str | None = None, key: str | None = None
) -> dict[str, Any]:
    variables = {
        "input": {
            "assignmentId": assignment,
            "decision": decision,
            "qualityTier": tier,
            "reason": "" if decision == "APPROVE" else "photos are blurry",
            "idempotencyKey": key or secrets.token_hex(8),
        }
    }
    result: dict[str, Any] = api.data(REVIEW, variables, api.operator)["reviewTask"]
    return result


def accepted(api: Api, member: Member) -> str:
    assignment: str = offer(api, member)["assignments"][0]["id"]
    assert accept(api, member, assignment)["assignment"]["state"] == "ACCEPTED"
    return assignment


def test_an_offered_task_accepted_submitted_and_approved_pays_once_with_its_bonus(
    api: Api,
) -> None:
    ann = api.register("ann")
    assignment = accepted(api, ann)
    note = api.record(ann, "post", subjectId=secrets.token_hex(6))["activity"]["id"]

    submitted = submit(api, ann, assignment, note)
    approved = review(api, assignment, "APPROVE", "good", key="rev-ann")
    replayed = review(api, assignment, "APPROVE", "good", key="rev-ann")
    again = review(api, assignment, "APPROVE", "good")
    mine = api.data(MINE, token=api.member_token(ann))["viewer"]

    assert submitted["assignment"]["submission"]["activityId"] == note
    assert approved["assignment"] == {
        "state": "APPROVED",
        "qualityTier": "good",
        "points": 400,
        "reason": None,
        "resubmissionsLeft": 1,
    }
    assert replayed["__typename"] == "TaskAssignmentPayload"
    assert again == {"__typename": "InvalidTransition", "state": "approved", "action": "approve"}
    post_points = 5  # the sample economy's plain post (no photos)
    assert mine["points"]["available"] == 400 + post_points
    assert [e["node"]["state"] for e in mine["taskAssignments"]["edges"]] == ["APPROVED"]


def test_a_rejected_submission_names_its_reason_and_may_be_resubmitted(api: Api) -> None:
    bea = api.register("bea")
    assignment = accepted(api, bea)
    submit(api, bea, assignment)

    rejected = review(api, assignment, "REJECT")
    resubmitted = submit(api, bea, assignment)

    assert rejected["assignment"]["state"] == "REJECTED"
    assert rejected["assignment"]["reason"] == "photos are blurry"
    assert rejected["assignment"]["resubmissionsLeft"] == 1
    assert resubmitted["assignment"]["state"] == "SUBMITTED"


def test_a_member_cannot_accept_or_submit_another_members_assignment(api: Api) -> None:
    cy, mallory = api.register("cy"), api.register("mal")
    offered = offer(api, cy)["assignments"][0]["id"]

    stolen_accept = accept(api, mallory, offered)
    accept(api, cy, offered)
    stolen_submit = submit(api, mallory, offered)

    assert stolen_accept == {"__typename": "NotFound", "kind": "task assignment"}
    assert stolen_submit == {"__typename": "NotFound", "kind": "task assignment"}


def test_linking_another_members_activity_is_refused(api: Api) -> None:
    dee, eve = api.register("dee"), api.register("eve")
    assignment = accepted(api, dee)
    theirs = api.record(eve, "post", subjectId=secrets.token_hex(6))["activity"]["id"]

    refused = submit(api, dee, assignment, theirs)

    assert refused == {"__typename": "InvalidInput", "field": "activityId"}


def test_reviewing_before_submission_is_an_invalid_transition(api: Api) -> None:
    fay = api.register("fay")
    assignment = accepted(api, fay)

    refused = review(api, assignment, "APPROVE")

    assert refused == {"__typename": "InvalidTransition", "state": "accepted", "action": "approve"}


def test_operators_list_assignments_by_state_and_members_may_not(api: Api) -> None:
    gus = api.register("gus")
    offered = offer(api, gus)["assignments"][0]["id"]

    listed = api.data(LISTED, {"state": "OFFERED"}, api.operator)["taskAssignments"]["edges"]
    as_member = api.post(LISTED, {"state": "OFFERED"}, api.member_token(gus))

    assert offered in [e["node"]["id"] for e in listed]
    assert {e["node"]["state"] for e in listed} == {"OFFERED"}
    assert as_member["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_members_may_not_offer_or_review_tasks(api: Api) -> None:
    hal = api.register("hal")
    variables = {
        "input": {"taskId": TASK, "memberIds": [hal.id], "idempotencyKey": secrets.token_hex(8)}
    }

    refused = api.post(OFFER, variables, api.member_token(hal))

    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_an_offer_to_more_than_a_hundred_members_is_refused(api: Api) -> None:
    ivy = api.register("ivy")

    refused = offer(api, *([ivy] * 101))

    assert refused == {"__typename": "InvalidInput", "field": "memberIds"}
