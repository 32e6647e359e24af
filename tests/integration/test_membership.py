"""Paid membership on every store: a purchase starts a period, a renewal while active
extends it from its end, one after the end restarts it from the purchase; a replayed key
changes nothing; the review records each ended period once; a tier counts only while
active (judged by date); bad input is refused with the field it names."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta

import pytest

from domain import services
from domain.commands import RecordActivity, RedeemReward, RegisterMember
from domain.economy import Economy
from domain.errors import IdempotencyKeyReused, InvalidInput, NotEligible, NotFound
from domain.membership import MembershipOutcome, RecordMembershipPurchase
from domain.model import MembershipExpired, MembershipRenewed, MembershipStarted
from tests.integration.conftest import StoreFactory
from tests.unit.builders import economy_from, local

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 10

[rules.like]
kind = "like"
points = 4

[reward_tiers.perks]

[rewards.lounge]
tier = "perks"
price = 20
stock = "unlimited"

[rewards.mug]
tier = "perks"
price = 20
stock = "unlimited"

[[paid_tiers]]
id = "fan_club"
title = "Fan club"
multiplier_percent = 150
rules = ["post"]
rewards = ["lounge"]
period_days_max = 400

[[paid_tiers]]
id = "provider"
title = "Service provider"
"""
)
JAN = local(2026, 1, 1, 9)


class Members:
    def __init__(self, store: StoreFactory, economy: Economy = ECONOMY) -> None:
        self.store, self.economy = store, economy
        self._keys = itertools.count(1)

    def join(self, handle: str) -> str:
        cmd = RegisterMember(handle, handle, local(2025, 12, 1, 8))
        return services.register_member(cmd, self.store(), self.economy).id

    def buy(
        self,
        member: str,
        at: datetime,
        days: int = 30,
        *,
        tier: str = "fan_club",
        price: int = 1900,
        key: str | None = None,
    ) -> MembershipOutcome:
        cmd = RecordMembershipPurchase(
            member, tier, days, price, f"k{next(self._keys)}" if key is None else key, at
        )
        return services.record_membership_purchase(cmd, self.store(), self.economy)

    def tier(self, member: str, at: datetime) -> str | None:
        return services.active_paid_tier(self.store(), member, at)

    def act(self, member: str, kind: str, at: datetime) -> int:
        key = f"k{next(self._keys)}"
        cmd = RecordActivity(member, kind, at, key, key, at=at)
        return services.record_activity(cmd, self.store(), self.economy).record.points

    def redeem(self, member: str, reward: str, at: datetime) -> str:
        cmd = RedeemReward(member, reward, 1, f"k{next(self._keys)}", at)
        return services.redeem_reward(cmd, self.store(), self.economy).redemption.reward_id


def test_a_purchase_starts_a_period_active_until_its_end(store: StoreFactory) -> None:
    m = Members(store)
    ana = m.join("ana")
    outcome = m.buy(ana, JAN, 30)
    assert not outcome.renewed
    assert not outcome.replayed
    assert (outcome.membership.since, outcome.membership.until) == (JAN, JAN + timedelta(30))
    assert m.tier(ana, JAN - timedelta(seconds=1)) is None
    assert m.tier(ana, JAN) == "fan_club"
    assert m.tier(ana, JAN + timedelta(days=30) - timedelta(seconds=1)) == "fan_club"
    assert m.tier(ana, JAN + timedelta(days=30)) is None  # judged by date, no review needed
    kept = services.membership_of(store(), ana)
    assert kept is not None
    assert (kept.purchases, kept.paid_total) == (1, 1900)


def test_renewing_while_active_extends_from_the_current_end(store: StoreFactory) -> None:
    m = Members(store)
    ana = m.join("ana")
    m.buy(ana, JAN, 30)
    renewed = m.buy(ana, JAN + timedelta(days=20), 30, price=1700)
    assert renewed.renewed
    assert renewed.membership.since == JAN
    assert renewed.membership.until == JAN + timedelta(days=60)  # not day 20 + 30
    assert (renewed.membership.purchases, renewed.membership.paid_total) == (2, 3600)
    assert m.tier(ana, JAN + timedelta(days=59)) == "fan_club"


def test_renewing_after_the_end_restarts_from_the_purchase(store: StoreFactory) -> None:
    m = Members(store)
    ana = m.join("ana")
    m.buy(ana, JAN, 30)
    later = JAN + timedelta(days=45)
    again = m.buy(ana, later, 30)
    assert not again.renewed
    assert (again.membership.since, again.membership.until) == (later, later + timedelta(30))
    assert m.tier(ana, JAN + timedelta(days=40)) is None  # the gap stays a gap
    assert m.tier(ana, later) == "fan_club"


def test_the_events_say_started_renewed_and_expired(store: StoreFactory) -> None:
    m = Members(store)
    ana = m.join("ana")
    uow = store()
    cmd = RecordMembershipPurchase(ana, "fan_club", 10, 500, "e1", JAN)
    services.record_membership_purchase(cmd, uow, ECONOMY)
    assert uow.events == [MembershipStarted(ana, "fan_club", JAN + timedelta(10), JAN)]
    uow = store()
    at = JAN + timedelta(days=5)
    cmd = RecordMembershipPurchase(ana, "fan_club", 10, 500, "e2", at)
    services.record_membership_purchase(cmd, uow, ECONOMY)
    assert uow.events == [MembershipRenewed(ana, "fan_club", JAN + timedelta(20), at)]
    end = JAN + timedelta(days=20)
    assert services.expire_memberships(store, ECONOMY, end - timedelta(seconds=1)) == []
    expired = services.expire_memberships(store, ECONOMY, end)
    assert expired == [MembershipExpired(ana, "fan_club", end, end)]
    assert services.expire_memberships(store, ECONOMY, end + timedelta(days=1)) == []  # once


def test_the_review_expires_every_ended_period_and_a_new_one_can_expire_again(
    store: StoreFactory,
) -> None:
    m = Members(store)
    ids = [m.join(f"m{i}") for i in range(5)]
    for i, member in enumerate(ids):
        m.buy(member, JAN, 10 + i)  # ends on days 10..14
    expired = services.expire_memberships(store, ECONOMY, JAN + timedelta(days=12))
    assert sorted(e.member_id for e in expired) == sorted(ids[:3])
    m.buy(ids[0], JAN + timedelta(days=13), 5)  # restarts: its expiry is recorded anew
    expired = services.expire_memberships(store, ECONOMY, JAN + timedelta(days=30))
    assert sorted(e.member_id for e in expired) == sorted([ids[0], ids[3], ids[4]])
    for member in ids:
        kept = services.membership_of(store(), member)
        assert kept is not None
        assert kept.expired


def test_a_replayed_key_changes_nothing_and_another_payload_is_refused(
    store: StoreFactory,
) -> None:
    m = Members(store)
    ana = m.join("ana")
    first = m.buy(ana, JAN, 30, key="order-1")
    again = m.buy(ana, JAN + timedelta(minutes=5), 30, key="order-1")  # a retry, later
    assert again.replayed
    assert again.membership == first.membership
    kept = services.membership_of(store(), ana)
    assert kept is not None
    assert (kept.purchases, kept.until) == (1, JAN + timedelta(30))
    with pytest.raises(IdempotencyKeyReused):
        m.buy(ana, JAN, 60, key="order-1")
    bob = m.join("bob")  # a key is scoped per member
    assert not m.buy(bob, JAN, 30, key="order-1").replayed


def test_another_tier_cannot_be_bought_while_one_is_active(store: StoreFactory) -> None:
    m = Members(store)
    ana = m.join("ana")
    m.buy(ana, JAN, 30)
    with pytest.raises(InvalidInput) as refused:
        m.buy(ana, JAN + timedelta(days=1), 30, tier="provider")
    assert refused.value.field == "tierId"
    switched = m.buy(ana, JAN + timedelta(days=31), 30, tier="provider")
    assert switched.membership.tier_id == "provider"
    assert not switched.renewed


@pytest.mark.parametrize(
    ("tier", "days", "price", "field"),
    [
        ("fan_club", 0, 100, "periodDays"),
        ("fan_club", -3, 100, "periodDays"),
        ("fan_club", 401, 100, "periodDays"),
        ("provider", 367, 100, "periodDays"),
        ("fan_club", 30, -1, "price"),
        ("gold", 30, 100, "tierId"),
    ],
)
def test_bad_input_is_refused_and_records_nothing(
    store: StoreFactory, tier: str, days: int, price: int, field: str
) -> None:
    m = Members(store)
    ana = m.join("ana")
    with pytest.raises(InvalidInput) as refused:
        m.buy(ana, JAN, days, tier=tier, price=price)
    assert refused.value.field == field
    assert services.membership_of(store(), ana) is None
    with pytest.raises(InvalidInput) as no_key:
        m.buy(ana, JAN, 30, key="")
    assert no_key.value.field == "idempotencyKey"


def test_an_unknown_member_is_not_found(store: StoreFactory) -> None:
    with pytest.raises(NotFound):
        Members(store).buy("mem_missing", JAN)
    with pytest.raises(NotFound):
        services.membership_of(store(), "mem_missing")


def test_the_multiplier_applies_to_its_rules_only_while_the_tier_is_active(
    store: StoreFactory,
) -> None:
    m = Members(store)
    ana, bob = m.join("ana"), m.join("bob")
    assert m.act(ana, "post", JAN - timedelta(hours=1)) == 10  # before buying
    m.buy(ana, JAN, 2)
    assert m.act(ana, "post", JAN + timedelta(hours=1)) == 15  # 150 % of 10
    assert m.act(ana, "like", JAN + timedelta(hours=2)) == 4  # not a declared rule
    assert m.act(bob, "post", JAN + timedelta(hours=1)) == 10  # bob holds no tier
    assert m.act(ana, "post", JAN + timedelta(days=2)) == 10  # ended: judged by date
    assert services.balances(ana, store()).available == 10 + 15 + 4 + 10


def test_a_reserved_reward_is_open_only_while_the_tier_is_active(store: StoreFactory) -> None:
    m = Members(store)
    services.sync_rewards(store(), ECONOMY)
    ana = m.join("ana")
    for hour in range(6):
        m.act(ana, "post", JAN - timedelta(days=1) + timedelta(hours=hour))
    with pytest.raises(NotEligible):
        m.redeem(ana, "lounge", JAN)
    assert m.redeem(ana, "mug", JAN) == "mug"  # reserved by no tier
    m.buy(ana, JAN, 1)
    assert m.redeem(ana, "lounge", JAN + timedelta(hours=1)) == "lounge"
    with pytest.raises(NotEligible):
        m.redeem(ana, "lounge", JAN + timedelta(days=1))


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)  # fmt: skip
def test_concurrent_renewals_each_count_once_and_a_racing_replay_once(
    store: StoreFactory,
) -> None:
    m = Members(store)
    ana = m.join("ana")
    m.buy(ana, JAN, 10)
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def renew(key: str) -> None:
        start.wait()
        try:
            m.buy(ana, JAN + timedelta(days=1), 10, key=key)
        except BaseException as error:
            failures.append(error)

    keys = ["r1", "r2", "r3", "r4", "same", "same"]  # the two "same" are one purchase
    threads = [threading.Thread(target=renew, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    kept = services.membership_of(store(), ana)
    assert kept is not None
    assert (kept.purchases, kept.until) == (6, JAN + timedelta(days=60))  # 10 + 5 x 10 days
