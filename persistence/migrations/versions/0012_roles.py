"""Honor roles with terms: holdings moved by conditional updates on `version`, counted
seats per role, and mentorships (one per mentee and role).

Revision ID: 0012_roles
Revises: 0011_activity_subjects
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime

revision: str = "0012_roles"
down_revision: str | None = "0011_activity_subjects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "role_holdings",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("role_id", sa.String(), nullable=False),
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("entry", sa.String(), nullable=False),
        sa.Column("proposed_by", sa.String(), nullable=False),
        sa.Column("proposed_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("ends_at", UtcDateTime(), nullable=True),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(), nullable=True),
        sa.Column("end_reason", sa.String(), nullable=True),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.Column("flagged_at", UtcDateTime(), nullable=True),
        sa.Column("flag_reason", sa.String(), nullable=True),
        sa.CheckConstraint("version >= 0", name="ck_role_holdings_version"),
        sa.CheckConstraint("renewals >= 0", name="ck_role_holdings_renewals"),
    )
    op.create_index("ix_role_holdings_member", "role_holdings", ["member_id", "role_id", "id"])
    op.create_index("ix_role_holdings_state", "role_holdings", ["state", "ends_at", "id"])
    op.create_table(
        "role_seats",
        sa.Column("role_id", sa.String(), primary_key=True),
        sa.Column("holders", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("holders >= 0", name="ck_role_seats_holders"),
    )
    op.create_table(
        "mentorships",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("role_id", sa.String(), nullable=False),
        sa.Column("mentor_id", sa.String(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("mentee_id", sa.String(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("assigned_at", UtcDateTime(), nullable=False),
        sa.Column("assigned_by", sa.String(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("credited_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("role_id", "mentee_id", name="uq_mentorships_mentee"),
        sa.CheckConstraint("version >= 0", name="ck_mentorships_version"),
    )
    op.create_index("ix_mentorships_mentor", "mentorships", ["mentor_id", "role_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_mentorships_mentor", table_name="mentorships")
    op.drop_table("mentorships")
    op.drop_table("role_seats")
    op.drop_index("ix_role_holdings_state", table_name="role_holdings")
    op.drop_index("ix_role_holdings_member", table_name="role_holdings")
    op.drop_table("role_holdings")
