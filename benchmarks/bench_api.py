"""Benchmark of the API's ledger hot path, over HTTP and in-process. Prints figures as
ratios to a ceiling measured in the same run; asserts nothing (a response with `errors` or
an unexpected `__typename` is counted as a failure and shown).

    python -m benchmarks.bench_api [--database-url URL] [--clients N] [--seconds S]
        [--workers W] [--members M] [--batch B] [--only http|inprocess] [--json FILE]

For each database (a fresh SQLite file always; PostgreSQL when `--database-url` or
HONORLOOP_TEST_POSTGRES_URL names one, in a schema of its own dropped afterwards):

- HTTP: starts `honorloop serve` on a free loopback port and drives it with `wrk`
  (`benchmarks.wrk`: a compiled client, so it does not starve the server; its CPU is
  reported). Each scenario runs `--seconds` after a warm-up and prints req/s, items/s,
  p50/p95/p99 latency and the ratio to the same run's no-op mutation (the ceiling: the
  server runs with HONORLOOP_BENCH_NOOP, which adds a mutation `benchNoop` doing nothing,
  on the same uvicorn, parser and validation caches and JSON encoder). Scenarios:
  recordActivity, recordActivities (x`--batch`), `--members` members' viewer query (level,
  honors, the last 20 ledger entries), 50 members fighting over a reward of stock 10
  restocked whenever it runs out (the database is checked afterwards: never oversold),
  and recordActivity paced at half its saturated rate (p99).
- In-process: the domain service alone on the SQL store, and `schema.execute` alone with
  the same GraphQL documents (no HTTP), one call at a time, so the report shows where the
  time goes.

`--json FILE` also writes every figure, with the load average, as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from inspect import isawaitable
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from graphql import DocumentNode
from graphql import execute as graphql_execute
from graphql import parse as graphql_parse
from graphql import validate as graphql_validate
from sqlalchemy.engine import make_url

from api.app import group_writers
from api.auth import Role, Viewer, mint_token
from api.context import Context
from api.economy_types import GuideIndex
from api.events import Broker
from api.loaders import Loaders
from api.runtime import Runtime, db_executor
from api.schema import build_schema
from api.settings import Settings
from benchmarks import wrk
from domain import services
from domain.commands import (
    AdjustPoints,
    RecordActivity,
    RedeemReward,
    RegisterMember,
    Restock,
    batch_size_max,
)
from domain.economy import Economy, parse_economy
from domain.guide import build_guide
from domain.model import RedemptionStatus
from loadtests.operations import OPERATIONS
from persistence.sql import SqlStore, migrate
from persistence.sql.engine import is_sqlite, make_engine

POSTGRES_ENV = "HONORLOOP_TEST_POSTGRES_URL"
SAMPLE_ECONOMY = Path(__file__).resolve().parents[1] / "economies" / "koc_community.toml"
SECRET = "bench-secret-" + "x" * 40
BENCH_REWARD = "bench_unlimited"
BENCH_SCARCE = "bench_scarce"
scarce_stock = 10  # the members fight over this, restocked by as much when it runs out
scarce_restock = 10
restock_poll_s = 0.02
contenders_max = 50
concurrent_callers = 32  # in-process group commit: as many callers as wrk's connections
CEILING = "no-op mutation (ceiling)"
SCENARIO_KEYS = ("healthz", "trivial", "record", "batch", "viewer", "redeem", "half")
BENCH_REWARDS = f"""
[rewards.{BENCH_REWARD}]
title = "Benchmark reward"
tier = "merch"
price = 1
stock = "unlimited"
fulfilment = "shipping"

[rewards.{BENCH_SCARCE}]
title = "Scarce benchmark reward"
tier = "merch"
price = 1
stock = {scarce_stock}
fulfilment = "shipping"
"""
batch_size = 100  # recordActivities per request (the API allows batch_size_max)
startup_timeout_s = 60.0
response_head_max_bytes = 64 * 1024
failures_shown_max = 3
points_given = 1_000_000
BENCH_KIND = "bench_interaction"
# Shaped like like_or_comment (once per subject, one day limit) but with limits that never
# bite: activities are dated now, since they must arrive within the late-arrival look-back.
BENCH_RULE = f"""
[rules.bench_interaction]
kind = "{BENCH_KIND}"
points = 1
limits = [{{ period = "day", max_count = 1000000000 }}]
once_per_subject = true
exempt_from_daily_cap = true
"""

TRIVIAL = OPERATIONS["Trivial"]
NOOP = "mutation BenchNoop { benchNoop }"  # served only with HONORLOOP_BENCH_NOOP
VIEWER = OPERATIONS["Viewer"]
VIEWER_LEDGER = OPERATIONS["ViewerLedger"]
RECORD = OPERATIONS["RecordActivity"]
RECORD_BATCH = OPERATIONS["RecordActivities"]
REDEEM = OPERATIONS["RedeemReward"]
REGISTER = OPERATIONS["RegisterMember"]
ADJUST = OPERATIONS["AdjustPoints"]


def global_id(kind: str, raw: str) -> str:
    return base64.b64encode(f"{kind}:{raw}".encode()).decode()


def bench_economy_text() -> str:
    return SAMPLE_ECONOMY.read_text(encoding="utf-8") + BENCH_REWARDS + BENCH_RULE


def token(subject: str, role: Role) -> str:
    return mint_token(SECRET, subject, role, timedelta(hours=6), datetime.now(UTC))


# --- a minimal HTTP/1.1 keep-alive client -------------------------------------------------


class HttpConnection:
    """One keep-alive connection; the server must answer with a Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, message: bytes) -> tuple[int, bytes]:
        self.writer.write(message)
        head = await self.reader.readuntil(b"\r\n\r\n")
        assert len(head) < response_head_max_bytes, "response head too large"
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        assert length is not None, "the bench client needs a Content-Length"
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def get_message(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def graphql_message(document: str, variables: dict[str, Any], bearer: str | None) -> bytes:
    body = orjson.dumps({"query": document, "variables": variables})
    auth = f"Authorization: Bearer {bearer}\r\n" if bearer else ""
    head = (
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{auth}Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


# --- the server under test ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_server(
    url: str, economy_path: Path, workers: int, log: Path
) -> Iterator[tuple[int, int]]:
    """The port and process id of a server started for the benchmark."""
    port = free_port()
    env = {**os.environ, "HONORLOOP_JWT_SECRET": SECRET, "HONORLOOP_BENCH_NOOP": "1"}
    command = [
        sys.executable,
        "-m",
        "honorloop",
        "serve",
        "--database-url",
        url,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--economy",
        str(economy_path),
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        wait_ready(port, server, log)
        yield port, server.pid
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def wait_ready(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + startup_timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(get_message("/healthz"))
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not start:\n{log.read_text()[-2000:]}")


# --- HTTP section (wrk) -------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    members: list[str]  # raw member ids
    member_tokens: list[str]
    service: str
    operator: str


async def setup_members(port: int, count: int, run: str) -> Pool:
    """Register `count` members and give each enough points to redeem all run long."""
    service, operator = token("bench", Role.SERVICE), token("ops", Role.OPERATOR)
    connection = await HttpConnection.open(port)
    members: list[str] = []
    try:
        for n in range(count):
            handle = f"b{run}_{n}"
            variables = {"input": {"handle": handle, "displayName": handle}}
            _, body = await connection.send(graphql_message(REGISTER, variables, service))
            answer = orjson.loads(body)["data"]["registerMember"]
            assert answer["__typename"] == "RegisterMemberPayload", answer
            member_gid = answer["member"]["id"]
            members.append(base64.b64decode(member_gid).decode().partition(":")[2])
            adjust = {
                "input": {
                    "memberId": member_gid,
                    "amount": points_given,
                    "reason": "benchmark",
                    "idempotencyKey": f"give-{run}-{n}",
                }
            }
            _, body = await connection.send(graphql_message(ADJUST, adjust, operator))
            assert b"AdjustPointsPayload" in body, body
    finally:
        await connection.close()
    return Pool(members, [token(m, Role.MEMBER) for m in members], service, operator)


def activity_input(pool: Pool, n: int, tag: str) -> dict[str, Any]:
    """Activity n: member n mod M, dated now, of the benchmark kind (limits never bite)."""
    count = len(pool.members)
    return {
        "memberId": global_id("Member", pool.members[n % count]),
        "kind": BENCH_KIND,
        "occurredAt": datetime.now(UTC).isoformat(),
        "idempotencyKey": f"{tag}-{n}",
        "subjectId": f"{tag}-{n}",
    }


def activity_template() -> str:
    """One activity of the wrk scripts: @MEMBER@ and @KEY@ change per request; dated when
    the scenario starts (well inside the late-arrival look-back)."""
    return orjson.dumps(
        {
            "memberId": "@MEMBER@",
            "kind": BENCH_KIND,
            "occurredAt": datetime.now(UTC).isoformat(),
            "idempotencyKey": "@KEY@",
            "subjectId": "@KEY@",
        }
    ).decode()


def graphql_load(
    document: str,
    *,
    item: str | None = None,
    items: int = 1,
    batch: bool = False,
    bearer: str | None = None,
    pool: Pool | None = None,
    members: int | None = None,
    accepted: tuple[str, ...] = (),
    item_typename: str | None = None,
) -> wrk.Load:
    """A POST of `document` whose variable `input` is `item` (or a list of `items` of it);
    `bearer` is a fixed token, or "@TOKEN@" for the token of the request's member."""
    query = '{"query":' + orjson.dumps(document).decode()
    headers = {"Content-Type": "application/json"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    chosen = pool.members[:members] if pool is not None else []
    tokens = pool.member_tokens[:members] if pool is not None else []
    if item is None:
        return wrk.Load(prefix=query + "}", headers=headers, accepted=accepted)
    opening, closing = ("[", "]") if batch else ("", "")
    return wrk.Load(
        prefix=query + ',"variables":{"input":' + opening,
        item=item,
        items=items,
        suffix=closing + "}}",
        headers=headers,
        members=[global_id("Member", m) for m in chosen],
        tokens=tokens,
        accepted=accepted,
        item_typename=item_typename,
    )


@dataclass(frozen=True)
class Scenario:
    key: str  # for --scenario
    name: str
    load: wrk.Load
    unit: str = "req"  # what one item is (activities, attempts)
    items_per_request: int = 1


@dataclass
class Figure:
    """One measured scenario, its ratio to the ceiling of the same run."""

    name: str
    unit: str
    items_per_request: int
    run: wrk.Run
    ratio: float
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        r = self.run
        return {
            "scenario": self.name,
            "requests": r.requests,
            "failures": r.failures,
            "seconds": round(r.elapsed_s, 3),
            "req_per_s": round(r.rate, 1),
            "unit": self.unit,
            "items_per_s": round(r.rate * self.items_per_request, 1),
            "p50_ms": round(r.latency_ms["50"], 2),
            "p95_ms": round(r.latency_ms["95"], 2),
            "p99_ms": round(r.latency_ms["99"], 2),
            "ratio_to_ceiling": round(self.ratio, 3),
            "client_cpu_cores": round(r.client_cores, 3),
            "server_cpu_cores": round(r.server_cores, 3),
            "server_cpu_ms_per_request": round(r.server_cpu_ms_per_request, 3),
            "typenames": r.typenames,
            "first_failure": r.first_failure or None,
            **self.extra,
        }


@dataclass(frozen=True)
class Bench:
    """What every wrk run of one database shares."""

    wrk_path: str
    port: int
    server_pid: int
    connections: int
    threads: int
    seconds: float
    run: str

    def measure(self, load: wrk.Load, tag: str, connections: int | None = None) -> wrk.Run:
        """A warm-up (discarded), then the measured run; keys differ between the two."""
        conns = connections or self.connections
        warm = min(2.0, self.seconds / 2)
        wrk.run(
            self.wrk_path, self.port, load, f"{self.run}{tag}w", connections=conns,
            seconds=warm, threads=self.threads, server_pid=self.server_pid,
        )  # fmt: skip
        return self.once(load, f"{tag}m", self.seconds, conns)

    def once(self, load: wrk.Load, tag: str, seconds: float, connections: int) -> wrk.Run:
        return wrk.run(
            self.wrk_path, self.port, load, f"{self.run}{tag}", connections=connections,
            seconds=seconds, threads=self.threads, server_pid=self.server_pid,
        )  # fmt: skip


def saturation_scenarios(pool: Pool, batch: int) -> list[Scenario]:
    activity = activity_template()
    members = len(pool.members)
    record = graphql_load(
        RECORD, item=activity, bearer=pool.service, pool=pool, members=members,
        accepted=("RecordActivityPayload",),
    )  # fmt: skip
    record_batch = graphql_load(
        RECORD_BATCH, item=activity, items=batch, batch=True, bearer=pool.service, pool=pool,
        members=members, accepted=("RecordActivitiesPayload",),
        item_typename="RecordActivityPayload",
    )  # fmt: skip
    return [
        Scenario("noop", CEILING, graphql_load(NOOP)),
        Scenario("healthz", "/healthz", wrk.Load(prefix="", method="GET", path="/healthz")),
        Scenario("trivial", "trivial query { economy { id } }", graphql_load(TRIVIAL)),
        Scenario("record", "recordActivity", record, "activities"),
        Scenario("batch", f"recordActivities (x{batch})", record_batch, "activities", batch),
        Scenario("viewer", "viewer (level, honors, 20 ledger entries)", viewer_load(pool)),
    ]


def viewer_load(pool: Pool) -> wrk.Load:
    """The viewer query as each member in turn (their own bearer token)."""
    query = '{"query":' + orjson.dumps(VIEWER_LEDGER).decode() + "}"
    return wrk.Load(
        prefix="",
        item=query,
        headers={"Content-Type": "application/json", "Authorization": "Bearer @TOKEN@"},
        members=[global_id("Member", m) for m in pool.members],
        tokens=pool.member_tokens,
    )


class Restocker:
    """Puts `scarce_restock` back on the scarce reward whenever it runs out, through the
    domain service on a store of its own, while the members fight over it."""

    def __init__(self, url: str, economy: Economy) -> None:
        self.store = SqlStore(url)
        self.economy = economy
        self.restocked = 0
        self.restocks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="restocker", daemon=True)

    def __enter__(self) -> Restocker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.store.dispose()

    def remaining(self) -> int:
        with self.store() as uow:
            left = uow.stock.remaining(BENCH_SCARCE)
        assert left is not None
        return left

    def _loop(self) -> None:
        while not self._stop.wait(restock_poll_s):
            if self.remaining() == 0:
                cmd = Restock(BENCH_SCARCE, scarce_restock, "bench", datetime.now(UTC))
                services.restock(cmd, self.store(), self.economy)
                self.restocked += scarce_restock
                self.restocks += 1


def scarce_stock_state(url: str) -> tuple[int, int]:
    """(units held by redemptions that were not cancelled, units left) of the scarce
    reward, read in one statement: one snapshot of both."""
    engine = make_engine(url)
    mark = "?" if is_sqlite(engine) else "%s"
    sql = (
        "SELECT (SELECT COALESCE(SUM(quantity), 0) FROM redemptions"
        f" WHERE reward_id = {mark} AND status <> {mark}),"
        f" (SELECT remaining FROM stock WHERE reward_id = {mark})"
    )
    try:
        with engine.connect() as connection:
            row = connection.exec_driver_sql(
                sql, (BENCH_SCARCE, RedemptionStatus.CANCELLED.value, BENCH_SCARCE)
            ).one()
        return int(row[0]), int(row[1])
    finally:
        engine.dispose()


def contention(bench: Bench, pool: Pool, url: str, economy: Economy, ceiling: float) -> Figure:
    """`contenders` members redeem a reward of stock 10, restocked by 10 whenever it runs
    out; afterwards the database must hold exactly the stock handed out (never oversold)."""
    contenders = min(contenders_max, len(pool.members))
    load = graphql_load(
        REDEEM, item=orjson.dumps({"rewardId": global_id("Reward", BENCH_SCARCE),
                                   "idempotencyKey": "@KEY@"}).decode(),
        bearer="@TOKEN@", pool=pool, members=contenders,
        accepted=("RedeemRewardPayload", "OutOfStock"),
    )  # fmt: skip
    with Restocker(url, economy) as restocker:
        warm = bench.once(load, "xw", min(2.0, bench.seconds / 2), bench.connections)
        run = bench.once(load, "xm", bench.seconds, bench.connections)
        wrk.settle(bench.server_pid)  # what wrk stopped waiting for is still being served
    redeemed, remaining = scarce_stock_state(url)
    granted = scarce_stock + restocker.restocked
    won = warm.typenames.get("RedeemRewardPayload", 0) + run.typenames.get("RedeemRewardPayload", 0)
    extra = {
        "contenders": contenders,
        "stock": scarce_stock,
        "restocks": restocker.restocks,
        "units_granted": granted,
        "units_redeemed": redeemed,
        "stock_remaining": remaining,
        "successes_answered": won,
        # wrk does not count what it stopped waiting for at its deadline, the database does
        "oversold": redeemed > granted or redeemed + remaining != granted,
    }
    name = f"redeemReward ({contenders} members, stock {scarce_stock}, restocked)"
    return Figure(name, "attempts", 1, run, run.rate / ceiling if ceiling else 0.0, extra)


def half_saturation(bench: Bench, load: wrk.Load, saturated: float, ceiling: float) -> Figure:
    """p99 of recordActivity at half the rate it saturated at. wrk has no fixed-rate mode
    (wrk2's): each connection waits an exponential time (mean `pace`) before each request,
    which spreads arrivals like an open load of that rate. A calibration run measures the
    mean latency at that pace, so the measured run's pace makes the rate about half."""
    target = saturated / 2
    connections = bench.connections
    period_ms = connections * 1000 / target if target else 1000.0
    calibration = bench.once(
        dataclasses.replace(load, pace_ms=period_ms), "hc", max(1.0, bench.seconds / 3),
        connections,
    )  # fmt: skip
    pace = max(0.0, period_ms - calibration.latency_ms["mean"])
    run = bench.once(dataclasses.replace(load, pace_ms=pace), "hm", bench.seconds, connections)
    extra = {
        "target_req_per_s": round(target, 1),
        "achieved_fraction_of_saturation": round(run.rate / saturated, 3) if saturated else 0,
        "mean_wait_ms": round(pace, 2),
        "method": "closed loop, exponential waits per connection, calibrated to half the "
        "saturated rate",
    }
    ratio = run.rate / ceiling if ceiling else 0.0
    return Figure("recordActivity at half saturation", "activities", 1, run, ratio, extra)


def http_section(port: int, pid: int, url: str, economy: Economy, args: Any) -> list[Figure]:
    run = secrets.token_hex(3)
    pool = asyncio.run(setup_members(port, args.members, run))
    bench = Bench(args.wrk, port, pid, args.clients, args.wrk_threads, args.seconds, run)
    figures: list[Figure] = []
    ceiling = 0.0
    record_load: wrk.Load | None = None
    record_rate = 0.0
    chosen = set(args.scenario or SCENARIO_KEYS)
    if "half" in chosen:
        chosen.add("record")  # paced at half of its saturated rate
    for n, scenario in enumerate(saturation_scenarios(pool, args.batch)):
        if scenario.key not in chosen and scenario.name != CEILING:
            continue
        measured = bench.measure(scenario.load, f"s{n}")
        if scenario.name == CEILING:
            ceiling = measured.rate
        if scenario.key == "record":
            record_load, record_rate = scenario.load, measured.rate
        ratio = measured.rate / ceiling if ceiling else 0.0
        figures.append(Figure(scenario.name, scenario.unit, scenario.items_per_request,
                              measured, ratio))  # fmt: skip
    if "redeem" in chosen:
        figures.append(contention(bench, pool, url, economy, ceiling))
    if "half" in chosen:
        assert record_load is not None
        figures.append(half_saturation(bench, record_load, record_rate, ceiling))
    return figures


def print_http(title: str, figures: list[Figure]) -> None:
    print(f"\n{title}")
    print(
        f"  {'scenario':<46} {'requests':>8} {'fail':>5} {'req/s':>7} {'items/s':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'x ceiling':>9} {'wrk CPU':>7} "
        f"{'server CPU':>10} {'CPU ms/req':>10}"
    )
    for f in figures:
        r = f.run
        print(
            f"  {f.name:<46} {r.requests:>8} {r.failures:>5} {r.rate:>7.0f} "
            f"{r.rate * f.items_per_request:>8.0f} {r.latency_ms['50']:>7.1f} "
            f"{r.latency_ms['95']:>7.1f} {r.latency_ms['99']:>7.1f} {f.ratio:>9.3f} "
            f"{r.client_cores:>7.2f} {r.server_cores:>10.2f} {r.server_cpu_ms_per_request:>10.2f}"
        )
        if r.first_failure:
            print(f"      first failure: {r.first_failure[:300]}")
        if "oversold" in f.extra:
            e = f.extra
            print(
                f"      {e['successes_answered']} redemptions won, {e['restocks']} restocks: "
                f"{e['units_redeemed']} of {e['units_granted']} units redeemed, "
                f"{e['stock_remaining']} left: "
                + ("OVERSOLD" if e["oversold"] else "never oversold")
            )
        if "target_req_per_s" in f.extra:
            e = f.extra
            print(
                f"      target {e['target_req_per_s']:.0f} req/s (half of saturation), reached "
                f"{e['achieved_fraction_of_saturation']:.2f} of saturation "
                f"(mean wait {e['mean_wait_ms']:.1f} ms per connection)"
            )
    print(
        "  (wrk CPU, server CPU: cores busy on average during the run; CPU ms/req: the"
        " server's CPU per answered request, which other load on the machine moves less)"
    )


# --- in-process section -------------------------------------------------------------------


def timed(label: str, calls: int, call: Callable[[int], object]) -> tuple[str, float]:
    for n in range(min(20, calls)):
        call(-1 - n)  # warm-up (negative numbers: keys distinct from the measured calls)
    started = time.perf_counter()
    for n in range(calls):
        call(n)
    return label, calls / (time.perf_counter() - started)


async def timed_async(
    label: str, calls: int, call: Callable[[int], Awaitable[object]]
) -> tuple[str, float]:
    for n in range(min(20, calls)):
        await call(-1 - n)
    started = time.perf_counter()
    for n in range(calls):
        await call(n)
    return label, calls / (time.perf_counter() - started)


def in_process_section(
    url: str, economy: Economy, args: argparse.Namespace
) -> list[tuple[str, float]]:
    migrate(url)
    store = SqlStore(url)
    try:
        services.sync_rewards(store(), economy)
        at = datetime.now(UTC)
        members = []
        for n in range(args.members):
            member = services.register_member(
                RegisterMember(f"i{n}", "Bench", at), store(), economy
            )
            services.adjust_points(
                AdjustPoints(member.id, points_given, "benchmark", "ops", f"give-{n}", at),
                store(),
                economy,
            )
            members.append(member.id)
        return asyncio.run(_in_process(store, economy, members, args.calls))
    finally:
        store.dispose()


async def _in_process(
    store: SqlStore, economy: Economy, members: list[str], calls: int
) -> list[tuple[str, float]]:
    count = len(members)
    pool = Pool(members, [], "", "")

    def command(n: int, tag: str) -> RecordActivity:
        data = activity_input(pool, n + 1000, tag)
        return RecordActivity(
            members[(n + 1000) % count],
            data["kind"],
            datetime.fromisoformat(data["occurredAt"]),
            data["idempotencyKey"],
            data["subjectId"],
            at=datetime.now(UTC),
        )

    def record(n: int) -> object:
        return services.record_activity(command(n, "s"), store(), economy)

    def record_batch(n: int) -> object:
        batch = [command(n * batch_size + k, "sb") for k in range(batch_size)]
        return services.record_activities(batch, store(), economy)

    def redeem(n: int) -> object:
        cmd = RedeemReward(members[n % count], BENCH_REWARD, 1, f"sx-{n}", datetime.now(UTC))
        return services.redeem_reward(cmd, store(), economy)

    def viewer_read(n: int) -> object:
        return services.balances(members[n % count], store())

    figures = [
        timed("service record_activity", calls, record),
        timed(
            f"service record_activities (x{batch_size}), batches",
            calls // batch_size or 1,
            record_batch,
        ),
        timed("service redeem_reward", calls, redeem),
        timed("store read: member + balances", calls, viewer_read),
    ]
    settings = Settings(jwt_secret=SECRET, bench_noop=True)
    schema = build_schema(settings)
    guide = GuideIndex(build_guide(economy))
    runtime = Runtime(settings, economy, guide, store, Broker(), db_executor())
    service = Viewer("bench", Role.SERVICE)

    def context(viewer: Viewer | None) -> Context:
        return Context(runtime, Loaders.create(runtime), viewer=viewer)

    async def execute(document: str, variables: dict[str, Any], viewer: Viewer | None) -> None:
        result = await schema.execute(document, variables, context_value=context(viewer))
        assert not result.errors, result.errors

    def member_viewer(n: int) -> Viewer:
        return Viewer(members[n % count], Role.MEMBER)

    def gql_input(n: int, tag: str) -> dict[str, Any]:
        return activity_input(pool, n + 1000, tag)

    prepared = {d: prevalidated(schema, d) for d in (NOOP, TRIVIAL, VIEWER_LEDGER, RECORD)}

    async def core_execute(document: str, variables: dict[str, Any], viewer: Viewer | None) -> None:
        """graphql-core's `execute` of the same document, parsed and validated once: the
        same resolvers (strawberry's field extensions included) without strawberry's
        request pipeline (schema extensions, caches, result processing)."""
        result = graphql_execute(
            schema._schema, prepared[document], None, context(viewer), variables
        )
        if isawaitable(result):
            result = await result
        assert not result.errors, result.errors

    reward = global_id("Reward", BENCH_REWARD)

    def no_variables(n: int) -> dict[str, Any]:
        return {}

    def no_viewer(n: int) -> Viewer | None:
        return None

    def activity(n: int) -> dict[str, Any]:
        return {"input": gql_input(n, "c")}

    def as_service(n: int) -> Viewer | None:
        return service

    pairs: list[tuple[str, str, Variables, Who]] = [
        ("no-op mutation", NOOP, no_variables, no_viewer),
        ("trivial query", TRIVIAL, no_variables, no_viewer),
        ("viewer + 20 ledger entries", VIEWER_LEDGER, no_variables, member_viewer),
        ("recordActivity", RECORD, activity, as_service),
    ]

    def calls_of(
        document: str, variables: Variables, who: Who
    ) -> tuple[Callable[[int], Awaitable[None]], Callable[[int], Awaitable[None]]]:
        def strawberry_call(n: int) -> Awaitable[None]:
            return execute(document, variables(n), who(n))

        def core_call(n: int) -> Awaitable[None]:
            return core_execute(document, variables(-100_000 - n), who(n))  # other keys

        return strawberry_call, core_call

    for label, document, variables, who in pairs:
        strawberry_call, core_call = calls_of(document, variables, who)
        figures.append(await timed_async(f"schema.execute {label}", calls, strawberry_call))
        figures.append(
            await timed_async(f"graphql-core execute {label}, pre-validated", calls, core_call)
        )

    def redemption(n: int) -> dict[str, Any]:
        return {"input": {"rewardId": reward, "idempotencyKey": f"gn-{n}"}}

    for label, document, variables, who in [
        *pairs[2:],
        ("redeemReward", REDEEM, redemption, member_viewer),
    ]:
        figures += await against_noop(label, calls, execute, document, variables, who)
    figures += await group_commit_pairs(store, runtime, command, calls)
    figures += [
        await timed_async(
            f"schema.execute recordActivities (x{batch_size}), batches",
            calls // batch_size or 1,
            lambda n: execute(
                RECORD_BATCH,
                {"input": [gql_input(n * batch_size + k, "gb") for k in range(batch_size)]},
                service,
            ),
        ),
        await timed_async(
            "schema.execute redeemReward",
            calls,
            lambda n: execute(
                REDEEM,
                {"input": {"rewardId": reward, "idempotencyKey": f"gx-{n}"}},
                member_viewer(n),
            ),
        ),
    ]
    return figures


async def against_noop(
    label: str,
    calls: int,
    execute: Callable[[str, dict[str, Any], Viewer | None], Awaitable[None]],
    document: str,
    variables: Variables,
    who: Who,
) -> list[tuple[str, float]]:
    """`calls` of an operation and as many no-op mutations, in blocks of 10 in turn so
    that both see the same load: CPU per call of the process (all threads) and of the
    event-loop thread (what one worker's GIL serialises), each with its ratio to the
    no-op's (the no-op's CPU over the operation's: the in-process analogue of x ceiling)."""
    spent = {"op": [0.0, 0.0], "noop": [0.0, 0.0]}

    async def block(key: str, start: int) -> None:
        cpu, loop = time.process_time(), time.thread_time()
        for n in range(start, start + 10):
            if key == "op":
                await execute(document, variables(-200_000 - n), who(n))
            else:
                await execute(NOOP, {}, None)
        spent[key][0] += time.process_time() - cpu
        spent[key][1] += time.thread_time() - loop

    starts = range(0, max(calls, 10), 10)
    for start in starts:
        await block("noop", start)
        await block("op", start)
    calls = 10 * len(starts)
    (op_cpu, op_loop), (noop_cpu, noop_loop) = spent["op"], spent["noop"]
    return [
        (
            f"{label}, in turn with the no-op: calls per CPU s (x{noop_cpu / op_cpu:.3f})",
            calls / op_cpu,
        ),
        (f"  the same, event-loop thread only (x{noop_loop / op_loop:.3f})", calls / op_loop),
    ]


async def group_commit_pairs(
    store: SqlStore,
    runtime: Runtime,
    command: Callable[[int, str], RecordActivity],
    calls: int,
) -> list[tuple[str, float]]:
    """`calls` activities from `concurrent_callers` concurrent callers through the
    runtime, group commit off then on, three times in turn; the best of each, in
    activities/s and in this process' CPU per activity (which other load moves less)."""
    writers = group_writers(Settings(group_commit="on"), store.engine)
    rates: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    for turn in range(3):
        for grouped in (False, True):
            alone = dataclasses.replace(runtime, group_writers=writers if grouped else 0)
            numbers = iter(range(calls))
            tag = f"gc{turn}{int(grouped)}"

            async def caller(
                rt: Runtime = alone, tag: str = tag, numbers: Iterator[int] = numbers
            ) -> None:
                for n in numbers:
                    await rt.record_activity(command(n, tag))

            started, cpu_started = time.perf_counter(), time.process_time()
            await asyncio.gather(*(caller() for _ in range(concurrent_callers)))
            rates[grouped].append(calls / (time.perf_counter() - started))
            cpu[grouped].append((time.process_time() - cpu_started) / calls)
    figures = []
    for grouped in (False, True):
        label = "group commit" if grouped else "one transaction each"
        figures.append(
            (f"runtime.record_activity, {concurrent_callers} callers, {label}", max(rates[grouped]))
        )
        figures.append(
            ("  the same, activities per CPU second of this process", 1 / min(cpu[grouped]))
        )
    return figures


Variables = Callable[[int], dict[str, Any]]  # call number -> GraphQL variables
Who = Callable[[int], Viewer | None]  # call number -> the viewer


def prevalidated(schema: Any, document: str) -> DocumentNode:
    """`document` parsed and validated against `schema` once."""
    parsed = graphql_parse(document)
    errors = graphql_validate(schema._schema, parsed)
    assert not errors, errors
    return parsed


def print_in_process(title: str, figures: list[tuple[str, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'call (one at a time)':<62} {'calls/s':>9} {'µs/call':>9}")
    for label, rate in figures:
        print(f"  {label:<62} {rate:>9.0f} {1e6 / rate:>9.0f}")


# --- databases ----------------------------------------------------------------------------


@contextmanager
def sqlite_url(directory: Path, name: str) -> Iterator[str]:
    yield f"sqlite:///{directory / name}"


@contextmanager
def postgres_url(base: str) -> Iterator[str]:
    """A URL into a new PostgreSQL schema (via search_path), dropped afterwards."""
    schema = f"hl_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(
        make_url(base).set(drivername="postgresql+psycopg"), poolclass=sa.pool.NullPool
    )
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def run_database(
    label: str, open_url: Callable[[str], Any], directory: Path, args: argparse.Namespace
) -> dict[str, Any]:
    economy_path = directory / "bench_economy.toml"
    economy_path.write_text(bench_economy_text(), encoding="utf-8")
    economy = parse_economy(economy_path.read_text(encoding="utf-8"), str(economy_path))
    report: dict[str, Any] = {"database": label}
    if args.only in (None, "http"):
        load_before = os.getloadavg()[0]
        with open_url("http.db") as url:
            log = directory / f"server-{label}.log"
            with running_server(url, economy_path, args.workers, log) as (port, pid):
                figures = http_section(port, pid, url, economy, args)
        print_http(
            f"HTTP, {label}: {args.workers} worker(s), {args.clients} connections from wrk "
            f"({args.wrk_threads} thread(s)), {args.seconds:g} s per scenario after a warm-up, "
            f"load average {load_before:.2f} before and {os.getloadavg()[0]:.2f} after",
            figures,
        )
        report["http"] = {
            "workers": args.workers,
            "connections": args.clients,
            "wrk_threads": args.wrk_threads,
            "seconds_per_scenario": args.seconds,
            "load_average_before": round(load_before, 2),
            "load_average_after": round(os.getloadavg()[0], 2),
            "ceiling_req_per_s": round(figures[0].run.rate, 1),
            "scenarios": [f.as_json() for f in figures],
        }
    if args.only in (None, "inprocess"):
        with open_url("inprocess.db") as url:
            calls = in_process_section(url, economy, args)
        print_in_process(f"In-process, {label} (no HTTP)", calls)
        report["in_process"] = [
            {"call": name, "calls_per_s": round(rate, 1), "us_per_call": round(1e6 / rate, 1)}
            for name, rate in calls
        ]
    return report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_api", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", help=f"a PostgreSQL URL (default: ${POSTGRES_ENV})")
    parser.add_argument("--clients", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per scenario (10)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (1)")
    parser.add_argument("--members", type=int, default=200, help="members (200)")
    parser.add_argument(
        "--batch", type=int, default=batch_size, help=f"recordActivities batch ({batch_size})"
    )
    parser.add_argument("--calls", type=int, default=1000, help="in-process calls each (1000)")
    parser.add_argument("--only", choices=["http", "inprocess"], help="one section only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIO_KEYS,
        help="run only these (repeatable; the no-op ceiling always runs)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    args = parser.parse_args(argv)
    for name in ("clients", "wrk_threads", "seconds", "members", "batch", "calls", "workers"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.batch > batch_size_max:
        parser.error(f"--batch is at most {batch_size_max} (the API's limit)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.wrk = None
    if args.only in (None, "http"):
        try:
            args.wrk = wrk.require()
        except wrk.WrkMissing as missing:
            print(f"benchmarks.bench_api: {missing}", file=sys.stderr)
            return 2
    postgres = None if args.no_postgres else args.database_url or os.environ.get(POSTGRES_ENV)
    load_start = os.getloadavg()[0]
    print(f"benchmarks.bench_api: {os.cpu_count()} CPUs, load average {load_start:.2f} at start")
    report: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "load_average_start": round(load_start, 2),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "databases": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if not args.no_sqlite:
            opened = run_database(
                "SQLite", lambda name: sqlite_url(directory, name), directory, args
            )
            report["databases"].append(opened)
        if postgres:
            opened = run_database(
                "PostgreSQL", lambda name: postgres_url(postgres), directory, args
            )
            report["databases"].append(opened)
    report["load_average_end"] = round(os.getloadavg()[0], 2)
    print(f"\nload average {report['load_average_end']:.2f} at the end")
    if args.json is not None:
        args.json.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
