"""Point expiry through `review_member`: points earned in month M expire when month
M + after_months ends (in the economy's time zone), oldest first, after what was already
spent, expired or deducted; the books always balance."""

from collections.abc import Sequence

import pytest

from domain.ledger import ADJUSTMENT, EXPIRY, ISSUANCE, REDEMPTION
from domain.model import PointsExpired
from tests.unit.builders import UTC, World, economy_from, local

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 100

[rules.comment]
kind = "comment"
points = 50

[reward_tiers.merch]

[rewards.lamp]
tier = "merch"
price = 120
""",
    expiry_months=2,
)


@pytest.fixture
def world() -> World:
    return World(ECONOMY)


@pytest.fixture
def alice(world: World) -> str:
    return world.join("alice", at=local(2026, 1, 1))


def expired(events: Sequence[object]) -> int:
    return sum(e.points for e in events if isinstance(e, PointsExpired))


def test_points_are_kept_until_their_expiry_month_ends(world: World, alice: str) -> None:
    world.earn(alice, "post", local(2026, 1, 15))

    events = world.review(alice, local(2026, 3, 31, 23, 59))

    assert expired(events) == 0
    assert world.available(alice) == 100


def test_points_expire_once_their_expiry_month_has_ended(world: World, alice: str) -> None:
    world.earn(alice, "post", local(2026, 1, 15))

    events = world.review(alice, local(2026, 4, 1, 0, 0))

    assert events == [PointsExpired(alice, 100, local(2026, 4, 1, 0, 0))]
    assert world.available(alice) == 0
    assert world.store.state.balances[EXPIRY] == 100


def test_the_expiry_month_ends_at_midnight_in_the_economys_time_zone(
    world: World, alice: str
) -> None:
    world.earn(alice, "post", local(2026, 1, 31, 23, 30))  # still January in Shanghai

    events = world.review(alice, local(2026, 3, 31, 16, 30, tz=UTC))  # 1 April, 00:30

    assert expired(events) == 100


def test_spending_uses_the_oldest_points_first(world: World, alice: str) -> None:
    world.earn(alice, "post", local(2026, 1, 15))
    world.earn(alice, "comment", local(2026, 2, 15))
    lamp = world.redeem(alice, "lamp", local(2026, 2, 20))
    world.fulfil(lamp.id, local(2026, 2, 21))

    january_ends = world.review(alice, local(2026, 4, 1))
    february_ends = world.review(alice, local(2026, 5, 1))

    assert (expired(january_ends), expired(february_ends)) == (0, 30)
    assert world.available(alice) == 0


def test_a_deduction_counts_as_consumption_of_the_oldest_points(world: World, alice: str) -> None:
    world.earn(alice, "post", local(2026, 1, 15))
    world.earn(alice, "comment", local(2026, 2, 15))
    world.adjust(alice, -60, local(2026, 2, 16))

    assert expired(world.review(alice, local(2026, 4, 1))) == 40
    assert world.available(alice) == 50


def test_points_held_by_a_reservation_do_not_expire_until_released(
    world: World, alice: str
) -> None:
    world.earn(alice, "post", local(2026, 1, 15))
    world.earn(alice, "comment", local(2026, 1, 16))
    lamp = world.redeem(alice, "lamp", local(2026, 3, 1))

    first = world.review(alice, local(2026, 4, 1))
    world.cancel(lamp.id, local(2026, 4, 2))
    second = world.review(alice, local(2026, 4, 3))

    assert (expired(first), expired(second)) == (30, 120)
    assert world.balances(alice).available == 0


def test_reviewing_again_expires_nothing_more(world: World, alice: str) -> None:
    world.earn(alice, "post", local(2026, 1, 15))
    world.review(alice, local(2026, 4, 1))
    entries = world.entry_count()

    again = world.review(alice, local(2026, 4, 1))
    later = world.review(alice, local(2026, 8, 1))

    assert (expired(again), expired(later)) == (0, 0)
    assert world.entry_count() == entries


def test_newer_points_survive_the_expiry_of_older_ones(world: World, alice: str) -> None:
    world.earn(alice, "post", local(2026, 1, 15))
    world.earn(alice, "comment", local(2026, 3, 15))

    world.review(alice, local(2026, 4, 1))

    assert world.available(alice) == 50
    assert expired(world.review(alice, local(2026, 6, 1))) == 50


def test_expiry_never_lowers_lifetime_earned_points(world: World, alice: str) -> None:
    world.earn(alice, "post", local(2026, 1, 15))

    world.review(alice, local(2026, 4, 1))

    member = world.member(alice)
    assert member.progress.lifetime_earned == member.qualifying_points == 100


def test_an_economy_without_expiry_keeps_points_forever() -> None:
    world = World(economy_from('[rules.post]\nkind = "post"\npoints = 100\n'))
    alice = world.join("alice")
    world.earn(alice, "post", local(2026, 1, 15))

    assert expired(world.review(alice, local(2036, 1, 1))) == 0
    assert world.available(alice) == 100


def test_issued_less_spent_less_expired_is_what_members_hold(world: World, alice: str) -> None:
    bob = world.join("bob")
    for member in (alice, bob):
        world.earn(member, "post", local(2026, 1, 15))
        world.earn(member, "comment", local(2026, 2, 15))
    world.fulfil(world.redeem(alice, "lamp", local(2026, 2, 20)).id, local(2026, 2, 21))
    world.redeem(bob, "lamp", local(2026, 2, 20))
    world.adjust(bob, 10, local(2026, 2, 22))
    world.adjust(alice, -5, local(2026, 2, 22))
    for member in (alice, bob):
        world.review(member, local(2026, 5, 1))

    books = world.store.state.balances
    issued, spent, gone = -books[ISSUANCE], books[REDEMPTION], books[EXPIRY]
    adjusted = -books[ADJUSTMENT]
    held_by_members = sum(world.available(m) + world.balances(m).reserved for m in (alice, bob))
    assert (issued, spent, adjusted) == (300, 120, 5)
    assert gone > 0
    assert issued - spent - gone + adjusted == held_by_members
