"""A production-mode server: no GraphiQL, no introspection, unexpected exceptions masked
(over a store that fails the way an outage does), and /readyz saying not ready."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import httpx
import pytest

from api.app import Opened
from api.auth import Role
from api.settings import Settings
from domain.economy import Economy
from tests.e2e.conftest import Api, e2e_settings, live_server

LEAK = "password=hunter2"


class BrokenUnitOfWork:
    """Fails on entry like a database that went away, with a detail nobody should see."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def __enter__(self) -> BrokenUnitOfWork:
        raise ConnectionError(f"could not connect: {LEAK}")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


def broken_store(settings: Settings, economy: Economy) -> Opened:
    return Opened(
        store=BrokenUnitOfWork,  # type: ignore[arg-type]  # fails on entry, so it needs no repositories
        ready=lambda: (False, "database unreachable"),
        close=lambda: None,
    )


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory: Path = tmp_path_factory.mktemp("prod")
    settings = e2e_settings(directory, "sqlite:///unused.db", mode="production")
    with live_server(settings, broken_store) as server, httpx.Client(timeout=10) as client:
        yield Api(server.base_url, client)


def test_graphiql_is_not_served_in_production(production: Api) -> None:
    response = production.client.get(production.url, headers={"Accept": "text/html"})

    assert response.status_code != 200
    assert "graphiql" not in response.text.lower()


def test_introspection_is_off_in_production(production: Api) -> None:
    body = production.post("{ __schema { queryType { name } } }")

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_an_unexpected_exception_is_masked_and_coded(production: Api) -> None:
    member_token = production.token("mem_1", Role.MEMBER)

    response = production.client.post(
        production.url,
        json={"query": "{ viewer { id } }"},
        headers={"Authorization": f"Bearer {member_token}"},
    )

    assert LEAK not in response.text
    body = response.json()
    assert body["errors"][0]["message"] == "Unexpected error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}


def test_readyz_is_503_when_the_database_is_not_ready(production: Api) -> None:
    response = production.client.get(f"{production.base_url}/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_healthz_stays_ok_without_the_database(production: Api) -> None:
    response = production.client.get(f"{production.base_url}/healthz")

    assert response.status_code == 200
