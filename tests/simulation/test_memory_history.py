"""The simulator's store keeps no history (issue 11, bounded memory): on commit it folds
the ledger's postings into per-account totals and drops activity and idempotency records,
so a run's memory grows with its members, not with its days. What it keeps is what the
services go on reading; a read of what it dropped is refused, never answered wrongly; and
a run on it ends exactly as a run on a store that keeps everything."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import services
from domain.commands import RecordActivity, ReverseActivity
from domain.ledger import Balances, TransferKind, available_account
from persistence.memory import HistoryNotKept, MemoryStore
from simulation.engine import Run, Simulation
from simulation.invariants import ledger_problems
from tests.simulation.builders import busy_population, economy_text, experiment, simulation
from tests.unit.builders import World, economy_from, local

MONDAY = local(2026, 3, 2, 12)
PENDING = economy_from(
    """
[rules.post]
kind = "post"
points = 10

[rules.purchase]
kind = "purchase"
points = 12
pending_days = 3
"""
)


def _world(keep_history: bool) -> World:
    world = World(PENDING)
    world.store = MemoryStore(keep_history=keep_history)
    services.sync_rewards(world.store(), PENDING)
    return world


def _record(world: World, member_id: str, kind: str, key: str) -> None:
    cmd = RecordActivity(member_id, kind, MONDAY, key, at=MONDAY)
    services.record_activity(cmd, world.store(), world.economy)


def test_a_store_without_history_folds_the_ledger_and_keeps_the_balances() -> None:
    world = _world(keep_history=False)
    alice = world.join("alice")
    for i in range(3):
        _record(world, alice, "post", f"k{i}")

    state = world.store.state
    assert world.balances(alice) == Balances(30, 0, 30)
    assert (state.transfers, len(state.entries), state.activities, state.idempotency) == (
        [], 0, {}, {}
    )  # fmt: skip
    assert state.entry_totals() == state.balances
    assert state.entry_totals()[available_account(alice)] == 30
    assert (state.transfer_count(), state.transfer_kinds()) == (3, {TransferKind.EARN})
    assert ledger_problems(state) == []


def test_both_stores_report_the_same_ledger_totals() -> None:
    kept, folded = _world(keep_history=True), _world(keep_history=False)
    for world in (kept, folded):
        alice = world.join("alice")
        _record(world, alice, "post", "k1")
        _record(world, alice, "purchase", "k2")

    assert kept.store.state.entry_totals() == folded.store.state.entry_totals()
    assert kept.store.state.transfer_count() == folded.store.state.transfer_count() == 2
    assert kept.store.state.transfer_kinds() == folded.store.state.transfer_kinds()


def test_a_pending_earning_keeps_its_activity_until_it_is_confirmed() -> None:
    world = _world(keep_history=False)
    alice = world.join("alice")
    _record(world, alice, "post", "k1")
    _record(world, alice, "purchase", "k2")

    [kept] = world.store.state.activities.values()  # the post's record is gone
    assert kept.kind == "purchase"
    world.review(alice, MONDAY + timedelta(days=4))

    assert world.balances(alice) == Balances(22, 0, 22)
    assert ledger_problems(world.store.state) == []


def test_reads_of_the_dropped_history_are_refused_by_name() -> None:
    world = _world(keep_history=False)
    alice = world.join("alice")
    _record(world, alice, "post", "k1")
    reverse = ReverseActivity("act_00000002", "mistake", "op", "r1", MONDAY)

    with pytest.raises(HistoryNotKept, match="ledger entries of"):
        services.ledger_entries(alice, world.store(), None, 10)
    with pytest.raises(HistoryNotKept, match="leaderboards"):
        services.leaderboard(world.store(), world.economy, "all_time", MONDAY)
    with pytest.raises(HistoryNotKept, match="activity act_00000002"):
        services.reverse_activity(reverse, world.store(), world.economy)
    with world.store() as uow, pytest.raises(HistoryNotKept, match="transfer trf_"):
        uow.ledger.transfer("trf_00000003")
    with world.store() as uow:  # an id that never named an activity is simply not one
        assert uow.activities.get("purchase-7") is None


def test_within_a_unit_of_work_a_store_without_history_still_replays_a_key() -> None:
    world = _world(keep_history=False)
    alice = world.join("alice")
    cmd = RecordActivity(alice, "post", MONDAY, "k1", at=MONDAY)

    first, again = services.record_activities([cmd, cmd], world.store(), world.economy)

    assert not isinstance(first, Exception)
    assert not isinstance(again, Exception)
    assert again.replayed
    assert again.record == first.record
    assert world.available(alice) == 10


def _run(keep_history: bool) -> tuple[Simulation, Run]:
    exp = experiment(economy_text(), busy_population(), members=150, days=45)
    sim = simulation(exp, keep_history=keep_history)
    return sim, sim.run()


def test_a_run_without_history_ends_as_a_run_keeping_everything() -> None:
    kept, kept_run = _run(keep_history=True)
    folded, folded_run = _run(keep_history=False)

    assert folded_run == kept_run
    assert folded.store.state.balances == kept.store.state.balances
    assert folded.store.state.entry_totals() == kept.store.state.entry_totals()
    assert folded.store.state.transfer_count() == kept.store.state.transfer_count() > 0
    assert folded.store.state.transfers == []
    assert ledger_problems(folded.store.state) == []
    # closed quest periods are gone from the store without history, and only from it
    assert folded.store.state.forgotten_quests
    assert not kept.store.state.forgotten_quests
    assert set(folded.store.state.quests) < set(kept.store.state.quests)
    assert len(folded.store.state.subjects) == len(kept.store.state.subjects) > 0


def test_the_simulator_keeps_no_history_unless_asked() -> None:
    exp = experiment(members=10, days=2)
    sim = simulation(exp)
    assert not sim.store.state.keep_history
    kept = Simulation(sim.economy, sim.pop, sim.rng, members=10, days=2, keep_history=True)
    assert kept.store.state.keep_history
