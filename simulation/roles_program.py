"""The simulator's side of honor roles, through the same domain services as the API.

At each scheduled review: the roles review runs first (terms over end, holders below
eligibility are flagged, mentees who made it credit their mentor); then, role by role,
living members of archetypes with a `role_interest` step forward with that chance if they
are eligible: they apply and an operator appoints them (application), an operator
appoints them (appointment), or a current holder of a nominating role nominates them and
they accept (nomination), while seats last. Active terms ending before the next review
are renewed for holders still eligible and not flagged. Newcomers join a mentor who has a
mentee seat free. Only commands that succeeded are logged, with the holding ids they made,
so a replay can issue them again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from domain.commands import (
    AcceptRole,
    ApplyForRole,
    AppointToRole,
    AssignMentee,
    NominateForRole,
    RenewRole,
)
from domain.economy import Economy, Role
from domain.errors import DomainError
from domain.ports import UnitOfWork
from domain.roles import RoleState
from domain.services import roles as services

ROLE_COUNTS = ("applied", "nominated", "appointed", "refused", "ended", "renewed", "flagged",
               "terms_days")  # fmt: skip
OPERATOR = "simulator"
LogFn = Callable[[str, Any], None]


@dataclass
class RolesProgram:
    """What the roles did in one run."""

    economy: Economy
    store: Callable[[], UnitOfWork]
    log: LogFn
    roles: dict[str, dict[str, int]] = field(default_factory=dict)
    mentor_credits: int = 0
    mentees_paired: int = 0
    mentor_tiers: int = 0

    def __post_init__(self) -> None:
        self.roles = {r.id: dict.fromkeys(ROLE_COUNTS, 0) for r in self.economy.roles}

    def _run(self, kind: str, service: Callable[..., Any], cmd: Any) -> Any:
        """Issue one command; a refused one is counted, a done one logged."""
        uow = self.store()
        try:
            done = service(cmd, uow, self.economy)
        except DomainError:
            return None
        self.log(kind, (cmd, getattr(done, "id", None)))
        return done

    def seats_filled(self, role: Role) -> int:
        with self.store() as uow:
            return uow.roles.holders(role.id)

    def round(
        self,
        as_of: datetime,
        every_days: int,
        candidates: list[str],
        interest: Callable[[str], float],
        newcomers: list[str],
        rng: np.random.Generator,
    ) -> None:
        """One review's worth of role activity."""
        self.log("review_roles", as_of)
        review = services.review_roles(self.store, self.economy, as_of)
        self.mentor_tiers += review.mentor_tiers
        for role in self.economy.roles:
            self._renewals(role, as_of, every_days)
            for member in candidates:
                if self.seats_filled(role) >= role.seats:
                    break
                if rng.random() >= interest(member):
                    continue
                self._step_forward(role, member, as_of)
            if role.mentees:
                self._pair(role, newcomers, as_of)
        flagged = services.flagged_holders(self.store(), None, 100)
        self.mentor_credits = self._credited()
        for role in self.economy.roles:
            counts = self.roles[role.id]
            counts["ended"] = self._count(role, RoleState.ENDED)
            counts["flagged"] = sum(h.role_id == role.id for h in flagged)

    def _credited(self) -> int:
        """Mentees credited to their mentor so far, in every mentor role."""
        total = 0
        for role in self.economy.roles:
            if not role.mentees:
                continue
            terms = services.role_hall_of_fame(self.store(), self.economy, 100)
            for mentor in sorted({h.member_id for h in terms if h.role_id == role.id}):
                paired = services.mentorships_of(self.store(), mentor, role.id)
                total += sum(m.credited_at is not None for m in paired)
        return total

    def _count(self, role: Role, state: RoleState) -> int:
        return len(services.role_holdings(self.store(), role.id, None, (state,), None, 101))

    def _step_forward(self, role: Role, member: str, at: datetime) -> None:
        counts = self.roles[role.id]
        if role.entry == "application":
            if self._run("role_apply", services.apply_for_role, ApplyForRole(member, role.id, at)):
                counts["applied"] += 1
                self._appoint(role, member, at)
        elif role.entry == "appointment":
            self._appoint(role, member, at)
        else:
            nominator = self._nominator(role)
            if nominator is None or nominator == member:
                return
            cmd = NominateForRole(member, role.id, nominator, nominator, at)
            nominated = self._run("role_nominate", services.nominate_for_role, cmd)
            if nominated is None:
                return
            counts["nominated"] += 1
            accept = AcceptRole(member, nominated.id, at + timedelta(minutes=5))
            if self._run("role_accept", services.accept_role, accept):
                counts["appointed"] += 1
            else:
                counts["refused"] += 1

    def _appoint(self, role: Role, member: str, at: datetime) -> None:
        cmd = AppointToRole(member, role.id, OPERATOR, at + timedelta(minutes=10))
        done = self._run("role_appoint", services.appoint_to_role, cmd)
        self.roles[role.id]["appointed" if done else "refused"] += 1
        if done is not None and done.started_at is not None and done.ends_at is not None:
            self.roles[role.id]["terms_days"] += (done.ends_at - done.started_at).days

    def _nominator(self, role: Role) -> str | None:
        for other in role.nominated_by:
            holders = services.role_holdings(self.store(), other, None, (RoleState.ACTIVE,))
            if holders:
                return holders[0].member_id
        return None

    def _renewals(self, role: Role, as_of: datetime, every_days: int) -> None:
        horizon = as_of + timedelta(days=every_days)
        active = services.role_holdings(self.store(), role.id, None, (RoleState.ACTIVE,), None, 100)
        for holding in active:
            if holding.flagged_at is not None or holding.ends_at is None:
                continue
            if as_of < holding.ends_at <= horizon:
                renewed = self._run("role_renew", services.renew_role,
                                    RenewRole(holding.id, OPERATOR, as_of))  # fmt: skip
                if renewed is not None:
                    self.roles[role.id]["renewed"] += 1

    def _pair(self, role: Role, newcomers: list[str], at: datetime) -> None:
        mentors = services.role_holdings(
            self.store(), role.id, None, (RoleState.ACTIVE,), None, 100
        )
        for mentor in mentors:
            open_seats = role.mentees - sum(
                m.credited_at is None
                for m in services.mentorships_of(self.store(), mentor.member_id, role.id)
            )
            while open_seats > 0 and newcomers:
                mentee = newcomers.pop(0)
                cmd = AssignMentee(role.id, mentor.member_id, mentee, mentee, mentee, at)
                if self._run("role_mentee", services.assign_mentee, cmd) is not None:
                    self.mentees_paired += 1
                    open_seats -= 1


REPLAYED: dict[str, Callable[[Any, UnitOfWork, Economy], Any]] = {
    "role_apply": services.apply_for_role,
    "role_nominate": services.nominate_for_role,
    "role_appoint": services.appoint_to_role,
    "role_accept": services.accept_role,
    "role_renew": services.renew_role,
    "role_mentee": services.assign_mentee,
}


def replay_roles(
    kind: str, payload: Any, uow: Callable[[], UnitOfWork], economy: Economy,
    ids: dict[str, str],
) -> bool:  # fmt: skip
    """Replay one roles entry (True if `kind` is one). Holding ids are the store's own:
    later steps naming one are mapped from the simulated run's ids."""
    if kind == "review_roles":
        assert isinstance(payload, datetime)
        services.review_roles(uow, economy, payload)
        return True
    service = REPLAYED.get(kind)
    if service is None:
        return False
    cmd, simulated = payload
    if isinstance(cmd, AcceptRole | RenewRole):
        cmd = replace(cmd, holding_id=ids[cmd.holding_id])
    done = service(cmd, uow(), economy)
    if simulated is not None:
        ids[simulated] = done.id
    return True
