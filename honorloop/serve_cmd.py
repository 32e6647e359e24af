"""`honorloop serve` (the API under uvicorn) and `honorloop token` (a development token)."""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from api.auth import Role, mint_token, utc_now
from api.settings import Settings, SettingsError, workers_max
from domain.errors import EconomyInvalid

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # api.metrics reads it (not imported here: slow)
TTL_RE = re.compile(r"^(\d+)([smhd]?)$")
TTL_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the GraphQL API (uvicorn)",
        description="Run the GraphQL API. Flags override HONORLOOP_* / DATABASE_URL variables.",
    )
    serve.add_argument("--economy", metavar="FILE", help="economy file (HONORLOOP_ECONOMY)")
    serve.add_argument("--database-url", metavar="URL", help="sqlite:///file.db or postgresql://…")
    serve.add_argument("--host", help="bind address (HONORLOOP_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (HONORLOOP_PORT, default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (HONORLOOP_WORKERS)")
    serve.add_argument(
        "--mode", choices=["development", "production"], help="HONORLOOP_MODE (development)"
    )
    serve.set_defaults(handler=serve_command)

    token = subparsers.add_parser(
        "token",
        help="mint a development token (HS256, the configured secret)",
        description="Print a bearer token signed with HONORLOOP_JWT_SECRET (or the dev secret).",
    )
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument("--member", metavar="ID", help="a member id (raw or Relay global id)")
    who.add_argument("--role", choices=["operator", "service"], help="a staff or service role")
    token.add_argument("--subject", help="name of the operator or service (default: the role)")
    token.add_argument("--ttl", default="12h", help="lifetime: 3600, 30m, 12h, 7d (default 12h)")
    token.set_defaults(handler=token_command)


def _settings(args: argparse.Namespace) -> Settings:
    base = Settings.from_env()
    settings = base.with_overrides(
        economy_path=args.economy,
        database_url=args.database_url,
        host=args.host,
        port=args.port,
        workers=args.workers,
        mode=args.mode,
    )
    workers_chosen = args.workers is not None or os.environ.get("HONORLOOP_WORKERS")
    # Several workers need Redis to share subscription events (README, Subscriptions): an
    # in-process broker would let a subscriber miss what other workers commit.
    if settings.mode == "production" and settings.redis_url and not workers_chosen:
        settings = settings.with_overrides(workers=min(cores_available(), workers_max))
    return settings.validated()


def cores_available() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def serve_command(args: argparse.Namespace) -> int:
    with metrics_directory():  # before prometheus_client is imported: workers inherit it
        return _serve(args)


@contextmanager
def metrics_directory() -> Iterator[None]:
    """A fresh PROMETHEUS_MULTIPROC_DIR for this server's workers unless one is set."""
    if os.environ.get(MULTIPROC_ENV):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="honorloop-metrics-") as directory:
        os.environ[MULTIPROC_ENV] = directory
        try:
            yield
        finally:
            del os.environ[MULTIPROC_ENV]


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import load_economy, open_sql_store
    from api.request_log import logging_config

    try:
        settings = _settings(args)
        economy = load_economy(settings.economy_path)
    except SettingsError as error:
        print(f"honorloop serve: {error}", file=sys.stderr)
        return 2
    except EconomyInvalid as error:
        print(f"honorloop serve: the economy file is invalid:\n{error}", file=sys.stderr)
        return 2
    if settings.uses_dev_secret:
        print(
            "honorloop serve: WARNING: using the development JWT secret; "
            "set HONORLOOP_JWT_SECRET before exposing this server",
            file=sys.stderr,
        )
    # Migrate and sync stock once, here, so that workers only check the schema is at head.
    try:
        opened = open_sql_store(settings, economy)
    except Exception as error:
        print(f"honorloop serve: cannot open the database: {error}", file=sys.stderr)
        return 1
    opened.close()
    os.environ.update(settings.with_overrides(auto_migrate=False).to_env())
    base = f"http://{settings.host}:{settings.port}"
    print(f"Honorloop API: {base}/graphql  (health {base}/healthz, readiness {base}/readyz)")
    if settings.graphiql_enabled:
        print(f"GraphiQL: open {base}/graphql in a browser")
    print("Tokens: honorloop token --role operator | --role service | --member ID")
    uvicorn.run(
        "api.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="info",
        log_config=logging_config(settings.log_format_used),
        access_log=settings.access_log,
    )
    return 0


def parse_ttl(text: str) -> timedelta:
    found = TTL_RE.match(text.strip())
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"--ttl {text!r}: use a positive number of s, m, h or d (e.g. 12h)")
    return timedelta(seconds=int(found.group(1)) * TTL_UNITS[found.group(2)])


def member_subject(text: str) -> str:
    """A raw member id, or the node id inside a Relay global id `Member:<id>`."""
    try:
        decoded = base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return text
    kind, _, node = decoded.partition(":")
    return node if kind == "Member" and node else text


def token_command(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()
        ttl = parse_ttl(args.ttl)
    except (SettingsError, ValueError) as error:
        print(f"honorloop token: {error}", file=sys.stderr)
        return 2
    if ttl.total_seconds() > settings.token_ttl_seconds_max:
        print(
            f"honorloop token: --ttl is above HONORLOOP_TOKEN_TTL_SECONDS_MAX "
            f"({settings.token_ttl_seconds_max} s)",
            file=sys.stderr,
        )
        return 2
    if args.member:
        subject, role = member_subject(args.member), Role.MEMBER
    else:
        role = Role(args.role)
        subject = args.subject or role.value
    print(mint_token(settings.jwt_secret, subject, role, ttl, utc_now()))
    return 0
