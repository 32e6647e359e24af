"""`make bench-api` runs as an engineer runs it, at a tiny duration: wrk drives a real server
on SQLite and PostgreSQL, every scenario is printed and written as JSON with its ratio to
the no-op ceiling of the same run, no response fails its check, and the contended reward
is never oversold. Only the output's structure is asserted, never a timing. Without wrk
the benchmark says how to get it instead of installing anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from benchmarks import profile_api, wrk

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("HONORLOOP_TEST_POSTGRES_URL")
SCENARIOS = [
    "no-op mutation (ceiling)",
    "/healthz",
    "trivial query { economy { id } }",
    "recordActivity",
    "recordActivities (x5)",
    "viewer (level, honors, 20 ledger entries)",
    "redeemReward (6 members, stock 10, restocked)",
    "recordActivity at half saturation",
]
FIELDS = {
    "scenario", "requests", "failures", "seconds", "req_per_s", "unit", "items_per_s",
    "p50_ms", "p95_ms", "p99_ms", "ratio_to_ceiling", "client_cpu_cores", "server_cpu_cores",
    "server_cpu_ms_per_request",
    "typenames", "first_failure",
}  # fmt: skip


def bench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_api", *args],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
        cwd=ROOT,
        env=env,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    wrk.require()  # CI installs it (.ci/run); a missing client fails instead of skipping
    out = tmp_path_factory.mktemp("bench") / "figures.json"
    done = bench(
        "--only", "http", "--seconds", "1", "--clients", "3", "--members", "6",
        "--batch", "5", "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, orjson.loads(out.read_bytes())


def test_each_database_runs_every_scenario_against_the_ceiling_of_its_own_run(
    report: tuple[str, dict[str, Any]],
) -> None:
    _, figures = report
    expected = ["SQLite", "PostgreSQL"] if POSTGRES else ["SQLite"]
    assert [d["database"] for d in figures["databases"]] == expected
    assert {"cpus", "load_average_start", "load_average_end", "started_at"} <= figures.keys()
    for database in figures["databases"]:
        http = database["http"]
        scenarios = http["scenarios"]
        assert [s["scenario"] for s in scenarios] == SCENARIOS
        assert {"load_average_before", "load_average_after", "ceiling_req_per_s"} <= http.keys()
        for scenario in scenarios:
            assert scenario.keys() >= FIELDS, scenario
            assert scenario["failures"] == 0, scenario
            assert scenario["requests"] > 0, scenario
            assert scenario["first_failure"] is None
            assert scenario["client_cpu_cores"] >= 0
            ratio = scenario["req_per_s"] / http["ceiling_req_per_s"]
            assert scenario["ratio_to_ceiling"] == pytest.approx(ratio, abs=0.002)
        assert scenarios[0]["ratio_to_ceiling"] == 1.0


def test_batches_count_activities_and_every_activity_of_a_batch_is_accepted(
    report: tuple[str, dict[str, Any]],
) -> None:
    for database in report[1]["databases"]:
        batch = next(s for s in database["http"]["scenarios"] if s["scenario"].endswith("(x5)"))
        assert batch["unit"] == "activities"
        assert batch["items_per_s"] == pytest.approx(batch["req_per_s"] * 5, rel=0.01)
        assert batch["typenames"] == {"RecordActivitiesPayload": batch["requests"]}


def test_the_contended_reward_is_never_oversold_and_runs_out_under_contention(
    report: tuple[str, dict[str, Any]],
) -> None:
    for database in report[1]["databases"]:
        fight = next(s for s in database["http"]["scenarios"] if "contenders" in s)
        assert fight["oversold"] is False
        assert fight["contenders"] == 6
        assert fight["units_redeemed"] + fight["stock_remaining"] == fight["units_granted"]
        assert fight["units_granted"] == 10 + 10 * fight["restocks"]
        assert set(fight["typenames"]) <= {"RedeemRewardPayload", "OutOfStock"}


def test_the_paced_run_says_how_it_was_paced(report: tuple[str, dict[str, Any]]) -> None:
    for database in report[1]["databases"]:
        paced = database["http"]["scenarios"][-1]
        assert {"target_req_per_s", "achieved_fraction_of_saturation", "method"} <= paced.keys()
        record = next(s for s in database["http"]["scenarios"] if s["scenario"] == "recordActivity")
        assert paced["target_req_per_s"] == pytest.approx(record["req_per_s"] / 2, abs=0.2)


def test_the_table_shows_every_scenario_with_the_load_average(
    report: tuple[str, dict[str, Any]],
) -> None:
    stdout, _ = report
    assert "x ceiling" in stdout
    assert "CPU ms/req" in stdout
    assert "wrk CPU" in stdout
    assert "load average" in stdout
    for name in SCENARIOS:
        assert name in stdout
    assert "never oversold" in stdout
    assert "OVERSOLD" not in stdout


def test_without_wrk_the_benchmark_tells_how_to_get_it(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no wrk on this PATH
    done = bench("--only", "http", "--seconds", "1", env=env)
    assert done.returncode == 2
    assert "apt-get install -y wrk" in done.stderr
    assert done.stdout == ""


def test_chosen_scenarios_run_alone_with_the_ceiling(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = bench(
        "--only", "http", "--no-postgres", "--seconds", "1", "--clients", "2", "--members", "3",
        "--scenario", "record", "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (database,) = orjson.loads(out.read_bytes())["databases"]
    names = [s["scenario"] for s in database["http"]["scenarios"]]
    assert names == ["no-op mutation (ceiling)", "recordActivity"]


def test_the_profile_is_summed_by_layer_and_by_function(tmp_path: Path) -> None:
    raw = tmp_path / "raw.txt"
    site = "/venv/lib/python3.11/site-packages"
    raw.write_text(
        f"run (/w/api/runtime.py:5);execute ({site}/graphql/execution/executor.py:9) 6\n"
        f"run (/w/api/runtime.py:5);record (/w/domain/services/activities.py:7) 3\n"
        f"run (/w/api/runtime.py:5);execute ({site}/sqlalchemy/engine/base.py:1) 1\n",
        encoding="utf-8",
    )
    text = profile_api.summarise(raw, rate=100, requests=10)
    assert "10 samples of the thread holding the GIL: 10000 µs of GIL per request" in text
    layers = text.split("self time by layer")[1].split("self time, top")[0]
    assert layers.index("graphql-core") < layers.index("domain") < layers.index("sqlalchemy")
    assert " 60.0%    6000 µs  graphql-core" in layers
    assert "100.0%   10000 µs  run (/w/api/runtime.py:5)" in text  # inclusive, counted once
