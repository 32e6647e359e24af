"""Use cases of members: registration and reading a member, balances and ledger."""

from __future__ import annotations

import re

from domain.calendar import require_aware
from domain.commands import (
    RegisterMember,
    handle_length_max,
)
from domain.economy import Economy
from domain.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
)
from domain.ledger import Balances, LedgerEntry, available_account, held_account
from domain.model import (
    Member,
)
from domain.ports import UnitOfWork
from domain.services._support import (
    grant_automatic,
    page_size_max,
)

HANDLE_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


def register_member(cmd: RegisterMember, uow: UnitOfWork, economy: Economy) -> Member:
    require_aware(cmd.at, "at")
    handle = cmd.handle.strip()
    if not (0 < len(handle) <= handle_length_max) or not HANDLE_RE.match(handle):
        raise InvalidInput(
            "handle", f"must be 1 to {handle_length_max} letters, digits, '_', '.' or '-'"
        )
    if not (0 < len(cmd.display_name.strip()) <= 80):
        raise InvalidInput("displayName", "must be 1 to 80 characters")
    with uow:
        if uow.members.get_by_handle(handle) is not None:
            raise AlreadyExists("member handle", handle)
        member_id = cmd.member_id or uow.next_id("mem")
        if cmd.member_id is not None and uow.members.get(member_id) is not None:
            raise AlreadyExists("member", member_id)
        member = Member(
            id=member_id,
            handle=handle,
            display_name=cmd.display_name.strip(),
            joined_at=cmd.at,
            level_id=economy.levels[0].id,
        )
        uow.members.add(member)
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
        found = uow.ledger.balances([available_account(member_id), held_account(member_id)])
    return Balances(
        available=found.get(available_account(member_id), 0),
        reserved=found.get(held_account(member_id), 0),
        lifetime_earned=member.progress.lifetime_earned,
    )


def ledger_entries(
    member_id: str, uow: UnitOfWork, after_seq: int | None = None, first: int = 20
) -> list[LedgerEntry]:
    with uow:
        return uow.ledger.entries(member_id, after_seq, min(max(first, 0), page_size_max))
