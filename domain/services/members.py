"""Use cases of members: registration and reading a member, balances and ledger."""

from __future__ import annotations

from domain import handles
from domain.calendar import require_aware
from domain.commands import (
    RegisterMember,
)
from domain.economy import Economy
from domain.errors import (
    AlreadyExists,
    NotFound,
)
from domain.ledger import (
    Balances,
    LedgerEntry,
    available_account,
    debt_account,
    held_account,
    pending_account,
)
from domain.model import (
    Member,
)
from domain.ports import UnitOfWork
from domain.services import referrals
from domain.services._support import (
    grant_automatic,
    page_size_max,
)


def register_member(
    cmd: RegisterMember, uow: UnitOfWork, economy: Economy, referral_key: bytes | None = None
) -> Member:
    """Register a member; with `referral_key` (the edge's secret) their referral code is
    indexed at once, and a `referral_code` links them to their referrer (the guards refuse
    it, and the registration, with `ReferralRefused` or `InvalidInput` naming the field)."""
    require_aware(cmd.at, "at")
    handle = handles.normalize_handle(cmd.handle)
    display_name = handles.normalize_display_name(cmd.display_name)
    external_id = None if cmd.member_id is None else handles.check_external_id(cmd.member_id)
    identities = referrals.check_identities(cmd.identities)
    with uow:
        if uow.members.get_by_handle(handle) is not None:
            raise AlreadyExists("member handle", handle)
        member_id = external_id or uow.next_id("mem")
        if external_id is not None and uow.members.get(member_id) is not None:
            raise AlreadyExists("member", member_id)
        member = Member(
            id=member_id,
            handle=handle,
            display_name=display_name,
            joined_at=cmd.at,
            level_id=economy.levels[0].id,
        )
        uow.members.add(member)
        if identities:
            uow.referrals.add_identities(member.id, identities)
        if referral_key is not None:
            referrals.index_code(uow, member.id, referral_key)
        if cmd.referral_code is not None:
            referrals.link(uow, economy, member, cmd.referral_code, cmd.at)
        events = grant_automatic(uow, economy, member, cmd.at)
        uow.members.save(member)
        uow.events.extend(events)
        uow.commit()
    return member


def get_member(member_id: str, uow: UnitOfWork) -> Member:
    with uow:
        member = uow.members.get(member_id)
    if member is None:
        raise NotFound("member", member_id)
    return member


def balances(member_id: str, uow: UnitOfWork) -> Balances:
    with uow:
        member = uow.members.get(member_id)
        if member is None:
            raise NotFound("member", member_id)
        accounts = [available_account(member_id), held_account(member_id)]
        found = uow.ledger.balances(
            [*accounts, pending_account(member_id), debt_account(member_id)]
        )
    return Balances(
        available=found.get(available_account(member_id), 0),
        reserved=found.get(held_account(member_id), 0),
        lifetime_earned=member.progress.lifetime_earned,
        pending=found.get(pending_account(member_id), 0),
        debt=-found.get(debt_account(member_id), 0),
    )


def ledger_entries(
    member_id: str, uow: UnitOfWork, after_seq: int | None = None, first: int = 20
) -> list[LedgerEntry]:
    with uow:
        return uow.ledger.entries(member_id, after_seq, min(max(first, 0), page_size_max))
