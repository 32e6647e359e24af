"""Case-insensitive handles and counted honor seats.

`members.handle_key` holds the casefolded handle and is unique, so `alice` and `ALICE`
are one handle. Members registered before this revision whose handles differ only in
case keep their handles; the later-registered ones get a key suffixed with their id, so
the earliest keeps the plain key (and is the one found by handle) and no one loses their
account. `honor_seats` counts the current holders of each honor so that a grant takes a
seat with a conditional update.

Revision ID: 0002_handle_keys_and_honor_seats
Revises: 0001_initial
Create Date: 2026-12-02
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_handle_keys_and_honor_seats"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def handle_key(handle: str) -> str:
    """`domain.handles.handle_key` as of this revision (a migration does not follow later
    changes of the code)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", handle).casefold())


def upgrade() -> None:
    # Added NOT NULL with a placeholder default and filled at once: SQLite can add such a
    # column in place, without rebuilding the members table every other table refers to.
    op.add_column(
        "members", sa.Column("handle_key", sa.String(), nullable=False, server_default="")
    )
    connection = op.get_bind()
    members = connection.execute(
        sa.text("SELECT id, handle FROM members ORDER BY joined_at, id")
    ).all()
    taken: set[str] = set()
    for member_id, handle in members:
        key = handle_key(handle)
        if key in taken:
            key = f"{key}#{member_id}"
        taken.add(key)
        connection.execute(
            sa.text("UPDATE members SET handle_key = :key WHERE id = :id"),
            {"key": key, "id": member_id},
        )
    op.create_index("uq_members_handle_key", "members", ["handle_key"], unique=True)
    if connection.dialect.name != "sqlite":  # SQLite cannot drop a column default in place
        op.alter_column("members", "handle_key", server_default=None)

    op.create_table(
        "honor_seats",
        sa.Column("honor_id", sa.String(), primary_key=True),
        sa.Column("holders", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("holders >= 0", name="ck_honor_seats_holders"),
    )
    op.execute(
        "INSERT INTO honor_seats (honor_id, holders)"
        " SELECT honor_id, COUNT(DISTINCT member_id) FROM honor_awards"
        " WHERE revoked_at IS NULL GROUP BY honor_id"
    )


def downgrade() -> None:
    op.drop_table("honor_seats")
    op.drop_index("uq_members_handle_key", table_name="members")
    # In place on both (SQLite 3.35+ drops a plain column): rebuilding the members table,
    # as a batch operation would, fails on SQLite while other tables refer to its rows.
    op.execute("ALTER TABLE members DROP COLUMN handle_key")
