"""Production mode hides the schema: no introspection, and no "Did you mean ...?" hints
in validation or variable errors (they would name fields and values introspection hides).
Development keeps the hints. Both stores."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import DATABASES, Api, database_url, e2e_settings, live_server

MISSPELT = [
    "{ economyy { id } }",
    "{ economy { idd } }",
    "{ leaderboard(period: WEKK) { rank } }",
    "{ rewards(firstt: 1) { edges { cursor } } }",
]
BAD_VARIABLE = "query($p: LeaderboardPeriod!) { leaderboard(period: $p) { rank } }"


@pytest.fixture(scope="module", params=DATABASES)
def production(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("suggest")
    with (
        database_url(request.param, directory) as url,
        live_server(e2e_settings(directory, url, mode="production")) as server,
        httpx.Client(timeout=30) as client,
    ):
        yield Api(server.base_url, client)


def _messages(api: Api, query: str, variables: dict[str, object] | None = None) -> list[str]:
    body = api.post(query, variables)
    assert body.get("data") is None, body
    return [e["message"] for e in body["errors"]]


@pytest.mark.parametrize("query", MISSPELT)
def test_production_errors_carry_no_suggestions(production: Api, query: str) -> None:
    messages = _messages(production, query)

    assert messages
    assert not any("Did you mean" in m for m in messages), messages


def test_production_variable_errors_carry_no_suggestions(production: Api) -> None:
    messages = _messages(production, BAD_VARIABLE, {"p": "WEKK"})

    assert messages
    assert not any("Did you mean" in m for m in messages), messages


def test_development_errors_still_suggest(api: Api) -> None:
    messages = _messages(api, MISSPELT[0])

    assert any("Did you mean 'economy'" in m for m in messages), messages
