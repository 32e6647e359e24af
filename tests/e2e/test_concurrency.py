"""Concurrency over HTTP: parallel redemptions never oversell, parallel replays write once,
and afterwards every balance equals the sum of its ledger entries."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from api.auth import utc_now
from tests.e2e.conftest import RECORD, REDEEM, Api, Member, reward_id

parallel_requests = 50
scarce_stock = 10  # e2e_scarce in the e2e economy
BALANCES = """
query($id: ID!, $after: String) {
  member(id: $id) {
    points { available reserved }
    ledgerEntries(first: 100, after: $after) {
      edges { node { kind balance amount } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


async def _fire(api: Api, requests: list[tuple[str, dict[str, Any], str]]) -> list[dict[str, Any]]:
    """Send every request at once (one connection each) and return the bodies in order."""
    limits = httpx.Limits(max_connections=len(requests))
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def one(query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
            response = await client.post(
                api.url,
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            body: dict[str, Any] = response.json()
            assert not body.get("errors"), body
            data: dict[str, Any] = body["data"]
            return data

        return await asyncio.gather(*(one(q, v, t) for q, v, t in requests))


def _ledger_agrees(api: Api, member: Member) -> tuple[dict[str, int], dict[str, int]]:
    """(cached balances, balances summed from the member's ledger entries)."""
    sums = {"AVAILABLE": 0, "RESERVED": 0}
    after: str | None = None
    while True:
        found = api.data(BALANCES, {"id": member.id, "after": after}, api.operator)["member"]
        for edge in found["ledgerEntries"]["edges"]:
            sums[edge["node"]["balance"]] += edge["node"]["amount"]
        if not found["ledgerEntries"]["pageInfo"]["hasNextPage"]:
            points = found["points"]
            return {"AVAILABLE": points["available"], "RESERVED": points["reserved"]}, sums
        after = found["ledgerEntries"]["pageInfo"]["endCursor"]


def test_parallel_redemptions_never_oversell_and_balances_match_the_ledger(api: Api) -> None:
    members = [api.register("buyer") for _ in range(parallel_requests)]
    for member in members:
        api.give(member, 100)
    requests = [
        (REDEEM, {"input": {"rewardId": reward_id("e2e_scarce"), "idempotencyKey": "buy"}},
         api.member_token(member))
        for member in members
    ]  # fmt: skip

    results = asyncio.run(_fire(api, requests))

    kinds = [r["redeemReward"]["__typename"] for r in results]
    assert kinds.count("RedeemRewardPayload") == scarce_stock
    assert kinds.count("OutOfStock") == parallel_requests - scarce_stock
    left = api.data("query($id: ID!) { node(id: $id) { ... on Reward { remaining } } }",
                    {"id": reward_id("e2e_scarce")}, api.operator)  # fmt: skip
    assert left["node"]["remaining"] == 0
    for member, kind in zip(members, kinds, strict=True):
        cached, summed = _ledger_agrees(api, member)
        assert cached == summed
        expected_reserved = 10 if kind == "RedeemRewardPayload" else 0
        assert cached == {"AVAILABLE": 100 - expected_reserved, "RESERVED": expected_reserved}


def test_parallel_replays_of_one_redemption_key_write_once(api: Api) -> None:
    member = api.register("replayer")
    api.give(member, 1000)
    variables = {"input": {"rewardId": reward_id("sticker_pack"), "idempotencyKey": "once"}}
    token = api.member_token(member)

    results = asyncio.run(_fire(api, [(REDEEM, variables, token)] * parallel_requests))

    payloads = [r["redeemReward"] for r in results]
    assert {p["__typename"] for p in payloads} == {"RedeemRewardPayload"}
    assert [p["replayed"] for p in payloads].count(False) == 1
    assert len({p["redemption"]["id"] for p in payloads}) == 1
    cached, summed = _ledger_agrees(api, member)
    assert cached == summed == {"AVAILABLE": 850, "RESERVED": 150}


def test_parallel_replays_of_one_activity_key_award_once(api: Api) -> None:
    member = api.register("farmer")
    item = {"memberId": member.id, "kind": "content_featured", "subjectId": "feat",
            "idempotencyKey": "feature-1", "occurredAt": utc_now().isoformat()}  # fmt: skip

    results = asyncio.run(_fire(api, [(RECORD, {"input": item}, api.service)] * parallel_requests))

    payloads = [r["recordActivity"] for r in results]
    assert {p["__typename"] for p in payloads} == {"RecordActivityPayload"}
    assert [p["replayed"] for p in payloads].count(False) == 1
    assert len({p["activity"]["id"] for p in payloads}) == 1
    cached, summed = _ledger_agrees(api, member)
    assert cached == summed == {"AVAILABLE": 100, "RESERVED": 0}
