"""Migration 0002 moves idempotency keys stored in the member-only format into the
caller-and-operation scopes, on SQLite and PostgreSQL: after the upgrade, every command
retried with its old key replays (an adjustment even when another operator retries it),
and the downgrade brings back the member-only format."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from domain import services
from domain.commands import AdjustPoints, RecordActivity, RedeemReward, RegisterMember
from domain.economy import Economy
from persistence.sql import SqlStore, migrate
from persistence.sql.engine import make_engine
from persistence.sql.migrate import alembic_config
from tests.integration.databases import postgres_schema, sqlite_url

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ACTIVITY = RecordActivity("m-1", "interaction", AT, "act-key", "s-1", at=AT)
ADJUST = AdjustPoints("m-1", 500, "goodwill", "operator:ops-1", "adj-key", AT)
REDEEM = RedeemReward("m-1", "sticker_pack", 1, "red-key", AT)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path, "scopes.db")
        return
    with postgres_schema() as found:
        yield found


def _alembic(url: str, target: str, *, down: bool) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, target)
            connection.commit()
    finally:
        engine.dispose()


def _rows(url: str) -> set[tuple[str, str, str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.text("SELECT scope, key, result_kind FROM idempotency_keys")
            )
            return {(r[0], r[1], r[2]) for r in found}
    finally:
        engine.dispose()


def _old_adjustment_fingerprint() -> str:
    """What revision 0001's code stored: the payload with the operator's name in it."""
    parts = ["AdjustPoints", "member_id='m-1'", "amount=500", "reason='goodwill'"]
    parts.append("actor='operator:ops-1'")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _store_keys_the_old_way(url: str, economy: Economy) -> None:
    """Write one key of each kind, then bring the rows to revision 0001's format."""
    migrate(url)
    store = SqlStore(url)
    try:
        services.sync_rewards(store(), economy)
        services.register_member(RegisterMember("alice", "Alice", AT, "m-1"), store(), economy)
        services.record_activity(ACTIVITY, store(), economy)
        services.adjust_points(ADJUST, store(), economy)
        services.redeem_reward(REDEEM, store(), economy)
    finally:
        store.dispose()
    _alembic(url, "0001_initial", down=True)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE idempotency_keys SET fingerprint = :f WHERE key = 'adj-key'"),
                {"f": _old_adjustment_fingerprint()},
            )
    finally:
        engine.dispose()


def test_downgrading_brings_back_member_only_scopes(url: str, koc_economy: Economy) -> None:
    _store_keys_the_old_way(url, koc_economy)

    assert _rows(url) == {
        ("m-1", "act-key", "activity"),
        ("m-1", "adj-key", "adjustment"),
        ("m-1", "red-key", "redemption"),
    }


def test_upgrading_scopes_each_stored_key_by_its_caller_and_operation(
    url: str, koc_economy: Economy
) -> None:
    _store_keys_the_old_way(url, koc_economy)

    migrate(url)

    assert _rows(url) == {
        ("service|record_activity|m-1", "act-key", "activity"),
        ("operator|adjust_points|m-1", "adj-key", "adjustment"),
        ("member:m-1|redeem_reward|m-1", "red-key", "redemption"),
    }


def test_after_the_upgrade_every_old_key_still_replays(url: str, koc_economy: Economy) -> None:
    _store_keys_the_old_way(url, koc_economy)
    migrate(url)
    store = SqlStore(url)
    try:
        activity = services.record_activity(ACTIVITY, store(), koc_economy)
        retried = AdjustPoints("m-1", 500, "goodwill", "operator:ops-2", "adj-key", AT)
        adjustment = services.adjust_points(retried, store(), koc_economy)
        redemption = services.redeem_reward(REDEEM, store(), koc_economy)
        balance = services.balances("m-1", store())
    finally:
        store.dispose()

    assert (activity.replayed, adjustment.replayed, redemption.replayed) == (True, True, True)
    assert balance.available == 500 + activity.points - 150
