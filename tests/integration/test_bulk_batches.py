"""Batched writes of the SQL store (`persistence.sql.uow.WriteBuffer`): append-only rows
and members' saves wait in the unit of work and go out one statement per kind, before any
statement that could see them and before commit. These specify that nothing observable
changes: a batch answers and writes what one-by-one recording does, replays and reused
keys inside one batch answer as they do alone, reads in the transaction see the buffered
writes, the ledger's seq follows the order of posting, a rolled-back unit of work leaves
nothing, and a save that renames a member is still sent at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from domain import idempotency, ledger, services
from domain.commands import RecordActivity
from domain.errors import DomainError, IdempotencyKeyReused
from domain.ledger import (
    Posting,
    Source,
    SourceKind,
    Transfer,
    TransferKind,
    available_account,
    debt_account,
)
from domain.model import ActivityRecord, IdempotencyRecord
from domain.services.activities import ActivityResult
from persistence.memory import MemoryStore
from persistence.sql import SqlStore
from persistence.sql.engine import normalize_url
from tests.integration.conftest import StoreFactory
from tests.integration.shop import DEFAULT_AT, Shop
from tests.unit.builders import economy_from

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 10

[rules.review]
kind = "review"
points = 4
once_per_subject = true
"""
)


def activity(member_id: str, n: int, key: str, kind: str = "post", subject: str | None = None,
             ) -> RecordActivity:  # fmt: skip
    at = DEFAULT_AT + timedelta(minutes=n)
    return RecordActivity(member_id, kind, at, key, subject, at=at)


def batch_of(ids: list[str]) -> list[RecordActivity]:
    """Three members interleaved; a replay and a reused key of one batch; a subject
    rewarded once (its second review earns nothing); an unknown member; a bad key."""
    a, b, c = ids
    return [
        activity(a, 1, "a1"),
        activity(b, 2, "b1"),
        activity(a, 3, "a2", "review", "sku-1"),
        activity(c, 4, "c1"),
        activity(a, 1, "a1"),  # a replay of the first
        activity(a, 5, "a3", "review", "sku-1"),  # the same subject: no points
        activity(b, 6, "b1"),  # the key of b's first activity, another payload
        activity("nobody", 7, "x1"),
        activity(c, 8, ""),
        activity(c, 9, "c2"),
        activity(b, 10, "b2", "review", "sku-1"),  # another member: points
    ]


def outcome(result: ActivityResult | DomainError) -> tuple[Any, ...]:
    if isinstance(result, DomainError):
        return (type(result).__name__,)
    return (result.points, result.replayed, result.record.kind, result.record.occurred_at)


def written(store: StoreFactory, ids: list[str]) -> list[Any]:
    """What the store holds of each member, in terms two stores can compare."""
    seen: list[Any] = []
    for member_id in ids:
        member = services.get_member(member_id, store())
        entries = services.ledger_entries(member_id, store(), None, 100)
        seen.append(
            (
                member.qualifying_points,
                member.version,
                member.progress.to_primitives(),
                services.balances(member_id, store()),
                [(e.amount, e.kind, e.account.bucket, e.at, e.memo) for e in entries],
            )
        )
    return seen


def three_members(store: StoreFactory) -> list[str]:
    shop = Shop(store, ECONOMY)
    return [shop.join(handle) for handle in ("ann", "bob", "cat")]


def test_a_batch_answers_and_writes_what_recording_one_by_one_does(store: StoreFactory) -> None:
    ids = three_members(store)
    results = services.record_activities(batch_of(ids), store(), ECONOMY)

    alone = MemoryStore()
    alone_ids = three_members(alone)
    alone_results: list[ActivityResult | DomainError] = []
    for cmd in batch_of(alone_ids):
        try:
            alone_results.append(services.record_activity(cmd, alone(), ECONOMY))
        except DomainError as error:
            alone_results.append(error)

    assert [outcome(r) for r in results] == [outcome(r) for r in alone_results]
    assert written(store, ids) == written(alone, alone_ids)
    assert [outcome(r) for r in results][4:9] == [
        (10, True, "post", DEFAULT_AT + timedelta(minutes=1)),
        (0, False, "review", DEFAULT_AT + timedelta(minutes=5)),
        ("IdempotencyKeyReused",),
        ("NotFound",),
        ("InvalidInput",),
    ]


def test_a_replay_inside_a_batch_answers_the_first_activity_and_writes_it_once(
    store: StoreFactory,
) -> None:
    ids = three_members(store)
    first, again = services.record_activities(
        [activity(ids[0], 1, "k"), activity(ids[0], 1, "k")], store(), ECONOMY
    )
    assert isinstance(first, ActivityResult)
    assert isinstance(again, ActivityResult)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.record == first.record
    (later,) = services.record_activities([activity(ids[0], 1, "k")], store(), ECONOMY)
    assert isinstance(later, ActivityResult)
    assert later.replayed
    assert later.record == first.record
    assert services.balances(ids[0], store()).available == 10
    assert len(services.ledger_entries(ids[0], store(), None, 100)) == 1


def test_a_key_reused_inside_a_batch_fails_alone_and_the_others_are_committed(
    store: StoreFactory,
) -> None:
    ids = three_members(store)
    results = services.record_activities(
        [
            activity(ids[0], 1, "k"),
            activity(ids[1], 2, "k"),  # another member: another scope, no conflict
            activity(ids[0], 3, "k"),  # the same member and key, another payload
            activity(ids[2], 4, "k"),
        ],
        store(),
        ECONOMY,
    )
    assert [type(r) for r in results] == [
        ActivityResult,
        ActivityResult,
        IdempotencyKeyReused,
        ActivityResult,
    ]
    assert [services.balances(i, store()).available for i in ids] == [10, 10, 10]


def _fail_before_commit(store: SqlStore, ids: list[str], record: ActivityRecord) -> None:
    with store() as uow:
        member = uow.members.get_many_for_update(ids)[0]
        uow.activities.add(record)
        uow.activities.mark_subject(ids[0], "review", "s")
        uow.idempotency.add(IdempotencyRecord("scope", "k", "f", "activity", "act-x"))
        member.qualifying_points = 99
        uow.members.save(member)
        raise RuntimeError("the request failed before commit")


def _fail_when_sent(store: SqlStore, record: ActivityRecord) -> None:
    with store() as uow:
        uow.activities.add(record)
        uow.idempotency.add(IdempotencyRecord("scope", "k", "f", "activity", "act-x"))
        uow.idempotency.add(IdempotencyRecord("scope", "k", "f", "activity", "act-x"))
        uow.commit()  # the second key conflicts when the buffer is sent: all rolls back


def test_a_failing_unit_of_work_writes_nothing_it_buffered(sql_store: SqlStore) -> None:
    ids = three_members(sql_store)
    before = services.get_member(ids[0], sql_store())
    record = ActivityRecord("act-x", ids[0], "post", DEFAULT_AT, "s", {}, 0, (), None)
    with pytest.raises(RuntimeError):
        _fail_before_commit(sql_store, ids, record)
    with pytest.raises(AssertionError, match="not written"):
        _fail_when_sent(sql_store, record)
    with sql_store() as uow:
        assert uow.activities.get("act-x") is None
        assert not uow.activities.subject_rewarded(ids[0], "review", "s")
        assert uow.idempotency.get("scope", "k") is None
    assert services.get_member(ids[0], sql_store()) == before


def test_reads_inside_the_unit_of_work_see_its_buffered_writes(sql_store: SqlStore) -> None:
    ids = three_members(sql_store)
    member_id = ids[0]
    source = Source(SourceKind.OPERATOR, "op")
    owe = Transfer(
        "trf-debt",
        TransferKind.ADJUST,
        (Posting(debt_account(member_id), -5), Posting(available_account(member_id), 5)),
        DEFAULT_AT,
        source,
        "adj-1",
        "a debt",
    )
    repay = Transfer(
        "trf-repay",
        TransferKind.ADJUST,
        (Posting(available_account(member_id), -2), Posting(debt_account(member_id), 2)),
        DEFAULT_AT,
        source,
        "adj-2",
        "a repayment",
    )
    record = ActivityRecord("act-y", member_id, "post", DEFAULT_AT, None, {}, 0, (), None)
    key = IdempotencyRecord("scope", "k", "f", "activity", "act-y")
    version = services.get_member(member_id, sql_store()).version
    with sql_store() as uow:
        member = uow.members.get_many_for_update([member_id])[0]
        assert uow.ledger.post(owe)
        assert uow.ledger.balance(debt_account(member_id)) == -5  # buffered entries count
        assert uow.ledger.balance(available_account(member_id)) == 5
        assert [e.amount for e in uow.ledger.entries(member_id, None, 10)] == [5, -5]
        # A debit sees the buffered credit; the debt read first then follows the postings.
        assert not uow.ledger.post(
            ledger.adjust("trf-big", member_id, -6, DEFAULT_AT, "op", "a", "")
        )
        assert uow.ledger.post(repay)
        assert uow.ledger.balance(debt_account(member_id)) == -3
        assert uow.ledger.balance(available_account(member_id)) == 3
        found = uow.ledger.transfer("trf-debt")
        assert found is not None
        assert found.postings == owe.postings
        uow.activities.add(record)
        assert uow.activities.get("act-y") == record
        uow.activities.mark_subject(member_id, "review", "s")
        assert uow.activities.subject_rewarded(member_id, "review", "s")
        assert not uow.activities.subject_rewarded(member_id, "review", "other")
        assert uow.idempotency.get_many([("scope", "k")]) == {}
        uow.idempotency.add(key)
        assert uow.idempotency.get("scope", "k") is key
        member.qualifying_points = 7
        uow.members.save(member)
        member.qualifying_points = 8
        uow.members.save(member)  # the last save of the batch is the one sent
        assert uow.members.get(member_id) is member
        assert [m.id for m in uow.members.at_levels([member.level_id], 10)] == ids
        uow.commit()
    with sql_store() as uow:
        assert uow.ledger.balance(debt_account(member_id)) == -3
        assert uow.ledger.balance(available_account(member_id)) == 3
        assert uow.activities.get("act-y") == record
        assert uow.idempotency.get_many([("scope", "k"), ("scope", "none")]) == {
            ("scope", "k"): uow.idempotency.get("scope", "k")
        }
        saved = uow.members.get(member_id)
        assert saved is not None
        assert (saved.qualifying_points, saved.version) == (8, version + 2)


def test_ledger_seq_follows_the_order_the_batch_posted(sql_url: str) -> None:
    store = SqlStore(sql_url)
    try:
        ids = three_members(store)
        cmds = [activity(ids[n % 3], n, f"k{n}") for n in range(30)]
        results = services.record_activities(cmds, store(), ECONOMY)
        posted = [r.record.transfer_id for r in results if isinstance(r, ActivityResult)]
    finally:
        store.dispose()
    engine = sa.create_engine(normalize_url(sql_url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT transfer_id, amount FROM ledger_entries ORDER BY seq"
            ).all()
    finally:
        engine.dispose()
    assert len(posted) == 30
    assert [r[0] for r in rows] == [t for t in posted for _ in range(2)]
    assert [r[1] for r in rows] == [-10, 10] * 30


def test_many_members_are_locked_and_keys_read_at_once(store: StoreFactory) -> None:
    ids = three_members(store)
    services.record_activities([activity(ids[1], 1, "k")], store(), ECONOMY)
    with store() as uow:
        found = uow.members.get_many_for_update([ids[2], "nobody", ids[0], ids[2]])
        assert [m.id for m in found] == [ids[2], ids[0], ids[2]]
        scope = idempotency.scope(idempotency.SERVICE, idempotency.RECORD_ACTIVITY, ids[1])
        records = uow.idempotency.get_many([(scope, "k"), (scope, "other")])
        assert list(records) == [(scope, "k")]
        assert records[(scope, "k")].result_kind == "activity"


def _rename_to_a_taken_handle(store: SqlStore, ids: list[str]) -> list[str]:
    """Where the refusal came: "save" or "commit"."""
    stage = ["save"]
    with store() as uow:
        ann, bob = uow.members.get_many_for_update(ids[:2])
        ann.qualifying_points = 5
        uow.members.save(ann)  # buffered
        bob.handle = "Ann"  # taken (handles compare without case)
        uow.members.save(bob)
        stage[0] = "commit"
        uow.commit()
    return stage


def test_a_save_that_renames_a_member_is_sent_at_once(sql_store: SqlStore) -> None:
    """Only a save that keeps the handle, name and join date waits in the buffer: a new
    handle meets the unique key where it did before (SQLite: at the save itself;
    PostgreSQL: when the pipeline is read, at commit), and nothing of the unit is written."""
    ids = three_members(sql_store)
    before = [services.get_member(i, sql_store()) for i in ids]
    where: list[str] = []
    with pytest.raises(Exception, match=r"(?i)unique") as raised:
        where = _rename_to_a_taken_handle(sql_store, ids)
    assert where == []  # it raised
    sqlite = sql_store.url.startswith("sqlite")
    frames = [f.name for f in raised.traceback]
    assert ("save" in frames) is sqlite
    assert ("commit" in frames) is not sqlite
    assert type(raised.value).__name__ in {"IntegrityError", "UniqueViolation"}
    assert [services.get_member(i, sql_store()) for i in ids] == before

    with sql_store() as uow:
        ann = uow.members.get_many_for_update(ids[:1])[0]
        ann.display_name = "Ann B."
        uow.members.save(ann)  # sent at once
        ann.qualifying_points = 3
        uow.members.save(ann)  # buffered again
        uow.commit()
    saved = services.get_member(ids[0], sql_store())
    expected = ("Ann B.", 3, before[0].version + 2)
    assert (saved.display_name, saved.qualifying_points, saved.version) == expected
