"""The simulator's side of paid membership, through the same domain service as the API.

On each visit, a member of an archetype with a `paid_tier_uptake` who holds no active paid
tier buys the economy's first paid tier for `PERIOD_DAYS` with that chance, just before
acting that day (so the multiplier applies to the day's activities). At each scheduled
review: the periods ended by then are recorded (domain.services.expire_memberships, the
review's part); then every paid member whose period ends before the next review renews it
with the archetype's `renew_probability` (renewed from the current end). Only purchases
the service accepted are logged, so a replay can issue them again. The extra points the
multiplier paid are counted per award line (`extra_points`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from domain.economy import Economy
from domain.errors import DomainError
from domain.membership import RecordMembershipPurchase
from domain.model import AwardLine
from domain.ports import UnitOfWork
from domain.services import membership as services

PERIOD_DAYS = 30  # one month bought at a time
PRICE = 1_500  # minor unit (cents) per period: what the purchase reports, not points
MULTIPLIED = "multiplied by the paid tier"  # the award line's reason (domain.earning)
COUNTS = ("started", "renewed", "expired", "active")
LogFn = Callable[[str, Any], None]


def multiplier_extra(lines: tuple[AwardLine, ...]) -> int:
    """Points the paid tier's multiplier added to these lines: a multiplied line paid
    above what the rule alone would have (base and streak bonus); a line clipped to that
    or below would have paid the same without the multiplier."""
    return sum(
        max(line.points - line.base_points - line.streak_bonus, 0)
        for line in lines
        if MULTIPLIED in line.reason
    )


@dataclass
class MembershipProgram:
    """What paid membership did in one run."""

    economy: Economy
    store: Callable[[], UnitOfWork]
    log: LogFn
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    extra_points: int = 0
    # (review day, paid members active just after the review's expiries and renewals)
    over_time: list[tuple[int, int]] = field(default_factory=list)
    until: dict[str, datetime] = field(default_factory=dict)  # member -> period end
    seq: int = 0

    @property
    def tier_id(self) -> str:
        return self.economy.paid_tiers[0].id

    def active(self, member: str, at: datetime) -> bool:
        end = self.until.get(member)
        return end is not None and at < end

    def _buy(self, member: str, at: datetime) -> bool:
        self.seq += 1
        cmd = RecordMembershipPurchase(
            member, self.tier_id, PERIOD_DAYS, PRICE, f"paid{self.seq}", at
        )
        try:
            outcome = services.record_membership_purchase(cmd, self.store(), self.economy)
        except DomainError:
            return False
        self.log("membership_purchase", cmd)
        self.until[member] = outcome.membership.until
        self.counts["renewed" if outcome.renewed else "started"] += 1
        return True

    def visits(
        self, visitors: list[str], uptake: Callable[[str], float], at: datetime,
        rng: np.random.Generator,
    ) -> None:  # fmt: skip
        """Visitors without an active paid tier buy one with their archetype's chance."""
        for member in visitors:
            if self.active(member, at):
                continue
            if rng.random() < uptake(member):
                self._buy(member, at)

    def review(
        self, day: int, as_of: datetime, every_days: int, renew: Callable[[str], float],
        alive: Callable[[str], bool], rng: np.random.Generator,
    ) -> None:  # fmt: skip
        """The review's round: record the ended periods, then renew the ones ending
        before the next review, by member id."""
        self.log("review_memberships", as_of)
        ended = services.expire_memberships(self.store, self.economy, as_of)
        self.counts["expired"] += len(ended)
        for event in ended:
            self.until.pop(event.member_id, None)
        horizon = as_of + timedelta(days=every_days)
        for member in sorted(self.until):
            if self.until[member] > horizon or not alive(member):
                continue
            if rng.random() < renew(member):
                self._buy(member, as_of)
        self.counts["active"] = sum(end > as_of for end in self.until.values())
        self.over_time.append((day, self.counts["active"]))

    def summary(self, end: datetime) -> dict[str, Any]:
        """The counts, with `active` the paid members at `end` (the run's end)."""
        active = sum(until > end for until in self.until.values())
        return {**self.counts, "active": active, "extra_points": self.extra_points,
                "over_time": self.over_time}  # fmt: skip


def replay_membership(kind: str, payload: Any, uow: Callable[[], UnitOfWork],
                      economy: Economy) -> bool:  # fmt: skip
    """Replay one membership entry (True if `kind` is one)."""
    if kind == "membership_purchase":
        assert isinstance(payload, RecordMembershipPurchase)
        services.record_membership_purchase(payload, uow(), economy)
        return True
    if kind == "review_memberships":
        assert isinstance(payload, datetime)
        services.expire_memberships(uow, economy, payload)
        return True
    return False
