"""An index on activities by member and subject: reversing a note's publication or one of
its metrics reads the member's other activities naming that note, to restore what they
alone had caused (the note's best figure, its count toward KOC tiers).

Revision ID: 0011_activity_subjects
Revises: 0010_reversals
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_activity_subjects"
down_revision: str | None = "0010_reversals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_activities_member_subject", "activities", ["member_id", "subject_id"])


def downgrade() -> None:
    op.drop_index("ix_activities_member_subject", table_name="activities")
