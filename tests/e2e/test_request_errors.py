"""Requests that are wrong as HTTP or as a choice of operation get a 4xx with a GraphQL
error body (never a 500 or a masked error), on both stores: a body that is not a JSON
object, a subscription over POST, several operations without operationName, a signed
token whose claims have the wrong types, and cursors that are digits but not positions."""

from __future__ import annotations

import base64
from typing import Any

import jwt
import pytest

from tests.e2e.conftest import SECRET, Api

REWARDS_AFTER = "query($after: String) { rewards(after: $after) { edges { cursor } } }"


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize("body", [b"null", b'"x"', b"123", b"true"])
def test_a_json_body_that_is_not_an_object_is_a_400_with_a_graphql_error(
    api: Api, body: bytes
) -> None:
    response = api.client.post(api.url, content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert _codes(response.json()) == ["BAD_REQUEST"]
    assert "JSON object" in response.json()["errors"][0]["message"]


def test_a_body_that_is_not_json_is_a_400_with_a_graphql_error(api: Api) -> None:
    response = api.client.post(api.url, content=b"{", headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert _codes(response.json()) == ["BAD_REQUEST"]


def test_a_subscription_over_post_is_a_400_that_points_to_the_websocket(api: Api) -> None:
    member = api.register("subpost")

    response = api.client.post(
        api.url,
        json={"query": "subscription { memberEvents { __typename } }"},
        headers={"Authorization": f"Bearer {api.member_token(member)}"},
    )

    assert response.status_code == 400
    body = response.json()
    assert body["data"] is None
    assert _codes(body) == ["BAD_REQUEST"]
    assert "WebSocket" in body["errors"][0]["message"]


def test_two_operations_without_an_operation_name_are_refused(api: Api) -> None:
    document = "query A { economy { id } } query B { rewards { edges { cursor } } }"

    refused = api.client.post(api.url, json={"query": document})
    chosen = api.client.post(api.url, json={"query": document, "operationName": "B"})

    assert refused.status_code == 400
    assert refused.json()["data"] is None
    assert _codes(refused.json()) == ["BAD_REQUEST"]
    assert "operationName" in refused.json()["errors"][0]["message"]
    assert chosen.status_code == 200
    assert set(chosen.json()["data"]) == {"rewards"}


def test_one_operation_without_an_operation_name_still_runs(api: Api) -> None:
    body = api.data("query Only { economy { id } }")

    assert body["economy"]["id"]


@pytest.mark.parametrize("role", [["operator"], {"role": "operator"}, 1, None, True])
def test_a_signed_token_whose_role_is_not_a_string_is_unauthenticated(
    api: Api, role: object
) -> None:
    token = jwt.encode({"sub": "ops-1", "role": role, "exp": 4_102_444_800}, SECRET, "HS256")

    body = api.post('{ member(id: "TWVtYmVyOng=") { id } }', token=token)
    public = api.post("{ economy { id } }", token=token)

    assert _codes(body) == ["UNAUTHENTICATED"]
    assert public["data"]["economy"]["id"]  # public fields still answer


@pytest.mark.parametrize("subject", [["ops-1"], {"id": 1}, 7, "mem\x00x", ""])
def test_a_signed_token_whose_subject_is_not_a_member_id_is_unauthenticated(
    api: Api, subject: object
) -> None:
    token = jwt.encode({"sub": subject, "role": "member", "exp": 4_102_444_800}, SECRET)

    body = api.post("{ viewer { id } }", token=token)

    assert _codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("position", ["²", "١٢", str(2**63), "9" * 30, "-1", "1e3", " 1", "1\x00"])
def test_a_reward_cursor_that_is_not_a_position_is_bad_user_input(api: Api, position: str) -> None:
    body = api.post(REWARDS_AFTER, {"after": _cursor(f"reward:{position}")})

    assert body["data"] is None
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "after"


@pytest.mark.parametrize("position", ["²", str(2**63), "1\x00"])
def test_a_ledger_cursor_that_is_not_a_position_is_bad_user_input(api: Api, position: str) -> None:
    member = api.register("ledgercursor")

    body = api.post(
        "query($after: String) { viewer { ledgerEntries(after: $after) { edges { cursor } } } }",
        {"after": _cursor(f"ledger:{position}")},
        token=api.member_token(member),
    )

    assert _codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "after"


def test_the_largest_position_is_still_a_cursor(api: Api) -> None:
    member = api.register("bigcursor")

    body = api.data(
        "query($after: String) { viewer { ledgerEntries(after: $after) { edges { cursor } } } }",
        {"after": _cursor(f"ledger:{2**63 - 1}")},
        token=api.member_token(member),
    )

    assert body["viewer"]["ledgerEntries"]["edges"] == []


def test_a_redemption_cursor_with_a_nul_is_bad_user_input(api: Api) -> None:
    member = api.register("redcursor")

    body = api.post(
        "query($after: String) { viewer { redemptions(after: $after) { edges { cursor } } } }",
        {"after": _cursor("redemption:red\x00x")},
        token=api.member_token(member),
    )

    assert _codes(body) == ["BAD_USER_INPUT"]


def test_a_subscription_over_get_is_a_400_that_points_to_the_websocket(api: Api) -> None:
    member = api.register("subget")

    response = api.client.get(
        api.url,
        params={"query": "subscription { memberEvents { __typename } }"},
        headers={
            "Authorization": f"Bearer {api.member_token(member)}",
            "Accept": "application/json",
        },
    )

    assert response.status_code == 400
    assert _codes(response.json()) == ["BAD_REQUEST"]
    assert "WebSocket" in response.json()["errors"][0]["message"]
