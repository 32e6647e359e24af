"""`honorloop calibrate`: fit a population file to a real event log, and back-test it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

DEFAULT_ECONOMY = Path("economies/koc_community.toml")


def register(subparsers: Any) -> None:
    cal = subparsers.add_parser(
        "calibrate",
        help="fit a population file to an event log and back-test it on held-out days",
        description="Segment the members of EVENTS (CSV: member_id, kind, occurred_at, "
        "subject_id, attributes, reward_id) into archetypes, fit their visit probabilities, "
        "rates per visit, novelty, churn and note interactions on all but the last "
        "--holdout-days, write the population file to --out, then replay the log up to the "
        "cut-off, simulate the held-out days from that state and print predicted against "
        "actual daily actives, activities per kind and points issued.",
    )
    cal.add_argument("events", type=Path, metavar="EVENTS", help="the event log (CSV)")
    cal.add_argument(
        "--economy",
        type=Path,
        default=DEFAULT_ECONOMY,
        help=f"the economy the log's points are earned under (default: {DEFAULT_ECONOMY})",
    )
    cal.add_argument(
        "--population",
        type=Path,
        default=None,
        help="base population for the kinds, notes, churn and operations tables "
        "(default: the shipped default)",
    )
    cal.add_argument("--holdout-days", type=int, default=30, help="days held out (default 30)")
    cal.add_argument(
        "--archetypes", type=int, default=None, help="how many (default: chosen by silhouette)"
    )
    cal.add_argument("--replications", type=int, default=3, help="back-test runs (default 3)")
    cal.add_argument("--seed", type=int, default=1, help="back-test seed (default 1)")
    cal.add_argument(
        "--out",
        type=Path,
        default=Path("population.toml"),
        help="the calibrated population file (default: ./population.toml)",
    )
    cal.set_defaults(handler=calibrate_handler)


def calibrate_handler(args: argparse.Namespace) -> int:
    from honorloop.calibrate_run import calibrate_handler as run

    return run(args)
