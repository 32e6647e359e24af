"""Benchmark: `record_activity` through the SQL store, one transaction per activity (the
API's hot path), on one thread or several. Prints figures; asserts nothing.

    python -m benchmarks.bench_store [--database URL] [--activities N] [--runs R]
                                            [--threads T] [--referrals] [--batch B]

--batch B records B activities per `record_activities` call (one transaction, as
`recordActivities` and group commit do), members in turn, instead of one per transaction.

--callgrind N counts instructions instead of seconds: it runs itself under valgrind's
callgrind (one Python; counters zeroed before and dumped after each part) on the API
benchmark's economy (`bench_api.bench_economy_text`), 20 members, after a warm-up, and
prints the instructions per call of N `services.record_activity`, N `redeem_reward` (of
an unlimited reward) and one `record_activities` of 100, all threads summed (on
PostgreSQL only the client's: the server is another process). `--keep DIR` keeps the
dumps there for `callgrind_annotate` (parts 1, 2, 3 in that order).

--referrals also runs every activity through an economy with a referral program, each
member an invitee inside the time limit (the reactor's worst case: its lookup on every
post), and prints its rate as a ratio to the plain economy's, measured in the same run.

Without --database it uses a fresh SQLite file in a temporary directory. For PostgreSQL
pass a URL; the benchmark works in a schema of its own and drops it afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from benchmarks.callgrind import callgrind, run_python, total
from domain import services
from domain.commands import AdjustPoints, RecordActivity, RedeemReward, RegisterMember
from domain.economy import Economy, parse_economy
from persistence.sql import SqlStore, migrate
from persistence.sql.engine import normalize_url
from tests.integration.checks import violations
from tests.integration.shop import DEFAULT_AT
from tests.unit.builders import economy_from

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 10
"""
)
REFERRAL_ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 10

[referrals]
qualifying_kinds = ["post"]
within_days = 30
referrer_points = 50
welcome_points = 10
"""
)
REFERRAL_KEY = b"bench-referral-key"
members_count = 100


def one_run(
    url: str, activities: int, threads: int = 1, economy: Economy = ECONOMY, batch: int = 1
) -> tuple[float, float]:
    """Activities per second (wall clock) and this process's CPU ms per activity. Thread t
    records the activities of members t, t + threads, ... so threads never share a member.
    Under a referral program every member is the invitee of one referrer."""
    migrate(url)
    store = SqlStore(url)
    try:
        code = None
        if economy.referrals is not None:
            referrer = RegisterMember("referrer", "Bench", DEFAULT_AT)
            found = services.register_member(referrer, store(), economy, REFERRAL_KEY)
            code = services.referral_code_of(store(), found.id, REFERRAL_KEY)
        members = [
            services.register_member(RegisterMember(f"b{i}", "Bench", DEFAULT_AT, None, code),
                                     store(), economy, REFERRAL_KEY).id
            for i in range(members_count)
        ]  # fmt: skip
        commands = [
            RecordActivity(members[i % members_count], "post",
                           DEFAULT_AT + timedelta(seconds=i), f"bench-{i}",
                           at=DEFAULT_AT + timedelta(seconds=i))
            for i in range(activities)
        ]  # fmt: skip

        def work(first: int) -> None:
            mine = commands[first::threads]
            if batch == 1:
                for cmd in mine:
                    services.record_activity(cmd, store(), economy)
                return
            for start in range(0, len(mine), batch):
                results = services.record_activities(mine[start : start + batch], store(), economy)
                assert all(isinstance(r, services.ActivityResult) for r in results)

        started, cpu_started = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(work, range(threads)))
        elapsed = time.perf_counter() - started
        cpu_ms = (time.process_time() - cpu_started) * 1000 / activities
        assert violations(store) == {}, "the benchmark broke the ledger"
    finally:
        store.dispose()
    return activities / elapsed, cpu_ms


def sqlite_run(
    activities: int, threads: int = 1, economy: Economy = ECONOMY, batch: int = 1
) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        return one_run(url, activities, threads, economy, batch)


def postgres_run(
    base: str, activities: int, threads: int = 1, economy: Economy = ECONOMY, batch: int = 1
) -> tuple[float, float]:
    schema = f"hl_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(normalize_url(base), poolclass=sa.pool.NullPool)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        url_text = url.render_as_string(hide_password=False)
        return one_run(url_text, activities, threads, economy, batch)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


CALLGRIND_PARTS = ("record_activity", "redeem_reward", "record_activities x100")
callgrind_members = 20
callgrind_warmup = 20
callgrind_batch = 100


def callgrind_workload(database: str | None, calls: int) -> None:
    """What the measured Python does: seed, warm up, then the three parts, each between a
    zero and a dump of callgrind's counters."""
    from benchmarks import bench_api

    economy = parse_economy(bench_api.bench_economy_text(), "bench.toml")
    with contextlib.ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        opened = bench_api.postgres_url(database) if database else None
        url = stack.enter_context(opened or bench_api.sqlite_url(directory, "store.db"))
        migrate(url)
        store = SqlStore(url)
        stack.callback(store.dispose)
        at = datetime.now(UTC)
        members = []
        for n in range(callgrind_members):
            cmd = RegisterMember(f"c{n}", "Bench", at)
            member = services.register_member(cmd, store(), economy)
            give = AdjustPoints(member.id, bench_api.points_given, "bench", "ops", f"g{n}", at)
            services.adjust_points(give, store(), economy)
            members.append(member.id)

        def activity(tag: str, n: int) -> RecordActivity:
            key = f"{tag}-{n}"
            member = members[n % callgrind_members]
            return RecordActivity(member, bench_api.BENCH_KIND, at, key, key, at=at)

        def redeem(tag: str, n: int) -> RedeemReward:
            member = members[n % callgrind_members]
            return RedeemReward(member, bench_api.BENCH_REWARD, 1, f"{tag}-{n}", at)

        def parts(tag: str, count: int, measured: bool) -> None:
            def part_done() -> None:
                if measured:
                    callgrind("--dump")
                    callgrind("--zero")

            for n in range(count):
                services.record_activity(activity(f"{tag}r", n), store(), economy)
            part_done()
            for n in range(count):
                services.redeem_reward(redeem(f"{tag}x", n), store(), economy)
            part_done()
            batch = [activity(f"{tag}b", n) for n in range(callgrind_batch)]
            results = services.record_activities(batch, store(), economy)
            assert all(isinstance(r, services.ActivityResult) for r in results)
            part_done()

        parts("w", callgrind_warmup, measured=False)  # caches, statements, the pool
        callgrind("--zero")
        parts("m", calls, measured=True)
        assert violations(store) == {}, "the benchmark broke the ledger"


def callgrind_report(database: str | None, calls: int, keep: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-store-ir-") as tmp:
        out_file = Path(tmp) / "callgrind.out"
        args = ["--callgrind-workload", str(calls)]
        if database:
            args += ["--database", database]
        run_python("benchmarks.bench_store", args, out_file)
        counts = [total(Path(f"{out_file}.{part}")) for part in (1, 2, 3)]
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            for part in (1, 2, 3):
                shutil.copy(f"{out_file}.{part}", Path(keep) / f"callgrind.out.{part}")
    kind = "postgresql (client side)" if database else "sqlite"
    print(f"callgrind, {kind}, bench_api's economy, {callgrind_members} members:")
    for name, count, per in zip(CALLGRIND_PARTS, counts, (calls, calls, 1), strict=True):
        print(f"  {name:<24} {count / per:>14,.0f} instructions per call ({per} calls)")
    print(f"  record_activities x100   {counts[2] / callgrind_batch:>14,.0f} per activity")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=None, help="postgresql://... (default: SQLite)")
    parser.add_argument("--activities", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--referrals", action="store_true", help="also under a referral program")
    parser.add_argument("--batch", type=int, default=1, help="activities per transaction")
    parser.add_argument("--callgrind", type=int, metavar="N", help="instructions of N calls")
    parser.add_argument("--keep", metavar="DIR", help="with --callgrind: keep the dumps there")
    parser.add_argument("--callgrind-workload", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.callgrind_workload:
        callgrind_workload(args.database, args.callgrind_workload)
        return
    if args.callgrind:
        callgrind_report(args.database, args.callgrind, args.keep)
        return
    results = []
    referred = []
    postgres = bool(args.database) and make_url(args.database).get_backend_name() != "sqlite"

    def run(economy: Economy) -> tuple[float, float]:
        if postgres:
            return postgres_run(args.database, args.activities, args.threads, economy, args.batch)
        return sqlite_run(args.activities, args.threads, economy, args.batch)

    for _ in range(args.runs):  # the two economies alternate, so drift hits both alike
        results.append(run(ECONOMY))
        if args.referrals:
            referred.append(run(REFERRAL_ECONOMY))
    kind = "postgresql" if args.database else "sqlite"
    rates = [rate for rate, _ in results]
    runs = ", ".join(f"{r:,.0f}" for r in rates)
    cpu = statistics.median(ms for _, ms in results)
    what = "record_activity" if args.batch == 1 else f"record_activities x{args.batch}"
    print(
        f"{what} on {kind}, {args.threads} thread(s), "
        f"{args.activities} activities x {args.runs} runs: "
        f"median {statistics.median(rates):,.0f} activities/s (runs: {runs}); "
        f"client CPU {cpu * 1000:.0f} us per activity"
    )
    if referred:
        rate = statistics.median(r for r, _ in referred)
        print(
            f"  with a referral program (every poster an invitee in the time limit): "
            f"median {rate:,.0f}/s, {rate / statistics.median(rates):.2f} x the plain "
            f"economy's; client CPU {statistics.median(ms for _, ms in referred):.2f} ms "
            "per activity"
        )


if __name__ == "__main__":
    main()
