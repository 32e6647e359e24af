"""`honorloop loadtest` as an engineer runs it: the /healthz baseline runs alone (its own
locustfile) and stays out of the personas' table, Locust's HTML report is written, Locust
may run as several processes, one results table is printed, the temporary database is
removed, and when the server cannot start its log is shown."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HEADER = "operation"


def _loadtest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "honorloop", "loadtest", *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _scratch_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("honorloop-loadtest-*"))


def test_a_load_test_over_two_locust_processes_writes_its_report_and_cleans_up(
    tmp_path: Path,
) -> None:
    before = _scratch_dirs()
    out = tmp_path / "out"

    done = _loadtest(
        "--users", "4", "--spawn-rate", "4", "--run-time", "3s", "--baseline-time", "1s",
        "--members", "4", "--processes", "2", "--out", str(out),
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    table = [line for line in done.stdout.splitlines() if line.startswith(HEADER)]
    assert len(table) == 1
    assert "healthz" not in done.stdout.split("throughput")[0]  # the baseline ran alone
    assert "RecordActivity" in done.stdout
    assert (out / "ledger.html").read_text(encoding="utf-8").lstrip().startswith("<!")
    assert (out / "baseline.html").exists()
    assert _scratch_dirs() <= before  # its temporary database is gone


def test_a_server_that_cannot_start_shows_its_log(tmp_path: Path) -> None:
    done = _loadtest("--economy", str(tmp_path / "missing.toml"), "--out", str(tmp_path))

    assert done.returncode == 1
    assert "the server's log" in done.stderr
    assert "HONORLOOP_ECONOMY" in done.stderr


def test_the_personas_locustfile_holds_no_baseline_user() -> None:
    source = Path(__file__).resolve().parents[2] / "loadtests" / "locustfile.py"

    assert "HealthBaseline" not in source.read_text(encoding="utf-8")
