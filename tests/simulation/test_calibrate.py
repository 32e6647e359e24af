"""Calibration: a log the simulator writes from known parameters is calibrated back within
the tolerances docs/simulation.md states, and the back-test compares predicted with actual
held-out days."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.economy import parse_economy
from honorloop.cli import main
from simulation.calibrate import Calibration, Fit, back_test, back_test_table, calibrate
from simulation.engine import Simulation
from simulation.eventlog import EventLogInvalid, read_log, simulated_log, write_log
from simulation.population import parse_population
from simulation.rng import replication_seeds, streams_for
from tests.simulation.builders import SAMPLE_ECONOMY, population_data

HOLDOUT_DAYS = 20


def _known_population() -> dict[str, Any]:
    """Two archetypes far apart, with neutral churn multipliers (as calibrate writes)."""
    data = population_data()
    data["assertions"] = []
    data["archetypes"] = {
        "casual": {"share": 0.8, "visit_probability_per_day": 0.15, "novelty_boost": 1.0,
                   "churn_per_day": 0.004, "redeem": "never",
                   "redeem_probability_per_visit": 0.0,
                   "rates_per_visit": {"check_in": 0.6, "interaction": 0.8},
                   "interactions": {"median": 10, "sigma": 1.0}},
        "creator": {"share": 0.2, "visit_probability_per_day": 0.6, "novelty_boost": 0.5,
                    "churn_per_day": 0.001, "redeem": "never",
                    "redeem_probability_per_visit": 0.0,
                    "rates_per_visit": {"check_in": 0.9, "interaction": 3.0, "post": 0.5},
                    "interactions": {"median": 60, "sigma": 1.5}},
    }  # fmt: skip
    data["churn"].update(
        novelty_shield=0.0,
        recognition_factor=1.0,
        inactivity_weight_per_week=0.0,
        unreachable_factor=1.0,
    )
    data["population"].update(members=300, days=180)
    return data


@functools.cache
def _log_text() -> str:
    economy = parse_economy(SAMPLE_ECONOMY.read_text(), "economy.toml")
    population = parse_population(_known_population(), "known.toml")
    streams = streams_for(replication_seeds(3, 1)[0])
    run = Simulation(economy, population, streams, keep_log=True).run()
    return write_log(simulated_log(run.log))


@functools.cache
def _calibration() -> Calibration:
    return calibrate(read_log(_log_text()), population_data(), HOLDOUT_DAYS, archetypes=2)


def _close(got: float, want: float, relative: float) -> bool:
    return abs(got - want) <= relative * want


def test_a_simulated_log_is_calibrated_back_to_its_parameters() -> None:
    # given a log written by the simulator from two known archetypes
    fits: tuple[Fit, ...] = _calibration().fits

    # then the two segments come back (least active first) within the documented tolerances
    casual, creator = fits
    for fit, share, visit, boost in ((casual, 0.8, 0.15, 1.0), (creator, 0.2, 0.6, 0.5)):
        assert abs(fit.share - share) <= 0.05, fit
        assert _close(fit.visit_probability_per_day, visit, 0.15), fit
        assert abs(fit.novelty_boost - boost) <= 0.5, fit
    assert set(casual.rates_per_visit) == {"check_in", "interaction"}
    assert _close(casual.rates_per_visit["check_in"], 0.6, 0.15)
    assert _close(casual.rates_per_visit["interaction"], 0.8, 0.15)
    assert _close(creator.rates_per_visit["interaction"], 3.0, 0.15)
    assert _close(creator.rates_per_visit["post"], 0.5, 0.15)
    assert _close(casual.churn_per_day, 0.004, 0.35)  # about a hundred departures
    assert 0.0002 <= creator.churn_per_day <= 0.003  # a handful of departures
    assert _close(creator.interactions_median, 60, 0.3)
    assert _close(creator.interactions_sigma, 1.5, 0.2)


def test_the_calibrated_population_is_a_valid_population_file() -> None:
    data = _calibration().population_data
    population = parse_population(data, "calibrated")
    assert population.members == 300
    assert population.days == 180
    assert sum(a.share for a in population.archetypes) == pytest.approx(1.0)


def test_the_back_test_prints_predicted_against_actual_held_out_days() -> None:
    economy = parse_economy(SAMPLE_ECONOMY.read_text(), "economy.toml")
    calibration = _calibration()
    lines = back_test(calibration, read_log(_log_text()), economy, replications=1)
    names = [line.name for line in lines]
    assert names[0] == "daily actives"
    assert names[-1] == "points issued"
    assert "activities: post" in names
    for line in lines:
        assert line.actual > 0
        assert line.error is not None, line
        assert abs(line.error) < 0.3, line
    table = back_test_table(lines, calibration)
    assert f"the {HOLDOUT_DAYS} held-out days (days 161-180)" in table


def test_the_calibrate_command_writes_a_population_and_prints_the_back_test(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the first 60 days of the log (the command's wiring, not the fit, is on trial)
    events = [e for e in read_log(_log_text()) if e.at.date() < date(2027, 3, 2)]
    (tmp_path / "events.csv").write_text(write_log(events))
    code = main(["calibrate", str(tmp_path / "events.csv"), "--economy", str(SAMPLE_ECONOMY),
                 "--holdout-days", str(HOLDOUT_DAYS), "--archetypes", "2",
                 "--replications", "1", "--out", str(tmp_path / "population.toml")])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "segment_2" in out
    assert "daily actives" in out
    assert "points issued" in out
    text = (tmp_path / "population.toml").read_text()
    assert "[archetypes.segment_1]" in text
    # the file it writes is one `simulate` accepts
    assert main(["simulate", str(SAMPLE_ECONOMY), "--population", str(tmp_path / "population.toml"),
                 "--members", "30", "--days", "5", "--replications", "1",
                 "--out", str(tmp_path / "sim")]) == 0  # fmt: skip


def test_a_bad_row_in_the_log_is_rejected_naming_its_line() -> None:
    text = "member_id,kind,occurred_at\nm1,check_in,2027-01-01T09:00:00+08:00\nm2,post,yesterday\n"
    with pytest.raises(EventLogInvalid, match="line 3: occurred_at"):
        read_log(text, "events.csv")


def test_simulate_writes_the_event_log_calibrate_reads(tmp_path: Path) -> None:
    code = main(["simulate", str(SAMPLE_ECONOMY), "--members", "40", "--days", "6",
                 "--replications", "2", "--out", str(tmp_path / "out"),
                 "--event-log", str(tmp_path / "events.csv")])  # fmt: skip
    assert code == 0
    events = read_log((tmp_path / "events.csv").read_text(), "events.csv")
    joined = {e.member_id for e in events if e.kind == "member_joined"}
    assert len(joined) >= 40
    assert any(e.kind == "check_in" for e in events)
