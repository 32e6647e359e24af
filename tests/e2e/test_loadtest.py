"""`honorloop loadtest`: Locust personas against a real server, then the ledger audit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from honorloop.loadtest_cmd import _seconds
from persistence.sql import SqlStore, migrate
from persistence.sql.verify import verify_ledger


def test_a_short_load_test_reports_every_operation_and_an_intact_ledger(tmp_path: Path) -> None:
    # given a fresh SQLite database the command will serve and audit
    url = f"sqlite:///{tmp_path}/load.db"

    # when a short load runs against a server the command starts itself
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "honorloop",
            "loadtest",
            "--database-url",
            url,
            "--users",
            "6",
            "--spawn-rate",
            "6",
            "--run-time",
            "4s",
            "--baseline-time",
            "2s",
            "--members",
            "8",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    # then it exits 0, reports the hot-path operations with a baseline ratio, and the
    # ledger it wrote holds every invariant
    assert done.returncode == 0, done.stdout + done.stderr
    for operation in ("RecordActivity", "RecordActivities", "RedeemReward", "Aggregated"):
        assert operation in done.stdout
    assert "x the same server's /healthz baseline" in done.stdout
    assert "every invariant holds" in done.stdout
    report = verify_ledger(url)
    assert report.violations == {}
    assert report.transfers > 0


def test_ledger_verify_names_a_broken_invariant(tmp_path: Path) -> None:
    # given a database whose cached balance was tampered with
    url = f"sqlite:///{tmp_path}/tampered.db"
    migrate(url)
    store = SqlStore(url)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO accounts (owner_kind, owner_id, bucket, balance)"
            " VALUES ('member', 'ghost', 'available', 5)"
        )
    store.dispose()

    # when the ledger is verified
    done = subprocess.run(
        [sys.executable, "-m", "honorloop", "ledger", "verify", "--database-url", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # then it fails naming the invariant
    assert done.returncode == 1
    assert "cached balances that differ from the sum of their entries" in done.stdout


def test_locust_run_times_read_as_seconds() -> None:
    # a baseline that completed no request is run again for twice its time, in seconds
    assert [_seconds(t) for t in ("2s", "1m30s", "1h", "45")] == [2, 90, 3600, 45]
