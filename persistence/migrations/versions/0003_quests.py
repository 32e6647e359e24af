"""Quests: each member's progress per quest instance, and the completers counted for
instances with a capacity.

Revision ID: 0003_quests
Revises: 0002_handle_keys_and_honor_seats
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime

revision: str = "0003_quests"
down_revision: str | None = "0002_handle_keys_and_honor_seats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quest_progress",
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("quest_id", sa.String(), primary_key=True),
        sa.Column("instance", sa.BigInteger(), primary_key=True),
        sa.Column("done", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("completed_by", sa.String(), nullable=True),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "quest_places",
        sa.Column("quest_id", sa.String(), primary_key=True),
        sa.Column("instance", sa.BigInteger(), primary_key=True),
        sa.Column("completed", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("completed >= 0", name="ck_quest_places_completed"),
    )


def downgrade() -> None:
    op.drop_table("quest_places")
    op.drop_table("quest_progress")
