"""The ledger: double-entry, append-only, never negative, corrections as new entries,
and idempotency keys that make every ledger-writing command exactly-once."""

from collections import defaultdict

import pytest

from domain import services
from domain.commands import RecordActivity
from domain.errors import IdempotencyKeyReused, InsufficientPoints, InvalidInput
from domain.ledger import (
    ADJUSTMENT,
    ISSUANCE,
    REDEMPTION,
    Account,
    OwnerKind,
    TransferKind,
    available_account,
    held_account,
)
from tests.unit.builders import UTC, World, economy_from, local

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 40

[rules.check_in]
kind = "check_in"
points = 5
limits = [{ period = "day", max_count = 1 }]

[reward_tiers.merch]

[rewards.mug]
tier = "merch"
price = 30
stock = 5

[rewards.poster]
tier = "merch"
price = 10
"""
)
DAY = local(2026, 3, 2)


@pytest.fixture
def world() -> World:
    return World(ECONOMY)


def sums_by_transfer(world: World) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for entry in world.store.state.entries:
        totals[entry.transfer_id] += entry.amount
    return dict(totals)


def sums_by_account(world: World) -> dict[Account, int]:
    totals: dict[Account, int] = defaultdict(int)
    for entry in world.store.state.entries:
        totals[entry.account] += entry.amount
    return dict(totals)


def busy_history(world: World) -> str:
    """A member who earns, reserves, fulfils, cancels and is adjusted both ways."""
    alice = world.join("alice")
    world.earn(alice, "post", DAY, "n1")
    world.earn(alice, "post", DAY, "n2")
    kept = world.redeem(alice, "mug", DAY)
    dropped = world.redeem(alice, "poster", DAY)
    world.fulfil(kept.id, DAY)
    world.cancel(dropped.id, DAY)
    world.adjust(alice, 7, DAY)
    world.adjust(alice, -3, DAY)
    return alice


# --- double entry ----------------------------------------------------------------------


def test_every_transfer_posts_entries_that_sum_to_zero(world: World) -> None:
    busy_history(world)

    totals = sums_by_transfer(world)

    assert len(totals) == 8
    assert set(totals.values()) == {0}


def test_cached_balances_equal_the_sum_of_the_entries_of_each_account(world: World) -> None:
    busy_history(world)

    from_entries = sums_by_account(world)
    cached = world.store.state.balances

    assert set(cached) == set(from_entries)
    assert all(cached[account] == total for account, total in from_entries.items())


def test_earning_moves_points_from_issuance_to_the_member(world: World) -> None:
    alice = world.join("alice")

    world.earn(alice, "post", DAY, "n1")

    transfer = world.store.state.transfers[-1]
    assert transfer.kind is TransferKind.EARN
    assert {(p.account, p.amount) for p in transfer.postings} == {
        (ISSUANCE, -40),
        (available_account(alice), 40),
    }


def test_a_reservation_holds_points_and_fulfilment_moves_them_to_redemption(world: World) -> None:
    alice = world.join("alice")
    world.earn(alice, "post", DAY, "n1")

    redemption = world.redeem(alice, "mug", DAY)
    held = world.balances(alice)
    world.fulfil(redemption.id, DAY)

    assert (held.available, held.reserved) == (10, 30)
    assert (world.available(alice), world.balances(alice).reserved) == (10, 0)
    assert world.store.state.balances[REDEMPTION] == 30
    assert world.store.state.balances[held_account(alice)] == 0


# --- append-only, corrections ----------------------------------------------------------


def test_earlier_entries_never_change_when_later_commands_run(world: World) -> None:
    alice = world.join("alice")
    world.earn(alice, "post", DAY, "n1")
    redemption = world.redeem(alice, "mug", DAY)
    before = list(world.store.state.entries)

    world.cancel(redemption.id, DAY)
    world.adjust(alice, -5, DAY)

    after = world.store.state.entries
    assert after[: len(before)] == before
    assert len(after) > len(before)
    assert [e.seq for e in after] == list(range(1, len(after) + 1))


def test_a_cancellation_is_a_new_release_transfer_not_an_edit_of_the_hold(world: World) -> None:
    alice = world.join("alice")
    world.earn(alice, "post", DAY, "n1")
    redemption = world.redeem(alice, "mug", DAY)

    world.cancel(redemption.id, DAY)

    kinds = [t.kind for t in world.store.state.transfers if t.reference == redemption.id]
    assert kinds == [TransferKind.HOLD, TransferKind.RELEASE]


def test_an_operator_correction_is_a_new_adjustment_entry(world: World) -> None:
    alice = world.join("alice")
    world.earn(alice, "post", DAY, "n1")
    earned = list(world.store.state.entries)

    result = world.adjust(alice, -40, DAY)

    assert world.store.state.entries[: len(earned)] == earned
    assert result.balance == 0
    assert world.store.state.transfers[-1].kind is TransferKind.ADJUST
    assert world.store.state.balances[ADJUSTMENT] == 40


# --- never negative --------------------------------------------------------------------


def test_a_deduction_larger_than_the_balance_is_refused_and_writes_nothing(world: World) -> None:
    alice = world.join("alice")
    world.earn(alice, "post", DAY, "n1")
    writes = world.write_count()

    with pytest.raises(InsufficientPoints) as raised:
        world.adjust(alice, -41, DAY)

    assert (raised.value.balance, raised.value.required) == (40, 41)
    assert world.write_count() == writes
    assert world.available(alice) == 40


def test_reserved_points_are_not_available_for_a_second_redemption(world: World) -> None:
    alice = world.join("alice")
    world.earn(alice, "post", DAY, "n1")
    world.redeem(alice, "mug", DAY)

    with pytest.raises(InsufficientPoints) as raised:
        world.redeem(alice, "mug", DAY)

    assert (raised.value.balance, raised.value.required) == (10, 30)


def test_no_member_account_is_ever_negative(world: World) -> None:
    busy_history(world)

    member_balances = {
        account: balance
        for account, balance in world.store.state.balances.items()
        if account.owner_kind is OwnerKind.MEMBER
    }
    assert member_balances
    assert min(member_balances.values()) >= 0


# --- idempotency: record_activity ------------------------------------------------------


def test_replaying_an_activity_returns_the_first_result_and_writes_nothing(world: World) -> None:
    alice = world.join("alice")
    first = world.record(alice, "post", DAY, "n1", key="post-1")
    writes = world.write_count()

    replay = world.record(alice, "post", DAY, "n1", key="post-1")

    assert replay.replayed
    assert not first.replayed
    assert replay.record == first.record
    assert replay.events == ()
    assert world.write_count() == writes
    assert world.available(alice) == 40


def test_a_replay_returns_the_original_award_even_when_a_limit_is_now_reached(
    world: World,
) -> None:
    alice = world.join("alice")
    first = world.record(alice, "check_in", DAY, key="ci")
    second = world.record(alice, "check_in", DAY.replace(hour=13))

    replay = world.record(alice, "check_in", DAY, key="ci")

    assert (first.points, second.points, replay.points) == (5, 0, 5)


def test_the_same_activity_key_with_another_payload_is_rejected(world: World) -> None:
    alice = world.join("alice")
    world.record(alice, "post", DAY, "n1", key="post-1")
    writes = world.write_count()

    with pytest.raises(IdempotencyKeyReused) as raised:
        world.record(alice, "post", DAY, "n2", key="post-1")

    assert raised.value.key == "post-1"
    assert world.write_count() == writes


def test_the_same_key_from_two_members_is_two_commands(world: World) -> None:
    alice, bob = world.join("alice"), world.join("bob")

    a = world.record(alice, "post", DAY, "n1", key="same")
    b = world.record(bob, "post", DAY, "n1", key="same")

    assert not b.replayed
    assert (a.points, b.points) == (40, 40)


def test_an_empty_idempotency_key_is_rejected_naming_the_field(world: World) -> None:
    alice = world.join("alice")

    with pytest.raises(InvalidInput) as raised:
        world.record(alice, "post", DAY, "n1", key="")

    assert raised.value.field == "idempotencyKey"


# --- idempotency: redeem_reward --------------------------------------------------------


def test_replaying_a_redemption_returns_the_first_and_holds_nothing_more(world: World) -> None:
    alice = world.join("alice")
    world.earn(alice, "post", DAY, "n1")
    world.earn(alice, "post", DAY, "n2")
    first = world.redeem(alice, "mug", DAY, key="buy-mug")
    writes, stock = world.write_count(), world.stock("mug")

    replay = world.redeem(alice, "mug", DAY, key="buy-mug")

    assert replay == first
    assert world.write_count() == writes
    assert world.stock("mug") == stock == 4
    assert world.balances(alice).reserved == 30


def test_the_same_redemption_key_with_another_quantity_is_rejected(world: World) -> None:
    alice = world.join("alice")
    world.earn(alice, "post", DAY, "n1")
    world.earn(alice, "post", DAY, "n2")
    world.redeem(alice, "mug", DAY, key="buy-mug")
    writes = world.write_count()

    with pytest.raises(IdempotencyKeyReused):
        world.redeem(alice, "mug", DAY, quantity=2, key="buy-mug")

    assert world.write_count() == writes


# --- idempotency: adjust_points --------------------------------------------------------


def test_replaying_an_adjustment_returns_the_first_transfer_and_writes_nothing(
    world: World,
) -> None:
    alice = world.join("alice")
    first = world.adjust(alice, 25, DAY, key="fix-1")
    writes = world.write_count()

    replay = world.adjust(alice, 25, DAY, key="fix-1")

    assert replay.replayed
    assert replay.transfer_id == first.transfer_id
    assert world.write_count() == writes
    assert world.available(alice) == 25


def test_the_same_adjustment_key_with_another_amount_is_rejected(world: World) -> None:
    alice = world.join("alice")
    world.adjust(alice, 25, DAY, key="fix-1")
    writes = world.write_count()

    with pytest.raises(IdempotencyKeyReused):
        world.adjust(alice, 26, DAY, key="fix-1")

    assert world.write_count() == writes
    assert world.available(alice) == 25


# --- what counts as the same payload ---------------------------------------------------


def test_the_same_moment_written_in_another_offset_is_the_same_payload(world: World) -> None:
    alice = world.join("alice")
    first = world.record(alice, "post", DAY, "n1", key="post-1")

    replay = world.record(alice, "post", DAY.astimezone(UTC), "n1", key="post-1")

    assert replay.replayed
    assert replay.record.id == first.record.id


def test_attributes_in_another_order_are_the_same_payload(world: World) -> None:
    alice = world.join("alice")
    cmd = RecordActivity(alice, "post", DAY, "k", "n1", {"photos": 1, "words": 300}, at=DAY)
    same = RecordActivity(alice, "post", DAY, "k", "n1", {"words": 300, "photos": 1}, at=DAY)
    services.record_activity(cmd, world.store(), ECONOMY)

    assert services.record_activity(same, world.store(), ECONOMY).replayed


def test_a_services_activity_key_is_not_the_members_redemption_key(world: World) -> None:
    alice = world.join("alice")
    world.adjust(alice, 500, DAY)
    world.record(alice, "post", DAY, "n1", key="k")

    redemption = world.redeem(alice, "poster", DAY, key="k")  # another caller's scope

    assert world.balances(alice).reserved == redemption.points


def test_an_adjustment_key_reused_with_another_amount_is_rejected(world: World) -> None:
    alice = world.join("alice")
    world.adjust(alice, 50, DAY, key="k")

    with pytest.raises(IdempotencyKeyReused):
        world.adjust(alice, 60, DAY, key="k")

    assert world.available(alice) == 50


def test_a_failed_command_does_not_use_up_its_key(world: World) -> None:
    alice = world.join("alice")
    with pytest.raises(InsufficientPoints):
        world.redeem(alice, "mug", DAY, key="buy")
    world.earn(alice, "post", DAY, "n1")

    redemption = world.redeem(alice, "mug", DAY, key="buy")

    assert redemption.points == 30
