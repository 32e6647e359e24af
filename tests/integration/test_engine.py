"""Engines: plain URLs pick our drivers, and SQLite connections are set up for short
serialized writes (WAL, synchronous=NORMAL, a busy timeout, foreign keys)."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.errors import InvalidInput
from persistence.sql.engine import busy_timeout_ms, make_engine, normalize_url
from tests.integration.databases import sqlite_url


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
