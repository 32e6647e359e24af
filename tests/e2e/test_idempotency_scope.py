"""Idempotency keys are scoped by caller and operation (and member): one caller can neither
probe nor block another's keys, and a retry by another token of the same caller replays.
Both stores, over HTTP."""

from __future__ import annotations

import secrets
from typing import Any

from api.auth import Role, utc_now
from tests.e2e.conftest import ADJUST, Api, Member


def _adjust(api: Api, member: Member, key: str, amount: int, token: str) -> dict[str, Any]:
    item = {"memberId": member.id, "amount": amount, "reason": "goodwill", "idempotencyKey": key}
    payload: dict[str, Any] = api.data(ADJUST, {"input": item}, token)["adjustPoints"]
    return payload


def _available(api: Api, member: Member) -> int:
    data = api.data("{ viewer { points { available } } }", token=api.member_token(member))
    points: int = data["viewer"]["points"]["available"]
    return points


def test_a_member_cannot_learn_whether_an_operator_used_a_key(api: Api) -> None:
    member = api.register("probe")
    key = secrets.token_hex(8)
    _adjust(api, member, key, 500, api.operator)

    redeemed = api.redeem(member, "e2e_scarce", key)

    assert redeemed["__typename"] == "RedeemRewardPayload", redeemed
    assert redeemed["replayed"] is False


def test_a_member_cannot_block_a_services_award_by_using_its_key_first(api: Api) -> None:
    member = api.register("block")
    api.give(member, 100)
    key = f"post-{secrets.token_hex(6)}"
    assert api.redeem(member, "e2e_scarce", key)["__typename"] == "RedeemRewardPayload"

    recorded = api.record(member, "interaction", subjectId="s-1", idempotencyKey=key)

    assert recorded["__typename"] == "RecordActivityPayload", recorded
    assert recorded["replayed"] is False
    assert recorded["activity"]["points"] > 0


def test_a_retry_by_another_operator_replays_the_adjustment(api: Api) -> None:
    member = api.register("retry")
    key = secrets.token_hex(8)
    first = _adjust(api, member, key, 40, api.token("ops-1", Role.OPERATOR))

    again = _adjust(api, member, key, 40, api.token("ops-2", Role.OPERATOR))

    assert first["replayed"] is False
    assert again["__typename"] == "AdjustPointsPayload", again
    assert again["replayed"] is True
    assert again["transferId"] == first["transferId"]
    assert _available(api, member) == 40


def test_another_service_instance_replays_the_same_activity(api: Api) -> None:
    member = api.register("svc")
    moment = utc_now().isoformat()  # recent: an activity days old would arrive too late
    item = {"subjectId": "s-1", "idempotencyKey": secrets.token_hex(8)}
    first = api.record(member, "interaction", **item, occurredAt=moment)

    again = api.data(
        """mutation($in: RecordActivityInput!) { recordActivity(input: $in) {
             __typename ... on RecordActivityPayload { replayed activity { id } } } }""",
        {
            "in": {
                "memberId": member.id,
                "kind": "interaction",
                "occurredAt": moment,
                **item,
            }
        },
        api.token("ingest-2", Role.SERVICE),
    )["recordActivity"]

    assert again["replayed"] is True
    assert again["activity"]["id"] == first["activity"]["id"]


def test_the_same_caller_with_another_payload_is_refused(api: Api) -> None:
    member = api.register("reuse")
    key = secrets.token_hex(8)
    _adjust(api, member, key, 40, api.operator)

    reused = _adjust(api, member, key, 41, api.operator)

    assert reused["__typename"] == "IdempotencyKeyReused"
    assert _available(api, member) == 40


def test_keys_of_one_member_do_not_touch_another_members(api: Api) -> None:
    alice, bob = api.register("alice"), api.register("bob")
    key = secrets.token_hex(8)
    _adjust(api, alice, key, 10, api.operator)

    other = _adjust(api, bob, key, 20, api.operator)

    assert other["replayed"] is False
    assert _available(api, bob) == 20
