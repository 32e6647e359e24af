"""Rewards: level gates, availability windows, per-member limits, points and stock checks
(never oversell, never overspend), reserve → fulfil (coupon codes) or cancel (points and
stock return), and the transitions between them."""

from datetime import datetime, timedelta

import pytest

from domain import services
from domain.commands import CancelRedemption, RedeemReward, Restock
from domain.errors import (
    CouponPoolEmpty,
    InsufficientPoints,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    NotFound,
    OutOfStock,
    RedemptionLimitReached,
    RewardUnavailable,
)
from domain.model import RedemptionStatus
from tests.unit.builders import World, economy_from, local

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 100

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

[rewards.vip]
tier = "merch"
price = 100
stock = 5
min_level = "gold"

[rewards.summer_hat]
tier = "merch"
price = 10
available_from = 2026-06-01T00:00:00+08:00
available_until = 2026-09-01T00:00:00+08:00
""",
    levels="""
[[levels]]
id = "newcomer"
title = "Newcomer"
threshold = 0

[[levels]]
id = "gold"
title = "Gold"
threshold = 500
""",
)
DAY0 = local(2026, 7, 1, 10)


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


@pytest.fixture
def world() -> World:
    return World(ECONOMY)


def rich_member(world: World, handle: str, posts: int = 3) -> str:
    member = world.join(handle)
    for _ in range(posts):
        world.earn(member, "post", DAY0)
    return member


@pytest.fixture
def alice(world: World) -> str:
    return rich_member(world, "alice")


# --- eligibility -----------------------------------------------------------------------


def test_a_level_gated_reward_names_the_level_it_needs(world: World, alice: str) -> None:
    with pytest.raises(NotEligible) as raised:
        world.redeem(alice, "vip", DAY0)

    assert raised.value.required_level == "gold"
    assert "'Gold'" in raised.value.reason


def test_reaching_the_gate_level_opens_the_reward(world: World, alice: str) -> None:
    world.earn(alice, "post", DAY0)
    world.earn(alice, "post", DAY0)

    assert world.redeem(alice, "vip", DAY0).status is RedemptionStatus.RESERVED


def test_a_reward_cannot_be_redeemed_before_its_window_opens(world: World, alice: str) -> None:
    with pytest.raises(RewardUnavailable) as raised:
        world.redeem(alice, "summer_hat", local(2026, 5, 31, 23, 59))

    assert "opens at" in raised.value.reason


def test_a_reward_window_includes_its_opening_moment(world: World, alice: str) -> None:
    assert world.redeem(alice, "summer_hat", local(2026, 6, 1, 0, 0)).points == 10


def test_a_reward_window_excludes_its_closing_moment(world: World, alice: str) -> None:
    with pytest.raises(RewardUnavailable) as raised:
        world.redeem(alice, "summer_hat", local(2026, 9, 1, 0, 0))

    assert "closed at" in raised.value.reason


def test_the_per_member_limit_counts_quantities_already_redeemed(world: World, alice: str) -> None:
    world.redeem(alice, "sticker", DAY0)

    with pytest.raises(RedemptionLimitReached) as raised:
        world.redeem(alice, "sticker", DAY0, quantity=2)

    assert (raised.value.limit, raised.value.already) == (2, 1)


def test_a_cancelled_redemption_frees_the_per_member_limit(world: World, alice: str) -> None:
    first = world.redeem(alice, "sticker", DAY0, quantity=2)
    world.cancel(first.id, DAY0)

    assert world.redeem(alice, "sticker", DAY0, quantity=2).quantity == 2


def test_a_fulfilled_redemption_still_counts_toward_the_limit(world: World, alice: str) -> None:
    first = world.redeem(alice, "sticker", DAY0, quantity=2)
    world.fulfil(first.id, DAY0)

    with pytest.raises(RedemptionLimitReached):
        world.redeem(alice, "sticker", DAY0)


# --- points ----------------------------------------------------------------------------


def test_insufficient_points_gives_the_balance_and_the_price(world: World) -> None:
    bob = rich_member(world, "bob", posts=0)
    world.adjust(bob, 25, DAY0)

    with pytest.raises(InsufficientPoints) as raised:
        world.redeem(bob, "mug", DAY0)

    assert (raised.value.balance, raised.value.required) == (25, 30)


def test_the_price_is_multiplied_by_the_quantity(world: World, alice: str) -> None:
    redemption = world.redeem(alice, "mug", DAY0, quantity=2)

    assert redemption.points == 60
    assert (world.available(alice), world.balances(alice).reserved) == (240, 60)


def test_a_refused_redemption_writes_nothing(world: World) -> None:
    bob = rich_member(world, "bob", posts=0)
    writes, stock = world.write_count(), world.stock("mug")

    with pytest.raises(InsufficientPoints):
        world.redeem(bob, "mug", DAY0)

    assert world.write_count() == writes
    assert world.stock("mug") == stock


# --- stock -----------------------------------------------------------------------------


def test_the_last_item_of_stock_goes_to_the_first_to_reserve_it(world: World, alice: str) -> None:
    bob, carol = rich_member(world, "bob"), rich_member(world, "carol")
    world.redeem(alice, "mug", DAY0)
    world.redeem(bob, "mug", DAY0)

    with pytest.raises(OutOfStock) as raised:
        world.redeem(carol, "mug", DAY0)

    assert (raised.value.available, raised.value.requested) == (0, 1)
    assert world.stock("mug") == 0
    assert world.available(carol) == 300


def test_a_quantity_larger_than_the_stock_left_is_refused_whole(world: World, alice: str) -> None:
    world.redeem(alice, "mug", DAY0)

    with pytest.raises(OutOfStock) as raised:
        world.redeem(alice, "mug", DAY0, quantity=2)

    assert (raised.value.available, raised.value.requested) == (1, 2)
    assert world.stock("mug") == 1


def test_unlimited_stock_never_runs_out(world: World) -> None:
    members = [rich_member(world, f"m{i}", posts=1) for i in range(5)]

    for member in members:
        world.redeem(member, "sticker", DAY0, quantity=2)

    assert world.stock("sticker") is None


def test_a_restock_puts_more_on_the_shelf(world: World, alice: str) -> None:
    world.redeem(alice, "mug", DAY0, quantity=2)

    left = services.restock(Restock("mug", 3, "operator", DAY0), world.store(), ECONOMY)

    assert left == 3
    assert world.redeem(alice, "mug", DAY0).status is RedemptionStatus.RESERVED


def test_an_unlimited_reward_cannot_be_restocked(world: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.restock(Restock("sticker", 3, "operator", DAY0), world.store(), ECONOMY)

    assert raised.value.field == "rewardId"


@pytest.mark.parametrize("quantity", [0, -1, 101])
def test_a_quantity_out_of_range_is_rejected_naming_the_field(
    world: World, alice: str, quantity: int
) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.redeem(alice, "sticker", DAY0, quantity=quantity)

    assert raised.value.field == "quantity"


def test_an_unknown_reward_is_not_found(world: World, alice: str) -> None:
    with pytest.raises(NotFound) as raised:
        world.redeem(alice, "yacht", DAY0)

    assert raised.value.ident == "yacht"


# --- reserve, fulfil, cancel -----------------------------------------------------------


def test_a_redemption_starts_reserved_holding_points_and_stock(world: World, alice: str) -> None:
    redemption = world.redeem(alice, "mug", DAY0)

    assert redemption.status is RedemptionStatus.RESERVED
    assert world.balances(alice).reserved == 30
    assert world.stock("mug") == 1


def test_fulfilling_spends_the_held_points(world: World, alice: str) -> None:
    redemption = world.redeem(alice, "mug", DAY0)

    done = world.fulfil(redemption.id, day(1))

    assert (done.status, done.updated_at) == (RedemptionStatus.FULFILLED, day(1))
    assert (world.available(alice), world.balances(alice).reserved) == (270, 0)
    assert world.stock("mug") == 1


def test_cancelling_returns_the_points_and_the_stock(world: World, alice: str) -> None:
    redemption = world.redeem(alice, "mug", DAY0, quantity=2)

    done = world.cancel(redemption.id, day(1))

    assert done.status is RedemptionStatus.CANCELLED
    assert (world.available(alice), world.balances(alice).reserved) == (300, 0)
    assert world.stock("mug") == 2


def test_cancelling_an_unlimited_reward_returns_the_points(world: World, alice: str) -> None:
    redemption = world.redeem(alice, "sticker", DAY0)

    world.cancel(redemption.id, DAY0)

    assert world.available(alice) == 300
    assert world.stock("sticker") is None


def test_a_fulfilled_redemption_cannot_be_cancelled(world: World, alice: str) -> None:
    redemption = world.redeem(alice, "mug", DAY0)
    world.fulfil(redemption.id, DAY0)

    with pytest.raises(InvalidTransition) as raised:
        world.cancel(redemption.id, DAY0)

    assert (raised.value.state, raised.value.action) == ("fulfilled", "cancel")
    assert world.stock("mug") == 1


def test_a_cancelled_redemption_cannot_be_fulfilled(world: World, alice: str) -> None:
    redemption = world.redeem(alice, "mug", DAY0)
    world.cancel(redemption.id, DAY0)

    with pytest.raises(InvalidTransition) as raised:
        world.fulfil(redemption.id, DAY0)

    assert (raised.value.state, raised.value.action) == ("cancelled", "fulfil")


def test_fulfilling_twice_is_the_same_as_once(world: World, alice: str) -> None:
    redemption = world.redeem(alice, "mug", DAY0)
    first = world.fulfil(redemption.id, day(1))
    writes = world.write_count()

    second = world.fulfil(redemption.id, day(2))

    assert second == first
    assert world.write_count() == writes


def test_cancelling_twice_is_the_same_as_once(world: World, alice: str) -> None:
    redemption = world.redeem(alice, "mug", DAY0)
    first = world.cancel(redemption.id, day(1))
    writes = world.write_count()

    second = world.cancel(redemption.id, day(2))

    assert second == first
    assert world.write_count() == writes
    assert world.available(alice) == 300
    assert world.stock("mug") == 2


def test_a_member_may_cancel_their_own_reserved_redemption(world: World, alice: str) -> None:
    redemption = world.redeem(alice, "mug", DAY0)
    cmd = CancelRedemption(redemption.id, alice, DAY0, "changed mind", member_id=alice)

    done = services.cancel_redemption(cmd, world.store(), ECONOMY)

    assert done.status is RedemptionStatus.CANCELLED


def test_a_member_cannot_cancel_someone_elses_redemption(world: World, alice: str) -> None:
    bob = rich_member(world, "bob")
    redemption = world.redeem(alice, "mug", DAY0)
    cmd = CancelRedemption(redemption.id, bob, DAY0, "mischief", member_id=bob)

    with pytest.raises(NotFound):
        services.cancel_redemption(cmd, world.store(), ECONOMY)

    assert world.balances(alice).reserved == 30


def test_an_unknown_redemption_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.fulfil("red_nothing", DAY0)


# --- coupon codes ----------------------------------------------------------------------


def test_fulfilling_a_coupon_reward_hands_out_the_next_code_of_the_pool(
    world: World, alice: str
) -> None:
    world.add_codes("coupon", "AAA-1", "AAA-2")
    first = world.redeem(alice, "coupon", DAY0)
    second = world.redeem(alice, "coupon", DAY0)

    codes = [world.fulfil(first.id, DAY0).coupon_code, world.fulfil(second.id, DAY0).coupon_code]

    assert codes == ["AAA-1", "AAA-2"]
    assert world.store().stock.codes_left("coupon") == 0


def test_an_empty_coupon_pool_refuses_fulfilment_and_keeps_the_reservation(
    world: World, alice: str
) -> None:
    redemption = world.redeem(alice, "coupon", DAY0)

    with pytest.raises(CouponPoolEmpty) as raised:
        world.fulfil(redemption.id, DAY0)

    assert raised.value.reward_id == "coupon"
    assert world.balances(alice).reserved == 50
    world.add_codes("coupon", "LATE-1")
    assert world.fulfil(redemption.id, day(1)).coupon_code == "LATE-1"


def test_a_fulfilled_coupon_keeps_its_code_when_fulfilled_again(world: World, alice: str) -> None:
    world.add_codes("coupon", "AAA-1", "AAA-2")
    redemption = world.redeem(alice, "coupon", DAY0)
    world.fulfil(redemption.id, DAY0)

    assert world.fulfil(redemption.id, DAY0).coupon_code == "AAA-1"
    assert world.store().stock.codes_left("coupon") == 1


def test_codes_already_in_the_pool_or_handed_out_are_not_added_twice(
    world: World, alice: str
) -> None:
    world.add_codes("coupon", "AAA-1")
    world.fulfil(world.redeem(alice, "coupon", DAY0).id, DAY0)

    added = world.add_codes("coupon", "AAA-1", "BBB-1")

    assert added == 1
    assert world.store().stock.codes_left("coupon") == 1


def test_coupon_codes_are_refused_for_a_reward_not_fulfilled_with_codes(world: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.add_codes("mug", "X-1")

    assert raised.value.field == "rewardId"


def test_the_shipped_service_coupon_needs_the_regular_level(koc_world: World) -> None:
    alice = koc_world.join("alice")
    koc_world.adjust(alice, 5000, DAY0)

    with pytest.raises(NotEligible) as raised:
        services.redeem_reward(
            RedeemReward(alice, "service_coupon", 1, "k", DAY0),
            koc_world.store(),
            koc_world.economy,
        )

    assert raised.value.required_level == "regular"
