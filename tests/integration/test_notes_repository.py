"""The notes repository, specified once and run on every store (memory, SQLite,
PostgreSQL), and the migration that moves notes out of the members' progress JSON."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from domain.model import Member, Note
from persistence.sql import SqlStore
from persistence.sql.engine import make_engine
from persistence.sql.migrate import alembic_config
from persistence.sql.types import UtcDateTime
from tests.integration.conftest import StoreFactory
from tests.integration.databases import postgres_schema, sqlite_url
from tests.unit.builders import local

AT = local(2026, 5, 4, 10)
DAY = 739740


def at(days: int, minutes: int = 0) -> datetime:
    return AT + timedelta(days=days, minutes=minutes)


def note(note_id: str, days: int, *, counted: bool = True, interactions: int | None = None) -> Note:
    return Note("m1", note_id, DAY + days, at(days), DAY + days if counted else None, interactions)


def with_member(store: StoreFactory, *notes: Note) -> None:
    with store() as uow:
        uow.members.add(Member("m1", "alice", "Alice", AT, "newcomer"))
        uow.members.add(Member("m2", "bob", "Bob", AT, "newcomer"))
        for each in notes:
            uow.notes.add(each)
        uow.commit()


def test_a_note_reads_back_per_member_and_is_unknown_to_others(store: StoreFactory) -> None:
    with_member(store, note("n1", 0))

    with store() as uow:
        assert uow.notes.get("m1", "n1") == note("n1", 0)
        assert uow.notes.get("m2", "n1") is None
        assert uow.notes.get("m1", "n2") is None


def test_a_saved_note_keeps_its_new_figures(store: StoreFactory) -> None:
    with_member(store, note("n1", 0, counted=False))
    with store() as uow:
        uow.notes.save(note("n1", 0, interactions=40))
        uow.commit()

    with store() as uow:
        assert uow.notes.get("m1", "n1") == note("n1", 0, interactions=40)
        assert uow.notes.counted("m1", None, DAY + 10) == 1


def test_counted_notes_are_counted_by_the_day_they_were_counted(store: StoreFactory) -> None:
    with_member(
        store, note("a", 0), note("b", 5), note("c", 9, counted=False), note("d", 10), note("e", 30)
    )

    with store() as uow:
        counts = [
            uow.notes.counted("m1", None, DAY + 30),
            uow.notes.counted("m1", DAY + 5, DAY + 10),
            uow.notes.counted("m1", DAY + 6, DAY + 29),
            uow.notes.counted("m1", None, DAY + 4),
            uow.notes.counted("m2", None, DAY + 30),
        ]

    assert counts == [4, 2, 1, 1, 0]


def test_the_latest_measured_notes_come_latest_published_first(store: StoreFactory) -> None:
    with_member(
        store,
        note("a", 0, interactions=1),
        note("b", 1),
        note("d", 2, interactions=3),
        note("c", 2, interactions=2),
        note("e", 3),
    )

    with store() as uow:
        latest = [n.note_id for n in uow.notes.latest_measured("m1", 2)]
        every = [n.note_id for n in uow.notes.latest_measured("m1", 10)]

    assert (latest, every) == (["d", "c"], ["d", "c", "a"])


def test_reads_in_a_unit_of_work_see_its_own_uncommitted_notes(store: StoreFactory) -> None:
    with_member(store, note("a", 0, interactions=5), note("b", 1, counted=False))

    with store() as uow:
        uow.notes.add(note("c", 2, interactions=7))
        uow.notes.save(note("b", 1, counted=False, interactions=9))
        uow.notes.save(note("a", 0, interactions=6))
        seen = (
            uow.notes.counted("m1", None, DAY + 5),
            [(n.note_id, n.interactions) for n in uow.notes.latest_measured("m1", 5)],
        )

    assert seen == (2, [("c", 7), ("b", 9), ("a", 6)])
    with store() as uow:
        assert uow.notes.get("m1", "c") is None  # never committed


# --- the migration --------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at the first revision, before notes had a table."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path, "old.db")
        _to(url, "upgrade", "0001_initial")
        yield url
        return
    with postgres_schema() as url:
        _to(url, "upgrade", "0001_initial")
        yield url


def _to(url: str, direction: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            getattr(command, direction)(config, revision)
            connection.commit()
    finally:
        engine.dispose()


OLD_PROGRESS = {
    "counters": {}, "daily_total": [0, 0], "last_award": {}, "streaks": {}, "best_streaks": {},
    "kind_counts": {"post": 3, "viral:1000": 1}, "earned_by_day": {}, "earned_by_month": {},
    "lifetime_earned": 215, "consumed": 0, "expired": 0,
    "notes": [[DAY, "n1"], [DAY + 2, "n2"]],
    "note_interactions": {"n1": 1500, "ghost": 9000},
    "viral_notes": 0, "honor_tiers": {}, "last_active_day": DAY + 2,
}  # fmt: skip


OLD_MEMBERS = sa.table(
    "members",
    sa.column("id", sa.String()),
    sa.column("handle", sa.String()),
    sa.column("display_name", sa.String()),
    sa.column("joined_at", UtcDateTime()),
    sa.column("level_id", sa.String()),
    sa.column("qualifying_points", sa.BigInteger()),
    sa.column("level_locked", sa.Boolean()),
    sa.column("level_state", sa.String()),
    sa.column("koc_tier", sa.String()),
    sa.column("progress", sa.JSON()),
    sa.column("version", sa.Integer()),
)


OLD_ACTIVITIES = sa.table(
    "activities",
    sa.column("id", sa.String()),
    sa.column("member_id", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("occurred_at", UtcDateTime()),
    sa.column("subject_id", sa.String()),
    sa.column("attributes", sa.JSON()),
    sa.column("points", sa.BigInteger()),
    sa.column("lines", sa.JSON()),
    sa.column("transfer_id", sa.String()),
)


def test_the_migration_moves_the_kept_notes_into_their_table(old_url: str) -> None:
    engine = make_engine(old_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                OLD_MEMBERS.insert(),
                {
                    "id": "m1",
                    "handle": "alice",
                    "display_name": "Alice",
                    "joined_at": AT,
                    "level_id": "newcomer",
                    "qualifying_points": 0,
                    "level_locked": False,
                    "level_state": "active",
                    "koc_tier": "senior",
                    "progress": OLD_PROGRESS,
                    "version": 1,
                },
            )
            connection.execute(
                OLD_ACTIVITIES.insert(),
                [
                    {
                        "id": f"act_{n}",
                        "member_id": "m1",
                        "kind": "post",
                        "occurred_at": AT,
                        "subject_id": "n1",
                        "attributes": {},
                        "points": 0,
                        "lines": [],
                        "transfer_id": None,
                    }
                    for n in range(3)
                ],
            )
    finally:
        engine.dispose()

    _to(old_url, "upgrade", "head")

    store = SqlStore(old_url)
    try:
        with store() as uow:
            member = uow.members.get("m1")
            first, second = uow.notes.get("m1", "n1"), uow.notes.get("m1", "n2")
            ghost = uow.notes.get("m1", "ghost")
            marked = uow.activities.subject_rewarded("m1", "kind:post", "n1")
    finally:
        store.dispose()
    assert member is not None
    assert member.progress.kind_counts == {"post": 3, "viral:1000": 1}
    assert first == Note("m1", "n1", DAY, AT, DAY, 1500)  # published when first recorded
    assert second == Note("m1", "n2", DAY + 2, _midnight(DAY + 2), DAY + 2, None)
    assert ghost is None
    assert marked  # a repost of n1 after the upgrade does not count again


def test_a_downgrade_puts_the_notes_back_into_the_progress_json(old_url: str) -> None:
    _to(old_url, "upgrade", "head")
    store = SqlStore(old_url)
    try:
        with_member(store, note("n1", 0, interactions=12), note("n2", 1))
    finally:
        store.dispose()

    _to(old_url, "downgrade", "0001_initial")

    engine = make_engine(old_url)
    try:
        with engine.connect() as connection:
            progress = connection.execute(
                sa.select(OLD_MEMBERS.c.progress).where(OLD_MEMBERS.c.id == "m1")
            ).scalar_one()
    finally:
        engine.dispose()
    assert progress["notes"] == [[DAY, "n1"], [DAY + 1, "n2"]]
    assert progress["note_interactions"] == {"n1": 12}


def _midnight(day: int) -> datetime:
    return datetime.combine(datetime.fromordinal(day).date(), datetime.min.time(), UTC)
