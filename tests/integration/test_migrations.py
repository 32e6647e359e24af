"""Migrations: an empty database is brought to head on SQLite and PostgreSQL, the result is
exactly the tables the store uses, and `schema_status` tells a ready database from one
that is not."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from persistence.sql import migrate, schema_status
from persistence.sql import tables as t
from persistence.sql.engine import make_engine
from persistence.sql.migrate import alembic_config, head_revisions
from tests.integration.databases import postgres_schema, sqlite_url

HEAD = "0020_debt_entries"  # the one head every migration chain ends in


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all: a file that does not exist yet, or a new schema."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path, "fresh.db")
        return
    with postgres_schema() as url:
        yield url


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_an_empty_database_is_not_ready_until_migrated(empty_url: str) -> None:
    ready_before, message_before = schema_status(empty_url)

    migrate(empty_url)

    assert not ready_before
    assert "make migrate" in message_before
    assert schema_status(empty_url) == (True, f"schema at head ({HEAD})")


def test_migrating_creates_exactly_the_tables_the_store_uses(empty_url: str) -> None:
    migrate(empty_url)

    engine = make_engine(empty_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), t.metadata)
    finally:
        engine.dispose()
    assert differences == []
    assert table_names(empty_url) == set(t.metadata.tables) | {"alembic_version"}


def test_migrating_again_changes_nothing(empty_url: str) -> None:
    migrate(empty_url)

    migrate(empty_url)

    assert schema_status(empty_url)[0]


def test_two_processes_migrating_at_once_both_end_at_head(empty_url: str) -> None:
    command_line = [sys.executable, "-m", "persistence.sql", empty_url]
    runs = [subprocess.Popen(command_line, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]  # fmt: skip

    outcomes = [(run.communicate(timeout=60)[1], run.returncode) for run in runs]

    assert outcomes == [(b"", 0), (b"", 0)]
    assert schema_status(empty_url)[0]


def test_threads_migrating_at_once_take_turns(empty_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            migrate(empty_url)
        except BaseException as error:  # reported below
            errors.append(error)

    workers = [threading.Thread(target=run) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert schema_status(empty_url)[0]


def test_a_database_at_another_revision_is_not_ready(empty_url: str) -> None:
    migrate(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0000_older'"))
    engine.dispose()

    ready, message = schema_status(empty_url)

    assert not ready
    assert message == f"schema at 0000_older, head is {HEAD}"


def test_downgrading_to_base_removes_every_table(empty_url: str) -> None:
    migrate(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            connection.commit()
    finally:
        engine.dispose()

    assert table_names(empty_url) <= {"alembic_version"}
    assert not schema_status(empty_url)[0]


def test_an_unreachable_database_is_not_ready() -> None:
    ready, message = schema_status("postgresql://nobody@127.0.0.1:1/nothing")

    assert not ready
    assert message.startswith("database unreachable")


def test_a_url_of_another_database_is_not_ready() -> None:
    assert schema_status("mysql://root@localhost/db") == (
        False,
        "databaseUrl: unsupported database 'mysql' (sqlite or postgresql)",
    )


def test_the_migrations_have_a_single_head() -> None:
    assert head_revisions() == frozenset({HEAD})
