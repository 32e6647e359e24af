"""`honorloop` — one console command, one module per sub-command group.

Each sub-command module exposes `register(subparsers)`, adding its parsers with a
`handler` default: a function taking the parsed arguments and returning an exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, cast

from honorloop import (
    admin_cmd,
    calibrate_cmd,
    db_cmd,
    economy_cmd,
    loadtest_cmd,
    operations_cmd,
    serve_cmd,
    simulate_cmd,
)

Handler = Callable[[argparse.Namespace], int]
# `register(subparsers)`; the argument is argparse's private `_SubParsersAction`.
Register = Callable[[Any], None]

# The sub-command groups, in the order `honorloop --help` lists them.
COMMANDS: tuple[Register, ...] = (
    economy_cmd.register,
    serve_cmd.register,
    simulate_cmd.register,
    calibrate_cmd.register,
    loadtest_cmd.register,
    admin_cmd.register,
    operations_cmd.register,
    db_cmd.register,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="honorloop",
        description="Honorloop: points, levels, honors and rewards for brand communities.",
    )
    parser.add_argument("--version", action="version", version=f"honorloop {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in COMMANDS:
        register(subparsers)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("honorloop")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = cast(Handler | None, getattr(args, "handler", None))
    if handler is None:
        parser.print_help()
        return 2
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
