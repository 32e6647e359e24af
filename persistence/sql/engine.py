"""Engines for the two supported databases, configured for short serialized writes.

SQLite: WAL journal, `synchronous=NORMAL`, a busy timeout, foreign keys on. The sqlite3
driver is put in autocommit mode so that it never issues its own BEGIN; the store decides
per transaction whether to `BEGIN` (a read snapshot) or `BEGIN IMMEDIATE` (take the
single write lock up front, so two writers queue on the busy timeout instead of failing
with a stale snapshot). PostgreSQL: psycopg 3, READ COMMITTED, row locks.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url

from domain.errors import InvalidInput

busy_timeout_ms = 10_000
pool_size = 8
pool_overflow_max = 32
pool_timeout_s = 60
connect_timeout_s = 5
pool_recycle_s = 1800  # no pre-ping (a round trip per unit of work): recycle instead
BEGIN_KEY = "honorloop_begin"  # Connection.info key: the BEGIN statement for the next transaction


def normalize_url(url: str) -> URL:
    """Accept plain `postgresql://` and `sqlite:///` URLs; pick the drivers we ship with."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as error:
        raise InvalidInput("databaseUrl", f"not a database URL: {error}") from None
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise InvalidInput("databaseUrl", "SQLite needs a file: sqlite:///path/to/file.db")
        return parsed.set(drivername="sqlite+pysqlite")
    raise InvalidInput("databaseUrl", f"unsupported database {backend!r} (sqlite or postgresql)")


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str) -> Engine:
    target = normalize_url(url)
    common: dict[str, Any] = {
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
        "pool_size": pool_size,
        "max_overflow": pool_overflow_max,
        "pool_timeout": pool_timeout_s,
    }
    if target.get_backend_name() == "sqlite":
        engine = sa.create_engine(
            target,
            connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
            poolclass=sa.pool.QueuePool,
            **common,
        )
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(
        target,
        pool_recycle=pool_recycle_s,
        connect_args={"connect_timeout": connect_timeout_s},
        **common,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver never BEGINs on its own
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Read once: `info` lives as long as the pooled connection, the choice does not.
        connection.exec_driver_sql(connection.info.pop(BEGIN_KEY, "BEGIN"))


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
