"""Debt entries: a partial index of the entries of members' debt accounts, which is what
recording an activity reads (a member's debt is summed from its entries; most members
have none, so the index stays small while the member's entries grow).

Revision ID: 0020_debt_entries
Revises: 0019_referral_reversals
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_debt_entries"
down_revision: str | None = "0019_referral_reversals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBER_DEBT = sa.text("owner_kind = 'member' AND bucket = 'debt'")


def upgrade() -> None:
    op.create_index(
        "ix_ledger_entries_debt",
        "ledger_entries",
        ["owner_id"],
        sqlite_where=MEMBER_DEBT,
        postgresql_where=MEMBER_DEBT,
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_debt", table_name="ledger_entries")
