"""Alembic migrations of the SQL store; run them with `persistence.sql.migrate(url)`."""
