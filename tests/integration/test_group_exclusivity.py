"""Bug 5 of issue 7: once per subject holds for a rule's whole group, across activities
(the group's exclusivity picks one rule per activity; the subject is paid once); on every
store alike."""

from __future__ import annotations

from datetime import timedelta

from domain import services
from domain.commands import RecordActivity
from tests.integration.conftest import StoreFactory
from tests.integration.shop import Shop
from tests.unit.builders import economy_from, local

ECONOMY = economy_from(
    """
[rules.post_with_photos]
kind = "post"
points = 15
when = ["photos >= 1"]
once_per_subject = true

[rules.post]
kind = "post"
points = 5
once_per_subject = true

[rules.answer]
kind = "answer"
points = 20
once_per_subject = true

[rules.long_answer_bonus]
kind = "answer"
group = "bonus"
points = 3
when = ["words >= 100"]
once_per_subject = true
""",
)
NOON = local(2026, 3, 2, 12)


def test_a_subject_paid_by_one_rule_of_a_group_is_not_paid_again_by_another(
    store: StoreFactory,
) -> None:
    # given note n1 paid as a post with photos
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    assert shop.earn(alice, "post", NOON, "n1", photos=2) == 15

    # when n1 is reported again, without photos
    again = shop.record(alice, "post", NOON + timedelta(minutes=5), "n1")

    # then the plain post rule of the same group pays nothing for it
    assert again.points == 0
    assert again.record.lines[0].reason == "already rewarded for subject 'n1'"
    assert shop.available(alice) == 15


def test_the_richer_rule_of_a_group_does_not_pay_a_subject_the_plainer_one_paid(
    store: StoreFactory,
) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    shop.earn(alice, "post", NOON, "n1")

    earned = shop.earn(alice, "post", NOON + timedelta(minutes=5), "n1", photos=3)

    assert (earned, shop.available(alice)) == (0, 5)


def test_explain_agrees_that_a_group_pays_a_subject_once(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")
    shop.earn(alice, "post", NOON, "n1", photos=1)
    cmd = RecordActivity(alice, "post", NOON, "explain", "n1", at=NOON)

    explained = services.explain_activity(cmd, shop.store(), ECONOMY)

    assert explained.points == 0


def test_rules_of_different_groups_still_pay_the_same_subject_each(store: StoreFactory) -> None:
    shop = Shop(store, ECONOMY)
    alice = shop.join("alice")

    earned = shop.earn(alice, "answer", NOON, "q1", words=120)

    assert earned == 20 + 3
