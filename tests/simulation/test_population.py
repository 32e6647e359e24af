"""The population file is validated, naming each bad field."""

from __future__ import annotations

import re

import pytest

from domain.economy import parse_economy
from simulation.population import PopulationInvalid, check_against, parse_population
from tests.simulation.builders import SAMPLE_ECONOMY, population_data


def test_the_default_population_fits_the_sample_economy() -> None:
    population = parse_population(population_data(), "default")
    check_against(population, parse_economy(SAMPLE_ECONOMY.read_text(), "koc"))
    assert abs(sum(a.share for a in population.archetypes) - 1.0) < 1e-9


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"archetypes__lurker__share": 0.5}, "shares must add up to 1"),
        ({"archetypes__lurker__visit_probability_per_day": 2}, "visit_probability_per_day"),
        ({"archetypes__lurker__redeem": "sometimes"}, "archetypes.lurker.redeem"),
        ({"churn__novelty_days": "soon"}, "churn.novelty_days"),
        ({"kinds__post__subject": "thing"}, "kinds.post.subject"),
        ({"population__colour": "red"}, "population.colour"),
    ],
)
def test_a_bad_field_is_named(changes: dict[str, object], complaint: str) -> None:
    with pytest.raises(PopulationInvalid, match=re.escape(complaint)):
        parse_population(population_data(**changes), "pop.toml")


def test_an_activity_kind_the_economy_does_not_know_is_named() -> None:
    data = population_data()
    data["archetypes"]["lurker"]["rates_per_visit"]["dance"] = 1.0
    population = parse_population(data, "pop.toml")
    with pytest.raises(PopulationInvalid, match=re.escape("rates_per_visit.dance")):
        check_against(population, parse_economy(SAMPLE_ECONOMY.read_text(), "koc"))
