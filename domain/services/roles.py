"""Use cases of honor roles with terms: apply, nominate, appoint, accept, end, renew;
the review ends terms that are over, flags holders below eligibility (operators decide)
and credits mentors; mentors are paired with newcomers.

Every change of a holding happens under its member's row lock and is saved by a
conditional update on its version; a seat is taken by a conditional update on the
role's counted seats, so concurrent appointments never exceed them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain import roles
from domain.calendar import require_aware
from domain.commands import (
    AcceptRole,
    ApplyForRole,
    AppointToRole,
    AssignMentee,
    EndRole,
    NominateForRole,
    RenewRole,
)
from domain.economy import Economy, Role
from domain.errors import (
    AlreadyExists,
    HonorCapacityReached,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    NotFound,
    RoleSeatsTaken,
)
from domain.model import (
    Event,
    HonorAward,
    HonorGranted,
    HonorRevoked,
    Member,
    MentorCredited,
    RoleEnded,
    RoleFlagged,
    RoleGranted,
)
from domain.ports import UnitOfWork
from domain.roles import Mentorship, RoleHolding, RoleState
from domain.services._support import audit, member_for_update, page_size_max

TERM_ENDED = "term ended"


def _role(economy: Economy, role_id: str) -> Role:
    role = economy.role(role_id)
    if role is None:
        raise NotFound("role", role_id)
    return role


def _held(uow: UnitOfWork, member_id: str) -> set[str]:
    return {a.honor_id for a in uow.honors.list_for_member(member_id) if a.active}


def _shortfall(uow: UnitOfWork, economy: Economy, role: Role, member: Member) -> str | None:
    return roles.shortfall(economy, role, member, _held(uow, member.id))


def _require_eligible(uow: UnitOfWork, economy: Economy, role: Role, member: Member) -> None:
    reason = _shortfall(uow, economy, role, member)
    if reason is not None:
        raise NotEligible(reason, role.min_level)


def _save(uow: UnitOfWork, holding: RoleHolding, action: str) -> None:
    if not uow.roles.save(holding):
        current = uow.roles.get(holding.id)
        state = current.state.value if current is not None else "gone"
        raise InvalidTransition("role holding", holding.id, state, action)
    holding.version += 1


def _no_open(uow: UnitOfWork, member: Member, role: Role) -> None:
    found = uow.roles.open_for(member.id, role.id)
    if found is not None:
        raise AlreadyExists("role holding", f"{role.id} for {member.id} ({found.state.value})")


def _propose(
    uow: UnitOfWork, role: Role, member: Member, state: RoleState, entry: str, by: str,
    at: datetime,
) -> RoleHolding:  # fmt: skip
    holding = RoleHolding(uow.next_id("rol"), role.id, member.id, state, entry, by, at)
    uow.roles.add(holding)
    return holding


def _start(
    uow: UnitOfWork, economy: Economy, role: Role, holding: RoleHolding, actor: str,
    at: datetime,
) -> list[Event]:  # fmt: skip
    """Take a seat (or refuse: all taken), start the term, show the role's honor."""
    if not uow.roles.take_seat(role.id, role.seats):
        raise RoleSeatsTaken(role.id, role.seats)
    roles.start(role, holding, at)
    events: list[Event] = []
    honor = economy.honor(role.honor or "")
    if honor is not None and uow.honors.active(holding.member_id, honor.id) is None:
        if not uow.honors.take_seat(honor.id, honor.max_holders):
            assert honor.max_holders is not None, "an honor without a cap always has a seat"
            raise HonorCapacityReached(honor.id, honor.max_holders)  # granted by hand too
        uow.honors.add(HonorAward(uow.next_id("hon"), holding.member_id, honor.id, None, at,
                                  actor, f"role {role.id}"))  # fmt: skip
        events.append(HonorGranted(holding.member_id, honor.id, None, at))
    assert holding.ends_at is not None
    events.append(RoleGranted(holding.member_id, role.id, holding.id, holding.ends_at, 0, at))
    return events


def _finish(
    uow: UnitOfWork, economy: Economy, holding: RoleHolding, reason: str, by: str, at: datetime
) -> list[Event]:
    """End an open holding; a seated one frees its seat and its role's honor."""
    seated = roles.end(holding, reason, by, at)
    events: list[Event] = []
    role = economy.role(holding.role_id)
    if seated:
        uow.roles.release_seat(holding.role_id)
        award = uow.honors.active(holding.member_id, role.honor) if role and role.honor else None
        if award is not None:
            uow.honors.save(replace(award, revoked_at=at, revoked_by=by, revoke_reason=reason))
            uow.honors.release_seat(award.honor_id)
            events.append(HonorRevoked(holding.member_id, award.honor_id, at))
    events.append(RoleEnded(holding.member_id, holding.role_id, holding.id, reason, at))
    return events


def apply_for_role(cmd: ApplyForRole, uow: UnitOfWork, economy: Economy) -> RoleHolding:
    """An eligible member applies for a role entered by application; an operator then
    appoints (or ends the application)."""
    require_aware(cmd.at, "at")
    role = _role(economy, cmd.role_id)
    if role.entry != "application":
        raise NotEligible(f"role {role.id!r} is entered by {role.entry}, not by application")
    with uow:
        member = member_for_update(uow, cmd.member_id)
        _require_eligible(uow, economy, role, member)
        _no_open(uow, member, role)
        holding = _propose(uow, role, member, RoleState.APPLIED, "application", member.id,
                           cmd.at)  # fmt: skip
        uow.commit()
    return holding


def nominate_for_role(cmd: NominateForRole, uow: UnitOfWork, economy: Economy) -> RoleHolding:
    """An operator, or a current holder of one of the role's nominating roles, nominates
    an eligible member (not themselves); the nominee accepts to start the term."""
    require_aware(cmd.at, "at")
    role = _role(economy, cmd.role_id)
    if role.entry != "nomination":
        raise NotEligible(f"role {role.id!r} is entered by {role.entry}, not by nomination")
    if cmd.nominator_id is not None and cmd.nominator_id == cmd.member_id:
        raise InvalidInput("memberId", "a member cannot nominate themselves")
    with uow:
        member = member_for_update(uow, cmd.member_id)
        by = cmd.actor
        if cmd.nominator_id is not None:
            holds = [uow.roles.open_for(cmd.nominator_id, other) for other in role.nominated_by]
            if not any(h is not None and h.state is RoleState.ACTIVE for h in holds):
                names = ", ".join(role.nominated_by) or "no role"
                raise NotEligible(f"only holders of {names} may nominate for {role.id!r}")
            by = cmd.nominator_id
        _require_eligible(uow, economy, role, member)
        _no_open(uow, member, role)
        holding = _propose(uow, role, member, RoleState.NOMINATED, "nomination", by, cmd.at)
        audit(uow, cmd.actor, "nominate_for_role", member.id, cmd.at, f"{role.id} by {by}")
        uow.commit()
    return holding


def appoint_to_role(cmd: AppointToRole, uow: UnitOfWork, economy: Economy) -> RoleHolding:
    """An operator appoints an eligible member: the member's open application or
    nomination starts, or a new appointment does. Refused when every seat is taken."""
    require_aware(cmd.at, "at")
    role = _role(economy, cmd.role_id)
    with uow:
        member = member_for_update(uow, cmd.member_id)
        _require_eligible(uow, economy, role, member)
        holding = uow.roles.open_for(member.id, role.id)
        if holding is not None and holding.state is RoleState.ACTIVE:
            raise AlreadyExists("role holding", f"{role.id} for {member.id} (active)")
        if holding is None:
            holding = _propose(uow, role, member, RoleState.APPLIED, "appointment", cmd.actor,
                               cmd.at)  # fmt: skip
        events = _start(uow, economy, role, holding, cmd.actor, cmd.at)
        _save(uow, holding, "appoint")
        audit(uow, cmd.actor, "appoint_to_role", member.id, cmd.at, f"{role.id} ({holding.id})")
        uow.events.extend(events)
        uow.commit()
    return holding


def _own(uow: UnitOfWork, member_id: str, holding_id: str) -> RoleHolding:
    found = uow.roles.get(holding_id)
    if found is None or found.member_id != member_id:
        raise NotFound("role holding", holding_id)  # another's is as unknown as a missing one
    return found


def accept_role(cmd: AcceptRole, uow: UnitOfWork, economy: Economy) -> RoleHolding:
    """The nominee accepts: still eligible and a seat free, the term starts."""
    require_aware(cmd.at, "at")
    with uow:
        member = member_for_update(uow, cmd.member_id)
        holding = _own(uow, member.id, cmd.holding_id)
        if holding.state is not RoleState.NOMINATED:
            raise InvalidTransition("role holding", holding.id, holding.state.value, "accept")
        role = _role(economy, holding.role_id)
        _require_eligible(uow, economy, role, member)
        events = _start(uow, economy, role, holding, member.id, cmd.at)
        _save(uow, holding, "accept")
        uow.events.extend(events)
        uow.commit()
    return holding


def end_role(cmd: EndRole, uow: UnitOfWork, economy: Economy) -> RoleHolding:
    """The holder steps down (or withdraws an application or nomination), or an operator
    ends the holding, with a reason. A term's seat is freed."""
    require_aware(cmd.at, "at")
    roles.check_reason(cmd.reason)
    with uow:
        found = uow.roles.get(cmd.holding_id)
        if found is None or (cmd.member_id is not None and found.member_id != cmd.member_id):
            raise NotFound("role holding", cmd.holding_id)
        member_for_update(uow, found.member_id)
        holding = _own(uow, found.member_id, cmd.holding_id)  # read again, under the lock
        by = cmd.member_id if cmd.member_id is not None else cmd.actor
        events = _finish(uow, economy, holding, cmd.reason, by, cmd.at)
        _save(uow, holding, "end")
        audit(uow, cmd.actor, "end_role", holding.member_id, cmd.at,
              f"{holding.role_id} ({holding.id}): {cmd.reason}")  # fmt: skip
        uow.events.extend(events)
        uow.commit()
    return holding


def renew_role(cmd: RenewRole, uow: UnitOfWork, economy: Economy) -> RoleHolding:
    """An operator renews an active term of a still eligible holder by one more term."""
    require_aware(cmd.at, "at")
    with uow:
        found = uow.roles.get(cmd.holding_id)
        if found is None:
            raise NotFound("role holding", cmd.holding_id)
        member = member_for_update(uow, found.member_id)
        holding = _own(uow, member.id, cmd.holding_id)
        role = _role(economy, holding.role_id)
        _require_eligible(uow, economy, role, member)
        roles.renew(role, holding, cmd.at)
        _save(uow, holding, "renew")
        assert holding.ends_at is not None
        audit(uow, cmd.actor, "renew_role", member.id, cmd.at,
              f"{role.id} ({holding.id}) until {holding.ends_at.isoformat()}")  # fmt: skip
        uow.events.append(RoleGranted(member.id, role.id, holding.id, holding.ends_at,
                                      holding.renewals, cmd.at))  # fmt: skip
        uow.commit()
    return holding


@dataclass(frozen=True, slots=True)
class RoleReview:
    """What one pass of the roles review did."""

    ended: int
    flagged: int
    cleared: int
    credited: int
    mentor_tiers: int


def review_roles(uow_factory: object, economy: Economy, at: datetime) -> RoleReview:
    """Every page: terms over end (seats freed), active holders below eligibility are
    flagged (once, until eligible again), mentees at the declared level credit their
    mentor (once), mentors gain the mentor honor's tiers their credits reach."""
    require_aware(at, "at")
    assert callable(uow_factory)
    ended = flagged = cleared = credited = tiers = 0
    after: str | None = None
    while True:
        done, after = end_terms(uow_factory(), economy, at, after)
        ended += len(done)
        if after is None:
            break
    after = None
    while True:
        up, down, after = flag_holders(uow_factory(), economy, at, after)
        flagged, cleared = flagged + up, cleared + down
        if after is None:
            break
    after = None
    while True:
        count, after = credit_mentors(uow_factory(), economy, at, after)
        credited += count
        if after is None:
            break
    for role in economy.roles:
        if role.mentor_honor is None:
            continue
        mentors = {h.member_id for h in _all_holdings(uow_factory, role.id)}
        for mentor_id in sorted(mentors):
            tiers += len(grant_mentor_tiers(uow_factory(), economy, role, mentor_id, at))
    return RoleReview(ended, flagged, cleared, credited, tiers)


def _all_holdings(uow_factory: object, role_id: str) -> list[RoleHolding]:
    assert callable(uow_factory)
    out: list[RoleHolding] = []
    after: str | None = None
    states = (RoleState.ACTIVE, RoleState.ENDED)
    while True:
        uow: UnitOfWork = uow_factory()
        with uow:
            page = uow.roles.page(role_id, None, states, after, page_size_max)
        out += [h for h in page if h.started_at is not None]
        if len(page) < page_size_max:
            return out
        after = page[-1].id


def end_terms(
    uow: UnitOfWork, economy: Economy, at: datetime, after_id: str | None = None
) -> tuple[list[RoleHolding], str | None]:
    """End one page of terms over as of `at`; the next page's cursor (None: done)."""
    require_aware(at, "at")
    ended: list[RoleHolding] = []
    with uow:
        page = uow.roles.due(at, after_id, page_size_max)
        for candidate in sorted(page, key=lambda h: h.member_id):  # locks in id order
            member_for_update(uow, candidate.member_id)
            holding = uow.roles.get(candidate.id)
            assert holding is not None, f"role holding {candidate.id} vanished"
            if not roles.term_over(holding, at):
                continue
            uow.events.extend(_finish(uow, economy, holding, TERM_ENDED, "review", at))
            _save(uow, holding, "end")
            ended.append(holding)
        uow.commit()
    following = page[-1].id if len(page) == page_size_max else None
    return ended, following


def flag_holders(
    uow: UnitOfWork, economy: Economy, at: datetime, after_id: str | None = None
) -> tuple[int, int, str | None]:
    """One page of active holdings: a holder below eligibility is flagged (an event, once);
    one eligible again is cleared. Nobody is removed: operators decide."""
    require_aware(at, "at")
    up = down = 0
    with uow:
        page = uow.roles.page(None, None, (RoleState.ACTIVE,), after_id, page_size_max)
        for candidate in sorted(page, key=lambda h: h.member_id):
            member = member_for_update(uow, candidate.member_id)
            holding = uow.roles.get(candidate.id)
            role = economy.role(candidate.role_id)
            if holding is None or holding.state is not RoleState.ACTIVE:
                continue
            reason = (
                f"role {holding.role_id!r} is no longer in the economy"
                if role is None
                else _shortfall(uow, economy, role, member)
            )
            if reason is not None and holding.flagged_at is None:
                holding.flagged_at, holding.flag_reason = at, reason
                _save(uow, holding, "flag")
                uow.events.append(RoleFlagged(member.id, holding.role_id, holding.id, reason, at))
                up += 1
            elif reason is None and holding.flagged_at is not None:
                holding.flagged_at = holding.flag_reason = None
                _save(uow, holding, "clear")
                down += 1
        uow.commit()
    following = page[-1].id if len(page) == page_size_max else None
    return up, down, following


def credit_mentee(uow: UnitOfWork, economy: Economy, mentee: Member, at: datetime) -> list[Event]:
    """Inside the mentee's locked unit of work: each uncredited mentorship whose role's
    declared level the mentee has reached credits its mentor, once (conditional save)."""
    events: list[Event] = []
    for role in economy.roles:
        if role.mentee_level is None or not roles.reached(economy, role.mentee_level, mentee):
            continue
        mentorship = uow.roles.mentorship(role.id, mentee.id)  # the (role, mentee) key
        if mentorship is None or mentorship.credited_at is not None:
            continue
        mentorship.credited_at = at
        if not uow.roles.save_mentorship(mentorship):
            continue  # credited by another writer first: once per mentee
        count = sum(
            m.credited_at is not None
            for m in uow.roles.mentorships_of(mentorship.mentor_id, role.id)
        )
        events.append(MentorCredited(mentorship.mentor_id, role.id, mentee.id, count, at))
    return events


def credit_mentors(
    uow: UnitOfWork, economy: Economy, at: datetime, after_id: str | None = None
) -> tuple[int, str | None]:
    """The review's catch-up: a mentee promoted outside an activity (an adjustment, a task
    payout) credits the mentor here. One page; the next page's cursor."""
    credited = 0
    with uow:
        page = uow.roles.uncredited(after_id, page_size_max)
        for mentee_id in sorted({m.mentee_id for m in page}):
            events = credit_mentee(uow, economy, member_for_update(uow, mentee_id), at)
            credited += len(events)
            uow.events.extend(events)
        uow.commit()
    following = page[-1].id if len(page) == page_size_max else None
    return credited, following


def grant_mentor_tiers(
    uow: UnitOfWork, economy: Economy, role: Role, mentor_id: str, at: datetime
) -> list[Event]:
    """The mentor honor's tiers the mentor's credited mentees reach, each granted once."""
    honor = economy.honor(role.mentor_honor or "")
    if honor is None:
        return []
    events: list[Event] = []
    with uow:
        member_for_update(uow, mentor_id)
        count = sum(m.credited_at is not None for m in uow.roles.mentorships_of(mentor_id, role.id))
        held = {a.tier for a in uow.honors.list_for_member(mentor_id)
                if a.honor_id == honor.id and a.active}  # fmt: skip
        for tier in sorted(honor.tiers, key=lambda t: t.at):
            if tier.at > count or tier.name in held:
                continue
            if not held:
                uow.honors.take_seat(honor.id, None)
            uow.honors.add(HonorAward(uow.next_id("hon"), mentor_id, honor.id, tier.name, at,
                                      None, f"{count} mentee(s) of {role.id} made it"))  # fmt: skip
            held.add(tier.name)
            events.append(HonorGranted(mentor_id, honor.id, tier.name, at))
        uow.events.extend(events)
        uow.commit()
    return events


def assign_mentee(cmd: AssignMentee, uow: UnitOfWork, economy: Economy) -> Mentorship:
    """An operator, or the mentee, pairs a mentee with an active holder of a mentor role
    who has a mentee seat free. A mentee has one mentor per role, ever (credited once)."""
    require_aware(cmd.at, "at")
    role = _role(economy, cmd.role_id)
    if role.mentees == 0:
        raise InvalidInput("roleId", f"role {role.id!r} is not a mentor role")
    if cmd.mentor_id == cmd.mentee_id:
        raise InvalidInput("menteeId", "a member cannot be their own mentor")
    if cmd.member_id is not None and cmd.member_id != cmd.mentee_id:
        raise InvalidInput("menteeId", "a member pairs only themselves with a mentor")
    with uow:
        first, second = sorted((cmd.mentor_id, cmd.mentee_id))  # locks in id order
        locked = {first: member_for_update(uow, first), second: member_for_update(uow, second)}
        mentee = locked[cmd.mentee_id]
        holding = uow.roles.open_for(cmd.mentor_id, role.id)
        if holding is None or holding.state is not RoleState.ACTIVE:
            raise NotEligible(f"member {cmd.mentor_id!r} does not hold {role.id!r}")
        if uow.roles.mentorship(role.id, mentee.id) is not None:
            raise AlreadyExists("mentorship", f"{role.id} for {mentee.id}")
        if role.mentee_level is not None and roles.reached(economy, role.mentee_level, mentee):
            raise NotEligible(f"member {mentee.id!r} has reached {role.mentee_level!r} already")
        current = [m for m in uow.roles.mentorships_of(cmd.mentor_id, role.id)
                   if m.credited_at is None]  # fmt: skip
        if len(current) >= role.mentees:
            raise RoleSeatsTaken(role.id, role.mentees, "mentees per mentor")
        mentorship = Mentorship(uow.next_id("mnt"), role.id, cmd.mentor_id, mentee.id, cmd.at,
                                cmd.member_id or cmd.actor)  # fmt: skip
        uow.roles.add_mentorship(mentorship)
        audit(uow, cmd.actor, "assign_mentee", mentee.id, cmd.at,
              f"{role.id}: mentor {cmd.mentor_id}")  # fmt: skip
        uow.commit()
    return mentorship


def get_holding(holding_id: str, uow: UnitOfWork) -> RoleHolding:
    with uow:
        found = uow.roles.get(holding_id)
    if found is None:
        raise NotFound("role holding", holding_id)
    return found


def role_holdings(
    uow: UnitOfWork,
    role_id: str | None = None,
    member_id: str | None = None,
    states: tuple[RoleState, ...] = (),
    after_id: str | None = None,
    first: int = 20,
) -> list[RoleHolding]:
    """Holdings by id, of one role, one member, some states."""
    with uow:
        return uow.roles.page(role_id, member_id, states, after_id,
                              min(max(first, 0), page_size_max + 1))  # fmt: skip


def flagged_holders(
    uow: UnitOfWork, after_id: str | None = None, first: int = 20
) -> list[RoleHolding]:
    """Active holdings the review flagged below eligibility, for operators to decide."""
    out: list[RoleHolding] = []
    limit = min(max(first, 0), page_size_max + 1)
    with uow:
        while len(out) < limit:
            page = uow.roles.page(None, None, (RoleState.ACTIVE,), after_id, page_size_max)
            out += [h for h in page if h.flagged_at is not None]
            if len(page) < page_size_max:
                break
            after_id = page[-1].id
    return out[:limit]


def role_hall_of_fame(uow: UnitOfWork, economy: Economy, limit: int = 100) -> list[RoleHolding]:
    """Current and past holders with their terms: the terms that started, newest first."""
    out: list[RoleHolding] = []
    with uow:
        for role in economy.roles:
            after: str | None = None
            while True:
                page = uow.roles.page(role.id, None, (RoleState.ACTIVE, RoleState.ENDED),
                                      after, page_size_max)  # fmt: skip
                out += [h for h in page if h.started_at is not None]
                if len(page) < page_size_max:
                    break
                after = page[-1].id
    out.sort(key=lambda h: (h.started_at or h.proposed_at, h.id), reverse=True)
    return out[:limit]


def mentorships_of(uow: UnitOfWork, mentor_id: str, role_id: str) -> list[Mentorship]:
    with uow:
        return uow.roles.mentorships_of(mentor_id, role_id)
