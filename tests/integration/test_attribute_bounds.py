"""Bug 8 of issue 7 (and item 9 of issue 15): attributes are whole numbers from 0 to a
documented bound (10^9, or lower where the economy says so); anything else is refused
naming the attribute, identically on every store."""

from __future__ import annotations

import pytest

from domain import services
from domain.commands import RecordActivity
from domain.economy import attribute_value_max, points_max
from domain.errors import InvalidInput
from tests.integration.conftest import StoreFactory
from tests.integration.shop import Shop
from tests.unit.builders import economy_from, local

ECONOMY = economy_from(
    """
[economy.attributes]
seconds = { max = 3600 }

[rules.article]
kind = "article"
per_unit = { attribute = "words", size = 1, points = 1 }

[rules.video]
kind = "video"
points = 30
when = ["seconds >= 15"]
""",
)
NOON = local(2026, 3, 2, 12)


@pytest.mark.parametrize("words", [10**18, 10**19, attribute_value_max + 1, -1])
def test_an_attribute_outside_its_bound_is_refused_naming_it(
    store: StoreFactory, words: int
) -> None:
    # given a rule paying one point per word
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")

    # when an article claims an impossible word count
    with pytest.raises(InvalidInput) as refused:
        shop.record(alice, "article", NOON, words=words)

    # then it is refused by name and pays nothing
    assert refused.value.field == "attributes.words"
    assert shop.available(alice) == 0


@pytest.mark.parametrize("value", [2.5, 2.0, float("inf"), True, "2"])
def test_an_attribute_that_is_not_a_whole_number_is_refused_naming_it(
    store: StoreFactory, value: object
) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    cmd = RecordActivity(alice, "article", NOON, "k1", None, {"words": value}, at=NOON)  # type: ignore[dict-item]

    with pytest.raises(InvalidInput) as refused:
        services.record_activity(cmd, shop.store(), ECONOMY)

    assert refused.value.field == "attributes.words"


def test_an_attribute_at_its_bound_pays_within_the_points_range(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")

    earned = shop.earn(alice, "article", NOON, words=attribute_value_max)

    assert earned == attribute_value_max <= points_max
    assert shop.available(alice) == attribute_value_max


def test_an_economy_may_bound_an_attribute_lower(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")

    with pytest.raises(InvalidInput) as refused:
        shop.record(alice, "video", NOON, seconds=3601)

    assert refused.value.field == "attributes.seconds"
    assert shop.earn(alice, "video", NOON, seconds=3600) == 30


def test_explain_refuses_an_attribute_outside_its_bound(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    cmd = RecordActivity(alice, "article", NOON, "explain", None, {"words": 10**19}, at=NOON)

    with pytest.raises(InvalidInput) as refused:
        services.explain_activity(cmd, shop.store(), ECONOMY)

    assert refused.value.field == "attributes.words"
