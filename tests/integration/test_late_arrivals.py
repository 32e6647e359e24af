"""Bug 2 of issue 7: an activity is judged against its own local day, week and month for
`late_arrival_days` (default 3) before the request's day; an older one is refused with
`ActivityTooLate` and marks nothing; on every store alike."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from domain import services
from domain.commands import RecordActivity
from domain.errors import ActivityTooLate
from persistence.sql import SqlStore
from persistence.sql import tables as t
from tests.integration.conftest import StoreFactory
from tests.integration.shop import Shop
from tests.unit.builders import economy_from, local

ECONOMY = economy_from(
    """
[rules.daily_check_in]
kind = "check_in"
points = 2
limits = [{ period = "day", max_count = 1 }]
streak = { bonus_per_day = 1, max_bonus = 5 }

[rules.post_with_photos]
kind = "post"
points = 15
when = ["photos >= 1"]
limits = [{ period = "day", max_count = 3 }]
once_per_subject = true

[rules.video]
kind = "video"
points = 30
limits = [{ period = "week", max_count = 1 }]
""",
    daily_cap=300,
)
MONDAY = local(2026, 3, 2, 12)  # Asia/Shanghai
BEFORE_MIDNIGHT = local(2026, 3, 2, 23, 58)
AFTER_MIDNIGHT = local(2026, 3, 3, 0, 2)


def test_a_post_arriving_after_the_next_days_check_in_earns_what_it_would_in_order(
    store: StoreFactory,
) -> None:
    # given a check-in stamped 00:02 that arrived first
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    shop.earn(alice, "check_in", AFTER_MIDNIGHT, received=AFTER_MIDNIGHT)

    # when the post stamped 23:58 the evening before arrives at 00:03
    late = shop.record(
        alice, "post", BEFORE_MIDNIGHT, "n1", received=AFTER_MIDNIGHT + timedelta(minutes=1),
        photos=1,
    )  # fmt: skip

    # then it earns its 15 points, judged against its own day
    assert late.points == 15
    assert shop.available(alice) == 2 + 15


def test_a_late_activity_counts_against_its_own_days_limit(store: StoreFactory) -> None:
    # given Monday's three posts, then a post on Tuesday
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    for n in range(3):
        shop.earn(alice, "post", MONDAY, f"m{n}", photos=1)
    shop.earn(alice, "post", MONDAY + timedelta(days=1), "t0", photos=1)

    # when a fourth Monday post arrives late, and another Tuesday post arrives
    late = shop.earn(alice, "post", MONDAY, "m3", received=MONDAY + timedelta(days=1), photos=1)
    tuesday = shop.earn(alice, "post", MONDAY + timedelta(days=1), "t1", photos=1)

    # then Monday's limit holds, and Tuesday's is its own
    assert (late, tuesday) == (0, 15)


def test_a_late_activity_counts_against_its_own_week(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    sunday = MONDAY + timedelta(days=6)
    shop.earn(alice, "video", sunday + timedelta(days=1))  # next week's video

    first_late = shop.earn(alice, "video", sunday, received=sunday + timedelta(days=1))
    second_late = shop.earn(alice, "video", sunday, received=sunday + timedelta(days=1))

    assert (first_late, second_late) == (30, 0)


def test_a_subject_whose_late_activity_was_counted_is_not_paid_again(
    store: StoreFactory,
) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    shop.earn(alice, "check_in", AFTER_MIDNIGHT)
    shop.earn(alice, "post", BEFORE_MIDNIGHT, "n1", received=AFTER_MIDNIGHT, photos=1)

    resent = shop.earn(alice, "post", AFTER_MIDNIGHT, "n1", photos=1)

    assert resent == 0


def _too_late(shop: Shop, alice: str, received: datetime) -> ActivityTooLate:
    with pytest.raises(ActivityTooLate) as refused:
        shop.record(alice, "post", MONDAY, "n1", key="late-1", received=received, photos=1)
    return refused.value


def test_an_activity_older_than_the_look_back_is_refused_and_marks_nothing(
    store: StoreFactory,
) -> None:
    # given a member whose post of Monday arrives on Friday (4 days late; 3 allowed)
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    friday = MONDAY + timedelta(days=4)

    # when it is recorded
    refused = _too_late(shop, alice, friday)

    # then it is refused, naming the earliest day still accepted
    assert (refused.day.isoformat(), refused.earliest.isoformat()) == ("2026-03-02", "2026-03-03")
    assert refused.late_arrival_days == 3
    # and it marked nothing: no points, no counters, no subject, no idempotency record
    assert shop.available(alice) == 0
    same_key_in_time = shop.record(alice, "post", friday, "n1", key="late-1", photos=1)
    assert (same_key_in_time.replayed, same_key_in_time.points) == (False, 15)


def test_an_activity_exactly_at_the_look_back_is_accepted(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")

    earned = shop.earn(
        alice, "post", local(2026, 3, 2, 0, 0), "n1", received=local(2026, 3, 5, 23, 59), photos=1
    )

    assert earned == 15


def test_explaining_an_activity_older_than_the_look_back_is_refused(
    store: StoreFactory,
) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    cmd = RecordActivity(alice, "post", MONDAY, "explain", "n1", {"photos": 1},
                         at=MONDAY + timedelta(days=4))  # fmt: skip

    with pytest.raises(ActivityTooLate):
        services.explain_activity(cmd, shop.store(), ECONOMY)


def test_a_late_check_in_before_the_streaks_last_day_neither_breaks_nor_extends_it(
    store: StoreFactory,
) -> None:
    # given check-ins on Monday and Wednesday (a streak of 1 since Wednesday)
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    shop.earn(alice, "check_in", MONDAY)
    shop.earn(alice, "check_in", MONDAY + timedelta(days=2))

    # when Tuesday's check-in arrives late, and Thursday's on time
    tuesday = shop.record(alice, "check_in", MONDAY + timedelta(days=1),
                          received=MONDAY + timedelta(days=2))  # fmt: skip
    thursday = shop.record(alice, "check_in", MONDAY + timedelta(days=3))

    # then Tuesday earns its base points without a bonus, and the streak runs on once
    assert (tuesday.points, tuesday.record.lines[0].streak_bonus) == (2, 0)
    assert thursday.record.lines[0].streak_length == 2


def test_a_member_row_written_before_late_arrivals_were_counted_loads_and_earns(
    sql_store: SqlStore,
) -> None:
    # given a member whose stored progress has the old shape (no earlier buckets)
    shop = Shop(sql_store, ECONOMY)
    alice = shop.join("alice")
    shop.earn(alice, "post", MONDAY, "n1", photos=1)
    with sql_store.engine.begin() as connection:
        row = connection.execute(sa.select(t.members.c.progress)).scalar_one()
        old = {k: v for k, v in row.items() if not k.startswith("earlier_")}
        connection.execute(sa.update(t.members).values(progress=old))

    # when it is loaded and a late activity arrives
    loaded = shop.member(alice).progress
    late = shop.earn(alice, "post", MONDAY, "n2", received=MONDAY + timedelta(days=1), photos=1)

    # then it reads as having no earlier buckets and counts as before
    assert (loaded.earlier_counters, loaded.earlier_daily_totals) == ({}, ())
    assert loaded.counters == {"post_with_photos|day": (MONDAY.toordinal(), 1, 15)}
    assert late == 15
