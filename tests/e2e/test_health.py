"""Liveness and readiness over HTTP."""

from __future__ import annotations

from tests.e2e.conftest import Api


def test_healthz_answers_ok_without_touching_the_database(api: Api) -> None:
    response = api.client.get(f"{api.base_url}/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_the_database_reachable_and_at_head(api: Api) -> None:
    response = api.client.get(f"{api.base_url}/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "head" in response.json()["detail"]


def test_graphiql_is_served_on_get_in_development_mode(api: Api) -> None:
    response = api.client.get(api.url, headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
