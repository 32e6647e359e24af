"""Ledger invariants, checked on what a store has committed."""

from __future__ import annotations

from domain.ledger import Account
from persistence.memory import MemoryStore
from persistence.sql import SqlStore
from persistence.sql.verify import audit


def violations(store: SqlStore) -> dict[str, list[str]]:
    """Every broken invariant with the offending rows (empty when all hold)."""
    return audit(store.engine).violations


def memory_violations(store: MemoryStore) -> dict[str, list[str]]:
    state = store.state
    found: dict[str, list[str]] = {}
    sums: dict[Account, int] = {}
    for entry in state.entries:
        sums[entry.account] = sums.get(entry.account, 0) + entry.amount
    wrong = [str(a) for a, v in state.balances.items() if sums.get(a, 0) != v]
    if wrong:
        found["cached balances that differ from the sum of their entries"] = wrong
    negative = [str(a) for a, v in state.balances.items() if not a.may_go_negative and v < 0]
    if negative:
        found["negative balances of accounts that may not go negative"] = negative
    return found


def assert_consistent(store: object) -> None:
    """The ledger invariants hold for whichever store this is."""
    if isinstance(store, SqlStore):
        assert violations(store) == {}
    else:
        assert isinstance(store, MemoryStore)
        assert memory_violations(store) == {}
