"""Benchmark: the CPU of the benchmark's viewer query (`ViewerLedger`: points, level, two
honors, the last 20 ledger entries) in-process on SQLite, through a schema with the lean
read path (`api.lean_reads`) and one without (`build_schema(..., lean=False)`), the
no-op mutation and `recordActivity` (as a service, group commit off), in blocks of 20
calls in turn so that all four see the same load.

    python -m benchmarks.bench_viewer [--members M] [--rounds R] [--database-url URL]
    valgrind --tool=callgrind --separate-threads=yes [--instr-atstart=no] \
        python -m benchmarks.bench_viewer --callgrind N

With `--callgrind N` (under valgrind's callgrind) it instead runs N viewer calls through
the schema as built by default after a warm-up, with callgrind's counters zeroed before
and dumped after (`callgrind_control`), so that dump (part 1) holds the N calls only: the
instructions per call, which the machine's load does not move. Then the same for N no-op
mutations (part 2) and N `recordActivity` (part 3, as a service, group commit off), so
the request pipeline every operation pays is counted too. With `--instr-atstart=no` the
seeding runs uninstrumented (several times faster); instrumentation is switched on before
the warm-up.

On SQLite (a fresh file), or on PostgreSQL when `--database-url` names one (a schema of
its own, dropped afterwards).

Prints, for each, CPU per call of the process (all threads: the database thread's read
too) and of the event-loop thread (what one worker's GIL serialises), and the ratio to the
no-op's (the in-process analogue of "x ceiling"). Run from another tree
(`PYTHONPATH=/tmp/base python -m benchmarks.bench_viewer` with this file copied) to
compare commits: where that tree has no lean read path both schemas answer its way.
Asserts nothing but that every answer is error-free.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import strawberry

from api.auth import Role, Viewer
from api.context import Context
from api.economy_types import GuideIndex
from api.events import Broker
from api.loaders import Loaders
from api.runtime import Runtime, db_executor
from api.schema import build_schema
from api.settings import Settings
from benchmarks.bench_api import (
    BENCH_KIND,
    NOOP,
    RECORD,
    SECRET,
    VIEWER_LEDGER,
    bench_economy_text,
    global_id,
    postgres_url,
    sqlite_url,
)
from benchmarks.callgrind import callgrind
from domain import services
from domain.commands import AdjustPoints, GrantHonor, RecordActivity, RegisterMember
from domain.economy import parse_economy
from domain.guide import build_guide
from persistence.sql import SqlStore, migrate

entries_per_member = 25  # activities recorded per member, besides its opening adjustment
block_calls = 20  # calls of one kind before switching to the next


def seed(store: SqlStore, members: int, economy: Any) -> list[str]:
    at = datetime.now(UTC)
    ids = []
    for n in range(members):
        member = services.register_member(RegisterMember(f"v{n}", "Bench", at), store(), economy)
        give = AdjustPoints(member.id, 1_000_000, "benchmark", "ops", f"give-{n}", at)
        services.adjust_points(give, store(), economy)
        for k in range(entries_per_member):
            key = f"a{n}-{k}"
            cmd = RecordActivity(member.id, BENCH_KIND, at, key, key, at=at)
            services.record_activity(cmd, store(), economy)
        for honor in ("honorary_moderator", "mentor"):
            grant = GrantHonor(member.id, honor, "benchmark", "ops", at)
            services.grant_honor(grant, store(), economy)
        ids.append(member.id)
    return ids


def record_variables(members: list[str], n: int, at: datetime, tag: str) -> dict[str, Any]:
    """recordActivity's variables for call n: member n mod M, one date for every call (the
    same instructions run after run), a key of its own."""
    return {
        "input": {
            "memberId": global_id("Member", members[n % len(members)]),
            "kind": BENCH_KIND,
            "occurredAt": at.isoformat(),
            "idempotencyKey": f"{tag}-{n}",
            "subjectId": f"{tag}-{n}",
        }
    }


async def instructions(runtime: Runtime, members: list[str], calls: int) -> None:
    """Callgrind parts: 1 the viewer (as a member), 2 the no-op mutation, 3 recordActivity
    (as a service, group commit off), `calls` each after 30 of warm-up."""
    callgrind("--instr=on")  # for `--instr-atstart=no`: the seeding ran uninstrumented
    schema = build_schema(runtime.settings)
    at = datetime.now(UTC)
    service = Viewer("bench", Role.SERVICE)

    def operation(part: str, n: int) -> tuple[str, dict[str, Any], Viewer | None]:
        if part == "viewer":
            return VIEWER_LEDGER, {}, Viewer(members[n % len(members)], Role.MEMBER)
        if part == "noop":
            return NOOP, {}, None
        return RECORD, record_variables(members, n, at, "cg"), service

    async def call(part: str, n: int) -> None:
        document, variables, viewer = operation(part, n)
        context = Context(runtime, Loaders.create(runtime), viewer=viewer)
        result = await schema.execute(document, variables, context_value=context)
        assert not result.errors, result.errors
        if part == "record":
            assert result.data is not None
            answer = result.data["recordActivity"]
            assert answer["__typename"] == "RecordActivityPayload", answer

    for number, part in enumerate(("viewer", "noop", "record"), start=1):
        for n in range(30):  # warm-up: caches, plans, the connection pool
            await call(part, -1 - n)
        callgrind("--zero")
        for n in range(calls):
            await call(part, n)
        callgrind(f"--dump={part}")
        print(f"{calls} {part} calls dumped (callgrind part {number})")


async def measure(runtime: Runtime, members: list[str], rounds: int) -> dict[str, list[float]]:
    settings = runtime.settings
    schemas: dict[str, strawberry.Schema] = {
        "lean": build_schema(settings),
        "plain": build_schema(settings, lean=False),
    }

    at = datetime.now(UTC)
    service = Viewer("bench", Role.SERVICE)

    async def call(kind: str, n: int) -> None:
        variables: dict[str, Any] = {}
        if kind == "no-op":
            schema, document, viewer = schemas["lean"], NOOP, None
        elif kind == "record":
            schema, document, viewer = schemas["lean"], RECORD, service
            variables = record_variables(members, n, at, f"cpu{rounds}")
        else:
            schema, document = schemas[kind], VIEWER_LEDGER
            viewer = Viewer(members[n % len(members)], Role.MEMBER)
        context = Context(runtime, Loaders.create(runtime), viewer=viewer)
        result = await schema.execute(document, variables, context_value=context)
        assert not result.errors, result.errors

    kinds = ("no-op", "plain", "lean", "record")
    for kind in kinds:  # warm-up: caches, plans, the connection pool
        for n in range(block_calls):
            await call(kind, -1 - n)
    spent = {kind: [0.0, 0.0] for kind in kinds}  # process CPU, event-loop thread CPU
    for round_ in range(rounds):
        for kind in kinds:
            process, thread = time.process_time(), time.thread_time()
            for n in range(block_calls):
                await call(kind, round_ * block_calls + n)
            spent[kind][0] += time.process_time() - process
            spent[kind][1] += time.thread_time() - thread
    return spent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20, help="members (20)")
    parser.add_argument("--rounds", type=int, default=40, help="blocks of each kind (40)")
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--callgrind", type=int, metavar="N", help="N calls for callgrind")
    args = parser.parse_args(argv)
    economy = parse_economy(bench_economy_text(), "bench.toml")
    with contextlib.ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        opened = postgres_url(args.database_url) if args.database_url else None
        url = stack.enter_context(opened or sqlite_url(directory, "viewer.db"))
        print("PostgreSQL" if opened else "SQLite")
        migrate(url)
        store = SqlStore(url)
        executor = db_executor()
        try:
            members = seed(store, args.members, economy)
            settings = Settings(jwt_secret=SECRET, bench_noop=True)
            guide = GuideIndex(build_guide(economy))
            runtime = Runtime(settings, economy, guide, store, Broker(), executor)
            if args.callgrind:
                asyncio.run(instructions(runtime, members, args.callgrind))
                return
            spent = asyncio.run(measure(runtime, members, args.rounds))
        finally:
            executor.shutdown(wait=True)
            store.dispose()
    calls = args.rounds * block_calls
    noop_process, noop_thread = spent["no-op"]
    print(f"{'per call, µs CPU':<32} {'process':>9} {'x no-op':>8} {'loop':>9} {'x no-op':>8}")
    for kind, label in (
        ("no-op", "no-op mutation"),
        ("plain", "viewer, without the lean path"),
        ("lean", "viewer, lean read path"),
        ("record", "recordActivity (as a service)"),
    ):
        process, thread = spent[kind]
        print(
            f"{label:<32} {process / calls * 1e6:>9.0f} {noop_process / process:>8.3f}"
            f" {thread / calls * 1e6:>9.0f} {noop_thread / thread:>8.3f}"
        )
    lean, plain = spent["lean"], spent["plain"]
    ratios = f"process {lean[0] / plain[0]:.3f}, event-loop thread {lean[1] / plain[1]:.3f}"
    print(f"lean / plain: {ratios}")


if __name__ == "__main__":
    main()
