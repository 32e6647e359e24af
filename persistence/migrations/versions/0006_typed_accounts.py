"""Typed ledger accounts: accounts become (owner kind, owner id, bucket) columns instead of
one string; transfers get their own table with their source and, for a settle or a void,
the hold they name (once: a unique key).

The old strings are parsed here, once, and nowhere else: an entry's member account is
matched against the entry's `member_id` (`member:<id>:available` / `member:<id>:held`),
the system accounts by name (`issuance`, `adjustment`, `redemption`, `expiry`); a cached
balance's `member:<id>:<bucket>` is split at its prefix and bucket suffix and must name
a known member. The old
transfers' sources follow from their kind: an earning's source is the earning rules on
its activity (the entry's reference), an adjustment's the operator of its audit entry,
a hold's, spend's and release's the redemption (its reference), an expiry's the expiry
policy. A spend or release names the hold of its redemption. Each step checks that no
row is lost: the upgrade aborts (and rolls back) instead of dropping data.

Revision ID: 0006_typed_accounts
Revises: 0005_idempotency_scopes
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime, big_id

revision: str = "0006_typed_accounts"
down_revision: str | None = "0005_idempotency_scopes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NON_NEGATIVE = "balance >= 0 OR owner_kind IN ('system')"

# An old transfer's source follows from its kind; an adjustment's operator and a settle's
# or void's hold are filled in afterwards (by index lookups, not per-row scans).
TRANSFERS_FROM_0001 = """
INSERT INTO transfers (id, kind, source_kind, source_id, pending_id, at, reference, memo)
SELECT o.transfer_id, MIN(o.kind),
       CASE MIN(o.kind) WHEN 'earn' THEN 'rule' WHEN 'adjust' THEN 'operator'
                        WHEN 'expire' THEN 'expiry' ELSE 'redemption' END,
       MIN(o.reference), NULL, MIN(o.at), MIN(o.reference), MIN(o.memo)
FROM ledger_entries_0001 o
GROUP BY o.transfer_id
"""
OPERATORS_FROM_AUDIT = """
UPDATE transfers SET source_id = COALESCE(
    (SELECT MIN(a.actor) FROM audit_entries a
     WHERE a.action = 'adjust_points' AND a.at = transfers.at
       AND a.target = (SELECT MIN(e.member_id) FROM ledger_entries_0001 e
                       WHERE e.transfer_id = transfers.id)),
    'operator')
WHERE kind = 'adjust'
"""
LINKS_TO_HOLDS = """
UPDATE transfers SET pending_id = (
    SELECT MIN(h.id) FROM transfers h
    WHERE h.source_kind = 'redemption' AND h.source_id = transfers.source_id AND h.kind = 'hold')
WHERE kind IN ('spend', 'release')
"""
MEMBER_ACCOUNT = """o.account IN ('member:' || o.member_id || ':available',
                               'member:' || o.member_id || ':held')"""
ENTRIES_FROM_0001 = f"""
INSERT INTO ledger_entries (seq, transfer_id, owner_kind, owner_id, bucket, amount)
SELECT o.seq, o.transfer_id,
       CASE WHEN {MEMBER_ACCOUNT} THEN 'member' ELSE 'system' END,
       CASE WHEN {MEMBER_ACCOUNT} THEN o.member_id ELSE o.account END,
       CASE o.account WHEN 'member:' || o.member_id || ':available' THEN 'available'
                      WHEN 'member:' || o.member_id || ':held' THEN 'held'
                      ELSE 'main' END,
       o.amount
FROM ledger_entries_0001 o
WHERE {MEMBER_ACCOUNT} OR o.account IN ('issuance', 'adjustment', 'redemption', 'expiry')
"""
# `member:<id>:<bucket>`: the id is what lies between the prefix and the bucket suffix.
ACCOUNTS_FROM_0001 = """
INSERT INTO accounts (owner_kind, owner_id, bucket, balance)
SELECT 'member', p.owner_id, p.bucket, p.balance
FROM (SELECT CASE WHEN o.account LIKE '%:available' THEN 'available'
                  WHEN o.account LIKE '%:held' THEN 'held' END AS bucket,
             SUBSTR(o.account, 8, LENGTH(o.account) - 7 - CASE
                 WHEN o.account LIKE '%:available' THEN 10
                 WHEN o.account LIKE '%:held' THEN 5 ELSE 0 END) AS owner_id,
             o.account, o.balance
      FROM accounts_0001 o WHERE o.account LIKE 'member:%') p
WHERE p.bucket IS NOT NULL AND p.account = 'member:' || p.owner_id || ':' || p.bucket
  AND EXISTS (SELECT 1 FROM members m WHERE m.id = p.owner_id)
"""


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _run(sql: str) -> None:
    """Plain SQL with no parameters (the colons of `member:<id>:...` are literal)."""
    op.execute(sa.text(sql.replace(":", "\\:")))


def _count(table: str) -> int:
    return int(op.get_bind().execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def _same_count(old: str, new: str, what: str) -> None:
    before, after = _count(old), _count(new)
    if before != after:
        raise RuntimeError(f"0002_typed_accounts: {what}: {before} before, {after} after")


def _create_typed_tables() -> None:
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(), primary_key=True),
        _text("kind"),
        _text("source_kind"),
        _text("source_id"),
        sa.Column("pending_id", sa.String(), sa.ForeignKey("transfers.id"), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        _text("reference"),
        _text("memo"),
        sa.UniqueConstraint("pending_id", name="uq_transfers_pending_id"),
    )
    op.create_index("ix_transfers_source", "transfers", ["source_kind", "source_id"])
    op.create_index("ix_transfers_kind_at", "transfers", ["kind", "at"])
    op.create_table(
        "ledger_entries",
        sa.Column("seq", big_id(), primary_key=True, autoincrement=True),
        sa.Column("transfer_id", sa.String(), sa.ForeignKey("transfers.id"), nullable=False),
        _text("owner_kind"),
        _text("owner_id"),
        _text("bucket"),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name="ck_ledger_entries_amount"),
    )
    op.create_index("ix_ledger_entries_owner", "ledger_entries", ["owner_kind", "owner_id", "seq"])
    op.create_index("ix_ledger_entries_transfer", "ledger_entries", ["transfer_id"])
    op.create_table(
        "accounts",
        sa.Column("owner_kind", sa.String(), primary_key=True),
        sa.Column("owner_id", sa.String(), primary_key=True),
        sa.Column("bucket", sa.String(), primary_key=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(NON_NEGATIVE, name="ck_accounts_balance"),
    )


def _create_string_tables() -> None:
    op.create_table(
        "accounts",
        sa.Column("account", sa.String(), primary_key=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("balance >= 0", name="ck_accounts_balance"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("seq", big_id(), primary_key=True, autoincrement=True),
        _text("transfer_id"),
        _text("kind"),
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), nullable=False),
        _text("account"),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        _text("reference"),
        _text("memo"),
        sa.CheckConstraint("amount <> 0", name="ck_ledger_entries_amount"),
    )
    op.create_index("ix_ledger_entries_account", "ledger_entries", ["account", "seq"])
    op.create_index("ix_ledger_entries_kind_at", "ledger_entries", ["kind", "at"])


def _move_sequence_past_copied_rows() -> None:
    """PostgreSQL: the new `seq` sequence continues after the copied rows (SQLite's rowid
    does by itself)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('ledger_entries', 'seq'),"
            " COALESCE((SELECT MAX(seq) FROM ledger_entries), 0) + 1, false)"
        )


def _set_aside(table: str, suffix: str) -> None:
    """Rename a table out of the way; on PostgreSQL also its primary key and sequence,
    whose names are per schema and would clash with the new table's."""
    op.rename_table(table, f"{table}_{suffix}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER INDEX {table}_pkey RENAME TO {table}_{suffix}_pkey")
        if table == "ledger_entries":
            op.execute(f"ALTER SEQUENCE {table}_seq_seq RENAME TO {table}_{suffix}_seq_seq")


def upgrade() -> None:
    op.drop_index("ix_ledger_entries_account", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_kind_at", table_name="ledger_entries")
    _set_aside("ledger_entries", "0001")
    _set_aside("accounts", "0001")
    op.create_index("ix_ledger_entries_0001_transfer", "ledger_entries_0001", ["transfer_id"])
    _create_typed_tables()
    _run(TRANSFERS_FROM_0001)
    _run(OPERATORS_FROM_AUDIT)
    _run(LINKS_TO_HOLDS)
    _run(ENTRIES_FROM_0001)
    _run(ACCOUNTS_FROM_0001)
    _same_count("ledger_entries_0001", "ledger_entries", "ledger entries with a known account")
    _same_count("accounts_0001", "accounts", "member balances")
    _move_sequence_past_copied_rows()
    op.drop_table("ledger_entries_0001")
    op.drop_table("accounts_0001")


# The way back: member accounts become strings again; a system posting's `member_id` is
# the member of its transfer. Refused for what 0001 cannot hold (a transfer touching two
# members, any other owner kind or bucket).
NOT_IN_0001 = """
SELECT COUNT(*) FROM (
    SELECT transfer_id FROM ledger_entries WHERE owner_kind = 'member'
    GROUP BY transfer_id HAVING COUNT(DISTINCT owner_id) <> 1
    UNION ALL
    SELECT t.id FROM transfers t WHERE NOT EXISTS (
        SELECT 1 FROM ledger_entries e WHERE e.transfer_id = t.id AND e.owner_kind = 'member')
    UNION ALL
    SELECT transfer_id FROM ledger_entries
    WHERE NOT (owner_kind = 'member' AND bucket IN ('available', 'held'))
      AND NOT (owner_kind = 'system' AND bucket = 'main')
) refused
"""
ENTRIES_TO_0001 = """
INSERT INTO ledger_entries (seq, transfer_id, kind, member_id, account, amount, at,
                            reference, memo)
SELECT e.seq, e.transfer_id, t.kind,
       (SELECT MIN(m.owner_id) FROM ledger_entries_0002 m
        WHERE m.transfer_id = e.transfer_id AND m.owner_kind = 'member'),
       CASE e.owner_kind WHEN 'member' THEN 'member:' || e.owner_id || ':' || e.bucket
                         ELSE e.owner_id END,
       e.amount, t.at, t.reference, t.memo
FROM ledger_entries_0002 e JOIN transfers t ON t.id = e.transfer_id
"""
ACCOUNTS_TO_0001 = """
INSERT INTO accounts (account, balance)
SELECT 'member:' || owner_id || ':' || bucket, balance FROM accounts_0002
WHERE owner_kind = 'member'
"""


def downgrade() -> None:
    refused = int(op.get_bind().execute(sa.text(NOT_IN_0001)).scalar_one())
    if refused:
        raise RuntimeError(f"0002_typed_accounts: {refused} postings have no 0001 shape")
    op.drop_index("ix_ledger_entries_owner", table_name="ledger_entries")
    _set_aside("ledger_entries", "0002")
    _set_aside("accounts", "0002")
    _create_string_tables()
    _run(ENTRIES_TO_0001)
    _run(ACCOUNTS_TO_0001)
    _same_count("ledger_entries_0002", "ledger_entries", "ledger entries")
    _same_count("accounts_0002", "accounts", "member balances")
    _move_sequence_past_copied_rows()
    op.drop_table("ledger_entries_0002")
    op.drop_table("accounts_0002")
    op.drop_index("ix_transfers_source", table_name="transfers")
    op.drop_index("ix_transfers_kind_at", table_name="transfers")
    op.drop_table("transfers")
