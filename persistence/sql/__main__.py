"""`python -m persistence.sql [URL]`: bring a database's schema to head (`make migrate`)."""

from __future__ import annotations

import os
import sys

from domain.errors import InvalidInput
from persistence.sql.engine import normalize_url
from persistence.sql.migrate import migrate, schema_status


def main(argv: list[str] | None = None) -> int:
    """`python -m persistence.sql [URL]` (default: $DATABASE_URL, else honorloop.db)."""
    args = sys.argv[1:] if argv is None else argv
    url = args[0] if args else os.environ.get("DATABASE_URL", "sqlite:///honorloop.db")
    try:
        normalize_url(url)
    except InvalidInput as error:
        print(f"migrate: {error.message}", file=sys.stderr)
        return 2
    migrate(url)
    ready, message = schema_status(url)
    print(f"migrate: {normalize_url(url).render_as_string(hide_password=True)}: {message}")
    return 0 if ready else 1


if __name__ == "__main__":
    raise SystemExit(main())
