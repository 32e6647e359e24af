"""Operator commands out of bounds: a restock, a batch of coupon codes or an adjustment
that is too small, too large, repeated or over-explained is refused naming the field,
and the shelf, the ledger and the audit trail stay as they were."""

from __future__ import annotations

import pytest

from domain import services
from domain.commands import AddCouponCodes, AdjustPoints, Restock, reason_length_max
from domain.errors import InvalidInput, NotFound
from domain.ledger import Balances
from tests.unit.builders import World, economy_from, local

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 40

[reward_tiers.merch]

[rewards.mug]
tier = "merch"
price = 30
stock = 5

[rewards.coupon]
tier = "merch"
price = 10
fulfilment = "coupon_code"
"""
)
AT = local(2026, 3, 2)
ADJUSTMENT_SIZE_MAX = 10_000_000  # points, either way
RESTOCK_QUANTITY_MAX = 1_000_000  # items
COUPON_CODE_LENGTH_MAX = 100  # characters


@pytest.fixture
def world() -> World:
    return World(ECONOMY)


def audited(world: World) -> int:
    with world.store() as uow:
        return len(uow.audit.list(None, 100))


def restock(world: World, quantity: int) -> int | None:
    return services.restock(Restock("mug", quantity, "operator", AT), world.store(), ECONOMY)


def add_codes(world: World, *codes: str) -> int:
    return services.add_coupon_codes(
        AddCouponCodes("coupon", codes, "operator", AT), world.store(), ECONOMY
    )


def codes_left(world: World) -> int:
    with world.store() as uow:
        return uow.stock.codes_left("coupon")


def adjust(world: World, member_id: str, amount: int, reason: str = "goodwill") -> None:
    cmd = AdjustPoints(member_id, amount, reason, "operator", world.key(), AT)
    services.adjust_points(cmd, world.store(), ECONOMY)


# --- restock ------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -1, RESTOCK_QUANTITY_MAX + 1])
def test_a_restock_outside_one_to_a_million_is_refused_and_leaves_the_shelf(
    world: World, quantity: int
) -> None:
    # when an operator restocks the mug by an impossible quantity
    with pytest.raises(InvalidInput) as refused:
        restock(world, quantity)

    # then the quantity is named and the shelf and the audit trail are untouched
    assert refused.value.field == "quantity"
    assert world.stock("mug") == 5
    assert audited(world) == 0


def test_the_largest_restock_is_accepted(world: World) -> None:
    # when an operator restocks by the bound itself
    left = restock(world, RESTOCK_QUANTITY_MAX)

    # then the stock grows by exactly that and the change is audited
    assert left == 5 + RESTOCK_QUANTITY_MAX
    assert audited(world) == 1


# --- coupon codes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "codes",
    [
        pytest.param((), id="none"),
        pytest.param(("A-1", "A-1"), id="repeated"),
        pytest.param(("",), id="empty"),
        pytest.param(("X" * (COUPON_CODE_LENGTH_MAX + 1),), id="too-long"),
    ],
)
def test_a_batch_of_coupon_codes_that_is_empty_repeated_or_oversized_adds_none(
    world: World, codes: tuple[str, ...]
) -> None:
    # when an operator adds a malformed batch
    with pytest.raises(InvalidInput) as refused:
        add_codes(world, *codes)

    # then the codes are named and not one code reached the shelf
    assert refused.value.field == "codes"
    assert codes_left(world) == 0
    assert audited(world) == 0


def test_more_coupon_codes_than_one_batch_holds_adds_none(world: World) -> None:
    # given one code more than a batch may carry
    codes = [f"C-{n}" for n in range(services.coupon_codes_max + 1)]

    # when an operator adds them at once
    with pytest.raises(InvalidInput) as refused:
        add_codes(world, *codes)

    # then the batch is refused whole
    assert refused.value.field == "codes"
    assert codes_left(world) == 0


def test_codes_of_the_longest_length_are_added(world: World) -> None:
    # when an operator adds two distinct codes of the longest allowed length
    added = add_codes(world, "A" * COUPON_CODE_LENGTH_MAX, "B" * COUPON_CODE_LENGTH_MAX)

    # then both are on the shelf
    assert added == 2
    assert codes_left(world) == 2


# --- adjustments --------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, ADJUSTMENT_SIZE_MAX + 1, -(ADJUSTMENT_SIZE_MAX + 1)])
def test_an_adjustment_of_nothing_or_beyond_ten_million_is_refused(
    world: World, amount: int
) -> None:
    # given a member with some points
    alice = world.join("alice")
    adjust(world, alice, 100)

    # when an operator adjusts by nothing, or by more than the bound either way
    with pytest.raises(InvalidInput) as refused:
        adjust(world, alice, amount)

    # then the amount is named and the balance is what it was
    assert refused.value.field == "amount"
    assert world.balances(alice) == Balances(100, 0, 0)


def test_an_adjustment_with_a_reason_longer_than_the_bound_is_refused(world: World) -> None:
    # given a member
    alice = world.join("alice")

    # when an operator explains an adjustment at one character over the bound
    with pytest.raises(InvalidInput) as refused:
        adjust(world, alice, 50, reason="x" * (reason_length_max + 1))

    # then the reason is named and nothing moved
    assert refused.value.field == "reason"
    assert world.available(alice) == 0
    assert audited(world) == 0


def test_an_adjustment_with_a_reason_of_the_longest_length_is_applied(world: World) -> None:
    # given a member
    alice = world.join("alice")

    # when an operator explains an adjustment at exactly the bound
    adjust(world, alice, 50, reason="x" * reason_length_max)

    # then the points moved
    assert world.available(alice) == 50


# --- members ------------------------------------------------------------------------------


def test_reading_a_member_that_never_joined_names_it(world: World) -> None:
    # when a member id nobody registered is read
    with pytest.raises(NotFound) as missing:
        services.get_member("mem_nobody", world.store())

    # then the error names what was looked for
    assert (missing.value.kind, missing.value.ident) == ("member", "mem_nobody")
