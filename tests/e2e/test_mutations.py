"""Every mutation over HTTP, its payload and each of its typed errors."""

from __future__ import annotations

from typing import Any

from api.auth import utc_now
from tests.e2e.conftest import ADJUST, REGISTER, Api, Member, global_id, reward_id

RECORD_MANY = """
mutation Many($input: [RecordActivityInput!]!) {
  recordActivities(input: $input) {
    __typename
    ... on RecordActivitiesPayload {
      results {
        __typename
        ... on RecordActivityPayload { activity { points } replayed }
        ... on InvalidInput { field }
        ... on NotFound { kind }
        ... on IdempotencyKeyReused { key }
      }
    }
    ... on InvalidInput { field reason }
  }
}
"""

FULFILL = """
mutation Fulfill($input: FulfillRedemptionInput!) {
  fulfillRedemption(input: $input) {
    __typename
    ... on RedemptionPayload { redemption { id status couponCode note } }
    ... on NotFound { kind }
    ... on InvalidTransition { state action }
    ... on CouponPoolEmpty { rewardId }
    ... on InvalidInput { field }
  }
}
"""

CANCEL = """
mutation Cancel($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) {
    __typename
    ... on RedemptionPayload { redemption { id status } }
    ... on NotFound { kind }
    ... on InvalidTransition { state action }
  }
}
"""

GRANT = """
mutation Grant($input: HonorInput!) {
  grantHonor(input: $input) {
    __typename
    ... on HonorPayload { award { honor { id } active } member { handle } }
    ... on NotFound { kind }
    ... on NotManual { honorId }
    ... on AlreadyExists { kind }
    ... on LimitReached { limit }
    ... on InvalidInput { field }
  }
}
"""

REVOKE = """
mutation Revoke($input: HonorInput!) {
  revokeHonor(input: $input) {
    __typename
    ... on HonorPayload { award { active revokedAt } }
    ... on NotFound { kind }
    ... on NotManual { honorId }
    ... on InvalidInput { field }
  }
}
"""

LOCK = """
mutation Lock($input: LockLevelInput!) {
  lockLevel(input: $input) {
    __typename
    ... on LockLevelPayload { member { level { id locked } } }
    ... on NotFound { kind }
    ... on InvalidInput { field }
  }
}
"""


def _points(api: Api, member: Member) -> dict[str, int]:
    found: dict[str, int] = api.data(
        "{ viewer { points { available reserved lifetimeEarned } } }",
        token=api.member_token(member),
    )["viewer"]["points"]
    return found


def _redemption_id(api: Api, member: Member, reward: str, key: str) -> str:
    result = api.redeem(member, reward, key)
    assert result["__typename"] == "RedeemRewardPayload", result
    found: str = result["redemption"]["id"]
    return found


# --- registerMember -------------------------------------------------------------------------


def test_register_member_returns_the_new_member_at_the_first_level(api: Api) -> None:
    result = api.data(
        REGISTER,
        {"input": {"handle": "newbie_e2e", "displayName": "Newbie"}},
        api.service,
    )["registerMember"]

    assert result["__typename"] == "RegisterMemberPayload"
    assert result["member"]["handle"] == "newbie_e2e"


def test_register_member_twice_with_one_handle_is_already_exists(api: Api) -> None:
    taken = api.register("taken")
    query = """mutation($input: RegisterMemberInput!) {
      registerMember(input: $input) { __typename ... on AlreadyExists { kind id } } }"""

    again = api.data(query, {"input": {"handle": taken.handle, "displayName": "x"}}, api.operator)

    assert again["registerMember"] == {
        "__typename": "AlreadyExists",
        "kind": "member handle",
        "id": taken.handle,
    }


def test_register_member_with_a_bad_handle_names_the_field(api: Api) -> None:
    query = """mutation($input: RegisterMemberInput!) {
      registerMember(input: $input) { __typename ... on InvalidInput { field } } }"""

    bad = api.data(query, {"input": {"handle": "no spaces!", "displayName": "x"}}, api.service)

    assert bad["registerMember"] == {"__typename": "InvalidInput", "field": "handle"}


# --- recordActivity / recordActivities ------------------------------------------------------


def test_record_activity_awards_points_and_reports_the_events(api: Api) -> None:
    alice = api.register("alice")

    result = api.record(alice, "post", subjectId="n1", attributes={"photos": 1})

    assert result["__typename"] == "RecordActivityPayload"
    assert result["replayed"] is False
    assert result["activity"]["points"] == 15
    assert result["activity"]["lines"][0]["ruleId"] == "post_with_photos"
    kinds = [e["__typename"] for e in result["events"]]
    assert kinds[0] == "PointsAwarded"
    assert "HonorGranted" in kinds
    assert _points(api, alice)["available"] == 15


def test_replaying_an_activity_key_returns_the_first_result_and_awards_nothing(api: Api) -> None:
    bob = api.register("bob")
    item = {"memberId": bob.id, "kind": "check_in", "idempotencyKey": "ci-1",
            "occurredAt": utc_now().isoformat()}  # fmt: skip
    query = """mutation($input: RecordActivityInput!) { recordActivity(input: $input) {
      __typename ... on RecordActivityPayload { replayed activity { id points } } } }"""

    first = api.data(query, {"input": item}, api.service)["recordActivity"]
    replay = api.data(query, {"input": item}, api.service)["recordActivity"]

    assert replay["replayed"] is True
    assert replay["activity"] == first["activity"]
    assert _points(api, bob)["available"] == first["activity"]["points"]


def test_an_activity_key_reused_with_another_payload_is_rejected(api: Api) -> None:
    cy = api.register("cy")
    api.record(cy, "post", subjectId="n1", idempotencyKey="k1")

    result = api.record(cy, "post", subjectId="n2", idempotencyKey="k1")

    assert result["__typename"] == "IdempotencyKeyReused"


def test_record_activity_for_a_missing_member_is_not_found(api: Api) -> None:
    ghost = Member(global_id("Member", "mem_ghost"), "mem_ghost", "ghost")

    result = api.record(ghost, "check_in")

    assert result["__typename"] == "NotFound"


def test_metrics_for_a_note_never_published_are_an_unknown_note(api: Api) -> None:
    eve, fay = api.register("eve"), api.register("fay")
    api.record(eve, "post", subjectId="n1", attributes={"photos": 1})

    ghost = api.record(fay, "note_metrics", subjectId="n2", attributes={"interactions": 5000})
    others = api.record(fay, "note_metrics", subjectId="n1", attributes={"interactions": 5000})

    assert (ghost["__typename"], others["__typename"]) == ("UnknownNote", "UnknownNote")
    assert _points(api, fay)["available"] == 0


def test_record_activity_with_a_bad_value_names_the_field(api: Api) -> None:
    dee = api.register("dee")

    no_zone = api.record(dee, "check_in", occurredAt="2026-05-01T09:00:00")
    not_numbers = api.record(dee, "post", subjectId="n", attributes={"photos": "two"})
    wrong_id = api.record(Member(reward_id("key_ring"), "", ""), "check_in")

    assert (no_zone["__typename"], no_zone["field"]) == ("InvalidInput", "occurredAt")
    assert (not_numbers["__typename"], not_numbers["field"]) == (
        "InvalidInput",
        "attributes.photos",
    )
    assert (wrong_id["__typename"], wrong_id["field"]) == ("InvalidInput", "memberId")


def test_record_activities_evaluates_a_batch_each_item_on_its_own(api: Api) -> None:
    eve = api.register("eve")
    batch: list[dict[str, Any]] = [
        {"memberId": eve.id, "kind": "post", "subjectId": "a", "idempotencyKey": "b1"},
        {"memberId": eve.id, "kind": "teleport", "idempotencyKey": "b2"},
        {"memberId": global_id("Member", "mem_ghost"), "kind": "post", "subjectId": "c",
         "idempotencyKey": "b3"},
        {"memberId": eve.id, "kind": "post", "subjectId": "z", "idempotencyKey": "b1"},
        {"memberId": eve.id, "kind": "answer", "subjectId": "q", "idempotencyKey": "b4",
         "attributes": {"accepted": 1}},
    ]  # fmt: skip
    items = [{**item, "occurredAt": utc_now().isoformat()} for item in batch]

    result = api.data(RECORD_MANY, {"input": items}, api.service)["recordActivities"]

    assert [r["__typename"] for r in result["results"]] == [
        "RecordActivityPayload",
        "InvalidInput",
        "NotFound",
        "IdempotencyKeyReused",
        "RecordActivityPayload",
    ]
    assert _points(api, eve)["available"] == 5 + 20


def test_record_activities_refuses_a_batch_over_the_limit(api: Api) -> None:
    fox = api.register("fox")
    now = utc_now().isoformat()
    items = [
        {"memberId": fox.id, "kind": "check_in", "idempotencyKey": f"k{n}", "occurredAt": now}
        for n in range(101)
    ]

    result = api.data(RECORD_MANY, {"input": items}, api.service)["recordActivities"]

    assert result["__typename"] == "InvalidInput"
    assert result["field"] == "activities"
    assert _points(api, fox)["available"] == 0


# --- redeemReward -------------------------------------------------------------------------


def test_redeem_reward_holds_the_price_as_the_viewer(api: Api) -> None:
    gil = api.register("gil")
    api.give(gil, 400)

    result = api.redeem(gil, "key_ring", "buy-1")

    assert result["__typename"] == "RedeemRewardPayload"
    assert result["redemption"]["status"] == "RESERVED"
    assert result["redemption"]["points"] == 300
    assert _points(api, gil) == {"available": 100, "reserved": 300, "lifetimeEarned": 0}


def test_replaying_a_redemption_key_returns_the_first_redemption(api: Api) -> None:
    hu = api.register("hu")
    api.give(hu, 400)

    first = api.redeem(hu, "key_ring", "buy-1")
    replay = api.redeem(hu, "key_ring", "buy-1")

    assert replay["replayed"] is True
    assert replay["redemption"] == first["redemption"]
    assert _points(api, hu)["reserved"] == 300


def test_redeem_errors_carry_what_the_client_needs(api: Api) -> None:
    ida = api.register("ida")
    api.give(ida, 2000)

    poor = api.redeem(api.register("poor"), "key_ring", "k")
    api.redeem(ida, "phone_case", "case-1")
    limit = api.redeem(ida, "phone_case", "case-2")
    gated = api.redeem(ida, "service_coupon", "coupon-1")
    closed = api.redeem(ida, "e2e_closed", "closed-1")
    reused = api.redeem(ida, "phone_case", "case-1", quantity=2)
    missing = api.redeem(ida, "no_such_reward", "missing-1")
    zero = api.redeem(ida, "key_ring", "zero-1", quantity=0)

    assert poor == {"__typename": "InsufficientPoints", "message": poor["message"],
                    "balance": 0, "required": 300}  # fmt: skip
    assert (limit["__typename"], limit["limit"], limit["already"]) == ("LimitReached", 1, 1)
    assert (gated["__typename"], gated["requiredLevel"]) == ("NotEligible", "regular")
    assert closed["__typename"] == "RewardUnavailable"
    assert (reused["__typename"], reused["key"]) == ("IdempotencyKeyReused", "case-1")
    assert (missing["__typename"], missing["kind"]) == ("NotFound", "reward")
    assert (zero["__typename"], zero["field"]) == ("InvalidInput", "quantity")
    assert _points(api, ida) == {"available": 1400, "reserved": 600, "lifetimeEarned": 0}


def test_redeeming_more_than_is_left_is_out_of_stock(api: Api) -> None:
    jo = api.register("jo")
    api.give(jo, 10_000)

    result = api.redeem(jo, "e2e_scarce", "all-of-it", quantity=11)

    assert result["__typename"] == "OutOfStock"
    assert result["requested"] == 11
    assert result["available"] <= 10


# --- fulfillRedemption / cancelRedemption -----------------------------------------------------


def test_fulfilling_spends_the_held_points(api: Api) -> None:
    kai = api.register("kai")
    api.give(kai, 300)
    redemption = _redemption_id(api, kai, "key_ring", "k")

    result = api.data(
        FULFILL, {"input": {"redemptionId": redemption, "note": "shipped"}}, api.operator
    )["fulfillRedemption"]

    assert result["redemption"]["status"] == "FULFILLED"
    assert result["redemption"]["note"] == "shipped"
    assert _points(api, kai) == {"available": 0, "reserved": 0, "lifetimeEarned": 0}


def test_a_coupon_reward_without_codes_cannot_be_fulfilled(api: Api) -> None:
    lu = api.register("lu")
    api.give(lu, 1200)
    api.data(LOCK, {"input": {"memberId": lu.id, "levelId": "regular", "reason": "vip"}},
             api.operator)  # fmt: skip
    redemption = _redemption_id(api, lu, "service_coupon", "c")

    result = api.data(FULFILL, {"input": {"redemptionId": redemption}}, api.operator)

    assert result["fulfillRedemption"] == {"__typename": "CouponPoolEmpty",
                                           "rewardId": "service_coupon"}  # fmt: skip


def test_cancelling_returns_points_and_stock(api: Api) -> None:
    mo = api.register("mo")
    api.give(mo, 300)
    redemption = _redemption_id(api, mo, "key_ring", "k")

    result = api.data(
        CANCEL, {"input": {"redemptionId": redemption, "reason": "changed my mind"}},
        api.member_token(mo),
    )["cancelRedemption"]  # fmt: skip

    assert result["redemption"]["status"] == "CANCELLED"
    assert _points(api, mo) == {"available": 300, "reserved": 0, "lifetimeEarned": 0}


def test_a_fulfilled_redemption_cannot_be_cancelled(api: Api) -> None:
    ned = api.register("ned")
    api.give(ned, 300)
    redemption = _redemption_id(api, ned, "key_ring", "k")
    api.data(FULFILL, {"input": {"redemptionId": redemption}}, api.operator)

    result = api.data(CANCEL, {"input": {"redemptionId": redemption}}, api.operator)

    assert result["cancelRedemption"] == {"__typename": "InvalidTransition",
                                          "state": "fulfilled", "action": "cancel"}  # fmt: skip


def test_fulfilling_or_cancelling_a_missing_redemption_is_not_found(api: Api) -> None:
    missing = {"input": {"redemptionId": global_id("Redemption", "red_nope")}}

    fulfil = api.data(FULFILL, missing, api.operator)["fulfillRedemption"]
    cancel = api.data(CANCEL, missing, api.operator)["cancelRedemption"]

    assert fulfil == {"__typename": "NotFound", "kind": "redemption"}
    assert cancel == {"__typename": "NotFound", "kind": "redemption"}


# --- grantHonor / revokeHonor ------------------------------------------------------------------


def test_granting_and_revoking_a_manual_honor(api: Api) -> None:
    oz = api.register("oz")
    honor = {"input": {"memberId": oz.id, "honorId": "mentor", "reason": "guides newcomers"}}

    granted = api.data(GRANT, honor, api.operator)["grantHonor"]
    twice = api.data(GRANT, honor, api.operator)["grantHonor"]
    revoked = api.data(REVOKE, honor, api.operator)["revokeHonor"]
    again = api.data(REVOKE, honor, api.operator)["revokeHonor"]

    assert granted["award"] == {"honor": {"id": "mentor"}, "active": True}
    assert granted["member"] == {"handle": oz.handle}
    assert twice == {"__typename": "AlreadyExists", "kind": "honor award"}
    assert revoked["award"]["active"] is False
    assert revoked["award"]["revokedAt"] is not None
    assert again == {"__typename": "NotFound", "kind": "honor award"}


def test_automatic_honors_and_unknown_honors_cannot_be_granted(api: Api) -> None:
    pia = api.register("pia")

    automatic = api.data(GRANT, {"input": {"memberId": pia.id, "honorId": "first_post",
                                           "reason": "x"}}, api.operator)  # fmt: skip
    unknown = api.data(GRANT, {"input": {"memberId": pia.id, "honorId": "nope",
                                         "reason": "x"}}, api.operator)  # fmt: skip
    no_reason = api.data(GRANT, {"input": {"memberId": pia.id, "honorId": "mentor",
                                           "reason": " "}}, api.operator)  # fmt: skip
    revoke_auto = api.data(REVOKE, {"input": {"memberId": pia.id, "honorId": "first_post",
                                              "reason": "x"}}, api.operator)  # fmt: skip

    assert automatic["grantHonor"] == {"__typename": "NotManual", "honorId": "first_post"}
    assert unknown["grantHonor"] == {"__typename": "NotFound", "kind": "honor"}
    assert no_reason["grantHonor"] == {"__typename": "InvalidInput", "field": "reason"}
    assert revoke_auto["revokeHonor"] == {"__typename": "NotManual", "honorId": "first_post"}


# --- adjustPoints / lockLevel --------------------------------------------------------------


def _adjust(api: Api, member: Member, amount: int, key: str, reason: str = "fix") -> dict[str, Any]:
    item = {"memberId": member.id, "amount": amount, "reason": reason, "idempotencyKey": key}
    payload: dict[str, Any] = api.data(ADJUST, {"input": item}, api.operator)["adjustPoints"]
    return payload


def test_adjusting_points_moves_the_balance_and_replays_by_key(api: Api) -> None:
    qi = api.register("qi")

    first = _adjust(api, qi, 50, "adj-1")
    replay = _adjust(api, qi, 50, "adj-1")
    down = _adjust(api, qi, -20, "adj-2")

    assert (first["balance"], first["replayed"]) == (50, False)
    assert (replay["transferId"], replay["replayed"]) == (first["transferId"], True)
    assert down["balance"] == 30


def test_adjustment_errors(api: Api) -> None:
    ro = api.register("ro")
    _adjust(api, ro, 10, "a-1")

    overdraw = _adjust(api, ro, -11, "a-2")
    reused = _adjust(api, ro, 11, "a-1")
    no_reason = _adjust(api, ro, 5, "a-3", reason="")
    ghost = _adjust(api, Member(global_id("Member", "mem_ghost"), "", ""), 5, "a-4")

    assert overdraw == {"__typename": "InsufficientPoints", "message": overdraw["message"],
                        "balance": 10, "required": 11}  # fmt: skip
    assert reused["__typename"] == "IdempotencyKeyReused"
    assert no_reason["__typename"] == "InvalidInput"
    assert ghost["__typename"] == "NotFound"


def test_locking_holds_a_level_and_unlocking_releases_it(api: Api) -> None:
    sam = api.register("sam")

    locked = api.data(LOCK, {"input": {"memberId": sam.id, "levelId": "navigator",
                                       "reason": "ambassador"}}, api.operator)  # fmt: skip
    unlocked = api.data(LOCK, {"input": {"memberId": sam.id, "reason": "term over"}}, api.operator)
    unknown = api.data(LOCK, {"input": {"memberId": sam.id, "levelId": "emperor",
                                        "reason": "x"}}, api.operator)  # fmt: skip

    assert locked["lockLevel"]["member"]["level"] == {"id": "navigator", "locked": True}
    assert unlocked["lockLevel"]["member"]["level"]["locked"] is False
    assert unknown["lockLevel"] == {"__typename": "NotFound", "kind": "level"}


def test_granting_an_honor_beyond_its_holder_limit_is_limit_reached(api: Api) -> None:
    council = [api.register("council") for _ in range(13)]
    results = [
        api.data(GRANT, {"input": {"memberId": m.id, "honorId": "advisory_council",
                                   "reason": "seat"}}, api.operator)["grantHonor"]
        for m in council
    ]  # fmt: skip

    assert [r["__typename"] for r in results].count("HonorPayload") == 12
    assert results[-1] == {"__typename": "LimitReached", "limit": 12}
