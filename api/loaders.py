"""Per-request DataLoaders: every relation a field follows is loaded in batches (no N+1
round trips from resolvers), and the batches that are ready in the same turn of the event
loop run together: one database-thread task and one unit of work for all of them. A hop
to a database thread costs about as much as a read on SQLite (docs/performance.md), so a
viewer with its honors and ledger page costs one hop, not one per loader; the viewer's
own resolver reads those with the member when the query asks for them (`member_with`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import Any, NamedTuple, TypeVar

from strawberry.dataloader import DataLoader

from api.runtime import Runtime
from domain.ledger import (
    LedgerEntry,
    available_account,
    debt_account,
    held_account,
    pending_account,
)
from domain.model import (
    HonorAward,
    Member,
    Redemption,
)
from domain.ports import UnitOfWork

K = TypeVar("K")
V = TypeVar("V")

LedgerPageKey = tuple[str, int | None, int]  # member id, after seq, limit
RedemptionPageKey = tuple[str, str | None, int]  # member id, after id, limit


class Holdings(NamedTuple):
    """A member's balances by bucket."""

    available: int = 0
    reserved: int = 0
    pending: int = 0
    debt: int = 0  # owed (>= 0)


def _in(uow: UnitOfWork, read: Callable[[UnitOfWork], V]) -> V:
    with uow:
        return read(uow)


Read = Callable[[UnitOfWork], Any]


class Reads:
    """Reads asked for in the same turn of the event loop, run together in one task on a
    database thread, in one unit of work, in the order they were asked. A read that
    raises fails the reads it ran with (a read raises only when the database does)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._pending: list[tuple[Read, asyncio.Future[Any]]] = []
        self._running: set[asyncio.Task[None]] = set()  # the loop keeps only weak references

    def read(self, read: Callable[[UnitOfWork], V]) -> Awaitable[V]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V] = loop.create_future()
        if not self._pending:  # the first of this turn: run them all on the next one
            loop.call_soon(self._start)
        self._pending.append((read, future))
        return future

    def _start(self) -> None:
        pending, self._pending = self._pending, []
        task = asyncio.ensure_future(self._run(pending))
        self._running.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled():
            task.exception()  # handed to the futures already

    async def _run(self, pending: list[tuple[Read, asyncio.Future[Any]]]) -> None:
        reads = [read for read, _ in pending]
        try:
            found = await self._runtime.read(lambda uow: _in(uow, lambda u: [r(u) for r in reads]))
        except BaseException as error:
            for _, future in pending:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        for (_, future), value in zip(pending, found, strict=True):
            if not future.done():  # its request may have been cancelled meanwhile
                future.set_result(value)


def _loader(reads: Reads, batch: Callable[[UnitOfWork, Sequence[K]], list[V]]) -> DataLoader[K, V]:
    async def load(keys: list[K]) -> list[V]:
        found = await reads.read(lambda uow: batch(uow, keys))
        assert len(found) == len(keys), "a batch answers every key, in order"
        return found

    return DataLoader(load_fn=load)


def _members(uow: UnitOfWork, ids: Sequence[str]) -> list[Member | None]:
    by_id = {m.id: m for m in uow.members.get_many(list(ids))}
    return [by_id.get(i) for i in ids]


def _members_and_balances(
    uow: UnitOfWork, ids: Sequence[str]
) -> list[tuple[Member | None, Holdings]]:
    """Members and their balances, read in one transaction."""
    members = _members(uow, ids)
    present = [i for i, m in zip(ids, members, strict=True) if m is not None]
    balances = dict(zip(present, _balances(uow, present), strict=True)) if present else {}
    return [(m, balances.get(i, Holdings())) for i, m in zip(ids, members, strict=True)]


def _balances(uow: UnitOfWork, ids: Sequence[str]) -> list[Holdings]:
    accounts = [
        a
        for i in ids
        for a in (available_account(i), held_account(i), pending_account(i), debt_account(i))
    ]
    found = uow.ledger.balances(accounts)
    return [
        Holdings(
            found.get(available_account(i), 0),
            found.get(held_account(i), 0),
            found.get(pending_account(i), 0),
            -found.get(debt_account(i), 0),
        )
        for i in ids
    ]


def _honors(uow: UnitOfWork, ids: Sequence[str]) -> list[list[HonorAward]]:
    return [uow.honors.list_for_member(i) for i in ids]


def _stock(uow: UnitOfWork, ids: Sequence[str]) -> list[int | None]:
    return [uow.stock.remaining(i) for i in ids]


def _redemptions(uow: UnitOfWork, ids: Sequence[str]) -> list[Redemption | None]:
    return [uow.redemptions.get(i) for i in ids]


def _ledger_pages(uow: UnitOfWork, keys: Sequence[LedgerPageKey]) -> list[list[LedgerEntry]]:
    return [uow.ledger.entries(member, after, limit) for member, after, limit in keys]


def _redemption_pages(uow: UnitOfWork, keys: Sequence[RedemptionPageKey]) -> list[list[Redemption]]:
    return [uow.redemptions.list_for_member(member, after, limit) for member, after, limit in keys]


class _MemberWith(NamedTuple):
    member: Member | None
    balance: Holdings
    honors: list[HonorAward] | None
    ledger_pages: list[list[LedgerEntry]]


class Loaders:
    """The loaders of one request, each built on first use (a request uses few of them).
    Loading members also reads their balances in the same unit of work and primes
    `balances`, so a member and its points cost one worker-thread call, not two."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.reads = Reads(runtime)

    @classmethod
    def create(cls, runtime: Runtime) -> Loaders:
        return cls(runtime)

    @cached_property
    def members(self) -> DataLoader[str, Member | None]:
        async def load(keys: list[str]) -> list[Member | None]:
            found = await self.reads.read(lambda uow: _members_and_balances(uow, keys))
            assert len(found) == len(keys), "a batch answers every key, in order"
            balances = self.balances
            for key, (member, balance) in zip(keys, found, strict=True):
                if member is not None:
                    balances.prime(key, balance)
            return [member for member, _ in found]

        return DataLoader(load_fn=load)

    async def member_with(
        self, member_id: str, *, honors: bool, ledger_pages: Sequence[LedgerPageKey] = ()
    ) -> Member | None:
        """One member with its balances and, read in the same unit of work, its honors
        and ledger pages (keys whose member is this one), primed into their loaders: what a
        field of the member then loads is already there."""
        pages = [key for key in ledger_pages if key[0] == member_id]

        def read(uow: UnitOfWork) -> _MemberWith:
            ((member, balance),) = _members_and_balances(uow, [member_id])
            if member is None:
                return _MemberWith(None, balance, None, [])
            return _MemberWith(
                member,
                balance,
                uow.honors.list_for_member(member_id) if honors else None,
                _ledger_pages(uow, pages),
            )

        found = await self.reads.read(read)
        if found.member is not None:
            self.members.prime(member_id, found.member)
            self.balances.prime(member_id, found.balance)
            if found.honors is not None:
                self.honors.prime(member_id, found.honors)
            for key, page in zip(pages, found.ledger_pages, strict=True):
                self.ledger_pages.prime(key, page)
        return found.member

    @cached_property
    def balances(self) -> DataLoader[str, Holdings]:
        return _loader(self.reads, _balances)

    @cached_property
    def honors(self) -> DataLoader[str, list[HonorAward]]:
        return _loader(self.reads, _honors)

    @cached_property
    def stock(self) -> DataLoader[str, int | None]:
        return _loader(self.reads, _stock)

    @cached_property
    def redemptions(self) -> DataLoader[str, Redemption | None]:
        return _loader(self.reads, _redemptions)

    @cached_property
    def ledger_pages(self) -> DataLoader[LedgerPageKey, list[LedgerEntry]]:
        return _loader(self.reads, _ledger_pages)

    @cached_property
    def redemption_pages(self) -> DataLoader[RedemptionPageKey, list[Redemption]]:
        return _loader(self.reads, _redemption_pages)
