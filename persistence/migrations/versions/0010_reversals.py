"""Reversals: a table of reversed activities (an activity is reversed once: its id is the
key) and an index on transfers' reference, through which the leaderboard leaves out an
earning that a reversal names. Member debts and pending points need no schema: they are
buckets of the typed accounts (a debt bucket, at most zero, has no cached balance row,
like the system accounts).

Revision ID: 0010_reversals
Revises: 0009_seasons
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime

revision: str = "0010_reversals"
down_revision: str | None = "0009_seasons"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reversals",
        sa.Column("activity_id", sa.String(), sa.ForeignKey("activities.id"), nullable=False),
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("transfer_id", sa.String(), sa.ForeignKey("transfers.id"), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("debt", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("activity_id"),
    )
    op.create_index("ix_reversals_member", "reversals", ["member_id"])
    op.create_index("ix_transfers_reference", "transfers", ["reference"])


def downgrade() -> None:
    op.drop_index("ix_transfers_reference", table_name="transfers")
    op.drop_index("ix_reversals_member", table_name="reversals")
    op.drop_table("reversals")
