"""Parity: the command stream of a small simulated run, replayed through the SQL store
(SQLite always, PostgreSQL when configured), ends in the same balances, levels, KOC
tiers, honors and stock as the simulation on the in-memory store."""

from __future__ import annotations

from domain.economy import parse_economy
from persistence.sql import SqlStore
from simulation.engine import member_id
from simulation.replay import final_state, replay
from tests.simulation.builders import busy_population, economy_text, experiment, simulation

# Expiry after one month, so the replay also exercises expiry and its reviews.
ECONOMY = economy_text(expiry__after_months=1, rewards__sticker_pack__stock=6,
                       rewards__sticker_pack__price=20)  # fmt: skip


def test_a_replayed_simulation_ends_in_the_same_state_on_the_sql_store(sql_url: str) -> None:
    # given a small simulated run that earns, levels up, redeems, cancels, expires, restocks
    sim = simulation(experiment(ECONOMY, busy_population(), members=30, days=65), keep_log=True)
    run = sim.run()
    economy = parse_economy(ECONOMY, "economy")
    kinds = {kind for kind, _ in sim.log}
    assert {"register", "activities", "redeem", "fulfil", "cancel", "review"} <= kinds
    assert run.daily["expired"][-1] > 0
    assert run.daily["spent"][-1] > 0

    # when its command stream is replayed through the SQL store
    store = SqlStore(sql_url)
    try:
        replay(sim.log, store, economy)
        members = [member_id(i) for i in range(sim.m.n)]
        replayed = final_state(members, store, economy)
    finally:
        store.dispose()

    # then balances, levels, KOC tiers, honors and stock are identical
    simulated = final_state(members, sim.store, economy)
    assert replayed.stock == simulated.stock
    differing = [m for m in members if replayed.members[m] != simulated.members[m]]
    assert differing == [], [(simulated.members[m], replayed.members[m]) for m in differing[:3]]
    assert any(s.level_id != "newcomer" for s in simulated.members.values())
    assert any(s.honors for s in simulated.members.values())
