"""`honorloop db upgrade|downgrade|current|history`: the database schema (Alembic) at
DATABASE_URL or `--database-url`, without an alembic.ini. `upgrade` to head takes the same
lock as the server's startup migration, so it is safe beside running servers."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from api.settings import Settings, SettingsError

HEAD = "head"


def register(subparsers: Any) -> None:
    db = subparsers.add_parser(
        "db",
        help="migrate the database schema (Alembic): upgrade, downgrade, current, history",
        description="The database schema at DATABASE_URL (or --database-url).",
    )
    verbs = db.add_subparsers(dest="verb", metavar="VERB", required=True)
    upgrade = verbs.add_parser("upgrade", help="upgrade to a revision (default head)")
    upgrade.add_argument("revision", nargs="?", default=HEAD)
    downgrade = verbs.add_parser("downgrade", help="downgrade to a revision (-1, base, an id)")
    downgrade.add_argument("revision")
    current = verbs.add_parser("current", help="print the database's revision")
    history = verbs.add_parser("history", help="list the migrations")
    for parser in (upgrade, downgrade, current, history):
        parser.add_argument("--database-url", metavar="URL", help="database (DATABASE_URL)")
        parser.set_defaults(handler=db_command)


def db_command(args: argparse.Namespace) -> int:
    from alembic import command
    from alembic.util.exc import CommandError

    from persistence.sql.migrate import alembic_config, migrate

    try:
        url = Settings.from_env().with_overrides(database_url=args.database_url).database_url
    except SettingsError as error:
        print(f"honorloop db: {error}", file=sys.stderr)
        return 2
    config = alembic_config(url)
    config.stdout = sys.stdout  # Alembic binds the stdout of its import time otherwise
    try:
        if args.verb == "upgrade" and args.revision == HEAD:
            migrate(url)
            command.current(config)
        elif args.verb == "upgrade":
            command.upgrade(config, args.revision)
        elif args.verb == "downgrade":
            command.downgrade(config, args.revision)
        elif args.verb == "current":
            command.current(config, verbose=False)
        else:
            command.history(config)
    except CommandError as error:
        print(f"honorloop db {args.verb}: {error}", file=sys.stderr)
        return 1
    return 0
