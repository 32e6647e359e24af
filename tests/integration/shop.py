"""A small driver over the real services and any store, with short verbs for the tests
(the integration twin of `tests.unit.builders.World`, which is bound to memory)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime

from domain import services
from domain.commands import (
    AddCouponCodes,
    AdjustPoints,
    CancelRedemption,
    FulfillRedemption,
    GrantHonor,
    LockLevel,
    RecordActivity,
    RedeemReward,
    RegisterMember,
    ReverseActivity,
    ReviewMember,
    RevokeHonor,
)
from domain.economy import Economy
from domain.ledger import Balances, LedgerEntry
from domain.model import Event, HonorAward, Member, Redemption
from domain.ports import UnitOfWork
from tests.unit.builders import local

StoreFactory = Callable[[], UnitOfWork]
DEFAULT_AT = local(2026, 3, 2, 9)


class Shop:
    def __init__(self, store: StoreFactory, economy: Economy) -> None:
        self.store = store
        self.economy = economy
        self._keys: Iterator[int] = itertools.count(1)
        services.sync_rewards(store(), economy)

    def key(self) -> str:
        return f"key-{next(self._keys)}"

    # --- members ---------------------------------------------------------------------------

    def join(self, handle: str = "alice", at: datetime = DEFAULT_AT) -> str:
        cmd = RegisterMember(handle, handle.capitalize(), at)
        return services.register_member(cmd, self.store(), self.economy).id

    def member(self, member_id: str) -> Member:
        return services.get_member(member_id, self.store())

    def balances(self, member_id: str) -> Balances:
        return services.balances(member_id, self.store())

    def available(self, member_id: str) -> int:
        return self.balances(member_id).available

    # --- activities ------------------------------------------------------------------------

    def activity(
        self,
        member_id: str,
        kind: str,
        at: datetime = DEFAULT_AT,
        subject: str | None = None,
        key: str | None = None,
        *,
        received: datetime | None = None,
        **attributes: int,
    ) -> RecordActivity:
        """`received`: when it reached the services (default: when it happened)."""
        return RecordActivity(
            member_id, kind, at, key or self.key(), subject, dict(attributes), at=received or at
        )

    def record(
        self,
        member_id: str,
        kind: str,
        at: datetime = DEFAULT_AT,
        subject: str | None = None,
        key: str | None = None,
        *,
        received: datetime | None = None,
        **attributes: int,
    ) -> services.ActivityResult:
        cmd = self.activity(member_id, kind, at, subject, key, received=received, **attributes)
        return services.record_activity(cmd, self.store(), self.economy)

    def earn(
        self,
        member_id: str,
        kind: str,
        at: datetime = DEFAULT_AT,
        subject: str | None = None,
        *,
        received: datetime | None = None,
        **attributes: int,
    ) -> int:
        """Points the activity earned."""
        cmd = self.activity(member_id, kind, at, subject, None, received=received, **attributes)
        return services.record_activity(cmd, self.store(), self.economy).points

    # --- rewards ---------------------------------------------------------------------------

    def redeem(
        self,
        member_id: str,
        reward_id: str,
        at: datetime = DEFAULT_AT,
        quantity: int = 1,
        key: str | None = None,
    ) -> services.RedemptionResult:
        cmd = RedeemReward(member_id, reward_id, quantity, key or self.key(), at)
        return services.redeem_reward(cmd, self.store(), self.economy)

    def fulfil(self, redemption_id: str, at: datetime = DEFAULT_AT) -> Redemption:
        cmd = FulfillRedemption(redemption_id, "operator", at, "shipped")
        return services.fulfill_redemption(cmd, self.store(), self.economy)

    def cancel(self, redemption_id: str, at: datetime = DEFAULT_AT) -> Redemption:
        cmd = CancelRedemption(redemption_id, "operator", at, "changed mind")
        return services.cancel_redemption(cmd, self.store(), self.economy)

    def add_codes(self, reward_id: str, *codes: str) -> int:
        cmd = AddCouponCodes(reward_id, codes, "operator", DEFAULT_AT)
        return services.add_coupon_codes(cmd, self.store(), self.economy)

    def stock(self, reward_id: str) -> int | None:
        with self.store() as uow:
            return uow.stock.remaining(reward_id)

    def codes_left(self, reward_id: str) -> int:
        with self.store() as uow:
            return uow.stock.codes_left(reward_id)

    def redemptions(self, member_id: str, after: str | None = None, first: int = 20) -> list[str]:
        found = services.redemptions_for(member_id, self.store(), after, first)
        return [r.id for r in found]

    # --- operators and upkeep --------------------------------------------------------------

    def adjust(
        self, member_id: str, amount: int, at: datetime = DEFAULT_AT, key: str | None = None
    ) -> services.AdjustmentResult:
        cmd = AdjustPoints(member_id, amount, "goodwill", "operator", key or self.key(), at)
        return services.adjust_points(cmd, self.store(), self.economy)

    def grant(self, member_id: str, honor_id: str, at: datetime = DEFAULT_AT) -> HonorAward:
        cmd = GrantHonor(member_id, honor_id, "helped everyone", "operator", at)
        return services.grant_honor(cmd, self.store(), self.economy)

    def revoke(self, member_id: str, honor_id: str, at: datetime = DEFAULT_AT) -> HonorAward:
        cmd = RevokeHonor(member_id, honor_id, "stepped down", "operator", at)
        return services.revoke_honor(cmd, self.store(), self.economy)

    def honors(self, member_id: str) -> list[tuple[str, str | None, bool]]:
        awards = services.honors_of(member_id, self.store())
        return [(a.honor_id, a.tier, a.active) for a in awards]

    def lock(self, member_id: str, level_id: str | None, at: datetime = DEFAULT_AT) -> Member:
        cmd = LockLevel(member_id, level_id, "operator decision", "operator", at)
        return services.lock_level(cmd, self.store(), self.economy)

    def reverse(
        self, activity_id: str, at: datetime = DEFAULT_AT, key: str | None = None
    ) -> services.ReversalResult:
        cmd = ReverseActivity(activity_id, "fraudulent", "operator", key or self.key(), at)
        return services.reverse_activity(cmd, self.store(), self.economy)

    def review(self, member_id: str, as_of: datetime) -> list[Event]:
        return services.review_member(ReviewMember(member_id, as_of), self.store(), self.economy)

    # --- reads -----------------------------------------------------------------------------

    def entries(
        self, member_id: str, after: int | None = None, first: int = 20
    ) -> list[LedgerEntry]:
        return services.ledger_entries(member_id, self.store(), after, first)

    def leaderboard(self, period: str, as_of: datetime = DEFAULT_AT) -> list[tuple[str, int]]:
        board = services.leaderboard(self.store(), self.economy, period, as_of, 10)
        return [(m.handle, points) for m, points in board]

    def hall_of_fame(self) -> list[str]:
        return [e.member.handle for e in services.hall_of_fame(self.store(), self.economy)]
