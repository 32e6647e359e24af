"""Operator actions, each audited in its transaction: adjust points, grant and revoke
honors, lock levels."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain import idempotency, ledger, levels
from domain.calendar import day_number, month_index, require_aware
from domain.commands import (
    AdjustPoints,
    GrantHonor,
    LockLevel,
    RevokeHonor,
)
from domain.economy import Economy
from domain.errors import (
    AlreadyExists,
    HonorCapacityReached,
    HonorNotManual,
    InsufficientPoints,
    InvalidInput,
    NotFound,
)
from domain.ledger import available_account
from domain.model import (
    Event,
    HonorAward,
    HonorGranted,
    HonorRevoked,
    Member,
    PointsAdjusted,
)
from domain.ports import UnitOfWork
from domain.services._support import (
    audit,
    check_key,
    check_reason,
    grant_automatic,
    member_for_update,
    remember,
    replayed,
)


@dataclass(frozen=True, slots=True)
class AdjustmentResult:
    transfer_id: str
    member_id: str
    amount: int
    balance: int
    replayed: bool = False


def adjust_points(cmd: AdjustPoints, uow: UnitOfWork, economy: Economy) -> AdjustmentResult:
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    check_reason(cmd.reason)
    if cmd.amount == 0 or abs(cmd.amount) > 10_000_000:
        raise InvalidInput("amount", "must be non-zero and at most 10000000 in size")
    with uow:
        member = member_for_update(uow, cmd.member_id)
        account = available_account(member.id)
        key_scope = idempotency.scope(cmd.caller, idempotency.ADJUST_POINTS, member.id)
        previous = replayed(uow, key_scope, cmd.idempotency_key, cmd)
        if previous is not None:
            return AdjustmentResult(
                previous.result_id, member.id, cmd.amount, uow.ledger.balance(account), True
            )
        transfer = ledger.adjust(
            uow.next_id("trf"),
            member.id,
            cmd.amount,
            cmd.at,
            cmd.actor,
            cmd.idempotency_key,
            cmd.reason,
        )
        if not uow.ledger.post(transfer):
            raise InsufficientPoints(uow.ledger.balance(account), -cmd.amount)
        if cmd.amount < 0:
            member.progress.consumed += -cmd.amount
        elif economy.expiry is not None:
            month = month_index(day_number(cmd.at, economy.timezone))
            by_month = member.progress.earned_by_month
            by_month[month] = by_month.get(month, 0) + cmd.amount
        remember(uow, key_scope, cmd.idempotency_key, cmd, "adjustment", transfer.id)
        audit(uow, cmd.actor, "adjust_points", member.id, cmd.at, f"{cmd.amount:+d}: {cmd.reason}")
        uow.members.save(member)
        uow.events.append(PointsAdjusted(member.id, cmd.amount, cmd.reason, cmd.at))
        uow.commit()
        return AdjustmentResult(transfer.id, member.id, cmd.amount, uow.ledger.balance(account))


def grant_honor(cmd: GrantHonor, uow: UnitOfWork, economy: Economy) -> HonorAward:
    require_aware(cmd.at, "at")
    check_reason(cmd.reason)
    honor = economy.honor(cmd.honor_id)
    if honor is None:
        raise NotFound("honor", cmd.honor_id)
    if not honor.manual:
        raise HonorNotManual(honor.id)
    with uow:
        member = member_for_update(uow, cmd.member_id)
        if uow.honors.active(member.id, honor.id) is not None:
            raise AlreadyExists("honor award", f"{honor.id} for {member.id}")
        if not uow.honors.take_seat(honor.id, honor.max_holders):
            assert honor.max_holders is not None, "an honor without a cap always has a seat"
            raise HonorCapacityReached(honor.id, honor.max_holders)
        award = HonorAward(
            uow.next_id("hon"), member.id, honor.id, None, cmd.at, cmd.actor, cmd.reason
        )
        uow.honors.add(award)
        audit(uow, cmd.actor, "grant_honor", member.id, cmd.at, f"{honor.id}: {cmd.reason}")
        uow.events.append(HonorGranted(member.id, honor.id, None, cmd.at))
        uow.commit()
    return award


def revoke_honor(cmd: RevokeHonor, uow: UnitOfWork, economy: Economy) -> HonorAward:
    require_aware(cmd.at, "at")
    check_reason(cmd.reason)
    honor = economy.honor(cmd.honor_id)
    if honor is None:
        raise NotFound("honor", cmd.honor_id)
    if not honor.manual:
        raise HonorNotManual(honor.id)
    with uow:
        member = member_for_update(uow, cmd.member_id)
        award = uow.honors.active(member.id, honor.id)
        if award is None:
            raise NotFound("honor award", f"{honor.id} for {member.id}")
        revoked = replace(award, revoked_at=cmd.at, revoked_by=cmd.actor, revoke_reason=cmd.reason)
        uow.honors.save(revoked)
        uow.honors.release_seat(honor.id)
        audit(uow, cmd.actor, "revoke_honor", member.id, cmd.at, f"{honor.id}: {cmd.reason}")
        uow.events.append(HonorRevoked(member.id, honor.id, cmd.at))
        uow.commit()
    return revoked


def lock_level(cmd: LockLevel, uow: UnitOfWork, economy: Economy) -> Member:
    require_aware(cmd.at, "at")
    check_reason(cmd.reason)
    with uow:
        member = member_for_update(uow, cmd.member_id)
        events: list[Event]
        if cmd.level_id is None:
            events = list(levels.unlock(economy, member, cmd.at))
            detail = f"unlocked: {cmd.reason}"
        else:
            level = economy.level(cmd.level_id)
            if level is None:
                raise NotFound("level", cmd.level_id)
            events = list(levels.lock(economy, member, level, cmd.at))
            detail = f"locked at {level.id}: {cmd.reason}"
        events.extend(grant_automatic(uow, economy, member, cmd.at))
        uow.members.save(member)
        audit(uow, cmd.actor, "lock_level", member.id, cmd.at, detail)
        uow.events.extend(events)
        uow.commit()
    return member
