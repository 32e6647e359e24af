"""Create or upgrade the schema to head with Alembic, programmatically (no alembic.ini
needed in the working directory), and report whether a database is ready to serve."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from domain.errors import InvalidInput
from persistence.sql.engine import BEGIN_KEY, make_engine, normalize_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
MIGRATION_LOCK_KEY = 0x486F6E6F72  # "Honor": PostgreSQL advisory lock held while migrating
_in_process = threading.Lock()  # Alembic's `context` is process-global: one migration at a time


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@functools.cache
def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def migrate(url: str) -> None:
    """Bring the schema to head. Safe to run from several processes at once: PostgreSQL
    serializes them on an advisory lock, SQLite on its write lock (BEGIN IMMEDIATE); threads
    of one process take turns (Alembic keeps its migration context in a global)."""
    with _in_process:
        _migrate(url)


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                connection.execute(
                    sa.text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY}
                )
                connection.commit()
            else:
                # One transaction for the whole chain, begun before Alembic looks: SQLite
                # DDL is not transactional to Alembic, which would otherwise commit after
                # each revision and let another process read a half-migrated schema.
                connection.info[BEGIN_KEY] = "BEGIN IMMEDIATE"
                connection.begin()
            try:
                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if connection.in_transaction():
                    connection.commit()
            finally:
                if connection.in_transaction():
                    connection.rollback()  # a failed migration: release the lock cleanly
                if postgres:
                    connection.execute(
                        sa.text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY}
                    )
                    connection.commit()
    finally:
        engine.dispose()


def schema_status(url: str) -> tuple[bool, str]:
    """(ready, message): the database is reachable and its schema is at head."""
    try:
        target = normalize_url(url)
    except InvalidInput as error:
        return False, error.message
    if target.get_backend_name() == "sqlite" and not Path(target.database or "").exists():
        return False, f"database file {target.database} does not exist (run `make migrate`)"
    heads = head_revisions()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except sa.exc.SQLAlchemyError as error:
        reason = str(error.orig if isinstance(error, sa.exc.DBAPIError) else error)
        return False, f"database unreachable: {reason.strip().splitlines()[0]}"
    finally:
        engine.dispose()
    if current == heads:
        return True, f"schema at head ({', '.join(sorted(heads))})"
    if not current:
        return False, "schema not created (run `make migrate`)"
    return False, f"schema at {', '.join(sorted(current))}, head is {', '.join(sorted(heads))}"
