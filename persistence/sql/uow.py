"""The SQL unit of work: `domain.ports.UnitOfWork` over SQLite or PostgreSQL.

One unit of work is one short transaction on one pooled connection, opened lazily by the
first repository call and handed back on exit (rolled back unless `commit()` was called).
Queries are plain SQL on the driver's cursor (see `raw`); rows become domain objects only
through `mapping`.

Serialization. Every ledger-writing use case first calls `members.get_for_update(id)`:
- PostgreSQL (READ COMMITTED): `SELECT ... FOR UPDATE` on the member row, so writers of
  one member queue there and every later statement sees what the previous writer committed.
- SQLite: the transaction is (re)started with `BEGIN IMMEDIATE`, which takes the database's
  single write lock up front; writers queue on the busy timeout. Reads before that point
  ran in a plain `BEGIN` snapshot that is ended first (it has written nothing); the
  services re-read everything they rely on after taking the lock.
Balances and stock move only through conditional updates; idempotency keys, handles and
rewarded subjects are unique keys, so the database refuses a duplicate even if a caller
skipped the lock. Coupon codes are claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Literal, Self, TypeVar, overload

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from domain.errors import AlreadyExists, DomainError
from domain.handles import handle_key
from domain.ledger import (
    Account,
    Bucket,
    LedgerEntry,
    OwnerKind,
    Source,
    Transfer,
    TransferKind,
    debt_account,
)
from domain.model import (
    ActivityRecord,
    AuditEntry,
    Event,
    HonorAward,
    IdempotencyRecord,
    Member,
    Note,
    Redemption,
    RedemptionStatus,
)
from domain.quests import QuestProgress
from domain.reversal import Reversal
from persistence.sql import mapping
from persistence.sql import tables as t
from persistence.sql.campaigns import SqlCampaigns
from persistence.sql.contests import SqlContests
from persistence.sql.engine import BEGIN_KEY, busy_timeout_ms, is_sqlite, make_engine
from persistence.sql.ids import IdGenerator
from persistence.sql.memberships import SqlMemberships
from persistence.sql.raw import (
    POSTGRES,
    SQLITE,
    Dialect,
    Params,
    SummedUpsert,
    columns,
    insert_sql,
    recordset,
    select_list,
    update_sql,
)
from persistence.sql.referrals import SqlReferrals
from persistence.sql.roles import SqlRoles
from persistence.sql.seasons import SqlSeasons
from persistence.sql.tasks import SqlTasks
from persistence.sql.team_help import SqlFriendQuests

Mode = Literal["idle", "read", "write"]
Row = dict[str, Any]
MemberKey = tuple[Any, ...]  # what a save may change only by its own statement (see save)
AccountKey = tuple[str, str, str]  # owner kind, owner id, bucket

# --- the write buffer ---------------------------------------------------------------------


class BufferedInsert:
    """An append-only insert the unit of work may delay and send with others of its kind:
    executemany on SQLite, one `INSERT ... SELECT FROM json_to_recordset` on PostgreSQL
    (rows in the order they were queued, so serial keys keep that order). `checked`:
    every queued row must be written (a conflict ignored by `tail` would be a bug)."""

    def __init__(
        self, table: sa.Table, *, skip: Iterable[str] = (), tail: str = "", checked: bool = False
    ) -> None:
        self.table = table
        self.names = columns(table, skip=skip)
        self.checked = checked
        self.sqlite = insert_sql(table, skip=skip, tail=tail)
        listed = ", ".join(self.names)
        self.postgres = (
            f"INSERT INTO {table.name} ({listed}) SELECT {listed}"
            f" FROM {recordset(table, self.names)}{tail}"
        )


MEMBER_UPDATE_MANY = (  # PostgreSQL: each member's last save, with the version it read
    "UPDATE members AS m SET "
    + ", ".join(f"{n} = r.{n}" for n in columns(t.members, skip=["id"]))
    + f" FROM {recordset(t.members, columns(t.members), ', expected BIGINT')}"
    " WHERE m.id = r.id AND m.version = r.expected"
)


def _postgres_value(value: Any) -> Any:
    if isinstance(value, datetime):
        assert value.utcoffset() is not None, "naive datetime in a buffered row"
    return value


def _json_rows(rows: Sequence[Row]) -> str:
    return orjson.dumps([{k: _postgres_value(v) for k, v in row.items()} for row in rows]).decode()


class WriteBuffer:
    """Writes of one transaction not sent yet: rows per statement kind, in queue order, and
    each member's last save. Kinds are sent in the order they were first queued (a row's
    foreign keys name rows queued before it), before any statement that could see them."""

    def __init__(self) -> None:
        self.inserts: dict[BufferedInsert, list[Row]] = {}
        self.member_saves: dict[str, Row] = {}  # member id -> row with `expected` version
        self.entry_sums: dict[AccountKey, int] = {}  # queued ledger amounts
        self.credits: dict[AccountKey, int] = {}  # queued credits of cached balances, summed
        self.marks: set[tuple[str, str, str]] = set()  # queued rewarded subjects
        self.sums: dict[SummedUpsert, dict[tuple[Any, ...], int]] = {}  # queued counters

    def __bool__(self) -> bool:
        return bool(self.inserts or self.member_saves or self.credits or self.sums)

    def add(self, kind: BufferedInsert, row: Row) -> None:
        self.inserts.setdefault(kind, []).append(row)

    def clear(self) -> None:
        self.inserts.clear()
        self.member_saves.clear()
        self.entry_sums.clear()
        self.credits.clear()
        self.marks.clear()
        self.sums.clear()


class SqliteConnection:
    """The part of SQLAlchemy's `Connection` the unit of work uses, directly on a pooled
    sqlite3 connection: SQLite's transactions are the statements BEGIN [IMMEDIATE],
    COMMIT and ROLLBACK on the driver (in autocommit mode, see `engine`), and going
    through `Connection` for them (its transaction objects, events and result set-up of
    the BEGIN) cost more instructions than the statements. The pool is SQLAlchemy's as
    before (checkout and checkin events, reset on return, invalidation)."""

    __slots__ = ("connection", "driver", "info")

    def __init__(self, engine: Engine) -> None:
        self.connection = engine.raw_connection()
        self.driver: sqlite3.Connection = self.connection.driver_connection  # type: ignore[assignment]
        self.info: dict[str, str] = {}

    def in_transaction(self) -> bool:
        return self.driver.in_transaction

    def begin(self) -> None:
        self.driver.execute(self.info.pop(BEGIN_KEY, "BEGIN"))

    def commit(self) -> None:
        self.driver.commit()

    def rollback(self) -> None:
        self.driver.rollback()

    def invalidate(self) -> None:
        self.connection.invalidate()

    def close(self) -> None:
        self.connection.close()


R = TypeVar("R")


class _Repository(Generic[R]):
    """A unit of work's repository, made by `make(uow)` on first access and kept in the
    unit's `__dict__` (a non-data descriptor: later accesses never come back here)."""

    def __init__(self, make: Callable[[SqlUnitOfWork], R]) -> None:
        self.make = make
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, uow: None, owner: type) -> Self: ...
    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type) -> R: ...
    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> R | Self:
        if uow is None:
            return self
        repository = self.make(uow)
        uow.__dict__[self.name] = repository
        return repository


class SqlStore:
    """Factory of units of work over one database; safe to share between threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self.next_id = IdGenerator()
        # SQLite has one writer at a time. Threads of this process queue for it on a lock
        # (woken the moment it is free) instead of SQLite's busy handler, which sleeps in
        # steps of up to 100 ms: measured with 8 threads, p99 82 ms and max 1.25 s without.
        self.write_lock = threading.Lock() if is_sqlite(self.engine) else None

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.next_id, self.write_lock)

    def dispose(self) -> None:
        self.engine.dispose()


class SqlUnitOfWork:
    # Repositories are made when first asked for (then found in the instance's dict): a
    # command asks for a handful of the 19, and making them all in `__init__` cost more
    # than a tenth of an empty unit of work. (The lambdas: those classes come below.)
    members = _Repository(lambda uow: _Members(uow))  # noqa: PLW0108 - defined below
    ledger = _Repository(lambda uow: _Ledger(uow))  # noqa: PLW0108 - defined below
    activities = _Repository(lambda uow: _Activities(uow))  # noqa: PLW0108 - defined below
    notes = _Repository(lambda uow: _Notes(uow))  # noqa: PLW0108 - defined below
    stock = _Repository(lambda uow: _Stock(uow))  # noqa: PLW0108 - defined below
    redemptions = _Repository(lambda uow: _Redemptions(uow))  # noqa: PLW0108 - defined below
    honors = _Repository(lambda uow: _Honors(uow))  # noqa: PLW0108 - defined below
    quests = _Repository(lambda uow: _Quests(uow))  # noqa: PLW0108 - defined below
    tasks = _Repository(SqlTasks)
    contests = _Repository(SqlContests)
    seasons = _Repository(SqlSeasons)
    idempotency = _Repository(lambda uow: _Idempotency(uow))  # noqa: PLW0108 - defined below
    audit = _Repository(lambda uow: _Audit(uow))  # noqa: PLW0108 - defined below
    reversals = _Repository(lambda uow: _Reversals(uow))  # noqa: PLW0108 - defined below
    roles = _Repository(SqlRoles)
    campaigns = _Repository(SqlCampaigns)
    friend_quests = _Repository(SqlFriendQuests)
    memberships = _Repository(SqlMemberships)
    referrals = _Repository(SqlReferrals)

    def __init__(
        self, engine: Engine, ids: IdGenerator, write_lock: threading.Lock | None = None
    ) -> None:
        self.engine = engine
        self._write_lock = write_lock
        self._holding_write_lock = False
        self.dialect: Dialect = SQLITE if is_sqlite(engine) else POSTGRES
        self._ids = ids
        self._conn: Connection | SqliteConnection | None = None
        self._cursor: Any = None
        self._pipeline: Any = None  # PostgreSQL: statements are sent without waiting
        self._pipeline_block: Any = None
        self._autocommit = False  # PostgreSQL: this unit's reads run without a transaction
        self._pending: list[tuple[Any, Callable[[Any], bool], str]] = []
        self._mode: Mode = "idle"
        self._entered = False
        self._broken = False  # discard the connection instead of pooling it
        self._committed_events = 0
        self.commit_sent = False  # once a COMMIT left: retrying the work could repeat it
        self.identity: dict[str, Member] = {}  # members locked or written in this transaction
        self.known_notes: dict[tuple[str, str], Note] = {}  # notes read or written in it
        # Idempotency records of keys looked up by `get_many` (None: not used) or added in
        # this transaction; every key of a locked member is answered from here.
        self.known_keys: dict[tuple[str, str], IdempotencyRecord | None] = {}
        self.member_keys: dict[str, MemberKey] = {}  # handle, name, join date as locked
        self.known_debts: dict[str, int] = {}  # debt balances of locked members, kept current
        self.buffered = WriteBuffer()
        self.events: list[Event] = []

    # --- transaction control ----------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        return self._ids(prefix)

    def _begin(self, write: bool) -> Any:
        """The driver cursor, inside a transaction that may write if `write`."""
        if self._mode == "write":  # the usual case: nothing to start (idle outside `with`)
            return self._cursor
        assert self._entered, "use the unit of work inside `with uow:`"
        if self._conn is None:
            self._open()
        assert self._conn is not None
        if self._mode == "read" and write and not self.dialect.sqlite:
            self._start_writing()  # PostgreSQL (READ COMMITTED) writes in the transaction it has
            self._mode = "write"
        elif self._mode == "idle" or (write and self._mode == "read"):
            if self._conn.in_transaction():
                self._conn.rollback()  # SQLite: a read snapshot, nothing to keep
            if write:
                self._take_write_lock()
                if not self.dialect.sqlite:
                    self._start_writing()
            elif not self.dialect.sqlite and self._pipeline is None:
                self._driver().autocommit = True
                self._autocommit = True
            self._conn.info[BEGIN_KEY] = "BEGIN IMMEDIATE" if write else "BEGIN"
            self._conn.begin()
            self._mode = "write" if write else "read"
        return self._cursor

    def _driver(self) -> Any:
        assert self._conn is not None
        return self._conn.connection.driver_connection

    def _start_writing(self) -> None:
        """PostgreSQL: reads run in autocommit (under READ COMMITTED every statement reads
        its own snapshot in a transaction too, so nothing is lost), which spares the BEGIN,
        the ROLLBACK and the pipeline's closing Sync, a round trip each. Writes run in one
        transaction in pipeline mode: a statement whose result is not read yet does not
        cost a round trip of its own; reading a result (or committing) sends the queue."""
        if self._pipeline is not None:
            return
        driver = self._driver()
        if self._autocommit:
            driver.autocommit = False  # idle between autocommit statements: allowed
            self._autocommit = False
        self._pipeline_block = driver.pipeline()
        self._pipeline = self._pipeline_block.__enter__()

    def _take_write_lock(self) -> None:
        if self._write_lock is None or self._holding_write_lock:
            return
        if not self._write_lock.acquire(timeout=busy_timeout_ms / 1000):
            raise sqlite3.OperationalError("database is locked (waited for this process' writer)")
        self._holding_write_lock = True

    def _release_write_lock(self) -> None:
        if self._holding_write_lock:
            assert self._write_lock is not None
            self._holding_write_lock = False
            self._write_lock.release()

    def _open(self) -> None:
        self._conn = SqliteConnection(self.engine) if self.dialect.sqlite else self.engine.connect()
        self._cursor = self._driver().cursor()

    def run(
        self, sql: str, params: Params | None = None, *, write: bool = False, flush: bool = True
    ) -> Any:
        """Run one statement. The buffered writes are sent first unless `flush` is False:
        a statement that can neither see them nor need them (a foreign key) says so."""
        cursor = self._begin(write)
        if flush and self.buffered:
            self.flush()
        cursor.execute(self.dialect.sql(sql), self.dialect.encode(params or {}))
        return cursor

    def buffer(self, kind: BufferedInsert, row: Row) -> None:
        """Queue an append-only insert; it is sent by `flush`, with the others of its kind."""
        self._begin(write=True)  # SQLite: the write lock is taken where the write was asked
        self.buffered.add(kind, row)

    def add_to(self, kind: SummedUpsert, key: tuple[Any, ...], amount: int) -> None:
        """Queue `amount` for the counter of row `key`; sent summed by `flush`."""
        self._begin(write=True)
        sums = self.buffered.sums.setdefault(kind, {})
        sums[key] = sums.get(key, 0) + amount

    def flush(self) -> None:
        """Send the buffered writes: one statement per kind, in the order queued."""
        buffered = self.buffered
        if not buffered:
            return
        inserts = list(buffered.inserts.items())
        saves = list(buffered.member_saves.values())
        credits = [  # in key order: concurrent batches take the account rows' locks alike
            {"owner_kind": k, "owner_id": o, "bucket": b, "amount": amount}
            for (k, o, b), amount in sorted(buffered.credits.items())
        ]
        sums = [(kind, kind.rows(amounts)) for kind, amounts in buffered.sums.items()]
        buffered.clear()
        for kind, rows in inserts:
            what = f"a buffered row of {kind.table.name} was not written"
            self._send(kind.sqlite, kind.postgres, rows, kind.checked, what)
        if credits:  # one row per account: an upsert may touch a row once per statement
            self._send(CREDIT, CREDIT_MANY, credits, False, "")
        for summed, rows in sums:  # one row per key, as the credits
            self._send(summed.sqlite, summed.postgres, rows, False, "")
        if saves:
            self._send(MEMBER_UPDATE, MEMBER_UPDATE_MANY, saves, True, "a member changed under us")

    def _send(
        self, sqlite_sql: str, postgres_sql: str, rows: list[Row], checked: bool, what: str
    ) -> None:
        count = len(rows)
        if self.dialect.sqlite:
            cursor = self._cursor
            encoder = SQLITE.encoder  # rows of table columns (see `Dialect.encoder`)
            cursor.executemany(sqlite_sql, [encoder(tuple(r))(r) for r in rows])
            assert not checked or cursor.rowcount == count, what
            return
        params = {"rows": _json_rows(rows)}
        if not checked:
            self._cursor.execute(postgres_sql, params)
            return
        cursor = self._driver().cursor()  # its row count is read at commit (see run_checked)
        cursor.execute(postgres_sql, params)
        self._pending.append((cursor, lambda c: bool(c.rowcount == count), what))

    def run_checked(self, sql: str, params: Params, ok: Callable[[Any], bool], what: str) -> None:
        """A write whose outcome `ok` must hold (an invariant of ours, so an assert). On
        PostgreSQL the check waits for commit, saving the round trip; a failure there
        still rolls everything back."""
        if self.dialect.sqlite:
            assert ok(self.run(sql, params, write=True)), what
            return
        self._begin(write=True)
        self.flush()
        assert self._conn is not None
        cursor = self._conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(self.dialect.sql(sql), self.dialect.encode(params))
        self._pending.append((cursor, ok, what))

    def _verify_pending(self) -> None:
        if not self._pending:
            return
        self._pipeline.sync()
        pending, self._pending = self._pending, []
        for cursor, ok, what in pending:
            passed = ok(cursor)
            cursor.close()
            assert passed, what

    def _drop_pending(self) -> None:
        pending, self._pending = self._pending, []
        for cursor, _, _ in pending:
            cursor.close()

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        cursor = self._begin(True)
        self.flush()
        cursor.executemany(self.dialect.sql(sql), [self.dialect.encode(r) for r in rows])

    def one(
        self, sql: str, params: Params | None = None, *, write: bool = False, flush: bool = True
    ) -> Row | None:
        cursor = self.run(sql, params, write=write, flush=flush)
        row = cursor.fetchone()
        if row is None:
            return None
        return self.dialect.decoder(tuple([d[0] for d in cursor.description]))(row)

    def all(self, sql: str, params: Params | None = None, *, flush: bool = True) -> list[Row]:
        cursor = self.run(sql, params, flush=flush)
        rows = cursor.fetchall()  # first: in pipeline mode the description comes with the rows
        decode = self.dialect.decoder(tuple([d[0] for d in cursor.description]))
        return [decode(row) for row in rows]

    def scalar(self, sql: str, params: Params | None = None, *, flush: bool = True) -> Any:
        row = self.run(sql, params, flush=flush).fetchone()
        return None if row is None else row[0]

    def any_of(
        self, column: str, values: Sequence[str], name: str = "any"
    ) -> tuple[str, dict[str, Any]]:
        """`column` is one of `values`: a condition and its parameters (named after `name`)."""
        if not self.dialect.sqlite:
            return f"{column} = ANY(:{name}_values)", {f"{name}_values": list(values)}
        names = [f"{name}_{i}" for i in range(len(values))]
        placeholders = ", ".join(f":{n}" for n in names)
        return f"{column} IN ({placeholders})", dict(zip(names, values, strict=True))

    def __enter__(self) -> Self:
        assert not self._entered, "a unit of work is not re-entrant"
        self._entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and not isinstance(exc, DomainError):
            self._broken = True  # the database or our code failed mid-transaction
        try:
            self.rollback()
        finally:
            self._close()
            self._entered = False

    def _close(self) -> None:
        """Hand the connection back to the pool, or discard it if it may be unusable."""
        if self._conn is None:
            return
        try:
            if self._pipeline_block is not None:
                self._pipeline_block.__exit__(None, None, None)
            self._cursor.close()
            if self._autocommit:
                self._autocommit = False
                self._driver().autocommit = False  # the pool hands out transactional ones
        except Exception:
            self._broken = True
        if self._broken:
            self._conn.invalidate()
        self._conn.close()
        self._release_write_lock()
        self._conn = self._cursor = self._pipeline = self._pipeline_block = None
        self._broken = False

    def commit(self) -> None:
        if self._conn is not None and self._conn.in_transaction():
            try:
                self.flush()
                self._verify_pending()
                self.commit_sent = True
                self._conn.commit()
            except BaseException:
                self._broken = True
                self.rollback()
                raise
        self._finish()
        self._committed_events = len(self.events)

    def rollback(self) -> None:
        self.buffered.clear()  # never sent: nothing of it reaches the database
        self._drop_pending()
        if self._conn is not None and (self._broken or self._conn.in_transaction()):
            try:
                self._conn.rollback()
            except Exception:
                self._broken = True  # discarded on exit
        self._finish()
        del self.events[self._committed_events :]  # events of rolled-back work never happened

    def _finish(self) -> None:
        self._release_write_lock()
        self._mode = "idle"
        self.identity.clear()
        self.known_notes.clear()
        self.known_keys.clear()
        self.member_keys.clear()
        self.known_debts.clear()
        self.buffered.clear()


class _Repo:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow


def _one_row(cursor: Any) -> bool:
    return bool(cursor.rowcount == 1)


# --- members ------------------------------------------------------------------------------

MEMBER = f"SELECT {select_list(t.members)} FROM members"
# SQLite locks a member with its debt (see `_Ledger._debt`), sparing the debt's statement:
# the write lock is the database's, taken before this statement's snapshot, so what it
# sums is what the last writer committed. Not on PostgreSQL: after waiting for a row lock
# a READ COMMITTED statement re-reads the locked row, not its subqueries, which would
# answer from the snapshot taken before the previous holder committed.
MEMBER_WITH_DEBT = (
    f"SELECT {select_list(t.members)}, (SELECT COALESCE(SUM(e.amount), 0)"
    " FROM ledger_entries AS e INDEXED BY ix_ledger_entries_debt"
    f" WHERE e.owner_kind = '{OwnerKind.MEMBER.value}' AND e.bucket = '{Bucket.DEBT.value}'"
    " AND e.owner_id = members.id) AS debt FROM members"
)
LOCK_MEMBER_SQLITE = f"{MEMBER_WITH_DEBT} WHERE id = :id"
LOCK_MEMBER_POSTGRES = f"{MEMBER} WHERE id = :id FOR UPDATE"
MEMBER_INSERT = insert_sql(t.members, tail=" ON CONFLICT DO NOTHING RETURNING id")
MEMBER_UPDATE = update_sql(t.members, ["id"], where=" AND version = :expected")


def _member_key(row: Row) -> MemberKey:
    """The columns of a member row a save may change only by a statement of its own, sent
    at once as always: a new handle may collide with another member's (a unique key)."""
    return (row["handle"], row["handle_key"], row["display_name"], row["joined_at"])


class _Members(_Repo):
    def add(self, member: Member) -> None:
        uow = self.uow
        inserted = uow.run(MEMBER_INSERT, mapping.member_to_row(member), write=True).fetchone()
        if inserted is None:  # a concurrent registration won the race for the id or handle
            if self.get_by_handle(member.handle) is not None:
                raise AlreadyExists("member handle", member.handle)
            raise AlreadyExists("member", member.id)
        uow.identity[member.id] = member
        uow.member_keys[member.id] = _member_key(mapping.member_to_row(member))

    def get(self, member_id: str) -> Member | None:
        known = self.uow.identity.get(member_id)
        if known is not None:
            return known
        # Unbuffered: a member saved in this transaction is answered from `identity`.
        row = self.uow.one(f"{MEMBER} WHERE id = :id", {"id": member_id}, flush=False)
        return mapping.member_from_row(row) if row is not None else None

    def get_for_update(self, member_id: str) -> Member | None:
        uow = self.uow
        uow._begin(write=True)  # SQLite: ends a read snapshot and takes the write lock
        known = uow.identity.get(member_id)
        if known is not None:
            return known
        sql = LOCK_MEMBER_SQLITE if uow.dialect.sqlite else LOCK_MEMBER_POSTGRES
        row = uow.one(sql, {"id": member_id}, write=True, flush=False)
        if row is None:
            return None
        return self._locked(row)

    def _locked(self, row: Row) -> Member:
        uow = self.uow
        debt = row.pop("debt", None)
        member = mapping.member_from_row(row)
        uow.identity[member.id] = member
        uow.member_keys[member.id] = _member_key(row)
        if debt is not None:  # SQLite: plus this transaction's buffered debt entries
            key = (OwnerKind.MEMBER.value, member.id, Bucket.DEBT.value)
            uow.known_debts[member.id] = int(debt) + uow.buffered.entry_sums.get(key, 0)
        return member

    def get_many_for_update(self, member_ids: Sequence[str]) -> list[Member]:
        """One statement locks them all, in id order (the global order of every batch)."""
        uow = self.uow
        uow._begin(write=True)
        wanted = sorted(i for i in set(member_ids) if i not in uow.identity)
        if wanted:
            condition, params = uow.any_of("id", wanted)
            select = MEMBER_WITH_DEBT if uow.dialect.sqlite else MEMBER
            sql = f"{select} WHERE {condition} ORDER BY id{uow.dialect.for_update}"
            for row in uow.all(sql, params, flush=False):
                self._locked(row)
        found = (uow.identity.get(i) for i in member_ids)
        return [m for m in found if m is not None]

    def get_many(self, member_ids: Sequence[str]) -> list[Member]:
        identity = self.uow.identity
        wanted = [i for i in dict.fromkeys(member_ids) if i not in identity]
        loaded: dict[str, Member] = {}
        if wanted:
            condition, params = self.uow.any_of("id", wanted)
            rows = self.uow.all(f"{MEMBER} WHERE {condition}", params, flush=False)
            loaded = {r["id"]: mapping.member_from_row(r) for r in rows}
        found = (identity.get(i) or loaded.get(i) for i in member_ids)
        return [m for m in found if m is not None]

    def get_by_handle(self, handle: str) -> Member | None:
        key = handle_key(handle)
        for member in self.uow.identity.values():
            if handle_key(member.handle) == key:
                return member
        row = self.uow.one(f"{MEMBER} WHERE handle_key = :key", {"key": key})
        return mapping.member_from_row(row) if row is not None else None

    def save(self, member: Member) -> None:
        """A locked member whose handle, name and join date are unchanged is saved with the
        buffered writes (its last save only, checked against the version it was locked
        at); any other save is sent at once, as its own checked statement."""
        uow = self.uow
        member.version += 1
        values = mapping.member_to_row(member)
        key = _member_key(values)
        saves = uow.buffered.member_saves
        if uow.member_keys.get(member.id) == key:
            uow._begin(write=True)
            earlier = saves.get(member.id)
            values["expected"] = member.version - 1 if earlier is None else earlier["expected"]
            saves[member.id] = values
        else:
            values["expected"] = member.version - 1
            uow.run_checked(MEMBER_UPDATE, values, _one_row, f"member {member.id} changed under us")
            if member.id in uow.member_keys:  # locked: later saves may be buffered again
                uow.member_keys[member.id] = key
        uow.identity[member.id] = member

    def ids(self, after_id: str | None, limit: int) -> list[str]:
        if after_id is None:
            rows = self.uow.all("SELECT id FROM members ORDER BY id LIMIT :limit", {"limit": limit})
        else:
            rows = self.uow.all(
                "SELECT id FROM members WHERE id > :after ORDER BY id LIMIT :limit",
                {"after": after_id, "limit": limit},
            )
        return [str(r["id"]) for r in rows]

    def at_levels(self, level_ids: Sequence[str], limit: int) -> list[Member]:
        if not level_ids or limit <= 0:
            return []
        condition, params = self.uow.any_of("level_id", level_ids)
        rows = self.uow.all(
            f"{MEMBER} WHERE {condition} ORDER BY id LIMIT :limit", {**params, "limit": limit}
        )
        return [mapping.member_from_row(r) for r in rows]


# --- ledger -------------------------------------------------------------------------------

ACCOUNT_KEY = "owner_kind = :owner_kind AND owner_id = :owner_id AND bucket = :bucket"
DEBIT = (
    "UPDATE accounts SET balance = balance + :amount"
    f" WHERE {ACCOUNT_KEY} AND balance + :amount >= 0 RETURNING balance"
)
UNDO_DEBIT = f"UPDATE accounts SET balance = balance - :amount WHERE {ACCOUNT_KEY}"
CREDIT = (
    "INSERT INTO accounts (owner_kind, owner_id, bucket, balance)"
    " VALUES (:owner_kind, :owner_id, :bucket, :amount)"
    " ON CONFLICT (owner_kind, owner_id, bucket)"
    " DO UPDATE SET balance = accounts.balance + excluded.balance"
)
CREDIT_MANY = (  # PostgreSQL: the buffered credits, one row per account
    "INSERT INTO accounts (owner_kind, owner_id, bucket, balance)"
    " SELECT owner_kind, owner_id, bucket, amount FROM json_to_recordset(%(rows)s::json)"
    " AS r(owner_kind VARCHAR, owner_id VARCHAR, bucket VARCHAR, amount BIGINT)"
    " ON CONFLICT (owner_kind, owner_id, bucket)"
    " DO UPDATE SET balance = accounts.balance + excluded.balance"
)
# The debts of members, summed over the partial index of debt entries (migration 0020):
# the bucket and owner kind are literals so that both databases may use it (SQLite, which
# has no statistics, is told to: it would prefer the wider index of all entries).
DEBTS_INDEX = " INDEXED BY ix_ledger_entries_debt"
DEBTS = (
    "SELECT owner_id, COALESCE(SUM(amount), 0) AS balance FROM ledger_entries{indexed}"
    f" WHERE owner_kind = '{OwnerKind.MEMBER.value}' AND bucket = '{Bucket.DEBT.value}'"
    " AND {condition} GROUP BY owner_id"
)
LINKING_INSERT = insert_sql(t.transfers, tail=" ON CONFLICT (pending_id) DO NOTHING RETURNING id")
TRANSFER_BUFFERED = BufferedInsert(t.transfers)
ENTRY_BUFFERED = BufferedInsert(t.ledger_entries, skip=["seq"])
TRANSFERS = f"SELECT {select_list(t.transfers)} FROM transfers"
ENTRIES = (
    "SELECT e.seq, e.transfer_id, t.kind, e.owner_kind, e.owner_id, e.bucket, e.amount,"
    " t.at, t.reference, t.memo"
    " FROM ledger_entries e JOIN transfers t ON t.id = e.transfer_id"
)
CACHED_BALANCES = "SELECT owner_id, bucket, balance FROM accounts WHERE owner_kind = :owner_kind"
SYSTEM_BALANCE = f"SELECT COALESCE(SUM(amount), 0) FROM ledger_entries WHERE {ACCOUNT_KEY}"
OPEN_HOLD = (
    f"{TRANSFERS} WHERE source_kind = :source_kind AND source_id = :source_id AND kind = :kind"
    " AND NOT EXISTS (SELECT 1 FROM transfers s WHERE s.pending_id = transfers.id)"
)
OPEN_PENDING = (
    f"{TRANSFERS} WHERE kind = :kind AND id IN (SELECT e.transfer_id FROM ledger_entries e"
    " WHERE e.owner_kind = :member AND e.owner_id = :member_id AND e.bucket = :pending"
    " AND e.amount > 0)"
    " AND NOT EXISTS (SELECT 1 FROM transfers s WHERE s.pending_id = transfers.id)"
    " ORDER BY id"
)
POSTINGS = (
    "SELECT owner_kind, owner_id, bucket, amount FROM ledger_entries"
    " WHERE transfer_id = :transfer_id ORDER BY seq"
)
UNDONE = (  # a transfer a reversal (its reference) or a void (its pending id) undid
    "SELECT 1 FROM transfers r WHERE (r.kind = 'reverse' AND r.reference = {id})"
    " OR (r.kind = 'void' AND r.pending_id = {id})"
)
TRANSFER = f"{TRANSFERS} WHERE id = :id"
TOP_EARNERS = (
    "SELECT e.owner_id AS member_id, SUM(e.amount) AS total"
    " FROM ledger_entries e JOIN transfers t ON t.id = e.transfer_id"
    " WHERE t.kind = :kind AND e.owner_kind = :member AND e.amount > 0{since}"
    f" AND NOT EXISTS ({UNDONE.format(id='t.id')})"
    " GROUP BY e.owner_id ORDER BY total DESC, e.owner_id LIMIT :limit"
)


class _Ledger(_Repo):
    def post(self, transfer: Transfer) -> bool:
        """Debits of guarded accounts first (conditional updates, undone if one fails),
        then the transfer row (a settle or void names its hold once: a unique key), then
        credits and the postings."""
        uow = self.uow
        guarded = [p for p in transfer.postings if not p.account.may_go_negative]
        done: list[dict[str, Any]] = []

        def undo() -> None:  # put back this transfer's debits: nothing written
            for debit in done:
                uow.run(UNDO_DEBIT, debit, write=True, flush=False)

        # A debit checks the balance in the table: the account's buffered credits first.
        credits = uow.buffered.credits
        for posting in (p for p in guarded if p.amount < 0):
            debit = {**mapping.account_to_row(posting.account), "amount": posting.amount}
            queued = (debit["owner_kind"], debit["owner_id"], debit["bucket"]) in credits
            if uow.run(DEBIT, debit, write=True, flush=queued).fetchone() is None:
                undo()
                return False
            done.append(debit)
        row = mapping.transfer_to_row(transfer)
        if transfer.pending_id is None:  # append-only: buffered
            uow.buffer(TRANSFER_BUFFERED, row)
        elif uow.run(LINKING_INSERT, row, write=True).fetchone() is None:
            undo()  # the hold was already settled or voided
            return False
        for posting in (p for p in guarded if p.amount > 0):  # summed per account
            account = mapping.account_to_row(posting.account)
            key = (account["owner_kind"], account["owner_id"], account["bucket"])
            credits[key] = credits.get(key, 0) + posting.amount
        sums, debts = uow.buffered.entry_sums, uow.known_debts
        for entry in mapping.postings_to_rows(transfer):
            uow.buffer(ENTRY_BUFFERED, entry)
            key = (entry["owner_kind"], entry["owner_id"], entry["bucket"])
            sums[key] = sums.get(key, 0) + entry["amount"]
        for posting in transfer.postings:
            owner = posting.account.owner_id
            if posting.account == debt_account(owner) and owner in debts:
                debts[owner] += posting.amount
        return True

    def balance(self, account: Account) -> int:
        return self.balances([account])[account]

    def balances(self, accounts: Sequence[Account]) -> dict[Account, int]:
        uow = self.uow
        found = dict.fromkeys(accounts, 0)
        cached: dict[OwnerKind, set[str]] = {}
        for account in found:
            if not account.may_go_negative:
                cached.setdefault(account.owner_kind, set()).add(account.owner_id)
        credits = uow.buffered.credits
        for owner_kind, owners in cached.items():
            condition, params = uow.any_of("owner_id", sorted(owners))
            params["owner_kind"] = owner_kind.value
            for row in uow.all(f"{CACHED_BALANCES} AND {condition}", params, flush=False):
                account = mapping.account_from_row({**row, "owner_kind": owner_kind})
                if account in found:
                    found[account] = mapping.balance_from_row(account, row["balance"])
        if credits:  # plus this transaction's queued credits
            for account in (a for a in found if not a.may_go_negative):
                key = mapping.account_to_row(account)
                found[account] += credits.get(
                    (key["owner_kind"], key["owner_id"], key["bucket"]), 0
                )
        for account in (a for a in found if a.may_go_negative):
            if account == debt_account(account.owner_id) and account.owner_id in uow.member_keys:
                found[account] = self._debt(account.owner_id)
                continue
            # System accounts have no cached row (it would be one hot row for every
            # transaction): their balance is derived from the entries when asked.
            # The entries sent so far, and those buffered (summed as they were queued).
            key = mapping.account_to_row(account)
            queued = uow.buffered.entry_sums.get(
                (key["owner_kind"], key["owner_id"], key["bucket"]), 0
            )
            found[account] = int(uow.scalar(SYSTEM_BALANCE, key, flush=False)) + queued
        return found

    def _debt(self, member_id: str) -> int:
        """A locked member's debt. Every write of a member's debt happens under its lock,
        so the first read of one reads all the locked members' debts at once, and this
        transaction's postings keep them current (`post`)."""
        uow = self.uow
        debts = uow.known_debts
        if member_id not in debts:
            wanted = sorted(i for i in uow.member_keys if i not in debts)
            condition, params = uow.any_of("owner_id", wanted)
            sql = DEBTS.replace("{indexed}", DEBTS_INDEX if uow.dialect.sqlite else "")
            found = {
                r["owner_id"]: int(r["balance"])
                for r in uow.all(sql.format(condition=condition), params, flush=False)
            }
            sums = uow.buffered.entry_sums
            member, debt = OwnerKind.MEMBER.value, Bucket.DEBT.value
            for owner in wanted:  # the table's entries and the buffered ones
                debts[owner] = found.get(owner, 0) + sums.get((member, owner, debt), 0)
        return debts[member_id]

    def entries(self, member_id: str, after_seq: int | None, limit: int) -> list[LedgerEntry]:
        """Newest first; keyset pagination on `seq`. One index range across the member's
        accounts."""
        if limit <= 0:
            return []
        before = "" if after_seq is None else " AND e.seq < :after"
        sql = (
            f"{ENTRIES} WHERE e.owner_kind = :member AND e.owner_id = :member_id{before}"
            " ORDER BY e.seq DESC LIMIT :limit"
        )
        params = {
            "member": OwnerKind.MEMBER.value,
            "member_id": member_id,
            "after": after_seq,
            "limit": limit,
        }
        return [mapping.entry_from_row(r) for r in self.uow.all(sql, params)]

    def open_hold(self, source: Source) -> Transfer | None:
        params = {
            "source_kind": source.kind.value,
            "source_id": source.id,
            "kind": TransferKind.HOLD.value,
        }
        row = self.uow.one(f"{OPEN_HOLD} ORDER BY id LIMIT 1", params)
        if row is None:
            return None
        postings = self.uow.all(POSTINGS, {"transfer_id": row["id"]})
        return mapping.transfer_from_rows(row, postings)

    def transfer(self, transfer_id: str) -> Transfer | None:
        row = self.uow.one(TRANSFER, {"id": transfer_id})
        if row is None:
            return None
        postings = self.uow.all(POSTINGS, {"transfer_id": row["id"]})
        return mapping.transfer_from_rows(row, postings)

    def reversed_ids(self, transfer_ids: Sequence[str]) -> set[str]:
        return {
            i
            for i in transfer_ids
            if self.uow.one(UNDONE.format(id=":id") + " LIMIT 1", {"id": i}) is not None
        }

    def open_pending(self, member_id: str) -> list[Transfer]:
        params = {
            "kind": TransferKind.EARN.value,
            "member": OwnerKind.MEMBER.value,
            "member_id": member_id,
            "pending": Bucket.PENDING.value,
        }
        found = []
        for row in self.uow.all(OPEN_PENDING, params):
            postings = self.uow.all(POSTINGS, {"transfer_id": row["id"]})
            found.append(mapping.transfer_from_rows(row, postings))
        return found

    def top_earners(self, since: datetime | None, limit: int) -> list[tuple[str, int]]:
        if limit <= 0:
            return []
        sql = TOP_EARNERS.format(since="" if since is None else " AND t.at >= :since")
        params = {
            "kind": TransferKind.EARN.value,
            "member": OwnerKind.MEMBER.value,
            "limit": limit,
            "since": since,
        }
        return [(r["member_id"], int(r["total"])) for r in self.uow.all(sql, params)]


# --- activities ---------------------------------------------------------------------------

ACTIVITY_BUFFERED = BufferedInsert(t.activities)
ACTIVITY = f"SELECT {select_list(t.activities)} FROM activities WHERE id = :id"
ACTIVITIES_OF_SUBJECT = (
    f"SELECT {select_list(t.activities)} FROM activities WHERE member_id = :member_id"
    " AND subject_id = :subject_id AND kind = :kind ORDER BY occurred_at, id"
)
SUBJECT = (
    "SELECT 1 FROM rewarded_subjects"
    " WHERE member_id = :member_id AND rule_id = :rule_id AND subject_id = :subject_id"
)
SUBJECT_BUFFERED = BufferedInsert(t.rewarded_subjects, tail=" ON CONFLICT DO NOTHING")


class _Activities(_Repo):
    def add(self, record: ActivityRecord) -> None:
        self.uow.buffer(ACTIVITY_BUFFERED, mapping.activity_to_row(record))

    def get(self, activity_id: str) -> ActivityRecord | None:
        row = self.uow.one(ACTIVITY, {"id": activity_id})
        return mapping.activity_from_row(row) if row is not None else None

    def subject_rewarded(self, member_id: str, rule_id: str, subject_id: str) -> bool:
        """A mark buffered in this transaction answers at once; any other is in the table."""
        if (member_id, rule_id, subject_id) in self.uow.buffered.marks:
            return True
        params = {"member_id": member_id, "rule_id": rule_id, "subject_id": subject_id}
        return self.uow.one(SUBJECT, params, flush=False) is not None

    def mark_subject(self, member_id: str, rule_id: str, subject_id: str) -> None:
        params = {"member_id": member_id, "rule_id": rule_id, "subject_id": subject_id}
        self.uow.buffer(SUBJECT_BUFFERED, params)
        self.uow.buffered.marks.add((member_id, rule_id, subject_id))

    def for_subject(self, member_id: str, kind: str, subject_id: str) -> list[ActivityRecord]:
        params = {"member_id": member_id, "kind": kind, "subject_id": subject_id}
        return [mapping.activity_from_row(r) for r in self.uow.all(ACTIVITIES_OF_SUBJECT, params)]


# --- notes --------------------------------------------------------------------------------

NOTES = f"SELECT {select_list(t.notes)} FROM notes"
NOTE_INSERT = insert_sql(t.notes)
NOTE_UPDATE = update_sql(t.notes, ["member_id", "note_id"])
NOTES_COUNTED = "SELECT COUNT(*) FROM notes WHERE member_id = :member_id AND counted_day <= :last"
NOTES_OF_MEMBER = f"{NOTES} WHERE member_id = :member_id ORDER BY published_at, note_id"
LATEST_MEASURED = (
    f"{NOTES} WHERE member_id = :member_id AND interactions IS NOT NULL"
    " ORDER BY published_at DESC, note_id DESC LIMIT :limit"
)


class _Notes(_Repo):
    """Notes read or written in the transaction are kept for it: checking that metrics name
    a published note and then recording them reads the note once. (Every write of a
    member's notes happens under that member's lock, so the copy cannot go stale.)"""

    def get(self, member_id: str, note_id: str) -> Note | None:
        known = self.uow.known_notes.get((member_id, note_id))
        if known is not None:
            return known
        sql = f"{NOTES} WHERE member_id = :member_id AND note_id = :note_id"
        params = {"member_id": member_id, "note_id": note_id}
        row = self.uow.one(sql, params, flush=False)  # notes are never buffered
        if row is None:
            return None
        note = mapping.note_from_row(row)
        self.uow.known_notes[(member_id, note_id)] = note
        return note

    def add(self, note: Note) -> None:
        self.uow.run(NOTE_INSERT, mapping.note_to_row(note), write=True)
        self.uow.known_notes[(note.member_id, note.note_id)] = note

    def save(self, note: Note) -> None:
        what = f"note {note.member_id}/{note.note_id} was saved before it was added"
        self.uow.run_checked(NOTE_UPDATE, mapping.note_to_row(note), _one_row, what)
        self.uow.known_notes[(note.member_id, note.note_id)] = note

    def counted(self, member_id: str, first_day: int | None, last_day: int) -> int:
        sql = NOTES_COUNTED if first_day is None else f"{NOTES_COUNTED} AND counted_day >= :first"
        params = {"member_id": member_id, "first": first_day, "last": last_day}
        return int(self.uow.scalar(sql, params))

    def latest_measured(self, member_id: str, limit: int) -> list[Note]:
        if limit <= 0:
            return []
        rows = self.uow.all(LATEST_MEASURED, {"member_id": member_id, "limit": limit})
        return [mapping.note_from_row(r) for r in rows]

    def for_member(self, member_id: str) -> list[Note]:
        rows = self.uow.all(NOTES_OF_MEMBER, {"member_id": member_id})
        return [mapping.note_from_row(r) for r in rows]


# --- stock and coupon codes ---------------------------------------------------------------

STOCK_INSERT = insert_sql(t.stock, tail=" ON CONFLICT DO NOTHING")
STOCK = "SELECT remaining FROM stock WHERE reward_id = :reward_id"
TAKE = (
    "UPDATE stock SET remaining = remaining - :quantity"
    " WHERE reward_id = :reward_id AND remaining >= :quantity RETURNING remaining"
)
PUT_BACK = (
    "UPDATE stock SET remaining = remaining + :quantity"
    " WHERE reward_id = :reward_id AND remaining IS NOT NULL"
)
CODE_INSERT = (
    "INSERT INTO coupon_codes (reward_id, code) VALUES (:reward_id, :code)"
    " ON CONFLICT DO NOTHING RETURNING id"
)
CLAIM = (
    "UPDATE coupon_codes SET redemption_id = :redemption_id WHERE id = ("
    " SELECT id FROM coupon_codes WHERE reward_id = :reward_id AND redemption_id IS NULL"
    " ORDER BY id LIMIT 1{skip_locked}) RETURNING code"
)
CODES_LEFT = (
    "SELECT COUNT(*) FROM coupon_codes WHERE reward_id = :reward_id AND redemption_id IS NULL"
)


class _Stock(_Repo):
    def ensure(self, reward_id: str, stock: int | None) -> None:
        self.uow.run(STOCK_INSERT, {"reward_id": reward_id, "remaining": stock}, write=True)

    def _row(self, reward_id: str) -> tuple[bool, int | None]:
        row = self.uow.one(STOCK, {"reward_id": reward_id})
        if row is None:
            return False, None
        remaining: int | None = row["remaining"]
        assert remaining is None or remaining >= 0, f"stock of {reward_id} is negative"
        return True, remaining

    def remaining(self, reward_id: str) -> int | None:
        return self._row(reward_id)[1]

    def take(self, reward_id: str, quantity: int) -> bool:
        assert quantity > 0
        params = {"reward_id": reward_id, "quantity": quantity}
        if self.uow.run(TAKE, params, write=True).fetchone() is not None:
            return True
        exists, remaining = self._row(reward_id)
        return exists and remaining is None  # unlimited stock is never short

    def put_back(self, reward_id: str, quantity: int) -> None:
        assert quantity > 0
        self.uow.run(PUT_BACK, {"reward_id": reward_id, "quantity": quantity}, write=True)

    def restock(self, reward_id: str, quantity: int) -> None:
        self.put_back(reward_id, quantity)

    def add_codes(self, reward_id: str, codes: Sequence[str]) -> int:
        added = 0
        for code in codes:  # one by one: each tells whether it was new
            params = {"reward_id": reward_id, "code": code}
            added += self.uow.run(CODE_INSERT, params, write=True).fetchone() is not None
        return added

    def claim_code(self, reward_id: str, redemption_id: str) -> str | None:
        uow = self.uow
        sql = CLAIM.format(skip_locked=uow.dialect.skip_locked)
        params = {"reward_id": reward_id, "redemption_id": redemption_id}
        row = uow.run(sql, params, write=True).fetchone()
        return None if row is None else str(row[0])

    def codes_left(self, reward_id: str) -> int:
        return int(self.uow.scalar(CODES_LEFT, {"reward_id": reward_id}))


# --- redemptions --------------------------------------------------------------------------

REDEMPTIONS = f"SELECT {select_list(t.redemptions)} FROM redemptions"
REDEMPTION_INSERT = insert_sql(t.redemptions)
REDEMPTION_UPDATE = update_sql(t.redemptions, ["id"])
ACTIVE_QUANTITY = (
    "SELECT COALESCE(SUM(quantity), 0) FROM redemptions"
    " WHERE member_id = :member_id AND reward_id = :reward_id AND status <> :cancelled"
)


class _Redemptions(_Repo):
    def add(self, redemption: Redemption) -> None:
        self.uow.run(REDEMPTION_INSERT, mapping.redemption_to_row(redemption), write=True)

    def get(self, redemption_id: str) -> Redemption | None:
        row = self.uow.one(f"{REDEMPTIONS} WHERE id = :id", {"id": redemption_id})
        return mapping.redemption_from_row(row) if row is not None else None

    def save(self, redemption: Redemption) -> None:
        row = mapping.redemption_to_row(redemption)
        what = f"redemption {redemption.id} was saved before it was added"
        self.uow.run_checked(REDEMPTION_UPDATE, row, _one_row, what)

    def active_quantity(self, member_id: str, reward_id: str) -> int:
        params = {
            "member_id": member_id,
            "reward_id": reward_id,
            "cancelled": RedemptionStatus.CANCELLED.value,
        }
        return int(self.uow.scalar(ACTIVE_QUANTITY, params))

    def list_for_member(self, member_id: str, after_id: str | None, limit: int) -> list[Redemption]:
        if limit <= 0:
            return []
        before = "" if after_id is None else " AND id < :after"
        sql = f"{REDEMPTIONS} WHERE member_id = :member_id{before} ORDER BY id DESC LIMIT :limit"
        rows = self.uow.all(sql, {"member_id": member_id, "after": after_id, "limit": limit})
        return [mapping.redemption_from_row(r) for r in rows]


# --- honors -------------------------------------------------------------------------------

AWARDS = f"SELECT {select_list(t.honor_awards)} FROM honor_awards"
AWARD_INSERT = insert_sql(t.honor_awards)
AWARD_UPDATE = update_sql(t.honor_awards, ["id"])
HOLDERS = (
    "SELECT COUNT(DISTINCT member_id) FROM honor_awards"
    " WHERE honor_id = :honor_id AND revoked_at IS NULL"
)


# A missing seats row is created from the awards it counts (an honor granted before seats
# were tracked, or new to the economy); concurrent creators conflict on the key and wait.
SEATS_ENSURE = (
    "INSERT INTO honor_seats (honor_id, holders)"
    " SELECT CAST(:honor_id AS VARCHAR), COUNT(DISTINCT member_id) FROM honor_awards"
    " WHERE honor_id = :honor_id AND revoked_at IS NULL"
    " ON CONFLICT (honor_id) DO NOTHING"
)
SEATS_TAKE = (
    "UPDATE honor_seats SET holders = holders + 1"
    " WHERE honor_id = :honor_id AND holders < :seats RETURNING holders"
)
unlimited_seats = 2**62  # holders of an honor without max_holders are counted all the same
SEATS_RELEASE = (
    "UPDATE honor_seats SET holders = holders - 1 WHERE honor_id = :honor_id AND holders > 0"
)


class _Honors(_Repo):
    def add(self, award: HonorAward) -> None:
        self.uow.run(AWARD_INSERT, mapping.honor_to_row(award), write=True)

    def save(self, award: HonorAward) -> None:
        what = f"honor award {award.id} was saved before it was added"
        self.uow.run_checked(AWARD_UPDATE, mapping.honor_to_row(award), _one_row, what)

    def active(self, member_id: str, honor_id: str) -> HonorAward | None:
        sql = (
            f"{AWARDS} WHERE member_id = :member_id AND honor_id = :honor_id"
            " AND revoked_at IS NULL ORDER BY id LIMIT 1"
        )
        row = self.uow.one(sql, {"member_id": member_id, "honor_id": honor_id})
        return mapping.honor_from_row(row) if row is not None else None

    def list_for_member(self, member_id: str) -> list[HonorAward]:
        rows = self.uow.all(f"{AWARDS} WHERE member_id = :member_id ORDER BY id", {
            "member_id": member_id})  # fmt: skip
        return [mapping.honor_from_row(r) for r in rows]

    def holders(self, honor_id: str) -> int:
        return int(self.uow.scalar(HOLDERS, {"honor_id": honor_id}))

    def take_seat(self, honor_id: str, seats: int | None) -> bool:
        params = {"honor_id": honor_id, "seats": unlimited_seats if seats is None else seats}
        self.uow.run(SEATS_ENSURE, params, write=True)
        return self.uow.run(SEATS_TAKE, params, write=True).fetchone() is not None

    def release_seat(self, honor_id: str) -> None:
        self.uow.run(SEATS_RELEASE, {"honor_id": honor_id}, write=True)

    def active_for_honors(self, honor_ids: Sequence[str], limit: int) -> list[HonorAward]:
        if not honor_ids or limit <= 0:
            return []
        condition, params = self.uow.any_of("honor_id", honor_ids)
        sql = (
            f"{AWARDS} WHERE {condition} AND revoked_at IS NULL"
            " ORDER BY granted_at, id LIMIT :limit"
        )
        return [mapping.honor_from_row(r) for r in self.uow.all(sql, {**params, "limit": limit})]


# --- quests -------------------------------------------------------------------------------

QUESTS = f"SELECT {select_list(t.quest_progress)} FROM quest_progress"
QUEST_INSERT = insert_sql(t.quest_progress)
QUEST_UPDATE = update_sql(t.quest_progress, ["member_id", "quest_id", "instance"])
PLACES_ENSURE = (
    "INSERT INTO quest_places (quest_id, instance, completed) VALUES (:quest_id, :instance, 0)"
    " ON CONFLICT (quest_id, instance) DO NOTHING"
)
PLACES_TAKE = (
    "UPDATE quest_places SET completed = completed + 1"
    " WHERE quest_id = :quest_id AND instance = :instance AND completed < :capacity"
    " RETURNING completed"
)
PLACES = "SELECT completed FROM quest_places WHERE quest_id = :quest_id AND instance = :instance"


class _Quests(_Repo):
    def get(self, member_id: str, quest_id: str, instance: int) -> QuestProgress | None:
        sql = (
            f"{QUESTS} WHERE member_id = :member_id AND quest_id = :quest_id"
            " AND instance = :instance"
        )
        params = {"member_id": member_id, "quest_id": quest_id, "instance": instance}
        row = self.uow.one(sql, params)
        return mapping.quest_from_row(row) if row is not None else None

    def add(self, progress: QuestProgress) -> None:
        self.uow.run(QUEST_INSERT, mapping.quest_to_row(progress), write=True)

    def save(self, progress: QuestProgress) -> None:
        what = f"quest progress {progress.quest_id} was saved before it was added"
        self.uow.run_checked(QUEST_UPDATE, mapping.quest_to_row(progress), _one_row, what)

    def list_for_member(
        self, member_id: str, after: tuple[str, int] | None, limit: int
    ) -> list[QuestProgress]:
        keyset = ""
        params: dict[str, Any] = {"member_id": member_id, "limit": limit}
        if after is not None:
            keyset = (
                " AND (quest_id > :after_quest"
                " OR (quest_id = :after_quest AND instance < :after_instance))"
            )
            params.update(after_quest=after[0], after_instance=after[1])
        sql = (
            f"{QUESTS} WHERE member_id = :member_id{keyset}"
            " ORDER BY quest_id, instance DESC LIMIT :limit"
        )
        return [mapping.quest_from_row(r) for r in self.uow.all(sql, params)]

    def take_place(self, quest_id: str, instance: int, capacity: int) -> bool:
        params = {"quest_id": quest_id, "instance": instance, "capacity": capacity}
        self.uow.run(PLACES_ENSURE, params, write=True)
        return self.uow.run(PLACES_TAKE, params, write=True).fetchone() is not None

    def completions(self, quest_id: str, instance: int) -> int:
        found = self.uow.scalar(PLACES, {"quest_id": quest_id, "instance": instance})
        return int(found or 0)


# --- idempotency and audit ----------------------------------------------------------------

KEY = (
    f"SELECT {select_list(t.idempotency_keys)} FROM idempotency_keys"
    " WHERE scope = :scope AND key = :key"
)
KEYS = f"SELECT {select_list(t.idempotency_keys)} FROM idempotency_keys"
KEYS_OF_SQLITE = f"{KEYS} WHERE (scope, key) IN (VALUES {{pairs}})"
KEYS_OF_POSTGRES = (
    f"{KEYS} WHERE (scope, key) IN"
    " (SELECT * FROM unnest(CAST(:scopes AS TEXT[]), CAST(:keys AS TEXT[])))"
)
# The member lock serializes every use of a member's keys, so a key written twice is a bug
# of ours: the check fails and the unit of work rolls back, nothing is written twice.
KEY_BUFFERED = BufferedInsert(t.idempotency_keys, tail=" ON CONFLICT DO NOTHING", checked=True)
AUDIT = f"SELECT {select_list(t.audit_entries)} FROM audit_entries"
AUDIT_INSERT = insert_sql(t.audit_entries, skip=["seq"])


class _Idempotency(_Repo):
    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        known = self.uow.known_keys
        if (scope, key) in known:
            return known[(scope, key)]
        # Unbuffered: a key added in this transaction is known.
        row = self.uow.one(KEY, {"scope": scope, "key": key}, flush=False)
        return mapping.idempotency_from_row(row) if row is not None else None

    def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], IdempotencyRecord]:
        uow = self.uow
        known = uow.known_keys
        wanted = [k for k in dict.fromkeys(keys) if k not in known]
        if wanted:
            if uow.dialect.sqlite:
                names = range(len(wanted))
                sql = KEYS_OF_SQLITE.format(pairs=", ".join(f"(:s{i}, :k{i})" for i in names))
                params: dict[str, Any] = {}
                for i, (scope, key) in enumerate(wanted):
                    params[f"s{i}"], params[f"k{i}"] = scope, key
            else:
                sql = KEYS_OF_POSTGRES
                params = {"scopes": [s for s, _ in wanted], "keys": [k for _, k in wanted]}
            found = {
                (r["scope"], r["key"]): mapping.idempotency_from_row(r)
                for r in uow.all(sql, params, flush=False)
            }
            for pair in wanted:
                known[pair] = found.get(pair)
        return {pair: record for pair in keys if (record := known.get(pair)) is not None}

    def add(self, record: IdempotencyRecord) -> None:
        self.uow.buffer(KEY_BUFFERED, mapping.idempotency_to_row(record))
        self.uow.known_keys[(record.scope, record.key)] = record


REVERSAL = f"SELECT {select_list(t.reversals)} FROM reversals WHERE activity_id = :id"
REVERSAL_INSERT = insert_sql(t.reversals)


class _Reversals(_Repo):
    def add(self, reversal: Reversal) -> None:
        self.uow.run(REVERSAL_INSERT, mapping.reversal_to_row(reversal), write=True)

    def get(self, activity_id: str) -> Reversal | None:
        row = self.uow.one(REVERSAL, {"id": activity_id})
        return mapping.reversal_from_row(row) if row is not None else None


class _Audit(_Repo):
    def add(self, entry: AuditEntry) -> None:
        self.uow.run(AUDIT_INSERT, mapping.audit_to_row(entry), write=True)

    def list(self, target: str | None, limit: int) -> list[AuditEntry]:
        if limit <= 0:
            return []
        where = "" if target is None else " WHERE target = :target"
        sql = f"{AUDIT}{where} ORDER BY seq DESC LIMIT :limit"
        rows = self.uow.all(sql, {"target": target, "limit": limit})
        return [mapping.audit_from_row(r) for r in rows]
