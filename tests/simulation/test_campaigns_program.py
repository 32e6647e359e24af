"""Campaigns in the simulator: members of archetypes with a campaign interest apply, the
review draws the lottery once the window closes, the selected confirm (paid points count
in the flows as "campaign") or decline, places and quotas are never exceeded (freed
places included), the summary shows oversubscription and who got the places, and a
replay of the command stream through the SQL store ends with the same applications,
selection and balances."""

from __future__ import annotations

from domain.campaign_places import ApplicationState
from domain.economy import parse_economy
from domain.services import campaigns as campaign_services
from persistence.sql import SqlStore
from simulation.engine import member_id
from simulation.replay import final_state, replay
from tests.simulation.builders import busy_population, economy_text, experiment, simulation


def early_trial() -> str:
    """The sample economy with its product trial in the first weeks of a short run, open
    from the first level, with few places."""
    text = economy_text()
    text = text.replace("opens = 2027-03-01T10:00:00", "opens = 2027-01-02T10:00:00")
    text = text.replace("closes = 2027-03-15T10:00:00", "closes = 2027-01-16T10:00:00")
    text = text.replace('eligibility = { min_level = "regular", not_selected_days = 90 }',
                        "eligibility = { not_selected_days = 90 }")  # fmt: skip
    text = text.replace(
        "quotas = { koc_tiers = { senior = 4 } }", "quotas = { koc_tiers = { senior = 1 } }"
    )
    return text.replace("places = 10\n", "places = 3\n", 1)


ECONOMY = early_trial()


def test_an_early_trial_is_oversubscribed_selected_once_and_paid_in_the_flows() -> None:
    economy = parse_economy(ECONOMY, "economy")
    assert economy.campaigns[0].opens == "2027-01-02T10:00"
    sim = simulation(experiment(ECONOMY, busy_population(), members=120, days=30))

    run = sim.run()

    trial = run.campaigns["campaigns"]["product_trial"]
    assert trial["applied"] >= 3 * trial["places"]
    assert trial["oversubscription"] == trial["applied"] / 3
    assert trial["chosen"] == 3
    assert trial["waitlisted"] == trial["applied"] - 3
    assert 0 < trial["confirmed"] <= 3
    assert trial["points"] == 100 * trial["confirmed"]
    assert sum(trial["by_level"].values()) == trial["confirmed"]
    assert sum(trial["by_tier"].values()) == trial["confirmed"]
    assert trial["by_tier"].get("senior", 0) <= 1  # the quota holds for places freed later
    assert run.campaigns["winners"] == trial["confirmed"]
    issued = sum(p for (flow, source, _), p in run.flows.items()
                 if (flow, source) == ("issued", "campaign"))  # fmt: skip
    assert issued == trial["points"]
    with sim.store() as uow:
        record = uow.campaigns.get("product_trial")
    assert record is not None
    assert record.taken <= 3
    verified = campaign_services.verify_campaign("product_trial", sim.store(), economy)
    assert verified.ok, verified.message


def test_a_replayed_run_ends_with_the_same_applications_and_selection(sql_url: str) -> None:
    sim = simulation(experiment(ECONOMY, busy_population(), members=60, days=24), keep_log=True)
    sim.run()
    economy = parse_economy(ECONOMY, "economy")
    assert {"campaign_open", "review_campaigns", "campaign_apply", "campaign_confirm"} <= {
        kind for kind, _ in sim.log
    }

    store = SqlStore(sql_url)
    try:
        replay(sim.log, store, economy)
        members = [member_id(i) for i in range(sim.m.n)]
        replayed = final_state(members, store, economy)
        with store() as uow:
            record = uow.campaigns.get("product_trial")
            states = [(a.member_id, a.state) for a in uow.campaigns.applications("product_trial")]
    finally:
        store.dispose()

    simulated = final_state(members, sim.store, economy)
    assert replayed.members == simulated.members
    assert replayed.stock == simulated.stock
    with sim.store() as uow:
        expected = uow.campaigns.get("product_trial")
        expected_states = [
            (a.member_id, a.state) for a in uow.campaigns.applications("product_trial")
        ]
    assert record is not None
    assert expected is not None
    assert (record.audit, record.commitment) == (expected.audit, expected.commitment)
    assert states == expected_states
    assert any(state is ApplicationState.CONFIRMED for _, state in states)
