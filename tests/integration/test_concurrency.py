"""Real threads on separate connections against SQLite and PostgreSQL: stock is never
oversold, one idempotency key writes once, a daily cap holds, and the ledger stays
consistent afterwards."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from domain import services
from domain.commands import (
    AddCouponCodes,
    AdjustPoints,
    FulfillRedemption,
    RecordActivity,
    RedeemReward,
    RegisterMember,
)
from domain.errors import DomainError, OutOfStock
from domain.ledger import Balances
from persistence.sql import SqlStore
from tests.integration.checks import violations
from tests.integration.shop import DEFAULT_AT
from tests.unit.builders import economy_from

T = TypeVar("T")
threads_count = 50

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 100

[reward_tiers.merch]

[rewards.scarce]
tier = "merch"
price = 10
stock = 10

[rewards.sticker]
tier = "merch"
price = 10

[rewards.coupon]
tier = "merch"
price = 10
fulfilment = "coupon_code"
""",
    daily_cap=300,
)


def in_parallel(calls: list[Callable[[], T]]) -> list[T | DomainError]:
    """Run every call on its own thread, released together; domain errors are results."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | DomainError:
        barrier.wait()
        try:
            return call()
        except DomainError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def member_with_points(store: SqlStore, handle: str, points: int) -> str:
    member = services.register_member(RegisterMember(handle, handle, DEFAULT_AT), store(), ECONOMY)
    cmd = AdjustPoints(member.id, points, "seed", "operator", f"seed-{handle}", DEFAULT_AT)
    services.adjust_points(cmd, store(), ECONOMY)
    return member.id


def test_fifty_parallel_redemptions_of_ten_items_sell_exactly_ten(sql_store: SqlStore) -> None:
    services.sync_rewards(sql_store(), ECONOMY)
    members = [member_with_points(sql_store, f"m{i}", 100) for i in range(threads_count)]

    def redeem(member_id: str) -> Callable[[], services.RedemptionResult]:
        cmd = RedeemReward(member_id, "scarce", 1, "buy", DEFAULT_AT)
        return lambda: services.redeem_reward(cmd, sql_store(), ECONOMY)

    results = in_parallel([redeem(m) for m in members])

    outcomes = Counter(type(r).__name__ for r in results)
    assert outcomes == {"RedemptionResult": 10, "OutOfStock": 40}
    assert all(r.available == 0 for r in results if isinstance(r, OutOfStock))
    with sql_store() as uow:
        assert uow.stock.remaining("scarce") == 0
    assert violations(sql_store) == {}


def test_fifty_parallel_calls_with_one_key_write_once(sql_store: SqlStore) -> None:
    services.sync_rewards(sql_store(), ECONOMY)
    alice = member_with_points(sql_store, "alice", 1000)
    cmd = RedeemReward(alice, "sticker", 1, "the-one-key", DEFAULT_AT)

    results = in_parallel(
        [lambda: services.redeem_reward(cmd, sql_store(), ECONOMY)] * threads_count
    )

    assert all(isinstance(r, services.RedemptionResult) for r in results), results
    redemptions = [r for r in results if isinstance(r, services.RedemptionResult)]
    assert len({r.redemption.id for r in redemptions}) == 1
    assert Counter(r.replayed for r in redemptions) == {True: 49, False: 1}
    assert services.balances(alice, sql_store()) == Balances(990, 10, 0)
    assert len(services.redemptions_for(alice, sql_store())) == 1
    assert violations(sql_store) == {}


def test_parallel_activities_of_one_member_never_pass_the_daily_cap(sql_store: SqlStore) -> None:
    alice = member_with_points(sql_store, "alice", 1)

    def post(i: int) -> Callable[[], services.ActivityResult]:
        cmd = RecordActivity(alice, "post", DEFAULT_AT, f"post-{i}", at=DEFAULT_AT)
        return lambda: services.record_activity(cmd, sql_store(), ECONOMY)

    results = in_parallel([post(i) for i in range(threads_count)])

    points = [r.points for r in results if isinstance(r, services.ActivityResult)]
    assert len(points) == threads_count
    assert sum(points) == 300
    assert services.balances(alice, sql_store()) == Balances(301, 0, 300)
    assert violations(sql_store) == {}


def test_parallel_replays_of_one_activity_award_it_once(sql_store: SqlStore) -> None:
    alice = member_with_points(sql_store, "alice", 1)
    cmd = RecordActivity(alice, "post", DEFAULT_AT, "same-post", at=DEFAULT_AT)

    results = in_parallel(
        [lambda: services.record_activity(cmd, sql_store(), ECONOMY)] * threads_count
    )

    activities = [r for r in results if isinstance(r, services.ActivityResult)]
    assert len(activities) == threads_count
    assert len({r.record.id for r in activities}) == 1
    assert Counter(r.replayed for r in activities) == {True: 49, False: 1}
    assert services.balances(alice, sql_store()).available == 101
    assert violations(sql_store) == {}


def test_parallel_fulfilments_hand_out_distinct_coupon_codes(sql_store: SqlStore) -> None:
    codes = [f"CODE-{i:02d}" for i in range(20)]
    services.add_coupon_codes(
        AddCouponCodes("coupon", tuple(codes), "operator", DEFAULT_AT), sql_store(), ECONOMY
    )
    members = [member_with_points(sql_store, f"m{i}", 100) for i in range(25)]
    reserved = [
        services.redeem_reward(RedeemReward(m, "coupon", 1, "buy", DEFAULT_AT), sql_store(),
                               ECONOMY).redemption.id
        for m in members
    ]  # fmt: skip

    def fulfil(redemption_id: str) -> Callable[[], str | None]:
        cmd = FulfillRedemption(redemption_id, "operator", DEFAULT_AT)
        return lambda: services.fulfill_redemption(cmd, sql_store(), ECONOMY).coupon_code

    results = in_parallel([fulfil(r) for r in reserved])

    handed_out = [r for r in results if isinstance(r, str)]
    assert sorted(handed_out) == codes
    assert Counter(type(r).__name__ for r in results)["CouponPoolEmpty"] == 5
    with sql_store() as uow:
        assert uow.stock.codes_left("coupon") == 0
    assert violations(sql_store) == {}


def test_parallel_batches_over_the_same_members_in_opposite_orders_all_commit(
    sql_store: SqlStore,
) -> None:
    members = [member_with_points(sql_store, f"m{i}", 1) for i in range(6)]

    def batch(order: list[str], tag: str) -> Callable[[], list[object]]:
        cmds = [RecordActivity(m, "post", DEFAULT_AT, f"{tag}-{m}", at=DEFAULT_AT) for m in order]
        return lambda: list(services.record_activities(cmds, sql_store(), ECONOMY))

    calls = [batch(members if i % 2 else members[::-1], f"batch{i}") for i in range(8)]
    results = in_parallel(calls)

    assert all(isinstance(r, list) for r in results), results
    for member_id in members:
        assert services.balances(member_id, sql_store()).lifetime_earned == 300
    assert violations(sql_store) == {}


def test_reads_do_not_wait_for_a_writer_holding_its_lock(sql_store: SqlStore) -> None:
    alice = member_with_points(sql_store, "alice", 40)

    with sql_store() as writer:
        locked = writer.members.get_for_update(
            alice
        )  # holds the member's lock (SQLite: the write lock)
        seen = services.balances(alice, sql_store())

    assert locked is not None
    assert seen == Balances(40, 0, 0)
