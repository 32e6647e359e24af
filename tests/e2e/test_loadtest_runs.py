"""`honorloop loadtest` as an engineer runs it: the /healthz baseline runs alone (its own
locustfile) and stays out of the personas' table, Locust's HTML report is written, Locust
may run as several processes, one results table is printed, the temporary database is
removed, and when the server cannot start its log is shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HEADER = "operation"


def _loadtest(*args: str, temp: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(temp)} if temp is not None else None
    return subprocess.run(
        [sys.executable, "-m", "honorloop", "loadtest", *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env=env,
    )


def test_a_load_test_over_two_locust_processes_writes_its_report_and_cleans_up(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    temp = tmp_path / "tmp"  # the command's own temporary directory, to see it cleaned
    temp.mkdir()

    done = _loadtest(
        "--users", "4", "--spawn-rate", "4", "--run-time", "3s", "--baseline-time", "1s",
        "--members", "4", "--processes", "2", "--out", str(out), temp=temp,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    table = [line for line in done.stdout.splitlines() if line.startswith(HEADER)]
    assert len(table) == 1
    assert "healthz" not in done.stdout.split("throughput")[0]  # the baseline ran alone
    assert "RecordActivity" in done.stdout
    assert (out / "ledger.html").read_text(encoding="utf-8").lstrip().startswith("<!")
    assert (out / "baseline.html").exists()
    assert list(temp.glob("honorloop-loadtest-*")) == []  # its temporary database is gone


def test_a_server_that_cannot_start_shows_its_log(tmp_path: Path) -> None:
    done = _loadtest("--economy", str(tmp_path / "missing.toml"), "--out", str(tmp_path))

    assert done.returncode == 1
    assert "the server's log" in done.stderr
    assert "HONORLOOP_ECONOMY" in done.stderr


def test_the_personas_locustfile_holds_no_baseline_user() -> None:
    source = Path(__file__).resolve().parents[2] / "loadtests" / "locustfile.py"

    assert "HealthBaseline" not in source.read_text(encoding="utf-8")
