"""End-to-end fixtures: a real uvicorn server on a free loopback port, one per test module
and database (SQLite always; PostgreSQL when HONORLOOP_TEST_POSTGRES_URL is set, skipped
with a message otherwise, and failed instead of skipped when HONORLOOP_REQUIRE_SERVICES=1),
and a small GraphQL client over httpx; and, for the specs of the lean paths, a schema with
them and one without over one in-process runtime (`lean_paths`)."""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
import uvicorn

from api.app import Opened, create_app, load_economy, open_sql_store
from api.auth import Role, Viewer, mint_token, utc_now
from api.context import Context
from api.economy_types import GuideIndex
from api.events import Broker
from api.loaders import Loaders
from api.runtime import Runtime, db_executor
from api.schema import build_schema
from api.settings import Settings
from domain import services
from domain.commands import AdjustPoints, RegisterMember
from domain.economy import Economy
from domain.guide import build_guide
from tests.integration.databases import postgres_schema

REQUIRE_ENV = "HONORLOOP_REQUIRE_SERVICES"
SAMPLE_ECONOMY = Path(__file__).resolve().parents[2] / "economies" / "koc_community.toml"
SECRET = "e2e-secret-" + "x" * 40
startup_timeout_s = 20.0

# The sample economy plus rewards that make every redemption outcome reachable.
E2E_REWARDS = """
[rewards.e2e_scarce]
title = "Scarce test reward"
tier = "merch"
price = 10
stock = 10
fulfilment = "shipping"

[rewards.e2e_closed]
title = "Closed test reward"
tier = "merch"
price = 10
stock = "unlimited"
available_until = 2020-01-01T00:00:00+00:00
fulfilment = "shipping"
"""

DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class LiveServer:
    """uvicorn serving `create_app(settings)` in a thread, on a port the OS picked."""

    settings: Settings
    opener: Callable[[Settings, Economy], Opened] = open_sql_store
    clock: Callable[[], datetime] = utc_now
    base_url: str = ""
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            create_app(self.settings, opener=self.opener, clock=self.clock),
            host="127.0.0.1",
            port=0,
            log_level="warning",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + startup_timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the e2e server did not start")
            time.sleep(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        assert self._server is not None
        assert self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)


class GraphQLFailed(AssertionError):
    pass


@dataclass
class Api:
    """A GraphQL client for one live server, with tokens for every role."""

    base_url: str
    client: httpx.Client
    handles: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"{self.base_url}/graphql"

    def token(self, subject: str, role: Role) -> str:
        return mint_token(SECRET, subject, role, timedelta(hours=1), utc_now())

    def member_token(self, member: Member) -> str:
        return self.token(member.raw_id, Role.MEMBER)

    @property
    def operator(self) -> str:
        return self.token("ops-1", Role.OPERATOR)

    @property
    def service(self) -> str:
        return self.token("ingest", Role.SERVICE)

    def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The whole response body (data and errors)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.post(
            self.url, json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The data of a response that must have no errors."""
        body = self.post(query, variables, token)
        if body.get("errors"):
            raise GraphQLFailed(body["errors"])
        result: dict[str, Any] = body["data"]
        return result

    # --- builders ------------------------------------------------------------------------

    def register(self, prefix: str = "m") -> Member:
        handle = f"{prefix}{next(self.handles)}_{secrets.token_hex(3)}"
        result = self.data(
            REGISTER, {"input": {"handle": handle, "displayName": handle}}, self.service
        )
        payload = result["registerMember"]
        assert payload["__typename"] == "RegisterMemberPayload", payload
        return Member(payload["member"]["id"], raw_id(payload["member"]["id"]), handle)

    def give(self, member: Member, points: int) -> None:
        result = self.data(
            ADJUST,
            {
                "input": {
                    "memberId": member.id,
                    "amount": points,
                    "reason": "e2e setup",
                    "idempotencyKey": secrets.token_hex(8),
                }
            },
            self.operator,
        )
        assert result["adjustPoints"]["__typename"] == "AdjustPointsPayload", result

    def record(self, member: Member, kind: str, **extra: Any) -> dict[str, Any]:
        item = {
            "memberId": member.id,
            "kind": kind,
            "idempotencyKey": secrets.token_hex(8),
            "occurredAt": utc_now().isoformat(),
        }
        item.update(extra)
        result: dict[str, Any] = self.data(RECORD, {"input": item}, self.service)["recordActivity"]
        return result

    def redeem(self, member: Member, reward: str, key: str, quantity: int = 1) -> dict[str, Any]:
        result: dict[str, Any] = self.data(
            REDEEM,
            {"input": {"rewardId": reward_id(reward), "quantity": quantity, "idempotencyKey": key}},
            self.member_token(member),
        )["redeemReward"]
        return result


@dataclass(frozen=True)
class Member:
    id: str  # Relay global id
    raw_id: str
    handle: str


def global_id(type_name: str, node_id: str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


def raw_id(global_id: str) -> str:
    return base64.b64decode(global_id).decode().partition(":")[2]


def reward_id(reward: str) -> str:
    return global_id("Reward", reward)


REGISTER = """
mutation Register($input: RegisterMemberInput!) {
  registerMember(input: $input) {
    __typename
    ... on RegisterMemberPayload { member { id handle } }
    ... on UserError { message }
  }
}
"""

ADJUST = """
mutation Adjust($input: AdjustPointsInput!) {
  adjustPoints(input: $input) {
    __typename
    ... on AdjustPointsPayload { balance replayed transferId }
    ... on UserError { message }
    ... on InsufficientPoints { balance required }
  }
}
"""

RECORD = """
mutation Record($input: RecordActivityInput!) {
  recordActivity(input: $input) {
    __typename
    ... on RecordActivityPayload {
      replayed
      activity { id kind points lines { ruleId points reason } }
      events { __typename ... on PointsAwarded { points } ... on HonorGranted { honorId } }
      member { id handle }
    }
    ... on UserError { message }
    ... on InvalidInput { field }
  }
}
"""

REDEEM = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) {
    __typename
    ... on RedeemRewardPayload { replayed redemption { id status points quantity } }
    ... on UserError { message }
    ... on InsufficientPoints { balance required }
    ... on OutOfStock { available requested }
    ... on LimitReached { limit already }
    ... on NotEligible { requiredLevel }
    ... on RewardUnavailable { reason }
    ... on IdempotencyKeyReused { key }
    ... on NotFound { kind id }
    ... on InvalidInput { field }
  }
}
"""


def e2e_economy_file(directory: Path) -> Path:
    path = directory / "economy.toml"
    path.write_text(SAMPLE_ECONOMY.read_text(encoding="utf-8") + E2E_REWARDS, encoding="utf-8")
    return path


def e2e_settings(directory: Path, database_url: str, **changes: Any) -> Settings:
    return Settings(
        economy_path=str(e2e_economy_file(directory)),
        database_url=database_url,
        jwt_secret=SECRET,
        **changes,
    ).validated()


@contextmanager
def live_server(
    settings: Settings,
    opener: Callable[[Settings, Economy], Opened] = open_sql_store,
    clock: Callable[[], datetime] = utc_now,
) -> Iterator[LiveServer]:
    """`clock`: when the server thinks a request arrived (a replay passes its stream's time)."""
    server = LiveServer(settings, opener, clock)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def database_url(kind: str, directory: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'e2e.db'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="module", params=DATABASES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One live server per test module and database, migrated at startup."""
    directory = tmp_path_factory.mktemp("e2e")
    with (
        database_url(request.param, directory) as url,
        live_server(e2e_settings(directory, url)) as live,
    ):
        yield live


@pytest.fixture(scope="module")
def api(server: LiveServer) -> Iterator[Api]:
    with httpx.Client(timeout=30) as client:
        yield Api(server.base_url, client)


@pytest.fixture(scope="module")
def economy(server: LiveServer) -> Economy:
    """The economy the server runs (the sample plus the e2e rewards)."""
    return load_economy(server.settings.economy_path)


@dataclass
class LeanPaths:
    """Both schemas, with the lean paths (`api.lean`, `api.lean_reads`) and without, over
    one runtime, with two members that have points."""

    lean: strawberry.Schema
    plain: strawberry.Schema
    runtime: Runtime
    member: str  # raw id
    other: str  # raw id of a second member

    def run(
        self, lean: bool, document: str, variables: dict[str, Any], viewer: Viewer | None
    ) -> dict[str, Any]:
        schema = self.lean if lean else self.plain
        context = Context(self.runtime, Loaders.create(self.runtime), viewer=viewer)
        result = asyncio.run(schema.execute(document, variables, context_value=context))
        return {
            "data": result.data,
            "errors": [e.formatted for e in result.errors or ()],
            "extensions": result.extensions,
        }

    def pair(
        self, document: str, variables: dict[str, Any], viewer: Viewer | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The lean answer and the plain one (for operations that write: each path once)."""
        return self.run(True, document, variables, viewer), self.run(
            False, document, variables, viewer
        )

    def same(
        self, document: str, variables: dict[str, Any] | None = None, viewer: Viewer | None = None
    ) -> dict[str, Any]:
        """The lean answer, once it is known to be the plain one."""
        lean = self.run(True, document, variables or {}, viewer)
        plain = self.run(False, document, variables or {}, viewer)
        assert lean == plain
        return lean


@pytest.fixture(scope="module", params=DATABASES)
def lean_paths(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LeanPaths]:
    """`LeanPaths` on a fresh database per module (SQLite, and PostgreSQL when set)."""
    directory: Path = tmp_path_factory.mktemp("lean")
    with database_url(request.param, directory) as url:
        settings = e2e_settings(directory, url)
        economy = load_economy(settings.economy_path)
        opened = open_sql_store(settings, economy)
        executor = db_executor()
        try:
            at = utc_now()
            ids = []
            for n in range(2):
                member = services.register_member(
                    RegisterMember(f"lean{n}-{secrets.token_hex(3)}", "Lean", at),
                    opened.store(),
                    economy,
                )
                services.adjust_points(
                    AdjustPoints(member.id, 10_000, "setup", "ops", f"lean-give-{n}", at),
                    opened.store(),
                    economy,
                )
                ids.append(member.id)
            guide = GuideIndex(build_guide(economy))
            runtime = Runtime(settings, economy, guide, opened.store, Broker(), executor)
            yield LeanPaths(
                build_schema(settings), build_schema(settings, lean=False), runtime, *ids
            )
        finally:
            executor.shutdown(wait=True)
            opened.close()
