"""The unit-of-work port, specified once and run on every store: memory, SQLite and
PostgreSQL give the same results for the same service-level scenarios."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone

import pytest

from domain import services
from domain.commands import RecordActivity, RedeemReward
from domain.economy import Economy
from domain.errors import (
    AlreadyExists,
    CouponPoolEmpty,
    HonorCapacityReached,
    IdempotencyKeyReused,
    InsufficientPoints,
    InvalidTransition,
    OutOfStock,
    RedemptionLimitReached,
)
from domain.ledger import Balances, TransferKind, available_account, held_account
from domain.model import (
    LevelChanged,
    Member,
    PointsExpired,
    RedemptionStatus,
)
from tests.integration.checks import assert_consistent
from tests.integration.conftest import StoreFactory
from tests.integration.shop import DEFAULT_AT, Shop
from tests.unit.builders import economy_from, local

SHOP = economy_from(
    """
[rules.post]
kind = "post"
points = 100

[rules.answer]
kind = "answer"
points = 20
once_per_subject = true

[reward_tiers.merch]

[rewards.mug]
tier = "merch"
price = 30
stock = 2
per_member_limit = 5

[rewards.sticker]
tier = "merch"
price = 10
per_member_limit = 2

[rewards.coupon]
tier = "merch"
price = 50
stock = 10
fulfilment = "coupon_code"
""",
    daily_cap=250,
)


@pytest.fixture
def shop(store: StoreFactory) -> Shop:
    return Shop(store, SHOP)


@pytest.fixture
def koc(store: StoreFactory, koc_economy: Economy) -> Shop:
    return Shop(store, koc_economy)


# --- members --------------------------------------------------------------------------------


def test_a_registered_member_reads_back_as_registered(koc: Shop) -> None:
    member_id = koc.join("alice", at=local(2026, 3, 2, 9, 30))

    member = koc.member(member_id)

    assert (member.handle, member.display_name, member.level_id) == ("alice", "Alice", "newcomer")
    assert member.joined_at == local(2026, 3, 2, 9, 30)
    assert koc.balances(member_id) == Balances(0, 0, 0)
    assert_consistent(koc.store)


def test_a_second_member_with_the_same_handle_is_refused(koc: Shop) -> None:
    koc.join("alice")

    with pytest.raises(AlreadyExists):
        koc.join("alice")


def test_a_unit_of_work_keeps_nothing_unless_committed(store: StoreFactory) -> None:
    member = Member("m1", "ghost", "Ghost", DEFAULT_AT, "newcomer")
    with store() as uow:
        uow.members.add(member)

    with store() as uow:
        assert uow.members.get("m1") is None
        assert uow.members.get_by_handle("ghost") is None


# --- activities -----------------------------------------------------------------------------


def test_an_activity_credits_the_member_through_one_earn_transfer(koc: Shop) -> None:
    alice = koc.join("alice")

    result = koc.record(alice, "check_in")

    assert result.points == 2
    assert koc.balances(alice) == Balances(2, 0, 2)
    [entry] = koc.entries(alice)
    assert (entry.kind, entry.account, entry.amount) == (
        TransferKind.EARN,
        available_account(alice),
        2,
    )
    assert entry.reference == result.record.id
    assert entry.at == DEFAULT_AT
    assert_consistent(koc.store)


def test_replaying_an_activity_key_returns_the_first_result_and_writes_nothing(koc: Shop) -> None:
    alice = koc.join("alice")
    first = koc.record(alice, "post", subject="note-1", key="k1", photos=2)

    replay = koc.record(alice, "post", subject="note-1", key="k1", photos=2)

    assert replay.replayed
    assert replay.record == first.record
    assert koc.available(alice) == 15
    assert len(koc.entries(alice)) == 1
    assert_consistent(koc.store)


def test_reusing_an_activity_key_for_another_activity_is_refused(koc: Shop) -> None:
    alice = koc.join("alice")
    koc.record(alice, "check_in", key="k1")

    with pytest.raises(IdempotencyKeyReused):
        koc.record(alice, "post", subject="note-1", key="k1")

    assert koc.available(alice) == 2


def test_a_retry_arriving_later_or_in_another_time_zone_replays(koc: Shop) -> None:
    alice = koc.join("alice")
    first = koc.record(alice, "post", subject="note-1", key="k1", photos=2)
    later = koc.activity(alice, "post", DEFAULT_AT, "note-1", "k1", photos=2)
    later = replace(later, at=DEFAULT_AT + timedelta(minutes=5))
    elsewhere = replace(later, occurred_at=DEFAULT_AT.astimezone(timezone(timedelta(hours=-7))))

    for retry in (later, elsewhere):
        replay = services.record_activity(retry, koc.store(), koc.economy)
        assert replay.replayed
        assert replay.record == first.record
    assert koc.available(alice) == 15


def test_reusing_an_activity_key_with_other_attributes_is_refused(koc: Shop) -> None:
    alice = koc.join("alice")
    koc.record(alice, "post", subject="note-1", key="k1", photos=2)

    with pytest.raises(IdempotencyKeyReused):
        koc.record(alice, "post", subject="note-1", key="k1", photos=3)
    with pytest.raises(IdempotencyKeyReused):
        koc.record(alice, "post", DEFAULT_AT + timedelta(seconds=1), "note-1", "k1", photos=2)

    assert koc.available(alice) == 15


def test_a_subject_pays_a_once_per_subject_rule_only_once(shop: Shop) -> None:
    alice = shop.join("alice")

    first = shop.earn(alice, "answer", subject="question-7")
    again = shop.earn(alice, "answer", subject="question-7", at=DEFAULT_AT + timedelta(days=1))

    assert (first, again) == (20, 0)


def test_the_daily_cap_holds_across_activities_of_a_day(shop: Shop) -> None:
    alice = shop.join("alice")

    earned = [shop.earn(alice, "post", DEFAULT_AT + timedelta(minutes=i)) for i in range(4)]
    next_day = shop.earn(alice, "post", DEFAULT_AT + timedelta(days=1))

    assert earned == [100, 100, 50, 0]
    assert next_day == 100
    assert_consistent(shop.store)


def test_a_batch_commits_its_good_activities_and_reports_the_bad_one(shop: Shop) -> None:
    alice = shop.join("alice")
    good = shop.activity(alice, "post", key="b1")
    unknown_member = RecordActivity("nobody", "post", DEFAULT_AT, "b2", at=DEFAULT_AT)
    also_good = shop.activity(alice, "answer", subject="q1", key="b3")

    results = services.record_activities([good, unknown_member, also_good], shop.store(), SHOP)

    assert [type(r).__name__ for r in results] == ["ActivityResult", "NotFound", "ActivityResult"]
    assert shop.available(alice) == 120
    assert_consistent(shop.store)


def test_explaining_an_activity_writes_nothing(koc: Shop) -> None:
    alice = koc.join("alice")
    cmd = koc.activity(alice, "check_in")

    evaluation = services.explain_activity(cmd, koc.store(), koc.economy)

    assert evaluation.points == 2
    assert koc.balances(alice).lifetime_earned == 0
    assert koc.entries(alice) == []


# --- rewards --------------------------------------------------------------------------------


def test_redeeming_holds_the_price_and_takes_the_stock(shop: Shop) -> None:
    alice = shop.join("alice")
    shop.earn(alice, "post")

    redemption = shop.redeem(alice, "mug").redemption

    assert redemption.status is RedemptionStatus.RESERVED
    assert redemption.points == 30
    assert shop.balances(alice) == Balances(70, 30, 100)
    assert shop.stock("mug") == 1
    assert_consistent(shop.store)


def test_the_last_item_of_stock_goes_to_one_redemption_only(shop: Shop) -> None:
    alice, bob = shop.join("alice"), shop.join("bob")
    shop.earn(alice, "post")
    shop.earn(bob, "post")
    shop.redeem(alice, "mug", quantity=2)

    with pytest.raises(OutOfStock) as refused:
        shop.redeem(bob, "mug")

    assert (refused.value.available, refused.value.requested) == (0, 1)
    assert shop.stock("mug") == 0
    assert shop.balances(bob) == Balances(100, 0, 100)


def test_redeeming_beyond_the_balance_is_refused_and_writes_nothing(shop: Shop) -> None:
    alice = shop.join("alice")
    shop.earn(alice, "answer", subject="q1")

    with pytest.raises(InsufficientPoints) as refused:
        shop.redeem(alice, "mug")

    assert (refused.value.balance, refused.value.required) == (20, 30)
    assert shop.stock("mug") == 2
    assert shop.redemptions(alice) == []
    assert len(shop.entries(alice)) == 1


def test_a_member_cannot_redeem_past_the_per_member_limit(shop: Shop) -> None:
    alice = shop.join("alice")
    shop.earn(alice, "post")
    shop.redeem(alice, "sticker", quantity=2)

    with pytest.raises(RedemptionLimitReached):
        shop.redeem(alice, "sticker")


def test_replaying_a_redemption_key_returns_the_first_redemption(shop: Shop) -> None:
    alice = shop.join("alice")
    shop.earn(alice, "post")
    first = shop.redeem(alice, "mug", key="r1")

    replay = shop.redeem(alice, "mug", key="r1")

    assert replay.replayed
    assert replay.redemption == first.redemption
    assert shop.stock("mug") == 1
    assert shop.balances(alice) == Balances(70, 30, 100)


def test_fulfilling_coupon_rewards_hands_out_codes_in_the_order_added(shop: Shop) -> None:
    alice = shop.join("alice")
    shop.earn(alice, "post")
    assert shop.add_codes("coupon", "C-1", "C-2") == 2
    assert shop.add_codes("coupon", "C-2", "C-3") == 1  # C-2 is known already
    first = shop.redeem(alice, "coupon").redemption
    second = shop.redeem(alice, "coupon").redemption

    done = [shop.fulfil(first.id), shop.fulfil(second.id)]

    assert [(r.status, r.coupon_code) for r in done] == [
        (RedemptionStatus.FULFILLED, "C-1"),
        (RedemptionStatus.FULFILLED, "C-2"),
    ]
    assert shop.fulfil(first.id).coupon_code == "C-1"  # fulfilling twice is fulfilling once
    assert shop.codes_left("coupon") == 1
    assert shop.balances(alice) == Balances(0, 0, 100)
    assert_consistent(shop.store)


def test_an_empty_coupon_pool_refuses_fulfilment_and_keeps_the_reservation(shop: Shop) -> None:
    alice = shop.join("alice")
    shop.earn(alice, "post")
    redemption = shop.redeem(alice, "coupon").redemption

    with pytest.raises(CouponPoolEmpty):
        shop.fulfil(redemption.id)

    assert shop.balances(alice) == Balances(50, 50, 100)
    [still] = services.redemptions_for(alice, shop.store())
    assert still.status is RedemptionStatus.RESERVED


def test_cancelling_returns_the_points_and_the_stock(shop: Shop) -> None:
    alice = shop.join("alice")
    shop.earn(alice, "post")
    redemption = shop.redeem(alice, "mug").redemption

    cancelled = shop.cancel(redemption.id)

    assert cancelled.status is RedemptionStatus.CANCELLED
    assert shop.balances(alice) == Balances(100, 0, 100)
    assert shop.stock("mug") == 2
    assert shop.cancel(redemption.id) == cancelled  # cancelling twice is cancelling once
    with pytest.raises(InvalidTransition):
        shop.fulfil(redemption.id)
    kinds = [e.kind for e in shop.entries(alice)]
    assert kinds == [TransferKind.RELEASE] * 2 + [TransferKind.HOLD] * 2 + [TransferKind.EARN]
    assert_consistent(shop.store)


# --- operator actions -----------------------------------------------------------------------


def test_adjustments_move_points_both_ways_but_never_below_zero(shop: Shop) -> None:
    alice = shop.join("alice")
    shop.adjust(alice, 40, key="a1")

    taken = shop.adjust(alice, -15, key="a2")
    replay = shop.adjust(alice, -15, key="a2")
    with pytest.raises(InsufficientPoints):
        shop.adjust(alice, -26)

    assert taken.balance == 25
    assert replay.replayed
    assert replay.transfer_id == taken.transfer_id
    assert shop.available(alice) == 25
    with shop.store() as uow:
        [latest, *_] = uow.audit.list(alice, 10)
    assert (latest.action, latest.detail) == ("adjust_points", "-15: goodwill")
    assert_consistent(shop.store)


def test_honors_are_granted_automatically_and_by_operators(koc: Shop) -> None:
    alice = koc.join("alice")
    koc.record(alice, "post", subject="note-1", photos=1)
    koc.grant(alice, "founding_100")

    koc.revoke(alice, "founding_100", at=DEFAULT_AT + timedelta(days=1))
    koc.grant(alice, "founding_100", at=DEFAULT_AT + timedelta(days=2))

    assert sorted(koc.honors(alice)) == [
        ("first_post", "first", True),
        ("founding_100", None, False),
        ("founding_100", None, True),
    ]
    with koc.store() as uow:
        assert uow.honors.holders("founding_100") == 1
    with pytest.raises(AlreadyExists):
        koc.grant(alice, "founding_100")


def test_a_manual_honor_has_room_for_its_maximum_holders_only(koc: Shop) -> None:
    council = [koc.join(f"member{i}") for i in range(12)]
    for member_id in council:
        koc.grant(member_id, "advisory_council")

    with pytest.raises(HonorCapacityReached):
        koc.grant(koc.join("latecomer"), "advisory_council")


def test_an_operator_can_lock_a_level_and_unlock_it(koc: Shop) -> None:
    alice = koc.join("alice")

    locked = koc.lock(alice, "seasoned")
    unlocked = koc.lock(alice, None, at=DEFAULT_AT + timedelta(hours=1))

    assert (locked.level_id, locked.level_locked) == ("seasoned", True)
    assert (unlocked.level_id, unlocked.level_locked) == ("seasoned", False)
    assert koc.member(alice) == unlocked


def test_a_review_expires_points_past_the_horizon(koc: Shop) -> None:
    alice = koc.join("alice", at=local(2026, 1, 1))
    koc.record(alice, "post", at=local(2026, 1, 5), subject="note-1", photos=1)

    events = koc.review(alice, local(2027, 2, 15))
    again = koc.review(alice, local(2027, 2, 16))

    assert [e.points for e in events if isinstance(e, PointsExpired)] == [15]
    assert not [e for e in again if isinstance(e, PointsExpired)]
    assert koc.balances(alice) == Balances(0, 0, 15)
    assert koc.entries(alice)[0].kind is TransferKind.EXPIRE
    assert_consistent(koc.store)


def test_promotion_follows_lifetime_points(koc: Shop) -> None:
    alice = koc.join("alice")
    koc.record(alice, "post", subject="note-1")

    result = koc.record(alice, "note_metrics", subject="note-1", interactions=1500)

    assert [e.to_level for e in result.events if isinstance(e, LevelChanged)] == ["regular"]
    assert koc.member(alice).level_id == "regular"
    assert koc.member(alice).koc_tier == "senior"


# --- public reads ---------------------------------------------------------------------------


def test_the_leaderboard_ranks_what_members_earned_in_the_period(shop: Shop) -> None:
    alice, bob, carol = shop.join("alice"), shop.join("bob"), shop.join("carol")
    shop.earn(alice, "post", DEFAULT_AT - timedelta(days=10))
    shop.earn(alice, "post", DEFAULT_AT - timedelta(days=10, minutes=-1))
    shop.earn(bob, "post", DEFAULT_AT)
    shop.earn(carol, "answer", DEFAULT_AT, subject="q1")
    shop.adjust(carol, 500)  # adjustments are not earnings

    assert shop.leaderboard("day") == [("bob", 100), ("carol", 20)]
    assert shop.leaderboard("all_time") == [("alice", 200), ("bob", 100), ("carol", 20)]


def test_the_hall_of_fame_lists_honored_members_in_the_order_honored(koc: Shop) -> None:
    alice, bob, carol = koc.join("alice"), koc.join("bob"), koc.join("carol")
    koc.grant(bob, "founding_100", at=DEFAULT_AT)
    koc.grant(alice, "advisory_council", at=DEFAULT_AT + timedelta(days=1))
    koc.grant(carol, "mentor")  # not a hall-of-fame honor

    assert koc.hall_of_fame() == ["bob", "alice"]


def test_ledger_entries_page_newest_first_without_gaps_or_repeats(shop: Shop) -> None:
    alice = shop.join("alice")
    for day in range(7):
        shop.earn(alice, "post", DEFAULT_AT + timedelta(days=day))
    shop.redeem(alice, "mug")  # two postings on alice's accounts

    pages, after = [], None
    while page := shop.entries(alice, after, first=3):
        pages.append(page)
        after = page[-1].seq

    seqs = [e.seq for page in pages for e in page]
    assert [len(p) for p in pages] == [3, 3, 3]
    assert seqs == sorted(seqs, reverse=True)
    assert len(set(seqs)) == 9
    assert {e.account for e in pages[0][:2]} == {available_account(alice), held_account(alice)}


def test_redemptions_page_newest_first(shop: Shop) -> None:
    alice = shop.join("alice")
    shop.earn(alice, "post")
    made = [shop.redeem(alice, "sticker").redemption.id for _ in range(2)]
    made.append(shop.redeem(alice, "mug").redemption.id)

    first_page = shop.redemptions(alice, first=2)
    second_page = shop.redemptions(alice, after=first_page[-1], first=2)

    assert first_page + second_page == list(reversed(made))


def test_a_failed_use_case_publishes_no_events(shop: Shop) -> None:
    alice = shop.join("alice")
    uow = shop.store()

    with pytest.raises(InsufficientPoints):
        services.redeem_reward(RedeemReward(alice, "mug", 1, "r1", DEFAULT_AT), uow, SHOP)

    assert uow.events == []


def test_a_committed_use_case_leaves_its_events_for_the_caller(shop: Shop) -> None:
    alice = shop.join("alice")
    uow = shop.store()

    services.record_activity(shop.activity(alice, "post"), uow, shop.economy)

    assert [type(e).__name__ for e in uow.events] == ["PointsAwarded"]
