"""Notes get a table of their own: one row per (member, note) with its publication, the
day it started to count toward KOC tiers and its best reported interactions.

Existing data: the member's `progress` JSON kept the last 50 published notes
(`notes`, as [day, note id]) and the last 200 measured ones (`note_interactions`).
Each of the 50 becomes a row (published and counted on its day, at the time of its
first activity with that subject, with its best interactions if it was measured); the
three keys leave the JSON. Measured notes outside the last 50 are not carried over:
their publication day was already lost, and among them are the "ghost notes" that were
never published at all; metrics for them are refused from now on.

Counts behind `activity_count` honors now count distinct subjects per kind, marked in
`rewarded_subjects` under `kind:<kind>` (no rule id has a colon). Every (member, kind,
subject) already recorded gets its mark, so reposting an old subject after the upgrade
adds nothing either. The counts themselves (`kind_counts` in the JSON) are kept as they
were: honors are never taken back, and what they counted cannot be told apart now.

Revision ID: 0004_notes
Revises: 0003_quests
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from persistence.sql.types import UtcDateTime

revision: str = "0004_notes"
down_revision: str | None = "0003_quests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

batch_size = 500
notes_kept_max = 50  # what the JSON kept, for a downgrade
measured_kept_max = 200
MOVED_KEYS = ("notes", "note_interactions", "viral_notes")

members = sa.table("members", sa.column("id", sa.String()), sa.column("progress", sa.JSON()))
activities = sa.table(
    "activities",
    sa.column("member_id", sa.String()),
    sa.column("subject_id", sa.String()),
    sa.column("occurred_at", UtcDateTime()),
)
notes = sa.table(
    "notes",
    sa.column("member_id", sa.String()),
    sa.column("note_id", sa.String()),
    sa.column("published_day", sa.Integer()),
    sa.column("published_at", UtcDateTime()),
    sa.column("counted_day", sa.Integer()),
    sa.column("interactions", sa.BigInteger()),
)


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("member_id", sa.String(), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("note_id", sa.String(), primary_key=True),
        sa.Column("published_day", sa.Integer(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.Column("counted_day", sa.Integer(), nullable=True),
        sa.Column("interactions", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("interactions >= 0", name="ck_notes_interactions"),
    )
    op.create_index("ix_notes_member_counted", "notes", ["member_id", "counted_day"])
    op.create_index("ix_notes_member_published", "notes", ["member_id", "published_at", "note_id"])
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "INSERT INTO rewarded_subjects (member_id, rule_id, subject_id)"
            " SELECT DISTINCT member_id, 'kind:' || kind, subject_id FROM activities"
            " WHERE subject_id IS NOT NULL"
        )
    )
    for member_id, progress in _members_with_progress(connection):
        kept = {str(note_id): int(day) for day, note_id in progress.get("notes", [])}
        measured: dict[str, int] = progress.get("note_interactions", {})
        first_seen = _first_activity(connection, member_id, list(kept))
        rows = [
            {
                "member_id": member_id,
                "note_id": note_id,
                "published_day": day,
                "published_at": first_seen.get(note_id, _day_start(day)),
                "counted_day": day,
                "interactions": measured.get(note_id),
            }
            for note_id, day in kept.items()
        ]
        if rows:
            connection.execute(notes.insert(), rows)
        _set_progress(connection, member_id, {k: v for k, v in progress.items()
                                               if k not in MOVED_KEYS})  # fmt: skip


def downgrade() -> None:
    """Back into the JSON, as much as it held: the latest 50 notes, the latest 200
    measured ones."""
    connection = op.get_bind()
    for member_id, progress in _members_with_progress(connection):
        mine = connection.execute(
            sa.select(notes.c.note_id, notes.c.published_day, notes.c.interactions)
            .where(notes.c.member_id == member_id)
            .order_by(notes.c.published_at, notes.c.note_id)
        ).all()
        progress["notes"] = [[day, note_id] for note_id, day, _ in mine][-notes_kept_max:]
        best = [(note_id, n) for note_id, _, n in mine if n is not None][-measured_kept_max:]
        progress["note_interactions"] = dict(best)
        progress["viral_notes"] = 0
        _set_progress(connection, member_id, progress)
    op.drop_table("notes")
    connection.execute(sa.text("DELETE FROM rewarded_subjects WHERE rule_id LIKE 'kind:%'"))


def _members_with_progress(connection: sa.Connection) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every member's id and progress, in id order, a batch at a time."""
    after = ""
    while True:
        batch = connection.execute(
            sa.select(members.c.id, members.c.progress)
            .where(members.c.id > after)
            .order_by(members.c.id)
            .limit(batch_size)
        ).all()
        if not batch:
            return
        for member_id, progress in batch:
            yield str(member_id), dict(progress)
        after = str(batch[-1][0])


def _first_activity(
    connection: sa.Connection, member_id: str, subjects: list[str]
) -> dict[str, datetime]:
    if not subjects:
        return {}
    found = connection.execute(
        sa.select(activities.c.subject_id, sa.func.min(activities.c.occurred_at))
        .where(activities.c.member_id == member_id, activities.c.subject_id.in_(subjects))
        .group_by(activities.c.subject_id)
    ).all()
    return {str(subject): at for subject, at in found if at is not None}


def _day_start(day: int) -> datetime:
    """Midnight UTC of a local day ordinal: only when no activity tells the time."""
    return datetime.combine(datetime.fromordinal(day).date(), datetime.min.time(), UTC)


def _set_progress(connection: sa.Connection, member_id: str, progress: dict[str, Any]) -> None:
    connection.execute(members.update().where(members.c.id == member_id).values(progress=progress))
