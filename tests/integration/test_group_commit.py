"""Group commit of recordActivity (`api.group_commit`) on memory, SQLite and PostgreSQL:
concurrent requests share transactions, yet every request keeps its own idempotency and
its answer, a member's activities are written in the order they arrived, a command that
fails does not fail the others of its group, and a transaction that fails inside a group
loses nothing that was committed before it and records each of its activities once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import pytest

from api.app import group_writers, postgres_group_writers
from api.economy_types import GuideIndex
from api.events import Broker
from api.group_commit import GroupCommit
from api.runtime import Runtime, db_executor
from api.settings import Settings, SettingsError
from domain import services
from domain.commands import RecordActivity, RegisterMember
from domain.errors import DomainError, IdempotencyKeyReused, NotFound
from domain.guide import build_guide
from domain.ports import UnitOfWork
from domain.services.activities import ActivityResult
from persistence.sql import SqlStore
from tests.integration.conftest import StoreFactory
from tests.integration.shop import DEFAULT_AT
from tests.unit.builders import economy_from

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 3
"""
)
members_count = 5


class CommitFailsWhenArmed:
    """A store whose next committing unit of work fails at commit (after its writes),
    once, as a crash or a lost connection would: the transaction is rolled back."""

    def __init__(self, store: StoreFactory) -> None:
        self.store = store
        self.armed = False
        self.failed = 0

    def __call__(self) -> UnitOfWork:
        return _Unit(self, self.store())


class _Unit:
    def __init__(self, owner: CommitFailsWhenArmed, inner: UnitOfWork) -> None:
        self._owner = owner
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _Unit:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        if self._owner.armed:
            self._owner.armed = False
            self._owner.failed += 1
            raise RuntimeError("the connection was lost at commit")
        self._inner.commit()


@pytest.fixture
def failing(store: StoreFactory) -> CommitFailsWhenArmed:
    return CommitFailsWhenArmed(store)


@pytest.fixture
def runtime(failing: CommitFailsWhenArmed) -> Iterator[Runtime]:
    sqlite_or_memory = not isinstance(failing.store, SqlStore) or failing.store.write_lock
    writers = 1 if sqlite_or_memory else postgres_group_writers
    executor = db_executor()
    runtime = Runtime(
        Settings(), ECONOMY, GuideIndex(build_guide(ECONOMY)), failing, Broker(), executor,
        group_writers=writers,
    )  # fmt: skip
    yield runtime
    executor.shutdown(wait=True)


@pytest.fixture
def members(failing: CommitFailsWhenArmed) -> list[str]:
    return [
        services.register_member(
            RegisterMember(f"g{n}", f"G{n}", DEFAULT_AT), failing(), ECONOMY
        ).id
        for n in range(members_count)
    ]


def post(member: str, key: str, subject: str | None = None) -> RecordActivity:
    return RecordActivity(member, "post", DEFAULT_AT, key, subject or key, at=DEFAULT_AT)


async def record_all(
    runtime: Runtime, commands: list[RecordActivity]
) -> list[ActivityResult | DomainError]:
    async def one(cmd: RecordActivity) -> ActivityResult | DomainError:
        try:
            return await runtime.record_activity(cmd)
        except DomainError as error:
            return error

    return list(await asyncio.gather(*(one(cmd) for cmd in commands)))


def groups_of(runtime: Runtime) -> GroupCommit:
    assert runtime.groups is not None
    return runtime.groups


def ledger_references(store: StoreFactory, member: str) -> list[str]:
    """The activities credited to `member`, oldest first."""
    with store() as uow:
        entries = uow.ledger.entries(member, None, 1000)
    return [e.reference for e in reversed(entries)]


def available(store: StoreFactory, member: str) -> int:
    return services.balances(member, store()).available


async def test_each_request_keeps_its_idempotency_and_answer_in_a_group(
    runtime: Runtime, members: list[str], failing: CommitFailsWhenArmed
) -> None:
    keys = [f"k{n}" for n in range(60)]
    commands = [post(members[n % members_count], key) for n, key in enumerate(keys)]
    twice = commands + commands  # every key sent twice, concurrently

    results = await record_all(runtime, twice)

    assert all(isinstance(r, ActivityResult) for r in results), results
    done = [r for r in results if isinstance(r, ActivityResult)]
    firsts, seconds = done[:60], done[60:]
    assert [r.replayed for r in firsts] == [False] * 60  # the first of each key records it
    assert [r.replayed for r in seconds] == [True] * 60  # the second replays it
    assert [r.record.id for r in firsts] == [r.record.id for r in seconds]
    assert len({r.record.id for r in firsts}) == 60
    assert groups_of(runtime).groups < len(twice)  # they did share transactions
    for n, member in enumerate(members):
        mine = [r.record.id for r in firsts[n::members_count]]
        assert ledger_references(failing.store, member) == mine  # once each, in arrival order
        assert available(failing.store, member) == 3 * len(mine)


async def test_a_failing_command_does_not_fail_the_others_of_its_group(
    runtime: Runtime, members: list[str], failing: CommitFailsWhenArmed
) -> None:
    await record_all(runtime, [post(members[0], "used")])
    commands = [post(members[1], f"ok{n}") for n in range(10)]
    commands.insert(3, post(members[0], "used", subject="another subject"))  # key reused
    commands.insert(7, post("no-such-member", "lost"))

    results = await record_all(runtime, commands)

    assert isinstance(results[3], IdempotencyKeyReused)
    assert isinstance(results[7], NotFound)
    others = [r for n, r in enumerate(results) if n not in (3, 7)]
    assert all(isinstance(r, ActivityResult) and not r.replayed for r in others)
    assert available(failing.store, members[1]) == 3 * 10
    assert available(failing.store, members[0]) == 3


async def test_a_transaction_that_fails_in_a_group_loses_nothing_committed(
    runtime: Runtime, members: list[str], failing: CommitFailsWhenArmed
) -> None:
    before = await record_all(runtime, [post(members[n % 2], f"a{n}") for n in range(10)])
    failing.armed = True  # the next group's commit fails after its writes
    after = await record_all(runtime, [post(members[n % 2], f"b{n}") for n in range(10)])

    assert failing.failed == 1
    assert groups_of(runtime).fallbacks == 1  # replayed one by one, each recorded once
    assert all(isinstance(r, ActivityResult) and not r.replayed for r in before + after)
    ids = [r.record.id for r in before + after if isinstance(r, ActivityResult)]
    for member in members[:2]:
        assert available(failing.store, member) == 3 * 10
    credited = ledger_references(failing.store, members[0]) + ledger_references(
        failing.store, members[1]
    )
    assert sorted(credited) == sorted(ids)  # the first group intact, the second once
    again = await record_all(runtime, [post(members[n % 2], f"b{n}") for n in range(10)])
    assert [r.record.id for r in again if isinstance(r, ActivityResult)] == ids[10:]
    assert all(isinstance(r, ActivityResult) and r.replayed for r in again)


async def test_without_group_commit_each_activity_is_its_own_transaction(
    failing: CommitFailsWhenArmed, members: list[str]
) -> None:
    executor = db_executor()
    runtime = Runtime(
        Settings(), ECONOMY, GuideIndex(build_guide(ECONOMY)), failing, Broker(), executor
    )
    try:
        results = await record_all(runtime, [post(members[0], f"s{n}") for n in range(5)])
    finally:
        executor.shutdown(wait=True)
    assert runtime.groups is None
    assert all(isinstance(r, ActivityResult) for r in results)
    assert available(failing.store, members[0]) == 15


def test_group_commit_is_on_sqlite_by_default_and_on_postgresql_when_asked(
    sql_url: str,
) -> None:
    store = SqlStore(sql_url)
    try:
        auto, on, off = Settings(), Settings(group_commit="on"), Settings(group_commit="off")
        sqlite = store.write_lock is not None
        assert group_writers(auto, store.engine) == (1 if sqlite else 0)
        assert group_writers(on, store.engine) == (1 if sqlite else postgres_group_writers)
        assert group_writers(off, store.engine) == 0
        assert group_writers(auto, None) == 1  # a store without an engine: the memory store
    finally:
        store.dispose()


def test_the_environment_chooses_auto_on_or_off_and_nothing_else() -> None:
    assert Settings.from_env({}).group_commit == "auto"
    assert Settings.from_env({"HONORLOOP_GROUP_COMMIT": "off"}).validated().group_commit == "off"
    with pytest.raises(SettingsError, match="HONORLOOP_GROUP_COMMIT"):
        Settings.from_env({"HONORLOOP_GROUP_COMMIT": "sometimes"}).validated()
