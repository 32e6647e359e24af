"""After PostgreSQL drops every connection (a restart, or backends terminated), the first
unit of work that meets a stale pooled connection runs again, and the connection it runs
on is a fresh one: the other stale pooled connections are replaced at checkout, not tried
in turn. PostgreSQL only: SQLite has no server connections to go stale."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from domain.ports import UnitOfWork
from persistence.sql import SqlStore, failures, migrate
from persistence.sql.engine import normalize_url
from tests.integration.databases import postgres_schema

pytestmark = pytest.mark.postgres
pooled_connections = 4


@pytest.fixture
def named_store() -> Iterator[tuple[SqlStore, str]]:
    """A store whose connections carry a name of their own, to find and terminate them."""
    with postgres_schema() as url:
        migrate(url)
        name = f"hl_stale_{secrets.token_hex(4)}"
        named = make_url(url).update_query_dict({"application_name": name})
        store = SqlStore(named.render_as_string(hide_password=False))
        yield store, name
        store.dispose()


def _fill_pool(store: SqlStore, count: int) -> None:
    """Hold `count` units of work open at once, each on its own connection, then return them."""
    held: list[UnitOfWork] = []
    for _ in range(count):
        uow = store()
        uow.__enter__()
        uow.members.get("nobody")
        held.append(uow)
    for done in held:
        done.__exit__(None, None, None)


def _terminate(store: SqlStore, name: str) -> int:
    admin = sa.create_engine(normalize_url(store.url), poolclass=sa.pool.NullPool)
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


def _read(uow: UnitOfWork) -> None:
    with uow:
        assert uow.members.get("nobody") is None


def test_one_retry_is_enough_after_every_pooled_connection_went_stale(
    named_store: tuple[SqlStore, str],
) -> None:
    store, name = named_store
    _fill_pool(store, pooled_connections)
    assert _terminate(store, name) == pooled_connections

    for _ in range(pooled_connections):
        failures.run(store, _read)  # raises DatabaseUnavailable if a retry met a stale one


def test_a_database_that_stays_away_is_unavailable_after_one_retry(
    named_store: tuple[SqlStore, str],
) -> None:
    store, _ = named_store
    down = SqlStore("postgresql://postgres@127.0.0.1:1/nothing")
    try:
        with pytest.raises(failures.DatabaseUnavailable) as raised:
            failures.run(down, _read)
    finally:
        down.dispose()

    assert raised.value.failure is failures.Failure.DISCONNECTED
    assert raised.value.outcome is failures.Outcome.NOT_WRITTEN
    assert store.url  # the working store is untouched
