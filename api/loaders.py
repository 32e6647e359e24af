"""Per-request DataLoaders: every relation a field follows is loaded in batches, one
worker-thread call and one unit of work per batch (no N+1 round trips from resolvers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import NamedTuple, TypeVar

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


def _loader(
    runtime: Runtime, batch: Callable[[UnitOfWork, Sequence[K]], list[V]]
) -> DataLoader[K, V]:
    async def load(keys: list[K]) -> list[V]:
        found = await runtime.read(lambda uow: _in(uow, lambda u: batch(u, keys)))
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


class Loaders:
    """The loaders of one request, each built on first use (a request uses few of them).
    Loading members also reads their balances in the same unit of work and primes
    `balances`, so a member and its points cost one worker-thread call, not two."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    @classmethod
    def create(cls, runtime: Runtime) -> Loaders:
        return cls(runtime)

    @cached_property
    def members(self) -> DataLoader[str, Member | None]:
        runtime = self._runtime

        async def load(keys: list[str]) -> list[Member | None]:
            found = await runtime.read(
                lambda uow: _in(uow, lambda u: _members_and_balances(u, keys))
            )
            assert len(found) == len(keys), "a batch answers every key, in order"
            balances = self.balances
            for key, (member, balance) in zip(keys, found, strict=True):
                if member is not None:
                    balances.prime(key, balance)
            return [member for member, _ in found]

        return DataLoader(load_fn=load)

    @cached_property
    def balances(self) -> DataLoader[str, Holdings]:
        return _loader(self._runtime, _balances)

    @cached_property
    def honors(self) -> DataLoader[str, list[HonorAward]]:
        return _loader(self._runtime, _honors)

    @cached_property
    def stock(self) -> DataLoader[str, int | None]:
        return _loader(self._runtime, _stock)

    @cached_property
    def redemptions(self) -> DataLoader[str, Redemption | None]:
        return _loader(self._runtime, _redemptions)

    @cached_property
    def ledger_pages(self) -> DataLoader[LedgerPageKey, list[LedgerEntry]]:
        return _loader(self._runtime, _ledger_pages)

    @cached_property
    def redemption_pages(self) -> DataLoader[RedemptionPageKey, list[Redemption]]:
        return _loader(self._runtime, _redemption_pages)
