"""Bug 1 of issue 7 (and item 1 of issue 15): an activity is dated at most the economy's
`clock_skew_seconds` after the request's time, and inside the supported years; on every
store alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain import services
from domain.commands import RecordActivity
from domain.errors import InvalidInput
from tests.integration.conftest import StoreFactory
from tests.integration.shop import Shop
from tests.unit.builders import economy_from, local

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 10
limits = [{ period = "day", max_count = 5 }]
""",
    daily_cap=30,
)
RECEIVED = local(2026, 3, 2, 9)


def test_an_activity_dated_beyond_the_clock_skew_is_refused_naming_occurred_at(
    store: StoreFactory,
) -> None:
    # given a member and a request received at 09:00
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")

    # when an activity claims to happen 301 s later
    with pytest.raises(InvalidInput) as refused:
        shop.record(alice, "post", RECEIVED + timedelta(seconds=301), received=RECEIVED)

    # then it is refused and nothing is counted
    assert refused.value.field == "occurredAt"
    assert shop.available(alice) == 0
    assert shop.earn(alice, "post", RECEIVED, received=RECEIVED) == 10


def test_an_activity_dated_within_the_clock_skew_is_accepted(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")

    earned = shop.earn(alice, "post", RECEIVED + timedelta(seconds=300), received=RECEIVED)

    assert earned == 10


def test_a_refused_future_activity_does_not_clip_later_activities(store: StoreFactory) -> None:
    # given an activity dated in 2099 that the services refused
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    with pytest.raises(InvalidInput):
        shop.record(alice, "post", local(2099, 1, 1), received=RECEIVED)

    # when today's activities arrive
    earned = [shop.earn(alice, "post", RECEIVED, received=RECEIVED) for _ in range(3)]

    # then they earn as if it had never been sent
    assert earned == [10, 10, 10]


def test_explaining_a_future_dated_activity_is_refused_naming_occurred_at(
    store: StoreFactory,
) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    cmd = RecordActivity(alice, "post", RECEIVED + timedelta(hours=1), "explain", at=RECEIVED)

    with pytest.raises(InvalidInput) as refused:
        services.explain_activity(cmd, shop.store(), ECONOMY)

    assert refused.value.field == "occurredAt"


@pytest.mark.parametrize(
    "occurred_at",
    [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(9000, 1, 1, tzinfo=UTC),
    ],
)
def test_a_date_outside_the_supported_years_is_refused_naming_occurred_at(
    store: StoreFactory, occurred_at: datetime
) -> None:
    # given a member (the request's own time is ordinary)
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    explain = RecordActivity(alice, "post", occurred_at, "explain", at=RECEIVED)

    # when the activity is recorded or explained, then both refuse the date by name
    with pytest.raises(InvalidInput) as recorded:
        shop.record(alice, "post", occurred_at, received=occurred_at)
    with pytest.raises(InvalidInput) as explained:
        services.explain_activity(explain, shop.store(), ECONOMY)
    assert recorded.value.field == explained.value.field == "occurredAt"
