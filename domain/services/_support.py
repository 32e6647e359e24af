"""Helpers every use-case family shares: loading and locking a member, idempotency
records, reasons, the audit trail and automatic honors."""

from __future__ import annotations

from datetime import datetime

from domain import honors
from domain.commands import (
    idempotency_key_length_max,
    reason_length_max,
)
from domain.economy import Economy
from domain.errors import (
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
)
from domain.model import (
    AuditEntry,
    Event,
    HonorAward,
    HonorGranted,
    IdempotencyRecord,
    Member,
)
from domain.ports import UnitOfWork

page_size_max = 100


def member_for_update(uow: UnitOfWork, member_id: str) -> Member:
    member = uow.members.get_for_update(member_id)
    if member is None:
        raise NotFound("member", member_id)
    return member


def check_key(key: str) -> None:
    if not key or len(key) > idempotency_key_length_max:
        raise InvalidInput(
            "idempotencyKey", f"must be 1 to {idempotency_key_length_max} characters"
        )


def replayed(uow: UnitOfWork, scope: str, key: str, command: object) -> IdempotencyRecord | None:
    """The first result's record if this key was used before with the same payload."""
    record = uow.idempotency.get(scope, key)
    if record is None:
        return None
    if not record.same_payload(command):
        raise IdempotencyKeyReused(key)
    return record


def remember(
    uow: UnitOfWork, scope: str, key: str, command: object, kind: str, result_id: str
) -> None:
    """Remember the key with the command itself: a store that persists the payload's
    fingerprint computes it when it writes (`IdempotencyRecord.fingerprint`)."""
    uow.idempotency.add(IdempotencyRecord(scope, key, None, kind, result_id, command=command))


def check_reason(reason: str) -> None:
    if not reason.strip():
        raise InvalidInput("reason", "an operator change needs a reason")
    if len(reason) > reason_length_max:
        raise InvalidInput("reason", f"must be at most {reason_length_max} characters")


def audit(uow: UnitOfWork, actor: str, action: str, target: str, at: datetime, detail: str) -> None:
    uow.audit.add(AuditEntry(uow.next_id("aud"), actor, action, target, at, detail))


def grant_automatic(uow: UnitOfWork, economy: Economy, member: Member, at: datetime) -> list[Event]:
    events: list[Event] = []
    for honor, tier in honors.newly_reached(economy, member):
        uow.honors.add(
            HonorAward(uow.next_id("hon"), member.id, honor.id, tier, at, None, "automatic")
        )
        events.append(HonorGranted(member.id, honor.id, tier, at))
    return events
