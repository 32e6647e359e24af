"""Assigned tasks, contests and seasons in the simulator: operators offer tasks to
creators, members answer and submit by archetype, a reviewer approves at the configured
rate, contests settle at the scheduled review, and the report shows what each issued."""

from __future__ import annotations

from pathlib import Path

from honorloop.cli import main
from persistence.memory import issued_total
from tests.simulation.builders import (
    SAMPLE_ECONOMY,
    busy_population,
    economy_text,
    experiment,
    simulation,
)


def test_offered_tasks_flow_through_answers_submissions_and_reviews() -> None:
    # given a busy community with creators, run for two months
    sim = simulation(experiment(economy_text(), busy_population(), members=80, days=60))

    run = sim.run()

    # then every stage holds no more than the one before, and approvals pay the task
    counts = run.tasks["product_review_note"]
    assert counts["offered"] == counts["accepted"] + counts["declined"] > 0
    assert counts["accepted"] >= counts["submitted"] >= counts["approved"] + counts["rejected"]
    assert counts["approved"] > 0
    assert counts["points"] >= 300 * counts["approved"]


def test_no_task_is_offered_when_no_archetype_takes_tasks() -> None:
    population = busy_population()
    for arch in population["archetypes"].values():
        arch["task_accept"] = 0.0

    run = simulation(experiment(economy_text(), population, members=40, days=30)).run()

    assert run.tasks["product_review_note"]["offered"] == 0


def test_closed_contest_months_settle_at_the_review_and_pay_their_prizes() -> None:
    sim = simulation(experiment(economy_text(), busy_population(), members=60, days=65))

    run = sim.run()

    # then January and February 2027 settled, each paying its prize ranks
    counts = run.contests["monthly_interactions"]
    assert counts["periods"] == 2
    assert 0 < counts["winners"] <= 2 * 10
    assert counts["points"] > 0
    assert issued_total(sim.store.state) >= counts["points"]


def test_the_report_shows_task_approval_rates_and_contest_payouts(tmp_path: Path) -> None:
    main(["simulate", str(SAMPLE_ECONOMY), "--members", "200", "--days", "40",
          "--replications", "2", "--out", str(tmp_path)])  # fmt: skip

    page = (tmp_path / "report.html").read_text()

    assert "<h2>Assigned tasks</h2>" in page
    assert "approval rate" in page
    assert "<h2>Contests</h2>" in page
    assert "<h2>Honor roles</h2>" in page
    assert "terms started" in page
    assert "newcomers paired" in page
