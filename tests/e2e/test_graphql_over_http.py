"""GraphQL over HTTP as its spec says: the spec's own audit suite (graphql-http, run by
node) passes every MUST, SHOULD and MAY; `application/graphql-response+json` when accepted,
with 400 and no `data` for requests that fail before execution; GET runs queries, never
mutations; bodies that are not JSON get 415."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.graphql_http import preferred_media_type
from tests.e2e.conftest import Api, e2e_settings, live_server

AUDIT = Path(__file__).resolve().parents[1] / "fixtures" / "graphql-http" / "audit.js"
GRAPHQL_RESPONSE = "application/graphql-response+json"
audit_timeout_s = 120


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One server on SQLite: the HTTP layer does not depend on the database."""
    directory: Path = tmp_path_factory.mktemp("http")
    settings = e2e_settings(directory, f"sqlite:///{directory / 'http.db'}")
    with live_server(settings) as server, httpx.Client(timeout=30) as client:
        yield Api(server.base_url, client)


def _node() -> str:
    found = shutil.which("node")
    if found is None:
        message = "node is not installed (the graphql-http audits run on node)"
        if os.environ.get("HONORLOOP_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_every_audit_of_the_graphql_over_http_spec_passes(api: Api) -> None:
    completed = subprocess.run(
        [_node(), str(AUDIT), api.url],
        capture_output=True,
        text=True,
        check=False,
        timeout=audit_timeout_s,
    )
    assert completed.returncode == 0, completed.stderr
    results: list[dict[str, Any]] = json.loads(completed.stdout)

    failed = [f"{r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    assert len(results) >= 50
    assert failed == []


def test_a_client_accepting_graphql_response_json_gets_it(api: Api) -> None:
    response = api.client.post(
        api.url, json={"query": "{ economy { id } }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "economy" in response.json()["data"]


def test_a_document_that_does_not_validate_is_a_400_without_data(api: Api) -> None:
    response = api.client.post(
        api.url, json={"query": "{ noSuchField }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )

    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_a_plain_json_client_keeps_200_with_null_data(api: Api) -> None:
    response = api.client.post(
        api.url, json={"query": "{ noSuchField }"}, headers={"Accept": "application/json"}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["data"] is None


def test_a_query_runs_over_get(api: Api) -> None:
    response = api.client.get(
        api.url, params={"query": "{ economy { id } }"}, headers={"Accept": "application/json"}
    )

    assert response.status_code == 200
    assert "economy" in response.json()["data"]


def test_a_mutation_over_get_is_405(api: Api) -> None:
    mutation = (
        'mutation { registerMember(input: {handle: "get1", displayName: "g"}) { __typename } }'
    )
    response = api.client.get(
        api.url,
        params={"query": mutation},
        headers={"Accept": "application/json", "Authorization": f"Bearer {api.service}"},
    )

    assert response.status_code == 405


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data"])
def test_a_body_that_is_not_json_is_415(api: Api, content_type: str) -> None:
    response = api.client.post(
        api.url, content=b'{"query": "{ economy { id } }"}', headers={"Content-Type": content_type}
    )

    assert response.status_code == 415


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        (f"{GRAPHQL_RESPONSE};q=0", "application/json"),
    ],
)
def test_the_response_media_type_follows_accept(accept: str | None, expected: str) -> None:
    assert preferred_media_type(accept) == expected
