"""Round trips: a domain object written by the store and read back is equal to the
original (datetimes as instants, whatever their offset), and a row that breaks a domain
invariant is refused on load."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from domain import services
from domain.commands import RecordActivity, RegisterMember, fingerprint
from domain.economy import Economy
from domain.ledger import (
    ISSUANCE,
    Posting,
    Source,
    SourceKind,
    Transfer,
    TransferKind,
    available_account,
)
from domain.model import (
    ActivityRecord,
    AuditEntry,
    AwardLine,
    HonorAward,
    IdempotencyRecord,
    LevelState,
    Member,
    Note,
    Progress,
    Redemption,
    RedemptionStatus,
)
from persistence.sql import SqlStore, mapping
from persistence.sql import tables as t

PLUS_EIGHT = timezone(timedelta(hours=8))
AT = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=PLUS_EIGHT)


def a_member(member_id: str = "mem_1") -> Member:
    progress = Progress(
        counters={"post|day": (739677, 2, 30), "daily_cap|day": (739677, 0, 30)},
        daily_total=(739677, 30),
        last_award={"post": 1772415015},
        streaks={"daily_check_in": (4, 739677)},
        best_streaks={"daily_check_in": 9},
        kind_counts={"post": 2, "viral:1000": 1},
        earned_by_day={739676: 12, 739677: 30},
        earned_by_month={24314: 42},
        lifetime_earned=42,
        consumed=10,
        expired=3,
        honor_tiers={"first_post": 1},
        last_active_day=739677,
    )
    return Member(
        id=member_id,
        handle="alice",
        display_name="Alice 爱丽丝",
        joined_at=AT,
        level_id="regular",
        qualifying_points=42,
        level_locked=True,
        level_state=LevelState.WARNING,
        demotion_due=AT + timedelta(days=30),
        koc_tier="junior",
        progress=progress,
        version=0,
    )


def test_a_member_maps_to_a_row_and_back_unchanged() -> None:
    member = a_member()

    assert mapping.member_from_row(mapping.member_to_row(member)) == member


def test_a_member_round_trips_through_the_database(sql_store: SqlStore) -> None:
    member = a_member()
    with sql_store() as uow:
        uow.members.add(member)
        uow.commit()

    with sql_store() as uow:
        loaded = uow.members.get(member.id)

    assert loaded == member
    assert loaded is not None
    assert loaded.joined_at.utcoffset() == timedelta(0)
    assert loaded.joined_at == datetime(2026, 3, 2, 1, 30, 15, 123456, tzinfo=UTC)


def test_records_round_trip_through_the_database(sql_store: SqlStore) -> None:
    activity = ActivityRecord(
        "act_1",
        "mem_1",
        "post",
        AT,
        "note-1",
        {"photos": 2, "words": 812},
        15,
        (AwardLine("post_with_photos", 15, 0, 15, "15 points", 0),),
        "trf_1",
    )
    redemption = Redemption(
        "red_1", "mem_1", "mug", 2, 60, RedemptionStatus.FULFILLED, AT, AT, "C-1", "shipped"
    )
    award = HonorAward("hon_1", "mem_1", "founding_100", None, AT, "op", "first", AT, "op", "left")
    key = IdempotencyRecord("mem_1", "k-1", "f" * 64, "activity", "act_1")
    audit = AuditEntry("aud_1", "op", "grant_honor", "mem_1", AT, "founding_100: first")
    note = Note("mem_1", "note-1", 739677, AT, 739678, 1200)
    with sql_store() as uow:
        uow.members.add(a_member())
        uow.notes.add(note)
        uow.activities.add(activity)
        uow.redemptions.add(redemption)
        uow.honors.add(award)
        uow.idempotency.add(key)
        uow.audit.add(audit)
        uow.commit()

    with sql_store() as uow:
        assert uow.activities.get("act_1") == activity
        assert uow.notes.get("mem_1", "note-1") == note
        assert uow.redemptions.get("red_1") == redemption
        assert uow.honors.list_for_member("mem_1") == [award]
        assert uow.idempotency.get("mem_1", "k-1") == key
        assert uow.audit.list("mem_1", 5) == [audit]


def test_a_transfer_is_stored_as_one_entry_per_posting(sql_store: SqlStore) -> None:
    account = available_account("mem_1")
    transfer = Transfer(
        "trf_1",
        TransferKind.EARN,
        (Posting(ISSUANCE, -15), Posting(account, 15)),
        AT,
        Source(SourceKind.RULE, "act_1"),
        "act_1",
        "post",
    )
    with sql_store() as uow:
        uow.members.add(a_member())
        assert uow.ledger.post(transfer)
        uow.commit()

    with sql_store() as uow:
        [entry] = uow.ledger.entries("mem_1", None, 10)
        balances = uow.ledger.balances([account, ISSUANCE])

    assert (entry.transfer_id, entry.kind, entry.account, entry.amount) == (
        "trf_1",
        TransferKind.EARN,
        account,
        15,
    )
    assert (entry.at, entry.reference, entry.memo) == (AT, "act_1", "post")
    assert balances == {account: 15, ISSUANCE: -15}


def test_a_row_that_breaks_a_member_invariant_is_refused_on_load(sql_store: SqlStore) -> None:
    with sql_store() as uow:
        uow.members.add(a_member())
        uow.commit()
    with sql_store.engine.begin() as connection:
        connection.execute(sa.update(t.members).values(demotion_due=None))

    with sql_store() as uow, pytest.raises(AssertionError, match="demotion date"):
        uow.members.get("mem_1")


def test_a_write_the_database_refuses_rolls_back_and_leaves_the_store_usable(
    sql_store: SqlStore,
) -> None:
    orphan = ActivityRecord("act_1", "nobody", "post", AT, None, {}, 0, (), None)

    def write_the_orphan() -> None:
        with sql_store() as uow:
            uow.audit.add(AuditEntry("aud_1", "op", "note", "x", AT, "written first"))
            uow.activities.add(orphan)  # no such member
            uow.commit()

    with pytest.raises(Exception, match=r"(?i)foreign key"):
        write_the_orphan()

    with sql_store() as uow:
        uow.members.add(a_member())
        uow.commit()
    with sql_store() as uow:
        assert uow.audit.list(None, 5) == []
        assert uow.members.get("mem_1") == a_member()


def test_an_activity_key_persists_the_digest_of_its_command(
    sql_store: SqlStore, koc_economy: Economy
) -> None:
    member = services.register_member(
        RegisterMember("alice", "Alice", AT), sql_store(), koc_economy
    )
    cmd = RecordActivity(member.id, "post", AT, "k-1", "note-1", {"photos": 2}, at=AT)
    services.record_activity(cmd, sql_store(), koc_economy)

    with sql_store.engine.begin() as connection:
        [row] = connection.execute(sa.select(t.idempotency_keys)).mappings().all()

    assert (row["key"], row["fingerprint"]) == ("k-1", fingerprint(cmd))
    with sql_store() as uow:
        stored = uow.idempotency.get(row["scope"], "k-1")
    assert stored is not None
    assert stored.command is None
    assert stored.same_payload(cmd)
