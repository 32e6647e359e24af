"""The initial schema: members, the append-only ledger with cached member balances,
activities, stock and coupon codes, redemptions, honors, idempotency keys, audit.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime, big_id

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FREE_CODE = sa.text("redemption_id IS NULL")


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _member_ref() -> sa.Column[str]:
    return sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.String(), primary_key=True),
        _text("handle"),
        _text("display_name"),
        sa.Column("joined_at", UtcDateTime(), nullable=False),
        _text("level_id"),
        sa.Column("qualifying_points", sa.BigInteger(), nullable=False),
        sa.Column("level_locked", sa.Boolean(), nullable=False),
        _text("level_state"),
        sa.Column("demotion_due", UtcDateTime(), nullable=True),
        _text("koc_tier", nullable=True),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("handle", name="uq_members_handle"),
        sa.CheckConstraint("qualifying_points >= 0", name="ck_members_qualifying_points"),
    )
    op.create_index("ix_members_level", "members", ["level_id", "id"])

    op.create_table(
        "accounts",
        sa.Column("account", sa.String(), primary_key=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("balance >= 0", name="ck_accounts_balance"),
    )

    op.create_table(
        "ledger_entries",
        sa.Column("seq", big_id(), primary_key=True, autoincrement=True),
        _text("transfer_id"),
        _text("kind"),
        _member_ref(),
        _text("account"),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        _text("reference"),
        _text("memo"),
        sa.CheckConstraint("amount <> 0", name="ck_ledger_entries_amount"),
    )
    op.create_index("ix_ledger_entries_account", "ledger_entries", ["account", "seq"])
    op.create_index("ix_ledger_entries_kind_at", "ledger_entries", ["kind", "at"])

    op.create_table(
        "activities",
        sa.Column("id", sa.String(), primary_key=True),
        _member_ref(),
        _text("kind"),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        _text("subject_id", nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        _text("transfer_id", nullable=True),
    )

    op.create_table(
        "rewarded_subjects",
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("rule_id", sa.String(), primary_key=True),
        sa.Column("subject_id", sa.String(), primary_key=True),
    )

    op.create_table(
        "stock",
        sa.Column("reward_id", sa.String(), primary_key=True),
        sa.Column("remaining", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("remaining >= 0", name="ck_stock_remaining"),
    )

    op.create_table(
        "coupon_codes",
        sa.Column("id", big_id(), primary_key=True, autoincrement=True),
        _text("reward_id"),
        _text("code"),
        _text("redemption_id", nullable=True),
        sa.UniqueConstraint("reward_id", "code", name="uq_coupon_codes_reward_code"),
        sa.UniqueConstraint("redemption_id", name="uq_coupon_codes_redemption"),
    )
    op.create_index(
        "ix_coupon_codes_free",
        "coupon_codes",
        ["reward_id", "id"],
        sqlite_where=FREE_CODE,
        postgresql_where=FREE_CODE,
    )

    op.create_table(
        "redemptions",
        sa.Column("id", sa.String(), primary_key=True),
        _member_ref(),
        _text("reward_id"),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        _text("status"),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _text("coupon_code", nullable=True),
        _text("note"),
        sa.CheckConstraint("quantity > 0", name="ck_redemptions_quantity"),
        sa.CheckConstraint("points >= 0", name="ck_redemptions_points"),
    )
    op.create_index("ix_redemptions_member", "redemptions", ["member_id", "id"])
    op.create_index("ix_redemptions_member_reward", "redemptions", ["member_id", "reward_id"])

    op.create_table(
        "honor_awards",
        sa.Column("id", sa.String(), primary_key=True),
        _member_ref(),
        _text("honor_id"),
        _text("tier", nullable=True),
        sa.Column("granted_at", UtcDateTime(), nullable=False),
        _text("granted_by", nullable=True),
        _text("reason"),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        _text("revoked_by", nullable=True),
        _text("revoke_reason", nullable=True),
    )
    op.create_index("ix_honor_awards_member", "honor_awards", ["member_id", "honor_id"])
    op.create_index("ix_honor_awards_honor", "honor_awards", ["honor_id", "granted_at"])

    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(), primary_key=True),
        sa.Column("key", sa.String(), primary_key=True),
        _text("fingerprint"),
        _text("result_kind"),
        _text("result_id"),
    )

    op.create_table(
        "audit_entries",
        sa.Column("seq", big_id(), primary_key=True, autoincrement=True),
        _text("id"),
        _text("actor"),
        _text("action"),
        _text("target"),
        sa.Column("at", UtcDateTime(), nullable=False),
        _text("detail"),
        sa.UniqueConstraint("id", name="uq_audit_entries_id"),
    )
    op.create_index("ix_audit_entries_target", "audit_entries", ["target", "seq"])


def downgrade() -> None:
    for table in (
        "audit_entries",
        "idempotency_keys",
        "honor_awards",
        "redemptions",
        "coupon_codes",
        "stock",
        "rewarded_subjects",
        "activities",
        "ledger_entries",
        "accounts",
        "members",
    ):
        op.drop_table(table)
