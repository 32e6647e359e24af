"""Honor roles with terms (seed 000: the top of a community is rewarded with
responsibility). A member's holding of a role moves through

    APPLIED | NOMINATED -> ACTIVE (takes a seat) -> ENDED (frees it);
    APPLIED | NOMINATED -> ENDED (withdrawn or refused).

An active term ends by itself at `ends_at` (the review), may be renewed for another
term, and is flagged (never silently ended) when its holder falls below the role's
eligibility. Mentor roles pair holders with newcomers: a mentee reaching the role's
declared level credits the mentor, once per mentee. Pure: no I/O, no clock; `version`
counts the writes, so the store saves a transition only over the state it was read at."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.economy import Economy, Role
from domain.errors import InvalidInput, InvalidTransition
from domain.model import Member

reason_length_max = 500


class RoleState(StrEnum):
    APPLIED = "applied"
    NOMINATED = "nominated"
    ACTIVE = "active"
    ENDED = "ended"


OPEN_STATES = (RoleState.APPLIED, RoleState.NOMINATED, RoleState.ACTIVE)


@dataclass(slots=True)
class RoleHolding:
    """One member's way into one role, and the term that followed."""

    id: str
    role_id: str
    member_id: str
    state: RoleState
    entry: str  # "application", "nomination" or "appointment"
    proposed_by: str  # the applicant, the nominator or the appointing operator
    proposed_at: datetime
    version: int = 0
    started_at: datetime | None = None
    ends_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_reason: str | None = None
    renewals: int = 0
    flagged_at: datetime | None = None  # the holder fell below the role's eligibility
    flag_reason: str | None = None


@dataclass(slots=True)
class Mentorship:
    """A newcomer paired with a holder of a mentor role; credited once, ever."""

    id: str
    role_id: str
    mentor_id: str
    mentee_id: str
    assigned_at: datetime
    assigned_by: str
    version: int = 0
    credited_at: datetime | None = None


def shortfall(economy: Economy, role: Role, member: Member, held: Collection[str]) -> str | None:
    """Why `member` (holding the honors `held`) is not eligible for `role`; None if it is."""
    if role.min_level is not None:
        wanted, current = economy.level(role.min_level), economy.level(member.level_id)
        if wanted is not None and (current is None or current.rank < wanted.rank):
            return f"role {role.id!r} needs level {role.min_level!r} (is {member.level_id!r})"
    missing = [honor_id for honor_id in role.honors if honor_id not in held]
    if missing:
        return f"role {role.id!r} needs the honor(s) {', '.join(missing)}"
    return None


def reached(economy: Economy, level_id: str, member: Member) -> bool:
    """Whether `member` is at `level_id` or above."""
    wanted, current = economy.level(level_id), economy.level(member.level_id)
    return wanted is not None and current is not None and current.rank >= wanted.rank


def check_reason(reason: str) -> None:
    if not reason.strip():
        raise InvalidInput("reason", "ending a role says why")
    if len(reason) > reason_length_max:
        raise InvalidInput("reason", f"must be at most {reason_length_max} characters")


def _refuse(holding: RoleHolding, action: str) -> InvalidTransition:
    return InvalidTransition("role holding", holding.id, holding.state.value, action)


def start(role: Role, holding: RoleHolding, at: datetime) -> None:
    """APPLIED | NOMINATED -> ACTIVE for one term (the caller has taken a seat)."""
    if holding.state not in (RoleState.APPLIED, RoleState.NOMINATED):
        raise _refuse(holding, "start")
    holding.state, holding.started_at = RoleState.ACTIVE, at
    holding.ends_at = at + timedelta(days=role.term_days)


def renew(role: Role, holding: RoleHolding, at: datetime) -> None:
    """Another term, from the end of the current one."""
    if holding.state is not RoleState.ACTIVE or holding.ends_at is None:
        raise _refuse(holding, "renew")
    if holding.ends_at <= at:
        raise _refuse(holding, "renew a term already over")
    holding.ends_at += timedelta(days=role.term_days)
    holding.renewals += 1


def end(holding: RoleHolding, reason: str, by: str, at: datetime) -> bool:
    """Any open holding -> ENDED; True if it held a seat (the caller frees it)."""
    if holding.state is RoleState.ENDED:
        raise _refuse(holding, "end")
    seated = holding.state is RoleState.ACTIVE
    holding.state, holding.ended_at, holding.ended_by = RoleState.ENDED, at, by
    holding.end_reason = reason
    return seated


def term_over(holding: RoleHolding, at: datetime) -> bool:
    return (
        holding.state is RoleState.ACTIVE
        and holding.ends_at is not None
        and (holding.ends_at <= at)
    )
