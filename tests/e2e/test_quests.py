"""Quests over HTTP: the viewer's quests and their progress, startQuest, claimQuestReward
with each of their typed errors, quest events, and a member's quest history."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from api.auth import utc_now
from tests.e2e.conftest import Api, Member, global_id, reward_id

QUESTS = """
query Quests($state: QuestFilter) {
  quests(first: 10, state: $state) {
    edges {
      node {
        id kind state optIn claimRequired capacity ineligibleReason
        minLevel { id }
        reward { points honor { id } coupon { id } }
        steps { kind target conditions }
        progress { state steps { kind done target } completedAt claimedAt periodEndsAt }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

START = """
mutation Start($input: StartQuestInput!) {
  startQuest(input: $input) {
    __typename
    ... on QuestPayload { progress { questId state steps { done target } } }
    ... on NotEligible { reason }
    ... on NotFound { kind id }
    ... on QuestClosed { reason }
    ... on InvalidInput { field }
  }
}
"""

CLAIM = """
mutation Claim($input: ClaimQuestRewardInput!) {
  claimQuestReward(input: $input) {
    __typename
    ... on QuestPayload { progress { questId state claimedAt } }
    ... on QuestNotCompleted { questId }
    ... on InvalidInput { field }
    ... on NotFound { kind }
  }
}
"""

LOCK = """
mutation Lock($input: LockLevelInput!) {
  lockLevel(input: $input) { __typename }
}
"""

HISTORY = """
query History($id: ID!) {
  member(id: $id) {
    quests(first: 10) { edges { node { questId state steps { done } } } }
  }
}
"""

EVENTS = """
mutation Record($input: RecordActivityInput!) {
  recordActivity(input: $input) {
    ... on RecordActivityPayload {
      events {
        __typename
        ... on QuestProgressed { questId done }
        ... on QuestCompleted { questId rewarded points }
      }
    }
  }
}
"""


def quests(api: Api, member: Member, state: str | None = None) -> dict[str, dict[str, Any]]:
    data = api.data(QUESTS, {"state": state}, api.member_token(member))
    return {edge["node"]["id"]: edge["node"] for edge in data["quests"]["edges"]}


def events(
    api: Api, member: Member, kind: str, minutes_ago: int = 0, **attributes: int
) -> list[dict[str, Any]]:
    item = {
        "memberId": member.id,
        "kind": kind,
        "idempotencyKey": secrets.token_hex(8),
        "occurredAt": (utc_now() - timedelta(minutes=minutes_ago)).isoformat(),
        "subjectId": secrets.token_hex(6),
        "attributes": attributes or None,
    }
    found: list[dict[str, Any]] = api.data(EVENTS, {"input": item}, api.service)["recordActivity"][
        "events"
    ]
    return found


def start(api: Api, member: Member, quest: str, key: str | None = None) -> dict[str, Any]:
    variables = {"input": {"questId": quest, "idempotencyKey": key or secrets.token_hex(8)}}
    result: dict[str, Any] = api.data(START, variables, api.member_token(member))["startQuest"]
    return result


def claim(api: Api, member: Member, quest: str, key: str | None = None) -> dict[str, Any]:
    variables = {"input": {"questId": quest, "idempotencyKey": key or secrets.token_hex(8)}}
    result: dict[str, Any] = api.data(CLAIM, variables, api.member_token(member))[
        "claimQuestReward"
    ]
    return result


def test_a_new_member_sees_the_quests_open_to_them_and_those_locked(api: Api) -> None:
    ann = api.register("ann")

    found = quests(api, ann)

    assert [found[q]["state"] for q in found] == ["AVAILABLE", "AVAILABLE", "LOCKED"]
    theme = found["monthly_theme_on_the_road"]
    assert theme["minLevel"] == {"id": "regular"}
    assert "Regular" in theme["ineligibleReason"]
    assert theme["reward"] == {
        "points": 100,
        "honor": {"id": "theme_star"},
        "coupon": {"id": reward_id("service_coupon")},
    }
    assert found["daily_warm_up"]["steps"] == [
        {"kind": "check_in", "target": 1, "conditions": []},
        {"kind": "interaction", "target": 3, "conditions": []},
    ]
    assert quests(api, ann, "COMPLETED") == {}


def test_the_daily_warm_up_progresses_and_completes_with_events(api: Api) -> None:
    bo = api.register("bo")

    first = events(api, bo, "check_in")
    for _ in range(2):
        events(api, bo, "interaction")
    last = events(api, bo, "interaction")

    assert {"__typename": "QuestProgressed", "questId": "daily_warm_up", "done": [1, 0]} in first
    assert {
        "__typename": "QuestCompleted",
        "questId": "daily_warm_up",
        "rewarded": True,
        "points": 5,
    } in last
    done = quests(api, bo, "COMPLETED")["daily_warm_up"]["progress"]
    assert done["state"] == "COMPLETED"
    assert [s["done"] for s in done["steps"]] == [1, 3]
    assert done["periodEndsAt"] is not None


def test_a_theme_quest_is_started_completed_and_claimed_once(api: Api) -> None:
    cy = api.register("cy")
    locked = start(api, cy, "monthly_theme_on_the_road")
    lock = {"memberId": cy.id, "levelId": "regular", "reason": "e2e"}
    api.data(LOCK, {"input": lock}, api.operator)

    started = start(api, cy, "monthly_theme_on_the_road")
    unfinished = claim(api, cy, "monthly_theme_on_the_road")
    events(api, cy, "post", minutes_ago=2, photos=2)  # two minutes apart: the rule's cooldown
    events(api, cy, "post", photos=1)
    claimed = claim(api, cy, "monthly_theme_on_the_road", key="claim-1")
    replayed = claim(api, cy, "monthly_theme_on_the_road", key="claim-1")

    assert locked["__typename"] == "NotEligible"
    assert started["progress"] == {
        "questId": "monthly_theme_on_the_road",
        "state": "ACTIVE",
        "steps": [{"done": 0, "target": 2}],
    }
    assert unfinished == {"__typename": "QuestNotCompleted", "questId": "monthly_theme_on_the_road"}
    assert claimed["progress"]["state"] == "CLAIMED"
    assert replayed == claimed
    history = api.data(HISTORY, {"id": cy.id}, api.operator)["member"]["quests"]["edges"]
    states = {e["node"]["questId"]: e["node"]["state"] for e in history}
    assert states["monthly_theme_on_the_road"] == "CLAIMED"


def test_claiming_a_quest_that_pays_at_once_or_starting_an_unknown_one_is_refused(
    api: Api,
) -> None:
    di = api.register("di")

    assert claim(api, di, "daily_warm_up") == {"__typename": "InvalidInput", "field": "questId"}
    assert start(api, di, "no_such_quest") == {
        "__typename": "NotFound",
        "kind": "quest",
        "id": "no_such_quest",
    }


def test_only_a_member_starts_a_quest_for_itself(api: Api) -> None:
    body = api.post(
        START,
        {"input": {"questId": "daily_warm_up", "idempotencyKey": "x"}},
        api.service,
    )

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_another_members_quest_history_is_not_readable(api: Api) -> None:
    eve, fay = api.register("eve"), api.register("fay")
    query = "query($id: ID!) { node(id: $id) { ... on Member { quests { edges { cursor } } } } }"

    body = api.post(query, {"id": global_id("Member", fay.raw_id)}, api.member_token(eve))

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
