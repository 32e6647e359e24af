"""Benchmark of the API's ledger hot path, over HTTP and in-process. Prints figures;
asserts nothing (a response with `errors` or an unexpected `__typename` is counted as a
failure and shown).

    python -m benchmarks.bench_api [--database-url URL] [--clients N] [--requests N] [--seconds S]
                        [--workers W] [--members M] [--calls N] [--only http|inprocess]

For each database (a fresh SQLite file always; PostgreSQL when `--database-url` or
HONORLOOP_TEST_POSTGRES_URL names one, in a schema of its own dropped afterwards):

- HTTP: starts `honorloop serve` on a free loopback port and drives it with `--clients`
  concurrent keep-alive connections (a minimal HTTP/1.1 client on asyncio streams, so the
  client costs little CPU next to the server on the same machine). Each scenario runs for
  at most `--requests` requests or `--seconds` seconds, after a short warm-up, and prints
  req/s, p50/p99 latency and the ratio to the same run's no-op mutation (the ceiling: the
  server runs with HONORLOOP_BENCH_NOOP, which adds a mutation `benchNoop` doing nothing).
- In-process: the domain service alone on the SQL store, and `schema.execute` alone with
  the same GraphQL documents (no HTTP), one call at a time, so the report shows where the
  time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api.auth import Role, Viewer, mint_token
from api.context import Context
from api.economy_types import GuideIndex
from api.events import Broker
from api.loaders import Loaders
from api.runtime import Runtime, db_executor
from api.schema import build_schema
from api.settings import Settings
from domain import services
from domain.commands import AdjustPoints, RecordActivity, RedeemReward, RegisterMember
from domain.economy import Economy, parse_economy
from domain.guide import build_guide
from loadtests.operations import OPERATIONS
from persistence.sql import SqlStore, migrate

POSTGRES_ENV = "HONORLOOP_TEST_POSTGRES_URL"
SAMPLE_ECONOMY = Path(__file__).resolve().parents[1] / "economies" / "koc_community.toml"
SECRET = "bench-secret-" + "x" * 40
BENCH_REWARD = "bench_unlimited"
BENCH_REWARDS = f"""
[rewards.{BENCH_REWARD}]
title = "Benchmark reward"
tier = "merch"
price = 1
stock = "unlimited"
fulfilment = "shipping"
"""
batch_size = 20
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


# --- scenarios ----------------------------------------------------------------------------

Check = Callable[[int, bytes], str | None]  # status, body -> a failure reason or None


def ok_status(status: int, body: bytes) -> str | None:
    return None if status == 200 else f"HTTP {status}: {body[:200]!r}"


def typename_is(operation: str, expected: str, items: bool = False) -> Check:
    """The response has no errors and `data.<operation>.__typename` is `expected` (or, with
    `items`, every `results[].__typename` is)."""

    def check(status: int, body: bytes) -> str | None:
        if status != 200:
            return f"HTTP {status}: {body[:200]!r}"
        answer = orjson.loads(body)
        if answer.get("errors"):
            return f"errors: {answer['errors']}"[:300]
        found = answer["data"][operation]
        names = [r["__typename"] for r in found["results"]] if items else [found["__typename"]]
        wrong = [n for n in names if n != expected]
        return f"unexpected __typename {wrong[0]}: {body[:300]!r}" if wrong else None

    return check


def no_errors(status: int, body: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    answer = orjson.loads(body)
    return f"errors: {answer['errors']}"[:300] if answer.get("errors") else None


@dataclass
class Scenario:
    name: str
    message: Callable[[int], bytes]  # request number -> the whole HTTP request
    check: Check
    items_per_request: int = 1
    unit: str = "req"


@dataclass
class Outcome:
    name: str
    requests: int
    failures: int
    elapsed_s: float
    latencies_ms: list[float]
    items_per_request: int
    first_failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return (self.requests - self.failures) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Numbers:
    """Request numbers shared by every client of a scenario; never reused in a run, so
    idempotency keys stay unique across warm-up and measurement."""

    def __init__(self) -> None:
        self._next = itertools.count()

    def __next__(self) -> int:
        return next(self._next)


async def drive(
    connections: list[HttpConnection],
    scenario: Scenario,
    numbers: Numbers,
    requests_max: int,
    seconds_max: float,
) -> Outcome:
    """Every connection sends requests back to back until the count or the time is up."""
    latencies: list[float] = []
    failures: list[str] = []
    sent = 0
    started = time.perf_counter()
    deadline = started + seconds_max

    async def client(connection: HttpConnection) -> None:
        nonlocal sent
        while sent < requests_max and time.perf_counter() < deadline:
            sent += 1
            message = scenario.message(next(numbers))
            before = time.perf_counter()
            status, body = await connection.send(message)
            latencies.append((time.perf_counter() - before) * 1000)
            reason = scenario.check(status, body)
            if reason is not None:
                failures.append(reason)

    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - started
    return Outcome(
        scenario.name,
        sent,
        len(failures),
        elapsed,
        latencies,
        scenario.items_per_request,
        failures[:failures_shown_max],
    )


# --- the server under test ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_server(url: str, economy_path: Path, workers: int, log: Path) -> Iterator[int]:
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
        yield port
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


# --- HTTP section -------------------------------------------------------------------------


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


def http_scenarios(pool: Pool, run: str) -> list[Scenario]:
    count = len(pool.members)
    reward = global_id("Reward", BENCH_REWARD)
    healthz = get_message("/healthz")
    trivial = graphql_message(TRIVIAL, {}, None)
    noop = graphql_message(NOOP, {}, None)

    def viewer(n: int) -> bytes:
        return graphql_message(VIEWER, {}, pool.member_tokens[n % count])

    def record(n: int) -> bytes:
        return graphql_message(RECORD, {"input": activity_input(pool, n, f"r{run}")}, pool.service)

    def record_batch(n: int) -> bytes:
        items = [activity_input(pool, n * batch_size + k, f"rb{run}") for k in range(batch_size)]
        return graphql_message(RECORD_BATCH, {"input": items}, pool.service)

    def redeem(n: int) -> bytes:
        variables = {"input": {"rewardId": reward, "idempotencyKey": f"x{run}-{n}"}}
        return graphql_message(REDEEM, variables, pool.member_tokens[n % count])

    return [
        Scenario("no-op mutation (ceiling)", lambda n: noop, no_errors),
        Scenario("/healthz", lambda n: healthz, ok_status),
        Scenario("trivial query { economy { id } }", lambda n: trivial, no_errors),
        Scenario("viewer", viewer, no_errors),
        Scenario("recordActivity", record, typename_is("recordActivity", "RecordActivityPayload")),
        Scenario(
            f"recordActivities (x{batch_size})",
            record_batch,
            typename_is("recordActivities", "RecordActivityPayload", items=True),
            items_per_request=batch_size,
            unit="act",
        ),
        Scenario("redeemReward", redeem, typename_is("redeemReward", "RedeemRewardPayload")),
    ]


async def http_section(port: int, args: argparse.Namespace) -> list[Outcome]:
    run = secrets.token_hex(3)
    pool = await setup_members(port, args.members, run)
    connections = [await HttpConnection.open(port) for _ in range(args.clients)]
    outcomes: list[Outcome] = []
    try:
        for scenario in http_scenarios(pool, run):
            numbers = Numbers()
            await drive(connections, scenario, numbers, args.clients * 4, 5.0)  # warm-up
            outcomes.append(
                await drive(connections, scenario, numbers, args.requests, args.seconds)
            )
    finally:
        for connection in connections:
            await connection.close()
    return outcomes


def print_http(title: str, outcomes: list[Outcome]) -> None:
    baseline = outcomes[0].rate if outcomes else 0.0
    print(f"\n{title}")
    print(
        f"  {'scenario':<34} {'requests':>8} {'fail':>5} {'req/s':>8} {'items/s':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'x no-op':>9}"
    )
    for o in outcomes:
        ratio = o.rate / baseline if baseline else 0.0
        print(
            f"  {o.name:<34} {o.requests:>8} {o.failures:>5} {o.rate:>8.0f} "
            f"{o.rate * o.items_per_request:>8.0f} {o.percentile(0.5):>7.1f} "
            f"{o.percentile(0.99):>7.1f} {ratio:>9.3f}"
        )
        for reason in o.first_failures:
            print(f"      failure: {reason}")


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
    settings = Settings(jwt_secret=SECRET)
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

    reward = global_id("Reward", BENCH_REWARD)
    figures += [
        await timed_async("graphql trivial", calls, lambda n: execute(TRIVIAL, {}, None)),
        await timed_async("graphql viewer", calls, lambda n: execute(VIEWER, {}, member_viewer(n))),
        await timed_async(
            "graphql recordActivity",
            calls,
            lambda n: execute(RECORD, {"input": gql_input(n, "g")}, service),
        ),
        await timed_async(
            f"graphql recordActivities (x{batch_size}), batches",
            calls // batch_size or 1,
            lambda n: execute(
                RECORD_BATCH,
                {"input": [gql_input(n * batch_size + k, "gb") for k in range(batch_size)]},
                service,
            ),
        ),
        await timed_async(
            "graphql redeemReward",
            calls,
            lambda n: execute(
                REDEEM,
                {"input": {"rewardId": reward, "idempotencyKey": f"gx-{n}"}},
                member_viewer(n),
            ),
        ),
    ]
    return figures


def print_in_process(title: str, figures: list[tuple[str, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'call (one at a time)':<46} {'calls/s':>9} {'µs/call':>9}")
    for label, rate in figures:
        print(f"  {label:<46} {rate:>9.0f} {1e6 / rate:>9.0f}")


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
) -> None:
    economy_path = directory / "bench_economy.toml"
    economy_path.write_text(bench_economy_text(), encoding="utf-8")
    economy = parse_economy(economy_path.read_text(encoding="utf-8"), str(economy_path))
    if args.only in (None, "http"):
        with open_url("http.db") as url:
            log = directory / f"server-{label}.log"
            with running_server(url, economy_path, args.workers, log) as port:
                outcomes = asyncio.run(http_section(port, args))
        print_http(
            f"HTTP, {label}: {args.workers} worker(s), {args.clients} concurrent connections, "
            f"at most {args.requests} requests or {args.seconds:g} s per scenario",
            outcomes,
        )
    if args.only in (None, "inprocess"):
        with open_url("inprocess.db") as url:
            figures = in_process_section(url, economy, args)
        print_in_process(f"In-process, {label} (no HTTP)", figures)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_api", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database-url", help=f"a PostgreSQL URL (default: ${POSTGRES_ENV})")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections (32)")
    parser.add_argument("--requests", type=int, default=3000, help="requests per scenario (3000)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per scenario (10)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (1)")
    parser.add_argument("--members", type=int, default=200, help="members (200)")
    parser.add_argument("--calls", type=int, default=1000, help="in-process calls each (1000)")
    parser.add_argument("--only", choices=["http", "inprocess"], help="one section only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args(argv)
    assert args.clients > 0, "--clients must be positive"
    assert args.requests > 0, "--requests must be positive"
    assert args.seconds > 0, "--seconds must be positive"
    assert args.members > 0, "--members must be positive"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    postgres = args.database_url or os.environ.get(POSTGRES_ENV) or None
    print(
        f"benchmarks.bench_api: {os.cpu_count()} CPUs,"
        f" load average {os.getloadavg()[0]:.2f} at start"
    )
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if not args.no_sqlite:
            run_database("SQLite", lambda name: sqlite_url(directory, name), directory, args)
        if postgres:
            run_database("PostgreSQL", lambda name: postgres_url(postgres), directory, args)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
