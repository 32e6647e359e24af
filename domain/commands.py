"""Commands: what a caller asks the domain to do. Time always arrives on the command."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from domain.model import Attributes

quantity_max = 100
batch_size_max = 100
reason_length_max = 500
handle_length_max = 40
idempotency_key_length_max = 200


@dataclass(frozen=True, slots=True)
class RegisterMember:
    handle: str
    display_name: str
    at: datetime
    member_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecordActivity:
    member_id: str
    kind: str
    occurred_at: datetime
    idempotency_key: str
    subject_id: str | None = None
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RedeemReward:
    member_id: str
    reward_id: str
    quantity: int
    idempotency_key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class FulfillRedemption:
    redemption_id: str
    actor: str
    at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class CancelRedemption:
    redemption_id: str
    actor: str
    at: datetime
    reason: str = ""
    member_id: str | None = None  # set when a member cancels their own redemption


@dataclass(frozen=True, slots=True)
class AdjustPoints:
    member_id: str
    amount: int
    reason: str
    actor: str
    idempotency_key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class GrantHonor:
    member_id: str
    honor_id: str
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RevokeHonor:
    member_id: str
    honor_id: str
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class LockLevel:
    member_id: str
    level_id: str | None  # None unlocks
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReviewMember:
    """Scheduled upkeep for one member: level review and point expiry as of a moment."""

    member_id: str
    as_of: datetime


@dataclass(frozen=True, slots=True)
class AddCouponCodes:
    reward_id: str
    codes: tuple[str, ...]
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Restock:
    reward_id: str
    quantity: int
    actor: str
    at: datetime


def fingerprint(command: object) -> str:
    """A stable digest of a command's payload, without its idempotency key and without `at`
    (the moment the request arrived, stamped by the caller: a retry arrives later)."""
    parts = [type(command).__name__]
    for f in fields(command):  # type: ignore[arg-type]
        if f.name in ("idempotency_key", "at"):
            continue
        value = getattr(command, f.name)
        if isinstance(value, dict):
            value = sorted((k, float(v)) for k, v in value.items())
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        parts.append(f"{f.name}={value!r}")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
