"""Ledger invariants, checked on what a store has committed."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from domain.model import is_member_account
from persistence.memory import MemoryStore
from persistence.sql import SqlStore

CHECKS = {
    "transfers that do not sum to zero": """
        SELECT transfer_id FROM ledger_entries GROUP BY transfer_id HAVING SUM(amount) <> 0
    """,
    "cached balances that differ from the sum of their entries": """
        SELECT a.account FROM accounts a
        LEFT JOIN (SELECT account, SUM(amount) AS total FROM ledger_entries GROUP BY account) e
          ON e.account = a.account
        WHERE a.balance <> COALESCE(e.total, 0)
    """,
    "member accounts with entries but no cached balance": """
        SELECT DISTINCT account FROM ledger_entries
        WHERE account LIKE 'member:%' AND account NOT IN (SELECT account FROM accounts)
    """,
    "negative member balances": "SELECT account FROM accounts WHERE balance < 0",
    "negative stock": "SELECT reward_id FROM stock WHERE remaining < 0",
    "idempotency records without their result": """
        SELECT i.key FROM idempotency_keys i
        WHERE (i.result_kind = 'activity'
               AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.id = i.result_id))
           OR (i.result_kind = 'redemption'
               AND NOT EXISTS (SELECT 1 FROM redemptions r WHERE r.id = i.result_id))
           OR (i.result_kind = 'adjustment'
               AND NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transfer_id = i.result_id))
    """,
    "activities whose points were not posted": """
        SELECT a.id FROM activities a
        WHERE a.points > 0 AND a.points <> (
            SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e
            WHERE e.transfer_id = a.transfer_id AND e.amount > 0)
    """,
    "activities without an idempotency record": """
        SELECT a.id FROM activities a
        WHERE NOT EXISTS (SELECT 1 FROM idempotency_keys i
                          WHERE i.result_kind = 'activity' AND i.result_id = a.id)
    """,
    "redemptions without their hold": """
        SELECT r.id FROM redemptions r
        WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e
                          WHERE e.reference = r.id AND e.kind = 'hold' AND e.amount = r.points)
    """,
}


@dataclass(frozen=True)
class LedgerTotals:
    entries: int
    transfers: int
    member_balance_total: int
    issued: int


def violations(store: SqlStore) -> dict[str, list[str]]:
    """Every broken invariant with the offending rows (empty when all hold)."""
    found: dict[str, list[str]] = {}
    with store.engine.connect() as connection:
        for name, query in CHECKS.items():
            rows = [str(r[0]) for r in connection.execute(sa.text(query))]
            if rows:
                found[name] = rows[:10]
    return found


def totals(store: SqlStore) -> LedgerTotals:
    with store.engine.connect() as connection:
        entries, transfers = connection.execute(
            sa.text("SELECT COUNT(*), COUNT(DISTINCT transfer_id) FROM ledger_entries")
        ).one()
        members = connection.execute(
            sa.text("SELECT COALESCE(SUM(balance), 0) FROM accounts")
        ).scalar_one()
        issued = connection.execute(
            sa.text(
                "SELECT COALESCE(-SUM(amount), 0) FROM ledger_entries WHERE account = 'issuance'"
            )
        ).scalar_one()
    return LedgerTotals(int(entries), int(transfers), int(members), int(issued))


def memory_violations(store: MemoryStore) -> dict[str, list[str]]:
    state = store.state
    found: dict[str, list[str]] = {}
    sums: dict[str, int] = {}
    for entry in state.entries:
        sums[entry.account] = sums.get(entry.account, 0) + entry.amount
    wrong = [a for a, v in state.balances.items() if sums.get(a, 0) != v]
    if wrong:
        found["cached balances that differ from the sum of their entries"] = wrong
    negative = [a for a, v in state.balances.items() if is_member_account(a) and v < 0]
    if negative:
        found["negative member balances"] = negative
    return found


def assert_consistent(store: object) -> None:
    """The ledger invariants hold for whichever store this is."""
    if isinstance(store, SqlStore):
        assert violations(store) == {}
    else:
        assert isinstance(store, MemoryStore)
        assert memory_violations(store) == {}
