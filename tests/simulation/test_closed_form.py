"""With caps, limits and churn switched off, the simulated economy must pay what the
population's rates say: mean points per member-day = visit probability x sum(rate x points)."""

from __future__ import annotations

from simulation.runner import run_all
from simulation.stats import mean_ci
from tests.simulation.builders import experiment

UNCAPPED_ECONOMY = """
[economy]
id = "uncapped"
timezone = "UTC"

[rules.tap]
kind = "tap"
points = 3

[rules.write]
kind = "write"
points = 10

[[levels]]
id = "member"
threshold = 0
"""

POPULATION = {
    "population": {"members": 100, "days": 20},
    "archetypes": {
        "everyone": {
            "share": 1.0,
            "visit_probability_per_day": 0.5,
            "churn_per_day": 0.0,
            "redeem": "never",
            "rates_per_visit": {"tap": 2.0, "write": 0.5},
        }
    },
}


def test_mean_points_per_member_day_matches_the_rates_within_the_95_percent_interval() -> None:
    # given an economy without caps or limits, and members who never leave
    expected = 0.5 * (2.0 * 3 + 0.5 * 10)
    exp = experiment(UNCAPPED_ECONOMY, POPULATION, members=100, days=20, replications=6)

    # when it runs for six replications
    runs = run_all(exp)

    # then the expected points per member-day lie inside the replications' 95% interval
    per_member_day = [run.daily["issued"][-1] / run.member_days for run in runs]
    mean, low, high = mean_ci(per_member_day)
    assert low <= expected <= high, (mean, low, high)
    assert abs(mean - expected) / expected < 0.05
