"""Team and help quests in the simulator: visitors start instances and friends join or
help them through the services, the review expires what missed its deadline, the counts
agree with the store's instances, the points they paid are counted in the flows, and a
replay of the command stream through the SQL store ends in the same state."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from domain.economy import parse_economy
from domain.ports import UnitOfWork
from domain.services import team_help
from persistence.sql import SqlStore
from simulation.charts import SCALES
from simulation.engine import member_id
from simulation.replay import final_state, replay
from simulation.report import _friends_table, _source_title
from tests.simulation.builders import busy_population, economy_text, experiment, simulation

ECONOMY = economy_text()


def friendly() -> dict[str, Any]:
    """The busy population, with deal hunters and brand lovers keen on friends' quests."""
    data = busy_population()
    archetypes = data["archetypes"]
    archetypes["deal_hunter"] |= {"friend_start": 0.3, "friend_join": 0.4}
    archetypes["brand_lover"] |= {"friend_start": 0.1, "friend_join": 0.6}
    return data


def instances(store: Callable[[], UnitOfWork], members: int) -> dict[str, tuple[str, str, int]]:
    """Every team and help instance: id -> (quest, state, members or helpers)."""
    found: dict[str, tuple[str, str, int]] = {}
    for mi in range(members):
        for i in team_help.friend_quest_instances(store(), member_id(mi), None, 100):
            found[i.id] = (i.quest_id, i.state.value, len(i.members))
    return found


def test_instances_fill_or_expire_and_their_points_are_in_the_flows() -> None:
    sim = simulation(experiment(ECONOMY, friendly(), members=120, days=30))

    run = sim.run()

    stored = instances(sim.store, sim.m.n)
    by_state = Counter((quest, state) for quest, state, _ in stored.values())
    for quest in ("team_buy", "help_me_bargain"):
        counts = run.friends[quest]
        assert counts["started"] == sum(n for (q, _), n in by_state.items() if q == quest)
        closed = by_state[(quest, "filled")] + by_state[(quest, "completed")]
        assert counts["filled"] == closed
        assert counts["expired"] == by_state[(quest, "expired")]
        assert counts["filled"] > 0
        assert counts["expired"] > 0
    joins = sum(n - 1 for q, _, n in stored.values() if q == "team_buy")
    helps = sum(n for q, _, n in stored.values() if q == "help_me_bargain")
    assert run.friends["team_buy"]["joins"] == joins
    assert run.friends["help_me_bargain"]["joins"] == helps
    paid = run.friends["team_buy"]["points"] + run.friends["help_me_bargain"]["points"]
    flowed = sum(p for (flow, source, _), p in run.flows.items()
                 if flow == "issued" and source in ("team", "help"))  # fmt: skip
    assert paid == flowed > 0
    issued = sum(p for (flow, _, _), p in run.flows.items() if flow == "issued")
    assert issued == run.daily["issued"][-1]


def test_a_replayed_run_ends_with_the_same_instances(sql_url: str) -> None:
    sim = simulation(experiment(ECONOMY, friendly(), members=60, days=20), keep_log=True)
    sim.run()
    economy = parse_economy(ECONOMY, "economy")
    kinds = {kind for kind, _ in sim.log}
    assert {"start_friend_quest", "join_friend_quest", "expire_friend_quests"} <= kinds

    store = SqlStore(sql_url)
    try:
        replay(sim.log, store, economy)
        members = [member_id(i) for i in range(sim.m.n)]
        replayed = final_state(members, store, economy)
        replayed_instances = sorted(instances(store, sim.m.n).values())
    finally:
        store.dispose()

    assert replayed.members == final_state(members, sim.store, economy).members
    assert replayed_instances == sorted(instances(sim.store, sim.m.n).values())


def _band(mean: float) -> dict[str, Any]:
    return {"mean": mean, "ci95": [mean, mean]}


def test_the_report_table_gives_the_success_rate_and_helps_per_member() -> None:
    economy = parse_economy(ECONOMY, "economy")
    counts = {"started": 5, "filled": 3, "expired": 1, "refused": 2, "joins": 8, "points": 540}
    team = {name: _band(value) for name, value in counts.items()} | {"per_member": _band(0.25)}
    idle = {name: _band(0) for name in counts} | {"per_member": _band(0)}

    html = _friends_table(economy, {"team_buy": team, "help_me_bargain": idle}, SCALES["count"])

    assert "<h2>Team and help quests</h2>" in html
    assert "success rate" in html
    team_row = html[html.index(economy.team_quests[0].title) :]
    assert "75%" in team_row.split("</tr>")[0]  # 3 filled over 3 filled and 1 expired
    assert "0.25" in team_row.split("</tr>")[0]
    help_row = html[html.index(economy.help_quests[0].title) :].split("</tr>")[0]
    assert "–" in help_row  # nothing closed: no rate
    assert _source_title("team", {}, {}) == "Team quests"
    assert _source_title("help", {}, {}) == "Help quests"
