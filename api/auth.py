"""Bearer tokens: HS256 JWTs with `sub`, `role` and `exp`, and the viewer they name."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

from domain.idempotency import member_caller
from domain.text import has_control

ALGORITHM = "HS256"
token_length_max = 4096
subject_length_max = 200
verified_tokens_max = 1024  # tokens whose signature and claims were checked, kept by value


class Role(StrEnum):
    MEMBER = "member"  # reads and acts only as itself
    OPERATOR = "operator"  # manages members, honors, redemptions, adjustments
    SERVICE = "service"  # server-to-server ingestion and registration


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is calling: the token's subject and role."""

    subject: str
    role: Role

    @property
    def member_id(self) -> str | None:
        """The member the viewer is, or None for operators and services."""
        return self.subject if self.role is Role.MEMBER else None

    @property
    def principal(self) -> str:
        """Whose idempotency keys this viewer's are (`domain.idempotency`): the role for
        services and operators, the member itself for a member."""
        return member_caller(self.subject) if self.role is Role.MEMBER else self.role.value

    @property
    def actor(self) -> str:
        """How the viewer is named in audit entries."""
        return f"{self.role.value}:{self.subject}"


_ROLES = frozenset(r.value for r in Role)


class InvalidToken(Exception):
    """The token cannot be trusted; the message says why without echoing it."""


def mint_token(secret: str, subject: str, role: Role, ttl: timedelta, now: datetime) -> str:
    assert ttl > timedelta(0), "a token must live a positive time"
    claims = {
        "sub": subject,
        "role": role.value,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str) -> Viewer:
    """Verify signature and expiry, then read `sub` and `role`.

    A token verified once is remembered (signature and claims cannot change), so a client
    presenting it again costs a dictionary lookup and the expiry check, which is the only
    verdict that changes with time."""
    if len(token) > token_length_max:
        raise InvalidToken("token is too long")
    viewer, expires_at = _verified(secret, token)
    if expires_at <= time.time():  # PyJWT's rule: expired once `exp` is reached
        raise InvalidToken("token has expired")
    return viewer


@functools.lru_cache(maxsize=verified_tokens_max)
def _verified(secret: str, token: str) -> tuple[Viewer, float]:
    """The viewer a valid token names and its `exp`; raises for any other token (errors
    are not cached, so a refused token is checked again each time)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "role", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("token has expired") from None
    except jwt.PyJWTError:
        raise InvalidToken("token is invalid") from None
    subject = claims.get("sub")
    role = claims.get("role")
    if (
        not isinstance(subject, str)
        or not 0 < len(subject) <= subject_length_max
        or has_control(subject)  # it becomes a member id: the stores' text rule holds
    ):
        raise InvalidToken("token subject is invalid")
    if not isinstance(role, str) or role not in _ROLES:  # a list or an object is no role
        raise InvalidToken("token role is invalid")
    expires_at = claims["exp"]
    if isinstance(expires_at, bool) or not isinstance(expires_at, int | float):
        raise InvalidToken("token expiry is invalid")
    return Viewer(subject, Role(role)), float(expires_at)


def viewer_from_header(secret: str, authorization: str | None) -> Viewer | None:
    """None without a header; `InvalidToken` for a header that is not a valid bearer token."""
    if authorization is None or not authorization.strip():
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("expected 'Authorization: Bearer <token>'")
    return read_token(secret, token.strip())


def utc_now() -> datetime:
    """The edge's clock: every command's time comes from here, never from the domain."""
    return datetime.now(UTC)
