"""The lean resolvers of the ledger mutations (`api.lean`) answer as strawberry's do: every
case runs through a schema with them and one without, on the same store, and the answers
(data and errors, codes and messages included) are the same; a success through one path
replays through the other with the same payload. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest

from api.auth import Role, Viewer, utc_now
from tests.e2e.conftest import LeanPaths

RECORD = """
mutation($input: RecordActivityInput!) {
  recordActivity(input: $input) {
    __typename
    ... on RecordActivityPayload {
      replayed
      activity { id kind occurredAt subjectId points lines { ruleId points reason } }
      events { __typename ... on PointsAwarded { points } }
      member { id handle points { available } }
    }
    ... on UserError { message }
    ... on InvalidInput { field reason }
    ... on NotFound { kind id }
  }
}
"""

RECORD_MANY = """
mutation($input: [RecordActivityInput!]!) {
  recordActivities(input: $input) {
    __typename
    ... on RecordActivitiesPayload {
      results {
        __typename
        ... on RecordActivityPayload { replayed activity { id kind points } }
        ... on UserError { message }
        ... on InvalidInput { field reason }
      }
    }
    ... on InvalidInput { field reason message }
  }
}
"""

REDEEM = """
mutation($input: RedeemRewardInput!) {
  redeemReward(input: $input) {
    __typename
    ... on RedeemRewardPayload {
      replayed
      redemption { id quantity points status reward { id } member { id } }
    }
    ... on UserError { message }
    ... on InvalidInput { field reason }
    ... on OutOfStock { rewardId available }
    ... on NotFound { kind id }
  }
}
"""


def gid(type_name: str, node_id: str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


Paths = LeanPaths


@pytest.fixture(scope="module")
def paths(lean_paths: LeanPaths) -> LeanPaths:
    return lean_paths


SERVICE = Viewer("ingest", Role.SERVICE)
OPERATOR = Viewer("ops-1", Role.OPERATOR)


def member_viewer(paths: Paths) -> Viewer:
    return Viewer(paths.member, Role.MEMBER)


def activity(paths: Paths, **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "memberId": gid("Member", paths.member),
        "kind": "post",
        "occurredAt": utc_now().isoformat(),
        "idempotencyKey": secrets.token_hex(8),
        "subjectId": f"note-{secrets.token_hex(4)}",
    }
    item.update(changes)
    return {k: v for k, v in item.items() if v is not None}


def test_a_recorded_activity_replays_through_the_other_path(paths: Paths) -> None:
    for first_lean in (True, False):
        variables = {"input": activity(paths)}
        first = paths.run(first_lean, RECORD, variables, SERVICE)
        replay = paths.run(not first_lean, RECORD, variables, SERVICE)

        payload = first["data"]["recordActivity"]
        assert payload["__typename"] == "RecordActivityPayload", first
        assert payload["replayed"] is False
        # a replay writes nothing, so it announces no events
        assert replay["data"]["recordActivity"] == {**payload, "replayed": True, "events": []}
        # a service may not read a member's points, through either path
        assert first["errors"] == replay["errors"]
        assert [(e["path"], e["extensions"]["code"]) for e in first["errors"]] == [
            (["recordActivity", "member", "points"], "FORBIDDEN")
        ]


@pytest.mark.parametrize(
    ("case", "changes"),
    [
        ("a control character in kind", {"kind": "po\x00st"}),
        ("one in the idempotency key", {"idempotencyKey": "key\x1b"}),
        ("one in the subject", {"subjectId": "a\u0085b"}),
        ("one in an attribute name", {"attributes": {"ph\x07otos": 1}}),
        ("one in a nested JSON value", {"attributes": {"photos": ["x", {"k": "v\x00"}]}}),
        ("one inside the global id", {"memberId": gid("Member", "abc\x01")}),
        ("a global id of another type", {"memberId": gid("Reward", "abc")}),
        ("an unknown member", {"memberId": gid("Member", "nobody")}),
        ("a fractional attribute", {"attributes": {"photos": 1.5}}),
        ("attributes that are not an object", {"attributes": [1, 2]}),
        ("a global id that does not decode", {"memberId": "not a global id!"}),
        ("an unknown kind", {"kind": "no-such-kind"}),
    ],
)
def test_record_activity_refuses_alike(paths: Paths, case: str, changes: dict[str, Any]) -> None:
    lean, plain = paths.pair(RECORD, {"input": activity(paths, **changes)}, SERVICE)

    assert lean == plain, case
    assert lean["errors"] or lean["data"]["recordActivity"]["__typename"] != "RecordActivityPayload"


@pytest.mark.parametrize(
    ("case", "viewer", "changes"),
    [
        ("no token", None, {}),
        ("a member token", Viewer("x", Role.MEMBER), {}),
        ("an operator token", OPERATOR, {}),
        ("no permission and a broken global id", None, {"memberId": "%%%"}),
        ("no permission and a control character", OPERATOR, {"kind": "a\x00"}),
    ],
)
def test_record_activity_denies_alike(
    paths: Paths, case: str, viewer: Viewer | None, changes: dict[str, Any]
) -> None:
    lean, plain = paths.pair(RECORD, {"input": activity(paths, **changes)}, viewer)

    assert lean == plain, case
    assert lean["data"] is None
    assert lean["errors"][0]["extensions"]["code"] in (
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "BAD_USER_INPUT",
    )


def test_a_reused_key_with_another_payload_is_refused_alike(paths: Paths) -> None:
    key = secrets.token_hex(8)
    first = paths.run(True, RECORD, {"input": activity(paths, idempotencyKey=key)}, SERVICE)
    assert first["data"]["recordActivity"]["__typename"] == "RecordActivityPayload"

    other = {"input": activity(paths, idempotencyKey=key, subjectId="another")}
    lean, plain = paths.pair(RECORD, other, SERVICE)

    assert lean == plain
    assert lean["data"]["recordActivity"]["__typename"] == "IdempotencyKeyReused"


def test_a_batch_answers_alike(paths: Paths) -> None:
    keys = [secrets.token_hex(8) for _ in range(3)]

    def batch() -> list[dict[str, Any]]:
        return [
            activity(paths, idempotencyKey=keys[0], subjectId="batch-0"),
            activity(paths, idempotencyKey=keys[1], memberId=gid("Reward", "r")),
            activity(paths, idempotencyKey=keys[2], subjectId="batch-2", kind="no-such-kind"),
        ]

    variables = {"input": batch()}
    lean = paths.run(True, RECORD_MANY, variables, SERVICE)
    plain = paths.run(False, RECORD_MANY, variables, SERVICE)  # the first one replays

    results = lean["data"]["recordActivities"]["results"]
    assert [r["__typename"] for r in results][1] == "InvalidInput"
    assert results[1]["field"] == "input[1].memberId"
    replayed = plain["data"]["recordActivities"]["results"]
    assert replayed[0] == {**results[0], "replayed": True}
    assert replayed[1:] == results[1:]


@pytest.mark.parametrize(
    ("case", "items", "viewer"),
    [
        ("a control character in the second item", [{}, {"kind": "x\x00"}], SERVICE),
        ("a broken global id in the second item", [{}, {"memberId": "???"}], SERVICE),
        ("an operator", [{}], OPERATOR),
        ("no token", [{}], None),
        ("an empty batch", [], SERVICE),
    ],
)
def test_a_batch_refuses_alike(
    paths: Paths, case: str, items: list[dict[str, Any]], viewer: Viewer | None
) -> None:
    variables = {"input": [activity(paths, **changes) for changes in items]}

    lean, plain = paths.pair(RECORD_MANY, variables, viewer)

    assert lean == plain, case


def test_a_batch_over_the_limit_is_refused_alike(paths: Paths) -> None:
    variables = {"input": [activity(paths) for _ in range(101)]}

    lean, plain = paths.pair(RECORD_MANY, variables, SERVICE)

    assert lean == plain
    assert lean["data"]["recordActivities"]["__typename"] == "InvalidInput"


def redeem(reward: str, **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "rewardId": gid("Reward", reward),
        "idempotencyKey": secrets.token_hex(8),
    }
    item.update(changes)
    return {"input": item}


def test_a_redemption_replays_through_the_other_path(paths: Paths) -> None:
    reward = next(r.id for r in paths.runtime.economy.rewards if r.stock is None and r.price > 0)
    for first_lean in (True, False):
        variables = redeem(reward)
        first = paths.run(first_lean, REDEEM, variables, member_viewer(paths))
        replay = paths.run(not first_lean, REDEEM, variables, member_viewer(paths))

        payload = first["data"]["redeemReward"]
        assert payload["__typename"] == "RedeemRewardPayload", first
        assert replay["data"]["redeemReward"] == {**payload, "replayed": True}


@pytest.mark.parametrize(
    ("case", "reward", "changes", "who"),
    [
        ("a closed reward", "e2e_closed", {}, "member"),
        ("an unknown reward", "no_such_reward", {}, "member"),
        ("a quantity of zero", "e2e_scarce", {"quantity": 0}, "member"),
        ("more than the stock", "e2e_scarce", {"quantity": 11}, "member"),
        ("a control character in the key", "e2e_scarce", {"idempotencyKey": "k\x00"}, "member"),
        ("a global id of another type", "", {"rewardId": gid("Member", "x")}, "member"),
        ("a global id that does not decode", "", {"rewardId": "*"}, "member"),
        ("a service token", "e2e_scarce", {}, "service"),
        ("no token", "e2e_scarce", {}, "nobody"),
        ("a member that does not exist", "e2e_scarce", {}, "ghost"),
    ],
)
def test_redeem_reward_refuses_alike(
    paths: Paths, case: str, reward: str, changes: dict[str, Any], who: str
) -> None:
    viewer = {
        "member": member_viewer(paths),
        "service": SERVICE,
        "nobody": None,
        "ghost": Viewer("ghost", Role.MEMBER),
    }[who]

    lean, plain = paths.pair(REDEEM, redeem(reward, **changes), viewer)

    assert lean == plain, case
    assert lean["errors"] or lean["data"]["redeemReward"]["__typename"] != "RedeemRewardPayload"


def test_a_scarce_reward_is_not_oversold_by_the_two_paths_together(paths: Paths) -> None:
    """Both paths reserve from one stock of 10 (nothing above took any): 12 attempts of 1."""
    answers = []
    for n in range(12):
        viewer = Viewer(paths.member if n % 2 else paths.other, Role.MEMBER)
        answers.append(paths.run(n % 3 == 0, REDEEM, redeem("e2e_scarce"), viewer))
    uow = paths.runtime.store()
    with uow:
        remaining = uow.stock.remaining("e2e_scarce")

    kinds = [a["data"]["redeemReward"]["__typename"] for a in answers]
    assert kinds == ["RedeemRewardPayload"] * 10 + ["OutOfStock"] * 2
    assert remaining == 0
