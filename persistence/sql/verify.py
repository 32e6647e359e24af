"""Audit a SQL ledger: every invariant the store promises, checked on committed data with
plain SQL (read-only). `honorloop ledger verify` and the load tests print the report."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from persistence.sql.engine import make_engine, normalize_url

violations_shown_max = 10

CHECKS: dict[str, str] = {
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
        SELECT i.scope || '/' || i.key FROM idempotency_keys i
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
class LedgerReport:
    database: str
    transfers: int
    entries: int
    issued: int  # points ever issued by earning rules
    violations: dict[str, list[str]] = field(default_factory=dict)  # check -> offending rows

    @property
    def consistent(self) -> bool:
        return not self.violations


def audit(engine: Engine) -> LedgerReport:
    """Run every check in one read transaction, so they all see one snapshot
    (REPEATABLE READ on PostgreSQL; a SQLite read transaction is a snapshot)."""
    found: dict[str, list[str]] = {}
    snapshot = "REPEATABLE READ" if engine.dialect.name == "postgresql" else None
    options = {"isolation_level": snapshot} if snapshot else {}
    with engine.connect().execution_options(**options) as connection:
        for name, query in CHECKS.items():
            rows = connection.execute(sa.text(query)).scalars().all()
            if rows:
                found[name] = [str(r) for r in rows[:violations_shown_max]]
        entries, transfers = connection.execute(
            sa.text("SELECT COUNT(*), COUNT(DISTINCT transfer_id) FROM ledger_entries")
        ).one()
        issued = connection.execute(
            sa.text(
                "SELECT COALESCE(-SUM(amount), 0) FROM ledger_entries WHERE account = 'issuance'"
            )
        ).scalar_one()
    database = engine.url.render_as_string(hide_password=True)
    return LedgerReport(database, int(transfers), int(entries), int(issued), found)


def verify_ledger(url: str) -> LedgerReport:
    normalize_url(url)  # a clear error for a URL we cannot serve
    engine = make_engine(url)
    try:
        return audit(engine)
    finally:
        engine.dispose()
