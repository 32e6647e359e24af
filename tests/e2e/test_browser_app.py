"""A web app on another origin, in real headless Chromium: it queries over fetch (CORS,
with a preflight for the Authorization header), subscribes with the `graphql-ws` client and
hears `PointsAwarded` after a mutation, over text frames. GraphiQL renders with no network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Request, Route

from tests.e2e.chromium import chromium, static_site
from tests.e2e.conftest import Api, LiveServer, e2e_settings, live_server


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    with static_site() as origin:
        yield origin


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory: pytest.TempPathFactory, page_origin: str) -> Iterator[LiveServer]:
    directory: Path = tmp_path_factory.mktemp("browser")
    settings = e2e_settings(
        directory, f"sqlite:///{directory / 'browser.db'}", cors_origins=page_origin
    )
    with live_server(settings) as server:
        yield server


@pytest.fixture(scope="module")
def cors_api(cors_server: LiveServer) -> Iterator[Api]:
    with httpx.Client(timeout=30) as client:
        yield Api(cors_server.base_url, client)


def test_a_page_on_another_origin_queries_subscribes_and_hears_points_awarded(
    browser: Browser, page_origin: str, cors_api: Api
) -> None:
    member = cors_api.register("browser")
    page = browser.new_page()
    page.goto(f"{page_origin}/app.html")

    outcome: dict[str, Any] = page.evaluate(
        "(args) => window.honorloopScenario(args)",
        {
            "api": cors_api.url,
            "memberToken": cors_api.member_token(member),
            "serviceToken": cors_api.service,
            "memberId": member.id,
        },
    )

    assert outcome["failures"] == []
    assert outcome["viewer"]["status"] == 200
    assert outcome["viewer"]["body"]["data"] == {"viewer": {"handle": member.handle}}
    assert outcome["event"] == {
        "data": {"memberEvents": {"__typename": "PointsAwarded", "points": 1}}
    }
    assert outcome["frameTypes"] == ["string"]  # text frames, not Blobs


def test_graphiql_renders_without_any_network_but_the_apps(
    browser: Browser, cors_server: LiveServer
) -> None:
    elsewhere: list[str] = []

    def only_the_app(route: Route, request: Request) -> None:
        if request.url.startswith(cors_server.base_url):
            route.continue_()
        else:
            elsewhere.append(request.url)
            route.abort()

    page = browser.new_page()
    page.route("**/*", only_the_app)
    page.goto(f"{cors_server.base_url}/graphql", wait_until="networkidle")
    page.wait_for_selector(".graphiql-query-editor")  # GraphiQL itself, past "Loading..."

    assert elsewhere == []
    assert "Loading..." not in page.inner_text("#graphiql")
