"""Benchmark: what spend-driven levels cost `record_activity`, on the in-memory store (the
domain's own cost, no database). Three cases, each the median of --runs runs, printed as
activities per second and as a ratio to the baseline measured in the same run:

- baseline: posts, on a ladder of points;
- posts on a ladder with spend criteria (an activity of another kind: should cost nothing);
- purchases on that ladder (each order counted toward spend, once).

    python -m benchmarks.bench_levels [--activities N] [--runs R]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from domain import services
from domain.commands import RecordActivity, RegisterMember
from domain.economy import Economy
from persistence.memory import MemoryStore
from tests.integration.shop import DEFAULT_AT
from tests.unit.builders import economy_from

RULES = """
[rules.post]
kind = "post"
points = 10

[rules.purchase]
kind = "purchase"
points = 0
per_unit = { attribute = "amount", size = 1000, points = 1 }
once_per_subject = true
"""
POINT_LADDER = """
[[levels]]
id = "member"
threshold = 0

[[levels]]
id = "regular"
threshold = 100000
keep = 100
"""
SPEND_LADDER = """
[[levels]]
id = "member"
threshold = 0

[[levels]]
id = "regular"
threshold = 100000
keep = 100

[[levels]]
id = "gold"
threshold = 100000
spend_min = 100000000
purchases_min = 3
"""
members_count = 100


def one_run(economy: Economy, kind: str, activities: int) -> float:
    """Activities per second recording `activities` of `kind` for 100 members."""
    store = MemoryStore()
    members = [
        services.register_member(RegisterMember(f"b{i}", "Bench", DEFAULT_AT), store(), economy).id
        for i in range(members_count)
    ]
    attributes = {"amount": 12_345} if kind == "purchase" else {}
    commands = [
        RecordActivity(members[i % members_count], kind, DEFAULT_AT + timedelta(seconds=i),
                       f"bench-{i}", f"order-{i}", dict(attributes),
                       at=DEFAULT_AT + timedelta(seconds=i))
        for i in range(activities)
    ]  # fmt: skip
    started = time.perf_counter()
    for cmd in commands:
        services.record_activity(cmd, store(), economy)
    return activities / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    points = economy_from(RULES, levels=POINT_LADDER)
    spend = economy_from(RULES, levels=SPEND_LADDER)
    cases = [
        ("posts, ladder of points (baseline)", points, "post"),
        ("posts, ladder with spend criteria", spend, "post"),
        ("purchases, ladder with spend criteria", spend, "purchase"),
    ]
    results: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _ in range(args.runs):  # interleaved, so drift hits every case alike
        for name, economy, kind in cases:
            results[name].append(one_run(economy, kind, args.activities))
    baseline = statistics.median(results[cases[0][0]])
    print(f"record_activity on the memory store, {args.activities} activities, "
          f"median of {args.runs} runs")  # fmt: skip
    for name, _, _ in cases:
        rate = statistics.median(results[name])
        print(f"  {name:<40} {rate:>9,.0f} /s   {rate / baseline:5.2f}x baseline")


if __name__ == "__main__":
    main()
