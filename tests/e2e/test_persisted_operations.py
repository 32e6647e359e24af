"""Persisted operations: Apollo's automatic persisted queries (hash first, then hash and
query once, then hash alone) and trusted documents (`honorloop operations add`), which
`HONORLOOP_TRUSTED_DOCUMENTS_ONLY=1` makes the only documents that run, each parsed and
validated once at startup instead of per request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from api.auth import Role
from api.persisted import ManifestInvalid, TrustedDocuments, sha256_hex
from api.schema import build_schema
from api.settings import Settings, SettingsError
from honorloop.cli import main
from tests.e2e.conftest import Api, e2e_settings, live_server

GUIDE = "query Guide { economy { id } }"
OTHER = "query Other { economy { levels { id } } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _persisted(api: Api, digest: str, query: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
    }
    if query is not None:
        body["query"] = query
    return api.client.post(api.url, json=body, headers={"Accept": GRAPHQL_RESPONSE})


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory: Path = tmp_path_factory.mktemp("apq")
    settings = e2e_settings(
        directory,
        f"sqlite:///{directory / 'apq.db'}",
        trusted_documents_path=str(directory / "none.json"),
    )
    with live_server(settings) as server, httpx.Client(timeout=30) as client:
        yield Api(server.base_url, client)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("manifest")
    operation = directory / "guide.graphql"
    operation.write_text(GUIDE, encoding="utf-8")
    path = directory / "trusted-documents.json"
    assert main(["operations", "add", str(operation), "--manifest", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def trusted_only(tmp_path_factory: pytest.TempPathFactory, manifest: Path) -> Iterator[Api]:
    directory: Path = tmp_path_factory.mktemp("trusted")
    settings = e2e_settings(
        directory,
        f"sqlite:///{directory / 'trusted.db'}",
        trusted_documents_path=str(manifest),
        trusted_documents_only=True,
    )
    with live_server(settings) as server, httpx.Client(timeout=30) as client:
        yield Api(server.base_url, client)


def test_an_unknown_hash_is_not_found_then_registered_then_runs_by_hash(api: Api) -> None:
    digest = sha256_hex(GUIDE)

    first = _persisted(api, digest)
    registered = _persisted(api, digest, GUIDE)
    by_hash = _persisted(api, digest)

    assert _code(first) == "PERSISTED_QUERY_NOT_FOUND"
    assert registered.status_code == 200
    assert by_hash.status_code == 200
    assert by_hash.json() == registered.json()
    assert "economy" in by_hash.json()["data"]


def test_a_query_that_does_not_match_its_hash_is_refused(api: Api) -> None:
    response = _persisted(api, sha256_hex(GUIDE), OTHER)

    assert response.status_code == 400
    assert _code(response) == "PERSISTED_QUERY_HASH_MISMATCH"


def test_an_unsupported_persisted_query_version_is_refused(api: Api) -> None:
    response = api.client.post(
        api.url,
        json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}}},
    )

    assert _code(response) == "PERSISTED_QUERY_NOT_SUPPORTED"


def test_the_cli_writes_a_manifest_keyed_by_sha256(manifest: Path) -> None:
    data = json.loads(manifest.read_text(encoding="utf-8"))

    assert data["documents"] == {sha256_hex(GUIDE): GUIDE}


def test_a_trusted_document_runs_by_hash_or_by_its_text(trusted_only: Api) -> None:
    by_hash = _persisted(trusted_only, sha256_hex(GUIDE))
    by_text = trusted_only.client.post(trusted_only.url, json={"query": GUIDE})

    assert "economy" in by_hash.json()["data"]
    assert "economy" in by_text.json()["data"]


def test_only_trusted_documents_run_when_required(trusted_only: Api) -> None:
    plain = trusted_only.client.post(
        trusted_only.url, json={"query": OTHER}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    registration = _persisted(trusted_only, sha256_hex(OTHER), OTHER)

    assert plain.status_code == 400
    assert _code(plain) == "TRUSTED_DOCUMENT_REQUIRED"
    assert _code(registration) == "TRUSTED_DOCUMENT_REQUIRED"


def test_trusted_documents_only_replaces_the_parser_and_validation_caches(
    manifest: Path,
) -> None:
    schema = build_schema(
        Settings(trusted_documents_path=str(manifest), trusted_documents_only=True)
    )

    made = [factory() for factory in schema.extensions]
    parts = [part for made_one in made for part in getattr(made_one, "parts", [made_one])]
    names = {type(part).__name__ for part in parts}
    assert "TrustedDocumentsExtension" in names
    assert not names & {"ParserCache", "ValidationCache"}


def test_a_trusted_document_that_does_not_validate_stops_startup(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    TrustedDocuments().with_document("{ noSuchField }")[0].save(path)

    with pytest.raises(ManifestInvalid, match="noSuchField"):
        build_schema(Settings(trusted_documents_path=str(path), trusted_documents_only=True))


def test_requiring_trusted_documents_without_a_manifest_stops_startup(tmp_path: Path) -> None:
    settings = Settings(
        trusted_documents_path=str(tmp_path / "missing.json"), trusted_documents_only=True
    )

    with pytest.raises(SettingsError, match="HONORLOOP_TRUSTED_DOCUMENTS"):
        settings.validated()


def test_the_cli_refuses_a_document_that_does_not_validate(tmp_path: Path) -> None:
    operation = tmp_path / "bad.graphql"
    operation.write_text("{ noSuchField }", encoding="utf-8")
    path = tmp_path / "trusted.json"

    assert main(["operations", "add", str(operation), "--manifest", str(path)]) == 1
    assert not path.exists()


def test_a_registered_query_runs_by_hash_over_get(api: Api) -> None:
    query = "query ByGet { economy { levels { id } } }"
    digest = sha256_hex(query)
    assert _persisted(api, digest, query).status_code == 200
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})

    response = api.client.get(
        api.url, params={"extensions": extensions}, headers={"Accept": "application/json"}
    )

    assert response.status_code == 200
    assert response.json()["data"]["economy"]["levels"]


async def test_an_untrusted_subscription_is_refused_over_the_websocket(
    trusted_only: Api,
) -> None:
    url = trusted_only.url.replace("http://", "ws://", 1)
    subscription = "subscription { memberEvents { __typename } }"
    token = trusted_only.token("m-1", Role.MEMBER)
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": subscription}})
        )
        reply = json.loads(await ws.recv())

    assert reply["type"] == "error"
    assert reply["payload"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
