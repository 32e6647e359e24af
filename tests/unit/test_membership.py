"""Paid tiers in the economy file (refused with file, line, table and field when they
cannot work) and the pure rules of a membership: the period, renewal from the end,
restart after it, the tier's privileges only while active."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from domain.economy import parse_economy
from domain.errors import EconomyInvalid, InvalidInput
from domain.guide import build_guide
from domain.membership import (
    RecordMembershipPurchase,
    active_paid_tier,
    due_to_expire,
    multiplied,
    purchased,
    reward_open_to,
)
from honorloop.guide_render import render_markdown, render_text
from tests.unit.builders import local

BASE = """[economy]
id = "m"
timezone = "Asia/Shanghai"

[rules.post]
kind = "post"
points = 10

[rules.like]
kind = "like"
points = 1

[reward_tiers.perks]

[rewards.mug]
tier = "perks"
price = 100

[rewards.lounge]
tier = "perks"
price = 100

[[levels]]
id = "newcomer"
threshold = 0
"""
TIER = """
[[paid_tiers]]
id = "fan_club"
title = "Fan club"
multiplier_percent = 150
rules = ["post"]
rewards = ["lounge"]
"""
ECONOMY = parse_economy(BASE + TIER, "m.toml")
AT = local(2026, 3, 1, 10)


def issues(body: str) -> list[tuple[str, str, int | None]]:
    with pytest.raises(EconomyInvalid) as raised:
        parse_economy(BASE + body, "m.toml")
    assert all(i.source == "m.toml" for i in raised.value.issues)
    return [(i.table, i.field, i.line) for i in raised.value.issues]


def line_of(body: str, text: str) -> int:
    return (BASE + body).splitlines().index(text) + 1


def test_a_paid_tier_is_read_with_its_privileges() -> None:
    tier = ECONOMY.paid_tier("fan_club")
    assert tier is not None
    assert (tier.title, tier.multiplier_percent, tier.rules, tier.rewards) == (
        "Fan club",
        150,
        ("post",),
        ("lounge",),
    )
    assert tier.period_days_max == 366
    assert ECONOMY.paid_tier("gold") is None
    assert parse_economy(BASE, "m.toml").paid_tiers == ()


def test_only_the_kinds_of_multiplied_rules_read_the_paid_tier() -> None:
    even = TIER.replace("multiplier_percent = 150", "multiplier_percent = 100")

    assert ECONOMY.multiplied_kinds == frozenset({"post"})
    assert parse_economy(BASE + even, "m.toml").multiplied_kinds == frozenset()
    assert parse_economy(BASE, "m.toml").multiplied_kinds == frozenset()


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('rules = ["share"]', "rules"),
        ('rewards = ["yacht"]', "rewards"),
        ("multiplier_percent = 50", "multiplier_percent"),
        ("multiplier_percent = 1001", "multiplier_percent"),
        ("period_days_max = 0", "period_days_max"),
        ('colour = "gold"', "colour"),
        ('id = "Fan Club"', "id"),
    ],
)
def test_a_paid_tier_that_cannot_work_is_refused_where_it_is(line: str, field: str) -> None:
    key = line.split(" = ", maxsplit=1)[0]
    body = "\n".join(x for x in TIER.splitlines() if not x.startswith(f"{key} = ")) + f"\n{line}\n"
    found = issues(body)
    assert ("paid_tiers[0]", field, line_of(body, line)) in found


def test_a_multiplier_without_rules_and_a_tier_declared_twice_are_refused() -> None:
    body = '[[paid_tiers]]\nid = "vip"\nmultiplier_percent = 200\n'
    assert [(t, f) for t, f, _ in issues(body)] == [("paid_tiers[0]", "rules")]
    twice = TIER + TIER
    assert ("paid_tiers[1]", "id") in [(t, f) for t, f, _ in issues(twice)]


def buy(days: int, at: datetime = AT, tier: str = "fan_club") -> RecordMembershipPurchase:
    return RecordMembershipPurchase("m1", tier, days, 100, "k", at)


def test_renewal_extends_from_the_end_and_a_lapse_restarts() -> None:
    first = purchased(None, buy(30)).membership
    assert (first.since, first.until, first.expired) == (AT, AT + timedelta(30), False)
    renewed = purchased(first, buy(30, AT + timedelta(days=29)))
    assert renewed.renewed
    assert renewed.membership.until == AT + timedelta(60)
    lapsed = purchased(first, buy(7, AT + timedelta(days=30)))  # at the end: not active
    assert not lapsed.renewed
    assert lapsed.membership.since == AT + timedelta(30)
    assert lapsed.membership.until == AT + timedelta(37)
    with pytest.raises(InvalidInput):
        purchased(first, buy(7, AT - timedelta(days=1)))


def test_expiry_is_due_once_at_the_end() -> None:
    first = purchased(None, buy(30)).membership
    assert not due_to_expire(first, AT + timedelta(days=30) - timedelta(microseconds=1))
    assert due_to_expire(first, AT + timedelta(days=30))
    assert not due_to_expire(replace(first, expired=True), AT + timedelta(days=31))


def test_privileges_apply_only_while_the_tier_is_active() -> None:
    membership = purchased(None, buy(30)).membership
    during, after = AT + timedelta(days=1), AT + timedelta(days=30)
    assert active_paid_tier(membership, during) == "fan_club"
    assert active_paid_tier(membership, after) is None
    assert active_paid_tier(None, during) is None
    held = active_paid_tier(membership, during)
    assert multiplied(ECONOMY, held, "post", 10) == 15
    assert multiplied(ECONOMY, held, "post", 3) == 4  # floor of 4.5: the ledger is whole
    assert multiplied(ECONOMY, held, "like", 10) == 10  # not a declared rule
    assert multiplied(ECONOMY, active_paid_tier(membership, after), "post", 10) == 10
    assert reward_open_to(ECONOMY, held, "lounge")
    assert not reward_open_to(ECONOMY, None, "lounge")
    assert reward_open_to(ECONOMY, None, "mug")  # no tier reserves it


def test_the_guide_says_what_a_paid_tier_gives_while_active() -> None:
    guide = build_guide(ECONOMY)
    assert guide.paid_tiers == (
        "Fan club: bought for up to 366 days at a time; gives 150 % of the points of Post "
        "and access to lounge while it is active. Renewing before it ends extends it from "
        "its end.",
    )
    assert "PAID MEMBERSHIP" in render_text(guide)
    assert "## Paid membership" in render_markdown(guide)
    assert build_guide(parse_economy(BASE, "m.toml")).paid_tiers == ()
