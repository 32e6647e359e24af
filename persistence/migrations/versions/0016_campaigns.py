"""Campaigns: each opened campaign's seed commitment, selection audit record, applicants
and places taken (a CHECK keeps them within its places), and one application per member
and campaign.

Revision ID: 0016_campaigns
Revises: 0015_membership
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime

revision: str = "0016_campaigns"
down_revision: str | None = "0015_membership"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_runs",
        sa.Column("campaign_id", sa.String(), primary_key=True),
        sa.Column("places", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("commitment", sa.String(), nullable=True),
        sa.Column("seed", sa.String(), nullable=True),
        sa.Column("selected_at", UtcDateTime(), nullable=True),
        sa.Column("audit", sa.String(), nullable=True),
        sa.Column("applicants", sa.String(), nullable=True),
        sa.Column("operator_order", sa.JSON(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("taken", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("taken >= 0 AND taken <= places", name="ck_campaign_runs_taken"),
        sa.CheckConstraint("version >= 0", name="ck_campaign_runs_version"),
    )
    op.create_table(
        "campaign_applications",
        sa.Column(
            "campaign_id",
            sa.String(),
            sa.ForeignKey("campaign_runs.campaign_id"),
            primary_key=True,
        ),
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("applied_at", UtcDateTime(), nullable=False),
        sa.Column("motivation", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("offered_at", UtcDateTime(), nullable=True),
    )
    op.create_index(
        "ix_campaign_applications_member",
        "campaign_applications",
        ["member_id", "state", "offered_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_applications_member", table_name="campaign_applications")
    op.drop_table("campaign_applications")
    op.drop_table("campaign_runs")
