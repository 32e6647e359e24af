"""One seeded stream of commands through the memory store and through a SQL store ends in
the same outcomes, balances, levels, KOC tiers, honors, redemptions and stock."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TypedDict

from domain import services
from domain.commands import RecordActivity
from domain.economy import Economy
from domain.errors import DomainError
from persistence.memory import MemoryStore
from persistence.sql import SqlStore
from tests.integration.checks import violations
from tests.integration.shop import Shop, StoreFactory
from tests.unit.builders import local

commands_count = 400
members_count = 6
START = local(2026, 1, 5, 8)

ACTIVITIES: list[tuple[str, bool, dict[str, int]]] = [
    ("check_in", False, {}),
    ("post", True, {"photos": 1}),
    ("post", True, {}),
    ("interaction", True, {}),
    ("answer", True, {"accepted": 1}),
    ("short_video", True, {"seconds": 30}),
    ("article", True, {"words": 2400}),
    ("event_attendance", True, {}),
    ("note_metrics", True, {"interactions": 1500}),
]


class Ending(TypedDict):
    """Where a command stream ended, in values both stores must agree on."""

    outcomes: list[str]
    members: list[tuple[object, ...]]
    stock: dict[str, int | None]
    codes_left: int
    leaderboard: list[tuple[str, int]]
    hall_of_fame: list[str]


def play(store: StoreFactory, economy: Economy, seed: int) -> Ending:
    """Run the stream; return what it did and where it ended, free of store-made ids."""
    rng = random.Random(seed)
    shop = Shop(store, economy)
    shop.add_codes("service_coupon", *(f"SVC-{i}" for i in range(3)))
    members = [shop.join(f"member{i}", START) for i in range(members_count)]
    redemptions: list[str] = []
    outcomes: list[str] = []
    for n in range(commands_count):
        at = START + timedelta(hours=n * 3, minutes=rng.randrange(60))
        member = rng.choice(members)
        roll = rng.random()
        try:
            if roll < 0.75:
                kind, has_subject, attributes = rng.choice(ACTIVITIES)
                subject = f"s{rng.randrange(40)}" if has_subject else None
                cmd = RecordActivity(member, kind, at, shop.key(), subject, dict(attributes), at=at)
                outcomes.append(str(services.record_activity(cmd, shop.store(), economy).points))
            elif roll < 0.85:
                reward = rng.choice(["sticker_pack", "key_ring", "service_coupon"])
                redemptions.append(shop.redeem(member, reward, at).redemption.id)
                outcomes.append("redeemed")
            elif roll < 0.92 and redemptions:
                chosen = rng.choice(redemptions)
                done = shop.fulfil(chosen, at) if rng.random() < 0.5 else shop.cancel(chosen, at)
                outcomes.append(f"{done.status.value}:{done.coupon_code}")
            elif roll < 0.97:
                outcomes.append(str(shop.adjust(member, rng.choice([-40, 25, 60]), at).balance))
            else:
                outcomes.append(str(len(shop.review(member, at))))
        except DomainError as error:
            outcomes.append(type(error).__name__)
    end = START + timedelta(hours=commands_count * 3)
    return {
        "outcomes": outcomes,
        "members": [_member_state(shop, m) for m in members],
        "stock": {r.id: shop.stock(r.id) for r in economy.rewards},
        "codes_left": shop.codes_left("service_coupon"),
        "leaderboard": shop.leaderboard("all_time", end),
        "hall_of_fame": shop.hall_of_fame(),
    }


def _member_state(shop: Shop, member_id: str) -> tuple[object, ...]:
    member = shop.member(member_id)
    found = services.redemptions_for(member_id, shop.store(), first=100)
    return (
        member.handle,
        shop.balances(member_id),
        member.level_id,
        member.level_state,
        member.koc_tier,
        member.progress,
        sorted(shop.honors(member_id)),
        sorted((r.reward_id, r.status.value, r.points, r.coupon_code) for r in found),
        len(shop.entries(member_id, first=100)),
    )


def test_a_command_stream_ends_the_same_in_memory_and_in_sql(
    sql_store: SqlStore, koc_economy: Economy
) -> None:
    in_memory = play(MemoryStore(), koc_economy, seed=7)

    in_sql = play(sql_store, koc_economy, seed=7)

    assert in_sql == in_memory
    assert len(set(in_memory["outcomes"])) > 5  # the stream exercised many paths
    assert violations(sql_store) == {}
