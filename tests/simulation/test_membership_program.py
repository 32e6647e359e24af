"""Paid membership in the simulator: archetypes with a paid-tier uptake buy the sample
economy's fan club through the service, renew it at the review with their renewal chance,
the review records the ended periods, the multiplier's extra points are counted and add up
to the ledger, the report shows it all, and a replay through the SQL store ends with the
same memberships and balances."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.economy import parse_economy
from domain.model import AwardLine
from domain.services import membership as membership_services
from persistence.sql import SqlStore
from simulation.engine import member_id
from simulation.membership_program import MULTIPLIED, multiplier_extra
from simulation.population import parse_population
from simulation.replay import final_state, replay
from simulation.report import render
from simulation.runner import daily_bands, summarize
from tests.simulation.builders import busy_population, economy_text, experiment, simulation


def paying(uptake: float = 0.05, renew: float = 0.5) -> dict[str, Any]:
    """The busy population, with its brand lovers and creators keen on the paid tier."""
    data = busy_population()
    for arch in ("brand_lover", "incubated_creator"):
        data["archetypes"][arch]["paid_tier_uptake"] = uptake
        data["archetypes"][arch]["renew_probability"] = renew
    return data


def memberships(store: Any, members: list[str]) -> list[tuple[str, str, datetime, bool]]:
    found = []
    for member in members:
        held = membership_services.membership_of(store(), member)
        if held is not None:
            found.append((member, held.tier_id, held.until, held.expired))
    return found


def test_keen_archetypes_buy_renew_and_let_the_paid_tier_expire() -> None:
    sim = simulation(experiment(economy_text(), paying(), members=120, days=90))

    run = sim.run()

    paid = run.membership
    assert paid["started"] > 0
    assert paid["renewed"] > 0  # half the periods ending are renewed
    assert paid["expired"] > 0  # the other half end, recorded by the review
    assert paid["extra_points"] > 0  # fan club members' posts and videos pay 150%
    held = memberships(sim.store, [member_id(i) for i in range(sim.m.n)])
    end = sim.at(sim.days, 0)
    assert paid["active"] == sum(until > end for _, _, until, _ in held)
    assert sum(expired for *_, expired in held) <= paid["expired"]
    assert {tier for _, tier, _, _ in held} == {"fan_club"}
    # only the keen archetypes ever bought
    keen = {"brand_lover", "incubated_creator"}
    assert all(sim.archetypes[sim.m.arch[int(m[1:])]].id in keen for m, *_ in held)
    days = [day for day, _ in paid["over_time"]]
    assert days == sorted(days)
    assert len(days) == 90 // 5  # one per review


def test_without_uptake_nobody_buys_and_nothing_is_multiplied() -> None:
    sim = simulation(experiment(economy_text(), paying(uptake=0.0), members=80, days=30))

    run = sim.run()

    assert run.membership["started"] == 0
    assert run.membership["extra_points"] == 0
    assert all(active == 0 for _, active in run.membership["over_time"])


def test_nobody_renews_with_a_zero_renewal_chance() -> None:
    sim = simulation(experiment(economy_text(), paying(renew=0.0), members=120, days=70))

    run = sim.run()

    assert run.membership["started"] > 0
    assert run.membership["renewed"] == 0
    assert run.membership["expired"] > 0


def test_the_multiplier_extra_is_what_a_line_paid_above_the_rule_alone() -> None:
    lines = (
        AwardLine("post", 40, 0, 60, MULTIPLIED + " fan_club"),
        AwardLine("post", 40, 5, 65, MULTIPLIED + " fan_club"),
        AwardLine("post", 40, 0, 30, f"{MULTIPLIED} fan_club; clipped by the daily cap"),
        AwardLine("check_in", 5, 0, 5, "awarded"),
    )
    assert multiplier_extra(lines) == 20 + 20 + 0


def test_the_paid_members_add_up_to_the_ledger_and_show_in_the_report() -> None:
    exp = experiment(economy_text(), paying(), members=100, days=60)
    run = simulation(exp).run()
    totals: dict[str, int] = {}
    for (flow, _, _), points in run.flows.items():
        totals[flow] = totals.get(flow, 0) + points
    for flow in ("issued", "spent", "expired", "outstanding"):
        assert totals.get(flow, 0) == run.daily[flow][-1], flow
    economy = parse_economy(economy_text(), "economy")
    population = parse_population(paying())
    summary = summarize(exp, [run], economy, population, [])
    assert summary["membership"]["started"]["mean"] == run.membership["started"]

    html = render(summary, daily_bands([run]), economy, population, [run])

    assert "Paid membership: Fan club member" in html
    assert "active paid members (mean)" in html


def test_a_replayed_run_ends_with_the_same_memberships(sql_url: str) -> None:
    sim = simulation(experiment(economy_text(), paying(), members=60, days=50), keep_log=True)
    sim.run()
    economy = parse_economy(economy_text(), "economy")
    assert {"membership_purchase", "review_memberships"} <= {kind for kind, _ in sim.log}

    store = SqlStore(sql_url)
    try:
        replay(sim.log, store, economy)
        members = [member_id(i) for i in range(sim.m.n)]
        replayed = final_state(members, store, economy)
        held = memberships(store, members)
    finally:
        store.dispose()

    assert replayed.members == final_state(members, sim.store, economy).members
    assert held == memberships(sim.store, members)
    assert held
