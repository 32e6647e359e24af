"""`honorloop` — one console command, one module per sub-command group.

Each sub-command module exposes `register(subparsers)`, adding its parsers with a
`handler` default: a function taking the parsed arguments and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import cast

# Sub-command modules, in the order `honorloop --help` lists them. A module that does not
# exist yet is skipped, so the command grows as the layers arrive.
COMMAND_MODULES = (
    "honorloop.economy_cmd",
    "honorloop.serve_cmd",
    "honorloop.simulate_cmd",
    "honorloop.loadtest_cmd",
    "honorloop.admin_cmd",
    "honorloop.operations_cmd",
    "honorloop.db_cmd",
)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="honorloop",
        description="Honorloop: points, levels, honors and rewards for brand communities.",
    )
    parser.add_argument("--version", action="version", version=f"honorloop {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
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
