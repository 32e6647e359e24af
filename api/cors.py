"""Browsers on other origins: which origins may call the API (CORS) and open its
WebSocket (the origin check of the graphql-transport-ws handshake).

`HONORLOOP_CORS_ORIGINS` is a comma-separated list of exact origins (scheme, host and
optional port, no path); none by default, so only same-origin pages and non-browser clients
get in. `*` allows any origin and is refused in production mode: tokens travel in the
`Authorization` header, not cookies, but a wildcard still lets any page drive a member's
session once it holds a token."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # settings parse origins without importing Starlette
    from starlette.middleware import Middleware

ANY_ORIGIN = "*"
preflight_max_age_s = 600  # how long a browser may cache a preflight answer
cors_methods = ("GET", "POST", "OPTIONS")
cors_headers = ("authorization", "content-type", "accept", "x-request-id")
exposed_headers = ("x-request-id",)
_default_ports = {"http": 80, "https": 443}


class OriginInvalid(ValueError):
    """An entry of the origin list that is not an origin; the message names it."""


def normalize_origin(text: str) -> str:
    """`https://Example.com:443` → `https://example.com`, the form browsers send."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise OriginInvalid(f"{text!r} is not an origin") from None
    if parts.scheme not in _default_ports or not parts.hostname:
        raise OriginInvalid(f"{text!r} is not an http(s) origin like https://app.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise OriginInvalid(f"{text!r} has more than scheme, host and port")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is not None and port != _default_ports[parts.scheme]:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"


def parse_origins(raw: str) -> tuple[str, ...]:
    """The comma-separated list as normalized origins (or `("*",)`), duplicates dropped."""
    origins: list[str] = []
    for item in raw.split(","):
        if not item.strip():
            continue
        origin = ANY_ORIGIN if item.strip() == ANY_ORIGIN else normalize_origin(item)
        if origin not in origins:
            origins.append(origin)
    if ANY_ORIGIN in origins and len(origins) > 1:
        raise OriginInvalid("'*' already allows every origin: list it alone")
    return tuple(origins)


def cors_middleware(origins: tuple[str, ...]) -> list[Middleware]:
    """Starlette's CORS middleware for these origins; none at all for an empty list."""
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware

    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=list(cors_methods),
            allow_headers=list(cors_headers),
            expose_headers=list(exposed_headers),
            allow_credentials=False,  # tokens travel in a header, never in cookies
            max_age=preflight_max_age_s,
        )
    ]
