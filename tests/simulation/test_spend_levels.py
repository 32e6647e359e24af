"""Spend-driven levels in the simulator: the shipped retail economy over the retail
clientele (`simulation/populations/retail.toml`), whose archetypes buy at their own rates
and order sizes and return some orders. Purchases and refunds go through the same
services, so the ladder moves by spend, the review demotes, the purchase points wait out
the return window (a refund voids them), and the command stream replayed through the SQL
store ends in the same state."""

from __future__ import annotations

import tomllib
from statistics import median
from typing import Any

import pytest

from domain import services
from domain.commands import RecordActivity
from domain.economy import parse_economy
from persistence.sql import SqlStore
from simulation.engine import member_id
from simulation.population import PopulationInvalid, parse_population
from simulation.replay import final_state, replay
from tests.simulation.builders import ROOT, experiment, simulation

RETAIL = (ROOT / "economies" / "retail_membership.toml").read_text(encoding="utf-8")
CLIENTELE = ROOT / "simulation" / "populations" / "retail.toml"


def clientele(**shares: float) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads(CLIENTELE.read_text(encoding="utf-8"))
    for arch, share in shares.items():
        data["archetypes"][arch]["share"] = share
    return data


def busy_clientele() -> dict[str, Any]:
    """Enough loyal shoppers and big spenders that a short run climbs the whole ladder."""
    return clientele(browser=0.2, regular=0.3, loyal=0.3, big_spender=0.2)


def test_shoppers_climb_the_spend_ladder_and_the_review_brings_some_down() -> None:
    data = busy_clientele()
    for arch in ("loyal", "big_spender"):
        data["archetypes"][arch]["churn_per_day"] = 0.01  # some stop buying, then fall back
    sim = simulation(experiment(RETAIL, data, members=80, days=150))

    run = sim.run()  # checks the simulator's balances against the store's, pending included

    reached = {level: len(days) for level, days in run.days_to_level.items()}
    assert reached["gold"] > 0, reached
    assert reached["platinum"] > 0, reached
    assert run.daily["level_gold"][-1] > 0
    assert run.spend["purchases"] > 0
    assert 0 < run.spend["refunds"] < run.spend["purchases"]
    assert run.spend["demotions"] > 0
    now = [int(sim.m.rank[i]) for i in range(sim.m.n)]
    best = [max(r for r in range(4) if sim.m.first_reach[i, r] >= 0) for i in range(sim.m.n)]
    assert any(n < b for n, b in zip(now, best, strict=True)), "the review demoted nobody"


def test_each_archetype_buys_with_its_own_order_sizes() -> None:
    sim = simulation(experiment(RETAIL, busy_clientele(), members=80, days=40), keep_log=True)
    sim.run()

    amounts: dict[str, list[int]] = {}
    for kind, batch in sim.log:
        if kind != "activities":
            continue
        for cmd in batch:
            assert isinstance(cmd, RecordActivity)
            if cmd.kind == "purchase":
                arch = sim.arch_ids[sim.m.arch[int(cmd.member_id[1:])]]
                amounts.setdefault(arch, []).append(cmd.attributes["amount"])

    assert median(amounts["big_spender"]) > 5 * median(amounts["regular"])
    assert median(amounts["regular"]) > median(amounts["browser"])


def test_archetype_attributes_of_a_kind_it_never_does_are_refused() -> None:
    data = clientele()
    data["archetypes"]["browser"]["attributes"]["product_review"] = {
        "photos": {"dist": "constant", "value": 1}
    }

    with pytest.raises(PopulationInvalid) as caught:
        parse_population(data, "retail.toml")

    assert caught.value.issues == [
        "[archetypes.browser.attributes.product_review] the archetype has no rates_per_visit "
        "for 'product_review'"
    ]


def test_a_replayed_retail_simulation_ends_in_the_same_state_on_the_sql_store(
    sql_url: str,
) -> None:
    # given a small retail run: purchases, pending points confirmed, promotions, reviews
    sim = simulation(experiment(RETAIL, busy_clientele(), members=25, days=100), keep_log=True)
    sim.run()
    assert "refund" in {kind for kind, _ in sim.log}
    economy = parse_economy(RETAIL, "economy")
    members = [member_id(i) for i in range(sim.m.n)]
    simulated = final_state(members, sim.store, economy)
    assert any(s.level_id in {"gold", "platinum"} for s in simulated.members.values())

    # when its command stream is replayed through the SQL store
    store = SqlStore(sql_url)
    try:
        replay(sim.log, store, economy)
        replayed = final_state(members, store, economy)
        spends = {m: services.get_member(m, store()).progress.spend_by_day for m in members}
    finally:
        store.dispose()

    # then balances, levels and honors are identical, and so is the spend kept per day
    differing = [m for m in members if replayed.members[m] != simulated.members[m]]
    assert differing == [], [(simulated.members[m], replayed.members[m]) for m in differing[:3]]
    assert any(spends.values())
    assert spends == {m: services.get_member(m, sim.store()).progress.spend_by_day for m in members}
