"""Designers' assertions pass and fail when they should; `simulate` exits non-zero and
names each one that failed."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from domain.economy import parse_economy
from honorloop.cli import main
from simulation.assertions import AssertionInvalid, metric_names, parse_assertion
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
            "median time to level 'regular' > 30 days",
            "median time to level 'legend' <= 40 days",  # nobody gets there in 40 days
        ]
    )
    assert list(results.values()) == [True, False, False]


def test_an_assertion_past_the_last_day_is_not_applicable_and_says_why() -> None:
    population = busy_population()
    population["assertions"] = [
        "members at day 400 > 0",
        "no reward runs out before day 400",
        "median time to level 'legend' between 200 and 300 days",
    ]
    eco, pop = validate(experiment(None, population, members=100, days=40))
    outcomes = check_assertions(_runs(None), eco, pop)
    assert [o.result for o in outcomes] == ["not applicable"] * 3
    assert "the run lasts 40 days, fewer than 400" in outcomes[0].detail
    assert [o.fails(strict=False) for o in outcomes] == [False] * 3
    assert [o.fails(strict=True) for o in outcomes] == [True] * 3


def test_a_campaign_assertion_checks_applications_per_place_once_it_selected() -> None:
    from tests.simulation.test_campaigns_program import ECONOMY as EARLY_TRIAL

    results = _outcomes(
        [
            "campaign 'product_trial' oversubscribed >= 3 times",
            "campaign 'product_trial' oversubscribed >= 1000 times",
        ],
        EARLY_TRIAL,
    )
    assert results == {
        "campaign 'product_trial' oversubscribed >= 3 times": True,
        "campaign 'product_trial' oversubscribed >= 1000 times": False,
    }
    population = busy_population()
    population["assertions"] = ["campaign 'product_trial' oversubscribed >= 10 times"]
    eco, pop = validate(experiment(None, population, members=100, days=40))
    (undecided,) = check_assertions(_runs(None), eco, pop)  # the sample's trial is in March
    assert undecided.result == "not applicable"
    assert "made no selection within the run" in undecided.detail
    economy = parse_economy(SAMPLE_ECONOMY.read_text(), "koc")
    with pytest.raises(AssertionInvalid, match="unknown campaign 'nope'"):
        parse_assertion("campaign 'nope' oversubscribed >= 2 times", economy, [])


def test_the_metrics_an_assertion_may_name_are_known_before_the_run() -> None:
    economy = parse_economy(SAMPLE_ECONOMY.read_text(), "koc")
    assert metric_names(economy) == list(_runs(None)[0].daily)


def _default_population_file(tmp_path: Path, assertions: list[str]) -> Path:
    text = (Path(__file__).resolve().parents[2] / "simulation/populations/default.toml").read_text()
    body = text[text.index("[population]") :]
    quoted = ", ".join(f'"{a}"' for a in assertions)
    (tmp_path / "pop.toml").write_text(f"assertions = [{quoted}]\n\n" + body)
    return tmp_path / "pop.toml"


def test_a_typo_in_an_assertion_exits_2_before_the_run_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given an assertion naming a metric that does not exist
    population = _default_population_file(tmp_path, ["breakge at day 10 > 0"])

    # when simulate is asked for a run far too large to finish in a test
    code = main(["simulate", str(SAMPLE_ECONOMY), "--population", str(population),
                 "--members", "1000000", "--days", "1000",
                 "--out", str(tmp_path / "out")])  # fmt: skip

    # then it refuses at once, naming the metric, and writes nothing
    assert code == 2
    assert "unknown metric 'breakge'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_shipped_default_population_makes_a_short_run_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["simulate", str(SAMPLE_ECONOMY), "--members", "150", "--days", "20",
                 "--replications", "2", "--out", str(tmp_path / "out")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "assertion not applicable: dau_mau at day 365" in out


def test_strict_fails_a_run_on_an_assertion_it_cannot_decide(tmp_path: Path) -> None:
    population = _default_population_file(tmp_path, ["members at day 400 > 0"])
    args = ["simulate", str(SAMPLE_ECONOMY), "--population", str(population),
            "--members", "60", "--days", "10", "--replications", "2",
            "--out", str(tmp_path / "out")]  # fmt: skip
    assert main(args) == 0
    assert main([*args, "--strict"]) == 1


def test_no_assertions_ignores_the_population_files_assertions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    population = _default_population_file(tmp_path, ["members at day 10 < 1"])
    args = ["simulate", str(SAMPLE_ECONOMY), "--population", str(population),
            "--members", "60", "--days", "10", "--replications", "2",
            "--out", str(tmp_path / "out")]  # fmt: skip
    assert main(args) == 1
    capsys.readouterr()
    assert main([*args, "--no-assertions"]) == 0
    assert "assertion FAIL" not in capsys.readouterr().out


def test_no_progress_bar_is_drawn_when_stderr_is_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["simulate", str(SAMPLE_ECONOMY), "--members", "40", "--days", "5",
          "--replications", "1", "--out", str(tmp_path / "out")])  # fmt: skip
    assert "replication 1/1" not in capsys.readouterr().err


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
