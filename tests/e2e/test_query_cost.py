"""The query cost limit, like GitHub's node limit: the product of `first` along each path,
summed; the cost is reported in `extensions`, and over the ceiling nothing runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from graphql import parse

from api.cost import CostCache, operation_cost
from api.schema import build_schema
from api.settings import Settings
from tests.e2e.conftest import Api, e2e_settings, live_server

cost_max = 150


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory: Path = tmp_path_factory.mktemp("cost")
    settings = e2e_settings(
        directory, f"sqlite:///{directory / 'cost.db'}", query_cost_max=cost_max
    )
    with live_server(settings) as server, httpx.Client(timeout=30) as client:
        yield Api(server.base_url, client)


def _cost(query: str, variables: dict[str, object] | None = None) -> int:
    schema = build_schema(Settings())._schema
    return operation_cost(schema, parse(query), None, variables)


def test_a_connection_costs_its_first() -> None:
    assert _cost("{ rewards(first: 50) { edges { node { id } } } }") == 50


def test_a_missing_first_costs_its_default() -> None:
    assert _cost("{ viewer { ledgerEntries { edges { cursor } } } }") == 20


def test_a_connection_without_a_declared_default_costs_the_page_limit() -> None:
    assert _cost("{ rewards { edges { node { id } } } }") == 100


def test_last_counts_like_first() -> None:
    assert _cost("{ rewards(last: 7) { edges { node { id } } } }") == 7


def test_counts_multiply_along_a_path_and_add_up_across_fields() -> None:
    query = """
    query($n: Int!) {
      viewer {
        ledgerEntries(first: $n) { edges { cursor } }
        redemptions(first: 5) { edges { cursor } }
      }
      leaderboard(first: 10) { points }
    }"""

    assert _cost(query, {"n": 30}) == 30 + 5 + 10


def test_fragments_count_like_the_fields_they_hold() -> None:
    query = """
    { rewards(first: 10) { ...Page } }
    fragment Page on RewardConnection { edges { node { id } } }
    """

    assert _cost(query) == 10


def test_the_cost_is_reported_in_extensions(api: Api) -> None:
    body = api.post("{ rewards(first: 40) { edges { node { id } } } }")

    assert body["extensions"]["cost"] == {"requestedNodes": 40, "maximum": cost_max}


def test_a_query_over_the_ceiling_is_refused_before_execution(api: Api) -> None:
    body = api.post(
        "{ rewards(first: 100) { edges { node { id } } } hallOfFame(first: 100) { member { id } } }"
    )

    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert error["extensions"]["cost"] == 200


def test_a_cost_is_kept_per_document_only_when_no_variable_gives_a_count() -> None:
    schema = build_schema(Settings())._schema
    cache = CostCache()
    fixed = parse("{ rewards(first: 50) { edges { node { id } } } }")
    by_variable = parse("query($n: Int!) { rewards(first: $n) { edges { node { id } } } }")

    assert cache.cost(schema, fixed, None, {}) == cache.cost(schema, fixed, None, {}) == 50
    assert cache.cost(schema, by_variable, None, {"n": 3}) == 3
    assert cache.cost(schema, by_variable, None, {"n": 70}) == 70
    assert (
        cache.cost(schema, parse("{ rewards(first: 9) { pageInfo { hasNextPage } } }"), None, {})
        == 9
    )


def test_the_same_document_is_limited_by_each_request_variables(api: Api) -> None:
    query = "query($n: Int!) { rewards(first: $n) { edges { node { id } } } }"
    allowed = api.post(query, {"n": 40})
    refused = api.post(query, {"n": cost_max + 1})
    again = api.post(query, {"n": 40})

    assert allowed["extensions"]["cost"]["requestedNodes"] == 40
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert again == allowed
