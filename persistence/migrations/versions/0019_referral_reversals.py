"""Referral reversals: a referral keeps the activity that qualified the invitee and the
invitee's welcome earning, so that reversing that activity takes both rewards back.

Referrals qualified before this revision keep neither: their qualifying activity is the
one of a qualifying kind at the qualifying instant, and their welcome is not taken back.

Revision ID: 0019_referral_reversals
Revises: 0017_referrals
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_referral_reversals"
down_revision: str | None = "0017_referrals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("referrals", sa.Column("qualifying_activity_id", sa.String(), nullable=True))
    op.add_column("referrals", sa.Column("welcome_transfer_id", sa.String(), nullable=True))


def downgrade() -> None:
    # In place on both (SQLite 3.35+ drops a plain column): a batch rebuild of the table
    # fails on SQLite while other tables refer to its rows.
    op.execute("ALTER TABLE referrals DROP COLUMN welcome_transfer_id")
    op.execute("ALTER TABLE referrals DROP COLUMN qualifying_activity_id")
