"""Per-request DataLoaders: every relation a field follows is loaded in batches, one
worker-thread call and one unit of work per batch (no N+1 round trips from resolvers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from strawberry.dataloader import DataLoader

from api.runtime import Runtime
from domain.model import (
    HonorAward,
    LedgerEntry,
    Member,
    Redemption,
    available_account,
    held_account,
)
from domain.ports import UnitOfWork

K = TypeVar("K")
V = TypeVar("V")

LedgerPageKey = tuple[str, int | None, int]  # member id, after seq, limit
RedemptionPageKey = tuple[str, str | None, int]  # member id, after id, limit


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


def _balances(uow: UnitOfWork, ids: Sequence[str]) -> list[tuple[int, int]]:
    accounts = [a for i in ids for a in (available_account(i), held_account(i))]
    found = uow.ledger.balances(accounts)
    return [(found.get(available_account(i), 0), found.get(held_account(i), 0)) for i in ids]


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


@dataclass(frozen=True, slots=True)
class Loaders:
    members: DataLoader[str, Member | None]
    balances: DataLoader[str, tuple[int, int]]  # (available, reserved)
    honors: DataLoader[str, list[HonorAward]]
    stock: DataLoader[str, int | None]
    redemptions: DataLoader[str, Redemption | None]
    ledger_pages: DataLoader[LedgerPageKey, list[LedgerEntry]]
    redemption_pages: DataLoader[RedemptionPageKey, list[Redemption]]

    @classmethod
    def create(cls, runtime: Runtime) -> Loaders:
        return cls(
            members=_loader(runtime, _members),
            balances=_loader(runtime, _balances),
            honors=_loader(runtime, _honors),
            stock=_loader(runtime, _stock),
            redemptions=_loader(runtime, _redemptions),
            ledger_pages=_loader(runtime, _ledger_pages),
            redemption_pages=_loader(runtime, _redemption_pages),
        )
