"""What `honorloop calibrate` runs (imported by its handler: the command starts light)."""

from __future__ import annotations

import argparse
import sys

from domain.economy import parse_economy
from domain.errors import EconomyInvalid
from simulation.calibrate import back_test, back_test_table, calibrate, fits_table, population_toml
from simulation.eventlog import EventLogInvalid, read_log
from simulation.population import PopulationInvalid
from simulation.runner import load_population

EXIT_INVALID = 2


def calibrate_handler(args: argparse.Namespace) -> int:
    try:
        if args.replications < 1:
            raise EventLogInvalid("--replications must be at least 1")
        economy = parse_economy(args.economy.read_text(encoding="utf-8"), str(args.economy))
        base, _ = load_population(args.population)
        events = read_log(args.events.read_text(encoding="utf-8"), str(args.events))
        calibration = calibrate(events, base, args.holdout_days, args.archetypes)
        text = population_toml(calibration, str(args.events))
        lines = back_test(calibration, events, economy, args.replications, args.seed)
    except (EconomyInvalid, PopulationInvalid, EventLogInvalid, OSError) as error:
        print(f"honorloop: {error}", file=sys.stderr)
        return EXIT_INVALID
    args.out.write_text(text, encoding="utf-8")
    print(fits_table(calibration))
    print()
    print(back_test_table(lines, calibration))
    print(f"\nwrote {args.out}")
    return 0
