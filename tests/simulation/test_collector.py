"""A run pauses Python's automatic cycle collector (the store only grows, and re-reading
it was a large share of the CPU) and leaves the collector as it found it."""

from __future__ import annotations

import gc

import pytest

from simulation import engine
from tests.simulation.builders import busy_population, economy_text, experiment, simulation


def test_a_run_leaves_the_collector_enabled_and_nothing_frozen() -> None:
    # given the collector on, as in any process
    assert gc.isenabled()
    sim = simulation(experiment(economy_text(), None, members=50, days=5))

    # when a run ends
    sim.run()

    # then it is still on, and no object stays in the permanent generation
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_run_leaves_a_disabled_collector_disabled() -> None:
    # given a process that turned the collector off itself
    gc.disable()
    try:
        sim = simulation(experiment(economy_text(), None, members=50, days=5))

        # when a run ends
        sim.run()

        # then the collector is still off
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_only_a_rejected_activity_leaves_cycles_for_the_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A day's end collects only when `services.record_activities` rejected an activity
    (its error's traceback holds the list the error is in). Every other refusal is raised
    and caught and leaves nothing to collect: so on each day the run would not collect,
    a collection finds no unreachable object."""
    days: list[tuple[bool, int]] = []

    def end_of_day(cycles_possible: bool) -> None:
        days.append((cycles_possible, gc.collect()))
        gc.freeze()

    # given a busy community whose members are refused things (rewards out of stock, ...)
    sim = simulation(experiment(economy_text(), busy_population(), members=600, days=30))
    monkeypatch.setattr(engine, "_end_of_day", end_of_day)
    gc.collect()  # what earlier tests left

    # when it runs, every day's end collecting
    sim.run()

    # then refusals happened, and no day the run skips had anything to collect
    assert sum(sim.errors.values()) > sim.rejected_activities
    assert len(days) == 30
    assert [found for possible, found in days if not possible] == [0] * sum(
        not possible for possible, _ in days
    )
