"""Revision 0006 (typed ledger accounts) migrates a populated 0001 database without loss,
on SQLite and PostgreSQL: the rows are written as the 0001 code wrote them (account
strings, one `member_id` per entry), the database is upgraded, and the ledger verifies —
every balance equals the sum of its entries, issued − spent − expired equals what members
hold, every member balance is unchanged, each settle or void names its hold. Downgrading
gives the 0001 rows back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from domain import ledger
from domain.ledger import (
    EXPIRY,
    ISSUANCE,
    REDEMPTION,
    Source,
    SourceKind,
    TransferKind,
    available_account,
    held_account,
)
from domain.model import Progress
from persistence.sql import SqlStore
from persistence.sql.engine import make_engine
from persistence.sql.migrate import alembic_config
from persistence.sql.types import UtcDateTime
from persistence.sql.verify import audit
from tests.integration.databases import postgres_schema, sqlite_url

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

MEMBERS_0001 = sa.table(
    "members",
    *(sa.column(n) for n in ("id", "handle", "display_name", "level_id", "level_state")),
    *(sa.column(n) for n in ("qualifying_points", "level_locked", "koc_tier", "version")),
    sa.column("joined_at", UtcDateTime()),
    sa.column("demotion_due", UtcDateTime()),
    sa.column("progress", sa.JSON()),
)
ENTRIES_0001 = sa.table(
    "ledger_entries",
    *(sa.column(n) for n in ("transfer_id", "kind", "member_id", "account", "amount")),
    sa.column("reference"),
    sa.column("memo"),
    sa.column("at", UtcDateTime()),
)
ACCOUNTS_0001 = sa.table("accounts", sa.column("account"), sa.column("balance"))
AUDIT_0001 = sa.table(
    "audit_entries",
    *(sa.column(n) for n in ("id", "actor", "action", "target", "detail")),
    sa.column("at", UtcDateTime()),
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path, "old.db")
        return
    with postgres_schema() as found:
        yield found


def _alembic(url: str, action: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
            connection.commit()
    finally:
        engine.dispose()


def _member(member_id: str) -> dict[str, Any]:
    return {
        "id": member_id,
        "handle": member_id,
        "display_name": member_id.title(),
        "joined_at": T0,
        "level_id": "newcomer",
        "qualifying_points": 0,
        "level_locked": False,
        "level_state": "active",
        "demotion_due": None,
        "koc_tier": None,
        "progress": Progress().to_primitives(),
        "version": 0,
    }


def _transfer(
    transfer_id: str, kind: str, member: str, postings: list[tuple[str, int]], reference: str
) -> list[dict[str, Any]]:
    """The rows the 0001 store wrote for one transfer: one per posting, each naming the
    transfer's member."""
    at = T0 + timedelta(minutes=int(transfer_id.removeprefix("trf_")))
    return [
        {
            "transfer_id": transfer_id,
            "kind": kind,
            "member_id": member,
            "account": account,
            "amount": amount,
            "at": at,
            "reference": reference,
            "memo": f"{kind} {reference}",
        }
        for account, amount in postings
    ]


def _old_ledger() -> list[dict[str, Any]]:
    """alice: earns 100, redeems 30 (spent), reserves 20 (still held), expires 10, is
    adjusted by -5; bob: earns 40, reserves 15 and cancels; +25 by an operator."""
    a, b = "member:alice:available", "member:bob:available"
    alice_held, bob_held = "member:alice:held", "member:bob:held"
    rows: list[dict[str, Any]] = []
    for transfer in (
        ("trf_01", "earn", "alice", [("issuance", -100), (a, 100)], "act_1"),
        ("trf_02", "earn", "bob", [("issuance", -40), (b, 40)], "act_2"),
        ("trf_03", "hold", "alice", [(a, -30), (alice_held, 30)], "red_1"),
        ("trf_04", "spend", "alice", [(alice_held, -30), ("redemption", 30)], "red_1"),
        ("trf_05", "hold", "bob", [(b, -15), (bob_held, 15)], "red_2"),
        ("trf_06", "release", "bob", [(bob_held, -15), (b, 15)], "red_2"),
        ("trf_07", "hold", "alice", [(a, -20), (alice_held, 20)], "red_3"),
        ("trf_08", "expire", "alice", [(a, -10), ("expiry", 10)], "expiry"),
        ("trf_09", "adjust", "alice", [("adjustment", 5), (a, -5)], "key-1"),
        ("trf_10", "adjust", "bob", [("adjustment", -25), (b, 25)], "key-2"),
    ):
        rows.extend(_transfer(*transfer))
    return rows


OLD_BALANCES = {
    "member:alice:available": 35,
    "member:alice:held": 20,
    "member:bob:available": 65,
    "member:bob:held": 0,
}


def _populate_0001(url: str) -> None:
    _alembic(url, "upgrade", "0001_initial")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(MEMBERS_0001), [_member("alice"), _member("bob")])
            connection.execute(sa.insert(ENTRIES_0001), _old_ledger())
            balances = [{"account": k, "balance": v} for k, v in OLD_BALANCES.items()]
            connection.execute(sa.insert(ACCOUNTS_0001), balances)
            audits = [
                {"id": "aud_1", "actor": "op-eve", "action": "adjust_points", "target": "alice",
                 "detail": "-5: typo", "at": T0 + timedelta(minutes=9)},
                {"id": "aud_2", "actor": "op-ann", "action": "adjust_points", "target": "bob",
                 "detail": "+25: goodwill", "at": T0 + timedelta(minutes=10)},
            ]  # fmt: skip
            connection.execute(sa.insert(AUDIT_0001), audits)
    finally:
        engine.dispose()


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql))]
    finally:
        engine.dispose()


def test_a_populated_0001_ledger_upgrades_without_loss_and_verifies(url: str) -> None:
    _populate_0001(url)

    _alembic(url, "upgrade", "head")

    engine = make_engine(url)
    try:
        report = audit(engine)
    finally:
        engine.dispose()
    assert report.violations == {}
    assert (report.transfers, report.entries, report.issued) == (10, 20, 140)
    store = SqlStore(url)
    try:
        with store() as uow:
            accounts = [available_account("alice"), held_account("alice")]
            accounts += [available_account("bob"), held_account("bob")]
            balances = uow.ledger.balances([*accounts, ISSUANCE, REDEMPTION, EXPIRY])
            open_hold = uow.ledger.open_hold(Source(SourceKind.REDEMPTION, "red_3"))
            settled = uow.ledger.open_hold(Source(SourceKind.REDEMPTION, "red_1"))
            entries = uow.ledger.entries("alice", None, 50)
    finally:
        store.dispose()
    assert [balances[a] for a in accounts] == list(OLD_BALANCES.values())
    issued, spent, expired = -balances[ISSUANCE], balances[REDEMPTION], balances[EXPIRY]
    adjusted = 25 - 5
    assert issued + adjusted - spent - expired == sum(OLD_BALANCES.values())
    assert open_hold is not None
    assert open_hold.id == "trf_07"
    assert open_hold.amount == 20
    assert settled is None
    assert [e.kind for e in entries][:2] == [TransferKind.ADJUST, TransferKind.EXPIRE]
    links = _rows(url, "SELECT id, pending_id FROM transfers WHERE pending_id IS NOT NULL")
    assert sorted(links) == [("trf_04", "trf_03"), ("trf_06", "trf_05")]
    sources = _rows(url, "SELECT id, source_kind, source_id FROM transfers ORDER BY id")
    assert sources[0] == ("trf_01", "rule", "act_1")
    assert sources[2] == ("trf_03", "redemption", "red_1")
    assert sources[7] == ("trf_08", "expiry", "expiry")
    assert sources[8:] == [("trf_09", "operator", "op-eve"), ("trf_10", "operator", "op-ann")]


def test_new_entries_after_the_upgrade_continue_the_sequence(url: str) -> None:
    _populate_0001(url)
    _alembic(url, "upgrade", "head")
    store = SqlStore(url)
    try:
        with store() as uow:
            source = Source(SourceKind.RULE, "act_9")
            earn = ledger.earn("trf_99", {"bob": 7}, T0, source, "act_9")
            assert uow.ledger.post(earn)
            uow.commit()
        with store() as uow:
            newest = uow.ledger.entries("bob", None, 1)[0]
            balance = uow.ledger.balance(available_account("bob"))
    finally:
        store.dispose()

    assert (newest.seq, newest.transfer_id, balance) == (22, "trf_99", 72)


def test_downgrading_gives_the_0001_rows_back(url: str) -> None:
    _populate_0001(url)
    before = _rows(url, "SELECT * FROM ledger_entries ORDER BY seq")
    balances_before = _rows(url, "SELECT account, balance FROM accounts ORDER BY account")
    _alembic(url, "upgrade", "head")

    _alembic(url, "downgrade", "0001_initial")

    assert _rows(url, "SELECT * FROM ledger_entries ORDER BY seq") == before
    assert _rows(url, "SELECT account, balance FROM accounts ORDER BY account") == balances_before


def test_an_account_string_the_upgrade_cannot_read_stops_it_and_loses_nothing(url: str) -> None:
    _populate_0001(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:  # bob's account on an entry of alice's transfer
            postings = [("issuance", -1), ("member:bob:available", 1)]
            rows = _transfer("trf_11", "earn", "alice", postings, "act_3")
            connection.execute(sa.insert(ENTRIES_0001), rows)
    finally:
        engine.dispose()

    with pytest.raises(RuntimeError, match="ledger entries with a known account: 22 before, 21"):
        _alembic(url, "upgrade", "head")

    assert len(_rows(url, "SELECT * FROM ledger_entries")) == 22
