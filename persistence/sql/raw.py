"""Hand-written SQL on the driver's own cursor, for the store's hot paths.

Building and caching SQLAlchemy Core statements cost more than the database work of a
`record_activity` (measured: ~60% of its time on SQLite). The store therefore keeps
SQLAlchemy for engines, pooling, transactions and migrations, and runs its queries as
plain SQL written once per dialect. Statements are written with `:name` parameters;
values are converted here the same way the `UtcDateTime` and JSON column types would:
instants as UTC (integer microseconds on SQLite), JSON documents as text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from persistence.sql import tables as t
from persistence.sql.types import EPOCH, MICROSECOND

PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")

DATETIME_COLUMNS = frozenset(
    c.name
    for table in t.metadata.tables.values()
    for c in table.columns
    if isinstance(c.type, sa.types.TypeDecorator) and c.type.impl_instance.python_type is datetime
)
JSON_COLUMNS = frozenset(
    c.name
    for table in t.metadata.tables.values()
    for c in table.columns
    if isinstance(c.type, sa.JSON)
)

Params = Mapping[str, Any]


def columns(table: sa.Table, *, skip: Iterable[str] = ()) -> tuple[str, ...]:
    skipped = set(skip)
    return tuple(c.name for c in table.columns if c.name not in skipped)


def select_list(table: sa.Table) -> str:
    return ", ".join(columns(table))


def insert_sql(table: sa.Table, *, skip: Iterable[str] = (), tail: str = "") -> str:
    names = columns(table, skip=skip)
    placeholders = ", ".join(f":{n}" for n in names)
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders}){tail}"


def update_sql(table: sa.Table, key: Sequence[str], *, where: str = "") -> str:
    sets = ", ".join(f"{n} = :{n}" for n in columns(table, skip=key))
    condition = " AND ".join(f"{k} = :{k}" for k in key)
    return f"UPDATE {table.name} SET {sets} WHERE {condition}{where}"


POSTGRES_DIALECT: sa.Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]


def postgres_type(column: sa.Column[Any]) -> str:
    return str(column.type.compile(dialect=POSTGRES_DIALECT))


def recordset(table: sa.Table, names: Sequence[str], extra: str = "") -> str:
    """`json_to_recordset` of rows of `table` with these columns (and `extra` ones)."""
    typed = ", ".join(f"{n} {postgres_type(table.columns[n])}" for n in names)
    return f"json_to_recordset(%(rows)s::json) AS r({typed}{extra})"


class SummedUpsert:
    """An upsert that adds an amount to a row's counter (creating the row if missing),
    which the unit of work may delay: the amounts queued in a transaction are summed per
    row and sent as one statement at the next flush (executemany on SQLite, one
    `INSERT ... SELECT FROM json_to_recordset ... ON CONFLICT` on PostgreSQL), rows in
    key order, so that concurrent transactions take the rows' locks in the same order.
    Only for counters that the hot path never reads without flushing first."""

    def __init__(self, table: sa.Table, key: Sequence[str], amount: str) -> None:
        self.table = table
        self.key = tuple(key)
        self.amount = amount
        names = (*self.key, amount)
        listed = ", ".join(names)
        conflict = (
            f" ON CONFLICT ({', '.join(self.key)})"
            f" DO UPDATE SET {amount} = {table.name}.{amount} + excluded.{amount}"
        )
        placeholders = ", ".join(f":{n}" for n in names)
        self.sqlite = f"INSERT INTO {table.name} ({listed}) VALUES ({placeholders}){conflict}"
        self.postgres = (
            f"INSERT INTO {table.name} ({listed}) SELECT {listed}"
            f" FROM {recordset(table, names)}{conflict}"
        )

    def rows(self, sums: Mapping[tuple[Any, ...], int]) -> list[dict[str, Any]]:
        return [
            {**dict(zip(self.key, key, strict=True)), self.amount: amount}
            for key, amount in sorted(sums.items())
        ]


def _unchanged(params: Params) -> Params:
    return params


class Dialect:
    """How to talk to one database through its driver (sqlite3 or psycopg)."""

    def __init__(self, sqlite: bool) -> None:
        self.sqlite = sqlite
        self.for_update = "" if sqlite else " FOR UPDATE"
        self.skip_locked = "" if sqlite else " FOR UPDATE SKIP LOCKED"

    @functools.cache  # noqa: B019 - two instances per process, one per dialect
    def sql(self, text: str) -> str:
        if self.sqlite:
            return text
        return PARAMETER.sub(r"%(\1)s", text.replace("%", "%%"))

    def encode(self, params: Params) -> Params:
        """The parameters as the driver takes them: `params` itself when no value needs
        converting (the usual statement), else a converted copy."""
        out: dict[str, Any] | None = None
        for name, value in params.items():
            converted: Any
            if isinstance(value, datetime):
                assert value.utcoffset() is not None, f"naive datetime in {name}"
                converted = (value - EPOCH) // MICROSECOND if self.sqlite else value.astimezone(UTC)
            elif name in JSON_COLUMNS:
                converted = orjson.dumps(value).decode()
            else:
                continue
            if out is None:
                out = dict(params)
            out[name] = converted
        return params if out is None else out

    @functools.cache  # noqa: B019 - two instances per process, one per dialect
    def encoder(self, names: tuple[str, ...]) -> Callable[[Params], Params]:
        """`encode` for parameters named `names` that are a table's columns: only the
        columns of instants and of JSON documents are looked at (worked out once)."""
        instants = tuple(n for n in names if n in DATETIME_COLUMNS)
        documents = tuple(n for n in names if n in JSON_COLUMNS and n not in DATETIME_COLUMNS)
        if not instants and not documents:
            return _unchanged
        sqlite = self.sqlite

        def encode(params: Params) -> Params:
            out = dict(params)
            for name in instants:
                value = out[name]
                if isinstance(value, datetime):
                    assert value.utcoffset() is not None, f"naive datetime in {name}"
                    out[name] = (value - EPOCH) // MICROSECOND if sqlite else value.astimezone(UTC)
            for name in documents:
                out[name] = orjson.dumps(out[name]).decode()
            return out

        return encode

    def decode(self, names: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
        return self.decoder(tuple(names))(row)

    @functools.cache  # noqa: B019 - two instances per process, one per dialect
    def decoder(self, names: tuple[str, ...]) -> Callable[[Sequence[Any]], dict[str, Any]]:
        """Rows of these columns as dictionaries, instants and JSON documents decoded:
        which columns need it is worked out once per list of columns."""
        instants = tuple(n for n in names if n in DATETIME_COLUMNS)
        documents = tuple(n for n in names if n in JSON_COLUMNS and n not in DATETIME_COLUMNS)
        sqlite = self.sqlite

        def decode(row: Sequence[Any]) -> dict[str, Any]:
            out = dict(zip(names, row, strict=True))
            for name in instants:
                value = out[name]
                if value is None:
                    continue
                if sqlite:
                    out[name] = EPOCH + int(value) * MICROSECOND
                else:
                    assert value.tzinfo is not None, f"{name} came back without a time zone"
                    out[name] = value.astimezone(UTC)
            for name in documents:
                value = out[name]
                if isinstance(value, str | bytes):
                    out[name] = orjson.loads(value)
            return out

        return decode


SQLITE = Dialect(sqlite=True)
POSTGRES = Dialect(sqlite=False)
