"""Team quests and help quests: one row per started instance (its share code unique) and
one per member of a team or helper of an instance (once per instance, one per seat).

Revision ID: 0014_team_help
Revises: 0012_roles
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime

revision: str = "0014_team_help"
down_revision: str | None = "0012_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "friend_quest_instances",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("quest_id", sa.String(), nullable=False),
        sa.Column("starter_id", sa.String(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("deadline", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("helper_points", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("code", name="uq_friend_quest_instances_code"),
        sa.CheckConstraint("version >= 0", name="ck_friend_quest_instances_version"),
        sa.CheckConstraint(
            "points >= 0 AND helper_points >= 0", name="ck_friend_quest_instances_points"
        ),
    )
    op.create_index(
        "ix_friend_quest_instances_due", "friend_quest_instances", ["state", "deadline", "id"]
    )
    op.create_index(
        "ix_friend_quest_instances_starter", "friend_quest_instances", ["starter_id", "quest_id"]
    )
    op.create_table(
        "friend_quest_members",
        sa.Column(
            "instance_id",
            sa.String(),
            sa.ForeignKey("friend_quest_instances.id"),
            primary_key=True,
        ),
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("quest_id", sa.String(), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("instance_id", "seat", name="uq_friend_quest_members_seat"),
        sa.CheckConstraint("seat >= 0", name="ck_friend_quest_members_seat"),
    )
    op.create_index(
        "ix_friend_quest_members_day", "friend_quest_members", ["member_id", "kind", "day"]
    )


def downgrade() -> None:
    op.drop_index("ix_friend_quest_members_day", table_name="friend_quest_members")
    op.drop_table("friend_quest_members")
    op.drop_index("ix_friend_quest_instances_starter", table_name="friend_quest_instances")
    op.drop_index("ix_friend_quest_instances_due", table_name="friend_quest_instances")
    op.drop_table("friend_quest_instances")
