"""Where the server's time goes under load: py-spy samples a real `honorloop serve` while
wrk drives one operation at saturation, and the samples are summed by layer and by
function. Prints figures; asserts nothing.

    python -m benchmarks.profile_api [--database-url URL]
        [--operation noop|recordActivity|recordActivities|viewer] [--seconds S]
        [--clients N] [--rate HZ] [--out DIR]

A fresh SQLite file unless `--database-url` names PostgreSQL (a schema of its own, dropped
afterwards). Samples are taken of the thread holding the GIL only (`py-spy --gil`): one
worker's throughput is bounded by that one interpreter lock, so these are the seconds that
decide req/s; a database thread waiting on SQLite's write lock or on PostgreSQL does not
hold it and shows as "waiting (GIL released)". Time inside C code (sqlite3, psycopg, orjson,
uvloop) is counted in the Python function that called it. py-spy needs ptrace rights on the
server (root, or `kernel.yama.ptrace_scope=0`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import AbstractContextManager
from pathlib import Path

from benchmarks import bench_api, wrk

# (layer, path fragments): the first layer one of whose fragments is in a frame's file
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("domain (rules, services)", ("/domain/",)),
    ("persistence (SQL store, unit of work)", ("/persistence/",)),
    ("sqlalchemy", ("/sqlalchemy/",)),
    ("database driver (sqlite3, psycopg)", ("/sqlite3/", "/psycopg/", "/psycopg_pool/")),
    ("api (resolvers, auth, context)", ("/api/",)),
    ("strawberry", ("/strawberry/",)),
    ("graphql-core", ("/graphql/",)),
    ("http (uvicorn, starlette, httptools)", ("/uvicorn/", "/starlette/", "/cross_web/")),
    ("asyncio, threads, executor", ("/asyncio/", "/concurrent/", "threading.py", "uvloop")),
    ("logging, metrics, tracing", ("/logging/", "prometheus", "opentelemetry")),
)
OTHER = "other (stdlib, libraries)"


def layer_of(frame: str) -> str:
    for name, fragments in LAYERS:
        if any(f in frame for f in fragments):
            return name
    return OTHER


def frames_of(line: str) -> tuple[list[str], int]:
    """A py-spy raw (collapsed) line: `frame;frame;...;leaf COUNT`."""
    stack, _, count = line.rpartition(" ")
    return stack.split(";"), int(count)


def project_frame(frame: str) -> bool:
    return any(f"/{p}/" in frame for p in ("domain", "persistence", "api")) and (
        "site-packages" not in frame
    )


def summarise(raw: Path, rate: int, requests: int, top: int = 25) -> str:
    """Self samples by layer and by function, and the project's functions inclusively; each
    as a share of the samples and as GIL-held microseconds per request (`rate` samples a
    second, `requests` answered while sampling)."""
    by_layer: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        stack, count = frames_of(line)
        total += count
        leaf = stack[-1]
        by_layer[layer_of(leaf)] += count
        by_function[short(leaf)] += count
        for frame in dict.fromkeys(f for f in stack if project_frame(f)):
            inclusive[short(frame)] += count
    if total == 0:
        return "no samples (did py-spy attach?)"
    per_request_us = 1e6 / rate / requests if requests else 0.0

    def row(name: str, n: int) -> str:
        return f"  {100 * n / total:5.1f}% {n * per_request_us:7.0f} µs  {name}"

    lines = [
        f"{total} samples of the thread holding the GIL: {total * per_request_us:.0f} µs of "
        f"GIL per request over {requests} requests",
        "",
        "self time by layer (share, µs per request):",
    ]
    lines += [row(name, n) for name, n in by_layer.most_common()]
    lines += ["", f"self time, top {top} functions:"]
    lines += [row(name, n) for name, n in by_function.most_common(top)]
    lines += ["", f"inclusive time, top {top} project functions (domain/, persistence/, api/):"]
    lines += [row(name, n) for name, n in inclusive.most_common(top)]
    return "\n".join(lines)


def short(frame: str) -> str:
    """`function (/long/path/site-packages/pkg/mod.py:12)` -> `function (pkg/mod.py:12)`."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "/wt/", "/lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    where = where.split("/", 1)[1] if where.startswith("apifast/") else where
    return f"{name} ({where})"


def database(url: str | None, directory: Path) -> AbstractContextManager[str]:
    if url:
        return bench_api.postgres_url(url)
    return bench_api.sqlite_url(directory, "profile.db")


OPERATIONS = {
    "noop": bench_api.CEILING,
    "recordActivity": "recordActivity",
    "recordActivities": f"recordActivities (x{bench_api.batch_size})",
    "viewer": "viewer (level, honors, 20 ledger entries)",
}


def load_for(operation: str, pool: bench_api.Pool) -> wrk.Load:
    scenarios = {s.name: s for s in bench_api.saturation_scenarios(pool, bench_api.batch_size)}
    return scenarios[OPERATIONS[operation]].load


def profile(args: argparse.Namespace, wrk_path: str, py_spy: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        economy_path = directory / "bench_economy.toml"
        economy_path.write_text(bench_api.bench_economy_text(), encoding="utf-8")
        with (
            database(args.database_url, directory) as url,
            bench_api.running_server(url, economy_path, 1, directory / "server.log") as served,
        ):
            port, pid = served
            worker = serving_process(pid)
            run = secrets.token_hex(3)
            pool = asyncio.run(bench_api.setup_members(port, args.members, run))
            load = load_for(args.operation, pool)
            bench = bench_api.Bench(wrk_path, port, pid, args.clients, 1, args.seconds, run)
            bench.once(load, "pw", 2.0, args.clients)  # warm-up
            raw = args.out / f"profile-{args.operation}.txt"
            sampler = subprocess.Popen(
                [py_spy, "record", "--pid", str(worker), "--gil", "--nonblocking",
                 "--full-filenames", "--function", "--rate", str(args.rate), "--format", "raw",
                 "--duration", str(wrk.whole_seconds(args.seconds)), "--output", str(raw)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            measured = bench.once(load, "pm", args.seconds + 1, args.clients)
            _, errors = sampler.communicate(timeout=120)
            if sampler.returncode != 0:
                raise RuntimeError(f"py-spy failed: {errors.decode(errors='replace')[-1000:]}")
    head = (
        f"{args.operation} on {'PostgreSQL' if args.database_url else 'SQLite'}: "
        f"{measured.rate:.0f} req/s under wrk ({args.clients} connections), "
        f"p99 {measured.latency_ms['99']:.0f} ms, server {measured.server_cores:.2f} cores, "
        f"load average {os.getloadavg()[0]:.2f}; raw samples in {raw}"
    )
    sampled = round(measured.rate * wrk.whole_seconds(args.seconds))  # answered while sampled
    return head + "\n\n" + summarise(raw, args.rate, sampled)


def serving_process(pid: int) -> int:
    """The process that runs the app: the server itself with one worker (uvicorn serves in
    process), else its first child."""
    children = [p for p in wrk.descendants(pid) if p != pid]
    return pid if not children else children[0]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.profile_api", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: a SQLite file)")
    parser.add_argument(
        "--operation",
        default="recordActivity",
        choices=list(OPERATIONS),
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds sampled (10)")
    parser.add_argument("--clients", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--members", type=int, default=200, help="members (200)")
    parser.add_argument("--rate", type=int, default=250, help="samples per second (250)")
    parser.add_argument("--out", type=Path, default=Path("out/profile"), help="(out/profile)")
    return parser.parse_args(argv)


def tools() -> tuple[str, str]:
    """wrk and py-spy, or `WrkMissing` telling how to get the one that is missing."""
    wrk_path = wrk.require()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        raise wrk.WrkMissing("py-spy is not installed: `make install` (the dev extra) adds it")
    return wrk_path, py_spy


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        wrk_path, py_spy = tools()
    except wrk.WrkMissing as missing:
        print(f"benchmarks.profile_api: {missing}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    print(profile(args, wrk_path, py_spy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
