"""Audit a SQL ledger: every invariant the store promises, checked on committed data with
plain SQL (read-only). `honorloop ledger verify` and the load tests print the report."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.ledger import NEGATIVE_ALLOWED as NEGATIVE_ALLOWED_KINDS
from persistence.sql.engine import make_engine, normalize_url

violations_shown_max = 10
NEGATIVE_ALLOWED = ", ".join(f"'{k}'" for k in sorted(NEGATIVE_ALLOWED_KINDS))

CHECKS: dict[str, str] = {
    "transfers that do not sum to zero": """
        SELECT transfer_id FROM ledger_entries GROUP BY transfer_id HAVING SUM(amount) <> 0
    """,
    "transfers without postings": """
        SELECT t.id FROM transfers t
        WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transfer_id = t.id)
    """,
    "cached balances that differ from the sum of their entries": """
        SELECT a.owner_kind || ':' || a.owner_id || ':' || a.bucket FROM accounts a
        LEFT JOIN (SELECT owner_kind, owner_id, bucket, SUM(amount) AS total
                   FROM ledger_entries GROUP BY owner_kind, owner_id, bucket) e
          ON e.owner_kind = a.owner_kind AND e.owner_id = a.owner_id AND e.bucket = a.bucket
        WHERE a.balance <> COALESCE(e.total, 0)
    """,
    "guarded accounts with entries but no cached balance": f"""
        SELECT DISTINCT e.owner_kind || ':' || e.owner_id || ':' || e.bucket
        FROM ledger_entries e
        WHERE e.owner_kind NOT IN ({NEGATIVE_ALLOWED})
          AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.owner_kind = e.owner_kind
                          AND a.owner_id = e.owner_id AND a.bucket = e.bucket)
    """,
    "negative balances of accounts that may not go negative": f"""
        SELECT owner_kind || ':' || owner_id || ':' || bucket FROM accounts
        WHERE balance < 0 AND owner_kind NOT IN ({NEGATIVE_ALLOWED})
    """,
    "member accounts of unknown members": """
        SELECT DISTINCT e.owner_id FROM ledger_entries e
        WHERE e.owner_kind = 'member' AND NOT EXISTS (SELECT 1 FROM members m
                                                      WHERE m.id = e.owner_id)
    """,
    "settles and voids that name no hold": """
        SELECT s.id FROM transfers s LEFT JOIN transfers h ON h.id = s.pending_id
        WHERE (s.kind IN ('spend', 'release', 'confirm', 'void')) <> (s.pending_id IS NOT NULL)
           OR (s.kind IN ('spend', 'release') AND (h.kind IS NULL OR h.kind <> 'hold'))
           OR (s.kind IN ('confirm', 'void') AND (h.kind IS NULL OR h.kind <> 'earn'))
    """,
    "negative stock": "SELECT reward_id FROM stock WHERE remaining < 0",
    "idempotency records without their result": """
        SELECT i.scope || '/' || i.key FROM idempotency_keys i
        WHERE (i.result_kind = 'activity'
               AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.id = i.result_id))
           OR (i.result_kind = 'redemption'
               AND NOT EXISTS (SELECT 1 FROM redemptions r WHERE r.id = i.result_id))
           OR (i.result_kind = 'adjustment'
               AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.id = i.result_id))
           OR (i.result_kind = 'reversal'
               AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.activity_id = i.result_id))
    """,
    "debts above zero": """
        SELECT e.owner_id FROM ledger_entries e WHERE e.owner_kind = 'member'
        AND e.bucket = 'debt' GROUP BY e.owner_id HAVING SUM(e.amount) > 0
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
        WHERE NOT EXISTS (SELECT 1 FROM transfers t JOIN ledger_entries e ON e.transfer_id = t.id
                          WHERE t.source_kind = 'redemption' AND t.source_id = r.id
                            AND t.kind = 'hold' AND e.amount = r.points)
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
            sa.text(
                "SELECT (SELECT COUNT(*) FROM ledger_entries), (SELECT COUNT(*) FROM transfers)"
            )
        ).one()
        issued = connection.execute(
            sa.text(
                "SELECT COALESCE(-SUM(amount), 0) FROM ledger_entries"
                " WHERE owner_kind = 'system' AND owner_id = 'issuance' AND bucket = 'main'"
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
