"""Honor roles in the simulator: eligible members of archetypes with a role interest
apply or are appointed, seats are never exceeded, moderators nominate for the council,
newcomers are paired with mentors who are credited when they make it, and a replay of the
command stream through the SQL store ends with the same holdings and honors."""

from __future__ import annotations

from domain.economy import parse_economy
from domain.roles import RoleState
from domain.services import roles as role_services
from persistence.sql import SqlStore
from simulation.engine import member_id
from simulation.replay import final_state, replay
from tests.simulation.builders import busy_population, economy_text, experiment, simulation


def reachable_roles() -> str:
    """The sample economy with its roles open from the Regular level (a short run)."""
    head, _, roles = economy_text().partition("[[roles]]")
    roles = roles.replace('min_level = "seasoned"', 'min_level = "regular"')
    return head + "[[roles]]" + roles.replace('honors = ["navigator_reached"]', "")


ECONOMY = reachable_roles()


def test_members_step_forward_for_roles_within_their_seats() -> None:
    sim = simulation(experiment(ECONOMY, busy_population(), members=120, days=60))

    run = sim.run()

    economy = parse_economy(ECONOMY, "economy")
    for role in economy.roles:
        with sim.store() as uow:
            assert uow.roles.holders(role.id) <= role.seats
    moderators = run.roles["moderator"]
    assert moderators["applied"] > 0
    assert moderators["appointed"] > 0
    assert run.roles["mentor"]["appointed"] > 0
    assert run.mentors["paired"] > 0
    assert run.mentors["credited"] <= run.mentors["paired"]
    assert run.roles["advisory_council"]["nominated"] >= run.roles["advisory_council"]["appointed"]


def test_a_replayed_run_ends_with_the_same_role_holdings(sql_url: str) -> None:
    sim = simulation(experiment(ECONOMY, busy_population(), members=60, days=40), keep_log=True)
    sim.run()
    economy = parse_economy(ECONOMY, "economy")
    assert {"review_roles", "role_apply", "role_appoint"} <= {kind for kind, _ in sim.log}

    store = SqlStore(sql_url)
    try:
        replay(sim.log, store, economy)
        members = [member_id(i) for i in range(sim.m.n)]
        replayed = final_state(members, store, economy)
        held = sorted((h.member_id, h.role_id, h.state, h.renewals)
                      for h in role_services.role_holdings(store(), first=100))  # fmt: skip
    finally:
        store.dispose()

    simulated = final_state(members, sim.store, economy)
    assert replayed.members == simulated.members
    expected = sorted((h.member_id, h.role_id, h.state, h.renewals)
                      for h in role_services.role_holdings(sim.store(), first=100))  # fmt: skip
    assert held == expected
    assert any(state is RoleState.ACTIVE for _, _, state, _ in held)
