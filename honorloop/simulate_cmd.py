"""`honorloop simulate` and `honorloop sweep`: tune an economy on a synthetic community."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    sim = subparsers.add_parser(
        "simulate",
        help="run an economy over a synthetic population and write a report",
        description="Run ECONOMY over a synthetic member population through the same "
        "domain services the API runs; print a summary, write summary.json, "
        "daily_metrics.csv and report.html to --out, and check the designers' assertions.",
    )
    _common(sim)
    sim.add_argument(
        "--out",
        type=Path,
        default=Path("simulation-out"),
        help="directory for the outputs (default: ./simulation-out)",
    )
    _jobs(sim, "replications")
    sim.add_argument(
        "--event-log",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the first replication's event log (CSV, the columns calibrate reads)",
    )
    sim.set_defaults(handler=simulate)

    sweep = subparsers.add_parser(
        "sweep",
        help="run a grid of economy variants in parallel and compare them",
        description="Run every combination of the --set values (e.g. "
        "rules.post_with_photos.points=10,20,40) and write a comparison report.",
    )
    _common(sweep)
    sweep.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="PATH=V1,V2,...",
        help="a field of the economy (or population) and the values to try; repeat for a grid",
    )
    sweep.add_argument(
        "--out",
        type=Path,
        default=Path("sweep-out"),
        help="directory for the comparison (default: ./sweep-out)",
    )
    _jobs(sweep, "variants (and the baseline's replications)")
    sweep.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on this Dask scheduler (needs the 'dask' extra)",
    )
    sweep.set_defaults(handler=sweep_handler)

    compare = subparsers.add_parser(
        "compare",
        help="run several economies on the same population and compare them, paired",
        description="Run every ECONOMY on the same population with common random numbers "
        "(replication i of each draws from the same random streams) and write compare.html: "
        "each metric overlaid per economy, final-day differences against the first economy "
        "with paired 95%% intervals, and the assertions each passes; plus a report per economy.",
    )
    compare.add_argument(
        "economies", type=Path, nargs="+", metavar="ECONOMY", help="economy TOML files"
    )
    _options(compare)
    compare.add_argument(
        "--out",
        type=Path,
        default=Path("compare-out"),
        help="directory for the comparison (default: ./compare-out)",
    )
    _jobs(compare, "every economy's replications")
    compare.set_defaults(handler=compare_handler)


def _jobs(parser: argparse.ArgumentParser, what: str) -> None:
    try:
        from simulation.jobs import available_cores, jobs_argument
    except ModuleNotFoundError:  # the production image ships no simulator: nothing to run
        parser.add_argument("--jobs", type=int, default=1, metavar="N", help=argparse.SUPPRESS)
        return
    cores = available_cores()
    parser.add_argument(
        "--jobs",
        type=jobs_argument,
        default=cores,
        metavar="N",
        help=f"run {what} on N worker processes; the outputs are the same bytes whatever N "
        f"(default: the cores available, {cores} here)",
    )


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("economy", type=Path, metavar="ECONOMY", help="the economy TOML file")
    _options(parser)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--population",
        type=Path,
        default=None,
        help="population TOML (default: the shipped default population)",
    )
    parser.add_argument("--members", type=int, default=None, help="initial members")
    parser.add_argument("--days", type=int, default=None, help="days to simulate")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--replications", type=int, default=3, help="independent replications (default 3)"
    )
    parser.add_argument(
        "--no-assertions",
        action="store_true",
        help="ignore the population file's assertions",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="an assertion the run cannot decide (e.g. about a day it does not reach) fails",
    )


def simulate(args: argparse.Namespace) -> int:
    from honorloop.simulate_run import simulate as run

    return run(args)


def sweep_handler(args: argparse.Namespace) -> int:
    from honorloop.simulate_run import sweep_handler as run

    return run(args)


def compare_handler(args: argparse.Namespace) -> int:
    from honorloop.simulate_run import compare_handler as run

    return run(args)
