"""Revision 0002 on a populated database: handles that differ only in case all survive
(the earliest keeps the plain key), and current honor holders become counted seats."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from persistence.sql.engine import make_engine
from persistence.sql.migrate import alembic_config
from tests.integration.databases import postgres_schema, sqlite_url

MEMBER = (
    "INSERT INTO members (id, handle, display_name, joined_at, level_id, qualifying_points,"
    " level_locked, level_state, demotion_due, koc_tier, progress, version) VALUES"
    " (:id, :handle, :handle, :joined_at, 'newcomer', 0, false, 'active', NULL, NULL, '{}', 1)"
)
AWARD = (
    "INSERT INTO honor_awards (id, member_id, honor_id, tier, granted_at, granted_by, reason,"
    " revoked_at, revoked_by, revoke_reason) VALUES (:id, :member_id, 'founding', NULL,"
    " '2026-01-01 00:00:00', 'operator', 'early', :revoked_at, NULL, NULL)"
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url_at_0001(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    def upgrade(url: str, revision: str) -> None:
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                connection.commit()
        finally:
            engine.dispose()

    if request.param == "sqlite":
        url = sqlite_url(tmp_path, "old.db")
        upgrade(url, "0001_initial")
        yield url
        return
    with postgres_schema() as url:
        upgrade(url, "0001_initial")
        yield url


def run(url: str, sql: str, rows: list[dict[str, object]]) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(sql), rows)
    finally:
        engine.dispose()


def upgrade_to(url: str, revision: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
        with engine.connect() as connection:
            keys = connection.execute(
                sa.text("SELECT id, handle, handle_key FROM members ORDER BY id")
            ).all()
            seats = connection.execute(sa.text("SELECT honor_id, holders FROM honor_seats")).all()
        return [tuple(k) for k in keys] + [tuple(s) for s in seats]
    finally:
        engine.dispose()


def test_upgrading_keeps_every_member_of_handles_differing_only_in_case(url_at_0001: str) -> None:
    run(
        url_at_0001,
        MEMBER,
        [
            {"id": "m1", "handle": "alice", "joined_at": "2026-01-01 00:00:00"},
            {"id": "m2", "handle": "ALICE", "joined_at": "2026-01-02 00:00:00"},
            {"id": "m3", "handle": "Bob", "joined_at": "2026-01-03 00:00:00"},
        ],
    )
    run(
        url_at_0001,
        AWARD,
        [
            {"id": "h1", "member_id": "m1", "revoked_at": None},
            {"id": "h2", "member_id": "m3", "revoked_at": None},
            {"id": "h3", "member_id": "m2", "revoked_at": "2026-01-05 00:00:00"},
        ],
    )

    found = upgrade_to(url_at_0001, "0002_handle_keys_and_honor_seats")

    assert found == [
        ("m1", "alice", "alice"),
        ("m2", "ALICE", "alice#m2"),
        ("m3", "Bob", "bob"),
        ("founding", 2),
    ]
