"""The SQL store (SQLite or PostgreSQL): `SqlStore(url)` makes units of work,
`migrate(url)` brings the schema to head, `schema_status(url)` says if it is ready."""

from persistence.sql.migrate import migrate, schema_status
from persistence.sql.uow import SqlStore, SqlUnitOfWork

__all__ = ["SqlStore", "SqlUnitOfWork", "migrate", "schema_status"]
