"""What `honorloop simulate`, `sweep` and `compare` run (imported by their handlers, so
that the console command starts without numpy, SimPy or plotly)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from domain.economy import Economy
from domain.errors import EconomyInvalid
from simulation.assertions import AssertionInvalid, Outcome, failures
from simulation.compare import (
    COMPARED_METRICS,
    ArmResult,
    arms_for,
    differences_csv,
    render_compare,
    run_arms,
    same_outputs,
)
from simulation.engine import Run
from simulation.eventlog import simulated_log, write_log
from simulation.export import daily_long_csv, flows_csv, write_parquet
from simulation.population import Population, PopulationInvalid
from simulation.report import render
from simulation.runner import (
    Experiment,
    check_assertions,
    daily_bands,
    daily_csv,
    load_population,
    run_all,
    run_one,
    summarize,
    summary_table,
    to_json,
    validate,
)
from simulation.sweep import SweepInvalid, comparison_csv, parse_setting, run_sweep_runs, variants

EXIT_ASSERTIONS_FAILED = 1
EXIT_INVALID = 2


def _experiment(args: argparse.Namespace, economy: Path | None = None) -> Experiment:
    if args.replications < 1:
        raise SweepInvalid("--replications must be at least 1")
    if args.members is not None and args.members < 1:
        raise SweepInvalid("--members must be at least 1")
    if args.days is not None and args.days < 1:
        raise SweepInvalid("--days must be at least 1")
    data, source = load_population(args.population)
    if args.no_assertions:
        data = {**data, "assertions": []}
    path: Path = economy or args.economy
    return Experiment(
        economy_text=path.read_text(encoding="utf-8"),
        economy_source=str(path),
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


def _progress() -> _Bar | None:
    """The progress bar, only when stderr is a terminal (never in logs or CI)."""
    return _Bar() if sys.stderr.isatty() else None


def _fail(message: str) -> int:
    print(f"honorloop: {message}", file=sys.stderr)
    return EXIT_INVALID


def simulate(args: argparse.Namespace) -> int:
    try:
        experiment = _experiment(args)
        economy, population = validate(experiment)
        runs = run_all(experiment, progress=_progress(), jobs=args.jobs)
        outcomes = check_assertions(runs, economy, population)
        if args.event_log is not None:  # replication 1 again, keeping its commands
            logged = run_one(experiment, 0, keep_log=True)
            assert logged.daily == runs[0].daily, "a replication is a function of its seed"
            text = write_log(simulated_log(logged.log))
            args.event_log.write_text(text, encoding="utf-8")
    except (EconomyInvalid, PopulationInvalid, AssertionInvalid, SweepInvalid, OSError) as error:
        return _fail(str(error))
    out: Path = args.out
    summary = _write_run(out, experiment, runs, economy, population, outcomes)
    print(summary_table(summary))
    print(
        f"\nwrote {out / 'report.html'}, {out / 'summary.json'}, {out / 'daily_metrics.csv'}, "
        f"{out / 'daily_long.csv'}, {out / 'flows.csv'}"
    )
    if _print_outcomes(outcomes, args.strict):
        return EXIT_ASSERTIONS_FAILED
    return 0


def _print_outcomes(outcomes: Sequence[Outcome], strict: bool, prefix: str = "") -> int:
    """Print each assertion's outcome; the number that fail the run."""
    for outcome in outcomes:
        mark = "FAIL" if outcome.fails(strict) else outcome.result
        print(f"{prefix}assertion {mark}: {outcome.text} — {outcome.detail}")
    failed = len(failures(outcomes, strict))
    if failed:
        print(f"{prefix}{failed} assertion(s) failed", file=sys.stderr)
    return failed


def _write_run(
    out: Path,
    experiment: Experiment,
    runs: Sequence[Run],
    economy: Economy,
    population: Population,
    outcomes: Sequence[Outcome],
) -> dict[str, Any]:
    """summary.json, daily_metrics.csv and report.html of one run, in `out`."""
    summary = summarize(experiment, runs, economy, population, outcomes)
    bands = daily_bands(runs)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(to_json(summary), encoding="utf-8")
    (out / "daily_metrics.csv").write_text(daily_csv(bands), encoding="utf-8")
    page = render(summary, bands, economy, population, runs)
    (out / "report.html").write_text(page, encoding="utf-8")
    start = population.start_date
    (out / "daily_long.csv").write_text(daily_long_csv(runs, start), encoding="utf-8")
    (out / "flows.csv").write_text(flows_csv(runs), encoding="utf-8")
    write_parquet(out / "daily_long.parquet", runs, start)
    return summary


def compare_handler(args: argparse.Namespace) -> int:
    try:
        base = _experiment(args, args.economies[0])
        economies = [(path.read_text(encoding="utf-8"), str(path)) for path in args.economies]
        arms = arms_for(base, economies)  # validates every economy before anything runs
        results = run_arms(arms, jobs=args.jobs)
    except (EconomyInvalid, PopulationInvalid, AssertionInvalid, SweepInvalid, OSError) as error:
        return _fail(str(error))
    except ValueError as error:
        return _fail(str(error))
    out: Path = args.out
    links: dict[str, str] = {}
    for i, arm in enumerate(results, start=1):
        folder = f"economy-{i}"
        _write_run(
            out / folder, arm.experiment, arm.runs, arm.economy, arm.population, arm.outcomes
        )
        links[arm.label] = f"{folder}/report.html"
    title = "Comparison of " + ", ".join(r.label for r in results)
    page = render_compare(title, results, strict=args.strict, links=links)
    (out / "compare.html").write_text(page, encoding="utf-8")
    table = differences_csv(results, COMPARED_METRICS)
    (out / "compare.csv").write_text(table, encoding="utf-8")
    print(table, end="")
    print(f"\nwrote {out / 'compare.html'}, {out / 'compare.csv'}")
    failed = 0
    for arm in results:
        failed += _print_outcomes(arm.outcomes, args.strict, prefix=f"{arm.label}: ")
    return EXIT_ASSERTIONS_FAILED if failed else 0


def sweep_handler(args: argparse.Namespace) -> int:
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

        baseline = _run_baseline(experiment, args.jobs)
        results = run_sweep_runs(
            grid,
            jobs=args.jobs,
            scheduler=args.scheduler,
            progress=progress if sys.stderr.isatty() else None,
        )
    except (EconomyInvalid, PopulationInvalid, AssertionInvalid, SweepInvalid, OSError) as error:
        return _fail(str(error))
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    rows = [row for row, _ in results]
    economy, population = validate(experiment)
    arms = [baseline]
    links = {baseline.label: "baseline/report.html"}
    _write_run(out / "baseline", experiment, baseline.runs, economy, population, baseline.outcomes)
    unchanged: list[str] = []
    for i, (variant, (row, runs)) in enumerate(zip(grid, results, strict=True), start=1):
        v_economy, v_population = validate(variant.experiment)
        outcomes = check_assertions(runs, v_economy, v_population)
        folder = f"variant-{i}"
        _write_run(out / folder, variant.experiment, runs, v_economy, v_population, outcomes)
        links[variant.label] = f"{folder}/report.html"
        row["unchanged"] = same_outputs(baseline.runs, runs)
        if row["unchanged"]:
            unchanged.append(variant.label)
        arms.append(
            ArmResult(variant.label, variant.experiment, v_economy, v_population, runs, outcomes)
        )
    (out / "sweep.csv").write_text(comparison_csv(rows), encoding="utf-8")
    (out / "sweep.json").write_text(to_json(rows), encoding="utf-8")
    title = f"Sweep of {args.economy} ({len(rows)} variants)"
    page = render_compare(
        title,
        arms,
        strict=args.strict,
        flagged=unchanged,
        links=links,
        intro="Variants against the baseline (the economy as written).",
    )
    (out / "sweep.html").write_text(page, encoding="utf-8")
    print(comparison_csv(rows), end="")
    print(f"\nwrote {out / 'sweep.html'}, {out / 'sweep.csv'}, {out / 'sweep.json'}")
    for label in unchanged:
        print(f"variant {label}: same outputs as the baseline (the setting changed nothing)")
    failed = 0
    for arm in arms[1:]:
        failed += _print_outcomes(arm.outcomes, args.strict, prefix=f"variant {arm.label}: ")
    return EXIT_ASSERTIONS_FAILED if failed else 0


def _run_baseline(experiment: Experiment, jobs: int) -> ArmResult:
    economy, population = validate(experiment)
    runs = run_all(experiment, jobs=jobs)
    outcomes = check_assertions(runs, economy, population)
    return ArmResult("baseline", experiment, economy, population, runs, outcomes)
