"""The database failing the way databases do reaches callers as a typed, retryable error,
or not at all: never as a masked INTERNAL_SERVER_ERROR, and never writing twice.

- Stale pooled connections (PostgreSQL: its backends terminated, as a restart does) are
  dropped and the work runs again: the requests succeed. SQLite has no server connections
  to go stale.
- A database that cannot be reached answers SERVICE_UNAVAILABLE (both stores).
- A deadlocked transaction (PostgreSQL, raised by the server itself from a trigger) runs
  again and writes once; one that keeps deadlocking answers DATABASE_BUSY and writes
  nothing. SQLite has no deadlocks: its writer lock held elsewhere past the busy timeout
  answers DATABASE_BUSY, and nothing is written."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api.app import Opened
from api.auth import utc_now
from api.settings import Settings
from domain.economy import Economy
from persistence.sql import SqlStore
from persistence.sql.engine import normalize_url
from tests.e2e.conftest import (
    RECORD,
    Api,
    Member,
    database_url,
    e2e_settings,
    live_server,
)
from tests.integration.databases import postgres_schema

AT = utc_now().isoformat()  # recent: an activity days old would arrive too late
UNREACHABLE = {
    "sqlite": "sqlite:///{directory}/missing/dir/honorloop.db",
    "postgres": "postgresql://postgres@127.0.0.1:1/nothing",
}
DEADLOCK_TRIGGER = """
CREATE SEQUENCE deadlocks_twice;
CREATE FUNCTION inject_deadlock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.subject_id = 'deadlock-always'
     OR (starts_with(NEW.subject_id, 'deadlock-twice-') AND nextval('deadlocks_twice') <= 2) THEN
    RAISE EXCEPTION 'injected deadlock' USING ERRCODE = 'deadlock_detected';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER inject_deadlock BEFORE INSERT ON activities
  FOR EACH ROW EXECUTE FUNCTION inject_deadlock();
"""


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


def _record(api: Api, member: Member, subject: str, key: str) -> dict[str, Any]:
    item = {
        "memberId": member.id,
        "kind": "interaction",
        "subjectId": subject,
        "idempotencyKey": key,
        "occurredAt": AT,
    }
    return api.post(RECORD, {"input": item}, api.service)


def _available(api: Api, member: Member) -> int:
    data = api.data("{ viewer { points { available } } }", token=api.member_token(member))
    points: int = data["viewer"]["points"]["available"]
    return points


@pytest.fixture(scope="module")
def postgres_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, str, str]]:
    """A server on PostgreSQL whose connections carry a name of their own (to find and
    terminate them), with a trigger that injects deadlocks; yields (api, url, name)."""
    directory = tmp_path_factory.mktemp("outage")
    with postgres_schema() as schema_url:
        name = f"hl_outage_{secrets.token_hex(4)}"
        url = make_url(schema_url).update_query_dict({"application_name": name})
        rendered = url.render_as_string(hide_password=False)
        with (
            live_server(e2e_settings(directory, rendered)) as server,
            httpx.Client(timeout=60) as client,
        ):
            admin = sa.create_engine(normalize_url(rendered), poolclass=sa.pool.NullPool)
            with admin.begin() as connection:
                connection.exec_driver_sql(DEADLOCK_TRIGGER)
            admin.dispose()
            yield Api(server.base_url, client), rendered, name


def _terminate(url: str, name: str) -> int:
    admin = sa.create_engine(normalize_url(url), poolclass=sa.pool.NullPool)
    try:
        with admin.begin() as connection:
            ended = connection.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            ).scalar_one()
    finally:
        admin.dispose()
    return int(ended)


@pytest.mark.postgres
def test_stale_pooled_connections_are_replaced_without_failing_requests(
    postgres_api: tuple[Api, str, str],
) -> None:
    api, url, name = postgres_api
    member = api.register("stale")
    with ThreadPoolExecutor(max_workers=8) as pool:  # writers queue on the member's row lock,
        list(pool.map(lambda n: _record(api, member, f"w-{n}", f"w-{n}"), range(16)))  # each
    assert _terminate(url, name) > 1  # holding a pooled connection meanwhile

    first = _record(api, member, "s-first", f"stale-first-{member.raw_id}")  # alone
    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(
            pool.map(
                lambda n: _record(api, member, f"s-{n}", f"stale-{n}-{member.raw_id}"),
                range(16),
            )
        )

    assert _codes(first) == []  # its retry did not meet the next stale connection
    assert [_codes(b) for b in bodies] == [[]] * 16
    assert {b["data"]["recordActivity"]["replayed"] for b in bodies} == {False}


@pytest.mark.postgres
def test_a_deadlocked_transaction_runs_again_and_writes_once(
    postgres_api: tuple[Api, str, str],
) -> None:
    api, _, _ = postgres_api
    member = api.register("deadlock")

    body = _record(api, member, f"deadlock-twice-{member.raw_id}", secrets.token_hex(8))

    assert _codes(body) == []
    assert body["data"]["recordActivity"]["__typename"] == "RecordActivityPayload"
    assert _available(api, member) == 1


@pytest.mark.postgres
def test_a_transaction_that_keeps_deadlocking_is_database_busy_and_writes_nothing(
    postgres_api: tuple[Api, str, str],
) -> None:
    api, _, _ = postgres_api
    member = api.register("busy")

    body = _record(api, member, "deadlock-always", secrets.token_hex(8))

    assert body["data"] is None
    assert _codes(body) == ["DATABASE_BUSY"]
    assert body["errors"][0]["extensions"]["retryable"] is True
    assert body["errors"][0]["extensions"]["outcome"] == "not_written"
    assert _available(api, member) == 0


def test_a_sqlite_writer_lock_held_elsewhere_is_database_busy_and_writes_nothing(
    tmp_path: Path,
) -> None:
    with (
        database_url("sqlite", tmp_path) as url,
        live_server(e2e_settings(tmp_path, url)) as server,
        httpx.Client(timeout=60) as client,
    ):
        api = Api(server.base_url, client)
        member = api.register("locked")
        key = secrets.token_hex(8)
        other = sqlite3.connect(str(tmp_path / "e2e.db"), isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process's writer, holding the lock
            refused = _record(api, member, "s-1", key)
        finally:
            other.execute("ROLLBACK")
            other.close()
        retried = _record(api, member, "s-1", key)

    assert _codes(refused) == ["DATABASE_BUSY"]
    assert refused["errors"][0]["extensions"]["retryable"] is True
    assert _codes(retried) == []
    assert retried["data"]["recordActivity"]["replayed"] is False  # the first wrote nothing


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """A server whose store points at a database that is not there (real drivers, real
    failures); startup itself runs on a working database."""
    target = UNREACHABLE[request.param].format(directory=tmp_path)

    def opener(settings: Settings, economy: Economy) -> Opened:
        store = SqlStore(target)
        return Opened(store=store, ready=lambda: (False, "down"), close=store.dispose)

    with (
        database_url(request.param, tmp_path) as url,
        live_server(e2e_settings(tmp_path, url), opener) as server,
        httpx.Client(timeout=60) as client,
    ):
        yield Api(server.base_url, client)


def test_a_database_that_cannot_be_reached_is_service_unavailable(unreachable: Api) -> None:
    api = unreachable
    member = Member("TWVtYmVyOm0tMQ==", "m-1", "m1")

    read = api.post("{ viewer { handle } }", token=api.member_token(member))
    write = _record(api, member, "s-1", secrets.token_hex(8))

    for body in (read, write):
        assert _codes(body) == ["SERVICE_UNAVAILABLE"], body
        assert body["errors"][0]["extensions"]["retryable"] is True
