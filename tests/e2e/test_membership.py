"""Paid membership over HTTP: the shop's service records a purchase of the sample's fan
club, renews it (extended from its end), replays a key (nothing changes); typed errors
for bad input; Member.paidTier shows the period and whether it is active; the tier's
multiplier pays its members more on its rules."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Api, GraphQLFailed, Member

BUY = """
mutation Buy($input: RecordMembershipPurchaseInput!) {
  recordMembershipPurchase(input: $input) {
    __typename
    ... on MembershipPurchasePayload { renewed replayed paidTier { tier since until active } }
    ... on InvalidInput { field }
    ... on NotFound { kind }
    ... on IdempotencyKeyReused { key }
  }
}
"""

PAID_TIER = """
query Paid($id: ID!) {
  node(id: $id) { ... on Member { paidTier { tier title since until active } } }
}
"""


def buy(
    api: Api,
    member: Member,
    days: int = 30,
    *,
    key: str | None = None,
    tier: str = "fan_club",
    price: int = 1900,
    token: str | None = None,
) -> dict[str, Any]:
    variables = {
        "input": {
            "memberId": member.id,
            "tierId": tier,
            "periodDays": days,
            "price": price,
            "idempotencyKey": key or secrets.token_hex(8),
        }
    }
    result = api.data(BUY, variables, token or api.service)
    found: dict[str, Any] = result["recordMembershipPurchase"]
    return found


def paid_tier(api: Api, member: Member) -> dict[str, Any] | None:
    found: dict[str, Any] | None = api.data(PAID_TIER, {"id": member.id}, api.operator)["node"][
        "paidTier"
    ]
    return found


def test_a_purchase_then_a_renewal_extend_from_the_end(api: Api) -> None:
    ana = api.register("paid")
    assert paid_tier(api, ana) is None
    first = buy(api, ana, 30)
    assert first["__typename"] == "MembershipPurchasePayload"
    assert (first["renewed"], first["replayed"]) == (False, False)
    since = datetime.fromisoformat(first["paidTier"]["since"])
    until = datetime.fromisoformat(first["paidTier"]["until"])
    assert until - since == timedelta(days=30)
    assert first["paidTier"]["active"] is True
    renewed = buy(api, ana, 30)
    assert renewed["renewed"] is True
    assert datetime.fromisoformat(renewed["paidTier"]["until"]) == until + timedelta(days=30)
    shown = paid_tier(api, ana)
    assert shown is not None
    assert (shown["tier"], shown["title"], shown["active"]) == ("fan_club", "Fan club member", True)
    assert datetime.fromisoformat(shown["until"]) == until + timedelta(days=30)


def test_a_replayed_key_changes_nothing(api: Api) -> None:
    ana = api.register("paid")
    first = buy(api, ana, 30, key="order-77")
    again = buy(api, ana, 30, key="order-77")
    assert again["replayed"] is True
    assert again["paidTier"] == first["paidTier"]
    reused = buy(api, ana, 60, key="order-77")
    assert reused == {"__typename": "IdempotencyKeyReused", "key": "order-77"}


@pytest.mark.parametrize(
    ("days", "price", "tier", "field"),
    [(0, 100, "fan_club", "periodDays"), (30, -5, "fan_club", "price"), (30, 1, "gold", "tierId")],
)
def test_bad_input_is_a_typed_error(api: Api, days: int, price: int, tier: str, field: str) -> None:
    ana = api.register("paid")
    assert buy(api, ana, days, price=price, tier=tier) == {
        "__typename": "InvalidInput",
        "field": field,
    }
    assert paid_tier(api, ana) is None


def test_only_the_service_records_purchases(api: Api) -> None:
    ana = api.register("paid")
    with pytest.raises(GraphQLFailed):
        buy(api, ana, token=api.member_token(ana))
    assert paid_tier(api, ana) is None


def test_the_fan_club_earns_half_as_much_again_on_posts(api: Api) -> None:
    ana, bob = api.register("paid"), api.register("free")
    buy(api, ana, 30)
    paid = api.record(ana, "post", subjectId=secrets.token_hex(4))
    free = api.record(bob, "post", subjectId=secrets.token_hex(4))
    assert (paid["__typename"], free["__typename"]) == ("RecordActivityPayload",) * 2
    assert (paid["activity"]["points"], free["activity"]["points"]) == (7, 5)  # 150 % of 5
