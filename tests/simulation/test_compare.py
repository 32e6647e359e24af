"""Comparing economies: common random numbers, paired intervals, the compare and sweep
pages and their exit codes."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

from honorloop.cli import main
from simulation.compare import (
    COMPARED_METRICS,
    arms_for,
    differences,
    paired_difference,
    run_arms,
    same_outputs,
)
from tests.simulation.builders import SAMPLE_ECONOMY, economy_text, experiment


def _default_population_with(tmp_path: Path, assertions: list[str]) -> Path:
    text = (Path(__file__).resolve().parents[2] / "simulation/populations/default.toml").read_text()
    body = text[text.index("[population]") :]
    quoted = ", ".join(f'"{a}"' for a in assertions)
    (tmp_path / "pop.toml").write_text(f"assertions = [{quoted}]\n\n" + body)
    return tmp_path / "pop.toml"


def test_the_paired_interval_is_the_t_interval_of_the_per_replication_differences() -> None:
    # given three replications whose differences are 1, 3 and 1
    d = paired_difference([10.0, 12.0, 14.0], [11.0, 15.0, 15.0])

    # then by hand: mean 5/3, sd sqrt(4/3), se sqrt(4/3)/sqrt(3) = 2/3, t(2) = 4.303
    assert d.mean == pytest.approx(5 / 3)
    assert d.low == pytest.approx(5 / 3 - 4.303 * 2 / 3)
    assert d.high == pytest.approx(5 / 3 + 4.303 * 2 / 3)
    assert d.significant is False  # the interval (-1.20, 4.54) holds zero


def test_a_difference_whose_interval_excludes_zero_is_significant() -> None:
    # differences 2, 2, 3: mean 7/3, se sqrt(1/3)/sqrt(3) = 1/3, interval (0.90, 3.77)
    d = paired_difference([1.0, 2.0, 3.0], [3.0, 4.0, 6.0])
    assert d.low == pytest.approx(7 / 3 - 4.303 / 3)
    assert d.significant is True


def test_one_replication_gives_a_difference_without_significance() -> None:
    assert paired_difference([1.0], [4.0]).significant is None


def test_identical_economies_give_exactly_zero_difference() -> None:
    # given the same economy twice
    base = experiment(members=80, days=15, replications=2)
    text = economy_text()
    results = run_arms(arms_for(base, [(text, "a.toml"), (text, "b.toml")]))

    # then every replication is the same and every difference is exactly zero
    assert same_outputs(results[0].runs, results[1].runs)
    for d in differences(results[0].runs, results[1].runs, COMPARED_METRICS).values():
        assert (d.mean, d.low, d.high, d.significant) == (0.0, 0.0, 0.0, False)


def test_every_economy_draws_from_the_same_streams_per_replication() -> None:
    # given two economies that differ only in what a check-in pays
    base = experiment(members=80, days=15, replications=4)
    richer = economy_text(rules__daily_check_in__points=40)
    results = run_arms(arms_for(base, [(economy_text(), "a.toml"), (richer, "b.toml")]))

    # then the arrivals (one stream) are the same, replication by replication
    for a, b in zip(results[0].runs, results[1].runs, strict=True):
        assert a.daily["members"] == b.daily["members"]
    # and the richer rule issues more, significantly, as a paired difference
    d = differences(results[0].runs, results[1].runs, ["issued"])["issued"]
    assert d.low > 0
    assert d.significant


def test_compare_writes_one_page_with_charts_differences_and_a_report_per_economy(
    tmp_path: Path,
) -> None:
    richer = tmp_path / "richer.toml"
    richer.write_text(economy_text(rules__daily_check_in__points=20))
    code = main(["compare", str(SAMPLE_ECONOMY), str(richer), "--members", "60", "--days",
                 "10", "--replications", "2", "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 0
    page = (tmp_path / "out" / "compare.html").read_text()
    assert "Plotly.newPlot" in page
    assert "paired 95% interval" in page
    assert "KOC Community (richer.toml)" in page  # titles from the economy, made unique
    assert (tmp_path / "out" / "economy-2" / "report.html").exists()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "compare.csv").read_text())))
    issued = next(r for r in rows if r["metric"] == "issued")
    assert float(issued["difference"]) > 0
    assert math.isclose(
        float(issued["value"]) - float(issued["baseline"]), float(issued["difference"]),
        rel_tol=1e-4,
    )  # fmt: skip


def test_compare_refuses_an_invalid_economy_before_running_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(economy_text(rewards__vip_invitation__price=-5))
    code = main(["compare", str(SAMPLE_ECONOMY), str(broken), "--members", "1000000",
                 "--days", "1000", "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 2
    assert "price" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_sweep_flags_a_variant_that_changed_nothing_and_links_a_report_per_variant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a sweep whose first value is the economy's own (2 points per check-in)
    code = main(["sweep", str(SAMPLE_ECONOMY), "--set", "rules.daily_check_in.points=2,20",
                 "--members", "50", "--days", "10", "--replications", "2", "--jobs", "1",
                 "--out", str(tmp_path)])  # fmt: skip

    # then that variant is flagged as unchanged, the other is not
    assert code == 0
    rows = json.loads((tmp_path / "sweep.json").read_text())
    assert [r["unchanged"] for r in rows] == [True, False]
    assert "changed nothing" in capsys.readouterr().out
    page = (tmp_path / "sweep.html").read_text()
    assert 'href="variant-2/report.html"' in page
    assert "Plotly.newPlot" in page
    assert (tmp_path / "variant-1" / "report.html").exists()


def test_a_sweep_exits_1_when_a_variant_fails_an_assertion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given an assertion only the cheaper variant meets
    population = _default_population_with(tmp_path, ["issued at day 10 < 2000"])
    code = main(["sweep", str(SAMPLE_ECONOMY), "--population", str(population),
                 "--set", "rules.daily_check_in.points=2,500", "--members", "50", "--days",
                 "10", "--replications", "1", "--jobs", "1",
                 "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 1
    assert "variant rules.daily_check_in.points=500: assertion FAIL" in capsys.readouterr().out
