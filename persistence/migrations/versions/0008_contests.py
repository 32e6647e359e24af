"""Contests: each member's score per contest period, the settlement of each period
(its primary key makes settlement happen once) and the frozen standings.

Revision ID: 0008_contests
Revises: 0007_tasks
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime

revision: str = "0008_contests"
down_revision: str | None = "0007_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contest_scores",
        sa.Column("contest_id", sa.String(), primary_key=True),
        sa.Column("instance", sa.BigInteger(), primary_key=True),
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("reached_at", UtcDateTime(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_contest_scores_rank",
        "contest_scores",
        ["contest_id", "instance", "value", "reached_at"],
    )
    op.create_table(
        "contest_settlements",
        sa.Column("contest_id", sa.String(), primary_key=True),
        sa.Column("instance", sa.BigInteger(), primary_key=True),
        sa.Column("settled_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "contest_results",
        sa.Column("contest_id", sa.String(), primary_key=True),
        sa.Column("instance", sa.BigInteger(), primary_key=True),
        sa.Column("rank", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("reached_at", UtcDateTime(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("contest_results")
    op.drop_table("contest_settlements")
    op.drop_index("ix_contest_scores_rank", table_name="contest_scores")
    op.drop_table("contest_scores")
