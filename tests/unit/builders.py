"""Small builders for the unit specifications: economies from TOML text, local times,
and a `World` that runs the real services on the real in-memory store."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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
    ReviewMember,
    RevokeHonor,
)
from domain.economy import Economy, parse_economy
from domain.ledger import Balances
from domain.model import (
    Attributes,
    Evaluation,
    Event,
    HonorAward,
    Member,
    Redemption,
)
from persistence.memory import MemoryStore

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
SAMPLE_ECONOMY = Path(__file__).resolve().parents[2] / "economies" / "koc_community.toml"

MINIMAL_LEVELS = """
[[levels]]
id = "newcomer"
threshold = 0
"""


def economy_from(
    body: str,
    *,
    timezone: str = "Asia/Shanghai",
    daily_cap: int | None = None,
    levels: str = MINIMAL_LEVELS,
    expiry_months: int | None = None,
) -> Economy:
    """An economy from a few TOML tables; the header, levels and expiry are filled in."""
    cap = f"daily_cap = {daily_cap}\n" if daily_cap is not None else ""
    expiry = f"[expiry]\nafter_months = {expiry_months}\n" if expiry_months else ""
    text = f'[economy]\nid = "test"\ntimezone = "{timezone}"\n{cap}\n{expiry}\n{body}\n{levels}\n'
    return parse_economy(text, "test.toml")


def sample_economy() -> Economy:
    """The shipped `economies/koc_community.toml`, where realism helps."""
    return parse_economy(SAMPLE_ECONOMY.read_text(encoding="utf-8"), str(SAMPLE_ECONOMY))


def local(
    year: int, month: int, day: int, hour: int = 12, minute: int = 0, tz: ZoneInfo = SHANGHAI
) -> datetime:
    """A wall-clock time in the economy's time zone (Asia/Shanghai unless told)."""
    return datetime(year, month, day, hour, minute, tzinfo=tz)


class World:
    """The real services over a fresh in-memory store, with short verbs for the tests.

    Idempotency keys are generated unless a test gives one; every verb goes through
    `domain.services` exactly as the API and the simulator do.
    """

    def __init__(self, economy: Economy) -> None:
        self.economy = economy
        self.store = MemoryStore()
        self._keys: Iterator[int] = itertools.count(1)
        services.sync_rewards(self.store(), economy)

    def key(self) -> str:
        return f"key-{next(self._keys)}"

    # --- members -------------------------------------------------------------------------

    def join(self, handle: str = "alice", at: datetime | None = None) -> str:
        at = at or local(2026, 1, 1, 8)
        member = services.register_member(
            RegisterMember(handle, handle.capitalize(), at), self.store(), self.economy
        )
        return member.id

    def member(self, member_id: str) -> Member:
        return services.get_member(member_id, self.store())

    def balances(self, member_id: str) -> Balances:
        return services.balances(member_id, self.store())

    def available(self, member_id: str) -> int:
        return self.balances(member_id).available

    def level(self, member_id: str) -> str:
        return self.member(member_id).level_id

    # --- activities ----------------------------------------------------------------------

    def activity(
        self,
        member_id: str,
        kind: str,
        at: datetime,
        subject: str | None = None,
        key: str | None = None,
        *,
        received: datetime | None = None,
        **attributes: int,
    ) -> RecordActivity:
        """`at` is when it happened; `received` when it reached the services (default: `at`)."""
        return RecordActivity(
            member_id,
            kind,
            at,
            key if key is not None else self.key(),
            subject,
            dict(attributes),
            at=received or at,
        )

    def record(
        self,
        member_id: str,
        kind: str,
        at: datetime,
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
        at: datetime,
        subject: str | None = None,
        *,
        received: datetime | None = None,
        **attributes: int,
    ) -> int:
        """Points the activity earned."""
        return self.record(
            member_id, kind, at, subject, None, received=received, **attributes
        ).points

    def explain(
        self,
        member_id: str,
        kind: str,
        at: datetime,
        subject: str | None = None,
        attributes: Attributes | None = None,
        *,
        received: datetime | None = None,
    ) -> Evaluation:
        cmd = RecordActivity(
            member_id, kind, at, "explain", subject, attributes or {}, at=received or at
        )
        return services.explain_activity(cmd, self.store(), self.economy)

    # --- rewards -------------------------------------------------------------------------

    def redeem(
        self,
        member_id: str,
        reward_id: str,
        at: datetime,
        quantity: int = 1,
        key: str | None = None,
    ) -> Redemption:
        cmd = RedeemReward(
            member_id, reward_id, quantity, key if key is not None else self.key(), at
        )
        return services.redeem_reward(cmd, self.store(), self.economy).redemption

    def fulfil(self, redemption_id: str, at: datetime) -> Redemption:
        cmd = FulfillRedemption(redemption_id, "operator", at)
        return services.fulfill_redemption(cmd, self.store(), self.economy)

    def cancel(self, redemption_id: str, at: datetime) -> Redemption:
        cmd = CancelRedemption(redemption_id, "operator", at, "changed mind")
        return services.cancel_redemption(cmd, self.store(), self.economy)

    def stock(self, reward_id: str) -> int | None:
        return self.store().stock.remaining(reward_id)

    def add_codes(self, reward_id: str, *codes: str) -> int:
        cmd = AddCouponCodes(reward_id, codes, "operator", local(2026, 1, 1))
        return services.add_coupon_codes(cmd, self.store(), self.economy)

    # --- operators and upkeep ------------------------------------------------------------

    def adjust(
        self, member_id: str, amount: int, at: datetime, key: str | None = None
    ) -> services.AdjustmentResult:
        cmd = AdjustPoints(
            member_id, amount, "goodwill", "operator", key if key is not None else self.key(), at
        )
        return services.adjust_points(cmd, self.store(), self.economy)

    def review(self, member_id: str, as_of: datetime) -> list[Event]:
        return services.review_member(ReviewMember(member_id, as_of), self.store(), self.economy)

    def lock(self, member_id: str, level_id: str | None, at: datetime) -> Member:
        cmd = LockLevel(member_id, level_id, "operator decision", "operator", at)
        return services.lock_level(cmd, self.store(), self.economy)

    def grant(self, member_id: str, honor_id: str, at: datetime) -> HonorAward:
        cmd = GrantHonor(member_id, honor_id, "helped everyone", "operator", at)
        return services.grant_honor(cmd, self.store(), self.economy)

    def revoke(self, member_id: str, honor_id: str, at: datetime) -> HonorAward:
        cmd = RevokeHonor(member_id, honor_id, "stepped down", "operator", at)
        return services.revoke_honor(cmd, self.store(), self.economy)

    def honors(self, member_id: str) -> list[tuple[str, str | None]]:
        """Active honors of a member as (honor, tier) pairs, in the order granted."""
        awards = services.honors_of(member_id, self.store())
        return [(a.honor_id, a.tier) for a in awards if a.active]

    # --- the ledger as committed ---------------------------------------------------------

    def entry_count(self) -> int:
        return len(self.store.state.entries)

    def write_count(self) -> tuple[int, int, int, int, int]:
        """Sizes of everything a command can write; equal before and after means no write."""
        s = self.store.state
        return (len(s.entries), len(s.activities), len(s.redemptions), len(s.idempotency),
                len(s.audit))  # fmt: skip
