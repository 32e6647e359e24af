"""Settings of the API server, from flags or environment variables, validated up front.

Every setting has an environment variable (`HONORLOOP_*`, or `DATABASE_URL`); the
`honorloop serve` flags override them. An invalid value raises `SettingsError` naming the
setting, so startup stops with a message instead of failing later.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Literal

Mode = Literal["development", "production"]

DEV_SECRET = "honorloop-development-secret-do-not-use-in-production"
default_economy = "economies/koc_community.toml"
default_database_url = "sqlite:///honorloop.db"
secret_length_min = 32
port_max = 65535
workers_max = 64
body_size_max_bytes_max = 50 * 1024 * 1024
page_size_max = 100  # Relay connections: `first` is at most this (domain agrees)


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"setting {name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Settings:
    economy_path: str = default_economy
    database_url: str = default_database_url
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    mode: Mode = "development"
    jwt_secret: str = DEV_SECRET
    referral_key: str = ""  # referral codes' HMAC key; "": derived from the JWT secret
    graphiql: bool | None = None  # None: on in development, off in production
    introspection: bool | None = None  # None: on in development, off in production
    auto_migrate: bool = True  # migrate and sync stock at startup; else refuse if not at head
    redis_url: str | None = None
    body_size_max_bytes: int = 1024 * 1024
    query_depth_max: int = 10
    query_tokens_max: int = 2000
    query_aliases_max: int = 30
    query_cost_max: int = 10_000  # nodes: the product of `first` along each path (api.cost)
    token_ttl_seconds_max: int = 30 * 24 * 3600
    access_log: bool = False  # a uvicorn log line per request (~7% of a request's CPU)
    cors_origins: str = ""  # comma-separated exact origins of browser apps (api.cors)
    log_format: str | None = None  # "text" or "json"; None: json in production, else text
    trusted_documents_path: str = "trusted-documents.json"  # `honorloop operations add`
    trusted_documents_only: bool = False  # run only the documents in that manifest
    bench_noop: bool = False  # benchmarks only: a no-op mutation `benchNoop` (the ceiling)
    group_commit: str = "auto"  # recordActivity in shared transactions: auto (SQLite), on, off

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.mode == "development"

    @property
    def introspection_enabled(self) -> bool:
        if self.introspection is not None:
            return self.introspection
        return self.mode == "development"

    @property
    def log_format_used(self) -> str:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.mode == "production" else "text"

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        from api.cors import parse_origins

        return parse_origins(self.cors_origins)

    @property
    def referral_code_key(self) -> bytes:
        """The key members' referral codes are derived with: HONORLOOP_REFERRAL_KEY, else
        one derived from the JWT secret (set the key to keep codes when rotating it)."""
        if self.referral_key:
            return self.referral_key.encode()
        return hmac.new(self.jwt_secret.encode(), b"honorloop referral codes", "sha256").digest()

    @property
    def uses_dev_secret(self) -> bool:
        return self.jwt_secret == DEV_SECRET

    def validated(self) -> Settings:
        """Check every value; raise `SettingsError` naming the first bad one."""
        if not Path(self.economy_path).is_file():
            raise SettingsError("HONORLOOP_ECONOMY", f"no economy file at {self.economy_path!r}")
        if not self.database_url.startswith(("sqlite:", "postgres:", "postgresql:", "postgresql+")):
            raise SettingsError(
                "DATABASE_URL", "must be a sqlite:/// or postgresql:// URL (SQLAlchemy style)"
            )
        if not 0 < self.port <= port_max:
            raise SettingsError("HONORLOOP_PORT", f"must be between 1 and {port_max}")
        if not 0 < self.workers <= workers_max:
            raise SettingsError("HONORLOOP_WORKERS", f"must be between 1 and {workers_max}")
        if self.mode not in ("development", "production"):
            raise SettingsError("HONORLOOP_MODE", "must be 'development' or 'production'")
        if self.mode == "production" and self.uses_dev_secret:
            raise SettingsError("HONORLOOP_JWT_SECRET", "is required in production mode")
        if self.referral_key and len(self.referral_key) < secret_length_min:
            raise SettingsError(
                "HONORLOOP_REFERRAL_KEY", f"must be at least {secret_length_min} characters"
            )
        if len(self.jwt_secret) < secret_length_min:
            raise SettingsError(
                "HONORLOOP_JWT_SECRET", f"must be at least {secret_length_min} characters"
            )
        if self.redis_url is not None and not self.redis_url.startswith(("redis://", "rediss://")):
            raise SettingsError("HONORLOOP_REDIS_URL", "must be a redis:// URL")
        self._validate_cors()
        if self.trusted_documents_only and not Path(self.trusted_documents_path).is_file():
            raise SettingsError(
                "HONORLOOP_TRUSTED_DOCUMENTS",
                f"no trusted-documents manifest at {self.trusted_documents_path!r} "
                "(HONORLOOP_TRUSTED_DOCUMENTS_ONLY is on)",
            )
        if self.log_format not in (None, "text", "json"):
            raise SettingsError("HONORLOOP_LOG_FORMAT", "must be 'text' or 'json'")
        if self.group_commit not in ("auto", "on", "off"):
            raise SettingsError("HONORLOOP_GROUP_COMMIT", "must be 'auto', 'on' or 'off'")
        for name, value, top in (
            ("HONORLOOP_BODY_SIZE_MAX_BYTES", self.body_size_max_bytes, body_size_max_bytes_max),
            ("HONORLOOP_QUERY_DEPTH_MAX", self.query_depth_max, 100),
            ("HONORLOOP_QUERY_TOKENS_MAX", self.query_tokens_max, 100_000),
            ("HONORLOOP_QUERY_ALIASES_MAX", self.query_aliases_max, 1000),
            ("HONORLOOP_QUERY_COST_MAX", self.query_cost_max, 10_000_000),
        ):
            if not 0 < value <= top:
                raise SettingsError(name, f"must be between 1 and {top}")
        return self

    def _validate_cors(self) -> None:
        from api.cors import ANY_ORIGIN, OriginInvalid

        try:
            origins = self.cors_origin_list
        except OriginInvalid as error:
            raise SettingsError("HONORLOOP_CORS_ORIGINS", str(error)) from None
        if self.mode == "production" and ANY_ORIGIN in origins:
            raise SettingsError(
                "HONORLOOP_CORS_ORIGINS", "'*' is refused in production mode: list the origins"
            )

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given (non-None) values replaced, e.g. from command-line flags."""
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in changes.items() if v is not None and k in known})  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The environment that makes `Settings.from_env` rebuild these settings (workers)."""
        env: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, bool):
                value = "1" if value else "0"
            env[ENV_NAMES[f.name]] = str(value)
        return env

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            name = ENV_NAMES[f.name]
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(name, f.type, raw)
        return cls(**values)  # type: ignore[arg-type]


ENV_NAMES: dict[str, str] = {
    "economy_path": "HONORLOOP_ECONOMY",
    "database_url": "DATABASE_URL",
    "host": "HONORLOOP_HOST",
    "port": "HONORLOOP_PORT",
    "workers": "HONORLOOP_WORKERS",
    "mode": "HONORLOOP_MODE",
    "jwt_secret": "HONORLOOP_JWT_SECRET",
    "referral_key": "HONORLOOP_REFERRAL_KEY",
    "graphiql": "HONORLOOP_GRAPHIQL",
    "introspection": "HONORLOOP_INTROSPECTION",
    "auto_migrate": "HONORLOOP_AUTO_MIGRATE",
    "redis_url": "HONORLOOP_REDIS_URL",
    "body_size_max_bytes": "HONORLOOP_BODY_SIZE_MAX_BYTES",
    "query_depth_max": "HONORLOOP_QUERY_DEPTH_MAX",
    "query_tokens_max": "HONORLOOP_QUERY_TOKENS_MAX",
    "query_aliases_max": "HONORLOOP_QUERY_ALIASES_MAX",
    "query_cost_max": "HONORLOOP_QUERY_COST_MAX",
    "token_ttl_seconds_max": "HONORLOOP_TOKEN_TTL_SECONDS_MAX",
    "access_log": "HONORLOOP_ACCESS_LOG",
    "cors_origins": "HONORLOOP_CORS_ORIGINS",
    "log_format": "HONORLOOP_LOG_FORMAT",
    "trusted_documents_path": "HONORLOOP_TRUSTED_DOCUMENTS",
    "trusted_documents_only": "HONORLOOP_TRUSTED_DOCUMENTS_ONLY",
    "bench_noop": "HONORLOOP_BENCH_NOOP",
    "group_commit": "HONORLOOP_GROUP_COMMIT",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _convert(name: str, annotation: object, raw: str) -> object:
    kind = str(annotation)
    if kind.startswith("int"):
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(name, f"must be an integer, got {raw!r}") from None
    if kind.startswith("bool"):
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise SettingsError(name, f"must be true or false, got {raw!r}")
    return raw
