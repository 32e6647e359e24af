"""Fixtures for the SQL store specifications: databases (SQLite always, PostgreSQL when
configured) and a store factory parametrized over memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from domain.economy import Economy
from domain.ports import UnitOfWork
from persistence.memory import MemoryStore
from persistence.sql import SqlStore, migrate
from tests.integration.databases import empty_tables, migrated_sqlite, postgres_schema
from tests.unit.builders import sample_economy

StoreFactory = Callable[[], UnitOfWork]
STORE_KINDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
SQL_KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def koc_economy() -> Economy:
    return sample_economy()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A migrated schema of its own for each test module."""
    with postgres_schema() as url:
        migrate(url)
        yield url


def _sql_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return migrated_sqlite(tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    empty_tables(url)
    return url


@pytest.fixture(params=SQL_KINDS)
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a new SQLite file, or the module's emptied schema."""
    return _sql_url(request.param, request, tmp_path)


@pytest.fixture
def sql_store(sql_url: str) -> Iterator[SqlStore]:
    store = SqlStore(sql_url)
    yield store
    store.dispose()


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """The same port over each implementation, empty."""
    if request.param == "memory":
        yield MemoryStore()
        return
    sql = SqlStore(_sql_url(request.param, request, tmp_path))
    yield sql
    sql.dispose()
