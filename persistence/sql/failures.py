"""Database failures that are the world's, not ours, and what to do about them.

A unit of work either commits or leaves nothing behind (the server rolls back a
transaction whose connection dies, or that it aborted), so a use case that failed before
its COMMIT was sent can simply run again on a fresh unit of work:

- CONFLICT: PostgreSQL aborted the transaction to break a deadlock or a serialization
  conflict. Run again, up to `conflict_retries_max` times, then give up as BUSY.
- DISCONNECTED: the connection broke or could not be opened (a server restart leaves every
  pooled connection stale). The work runs once more; if that fails too, the database is
  UNAVAILABLE. One retry is enough after a restart: rolling back the broken unit of work
  fails as a disconnect in SQLAlchemy, which then replaces every connection pooled before
  it at its next checkout (pinned by tests/integration/test_stale_connections.py).
- BUSY: a lock or busy timeout ran out (SQLite's writer lock, PostgreSQL's lock_timeout or
  statement_timeout): the waiting is done already, so no retry.

What `run` gives up with is `DatabaseUnavailable`; the API answers it with a retryable
error code. Anything else (our bugs included) passes through untouched."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

import psycopg
import sqlalchemy as sa

from domain.ports import UnitOfWork
from persistence.sql.uow import SqlUnitOfWork

R = TypeVar("R")
conflict_retries_max = 3
disconnect_retries_max = 1
conflict_backoff_ms_max = 50  # random pause before running a conflicted transaction again


class Failure(StrEnum):
    CONFLICT = "conflict"
    DISCONNECTED = "disconnected"
    BUSY = "busy"


class Outcome(StrEnum):
    NOT_WRITTEN = "not_written"  # the transaction never committed
    UNKNOWN = "unknown"  # the connection broke while COMMIT was on its way


class DatabaseUnavailable(Exception):
    """The database could not do the work now; trying again later may succeed."""

    def __init__(self, failure: Failure, outcome: Outcome) -> None:
        super().__init__(f"database {failure.value}; outcome {outcome.value}")
        self.failure = failure
        self.outcome = outcome

    @property
    def unreachable(self) -> bool:
        return self.failure is Failure.DISCONNECTED


_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")


def classify(error: BaseException) -> Failure | None:
    """The kind of transient failure `error` is, or None if it is not one."""
    original = error.orig if isinstance(error, sa.exc.DBAPIError) else error
    if isinstance(original, psycopg.Error):
        return _postgres(original)
    if isinstance(original, sqlite3.OperationalError):
        text = str(original).lower()
        if any(mark in text for mark in _SQLITE_BUSY):
            return Failure.BUSY
        if "unable to open" in text or "disk i/o" in text:
            return Failure.DISCONNECTED
    return None


def _postgres(error: psycopg.Error) -> Failure | None:
    state = error.sqlstate or ""
    if state.startswith("40"):  # transaction rollback: serialization failure, deadlock
        return Failure.CONFLICT
    if state in ("55P03", "57014"):  # lock_not_available, query_canceled (a timeout)
        return Failure.BUSY
    if isinstance(error, psycopg.InterfaceError) or (
        isinstance(error, psycopg.OperationalError)
        and (not state or state.startswith(("08", "53", "57P")))
    ):
        return Failure.DISCONNECTED  # lost, refused, shut down, starting, out of connections
    return None


def _commit_sent(uow: UnitOfWork) -> bool:
    return isinstance(uow, SqlUnitOfWork) and uow.commit_sent


def run(store: Callable[[], UnitOfWork], work: Callable[[UnitOfWork], R]) -> tuple[R, UnitOfWork]:
    """`work` on a fresh unit of work, again on a transient failure (see the module);
    returns its result and the unit of work that succeeded (for its events)."""
    conflicts = disconnects = 0
    while True:
        uow = store()
        try:
            return work(uow), uow
        except Exception as error:
            failure = classify(error)
            if failure is None:
                raise
            if _commit_sent(uow):  # it may have committed: only the caller may retry
                raise DatabaseUnavailable(failure, Outcome.UNKNOWN) from error
            if failure is Failure.CONFLICT and conflicts < conflict_retries_max:
                conflicts += 1
                time.sleep(random.uniform(0, conflict_backoff_ms_max) / 1000 * conflicts)
                continue
            if failure is Failure.DISCONNECTED and disconnects < disconnect_retries_max:
                disconnects += 1
                continue
            final = Failure.BUSY if failure is Failure.CONFLICT else failure
            raise DatabaseUnavailable(final, Outcome.NOT_WRITTEN) from error
