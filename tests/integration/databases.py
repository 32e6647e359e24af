"""Test databases: a fresh SQLite file, or a fresh PostgreSQL schema (reached through
`search_path`) that is dropped afterwards. PostgreSQL comes from
HONORLOOP_TEST_POSTGRES_URL; without it the tests skip, unless
HONORLOOP_REQUIRE_SERVICES=1 (CI), where they fail."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from persistence.sql import migrate
from persistence.sql import tables as t
from persistence.sql.engine import normalize_url

POSTGRES_ENV = "HONORLOOP_TEST_POSTGRES_URL"
REQUIRE_ENV = "HONORLOOP_REQUIRE_SERVICES"


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


def postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        _unavailable(
            f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    return url


def sqlite_url(directory: Path, name: str = "honorloop.db") -> str:
    return f"sqlite:///{directory / name}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections live in a new, empty schema; the schema is dropped after."""
    base = postgres_base_url()
    schema = f"hl_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(normalize_url(base), poolclass=sa.pool.NullPool)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as error:
        admin.dispose()
        _unavailable(f"PostgreSQL at {POSTGRES_ENV} is unreachable: {error.orig}")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def empty_tables(url: str) -> None:
    """Delete every row (children first): cheaper than a new schema per test."""
    engine = sa.create_engine(normalize_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            for table in reversed(t.metadata.sorted_tables):
                connection.execute(table.delete())
    finally:
        engine.dispose()


def migrated_sqlite(directory: Path, name: str = "honorloop.db") -> str:
    url = sqlite_url(directory, name)
    migrate(url)
    return url
