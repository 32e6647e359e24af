"""The permission matrix: which role may call which operation, and the guarantee that a
member never reads or changes another member's data (directly, via `node`, or via lists)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import pytest

from api.auth import Role, mint_token, utc_now
from tests.e2e.conftest import SECRET, Api, Member, global_id, reward_id

ANONYMOUS, SELF, OTHER, OPERATOR, SERVICE = "anonymous", "self", "other", "operator", "service"
CALLERS = (ANONYMOUS, SELF, OTHER, OPERATOR, SERVICE)
EVERYONE = frozenset(CALLERS)
SIGNED_IN = frozenset({SELF, OTHER, OPERATOR, SERVICE})


@dataclass
class World:
    """Two members (`self` owns the data, `other` is a second member) and their objects."""

    api: Api
    owner: Member
    other: Member
    redemption: str

    def token(self, caller: str) -> str | None:
        return {
            ANONYMOUS: None,
            SELF: self.api.member_token(self.owner),
            OTHER: self.api.member_token(self.other),
            OPERATOR: self.api.operator,
            SERVICE: self.api.service,
        }[caller]


@pytest.fixture(scope="module")
def world(api: Api) -> World:
    owner, other = api.register("owner"), api.register("other")
    api.give(owner, 5000)
    api.give(other, 5000)
    redemption = api.redeem(owner, "sticker_pack", "owner-1")["redemption"]["id"]
    return World(api, owner, other, redemption)


def _key() -> str:
    return secrets.token_hex(6)


# Each operation: the document, its variables from the world, and who may call it.
OPERATIONS: dict[str, tuple[str, Callable[[World], dict[str, object]], frozenset[str]]] = {
    "viewer": ("{ viewer { id } }", lambda w: {}, frozenset({SELF, OTHER})),
    "member": (
        "query($id: ID!) { member(id: $id) { id } }",
        lambda w: {"id": w.owner.id},
        frozenset({OPERATOR}),
    ),
    "node": (
        "query($id: ID!) { node(id: $id) { id } }",
        lambda w: {"id": w.owner.id},
        SIGNED_IN,
    ),
    "economy": ("{ economy { id } }", lambda w: {}, EVERYONE),
    "rewards": ("{ rewards(first: 1) { edges { cursor } } }", lambda w: {}, EVERYONE),
    "leaderboard": ("{ leaderboard { rank } }", lambda w: {}, EVERYONE),
    "hallOfFame": ("{ hallOfFame { level { id } } }", lambda w: {}, EVERYONE),
    "explainActivity": (
        'query($m: ID!) { explainActivity(input: {memberId: $m, kind: "check_in"}) '
        "{ __typename } }",
        lambda w: {"m": w.owner.id},
        frozenset({SELF, OPERATOR, SERVICE}),
    ),
    "registerMember": (
        'mutation($h: String!) { registerMember(input: {handle: $h, displayName: "x"}) '
        "{ __typename } }",
        lambda w: {"h": f"reg_{_key()}"},
        frozenset({OPERATOR, SERVICE}),
    ),
    "recordActivity": (
        "mutation($m: ID!, $k: String!) { recordActivity(input: {memberId: $m, "
        'kind: "check_in", occurredAt: "2026-01-01T00:00:00Z", idempotencyKey: $k}) '
        "{ __typename } }",
        lambda w: {"m": w.owner.id, "k": _key()},
        frozenset({SERVICE}),
    ),
    "recordActivities": (
        "mutation($m: ID!, $k: String!) { recordActivities(input: [{memberId: $m, "
        'kind: "check_in", occurredAt: "2026-01-01T00:00:00Z", idempotencyKey: $k}]) '
        "{ __typename } }",
        lambda w: {"m": w.owner.id, "k": _key()},
        frozenset({SERVICE}),
    ),
    "redeemReward": (
        "mutation($r: ID!, $k: String!) { redeemReward(input: {rewardId: $r, "
        "idempotencyKey: $k}) { __typename } }",
        lambda w: {"r": reward_id("e2e_closed"), "k": _key()},
        frozenset({SELF, OTHER}),
    ),
    "fulfillRedemption": (
        "mutation($r: ID!) { fulfillRedemption(input: {redemptionId: $r}) { __typename } }",
        lambda w: {"r": global_id("Redemption", "red_nope")},
        frozenset({OPERATOR}),
    ),
    "cancelRedemption": (
        "mutation($r: ID!) { cancelRedemption(input: {redemptionId: $r}) { __typename } }",
        lambda w: {"r": global_id("Redemption", "red_nope")},
        frozenset({SELF, OTHER, OPERATOR}),
    ),
    "grantHonor": (
        'mutation($m: ID!) { grantHonor(input: {memberId: $m, honorId: "nope", '
        'reason: "x"}) { __typename } }',
        lambda w: {"m": w.owner.id},
        frozenset({OPERATOR}),
    ),
    "revokeHonor": (
        'mutation($m: ID!) { revokeHonor(input: {memberId: $m, honorId: "nope", '
        'reason: "x"}) { __typename } }',
        lambda w: {"m": w.owner.id},
        frozenset({OPERATOR}),
    ),
    "adjustPoints": (
        "mutation($m: ID!, $k: String!) { adjustPoints(input: {memberId: $m, amount: 1, "
        'reason: "x", idempotencyKey: $k}) { __typename } }',
        lambda w: {"m": w.owner.id, "k": _key()},
        frozenset({OPERATOR}),
    ),
    "lockLevel": (
        'mutation($m: ID!) { lockLevel(input: {memberId: $m, reason: "x"}) { __typename } }',
        lambda w: {"m": w.owner.id},
        frozenset({OPERATOR}),
    ),
}

MATRIX = [(op, caller) for op in OPERATIONS for caller in CALLERS]


def _codes(body: dict[str, Any]) -> set[str]:
    return {e.get("extensions", {}).get("code") for e in body.get("errors") or []}


@pytest.mark.parametrize(("operation", "caller"), MATRIX, ids=[f"{o}-{c}" for o, c in MATRIX])
def test_permission_matrix(world: World, operation: str, caller: str) -> None:
    document, variables, allowed = OPERATIONS[operation]

    body = world.api.post(document, variables(world), world.token(caller))

    if caller in allowed:
        assert not body.get("errors"), body
    elif caller == ANONYMOUS:
        assert _codes(body) == {"UNAUTHENTICATED"}, body
    else:
        assert _codes(body) == {"FORBIDDEN"}, body


PRIVATE_FIELDS = """
query($id: ID!) {
  node(id: $id) {
    ... on Member {
      handle
      points { available }
      streaks { length }
      level { title state demotionDue }
      ledgerEntries(first: 5) { edges { cursor } }
      redemptions(first: 5) { edges { cursor } }
    }
  }
}
"""


def test_another_members_node_shows_the_public_profile_and_refuses_every_private_field(
    world: World,
) -> None:
    body = world.api.post(PRIVATE_FIELDS, {"id": world.owner.id}, world.token(OTHER))

    node = body["data"]["node"]
    assert node["handle"] == world.owner.handle
    assert node["level"]["title"] == "New Driver"
    for private in ("points", "streaks", "ledgerEntries", "redemptions"):
        assert node[private] is None
    assert node["level"]["state"] is None
    assert node["level"]["demotionDue"] is None
    refused = {tuple(e["path"][1:]) for e in body["errors"]}
    assert refused == {
        ("points",), ("streaks",), ("ledgerEntries",), ("redemptions",),
        ("level", "state"), ("level", "demotionDue"),
    }  # fmt: skip
    assert _codes(body) == {"FORBIDDEN"}


def test_the_owner_reads_the_same_private_fields(world: World) -> None:
    body = world.api.post(PRIVATE_FIELDS, {"id": world.owner.id}, world.token(SELF))

    assert not body.get("errors"), body
    assert body["data"]["node"]["points"]["available"] > 0


def test_another_members_redemption_reads_as_null_through_node(world: World) -> None:
    query = "query($id: ID!) { node(id: $id) { ... on Redemption { status } } }"

    theirs = world.api.post(query, {"id": world.redemption}, world.token(OTHER))
    mine = world.api.post(query, {"id": world.redemption}, world.token(SELF))

    assert theirs == {"data": {"node": None}}
    assert mine == {"data": {"node": {"status": "RESERVED"}}}


def test_a_member_cannot_cancel_another_members_redemption(world: World) -> None:
    query = """mutation($r: ID!) { cancelRedemption(input: {redemptionId: $r}) {
      __typename ... on NotFound { kind } } }"""

    result = world.api.data(query, {"r": world.redemption}, world.token(OTHER))
    still = world.api.data(
        "query($id: ID!) { node(id: $id) { ... on Redemption { status } } }",
        {"id": world.redemption},
        world.token(SELF),
    )

    assert result["cancelRedemption"] == {"__typename": "NotFound", "kind": "redemption"}
    assert still["node"] == {"status": "RESERVED"}


def test_lists_of_members_do_not_leak_private_fields(world: World) -> None:
    world.api.record(world.owner, "content_featured", subjectId=f"f-{_key()}")
    world.api.record(world.other, "content_featured", subjectId=f"f-{_key()}")

    body = world.api.post(
        "{ leaderboard(period: ALL_TIME, first: 100) { member { handle points { available } } } }",
        token=world.token(OTHER),
    )

    rows = {row["member"]["handle"]: row["member"] for row in body["data"]["leaderboard"]}
    assert rows[world.owner.handle]["points"] is None
    assert rows[world.other.handle]["points"] is not None  # the viewer's own row
    assert _codes(body) == {"FORBIDDEN"}


def test_a_member_may_explain_only_for_itself(world: World) -> None:
    query = """query($m: ID!) { explainActivity(input: {memberId: $m, kind: "check_in"}) {
      __typename } }"""

    theirs = world.api.post(query, {"m": world.owner.id}, world.token(OTHER))
    mine = world.api.post(query, {"m": world.other.id}, world.token(OTHER))

    assert _codes(theirs) == {"FORBIDDEN"}
    assert mine["data"]["explainActivity"] == {"__typename": "ActivityExplanation"}


def test_an_expired_token_is_unauthenticated_with_the_reason(world: World) -> None:
    expired = mint_token(SECRET, world.owner.raw_id, Role.MEMBER, timedelta(seconds=1),
                         utc_now() - timedelta(hours=1))  # fmt: skip

    body = world.api.post("{ viewer { id } }", token=expired)

    assert _codes(body) == {"UNAUTHENTICATED"}
    assert "expired" in body["errors"][0]["message"]


def test_a_token_signed_with_another_secret_is_unauthenticated(world: World) -> None:
    forged = jwt.encode(
        {"sub": world.owner.raw_id, "role": "operator", "exp": 4_000_000_000},
        "not-the-server-secret-" + "y" * 30,
        algorithm="HS256",
    )

    body = world.api.post(
        "query($id: ID!) { member(id: $id) { id } }", {"id": world.owner.id}, forged
    )

    assert _codes(body) == {"UNAUTHENTICATED"}


def test_a_token_without_a_role_is_unauthenticated(world: World) -> None:
    roleless = jwt.encode({"sub": world.owner.raw_id, "exp": 4_000_000_000}, SECRET, "HS256")

    body = world.api.post("{ viewer { id } }", token=roleless)

    assert _codes(body) == {"UNAUTHENTICATED"}
