"""The memory unit of work keeps its stage for the next transaction when nothing was
staged in it (`_Staged.untouched`). That is only safe if `untouched` sees every container
a stage holds: a write it missed would survive a rollback. These specs fill each
container in turn, and check that a rollback still drops what a unit of work staged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.ledger import available_account
from domain.model import Member, Progress
from persistence.memory import MemoryStore, _Staged


def _containers(staged: _Staged) -> list[str]:
    """The stage's attributes but its state. Compiled (`make accel`), `_Staged` is a native
    class without a `__dict__`: mypyc lists its attributes in `__mypyc_attrs__` instead."""
    names = getattr(type(staged), "__mypyc_attrs__", None) or tuple(vars(staged))
    return [name for name in names if name != "state" and not name.startswith("__")]


def test_every_container_of_a_stage_is_one_untouched_reads() -> None:
    staged = _Staged(MemoryStore().state)
    names = _containers(staged)
    assert len(names) > 30  # the stage's containers, whatever their number
    for name in names:
        fresh = _Staged(MemoryStore().state)
        assert fresh.untouched()
        container = getattr(fresh, name)
        if isinstance(container, dict):
            container["x"] = None
        elif isinstance(container, list):
            container.append(None)
        elif isinstance(container, set):
            container.add(None)
        else:
            pytest.fail(f"_Staged.{name} is a {type(container).__name__}: teach this spec")
        assert not fresh.untouched(), f"_Staged.untouched misses {name}"


def _member(member_id: str) -> Member:
    joined = datetime(2027, 1, 1, tzinfo=UTC)
    return Member(member_id, member_id, member_id, joined, "newcomer", progress=Progress())


def test_a_rollback_drops_what_was_staged_and_a_commit_keeps_it() -> None:
    store = MemoryStore()
    account = available_account("m1")
    uow = store()
    with uow:
        uow.members.add(_member("m1"))
        staged_before_commit = uow.staged
        uow.commit()
        assert uow.staged is not staged_before_commit  # a committed stage is not reused
    kept = uow.staged
    with uow:  # nothing was staged since the commit: the same empty stage serves
        assert uow.staged is kept
        assert kept.untouched()
        uow.members.add(_member("m2"))
        uow.staged.balances[account] = 5
    assert uow.staged.untouched()  # the rollback dropped m2 and the balance
    with store() as reader:
        assert reader.members.get("m1") is not None
        assert reader.members.get("m2") is None
        assert reader.ledger.balance(account) == 0
    uow.members.add(_member("m3"))  # staged outside a `with`: entering drops it, as before
    with uow:
        assert uow.members.get("m3") is None
