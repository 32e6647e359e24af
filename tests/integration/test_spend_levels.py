"""Issue 10: purchase-driven levels. A level may ask for spend and purchases over the
review window besides lifetime points, and is reached when all its criteria hold; the
review warns below its keep marks and demotes after the grace period. Each order counts
once; a refund (a reversed purchase) takes its spend back for the next review to judge,
never promotes, and buys no grace when it leaves the member short. On every store alike."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.calendar import day_number
from domain.errors import AlreadyReversed, InvalidInput
from domain.model import LevelChanged, LevelState, LevelWarning
from tests.integration.conftest import StoreFactory
from tests.integration.shop import Shop
from tests.unit.builders import economy_from, local

RULES = """
[rules.purchase]
kind = "purchase"
points = 0
per_unit = { attribute = "amount", size = 1000, points = 1 }
once_per_subject = true

[rules.post]
kind = "post"
points = 100
"""
LEVELS = """
[level_review]
window_days = 30
grace_days = 10

[[levels]]
id = "member"
threshold = 0

[[levels]]
id = "silver"
spend_min = 10000

[[levels]]
id = "gold"
spend_min = 50000
purchases_min = 3
keep_spend = 30000
keep_purchases = 2

[[levels]]
id = "platinum"
threshold = 1000
spend_min = 100000
purchases_min = 3
"""
ECONOMY = economy_from(RULES, levels=LEVELS)
DAY0 = local(2026, 3, 2, 12)


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


@pytest.fixture
def shop(store: StoreFactory) -> Shop:
    return Shop(store, ECONOMY)


def buy(shop: Shop, member: str, order: str, amount: int, on: int = 0) -> list[object]:
    return list(shop.record(member, "purchase", day(on), order, amount=amount).events)


def level(shop: Shop, member: str) -> str:
    return shop.member(member).level_id


def test_spend_in_the_window_promotes_at_once(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)

    events = buy(shop, alice, "order-1", 12000)

    assert level(shop, alice) == "silver"
    assert LevelChanged(alice, "member", "silver", DAY0, "promoted") in events


def test_a_level_needs_every_criterion_it_declares(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)

    buy(shop, alice, "order-1", 60000)  # gold's spend, in one order of the three it asks for

    assert level(shop, alice) == "silver"
    buy(shop, alice, "order-2", 100)
    assert level(shop, alice) == "silver"
    buy(shop, alice, "order-3", 100, on=1)
    assert level(shop, alice) == "gold"


def test_combined_points_and_spend_need_both(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    for n in range(3):
        buy(shop, alice, f"order-{n}", 40000)  # 120,000 spent: platinum's spend, not its points
    assert level(shop, alice) == "gold"
    for _ in range(8):
        shop.earn(alice, "post", day(1))  # 120 + 800 points: still short of 1,000
    assert level(shop, alice) == "gold"

    shop.earn(alice, "post", day(1))

    assert (level(shop, alice), shop.member(alice).qualifying_points) == ("platinum", 1020)


def test_purchases_outside_the_window_do_not_count(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    buy(shop, alice, "order-1", 30000)
    buy(shop, alice, "order-2", 30000, on=10)

    buy(shop, alice, "order-3", 100, on=30)  # order-1 (day 0) has left the 30-day window

    assert level(shop, alice) == "silver"  # 60,100 over three orders, but only two inside
    buy(shop, alice, "order-4", 100, on=31)
    assert level(shop, alice) == "silver"  # 30,200: three orders, short of gold's spend


def test_a_replayed_purchase_counts_once(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    shop.record(alice, "purchase", DAY0, "order-1", "key-order-1", amount=20000)
    shop.record(alice, "purchase", DAY0, "order-1", "key-order-1", amount=20000)  # same key
    shop.record(alice, "purchase", DAY0, "order-1", amount=20000)  # new key, same order

    buy(shop, alice, "order-2", 20000)
    buy(shop, alice, "order-3", 5000)

    assert level(shop, alice) == "silver"  # 45,000 spent, not the 85,000 of gold
    assert shop.member(alice).progress.spend_by_day == {_day(DAY0): (45000, 3)}


def test_a_purchase_needs_its_order_id_and_amount(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)

    with pytest.raises(InvalidInput) as no_order:
        shop.record(alice, "purchase", DAY0, None, amount=100)
    with pytest.raises(InvalidInput) as no_amount:
        shop.record(alice, "purchase", DAY0, "order-1")

    assert (no_order.value.field, no_amount.value.field) == ("subjectId", "attributes.amount")


def test_an_order_of_nothing_is_no_purchase(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)

    buy(shop, alice, "order-free", 0)

    assert shop.member(alice).progress.spend_by_day == {}


def test_spend_below_the_keep_marks_warns_then_demotes_after_grace(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    for n in range(3):
        buy(shop, alice, f"order-{n}", 20000)
    assert level(shop, alice) == "gold"

    assert shop.review(alice, day(29)) == []  # 60,000 over three orders: kept
    warned = shop.review(alice, day(30))  # the window has moved past every order
    assert warned == [LevelWarning(alice, "gold", day(40), day(30))]
    assert shop.review(alice, day(39)) == []
    demoted = shop.review(alice, day(40))

    assert demoted == [LevelChanged(alice, "gold", "member", day(40), "demoted")]
    assert shop.member(alice).level_state is LevelState.ACTIVE


def test_demotion_goes_to_the_highest_level_whose_keep_marks_hold(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    for n in range(3):
        buy(shop, alice, f"order-{n}", 20000)
    shop.review(alice, day(30))
    buy(shop, alice, "order-late", 12000, on=31)  # silver's spend (kept for good: no keep)

    shop.review(alice, day(40))

    assert level(shop, alice) == "silver"


def test_buying_again_during_grace_lifts_the_warning(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    for n in range(3):
        buy(shop, alice, f"order-{n}", 20000)
    shop.review(alice, day(30))
    assert shop.member(alice).level_state is LevelState.WARNING

    buy(shop, alice, "order-3", 20000, on=32)
    buy(shop, alice, "order-4", 15000, on=33)  # 35,000 over two orders meets gold's keep

    member = shop.member(alice)
    assert (member.level_id, member.level_state, member.demotion_due) == (
        "gold",
        LevelState.ACTIVE,
        None,
    )
    assert shop.review(alice, day(45)) == []


def test_a_refund_takes_the_spend_back_and_the_level_stands_while_kept(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    orders = [shop.record(alice, "purchase", DAY0, f"order-{n}", amount=20000) for n in range(3)]
    assert level(shop, alice) == "gold"

    result = shop.reverse(orders[0].record.id, day(1))

    assert result.events == ()  # 40,000 over two orders still meets gold's keep marks
    assert shop.member(alice).progress.spend_by_day == {_day(DAY0): (40000, 2)}
    assert shop.review(alice, day(2)) == []
    assert level(shop, alice) == "gold"


def test_a_refund_below_the_keep_marks_demotes_at_the_next_review_without_grace(
    shop: Shop,
) -> None:
    alice = shop.join("alice", DAY0)
    orders = [shop.record(alice, "purchase", DAY0, f"order-{n}", amount=20000) for n in range(3)]
    shop.reverse(orders[0].record.id, day(1))

    refund = shop.reverse(orders[1].record.id, day(1))  # 20,000 over one order: short of keep

    assert refund.events == (LevelWarning(alice, "gold", day(1), day(1)),)  # no instant change
    assert level(shop, alice) == "gold"
    assert shop.review(alice, day(2)) == [
        LevelChanged(alice, "gold", "silver", day(2), "demoted")  # a refund buys no grace
    ]


def test_buying_again_after_a_refund_keeps_the_level(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    orders = [shop.record(alice, "purchase", DAY0, f"order-{n}", amount=20000) for n in range(3)]
    shop.reverse(orders[0].record.id, day(1))
    shop.reverse(orders[1].record.id, day(1))

    buy(shop, alice, "order-again", 15000, on=1)  # 35,000 over two orders: kept again

    assert shop.review(alice, day(2)) == []
    member = shop.member(alice)
    assert (member.level_id, member.level_state) == ("gold", LevelState.ACTIVE)


def test_a_refund_never_promotes(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    first = shop.record(alice, "purchase", DAY0, "order-1", amount=5000)

    shop.reverse(first.record.id, day(1))
    buy(shop, alice, "order-2", 6000, on=1)

    assert level(shop, alice) == "member"  # 6,000: the refunded 5,000 no longer counts


def test_a_purchase_reversed_twice_takes_its_spend_back_once(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    first = shop.record(alice, "purchase", DAY0, "order-1", amount=20000)
    buy(shop, alice, "order-2", 20000)
    shop.reverse(first.record.id, day(1), key="refund-1")

    replay = shop.reverse(first.record.id, day(1), key="refund-1")
    with pytest.raises(AlreadyReversed):
        shop.reverse(first.record.id, day(1), key="refund-again")

    assert replay.replayed
    assert shop.member(alice).progress.spend_by_day == {_day(DAY0): (20000, 1)}


def test_a_resent_order_reversed_leaves_the_counted_one_standing(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    buy(shop, alice, "order-1", 20000)
    resent = shop.record(alice, "purchase", DAY0, "order-1", amount=20000)

    shop.reverse(resent.record.id, day(1))

    assert shop.member(alice).progress.spend_by_day == {_day(DAY0): (20000, 1)}


def test_a_refund_of_a_purchase_older_than_the_window_moves_nothing(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    old = shop.record(alice, "purchase", DAY0, "order-1", amount=20000)
    buy(shop, alice, "order-2", 20000, on=40)  # the window drops day 0

    shop.reverse(old.record.id, day(41))

    assert shop.member(alice).progress.spend_by_day == {_day(day(40)): (20000, 1)}


def test_a_locked_level_ignores_spend(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)
    shop.lock(alice, "member", DAY0)

    buy(shop, alice, "order-1", 90000)

    assert level(shop, alice) == "member"
    shop.lock(alice, None, day(1))
    assert level(shop, alice) == "silver"  # unlocked: 90,000 over one order in the window


def _day(at: datetime) -> int:
    return day_number(at, ECONOMY.timezone)


def test_a_late_purchase_counts_on_the_day_it_was_made(shop: Shop) -> None:
    alice = shop.join("alice", DAY0)

    shop.record(alice, "purchase", day(1), "order-1", received=day(3), amount=12000)

    assert shop.member(alice).progress.spend_by_day == {_day(day(1)): (12000, 1)}
    assert level(shop, alice) == "silver"
    assert shop.review(alice, day(30)) == []  # silver has no keep marks
