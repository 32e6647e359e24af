"""The report reads well (clipped bands, formatted numbers, titles, dates, targets, one
colour per series), tells where points come from and go, and exports every replication's
data in long format."""

from __future__ import annotations

import csv
import functools
import io
from datetime import date
from pathlib import Path

import pytest

from honorloop.cli import main
from simulation.charts import SCALES, Colours, clip, number, scale_of
from simulation.engine import Run
from simulation.export import daily_long_csv, flows_csv, write_parquet
from simulation.runner import run_all
from tests.simulation.builders import SAMPLE_ECONOMY, busy_population, economy_text, experiment


@functools.cache
def _runs_with_expiry() -> list[Run]:
    """Points expire one month after the month they are earned: a 70-day run expires some."""
    exp = experiment(economy_text(expiry__after_months=1), busy_population(), members=120,
                     days=70, replications=2)  # fmt: skip
    return run_all(exp)


def test_bands_are_clipped_to_each_metrics_natural_range() -> None:
    share = clip([(0.5, -0.2, 1.3)], scale_of("dau_mau"))
    count = clip([(3.0, -4.0, 9.0)], scale_of("alive"))
    points = clip([(10.0, -50.0, 80.0)], scale_of("outstanding"))
    assert share == [(0.5, 0.0, 1.0)]
    assert count == [(3.0, 0.0, 9.0)]
    assert points == [(10.0, 0.0, 80.0)]


def test_numbers_read_as_percentages_whole_counts_and_thousands() -> None:
    assert number(0.0494712, scale_of("breakage")) == "4.9%"
    assert number(129000.0, scale_of("issued")) == "129,000"
    assert number(293.333, scale_of("members")) == "293"
    assert number(2.5, SCALES["ratio"]) == "2.50"


def test_a_series_keeps_its_colour_on_every_chart() -> None:
    colours = Colours(["Regular", "Seasoned Player"])
    first = colours["Seasoned Player"]
    colours["Navigator"]
    assert colours["Seasoned Player"] == first != colours["Regular"]


def test_every_flow_adds_up_to_the_ledgers_totals() -> None:
    for run in _runs_with_expiry():
        totals: dict[str, int] = {}
        for (flow, _, _), points in run.flows.items():
            totals[flow] = totals.get(flow, 0) + points
        assert totals["expired"] > 0  # the spec needs some expiry to mean anything
        for flow in ("issued", "spent", "expired", "outstanding"):
            assert totals.get(flow, 0) == run.daily[flow][-1], flow


def test_the_report_uses_titles_dates_and_draws_assertion_targets(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "simulation/populations/default.toml").read_text()
    body = text[text.index("[population]") :]
    (tmp_path / "pop.toml").write_text('assertions = ["alive at day 8 >= 10"]\n\n' + body)
    code = main(["simulate", str(SAMPLE_ECONOMY), "--population", str(tmp_path / "pop.toml"),
                 "--members", "40", "--days", "8", "--replications", "2",
                 "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 0
    page = (tmp_path / "out" / "report.html").read_text()
    assert "Simulation of KOC Community" in page  # the economy's name, not its id
    assert '"name":"Seasoned Player"' in page  # level titles
    assert '"2027-01-01"' in page
    assert '"type":"date"' in page
    assert '"name":"target: alive at day 8 >= 10"' in page  # the assertion, drawn
    assert "Daily check-in" in page  # earning rules by title in the sources and sinks
    assert (tmp_path / "out" / "daily_long.csv").exists()
    assert (tmp_path / "out" / "flows.csv").exists()


def test_every_replications_daily_data_is_exported_in_long_format() -> None:
    runs = _runs_with_expiry()
    rows = list(csv.DictReader(io.StringIO(daily_long_csv(runs, date(2027, 1, 1)))))
    metrics = [m for m in runs[0].daily if m != "day"]
    assert len(rows) == len(runs) * runs[0].days * len(metrics)
    last = [r for r in rows if r["replication"] == "2" and r["day"] == "70"]
    by_metric = {r["metric"]: float(r["value"]) for r in last}
    assert by_metric["issued"] == runs[1].daily["issued"][-1]
    assert last[0]["date"] == "2027-03-11"
    flows = list(csv.DictReader(io.StringIO(flows_csv(runs))))
    assert {r["flow"] for r in flows} >= {"issued", "spent", "expired", "outstanding"}


def test_the_daily_data_is_also_written_as_parquet_when_pyarrow_is_there(
    tmp_path: Path,
) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="the optional 'parquet' extra")
    runs = _runs_with_expiry()
    assert write_parquet(tmp_path / "daily.parquet", runs, date(2027, 1, 1))
    table = pq.read_table(tmp_path / "daily.parquet")
    assert table.column_names == ["replication", "day", "date", "metric", "value"]
    assert table.num_rows == len(daily_long_csv(runs, date(2027, 1, 1)).splitlines()) - 1
