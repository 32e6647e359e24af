"""Assigned tasks: one row per offer of a task to a member, moved through its states by
conditional updates on `version`.

Revision ID: 0007_tasks
Revises: 0006_typed_accounts
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime

revision: str = "0007_tasks"
down_revision: str | None = "0006_typed_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_assignments",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("task_id", sa.String(), nullable=False),
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("offered_at", UtcDateTime(), nullable=False),
        sa.Column("offered_by", sa.String(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("submission_url", sa.String(), nullable=True),
        sa.Column("submission_note", sa.String(), nullable=True),
        sa.Column("activity_id", sa.String(), nullable=True),
        sa.Column("submitted_at", UtcDateTime(), nullable=True),
        sa.Column("reviewed_at", UtcDateTime(), nullable=True),
        sa.Column("reviewed_by", sa.String(), nullable=True),
        sa.Column("quality_tier", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("version >= 0", name="ck_task_assignments_version"),
        sa.CheckConstraint("points >= 0", name="ck_task_assignments_points"),
    )
    op.create_index("ix_task_assignments_state", "task_assignments", ["state", "id"])
    op.create_index("ix_task_assignments_member", "task_assignments", ["member_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_task_assignments_member", table_name="task_assignments")
    op.drop_index("ix_task_assignments_state", table_name="task_assignments")
    op.drop_table("task_assignments")
