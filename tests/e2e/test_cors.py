"""Browsers on other origins: only the origins in HONORLOOP_CORS_ORIGINS may call the API
(preflights answered, CORS headers on responses) or open its WebSocket; none by default;
`*` is refused in production mode. GraphiQL's files come from the app itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from api.cors import parse_origins
from api.graphiql import assets_of, missing_assets, offline_page
from api.settings import Settings, SettingsError
from tests.e2e.conftest import Api, e2e_settings, live_server

APP = "https://app.example.com"
OTHER = "https://evil.example.net"
PROTOCOL = "graphql-transport-ws"


def _preflight(api: Api, origin: str) -> httpx.Response:
    return api.client.options(
        api.url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


@pytest.fixture(scope="module")
def with_origins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory: Path = tmp_path_factory.mktemp("cors")
    settings = e2e_settings(directory, f"sqlite:///{directory / 'c.db'}", cors_origins=APP)
    with live_server(settings) as server, httpx.Client(timeout=10) as client:
        yield Api(server.base_url, client)


@pytest.fixture(scope="module")
def without_origins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory: Path = tmp_path_factory.mktemp("nocors")
    settings = e2e_settings(directory, f"sqlite:///{directory / 'n.db'}")
    with live_server(settings) as server, httpx.Client(timeout=10) as client:
        yield Api(server.base_url, client)


def test_a_preflight_from_a_listed_origin_is_allowed(with_origins: Api) -> None:
    response = _preflight(with_origins, APP)

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


def test_a_preflight_from_an_unlisted_origin_is_refused(with_origins: Api) -> None:
    response = _preflight(with_origins, OTHER)

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_a_cross_origin_query_carries_the_allow_origin_header(with_origins: Api) -> None:
    response = with_origins.client.post(
        with_origins.url, json={"query": "{ economy { id } }"}, headers={"Origin": APP}
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP


def test_no_origin_is_allowed_by_default(without_origins: Api) -> None:
    response = _preflight(without_origins, APP)

    assert "access-control-allow-origin" not in response.headers


async def test_a_listed_origin_may_open_the_websocket(with_origins: Api) -> None:
    url = with_origins.url.replace("http://", "ws://", 1)
    async with connect(url, subprotocols=[PROTOCOL], origin=APP) as ws:  # type: ignore[list-item,arg-type]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        frame = await ws.recv()

    assert isinstance(frame, str)  # a text frame: browsers hand binary ones over as Blobs
    assert json.loads(frame)["type"] == "connection_ack"


async def test_an_unlisted_origin_is_refused_the_websocket(with_origins: Api) -> None:
    url = with_origins.url.replace("http://", "ws://", 1)
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, subprotocols=[PROTOCOL], origin=OTHER):  # type: ignore[list-item,arg-type]
            pass

    assert refused.value.response.status_code == 403


def test_origins_are_normalized_as_browsers_send_them() -> None:
    assert parse_origins("https://App.Example.com:443, http://localhost:5173,") == (
        APP,
        "http://localhost:5173",
    )


@pytest.mark.parametrize("raw", ["app.example.com", "https://app.example.com/path", "ftp://x"])
def test_an_entry_that_is_not_an_origin_stops_startup(raw: str) -> None:
    with pytest.raises(SettingsError, match="HONORLOOP_CORS_ORIGINS"):
        Settings(cors_origins=raw).validated()


def test_any_origin_is_refused_in_production_mode() -> None:
    with pytest.raises(SettingsError, match="HONORLOOP_CORS_ORIGINS"):
        Settings(mode="production", jwt_secret="s" * 40, cors_origins="*").validated()


def test_any_origin_is_allowed_in_development_mode() -> None:
    assert Settings(cors_origins="*").validated().cors_origin_list == ("*",)


def test_the_graphiql_page_loads_only_files_the_app_serves(without_origins: Api) -> None:
    page = without_origins.client.get(without_origins.url, headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert "https://" not in "".join(
        line for line in page.text.splitlines() if "src=" in line or "href=" in line
    )
    assets = assets_of(page.text)
    assert len(assets) >= 5
    assert missing_assets(page.text) == []
    for path in assets:
        assert without_origins.client.get(without_origins.base_url + path).status_code == 200


def test_the_offline_page_points_at_the_app_instead_of_the_cdn() -> None:
    assert offline_page('<script src="https://unpkg.com/react@18.2.0/x.js">') == (
        '<script src="/graphiql-static/react@18.2.0/x.js">'
    )
