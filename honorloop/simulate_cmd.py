"""`honorloop simulate` and `honorloop sweep`: tune an economy on a synthetic community."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the simulator (numpy, SimPy) is imported by the handlers that run it
    from simulation.runner import Experiment

EXIT_ASSERTIONS_FAILED = 1
EXIT_INVALID = 2


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
    sim.add_argument(
        "--jobs", type=int, default=1, help="run replications in this many processes (default 1)"
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
    sweep.add_argument("--jobs", type=int, default=2, help="local worker processes (default 2)")
    sweep.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on this Dask scheduler (needs the 'dask' extra)",
    )
    sweep.set_defaults(handler=sweep_handler)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("economy", type=Path, metavar="ECONOMY", help="the economy TOML file")
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


def _experiment(args: argparse.Namespace) -> Experiment:
    from simulation.runner import (
        Experiment,
        load_population,
    )
    from simulation.sweep import SweepInvalid

    if args.replications < 1:
        raise SweepInvalid("--replications must be at least 1")
    if args.members is not None and args.members < 1:
        raise SweepInvalid("--members must be at least 1")
    if args.days is not None and args.days < 1:
        raise SweepInvalid("--days must be at least 1")
    data, source = load_population(args.population)
    return Experiment(
        economy_text=args.economy.read_text(encoding="utf-8"),
        economy_source=str(args.economy),
        population_data=data,
        population_source=source,
        seed=args.seed,
        replications=args.replications,
        members=args.members,
        days=args.days,
    )


class _Bar:
    """A progress bar on stderr (replication, day)."""

    width = 30

    def __init__(self) -> None:
        self.last = -1

    def __call__(self, rep: int, reps: int, day: int, days: int) -> None:
        done = ((rep - 1) * days + day) / (reps * days)
        filled = int(done * self.width)
        percent = int(done * 100)
        if percent == self.last and day != days:
            return
        self.last = percent
        bar = "#" * filled + "-" * (self.width - filled)
        sys.stderr.write(f"\r[{bar}] {percent:3d}%  replication {rep}/{reps}, day {day}/{days}")
        if rep == reps and day == days:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _fail(message: str) -> int:
    print(f"honorloop: {message}", file=sys.stderr)
    return EXIT_INVALID


def simulate(args: argparse.Namespace) -> int:
    from domain.errors import EconomyInvalid
    from simulation.assertions import AssertionInvalid
    from simulation.population import PopulationInvalid
    from simulation.report import render
    from simulation.runner import (
        check_assertions,
        daily_bands,
        daily_csv,
        run_all,
        summarize,
        summary_table,
        to_json,
        validate,
    )
    from simulation.sweep import SweepInvalid

    try:
        experiment = _experiment(args)
        economy, population = validate(experiment)
        runs = run_all(experiment, progress=_Bar(), jobs=args.jobs)
        outcomes = check_assertions(runs, economy, population)
    except (EconomyInvalid, PopulationInvalid, AssertionInvalid, SweepInvalid, OSError) as error:
        return _fail(str(error))
    summary = summarize(experiment, runs, economy, population, outcomes)
    bands = daily_bands(runs)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(to_json(summary), encoding="utf-8")
    (out / "daily_metrics.csv").write_text(daily_csv(bands), encoding="utf-8")
    koc_ids = [t.id for t in economy.koc.tiers] if economy.koc else []
    page = render(
        summary,
        bands,
        [lv.id for lv in economy.levels],
        koc_ids,
        [t.id for t in economy.reward_tiers],
    )
    (out / "report.html").write_text(page, encoding="utf-8")
    print(summary_table(summary))
    print(f"\nwrote {out / 'report.html'}, {out / 'summary.json'}, {out / 'daily_metrics.csv'}")
    failed = [o for o in outcomes if not o.passed]
    for outcome in outcomes:
        mark = "pass" if outcome.passed else "FAIL"
        print(f"assertion {mark}: {outcome.text} — {outcome.detail}")
    if failed:
        print(f"{len(failed)} assertion(s) failed", file=sys.stderr)
        return EXIT_ASSERTIONS_FAILED
    return 0


def sweep_handler(args: argparse.Namespace) -> int:
    from domain.errors import EconomyInvalid
    from simulation.assertions import AssertionInvalid
    from simulation.population import PopulationInvalid
    from simulation.report import render_sweep
    from simulation.runner import (
        to_json,
    )
    from simulation.sweep import SweepInvalid, comparison_csv, parse_setting, run_sweep, variants

    try:
        if not args.settings:
            raise SweepInvalid("give at least one --set PATH=V1,V2,...")
        experiment = _experiment(args)
        settings = [parse_setting(text) for text in args.settings]
        grid = variants(experiment, settings)

        def progress(done: int, total: int) -> None:
            sys.stderr.write(f"\rvariants done: {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

        rows = run_sweep(grid, jobs=args.jobs, scheduler=args.scheduler, progress=progress)
    except (EconomyInvalid, PopulationInvalid, AssertionInvalid, SweepInvalid, OSError) as error:
        return _fail(str(error))
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.csv").write_text(comparison_csv(rows), encoding="utf-8")
    (out / "sweep.json").write_text(to_json(rows), encoding="utf-8")
    title = f"Sweep of {args.economy} ({len(rows)} variants)"
    (out / "sweep.html").write_text(render_sweep(title, rows), encoding="utf-8")
    print(comparison_csv(rows), end="")
    print(f"\nwrote {out / 'sweep.html'}, {out / 'sweep.csv'}, {out / 'sweep.json'}")
    return 0
