"""A run pauses Python's automatic cycle collector (the store only grows, and re-reading
it was a large share of the CPU) and leaves the collector as it found it."""

from __future__ import annotations

import gc

from tests.simulation.builders import economy_text, experiment, simulation


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
