"""Small builders for the simulation specifications: experiments over the sample economy
and the default population, with fields changed by path (as `sweep --set` does)."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from domain.economy import Economy, parse_economy
from simulation.engine import Simulation
from simulation.population import Population, parse_population
from simulation.rng import replication_seeds, streams_for
from simulation.runner import DEFAULT_POPULATION, Experiment
from simulation.sweep import apply_setting, dumps

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_ECONOMY = ROOT / "economies" / "koc_community.toml"


def economy_text(**changes: Any) -> str:
    """The sample economy's text, with `path=value` changes (dots as `__`)."""
    text = SAMPLE_ECONOMY.read_text(encoding="utf-8")
    if not changes:
        return text
    data = tomllib.loads(text)
    for path, value in changes.items():
        apply_setting(data, path.split("__"), value)
    return dumps(data)


def population_data(**changes: Any) -> dict[str, Any]:
    data = tomllib.loads(DEFAULT_POPULATION.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    for path, value in changes.items():
        apply_setting(data, path.split("__"), value)
    return data


def experiment(
    economy: str | None = None,
    population: dict[str, Any] | None = None,
    *,
    members: int = 120,
    days: int = 30,
    replications: int = 2,
    seed: int = 7,
) -> Experiment:
    return Experiment(
        economy_text=economy if economy is not None else economy_text(),
        economy_source="economy.toml",
        population_data=population if population is not None else population_data(),
        population_source="population.toml",
        seed=seed,
        replications=replications,
        members=members,
        days=days,
    )


def simulation(
    exp: Experiment, index: int = 0, keep_log: bool = False, *, keep_history: bool = False
) -> Simulation:
    economy: Economy = parse_economy(exp.economy_text, exp.economy_source)
    population: Population = parse_population(exp.population_data, exp.population_source)
    seeds = replication_seeds(exp.seed, exp.replications)
    return Simulation(
        economy,
        population,
        streams_for(seeds[index]),
        members=exp.members,
        days=exp.days,
        keep_log=keep_log,
        keep_history=keep_history,
    )


def busy_population() -> dict[str, Any]:
    """Many savers and deal hunters, so a short run redeems, fulfils, cancels and levels up."""
    return population_data(
        archetypes__lurker__share=0.299,  # the referral farmers keep their 0.001
        archetypes__deal_hunter__share=0.3,
        archetypes__casual__share=0.2,
        archetypes__brand_lover__share=0.1,
        archetypes__incubated_creator__share=0.1,
        operations__fulfilment_failure=0.2,
        operations__review_every_days=5,
    )
