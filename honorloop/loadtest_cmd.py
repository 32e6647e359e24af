"""`honorloop loadtest` (Locust against the ledger hot path, then a ledger audit) and
`honorloop ledger verify` (the ledger invariants, checked on a database)."""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def locustfile(name: str = "locustfile.py") -> Path:
    import loadtests  # not in the API image: only this command needs it

    return Path(loadtests.__file__).with_name(name)


LOAD_USERS = ("IngestService", "ShoppingMember", "Operator")
BASELINE_FILE = "baseline.py"  # its own locustfile: never mixed into the personas' figures
ready_timeout_s = 60
log_tail_lines = 40


class LoadTestFailed(RuntimeError):
    """The server or Locust did not do its part; the message says which."""


def register(subparsers: Any) -> None:
    load = subparsers.add_parser(
        "loadtest",
        help="load-test the ledger hot path with Locust, then audit the ledger",
        description=(
            "Run Locust personas (ingesting service, shopping member, operator) against the "
            "API, print throughput and latency per operation with a same-run /healthz "
            "baseline, then check the ledger invariants on the database."
        ),
    )
    load.add_argument("--host", help="a running API (default: start one on a free port)")
    load.add_argument(
        "--database-url",
        help="the database to audit (and to serve, when no --host): default a fresh SQLite file",
    )
    load.add_argument("--economy", help="economy file for the server this command starts")
    load.add_argument("--users", type=int, default=40, help="concurrent users (default 40)")
    load.add_argument("--spawn-rate", type=float, default=20, help="users started per second")
    load.add_argument("--run-time", default="30s", help="duration, e.g. 30s, 2m (default 30s)")
    load.add_argument("--baseline-time", default="5s", help="/healthz baseline duration (5s)")
    load.add_argument("--members", type=int, default=200, help="member pool size (default 200)")
    load.add_argument("--workers", type=int, default=1, help="server workers (default 1)")
    load.add_argument(
        "--processes",
        type=int,
        default=1,
        help="Locust processes (its own distributed mode: a master and N-1 workers; default 1)",
    )
    load.add_argument(
        "--out", default="out/loadtest", help="directory for Locust's HTML report and CSV files"
    )
    load.set_defaults(handler=loadtest_command)

    ledger = subparsers.add_parser("ledger", help="ledger tools")
    ledger_sub = ledger.add_subparsers(dest="ledger_command", metavar="ACTION")
    verify = ledger_sub.add_parser(
        "verify", help="check the ledger invariants on a database; exit 1 if any is broken"
    )
    verify.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    verify.set_defaults(handler=verify_command)


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(host: str, server: subprocess.Popen[bytes] | None) -> None:
    deadline = time.monotonic() + ready_timeout_s
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise LoadTestFailed(f"the API stopped before it was ready (exit {server.returncode})")
        try:
            with urllib.request.urlopen(f"{host}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise LoadTestFailed(f"the API at {host} was not ready within {ready_timeout_s} s")


@dataclass(frozen=True, slots=True)
class Run:
    """One Locust run: which file and users, for how long, and where its output goes."""

    file: Path
    classes: tuple[str, ...]
    run_time: str
    prefix: Path
    members: int


BASELINE_ATTEMPTS = 3


def _baseline(host: str, args: argparse.Namespace, out: Path) -> dict[str, Row]:
    """The /healthz baseline's rows. On a saturated machine a short baseline can end before
    Locust's users send a request; it is then run again for twice as long (at most
    BASELINE_ATTEMPTS runs), since a ratio to nothing means nothing."""
    run_time, rows = args.baseline_time, {}
    for attempt in range(BASELINE_ATTEMPTS):
        if attempt:
            run_time = f"{2 * _seconds(run_time)}s"
        print(f"loadtest: baseline /healthz for {run_time} …", file=sys.stderr)
        _locust(host, args, Run(locustfile(BASELINE_FILE), (), run_time, out / "baseline", 0))
        rows = {r.name: r for r in read_stats(out / "baseline")}
        total = rows.get("Aggregated")
        if total is not None and total.requests > 0:
            break
    return rows


def _seconds(run_time: str) -> int:
    """Locust's run time ("90s", "2m", "1h30m") in seconds."""
    total, number = 0, ""
    for char in run_time:
        if char.isdigit():
            number += char
        else:
            total += int(number or 0) * {"s": 1, "m": 60, "h": 3600}[char]
            number = ""
    return total + int(number or 0)


def _locust(host: str, args: argparse.Namespace, run: Run) -> None:
    env = {**os.environ, "HONORLOOP_LOADTEST_MEMBERS": str(run.members)}
    env.setdefault("HONORLOOP_LOADTEST_RUN", str(int(time.time())))
    command = [
        sys.executable, "-m", "locust", "-f", str(run.file), "--headless",
        "-u", str(args.users), "-r", str(args.spawn_rate), "-t", run.run_time, "--host", host,
        "--csv", str(run.prefix), "--html", str(run.prefix.with_suffix(".html")),
        "--only-summary", "--loglevel", "WARNING", *run.classes,
    ]  # fmt: skip
    if args.processes > 1:
        command += ["--processes", str(args.processes)]
    log = run.prefix.with_suffix(".log")  # Locust's own summary and warnings
    with log.open("wb") as output:
        done = subprocess.run(command, env=env, check=False, stdout=output, stderr=output)
    if done.returncode not in (0, 1):  # 1: some requests failed, reported from the CSV
        raise LoadTestFailed(f"Locust exited {done.returncode}; see {log}")


def read_stats(prefix: Path) -> list[Row]:
    path = prefix.with_name(prefix.name + "_stats.csv")
    if not path.exists():
        raise RuntimeError(f"Locust wrote no statistics ({path} is missing)")
    rows: list[Row] = []
    with path.open(newline="") as handle:
        for record in csv.DictReader(handle):
            rows.append(
                Row(
                    name=record["Name"],
                    requests=int(record["Request Count"]),
                    failures=int(record["Failure Count"]),
                    rps=float(record["Requests/s"]),
                    p50=_percentile(record["50%"]),
                    p95=_percentile(record["95%"]),
                    p99=_percentile(record["99%"]),
                )
            )
    return rows


def _percentile(text: str) -> float:
    """Locust writes "N/A" for a percentile it has too few samples for."""
    return 0.0 if text in ("", "N/A") else float(text)


def _print_rows(rows: list[Row]) -> None:
    print(f"{'operation':<26} {'requests':>9} {'failures':>8} {'req/s':>8} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")  # fmt: skip
    for row in rows:
        print(f"{row.name:<26} {row.requests:>9} {row.failures:>8} {row.rps:>8.1f} "
              f"{row.p50:>7.0f} {row.p95:>7.0f} {row.p99:>7.0f}")  # fmt: skip


def _start_server(
    args: argparse.Namespace, url: str, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [sys.executable, "-m", "honorloop", "serve", "--database-url", url,
               "--port", str(port), "--workers", str(args.workers)]  # fmt: skip
    if args.economy:
        command += ["--economy", args.economy]
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                  start_new_session=True)  # fmt: skip
    return server, f"http://127.0.0.1:{port}"


def _show_log(log: Path) -> None:
    if not log.exists():
        return
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    print(f"loadtest: the server's log ({log}, last {log_tail_lines} lines):", file=sys.stderr)
    for line in lines[-log_tail_lines:]:
        print(f"  {line}", file=sys.stderr)


def loadtest_command(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="honorloop-loadtest-"))
    try:
        return _load_test(args, out, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # the temporary database and the log


def _load_test(args: argparse.Namespace, out: Path, scratch: Path) -> int:
    url = args.database_url or f"sqlite:///{scratch}/loadtest.db"
    server_log = scratch / "server.log"
    server = None
    host = args.host
    try:
        if host is None:
            server, host = _start_server(args, url, server_log)
            print(f"loadtest: started the API at {host} on {url}", file=sys.stderr)
        _wait_ready(host, server)
        baseline = _baseline(host, args, out)
        print(f"loadtest: {args.users} users for {args.run_time} …", file=sys.stderr)
        _locust(host, args, Run(locustfile(), LOAD_USERS, args.run_time, out / "ledger",
                                args.members))  # fmt: skip
        rows = read_stats(out / "ledger")
    except (LoadTestFailed, RuntimeError) as error:
        print(f"loadtest: {error}", file=sys.stderr)
        _show_log(server_log)
        return 1
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    _print_rows(rows)
    total = next((r for r in rows if r.name == "Aggregated"), None)
    floor = baseline.get("Aggregated")
    if floor is None or floor.rps <= 0:
        print("\nno baseline ratio: the /healthz baseline completed no request "
              f"(tried {BASELINE_ATTEMPTS} times from {args.baseline_time})")  # fmt: skip
    elif total is not None:
        ratio = total.rps / floor.rps
        print(f"\nthroughput {total.rps:.1f} req/s = {ratio:.2f} x the same server's /healthz "
              f"baseline ({floor.rps:.1f} req/s alone, p50 {floor.p50:.0f} ms)")  # fmt: skip
    print(f"Locust's HTML report: {out / 'ledger.html'} (baseline: {out / 'baseline.html'})")
    failures = total.failures if total is not None else 0
    if failures:
        _show_log(server_log)
    if args.host is not None and args.database_url is None:
        print("ledger audit skipped: pass --database-url to audit a server you started")
        return 1 if failures else 0
    broken = _audit(url)
    if broken:
        _show_log(server_log)
    return 1 if failures or broken else 0


def _audit(url: str) -> int:
    from persistence.sql.verify import verify_ledger

    report = verify_ledger(url)
    print(f"\nledger audit on {report.database}: {report.transfers} transfers, "
          f"{report.entries} entries, {report.issued} points issued")  # fmt: skip
    if not report.violations:
        print("ledger audit: every invariant holds")
        return 0
    for name, rows in report.violations.items():
        print(f"ledger audit: BROKEN — {name}: {', '.join(rows)}")
    return len(report.violations)


def verify_command(args: argparse.Namespace) -> int:
    if not args.database_url:
        print("honorloop ledger verify: give --database-url (or set DATABASE_URL)",
              file=sys.stderr)  # fmt: skip
        return 2
    return 1 if _audit(args.database_url) else 0
