"""The simulator's side of referrals, through the same domain services as the API.

On each visit, a member of an archetype with an `invite_per_visit` brings a friend with
that chance: the friend registers the next morning as a new member with the inviter's
referral code (domain.services.register_member; the guards may refuse, counted), of the
inviter's `invitee` archetype (else drawn by the shares). Whether the invitee qualifies
is then up to their own behaviour: the pipeline rewards the referrer on their first
qualifying action in time (paid, capped or held when the referrer is flagged for
farming). Purchases (an activity kind with an amount) pay commission up the chain as
pending points; the review confirms what is past its return window
(domain.services.confirm_commissions), and an operator decides every reward held for
review: confirmed with the population's `held_referral_confirm` chance, else reversed
(domain.services.decide_referral_reward). The report reads the conversion, the outcomes,
commission by level and the flagged referrers from the store at the end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from domain import services
from domain.commands import RegisterMember
from domain.economy import Economy
from domain.errors import DomainError
from domain.model import Event, ReferralQualified
from domain.ports import UnitOfWork
from domain.referrals import CommissionState, InviteeState
from domain.services import ConfirmedCommission, DecideReferralReward

SIM_REFERRAL_KEY = b"honorloop-simulator-referral-key"  # the simulator's edge holds this
COUNTS = ("invited", "refused", "qualified", "pay", "held", "capped", "confirmed_held",
          "reversed_held")  # fmt: skip
LEVELS = ("savings", "level_1", "level_2")  # commission share levels 0, 1, 2
flagged_pages_max = 100
LogFn = Callable[[str, Any], None]


@dataclass
class ReferralsProgram:
    """What referrals did in one run."""

    economy: Economy
    store: Callable[[], UnitOfWork]
    log: LogFn
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    codes: dict[str, str] = field(default_factory=dict)  # member -> code (derived once)
    seq: int = 0

    def code(self, member: str) -> str:
        found = self.codes.get(member)
        if found is None:
            found = self.codes[member] = services.referral_code_of(
                self.store(), member, SIM_REFERRAL_KEY
            )
        return found

    def register(self, cmd: RegisterMember) -> bool:
        """Register a member (an invitee when the command carries a code); False when the
        guards refused the code (the friend then does not join)."""
        try:
            services.register_member(cmd, self.store(), self.economy, SIM_REFERRAL_KEY)
        except DomainError:
            self.counts["refused"] += 1
            return False
        self.log("register", cmd)
        if cmd.referral_code is not None:
            self.counts["invited"] += 1
        return True

    def qualified(self, event: ReferralQualified) -> None:
        self.counts["qualified"] += 1
        self.counts[event.outcome] += 1

    def decide_held(
        self, as_of: datetime, confirm_share: float, rng: np.random.Generator
    ) -> list[Event]:
        """The review's operator round: every reward held for review is confirmed with
        `confirm_share`, else reversed; the events of the decisions (the referrer's
        points on a confirmation)."""
        events: list[Event] = []
        held = services.held_referrals(self.store(), None, services.page_size_max)
        while held:
            for referral in held:
                confirm = bool(rng.random() < confirm_share)
                self.seq += 1
                cmd = DecideReferralReward(referral.invitee_id, confirm, "reviewed the invitees",
                                           "simulator", f"held{self.seq}", as_of)  # fmt: skip
                uow = self.store()
                decision = services.decide_referral_reward(cmd, uow, self.economy)
                assert not decision.replayed, "every decision has a key of its own"
                self.log("decide_referral", cmd)
                self.counts["confirmed_held" if confirm else "reversed_held"] += 1
                events += uow.events
            held = services.held_referrals(self.store(), None, services.page_size_max)
        return events

    def confirm(self, as_of: datetime) -> list[ConfirmedCommission]:
        """The review's part: commissions past their return window confirmed."""
        self.log("confirm_commissions", as_of)
        return services.confirm_commissions(self.store, self.economy, as_of)

    def summary(self, end: datetime) -> dict[str, Any]:
        """Counts, the invitees' states at `end`, commission points by level and state,
        and the referrers flagged for farming at `end`."""
        program = self.economy.referrals
        assert program is not None, "the program runs under a referral program"
        with self.store() as uow:
            invitees = [
                r
                for member_id in sorted(self.codes)
                for r in uow.referrals.of_referrer(member_id, None, 10**9)
            ]
        states = [r.state(program, end) for r in invitees]
        expired = sum(s is InviteeState.EXPIRED for s in states)
        waiting = sum(s is InviteeState.WAITING for s in states)
        commission = {f"{level}_{state.value}": 0 for level in LEVELS for state in CommissionState}
        state = getattr(self.store, "state", None)
        for kept in getattr(state, "commissions", {}).values():
            for share in kept.shares:
                commission[f"{LEVELS[share.level]}_{kept.state.value}"] += share.points
        flagged = 0
        after: str | None = None
        for _ in range(flagged_pages_max):
            page = services.flagged_referrers(self.store(), self.economy, end, after, 100)
            flagged += len(page)
            if len(page) < 100:
                break
            after = page[-1].member_id
        invited = self.counts["invited"]
        return {
            **self.counts,
            "expired": expired,
            "waiting": waiting,
            "conversion": self.counts["qualified"] / invited if invited else 0.0,
            "flagged": flagged,
            **commission,
        }


def replay_referrals(
    kind: str, payload: Any, uow: Callable[[], UnitOfWork], economy: Economy
) -> bool:
    """Replay one referral entry (True if `kind` is one)."""
    if kind == "confirm_commissions":
        assert isinstance(payload, datetime)
        services.confirm_commissions(uow, economy, payload)
        return True
    if kind == "decide_referral":
        assert isinstance(payload, DecideReferralReward)
        services.decide_referral_reward(payload, uow(), economy)
        return True
    return False
