"""Engines: plain URLs pick our drivers, and SQLite connections are set up for short
serialized writes (WAL, synchronous=NORMAL, a busy timeout, foreign keys)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from domain import services
from domain.commands import RegisterMember
from domain.errors import InvalidInput, NotFound
from persistence.sql import SqlStore, migrate
from persistence.sql.engine import busy_timeout_ms, make_engine, normalize_url
from tests.integration.databases import sqlite_url
from tests.integration.shop import DEFAULT_AT
from tests.unit.builders import economy_from

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 10
"""
)


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u@db:5432/app", "postgresql+psycopg"),
        ("postgres://u@db/app", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db/app", "postgresql+psycopg"),
        ("sqlite:///honorloop.db", "sqlite+pysqlite"),
    ],
)
def test_plain_urls_pick_the_drivers_we_ship(given: str, driver: str) -> None:
    assert normalize_url(given).drivername == driver


@pytest.mark.parametrize("given", ["sqlite://", "sqlite:///:memory:", "mysql://u@db/app", "x"])
def test_urls_we_cannot_serve_are_refused_by_name(given: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalize_url(given)

    assert refused.value.field == "databaseUrl"


def test_sqlite_connections_are_set_up_for_serialized_writes(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    try:
        with engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
            }
    finally:
        engine.dispose()

    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "busy_timeout": busy_timeout_ms,
        "foreign_keys": 1,
    }


def _fail_after_locking(store: SqlStore, member_id: str) -> None:
    with store() as uow:
        uow.members.get_for_update(member_id)
        uow.seasons.add_points("s", member_id, 1)
        raise NotFound("member", "nobody")


def test_sqlite_units_of_work_hand_back_connections_outside_any_transaction(
    tmp_path: Path,
) -> None:
    """SQLite's BEGIN, COMMIT and ROLLBACK are run on the driver (`uow.SqliteConnection`),
    not through SQLAlchemy's Connection: a committed, a rolled-back, a failed and a
    read-only unit of work each leave their pooled connection outside a transaction,
    holding no lock (another connection can take the write lock at once)."""
    url = sqlite_url(tmp_path)
    migrate(url)
    store = SqlStore(url)
    try:
        joined = RegisterMember("ann", "Ann", DEFAULT_AT)
        member = services.register_member(joined, store(), ECONOMY)
        with store() as uow:  # committed
            uow.members.get_for_update(member.id)
            uow.seasons.add_points("s", member.id, 1)
            uow.commit()
        with store() as uow:  # rolled back on exit
            uow.members.get_for_update(member.id)
            uow.seasons.add_points("s", member.id, 1)
        with pytest.raises(NotFound):  # failed
            _fail_after_locking(store, member.id)
        with store() as uow:  # read only
            uow.members.get(member.id)

        held = [store.engine.raw_connection() for _ in range(2)]
        try:
            drivers = [c.driver_connection for c in held]
            assert all(isinstance(d, sqlite3.Connection) for d in drivers)
            assert [d.in_transaction for d in drivers if d is not None] == [False, False]
            other = sqlite3.connect(tmp_path / "honorloop.db", timeout=0)
            other.isolation_level = None
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            other.close()
        finally:
            for connection in held:
                connection.close()
        with store() as uow:
            assert uow.seasons.top("s", 5) == [(member.id, 1)]
    finally:
        store.dispose()
