"""Designers' assertions pass and fail when they should; `simulate` exits non-zero and
names each one that failed."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from domain.economy import parse_economy
from honorloop.cli import main
from simulation.assertions import AssertionInvalid, parse_assertion
from simulation.engine import Run
from simulation.runner import check_assertions, run_all, validate
from tests.simulation.builders import (
    SAMPLE_ECONOMY,
    busy_population,
    economy_text,
    experiment,
    population_data,
)


@functools.cache
def _runs(economy: str | None) -> list[Run]:
    """One small run per economy, shared by the specs (assertions never change a run)."""
    return run_all(experiment(economy, busy_population(), members=100, days=40))


def _outcomes(assertions: list[str], economy: str | None = None) -> dict[str, bool]:
    population = busy_population()
    population["assertions"] = assertions
    eco, pop = validate(experiment(economy, population, members=100, days=40))
    return {o.text: o.passed for o in check_assertions(_runs(economy), eco, pop)}


def test_a_metric_assertion_passes_inside_its_range_and_fails_outside() -> None:
    results = _outcomes(
        [
            "members at day 40 between 100 and 100000",
            "members at day 40 <= 10",
            "issued at day 10 > 0",
            "gini at day 40 between 0 and 1",
        ]
    )
    assert results == {
        "members at day 40 between 100 and 100000": True,
        "members at day 40 <= 10": False,
        "issued at day 10 > 0": True,
        "gini at day 40 between 0 and 1": True,
    }


def test_a_stockout_assertion_fails_when_a_reward_of_the_tier_runs_out_too_early() -> None:
    scarce = economy_text(rewards__sticker_pack__stock=2, rewards__sticker_pack__price=20)
    results = _outcomes(
        ["no merch reward runs out before day 40", "no ultimate reward runs out before day 40"],
        scarce,
    )
    assert results == {
        "no merch reward runs out before day 40": False,
        "no ultimate reward runs out before day 40": True,
    }


def test_a_level_assertion_checks_the_median_days_to_reach_the_level() -> None:
    results = _outcomes(
        [
            "median time to level 'regular' between 0 and 40 days",
            "median time to level 'regular' > 1000 days",
            "median time to level 'legend' <= 40 days",  # nobody gets there in 40 days
        ]
    )
    assert list(results.values()) == [True, False, False]


def test_an_assertion_past_the_last_day_fails_and_says_why() -> None:
    assert _outcomes(["members at day 400 > 0"]) == {"members at day 400 > 0": False}


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("breakage at day 10 between 0.3 and 0.1", "empty"),
        ("happiness at day 10 > 1", "unknown metric 'happiness'"),
        ("no diamond reward runs out before day 9", "unknown reward tier 'diamond'"),
        ("median time to level 'king' < 9 days", "unknown level 'king'"),
        ("the economy should be fun", "is not an assertion"),
    ],
)
def test_a_malformed_assertion_is_rejected_naming_the_problem(text: str, complaint: str) -> None:
    economy = parse_economy(SAMPLE_ECONOMY.read_text(), "koc")
    with pytest.raises(AssertionInvalid, match=complaint):
        parse_assertion(text, economy, ["breakage", "members"])


def test_simulate_exits_non_zero_naming_each_failed_assertion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a population file with one assertion that holds and two that cannot
    population = population_data()
    lines = [
        'assertions = ["members at day 20 > 0", "members at day 20 < 1", '
        "\"median time to level 'legend' < 2 days\"]",
    ]
    text = (Path(__file__).resolve().parents[2] / "simulation/populations/default.toml").read_text()
    body = text[text.index("[population]") :]
    (tmp_path / "pop.toml").write_text("\n".join(lines) + "\n\n" + body)
    assert population  # the default parses

    # when simulate runs it
    code = main(["simulate", str(SAMPLE_ECONOMY), "--population", str(tmp_path / "pop.toml"),
                 "--members", "60", "--days", "20", "--replications", "2",
                 "--out", str(tmp_path / "out")])  # fmt: skip

    # then it exits non-zero and names each failed assertion
    out = capsys.readouterr()
    assert code == 1
    assert "assertion FAIL: members at day 20 < 1" in out.out
    assert "assertion FAIL: median time to level 'legend' < 2 days" in out.out
    assert "assertion pass: members at day 20 > 0" in out.out
    assert "2 assertion(s) failed" in out.err


def test_simulate_exits_zero_when_every_assertion_holds(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "simulation/populations/default.toml").read_text()
    body = text[text.index("[population]") :]
    (tmp_path / "pop.toml").write_text('assertions = ["members at day 10 >= 50"]\n\n' + body)
    code = main(["simulate", str(SAMPLE_ECONOMY), "--population", str(tmp_path / "pop.toml"),
                 "--members", "60", "--days", "10", "--replications", "2",
                 "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 0
