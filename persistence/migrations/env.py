"""Alembic environment, driven programmatically by `persistence.sql.migrate`.

There is no alembic.ini: the caller passes an open connection in
`config.attributes["connection"]` (or, for the alembic command line, a URL in
`sqlalchemy.url`). Offline (SQL script) mode is not supported.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from persistence.sql.engine import make_engine
from persistence.sql.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url, "give the database URL in sqlalchemy.url or pass a connection"
    engine = make_engine(url)
    try:
        with engine.connect() as opened:
            _run(opened)
    finally:
        engine.dispose()


assert not context.is_offline_mode(), "offline migrations are not supported"
run_online()
