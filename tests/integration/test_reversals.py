"""Issue 7 section 3: `reverse_activity` undoes what an activity caused (points, spent
ones as debt that later earnings repay first, counters, qualifying points and level,
honors, the leaderboard), audited, replay-safe, refused twice; on every store alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.calendar import day_number
from domain.errors import AlreadyReversed, IdempotencyKeyReused, NotFound
from domain.model import HonorRevoked, LevelChanged
from tests.integration.conftest import StoreFactory
from tests.integration.shop import Shop
from tests.unit.builders import economy_from, local

LEVELS = """
[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "regular"
threshold = 50
"""
ECONOMY = economy_from(
    """
[rules.daily_check_in]
kind = "check_in"
points = 2
limits = [{ period = "day", max_count = 1 }]
streak = { bonus_per_day = 1, max_bonus = 5 }

[rules.like]
kind = "like"
points = 1

[rules.post]
kind = "post"
points = 40

[rules.purchase]
kind = "purchase"
points = 30
pending_days = 14

[honors.writer]
trigger = "activity_count"
kinds = ["post"]
tiers = [{ name = "bronze", at = 2 }]

[[quests]]
id = "three_likes"
title = "Three likes"
kind = "daily"
[[quests.steps]]
kind = "like"
count = 3
[quests.reward]
points = 10

[reward_tiers.merch]
title = "Merch"

[rewards.mug]
tier = "merch"
price = 40
""",
    levels=LEVELS,
)
DAY = local(2026, 3, 2, 12)


def test_a_reversed_check_in_can_be_earned_again_that_day(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    first = shop.record(alice, "check_in", DAY)
    assert shop.earn(alice, "check_in", DAY + timedelta(minutes=1)) == 0  # the daily limit

    shop.reverse(first.record.id, DAY + timedelta(minutes=2))
    again = shop.earn(alice, "check_in", DAY + timedelta(minutes=3))

    assert again == 2
    held = shop.balances(alice)
    assert (held.available, held.debt, held.lifetime_earned) == (2, 0, 2)


def test_a_reversal_of_spent_points_leaves_a_debt_that_later_earnings_repay_first(
    store: StoreFactory,
) -> None:
    # given a post's 40 points spent on a mug
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    shop.earn(alice, "check_in", DAY)
    post = shop.record(alice, "post", DAY, "p1")
    shop.redeem(alice, "mug", DAY)

    # when the post is reversed
    shop.reverse(post.record.id, DAY + timedelta(hours=1))

    # then the 2 points left are taken and 38 become debt
    owed = shop.balances(alice)
    assert (owed.available, owed.debt) == (0, 38)

    # and a later 40-point post repays the debt before anything becomes available
    shop.earn(alice, "post", DAY + timedelta(hours=2), "p2")
    repaid = shop.balances(alice)
    assert (repaid.available, repaid.debt) == (2, 0)


def test_a_reversal_below_the_levels_threshold_demotes_at_once(store: StoreFactory) -> None:
    # given 2 + 40 + 40 qualifying points: regular (from 50)
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    shop.earn(alice, "check_in", DAY)
    post = shop.record(alice, "post", DAY, "p1")
    shop.earn(alice, "post", DAY, "p2")
    assert shop.member(alice).level_id == "regular"

    # when one post is reversed: 42 left
    at = DAY + timedelta(hours=1)
    result = shop.reverse(post.record.id, at)

    # then the member is demoted at once, for the reversal
    member = shop.member(alice)
    assert (member.level_id, member.qualifying_points) == ("newcomer", 42)
    assert LevelChanged(alice, "regular", "newcomer", at, "reversed") in result.events
    assert shop.balances(alice).lifetime_earned == 42


def test_an_honor_no_longer_reached_is_revoked_with_the_reason(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    post = shop.record(alice, "post", DAY, "p1")
    shop.earn(alice, "post", DAY, "p2")
    assert shop.honors(alice) == [("writer", "bronze", True)]

    result = shop.reverse(post.record.id, DAY + timedelta(hours=1))

    assert shop.honors(alice) == [("writer", "bronze", False)]
    assert HonorRevoked(alice, "writer", DAY + timedelta(hours=1)) in result.events


def test_a_pending_earning_reversed_before_its_due_date_is_never_confirmed(
    store: StoreFactory,
) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    purchase = shop.record(alice, "purchase", DAY)

    shop.reverse(purchase.record.id, DAY + timedelta(days=3))
    shop.review(alice, DAY + timedelta(days=20))

    held = shop.balances(alice)
    assert (held.available, held.pending, held.debt, held.lifetime_earned) == (0, 0, 0, 0)


def test_reversed_points_leave_the_leaderboard(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice, bob = shop.join("alice"), shop.join("bob")
    post = shop.record(alice, "post", DAY, "p1")
    shop.earn(bob, "check_in", DAY)

    shop.reverse(post.record.id, DAY + timedelta(hours=1))

    assert shop.leaderboard("all_time", DAY + timedelta(hours=1)) == [("bob", 2)]


def test_a_reversal_replays_under_its_key_and_is_refused_twice(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    post = shop.record(alice, "post", DAY, "p1")

    first = shop.reverse(post.record.id, DAY + timedelta(hours=1), key="undo-1")
    replay = shop.reverse(post.record.id, DAY + timedelta(hours=2), key="undo-1")

    assert replay.replayed
    assert replay.reversal == first.reversal
    assert shop.balances(alice).available == 0
    with pytest.raises(AlreadyReversed):
        shop.reverse(post.record.id, DAY + timedelta(hours=3), key="undo-2")
    with pytest.raises(IdempotencyKeyReused):
        shop.reverse(shop.record(alice, "post", DAY, "p2").record.id, DAY, key="undo-1")


def test_reversing_an_unknown_activity_is_not_found(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    shop.join("alice")

    with pytest.raises(NotFound):
        shop.reverse("act_missing")


def test_a_reversal_is_audited(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    post = shop.record(alice, "post", DAY, "p1")

    shop.reverse(post.record.id, DAY + timedelta(hours=1))

    with store() as uow:
        [entry] = uow.audit.list(alice, 10)
    assert (entry.action, entry.actor) == ("reverse_activity", "operator")
    assert "fraudulent" in entry.detail


def test_a_reversed_check_in_takes_the_streak_back_one_day(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    shop.earn(alice, "check_in", DAY)
    second = shop.record(alice, "check_in", DAY + timedelta(days=1))
    assert second.points == 2 + 1  # day 2 of the streak

    shop.reverse(second.record.id, DAY + timedelta(days=1, hours=1))

    first_day = day_number(DAY, ECONOMY.timezone)
    assert shop.member(alice).progress.streaks["daily_check_in"] == (1, first_day)
    again = shop.earn(alice, "check_in", DAY + timedelta(days=1, hours=2))
    assert again == 2 + 1


def test_a_reversed_activity_counts_back_in_an_active_quest_but_not_a_completed_one(
    store: StoreFactory,
) -> None:
    shop = Shop(store, ECONOMY)
    alice, bob = shop.join("alice"), shop.join("bob")
    like = shop.record(alice, "like", DAY)
    shop.earn(alice, "like", DAY)
    bob_likes = [shop.record(bob, "like", DAY) for _ in range(3)]

    shop.reverse(like.record.id, DAY + timedelta(hours=1))
    shop.reverse(bob_likes[0].record.id, DAY + timedelta(hours=1))

    with store() as uow:
        instance = day_number(DAY, ECONOMY.timezone)
        active = uow.quests.get(alice, "three_likes", instance)
        completed = uow.quests.get(bob, "three_likes", instance)
    assert active is not None
    assert completed is not None
    assert (active.state.value, active.done) == ("active", (1,))
    assert (completed.state.value, completed.done) == ("completed", (3,))
