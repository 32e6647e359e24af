"""The ledger's invariants hold at the end of every run, and the simulator's view of each
member's points agrees with the store's."""

from __future__ import annotations

import functools

import pytest

from simulation.engine import Run, Simulation
from simulation.invariants import ledger_problems
from tests.simulation.builders import busy_population, economy_text, experiment, simulation

CASES = {
    "sample economy, default population": (economy_text(), None),
    "busy shoppers with cancellations": (economy_text(), busy_population()),
    "points expire after one month": (economy_text(expiry__after_months=1), busy_population()),
    "scarce stock": (
        economy_text(
            rewards__sticker_pack__stock=5,
            rewards__sticker_pack__price=20,
            rewards__key_ring__stock=3,
        ),
        busy_population(),
    ),
}


@functools.cache
def _finished(case: str) -> tuple[Simulation, Run]:
    """Each case runs once (the engine itself also checks, failing with AssertionError)."""
    economy, population = CASES[case]
    sim = simulation(experiment(economy, population, members=100, days=70))
    return sim, sim.run()


@pytest.mark.parametrize("case", list(CASES))
def test_ledger_invariants_hold_at_the_end_of_the_run(case: str) -> None:
    # given a run, when it ends
    sim, run = _finished(case)

    # then entries sum to zero per transfer, balances equal their entries, nothing is
    # negative, and issued - spent - expired = outstanding
    assert ledger_problems(sim.store.state) == []
    last = {name: series[-1] for name, series in run.daily.items()}
    assert last["issued"] - last["spent"] - last["expired"] == last["outstanding"]
    assert run.activities > 0


def test_expiry_and_cancellations_actually_happen_in_the_busy_case() -> None:
    # a guard that the invariant cases above exercise expiry, spending and cancellations
    sim, run = _finished("points expire after one month")
    assert run.daily["expired"][-1] > 0
    assert run.daily["spent"][-1] > 0
    kinds = {kind.value for kind in sim.store.state.transfer_kinds()}
    assert {"earn", "hold", "spend", "release", "expire"} <= kinds


def test_scarce_stock_runs_out_and_never_goes_below_zero() -> None:
    sim, run = _finished("scarce stock")
    assert run.stockout_day["sticker_pack"] is not None
    assert sim.store.state.stock["sticker_pack"] == 0
