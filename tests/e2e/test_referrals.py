"""Referrals over HTTP on the sample economy: a member reads their code, an invitee
registers with it, nothing is paid until the invitee's first qualifying action, then the
referrer's reward and the invitee's welcome, once; Member.referrals and referredBy show
each invitee's state; a purchase pays commission two levels up as pending points and its
reversal voids them; typed errors name the field; operators read flagged referrers and
held rewards and a reward that is not held cannot be confirmed."""

from __future__ import annotations

import secrets
from typing import Any

from tests.e2e.conftest import Api, Member, global_id, raw_id

REGISTER = """
mutation Register($input: RegisterMemberInput!) {
  registerMember(input: $input) {
    __typename
    ... on RegisterMemberPayload { member { id } }
    ... on ReferralRefused { field reason }
    ... on InvalidInput { field }
  }
}
"""
CODE = "query Code($id: ID!) { node(id: $id) { ... on Member { referralCode } } }"
REFERRALS = """
query Referrals($id: ID!) {
  node(id: $id) {
    ... on Member {
      points { available pending }
      referredBy { referrerId state outcome qualifiedAt }
      referrals(first: 10) {
        edges { node { inviteeId state outcome joinedAt deadline invitee { handle } } }
        pageInfo { hasNextPage }
      }
    }
  }
}
"""
DECIDE = """
mutation Confirm($input: ReferralRewardInput!) {
  confirmReferralReward(input: $input) {
    __typename
    ... on ReferralPayload { referral { outcome } }
    ... on InvalidTransition { state action }
    ... on InvalidInput { field }
    ... on NotFound { kind }
  }
}
"""
OPERATOR_LISTS = """
query Lists {
  flaggedReferrers(first: 5) { memberId expired qualified }
  heldReferrals(first: 5) { edges { node { inviteeId } } }
}
"""
REVERSE = """
mutation Reverse($input: ReverseActivityInput!) {
  reverseActivity(input: $input) { __typename ... on UserError { message } }
}
"""


def code_of(api: Api, member: Member) -> str:
    code: str = api.data(CODE, {"id": member.id}, api.member_token(member))["node"]["referralCode"]
    return code


def register(api: Api, handle: str, code: str | None, **extra: Any) -> dict[str, Any]:
    item = {"handle": handle, "displayName": handle, "referralCode": code, **extra}
    found: dict[str, Any] = api.data(REGISTER, {"input": item}, api.service)["registerMember"]
    return found


def invite(api: Api, referrer: Member) -> Member:
    handle = f"inv{secrets.token_hex(4)}"
    payload = register(api, handle, code_of(api, referrer))
    assert payload["__typename"] == "RegisterMemberPayload", payload
    node = payload["member"]["id"]
    return Member(node, raw_id(node), handle)


def view(api: Api, member: Member) -> dict[str, Any]:
    found: dict[str, Any] = api.data(REFERRALS, {"id": member.id}, api.operator)["node"]
    return found


def test_the_referrer_earns_on_the_invitee_s_first_post_once(api: Api) -> None:
    ana = api.register("ref")
    code = code_of(api, ana)
    assert len(code) == 10
    assert code_of(api, ana) == code  # the same every time
    ben = invite(api, ana)
    shown = view(api, ana)
    assert shown["points"]["available"] == 0  # never at sign-up
    [edge] = shown["referrals"]["edges"]
    assert (edge["node"]["inviteeId"], edge["node"]["state"]) == (ben.raw_id, "WAITING")
    assert edge["node"]["invitee"]["handle"] == ben.handle
    api.record(ben, "post", subjectId="first-note")
    api.record(ben, "post", subjectId="second-note")
    shown = view(api, ana)
    assert shown["points"]["available"] == 300
    [edge] = shown["referrals"]["edges"]
    assert (edge["node"]["state"], edge["node"]["outcome"]) == ("QUALIFIED", "PAY")
    invitee = view(api, ben)
    assert invitee["referredBy"]["referrerId"] == ana.raw_id
    assert invitee["points"]["available"] == 5 + 100  # a post (the second is in cooldown), welcome


def test_commission_is_pending_two_levels_up_and_a_refund_voids_it(api: Api) -> None:
    top = api.register("top")
    ana = invite(api, top)
    ben = invite(api, ana)
    result = api.record(ben, "purchase", subjectId="order-1", attributes={"amount": 200_000})
    assert result["__typename"] == "RecordActivityPayload", result
    assert view(api, ana)["points"]["pending"] == 100  # 5% of 2000.00, in points
    assert view(api, top)["points"]["pending"] == 40  # 2% one level further up
    variables = {
        "input": {
            "activityId": result["activity"]["id"],
            "reason": "refunded",
            "idempotencyKey": secrets.token_hex(8),
        }
    }
    reversed_ = api.data(REVERSE, variables, api.operator)["reverseActivity"]
    assert reversed_["__typename"] == "ReverseActivityPayload", reversed_
    assert view(api, ana)["points"]["pending"] == 0
    assert view(api, top)["points"]["pending"] == 0


def test_reversing_the_qualifying_post_takes_the_rewards_back(api: Api) -> None:
    ana = api.register("ref")
    ben = invite(api, ana)
    result = api.record(ben, "post", subjectId="spam-note")
    assert view(api, ana)["points"]["available"] == 300
    variables = {
        "input": {
            "activityId": result["activity"]["id"],
            "reason": "spam",
            "idempotencyKey": secrets.token_hex(8),
        }
    }
    reversed_ = api.data(REVERSE, variables, api.operator)["reverseActivity"]
    assert reversed_["__typename"] == "ReverseActivityPayload", reversed_
    again = api.data(REVERSE, variables, api.operator)["reverseActivity"]  # a replay
    assert again["__typename"] == "ReverseActivityPayload", again
    shown = view(api, ana)
    assert shown["points"]["available"] == 0
    [edge] = shown["referrals"]["edges"]
    assert (edge["node"]["state"], edge["node"]["outcome"]) == ("WAITING", None)
    assert view(api, ben)["points"]["available"] == 0  # the post and the welcome
    api.record(ben, "post", subjectId="next-note")  # in the post rule's cooldown: no
    assert view(api, ana)["points"]["available"] == 0
    bought = api.record(ben, "purchase", subjectId="order-9", attributes={"amount": 200_000})
    assert bought["__typename"] == "RecordActivityPayload", bought  # qualifies again, once
    assert view(api, ana)["points"] == {"available": 300, "pending": 100}
    assert view(api, ben)["points"]["available"] == 100  # the welcome (the purchase pends)


def test_a_purchase_without_its_amount_is_refused_naming_the_field(api: Api) -> None:
    ana = api.register("buyer")
    result = api.record(ana, "purchase", subjectId="order-2")
    assert (result["__typename"], result["field"]) == ("InvalidInput", "attributes.amount")


def test_bad_codes_are_refused_with_the_field(api: Api) -> None:
    unknown = register(api, f"x{secrets.token_hex(4)}", "ZZZZZZZZZZ")
    assert (unknown["__typename"], unknown["field"]) == ("InvalidInput", "referralCode")
    ana = api.register("same")
    code = code_of(api, ana)
    phone = f"phone:{secrets.token_hex(6)}"
    first = register(api, f"p{secrets.token_hex(4)}", code, identities=[phone])
    assert first["__typename"] == "RegisterMemberPayload"
    first_member = Member(first["member"]["id"], raw_id(first["member"]["id"]), "p")
    again = register(api, f"q{secrets.token_hex(4)}", code_of(api, first_member),
                     identities=[phone])  # fmt: skip
    assert (again["__typename"], again["field"], again["reason"]) == (
        "ReferralRefused",
        "referralCode",
        "same_identity",
    )


def test_operators_see_the_lists_and_only_a_held_reward_is_decided(api: Api) -> None:
    lists = api.data(OPERATOR_LISTS, None, api.operator)
    assert isinstance(lists["flaggedReferrers"], list)
    assert isinstance(lists["heldReferrals"]["edges"], list)
    ana = api.register("op")
    ben = invite(api, ana)
    variables = {"input": {"inviteeId": ben.id, "reason": "looked", "idempotencyKey": "d-1"}}
    waiting = api.data(DECIDE, variables, api.operator)["confirmReferralReward"]
    assert (waiting["__typename"], waiting["action"]) == ("InvalidTransition", "confirm")
    variables["input"]["inviteeId"] = global_id("Redemption", ana.raw_id)
    bad = api.data(DECIDE, variables, api.operator)["confirmReferralReward"]
    assert (bad["__typename"], bad["field"]) == ("InvalidInput", "inviteeId")
    denied = api.post(DECIDE, variables, api.member_token(ana))
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


APPLY = """
mutation Apply($input: ApplyReferralCodeInput!) {
  applyReferralCode(input: $input) {
    __typename
    ... on ReferralPayload { referral { referrerId state } }
    ... on ReferralRefused { field reason }
    ... on InvalidInput { field }
  }
}
"""


def test_a_member_enters_a_code_after_joining_once_and_not_their_own(api: Api) -> None:
    ana, ben = api.register("apply"), api.register("apply")
    own = {"input": {"memberId": ben.id, "referralCode": code_of(api, ben)}}
    refused = api.data(APPLY, own, api.member_token(ben))["applyReferralCode"]
    assert (refused["__typename"], refused["reason"]) == ("ReferralRefused", "self_referral")
    variables = {"input": {"memberId": ben.id, "referralCode": code_of(api, ana)}}
    other = api.data(APPLY, variables, api.member_token(ana))["applyReferralCode"]
    assert (other["__typename"], other["field"]) == ("InvalidInput", "memberId")  # not for ben
    linked = api.data(APPLY, variables, api.member_token(ben))["applyReferralCode"]
    assert linked["referral"] == {"referrerId": ana.raw_id, "state": "WAITING"}
    cai = api.register("apply")
    second = {"input": {"memberId": ben.id, "referralCode": code_of(api, cai)}}
    again = api.data(APPLY, second, api.member_token(ben))["applyReferralCode"]
    assert (again["__typename"], again["reason"]) == ("ReferralRefused", "already_referred")
