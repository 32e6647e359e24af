"""Sweeps: settings parse, apply by path (arrays of tables by id), stay validated, and a
small grid runs in parallel worker processes."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from honorloop.cli import main
from simulation.sweep import (
    SweepInvalid,
    apply_setting,
    dumps,
    parse_setting,
    run_sweep,
    variants,
)
from tests.simulation.builders import SAMPLE_ECONOMY, experiment


def test_a_setting_lists_its_values_as_toml_values() -> None:
    setting = parse_setting('rules.post.points=5,10,"x",[1, 2]')
    assert setting.path == ("rules", "post", "points")
    assert setting.values == (5, 10, "x", [1, 2])


def test_a_path_through_an_array_of_tables_picks_the_entry_by_id() -> None:
    data = {"levels": [{"id": "a", "threshold": 0}, {"id": "b", "threshold": 10}]}
    apply_setting(data, ("levels", "b", "threshold"), 99)
    assert data["levels"][1]["threshold"] == 99


def test_a_path_that_does_not_exist_is_rejected_naming_it() -> None:
    with pytest.raises(SweepInvalid, match=re.escape("no 'rules.nope'")):
        apply_setting({"rules": {}}, ("rules", "nope", "points"), 1)


def test_a_variant_the_economy_rejects_fails_before_anything_runs() -> None:
    settings = [parse_setting("rewards.vip_invitation.price=-5")]
    with pytest.raises(SweepInvalid, match="price"):
        variants(experiment(), settings)


def test_a_small_sweep_runs_in_parallel_processes_one_row_per_variant() -> None:
    # given two values of one rule's points, and two of a population parameter
    base = experiment(members=60, days=15, replications=1)
    grid = variants(
        base,
        [
            parse_setting("rules.daily_check_in.points=2,20"),
            parse_setting("archetypes.lurker.visit_probability_per_day=0.08"),
        ],
    )

    # when the grid runs on two worker processes
    rows = run_sweep(grid, jobs=2)

    # then each variant has its row, and richer check-ins issue more points
    assert [row["variant"] for row in rows] == [
        "rules.daily_check_in.points=2, archetypes.lurker.visit_probability_per_day=0.08",
        "rules.daily_check_in.points=20, archetypes.lurker.visit_probability_per_day=0.08",
    ]
    assert rows[1]["issued"] > rows[0]["issued"]


def test_the_sweep_command_writes_a_comparison(tmp_path: Path) -> None:
    code = main(["sweep", str(SAMPLE_ECONOMY), "--set", "rules.post_with_photos.points=10,40",
                 "--members", "40", "--days", "10", "--replications", "1", "--jobs", "2",
                 "--out", str(tmp_path)])  # fmt: skip
    assert code == 0
    rows = json.loads((tmp_path / "sweep.json").read_text())
    assert [r["rules.post_with_photos.points"] for r in rows] == [10, 40]
    assert "<table>" in (tmp_path / "sweep.html").read_text()
    assert (tmp_path / "sweep.csv").read_text().startswith("variant,")


def test_a_sweep_runs_on_a_dask_cluster_when_given_a_scheduler() -> None:
    distributed = pytest.importorskip("distributed", reason="the optional 'dask' extra")
    base = experiment(members=40, days=10, replications=1)
    grid = variants(base, [parse_setting("rules.daily_check_in.points=2,20")])
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        rows = run_sweep(grid, scheduler=cluster.scheduler_address)
    assert [row["rules.daily_check_in.points"] for row in rows] == [2, 20]
    assert rows[1]["issued"] > rows[0]["issued"]


def test_the_economy_written_back_as_toml_parses_to_the_same_data() -> None:
    data = tomllib.loads(SAMPLE_ECONOMY.read_text())
    assert tomllib.loads(dumps(data)) == data
