"""Referrals: the referral code index, members' external identities, one referral per
invitee (joined, qualified, the reward's outcome) and one commission per buyer's order.

Revision ID: 0017_referrals
Revises: 0015_membership
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime

revision: str = "0017_referrals"
down_revision: str | None = "0016_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _member(primary_key: bool = False) -> sa.Column[str]:
    return sa.Column(
        "member_id", sa.String(), sa.ForeignKey("members.id"), primary_key=primary_key,
        nullable=False,
    )  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "referral_codes",
        sa.Column("code", sa.String(), primary_key=True),
        _member(),
        sa.UniqueConstraint("member_id", name="uq_referral_codes_member"),
    )
    op.create_table(
        "referral_identities",
        sa.Column("identity", sa.String(), primary_key=True),
        _member(primary_key=True),
    )
    op.create_index("ix_referral_identities_member", "referral_identities", ["member_id"])
    op.create_table(
        "referrals",
        sa.Column("invitee_id", sa.String(), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("referrer_id", sa.String(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("joined_at", UtcDateTime(), nullable=False),
        sa.Column("qualified_at", UtcDateTime(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("reward_transfer_id", sa.String(), nullable=True),
    )
    op.create_index("ix_referrals_referrer", "referrals", ["referrer_id", "invitee_id"])
    op.create_index("ix_referrals_outcome", "referrals", ["outcome", "invitee_id"])
    op.create_table(
        "referral_commissions",
        sa.Column("activity_id", sa.String(), primary_key=True),
        sa.Column("buyer_id", sa.String(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("shares", sa.JSON(), nullable=False),
        sa.Column("transfer_id", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.UniqueConstraint("buyer_id", "order_id", name="uq_referral_commissions_order"),
    )
    op.create_index("ix_referral_commissions_due", "referral_commissions", ["state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_referral_commissions_due", table_name="referral_commissions")
    op.drop_table("referral_commissions")
    op.drop_index("ix_referrals_outcome", table_name="referrals")
    op.drop_index("ix_referrals_referrer", table_name="referrals")
    op.drop_table("referrals")
    op.drop_index("ix_referral_identities_member", table_name="referral_identities")
    op.drop_table("referral_identities")
    op.drop_table("referral_codes")
