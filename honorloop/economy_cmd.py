"""`honorloop economy check|guide FILE`: validate an economy file, print its public guide.

The command reads the file (I/O lives here); `domain.economy.parse_economy` validates the
text and `domain.guide` turns the economy into the guide and renders it.

Exit codes: 0 done, 1 the economy file has problems (each printed to stderr),
2 the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from domain.economy import Economy, parse_economy
from domain.errors import EconomyInvalid
from domain.guide import build_guide, guide_data
from honorloop.guide_render import render_markdown, render_text

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2
FORMATS = ("text", "markdown", "json")
economy_file_size_max = 4 * 1024 * 1024  # bytes; a hand-written economy is a few kB


def register(subparsers: Any) -> None:
    economy = subparsers.add_parser(
        "economy",
        help="check an economy file or print its contribution-value guide",
        description="Work with economy files (the TOML that declares rules, levels, honors "
        "and rewards; see docs/economy.md).",
    )
    commands = economy.add_subparsers(dest="economy_command", metavar="ACTION")
    economy.set_defaults(handler=lambda _args: _usage(economy))

    check = commands.add_parser(
        "check",
        help="validate an economy file; exit 1 listing every problem",
        description="Validate an economy file. Prints a one-line summary and exits 0, or "
        "prints every problem (file:line: [table] field: message) to stderr and exits 1. "
        "Exits 2 when the file cannot be read.",
    )
    check.add_argument("file", metavar="FILE", help="economy file (TOML)")
    check.set_defaults(handler=run_check)

    guide = commands.add_parser(
        "guide",
        help="print the public contribution-value guide",
        description="Print what each contribution earns and its limits, the level ladder, "
        "KOC tiers, honors and rewards.",
    )
    guide.add_argument("file", metavar="FILE", help="economy file (TOML)")
    guide.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text for a terminal (default), markdown for a wiki, json for programs",
    )
    guide.set_defaults(handler=run_guide)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_UNREADABLE


def run_check(args: argparse.Namespace) -> int:
    path = str(args.file)
    loaded = load(path, sys.stderr)
    if isinstance(loaded, int):
        return loaded
    print(f"OK: {path}: {summary(loaded)}")
    return EXIT_OK


def run_guide(args: argparse.Namespace) -> int:
    loaded = load(str(args.file), sys.stderr)
    if isinstance(loaded, int):
        return loaded
    guide = build_guide(loaded)
    if args.format == "json":
        text = json.dumps(guide_data(guide), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "markdown":
        text = render_markdown(guide)
    else:
        text = render_text(guide)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `honorloop economy guide FILE | head`: the reader left early
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit does not fail again
    return EXIT_OK


def load(path: str, errors: TextIO) -> Economy | int:
    """The parsed economy, or the exit code after explaining on `errors` what is wrong."""
    file = Path(path)
    try:
        if file.stat().st_size > economy_file_size_max:
            print(
                f"honorloop: {path}: larger than {economy_file_size_max} bytes; "
                "is this an economy file?",
                file=errors,
            )
            return EXIT_UNREADABLE
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        print(f"honorloop: {path}: no such file", file=errors)
        return EXIT_UNREADABLE
    except IsADirectoryError:
        print(f"honorloop: {path}: is a directory, not an economy file", file=errors)
        return EXIT_UNREADABLE
    except UnicodeDecodeError as exc:
        print(f"honorloop: {path}: not UTF-8 text ({exc.reason} at byte {exc.start})", file=errors)
        return EXIT_UNREADABLE
    except OSError as exc:
        print(f"honorloop: {path}: cannot read: {exc.strerror or exc}", file=errors)
        return EXIT_UNREADABLE
    try:
        return parse_economy(text, source=path)
    except EconomyInvalid as invalid:
        for issue in invalid.issues:
            print(issue, file=errors)
        count = len(invalid.issues)
        print(
            f"{path}: {count} problem{'s' if count != 1 else ''}; see docs/economy.md", file=errors
        )
        return EXIT_INVALID


def summary(economy: Economy) -> str:
    parts = [
        _count(len(economy.rules), "rule"),
        _count(len(economy.levels), "level") + (" (by spend)" if economy.spend_kind else ""),
        _count(len(economy.koc.tiers) if economy.koc else 0, "KOC tier"),
        _count(len(economy.honors), "honor"),
        _count(len(economy.reward_tiers), "reward tier"),
        _count(len(economy.rewards), "reward"),
        _count(len(economy.quests), "quest"),
        _count(len(economy.tasks), "task"),
        _count(len(economy.contests), "contest"),
        _count(len(economy.roles), "role"),
        _count(len(economy.team_quests), "team quest"),
        _count(len(economy.help_quests), "help quest"),
        _count(len(economy.paid_tiers), "paid tier"),
        _count(len(economy.campaigns), "campaign"),
    ]
    if economy.referrals is not None:
        parts.append("referrals")
    return ", ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
