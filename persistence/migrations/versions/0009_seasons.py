"""Seasons: points each member earned from rules per season, and each ended season's
snapshot of its leaderboard and hall of fame (kept once: the primary key).

Revision ID: 0009_seasons
Revises: 0008_contests
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime

revision: str = "0009_seasons"
down_revision: str | None = "0008_contests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "season_points",
        sa.Column("season_id", sa.String(), primary_key=True),
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_season_points_rank", "season_points", ["season_id", "points"])
    op.create_table(
        "season_snapshots",
        sa.Column("season_id", sa.String(), primary_key=True),
        sa.Column("taken_at", UtcDateTime(), nullable=False),
        sa.Column("leaderboard", sa.JSON(), nullable=False),
        sa.Column("hall_of_fame", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("season_snapshots")
    op.drop_index("ix_season_points_rank", table_name="season_points")
    op.drop_table("season_points")
