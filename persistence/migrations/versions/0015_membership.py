"""Paid membership: each member's paid tier, its current (or last) period and whether
the review recorded its end (the index finds the periods due to expire).

Revision ID: 0015_membership
Revises: 0014_team_help
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime

revision: str = "0015_membership"
down_revision: str | None = "0014_team_help"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "memberships",
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("tier_id", sa.String(), nullable=False),
        sa.Column("paid_since", UtcDateTime(), nullable=False),
        sa.Column("paid_until", UtcDateTime(), nullable=False),
        sa.Column("purchases", sa.BigInteger(), nullable=False),
        sa.Column("paid_total", sa.BigInteger(), nullable=False),
        sa.Column("expired", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_memberships_due", "memberships", ["expired", "paid_until"])


def downgrade() -> None:
    op.drop_index("ix_memberships_due", table_name="memberships")
    op.drop_table("memberships")
