"""Calibration: a log the simulator writes from known parameters is calibrated back within
the tolerances docs/simulation.md states, and the back-test compares predicted with actual
held-out days."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.economy import Economy, parse_economy
from honorloop.cli import main
from persistence.memory import MemoryStore
from simulation.calibrate import (
    Calibration,
    Fit,
    LogReplay,
    alive_probability,
    back_test,
    back_test_table,
    calibrate,
    cutoff_start,
    parsed,
)
from simulation.engine import LogEntry, Run, Simulation, Start
from simulation.eventlog import EventLogInvalid, read_log, simulated_log, write_log
from simulation.population import parse_population
from simulation.replay import final_state, replay
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
def _economy() -> Economy:
    return parse_economy(SAMPLE_ECONOMY.read_text(), "economy.toml")


@functools.cache
def _known_run() -> Run:
    population = parse_population(_known_population(), "known.toml")
    streams = streams_for(replication_seeds(3, 1)[0])
    return Simulation(_economy(), population, streams, keep_log=True).run()


@functools.cache
def _log_text() -> str:
    return write_log(simulated_log(_known_run().log))


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
        # points rest on the heavy tail of notes' interactions (featuring, viral notes)
        assert abs(line.error) < (0.3 if line.name == "points issued" else 0.1), line
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


# --- the back-test starts from the state at the cut-off -----------------------------------


def _cutoff() -> tuple[Start, LogReplay]:
    calibration = _calibration()
    population = parsed(calibration, _economy())
    log_replay = LogReplay(read_log(_log_text()), _economy(), population, calibration.start)
    log_replay.advance(calibration.cutoff_day)
    return cutoff_start(calibration, log_replay, population), log_replay


def _when(payload: Any) -> datetime | None:
    """When a logged command happened (None for the run's setup)."""
    if isinstance(payload, datetime):
        return payload
    if isinstance(payload, tuple | list):
        return _when(payload[0]) if payload else None
    for name in ("occurred_at", "at", "as_of"):
        value = getattr(payload, name, None)
        if isinstance(value, datetime):
            return value
    return None


def _before(log: list[LogEntry], moment: datetime) -> list[LogEntry]:
    out: list[LogEntry] = []
    for kind, payload in log:
        when = _when(payload)
        if when is not None and when >= moment:
            break
        out.append((kind, payload))
    return out


def test_the_back_test_starts_from_the_state_the_log_reached_at_the_cut_off() -> None:
    # given the simulator's own commands up to the cut-off, replayed on a fresh store:
    # the state the community that wrote the log had then
    economy = _economy()
    calibration = _calibration()
    start, log_replay = _cutoff()
    cutoff = datetime.combine(
        calibration.start + timedelta(days=calibration.cutoff_day), time(), economy.timezone
    )
    truth = MemoryStore()
    replay(_before(_known_run().log, cutoff), truth, economy)
    ids = [f"m{i:07d}" for i in range(len(start.members))]
    assert log_replay.ids == dict(zip(ids, ids, strict=True))  # arrival order is kept

    # then the back-test's store holds the same balances, levels, KOC tiers and honors
    expected = final_state(ids, truth, economy)
    got = final_state(ids, start.store, economy)
    assert got == expected
    assert sum(s.lifetime_earned for s in got.members.values()) > 10_000

    # and the simulation's per-member mirrors start from them, with the calibrated segments
    population = parsed(calibration, economy)
    sim = Simulation(economy, population, streams_for(replication_seeds(1, 1)[0]), start=start)
    levels = {lv.id: lv.rank for lv in economy.levels}
    for mi, ident in enumerate(ids):
        state = expected.members[ident]
        assert (int(sim.m.available[mi]), int(sim.m.held[mi])) == (state.available, state.reserved)
        assert int(sim.m.earned[mi]) == state.lifetime_earned
        assert int(sim.m.rank[mi]) == levels[state.level_id]
        segment = population.archetypes[int(sim.m.arch[mi])].id
        assert segment == calibration.segments[ident]
    assert sim.m.n == len(ids)
    joined = {e.member_id: e.at.date() for e in read_log(_log_text()) if e.kind == "member_joined"}
    for mi, ident in enumerate(ids):
        assert int(sim.m.join_day[mi]) == (joined[ident] - calibration.start).days


def test_a_member_who_left_before_the_cut_off_is_not_simulated() -> None:
    # given members of the log silent for the last 100 days before the cut-off
    calibration = _calibration()
    start, _ = _cutoff()
    gone = [
        mi
        for mi, s in enumerate(start.members)
        if s.last_active is not None and s.last_active < calibration.cutoff_day - 100
    ]
    recent = [
        mi for mi, s in enumerate(start.members) if s.last_active == calibration.cutoff_day - 1
    ]
    assert len(gone) >= 10
    assert recent
    # then they are judged gone (fewer than one in ten of them expected still there, even
    # allowing the rarest visitors their pace), those active the day before are not
    assert all(start.members[mi].alive_probability < 0.05 for mi in gone)
    assert sum(start.members[mi].alive_probability for mi in gone) < 0.1
    assert all(start.members[mi].alive_probability > 0.99 for mi in recent)
    economy = _economy()
    population = parsed(calibration, economy)
    sim = Simulation(
        economy, population, streams_for(replication_seeds(1, 1)[0]), keep_log=True, start=start
    )
    assert not sim.m.alive[gone].any()
    run = sim.run()
    # and they do nothing in the held-out days
    acting = {e.member_id for e in simulated_log(run.log) if e.kind != "member_joined"}
    assert not acting & {f"m{mi:07d}" for mi in gone}
    assert acting & {f"m{mi:07d}" for mi in recent}


def test_the_back_test_simulates_only_the_held_out_days() -> None:
    calibration = _calibration()
    start, _ = _cutoff()
    economy = _economy()
    population = parsed(calibration, economy)
    sim = Simulation(
        economy, population, streams_for(replication_seeds(1, 1)[0]), keep_log=True, start=start
    )
    run = sim.run()
    assert run.first_day == calibration.cutoff_day
    assert run.daily["day"] == [float(d) for d in range(calibration.cutoff_day + 1, 181)]
    first = calibration.start + timedelta(days=calibration.cutoff_day)
    events = simulated_log(run.log)
    assert events
    assert min(e.at.date() for e in events) >= first
    # the only registrations are the new joiners, numbered after the log's members
    joiners = [e.member_id for e in events if e.kind == "member_joined"]
    assert all(int(ident[1:]) >= len(start.members) for ident in joiners)
    # and the first day's points are that day's, not the log's before it
    assert 0 < run.daily["issued_today"][0] < 5_000
    assert run.daily["issued"][0] > 100_000


@pytest.mark.parametrize(
    ("last_active", "expected"),
    [(99, 1 - 0.01), (None, None)],
)
def test_the_chance_a_member_is_still_there_weighs_their_silence(
    last_active: int | None, expected: float | None
) -> None:
    fit = Fit("a", 10, 1.0, 0.3, 0.0, 0.01, {"check_in": 1.0}, 0.0, 5.0, 1.0)
    chance = alive_probability(fit, 0, last_active, 100, 21.0)
    if expected is not None:
        # active on the day before the cut-off: only that day's churn could have taken them
        assert chance == pytest.approx(expected)
    else:
        # never active in 100 days while visits leave a trace 19% of days: surely gone
        assert chance < 1e-6
    silences = [alive_probability(fit, 0, day, 100, 21.0) for day in (95, 90, 80, 60)]
    assert silences == sorted(silences, reverse=True)
    assert alive_probability(replace(fit, churn_per_day=0.0), 0, 10, 100, 21.0) == 1.0


def test_a_rare_visitor_s_silence_says_less_than_a_regular_s() -> None:
    # given two members of one archetype, both last active 20 days before the cut-off
    fit = Fit("a", 10, 1.0, 0.3, 0.0, 0.01, {"check_in": 1.0}, 0.0, 5.0, 1.0)
    rare = alive_probability(fit, 0, 79, 100, 21.0, active_days=3)
    usual = alive_probability(fit, 0, 79, 100, 21.0, active_days=15)  # the archetype's pace
    keen = alive_probability(fit, 0, 79, 100, 21.0, active_days=60)
    # then the one who came 3 times in 80 days is likelier still there than the keen one
    assert rare > usual > keen
    assert rare > 0.5
    assert keen < 0.01


def test_notes_published_just_before_the_cut_off_are_measured_in_the_held_out_days() -> None:
    # given the log's notes published in the last days before the cut-off, not yet measured
    calibration = _calibration()
    start, _ = _cutoff()
    population = parsed(calibration, _economy())
    measure = population.notes.measure_after_days
    assert start.notes_due
    measured = {
        e.subject_id
        for e in read_log(_log_text())
        if e.kind == population.notes.metrics_kind
        and e.at.date() < calibration.start + timedelta(days=calibration.cutoff_day)
    }
    for due, mi, note in start.notes_due:
        assert calibration.cutoff_day <= due < calibration.cutoff_day + measure
        assert note not in measured
        assert 0 <= mi < len(start.members)
    # then the simulation measures them on their day, for their authors
    sim = Simulation(
        _economy(), population, streams_for(replication_seeds(1, 1)[0]), keep_log=True, start=start
    )
    run = sim.run()
    metrics = {
        (e.member_id, e.subject_id)
        for e in simulated_log(run.log)
        if e.kind == population.notes.metrics_kind
    }
    assert {(f"m{mi:07d}", note) for _, mi, note in start.notes_due} <= metrics
