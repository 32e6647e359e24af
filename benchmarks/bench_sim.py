"""`make bench-sim`: member-days per second of the sample economy at 100,000 members x
365 days (one replication, one process), with the baselines it compares against measured
in the same run. Prints figures; asserts nothing about speed.

    python -m benchmarks.bench_sim [--members N] [--days D] [--slice-members N] [--slice-days D]

Baselines (on a smaller slice, same seed):
  simpy-per-member  one SimPy process per member waking once a day, doing no work at all:
                    the ceiling of the design the harness avoids.
  deepcopy-store    the harness with the memory store loading members by copy.deepcopy
                    (the store before this work's optimisation).
  harness           the harness as shipped, on the same slice.
  services-only     time inside services.record_activities, per activity: the floor the
                    domain rules set, whatever the harness does around them.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import pstats
import resource
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import simpy

from domain import services
from domain.commands import RecordActivity
from domain.economy import Economy, parse_economy
from domain.errors import DomainError
from domain.model import Member
from domain.ports import UnitOfWork
from domain.services import ActivityResult
from persistence import memory
from simulation.engine import Run, Simulation
from simulation.invariants import ledger_problems
from simulation.population import Population, parse_population
from simulation.rng import replication_seeds, streams_for
from simulation.runner import DEFAULT_POPULATION

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_ECONOMY = ROOT / "economies" / "koc_community.toml"


@contextmanager
def _timed_services(acc: dict[str, float]) -> Iterator[None]:
    original = services.record_activities

    def timed(
        cmds: Sequence[RecordActivity], uow: UnitOfWork, economy: Economy
    ) -> list[ActivityResult | DomainError]:
        start = time.process_time()
        try:
            return original(cmds, uow, economy)
        finally:
            acc["services_s"] += time.process_time() - start

    services.record_activities = timed
    try:
        yield
    finally:
        services.record_activities = original


@contextmanager
def _deepcopy_store() -> Iterator[None]:
    original = memory.clone_member

    def deep(member: Member) -> Member:
        return copy.deepcopy(member)

    memory.clone_member = deep
    try:
        yield
    finally:
        memory.clone_member = original


def _prepared() -> tuple[Economy, Population]:
    """The sample economy and the default population, parsed."""
    economy = parse_economy(SAMPLE_ECONOMY.read_text(encoding="utf-8"), str(SAMPLE_ECONOMY))
    data = tomllib.loads(DEFAULT_POPULATION.read_text(encoding="utf-8"))
    return economy, parse_population(data, str(DEFAULT_POPULATION))


def _simulate(members: int, days: int, seed: int) -> tuple[Run, Simulation, float, float]:
    economy, population = _prepared()
    streams = streams_for(replication_seeds(seed, 1)[0])
    sim = Simulation(economy, population, streams, members=members, days=days, verify=False)
    wall, cpu = time.perf_counter(), time.process_time()
    run = sim.run()
    return run, sim, time.perf_counter() - wall, time.process_time() - cpu


def simpy_per_member(members: int, days: int) -> tuple[float, float]:
    """(member-days/s, events/s) of one SimPy process per member, each a daily timeout."""
    env = simpy.Environment()

    def member(env: simpy.Environment) -> Any:
        for _ in range(days):
            yield env.timeout(1)

    for _ in range(members):
        env.process(member(env))
    start = time.process_time()
    env.run()
    spent = time.process_time() - start
    return members * days / spent, members * (days + 1) / spent


PROFILED = (
    ("domain.services.record_activities", "services", "record_activities"),
    ("  honors.newly_reached (automatic honors)", "honors", "newly_reached"),
    ("  earning.evaluate (rules, limits, streaks)", "earning", "evaluate"),
    ("  commands.fingerprint (idempotency)", "commands", "fingerprint"),
    ("  earning.apply (counters)", "earning", "apply"),
    ("  memory: load member (copy)", "memory", "get_for_update"),
    ("  memory: post transfer", "memory", "post"),
    ("  memory: commit", "memory", "commit"),
    ("domain.services.review_member", "services", "review_member"),
    ("domain.services.register_member", "services", "register_member"),
    ("domain.services.redeem_reward", "services", "redeem_reward"),
)


def profile_shares(members: int, days: int, seed: int) -> list[tuple[str, float]]:
    """Cumulative time of the functions that matter, as shares of the whole run."""
    profiler = cProfile.Profile()
    profiler.enable()
    _simulate(members, days, seed)
    profiler.disable()
    stats = pstats.Stats(profiler)
    table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = max(
        sum(
            v[3]
            for (path, _, name), v in table.items()
            if (Path(path).stem, name) == ("engine", "run")
        ),
        1e-9,
    )  # Simulation.run spans the whole run
    out: list[tuple[str, float]] = []
    for label, module, function in PROFILED:
        cumulative = sum(
            v[3]
            for (path, _, name), v in table.items()
            if name == function and Path(path).stem == module
        )
        out.append((label, cumulative / total))
    return out


def _line(name: str, member_days: float, cpu: float, extra: str = "") -> None:
    print(f"  {name:<18} {member_days / cpu:>12,.0f} member-days/s (CPU)  {extra}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--slice-members", type=int, default=10_000)
    parser.add_argument("--slice-days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    print(f"Baselines on a slice of {args.slice_members} members x {args.slice_days} days:")
    md_s, ev_s = simpy_per_member(args.slice_members, args.slice_days)
    print(
        f"  {'simpy-per-member':<18} {md_s:>12,.0f} member-days/s (CPU)  "
        f"{ev_s:,.0f} SimPy events/s, no domain work at all"
    )
    with _deepcopy_store():
        run, _, _, cpu = _simulate(args.slice_members, args.slice_days, args.seed)
    _line("deepcopy-store", run.member_days, cpu, f"{run.activities} activities")
    acc = {"services_s": 0.0}
    with _timed_services(acc):
        run, _, _, cpu = _simulate(args.slice_members, args.slice_days, args.seed)
    _line("harness", run.member_days, cpu, f"{run.activities} activities")
    per_activity_us = acc["services_s"] / max(run.activities, 1) * 1e6
    print(
        f"  {'services-only':<18} {run.activities / acc['services_s']:>12,.0f} activities/s "
        f"({per_activity_us:.1f} us per activity inside record_activities, "
        f"{acc['services_s'] / cpu:.0%} of the harness's CPU)"
    )

    print("\nWhere the harness's time goes (cProfile, cumulative share, 2,000 x 20 slice):")
    for name, share in profile_shares(2_000, 20, args.seed):
        print(f"  {share:>6.1%}  {name}")

    print(f"\nSample economy, {args.members} members x {args.days} days, one replication:")
    run, sim, wall, cpu = _simulate(args.members, args.days, args.seed)
    density = run.activities / run.member_days
    print(
        f"  member-days        {run.member_days:,} ({run.activities:,} activities, "
        f"{density:.3f} per member-day)"
    )
    print(f"  wall time          {wall:.1f} s -> {run.member_days / wall:,.0f} member-days/s")
    print(
        f"  CPU time           {cpu:.1f} s -> {run.member_days / cpu:,.0f} member-days/s "
        f"(target 600,000)"
    )
    print(f"  activities/s (CPU) {run.activities / cpu:,.0f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"  peak RSS           {peak_mb:,.0f} MB (target 2,048 at 100,000 x 365)")
    start = time.process_time()
    problems = ledger_problems(sim.store.state)
    sim.check()
    print(
        f"  ledger check       {time.process_time() - start:.1f} s CPU (not counted above), "
        f"{problems or 'OK'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
