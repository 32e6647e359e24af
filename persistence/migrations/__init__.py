"""Alembic migrations of the SQL store; run them with `persistence.sql.migrate(url)` or
`make migrate`. There is no alembic.ini: to write a new revision, compare the tables with
a database at head and review the result before committing it, e.g.

    python -c "from alembic import command; from persistence.sql.migrate import alembic_config;
    command.revision(alembic_config('sqlite:///honorloop.db'), 'what changed', autogenerate=True)"

Keep revisions runnable on SQLite and PostgreSQL alike (env.py renders SQLite changes as
batch operations); `tests/integration/test_migrations.py` checks head against the tables.
"""
