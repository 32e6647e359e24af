"""`make bench-sim-instructions`: the simulator's cost in executed instructions, which a
shared, noisy machine does not blur the way it blurs seconds.

    python -m benchmarks.bench_sim_instructions [--members N] [--days D] [--seed S]

Runs three small fixed workloads, each in its own Python under
`valgrind --tool=callgrind`, and reads each total instruction count (Ir):

  setup     imports, the sample economy and the population parsed; nothing simulated.
  baseline  setup, then one SimPy process per member waking once a day doing no work
            (the `simpy-per-member` baseline of `make bench-sim`), same members x days.
  simulate  setup, then the simulation of the sample economy, members x days, one
            replication.

The setup count is subtracted from the other two. Printed: instructions per activity
and per member-day of the simulation, and the ratio of its per-member-day count to the
baseline's (measured in the same run, so the ratio holds across machines and builds).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

_TOTAL = re.compile(rb"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def _workload(kind: str, members: int, days: int, seed: int) -> None:
    """What one measured process does (`kind` is setup, baseline or simulate)."""
    from benchmarks.bench_sim import _prepared, simpy_per_member

    economy, population = _prepared()
    if kind == "baseline":
        simpy_per_member(members, days)
    elif kind == "simulate":
        from simulation.engine import Simulation
        from simulation.rng import replication_seeds, streams_for

        streams = streams_for(replication_seeds(seed, 1)[0])
        sim = Simulation(economy, population, streams, members=members, days=days, verify=False)
        run = sim.run()
        print(json.dumps({"activities": run.activities, "member_days": run.member_days}))


def _instructions(kind: str, members: int, days: int, seed: int, out_dir: Path) -> tuple[int, str]:
    out_file = out_dir / f"callgrind.{kind}"
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out_file}",
        sys.executable,
        "-m",
        "benchmarks.bench_sim_instructions",
        "--workload",
        kind,
        "--members",
        str(members),
        "--days",
        str(days),
        "--seed",
        str(seed),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same set and dict orders each run
    done = subprocess.run(command, capture_output=True, check=True, env=env)
    found = _TOTAL.search(out_file.read_bytes())
    if found is None:
        raise SystemExit(f"no instruction total in {out_file}")
    return int(found.group(1)), done.stdout.decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workload", choices=("setup", "baseline", "simulate"))
    args = parser.parse_args(argv)
    if args.workload is not None:
        _workload(args.workload, args.members, args.days, args.seed)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-sim-ir-") as tmp:
        counts: dict[str, int] = {}
        simulated = ""
        for kind in ("setup", "baseline", "simulate"):
            counts[kind], stdout = _instructions(
                kind, args.members, args.days, args.seed, Path(tmp)
            )
            if kind == "simulate":
                simulated = stdout
    run = json.loads(simulated.strip().splitlines()[-1])
    activities, member_days = int(run["activities"]), int(run["member_days"])
    sim_ir = counts["simulate"] - counts["setup"]
    base_ir = counts["baseline"] - counts["setup"]
    per_day = sim_ir / member_days
    base_per_day = base_ir / (args.members * args.days)
    print(f"callgrind, sample economy, {args.members} members x {args.days} days, seed {args.seed}")
    print(f"  setup               {counts['setup']:>16,} instructions (subtracted below)")
    print(f"  simulate            {sim_ir:>16,} instructions, {activities:,} activities")
    print(f"  per activity        {sim_ir / max(activities, 1):>16,.0f} instructions")
    print(f"  per member-day      {per_day:>16,.0f} instructions")
    print(f"  baseline per m-day  {base_per_day:>16,.0f} instructions (simpy-per-member)")
    print(f"  ratio to baseline   {per_day / max(base_per_day, 1):>16.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
