"""Benchmark: `record_activity` through the SQL store, one transaction per activity (the
API's hot path), on one thread or several. Prints figures; asserts nothing.

    python -m benchmarks.bench_store [--database URL] [--activities N] [--runs R]
                                            [--threads T] [--referrals] [--batch B]

--batch B records B activities per `record_activities` call (one transaction, as
`recordActivities` and group commit do), members in turn, instead of one per transaction.

--referrals also runs every activity through an economy with a referral program, each
member an invitee inside the time limit (the reactor's worst case: its lookup on every
post), and prints its rate as a ratio to the plain economy's, measured in the same run.

Without --database it uses a fresh SQLite file in a temporary directory. For PostgreSQL
pass a URL; the benchmark works in a schema of its own and drops it afterwards.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from domain import services
from domain.commands import RecordActivity, RegisterMember
from domain.economy import Economy
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=None, help="postgresql://... (default: SQLite)")
    parser.add_argument("--activities", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--referrals", action="store_true", help="also under a referral program")
    parser.add_argument("--batch", type=int, default=1, help="activities per transaction")
    args = parser.parse_args()
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
