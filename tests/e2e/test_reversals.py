"""Over HTTP, on SQLite and PostgreSQL: `reverseActivity` takes an activity's points back
(spent ones as debt, shown in `points { pending debt }`), replays by key, and answers a
second reversal with `AlreadyReversed` and an unknown activity with `NotFound`."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api, Member

REVERSE = """
mutation($input: ReverseActivityInput!) {
  reverseActivity(input: $input) {
    __typename
    ... on ReverseActivityPayload {
      activityId points debt replayed
      member { points { available pending debt } }
    }
    ... on AlreadyReversed { activityId }
    ... on NotFound { kind }
  }
}
"""
REVERSE_BARE = """
mutation($input: ReverseActivityInput!) {
  reverseActivity(input: $input) {
    __typename
    ... on ReverseActivityPayload { activityId points debt replayed }
    ... on AlreadyReversed { activityId }
    ... on NotFound { kind }
  }
}
"""
POINTS = "{ viewer { points { available reserved pending debt } } }"


def _reverse(
    api: Api, activity_id: str, key: str, token: str | None = None, query: str = REVERSE
) -> dict[str, Any]:
    item = {"activityId": activity_id, "reason": "fraudulent", "idempotencyKey": key}
    result: dict[str, Any] = api.data(query, {"input": item}, token or api.operator)
    payload: dict[str, Any] = result["reverseActivity"]
    return payload


def _points(api: Api, member: Member) -> dict[str, int]:
    found: dict[str, int] = api.data(POINTS, token=api.member_token(member))["viewer"]["points"]
    return found


def test_reversing_spent_points_over_http_leaves_a_debt_in_points(api: Api) -> None:
    # given a 30-point video, 10 of them spent on a reward
    member = api.register("rev")
    video = api.record(member, "short_video", subjectId="v1", attributes={"seconds": 20})
    assert video["__typename"] == "RecordActivityPayload", video
    activity_id = video["activity"]["id"]
    assert api.redeem(member, "e2e_scarce", "buy-1")["__typename"] == "RedeemRewardPayload"

    # when an operator reverses the video, then replays the same key
    first = _reverse(api, activity_id, "undo-1")
    replay = _reverse(api, activity_id, "undo-1")

    # then 20 available points are taken and 10 are owed
    assert first["__typename"] == "ReverseActivityPayload"
    assert (first["points"], first["debt"], first["replayed"]) == (30, 10, False)
    assert first["member"]["points"] == {"available": 0, "pending": 0, "debt": 10}
    assert (replay["replayed"], replay["debt"]) == (True, 10)
    assert _points(api, member) == {"available": 0, "reserved": 10, "pending": 0, "debt": 10}


def test_a_service_reverses_once_and_then_gets_typed_errors(api: Api) -> None:
    member = api.register("rev")
    video = api.record(member, "short_video", subjectId="v1", attributes={"seconds": 20})
    activity_id = video["activity"]["id"]
    first = _reverse(api, activity_id, "undo-1", api.service, REVERSE_BARE)

    again = _reverse(api, activity_id, "undo-2")
    unknown = _reverse(api, "act_missing", "undo-3")

    assert (first["__typename"], first["points"], first["debt"]) == (
        "ReverseActivityPayload",
        30,
        0,
    )
    assert _points(api, member) == {"available": 0, "reserved": 0, "pending": 0, "debt": 0}
    assert again == {"__typename": "AlreadyReversed", "activityId": activity_id}
    assert unknown == {"__typename": "NotFound", "kind": "activity"}
