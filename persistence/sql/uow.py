"""The SQL unit of work: `domain.ports.UnitOfWork` over SQLite or PostgreSQL.

One unit of work is one short transaction on one pooled connection, opened lazily by the
first repository call and handed back on exit (rolled back unless `commit()` was called).

Serialization. Every ledger-writing use case first calls `members.get_for_update(id)`:
- PostgreSQL (READ COMMITTED): `SELECT ... FOR UPDATE` on the member row, so writers of
  one member queue there and every later statement sees what the previous writer committed.
- SQLite: the transaction is (re)started with `BEGIN IMMEDIATE`, which takes the database's
  single write lock up front; writers queue on the busy timeout. Reads before that point
  ran in a plain `BEGIN` snapshot that is ended first (it has written nothing); the
  services re-read everything they rely on after taking the lock.
Balances and stock move only through conditional updates; idempotency keys, handles and
rewarded subjects are unique keys, so the database refuses a duplicate even if a caller
skipped the lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Self

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from domain.errors import AlreadyExists
from domain.model import (
    ActivityRecord,
    AuditEntry,
    Event,
    HonorAward,
    IdempotencyRecord,
    LedgerEntry,
    Member,
    Redemption,
    RedemptionStatus,
    Transfer,
    TransferKind,
    available_account,
    held_account,
    is_member_account,
)
from persistence.sql import mapping
from persistence.sql import tables as t
from persistence.sql.engine import BEGIN_KEY, is_sqlite, make_engine
from persistence.sql.ids import IdGenerator

Mode = Literal["idle", "read", "write"]


class SqlStore:
    """Factory of units of work over one database; safe to share between threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self.next_id = IdGenerator()

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.next_id)

    def dispose(self) -> None:
        self.engine.dispose()


class SqlUnitOfWork:
    def __init__(self, engine: Engine, ids: IdGenerator) -> None:
        self.engine = engine
        self.sqlite = is_sqlite(engine)
        self._ids = ids
        self._conn: Connection | None = None
        self._mode: Mode = "idle"
        self._entered = False
        self._committed_events = 0
        self.identity: dict[str, Member] = {}  # members locked or written in this transaction
        self.events: list[Event] = []
        self.members = _Members(self)
        self.ledger = _Ledger(self)
        self.activities = _Activities(self)
        self.stock = _Stock(self)
        self.redemptions = _Redemptions(self)
        self.honors = _Honors(self)
        self.idempotency = _Idempotency(self)
        self.audit = _Audit(self)

    # --- transaction control ----------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        return self._ids(prefix)

    def connection(self, write: bool) -> Connection:
        """The connection, inside a transaction that may write if `write`."""
        assert self._entered, "use the unit of work inside `with uow:`"
        if self._conn is None:
            self._conn = self.engine.connect()
        if self._mode == "idle" or (write and self._mode == "read"):
            if self._conn.in_transaction():
                self._conn.rollback()  # a read snapshot: nothing to keep
            wanted: Mode = "write" if write else "read"
            self._conn.info[BEGIN_KEY] = "BEGIN IMMEDIATE" if wanted == "write" else "BEGIN"
            self._mode = wanted
        return self._conn

    def read(self) -> Connection:
        return self.connection(write=False)

    def write(self) -> Connection:
        return self.connection(write=True)

    def insert(self, table: sa.Table) -> Any:
        """An INSERT that supports ON CONFLICT on this database. (Use RETURNING, not
        rowcount, to learn whether a row went in: psycopg reports -1 for these.)"""
        return sqlite.insert(table) if self.sqlite else postgresql.insert(table)

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
        try:
            self.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._entered = False

    def commit(self) -> None:
        if self._conn is not None and self._conn.in_transaction():
            self._conn.commit()
        self._finish()
        self._committed_events = len(self.events)

    def rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction():
            self._conn.rollback()
        self._finish()
        del self.events[self._committed_events :]  # events of rolled-back work never happened

    def _finish(self) -> None:
        self._mode = "idle"
        self.identity.clear()


class _Repo:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow


# --- members ------------------------------------------------------------------------------


class _Members(_Repo):
    def add(self, member: Member) -> None:
        uow = self.uow
        statement = uow.insert(t.members).on_conflict_do_nothing().returning(t.members.c.id)
        inserted = uow.write().execute(statement, mapping.member_to_row(member)).first()
        if inserted is None:  # a concurrent registration won the race for the id or handle
            if self.get_by_handle(member.handle) is not None:
                raise AlreadyExists("member handle", member.handle)
            raise AlreadyExists("member", member.id)
        uow.identity[member.id] = member

    def get(self, member_id: str) -> Member | None:
        known = self.uow.identity.get(member_id)
        if known is not None:
            return known
        row = (
            self.uow.read()
            .execute(sa.select(t.members).where(t.members.c.id == member_id))
            .mappings()
            .first()
        )
        return mapping.member_from_row(row) if row is not None else None

    def get_for_update(self, member_id: str) -> Member | None:
        uow = self.uow
        conn = uow.write()  # SQLite: ends a read snapshot and takes the write lock
        known = uow.identity.get(member_id)
        if known is not None:
            return known
        row = (
            conn.execute(sa.select(t.members).where(t.members.c.id == member_id).with_for_update())
            .mappings()
            .first()
        )
        if row is None:
            return None
        member = mapping.member_from_row(row)
        uow.identity[member_id] = member
        return member

    def get_many(self, member_ids: Sequence[str]) -> list[Member]:
        if not member_ids:
            return []
        identity = self.uow.identity
        wanted = [i for i in dict.fromkeys(member_ids) if i not in identity]
        loaded: dict[str, Member] = {}
        if wanted:
            rows = self.uow.read().execute(sa.select(t.members).where(t.members.c.id.in_(wanted)))
            loaded = {r["id"]: mapping.member_from_row(r) for r in rows.mappings()}
        found = (identity.get(i) or loaded.get(i) for i in member_ids)
        return [m for m in found if m is not None]

    def get_by_handle(self, handle: str) -> Member | None:
        for member in self.uow.identity.values():
            if member.handle == handle:
                return member
        row = (
            self.uow.read()
            .execute(sa.select(t.members).where(t.members.c.handle == handle))
            .mappings()
            .first()
        )
        return mapping.member_from_row(row) if row is not None else None

    def save(self, member: Member) -> None:
        uow = self.uow
        member.version += 1
        values = mapping.member_to_row(member)
        del values["id"]
        statement = (
            sa.update(t.members)
            .where(t.members.c.id == member.id, t.members.c.version == member.version - 1)
            .values(values)
        )
        updated = uow.write().execute(statement).rowcount
        assert updated == 1, f"member {member.id} changed under us (saved without its lock?)"
        uow.identity[member.id] = member

    def at_levels(self, level_ids: Sequence[str], limit: int) -> list[Member]:
        if not level_ids or limit <= 0:
            return []
        statement = (
            sa.select(t.members)
            .where(t.members.c.level_id.in_(list(level_ids)))
            .order_by(t.members.c.id)
            .limit(limit)
        )
        rows = self.uow.read().execute(statement).mappings()
        return [mapping.member_from_row(r) for r in rows]


# --- ledger -------------------------------------------------------------------------------

_acc = t.accounts.c
_ent = t.ledger_entries.c


class _Ledger(_Repo):
    def post(self, transfer: Transfer) -> bool:
        uow = self.uow
        conn = uow.write()
        member_postings = [p for p in transfer.postings if is_member_account(p.account)]
        debits = [p for p in member_postings if p.amount < 0]
        credits = [p for p in member_postings if p.amount > 0]
        done: list[tuple[str, int]] = []
        for posting in debits:
            moved = conn.execute(
                sa.update(t.accounts)
                .where(_acc.account == posting.account, _acc.balance + posting.amount >= 0)
                .values(balance=_acc.balance + posting.amount)
            ).rowcount
            if moved != 1:
                for account, amount in done:  # undo this transfer's earlier debits
                    conn.execute(
                        sa.update(t.accounts)
                        .where(_acc.account == account)
                        .values(balance=_acc.balance - amount)
                    )
                return False
            done.append((posting.account, posting.amount))
        for posting in credits:
            upsert = uow.insert(t.accounts).values(account=posting.account, balance=posting.amount)
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[_acc.account],
                    set_={"balance": _acc.balance + upsert.excluded.balance},
                )
            )
        conn.execute(sa.insert(t.ledger_entries), mapping.transfer_to_rows(transfer))
        return True

    def balance(self, account: str) -> int:
        return self.balances([account])[account]

    def balances(self, accounts: Sequence[str]) -> dict[str, int]:
        conn = self.uow.read()
        found = dict.fromkeys(accounts, 0)
        members = [a for a in found if is_member_account(a)]
        if members:
            rows = conn.execute(
                sa.select(_acc.account, _acc.balance).where(_acc.account.in_(members))
            )
            for account, balance in rows:
                found[account] = mapping.balance_from_row(account, balance)
        for account in (a for a in found if not is_member_account(a)):
            # System accounts have no cached row (it would be one hot row for every
            # transaction): their balance is derived from the entries when asked.
            total = conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(_ent.amount), 0)).where(
                    _ent.account == account
                )
            ).scalar_one()
            found[account] = int(total)
        return found

    def entries(self, member_id: str, after_seq: int | None, limit: int) -> list[LedgerEntry]:
        """Newest first; keyset pagination on `seq`. One index range per member account."""
        if limit <= 0:
            return []
        conn = self.uow.read()
        rows: list[LedgerEntry] = []
        for account in (available_account(member_id), held_account(member_id)):
            statement = sa.select(t.ledger_entries).where(_ent.account == account)
            if after_seq is not None:
                statement = statement.where(_ent.seq < after_seq)
            statement = statement.order_by(_ent.seq.desc()).limit(limit)
            rows.extend(mapping.entry_from_row(r) for r in conn.execute(statement).mappings())
        rows.sort(key=lambda e: e.seq, reverse=True)
        return rows[:limit]

    def top_earners(self, since: datetime | None, limit: int) -> list[tuple[str, int]]:
        if limit <= 0:
            return []
        total = sa.func.sum(_ent.amount).label("total")
        statement = sa.select(_ent.member_id, total).where(
            _ent.kind == TransferKind.EARN.value, _ent.amount > 0
        )
        if since is not None:
            statement = statement.where(_ent.at >= since)
        statement = (
            statement.group_by(_ent.member_id).order_by(total.desc(), _ent.member_id).limit(limit)
        )
        rows = self.uow.read().execute(statement)
        return [(member_id, int(points)) for member_id, points in rows]


# --- activities ---------------------------------------------------------------------------

_sub = t.rewarded_subjects.c


class _Activities(_Repo):
    def add(self, record: ActivityRecord) -> None:
        self.uow.write().execute(sa.insert(t.activities), mapping.activity_to_row(record))

    def get(self, activity_id: str) -> ActivityRecord | None:
        row = (
            self.uow.read()
            .execute(sa.select(t.activities).where(t.activities.c.id == activity_id))
            .mappings()
            .first()
        )
        return mapping.activity_from_row(row) if row is not None else None

    def subject_rewarded(self, member_id: str, rule_id: str, subject_id: str) -> bool:
        statement = sa.select(sa.literal(1)).where(
            _sub.member_id == member_id, _sub.rule_id == rule_id, _sub.subject_id == subject_id
        )
        return self.uow.read().execute(statement).first() is not None

    def mark_subject(self, member_id: str, rule_id: str, subject_id: str) -> None:
        uow = self.uow
        statement = uow.insert(t.rewarded_subjects).on_conflict_do_nothing()
        uow.write().execute(
            statement, {"member_id": member_id, "rule_id": rule_id, "subject_id": subject_id}
        )


# --- stock and coupon codes ---------------------------------------------------------------

_stk = t.stock.c
_code = t.coupon_codes.c


class _Stock(_Repo):
    def ensure(self, reward_id: str, stock: int | None) -> None:
        uow = self.uow
        statement = uow.insert(t.stock).on_conflict_do_nothing()
        uow.write().execute(statement, {"reward_id": reward_id, "remaining": stock})

    def _row(self, reward_id: str) -> tuple[bool, int | None]:
        row = (
            self.uow.read()
            .execute(sa.select(_stk.remaining).where(_stk.reward_id == reward_id))
            .first()
        )
        if row is None:
            return False, None
        remaining: int | None = row[0]
        assert remaining is None or remaining >= 0, f"stock of {reward_id} is negative"
        return True, remaining

    def remaining(self, reward_id: str) -> int | None:
        return self._row(reward_id)[1]

    def take(self, reward_id: str, quantity: int) -> bool:
        assert quantity > 0
        taken = (
            self.uow.write()
            .execute(
                sa.update(t.stock)
                .where(_stk.reward_id == reward_id, _stk.remaining >= quantity)
                .values(remaining=_stk.remaining - quantity)
            )
            .rowcount
        )
        if taken == 1:
            return True
        exists, remaining = self._row(reward_id)
        return exists and remaining is None  # unlimited stock is never short

    def put_back(self, reward_id: str, quantity: int) -> None:
        assert quantity > 0
        self.uow.write().execute(
            sa.update(t.stock)
            .where(_stk.reward_id == reward_id, _stk.remaining.is_not(None))
            .values(remaining=_stk.remaining + quantity)
        )

    def restock(self, reward_id: str, quantity: int) -> None:
        self.put_back(reward_id, quantity)

    def add_codes(self, reward_id: str, codes: Sequence[str]) -> int:
        if not codes:
            return 0
        uow = self.uow
        statement = uow.insert(t.coupon_codes).on_conflict_do_nothing().returning(_code.id)
        rows = [{"reward_id": reward_id, "code": code, "redemption_id": None} for code in codes]
        return len(uow.write().execute(statement, rows).all())

    def claim_code(self, reward_id: str, redemption_id: str) -> str | None:
        first_free = (
            sa.select(_code.id)
            .where(_code.reward_id == reward_id, _code.redemption_id.is_(None))
            .order_by(_code.id)
            .limit(1)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds the write lock
            .scalar_subquery()
        )
        statement = (
            sa.update(t.coupon_codes)
            .where(_code.id == first_free)
            .values(redemption_id=redemption_id)
            .returning(_code.code)
        )
        code: str | None = self.uow.write().execute(statement).scalar_one_or_none()
        return code

    def codes_left(self, reward_id: str) -> int:
        statement = sa.select(sa.func.count()).where(
            _code.reward_id == reward_id, _code.redemption_id.is_(None)
        )
        return int(self.uow.read().execute(statement).scalar_one())


# --- redemptions --------------------------------------------------------------------------

_red = t.redemptions.c


class _Redemptions(_Repo):
    def add(self, redemption: Redemption) -> None:
        self.uow.write().execute(sa.insert(t.redemptions), mapping.redemption_to_row(redemption))

    def get(self, redemption_id: str) -> Redemption | None:
        row = (
            self.uow.read()
            .execute(sa.select(t.redemptions).where(_red.id == redemption_id))
            .mappings()
            .first()
        )
        return mapping.redemption_from_row(row) if row is not None else None

    def save(self, redemption: Redemption) -> None:
        values = mapping.redemption_to_row(redemption)
        del values["id"]
        updated = (
            self.uow.write()
            .execute(sa.update(t.redemptions).where(_red.id == redemption.id).values(values))
            .rowcount
        )
        assert updated == 1, f"redemption {redemption.id} was saved before it was added"

    def active_quantity(self, member_id: str, reward_id: str) -> int:
        statement = sa.select(sa.func.coalesce(sa.func.sum(_red.quantity), 0)).where(
            _red.member_id == member_id,
            _red.reward_id == reward_id,
            _red.status != RedemptionStatus.CANCELLED.value,
        )
        return int(self.uow.read().execute(statement).scalar_one())

    def list_for_member(self, member_id: str, after_id: str | None, limit: int) -> list[Redemption]:
        if limit <= 0:
            return []
        statement = sa.select(t.redemptions).where(_red.member_id == member_id)
        if after_id is not None:
            statement = statement.where(_red.id < after_id)
        statement = statement.order_by(_red.id.desc()).limit(limit)
        rows = self.uow.read().execute(statement).mappings()
        return [mapping.redemption_from_row(r) for r in rows]


# --- honors -------------------------------------------------------------------------------

_hon = t.honor_awards.c


class _Honors(_Repo):
    def add(self, award: HonorAward) -> None:
        self.uow.write().execute(sa.insert(t.honor_awards), mapping.honor_to_row(award))

    def save(self, award: HonorAward) -> None:
        values = mapping.honor_to_row(award)
        del values["id"]
        updated = (
            self.uow.write()
            .execute(sa.update(t.honor_awards).where(_hon.id == award.id).values(values))
            .rowcount
        )
        assert updated == 1, f"honor award {award.id} was saved before it was added"

    def active(self, member_id: str, honor_id: str) -> HonorAward | None:
        statement = (
            sa.select(t.honor_awards)
            .where(
                _hon.member_id == member_id, _hon.honor_id == honor_id, _hon.revoked_at.is_(None)
            )
            .order_by(_hon.id)
            .limit(1)
        )
        row = self.uow.read().execute(statement).mappings().first()
        return mapping.honor_from_row(row) if row is not None else None

    def list_for_member(self, member_id: str) -> list[HonorAward]:
        statement = sa.select(t.honor_awards).where(_hon.member_id == member_id).order_by(_hon.id)
        return [mapping.honor_from_row(r) for r in self.uow.read().execute(statement).mappings()]

    def holders(self, honor_id: str) -> int:
        statement = sa.select(sa.func.count(sa.distinct(_hon.member_id))).where(
            _hon.honor_id == honor_id, _hon.revoked_at.is_(None)
        )
        return int(self.uow.read().execute(statement).scalar_one())

    def active_for_honors(self, honor_ids: Sequence[str], limit: int) -> list[HonorAward]:
        if not honor_ids or limit <= 0:
            return []
        statement = (
            sa.select(t.honor_awards)
            .where(_hon.honor_id.in_(list(honor_ids)), _hon.revoked_at.is_(None))
            .order_by(_hon.granted_at, _hon.id)
            .limit(limit)
        )
        return [mapping.honor_from_row(r) for r in self.uow.read().execute(statement).mappings()]


# --- idempotency and audit ----------------------------------------------------------------

_idem = t.idempotency_keys.c
_aud = t.audit_entries.c


class _Idempotency(_Repo):
    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        statement = sa.select(t.idempotency_keys).where(_idem.scope == scope, _idem.key == key)
        row = self.uow.read().execute(statement).mappings().first()
        return mapping.idempotency_from_row(row) if row is not None else None

    def add(self, record: IdempotencyRecord) -> None:
        uow = self.uow
        statement = uow.insert(t.idempotency_keys).on_conflict_do_nothing().returning(_idem.key)
        inserted = uow.write().execute(statement, mapping.idempotency_to_row(record)).first()
        # The member lock serializes every use of a member's keys, so a duplicate here is
        # a bug of ours; the unit of work rolls back and nothing is written twice.
        assert inserted is not None, f"idempotency key {record.scope}/{record.key} inserted twice"


class _Audit(_Repo):
    def add(self, entry: AuditEntry) -> None:
        self.uow.write().execute(sa.insert(t.audit_entries), mapping.audit_to_row(entry))

    def list(self, target: str | None, limit: int) -> list[AuditEntry]:
        if limit <= 0:
            return []
        statement = sa.select(t.audit_entries)
        if target is not None:
            statement = statement.where(_aud.target == target)
        statement = statement.order_by(_aud.seq.desc()).limit(limit)
        return [mapping.audit_from_row(r) for r in self.uow.read().execute(statement).mappings()]
