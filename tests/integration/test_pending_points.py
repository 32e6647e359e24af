"""Issue 7 section 3: a rule's `pending_days` holds its points in the member's pending
bucket until the daily review confirms them when due, exactly once; pending points count
toward levels and lifetime only once confirmed; on every store alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import EconomyInvalid
from domain.ledger import TransferKind
from tests.integration.conftest import StoreFactory
from tests.integration.shop import Shop
from tests.unit.builders import economy_from, local

LEVELS = """
[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "regular"
threshold = 100
"""
ECONOMY = economy_from(
    """
[rules.purchase]
kind = "purchase"
points = 120
pending_days = 14

[rules.daily_check_in]
kind = "check_in"
points = 2
limits = [{ period = "day", max_count = 1 }]
""",
    levels=LEVELS,
)
BOUGHT = local(2026, 3, 2, 12)


def test_pending_points_wait_then_are_confirmed_at_their_due_date(store: StoreFactory) -> None:
    # given a purchase paid by a rule with a 14-day return window
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    bought = shop.record(alice, "purchase", BOUGHT)

    # then its points wait in the pending bucket and count toward nothing yet
    waiting = shop.balances(alice)
    assert (waiting.available, waiting.pending, waiting.lifetime_earned) == (0, 120, 0)
    assert shop.member(alice).level_id == "newcomer"

    # when the review runs the day before the due date, then on it, then again
    early = shop.review(alice, BOUGHT + timedelta(days=13))
    assert shop.balances(alice).pending == 120
    due = shop.review(alice, BOUGHT + timedelta(days=14))
    again = shop.review(alice, BOUGHT + timedelta(days=15))

    # then the points were confirmed once, and only then counted toward the level
    confirmed = shop.balances(alice)
    assert (confirmed.available, confirmed.pending, confirmed.lifetime_earned) == (120, 0, 120)
    assert early == []
    assert [type(e).__name__ for e in due] == ["LevelChanged"]
    assert again == []
    assert shop.member(alice).level_id == "regular"
    kinds = [e.kind for e in reversed(shop.entries(alice))]
    assert kinds == [TransferKind.EARN, TransferKind.CONFIRM, TransferKind.CONFIRM]
    assert bought.points == 120


def test_points_of_rules_without_pending_days_are_available_at_once(
    store: StoreFactory,
) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")

    shop.earn(alice, "check_in", BOUGHT)

    held = shop.balances(alice)
    assert (held.available, held.pending, held.lifetime_earned) == (2, 0, 2)


def test_pending_days_must_be_a_whole_number_of_days_within_a_year() -> None:
    with pytest.raises(EconomyInvalid) as raised:
        economy_from('[rules.purchase]\nkind = "purchase"\npoints = 5\npending_days = 400\n')

    [issue] = raised.value.issues
    assert (issue.table, issue.field) == ("rules.purchase", "pending_days")
    assert issue.line is not None
