"""Limits and error codes over HTTP: depth, tokens, aliases, page size, cursors, ids,
request body size, and the codes of parse and validation failures."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api


def _codes(body: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in body["errors"]}


def test_a_query_deeper_than_the_limit_is_refused(api: Api) -> None:
    inner = "id"
    for _ in range(4):
        inner = f"redemptions {{ edges {{ node {{ member {{ {inner} }} }} }} }}"
    member = api.register("deep")

    body = api.post(f"{{ viewer {{ {inner} }} }}", token=api.member_token(member))

    assert body["data"] is None
    assert _codes(body) == {"LIMIT_EXCEEDED"}
    assert "depth" in body["errors"][0]["message"]


def test_a_query_with_too_many_tokens_is_refused(api: Api) -> None:
    body = api.post("{ economy { " + "id " * 2500 + "} }")

    assert body["data"] is None
    assert _codes(body) == {"LIMIT_EXCEEDED"}


def test_a_query_with_too_many_aliases_is_refused(api: Api) -> None:
    aliases = " ".join(f"e{n}: economy {{ id }}" for n in range(31))

    body = api.post(f"{{ {aliases} }}")

    assert body["data"] is None
    assert _codes(body) == {"LIMIT_EXCEEDED"}


def test_pages_larger_than_one_hundred_are_bad_user_input(api: Api) -> None:
    member = api.register("pages")

    rewards = api.post("{ rewards(first: 101) { edges { cursor } } }")
    ledger = api.post(
        "{ viewer { ledgerEntries(first: 101) { edges { cursor } } } }",
        token=api.member_token(member),
    )
    board = api.post("{ leaderboard(first: 101) { rank } }")

    for body in (rewards, ledger, board):
        assert _codes(body) == {"BAD_USER_INPUT"}
        assert body["errors"][0]["extensions"]["field"] == "first"


def test_a_cursor_from_another_connection_is_bad_user_input(api: Api) -> None:
    member = api.register("cursors")
    reward_cursor = api.data("{ rewards(first: 1) { pageInfo { endCursor } } }")["rewards"][
        "pageInfo"
    ]["endCursor"]

    body = api.post(
        "query($after: String) { viewer { ledgerEntries(after: $after) { edges { cursor } } } }",
        {"after": reward_cursor},
        api.member_token(member),
    )

    assert _codes(body) == {"BAD_USER_INPUT"}


def test_a_malformed_global_id_is_bad_user_input(api: Api) -> None:
    member = api.register("ids")

    body = api.post(
        "query($id: ID!) { node(id: $id) { id } }", {"id": "not-an-id"}, api.member_token(member)
    )

    assert _codes(body) == {"BAD_USER_INPUT"}


def test_a_body_over_the_size_limit_is_refused_with_413(api: Api) -> None:
    padding = "#" + "x" * (1024 * 1024 + 10) + "\n"

    response = api.client.post(api.url, json={"query": padding + "{ economy { id } }"})

    assert response.status_code == 413


def test_parse_and_validation_failures_carry_their_codes(api: Api) -> None:
    broken = api.post("{ economy { id ")
    unknown = api.post("{ economy { nope } }")

    assert _codes(broken) == {"GRAPHQL_PARSE_FAILED"}
    assert _codes(unknown) == {"GRAPHQL_VALIDATION_FAILED"}


def test_introspection_is_on_in_development_mode(api: Api) -> None:
    body = api.post("{ __schema { queryType { name } } }")

    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
