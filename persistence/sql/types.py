"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware instant.

    PostgreSQL stores it as `timestamptz`. SQLite has no time zone type, so the instant
    is stored as integer microseconds since the Unix epoch (UTC): exact, compact, and
    ordered the same way as the instants. Loaded values are always aware and in UTC, so
    a round-tripped datetime equals the original instant (whatever its offset was).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        # utcoffset() is None for a naive datetime and for a tzinfo that declines to say.
        assert value.utcoffset() is not None, f"naive datetime {value!r} reached the store"
        if dialect.name == "sqlite":
            return (value - EPOCH) // MICROSECOND
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return EPOCH + int(value) * MICROSECOND
        assert isinstance(value, datetime), f"the driver returned {value!r} for a timestamp"
        assert value.tzinfo is not None, f"the driver returned a naive {value!r}"
        return value.astimezone(UTC)


def big_id() -> sa.types.TypeEngine[int]:
    """A 64-bit surrogate key; on SQLite an INTEGER PRIMARY KEY (the rowid)."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")
