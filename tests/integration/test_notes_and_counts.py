"""Notes, their metrics and the counts behind honors and KOC tiers, on every store
(memory, SQLite, PostgreSQL): metrics name a note the member published, a note goes viral
once, a demotion stands, and counts follow distinct subjects the rules accepted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from domain import services
from domain.commands import RecordActivity
from domain.economy import Economy
from domain.errors import DomainError, InvalidInput, UnknownNote
from domain.model import HonorGranted, KocTierChanged
from tests.integration.checks import assert_consistent
from tests.integration.conftest import StoreFactory
from tests.integration.shop import Shop
from tests.unit.builders import economy_from, local

DAY0 = local(2026, 5, 4, 10)

# Tiers without windows and a one-note review, so that counts and reviews are easy to see.
PLAIN_KOC = economy_from(
    """
[rules.post]
kind = "post"
points = 5
once_per_subject = true
limits = [{ period = "day", max_count = 2 }]

[koc]
note_kinds = ["post"]
review_recent_notes = 1
review_min_interactions = 100

[[koc.tiers]]
id = "junior"
min_notes = 1

[[koc.tiers]]
id = "steady"
min_notes = 3

[[koc.tiers]]
id = "senior"
viral_interactions = 1000

[honors.writer]
trigger = "activity_count"
kinds = ["post"]
tiers = [{ name = "bronze", at = 2 }, { name = "silver", at = 3 }]
"""
)

# A viral tier that only notes of the last 30 days can reach.
WINDOWED_VIRAL = economy_from(
    """
[rules.post]
kind = "post"
points = 5
once_per_subject = true

[koc]
note_kinds = ["post"]

[[koc.tiers]]
id = "junior"
min_notes = 1

[[koc.tiers]]
id = "rising"
viral_interactions = 1000
within_days = 30
"""
)


def day(n: int, minute: int = 0) -> datetime:
    return DAY0 + timedelta(days=n, minutes=minute)


@pytest.fixture
def koc(store: StoreFactory, koc_economy: Economy) -> Shop:
    return Shop(store, koc_economy)


def world(store: StoreFactory, economy: Economy) -> Shop:
    return Shop(store, economy)


def publish(shop: Shop, member: str, note: str, on: datetime) -> None:
    shop.record(member, "post", on, note, photos=1)


def measure(shop: Shop, member: str, note: str, interactions: int, on: datetime) -> list[str]:
    """The member's KOC tier changes the metrics caused, as target tiers."""
    result = shop.record(member, "note_metrics", on, note, interactions=interactions)
    return [str(e.to_tier) for e in result.events if isinstance(e, KocTierChanged)]


def batch(shop: Shop, cmds: Sequence[RecordActivity]) -> list[services.ActivityResult]:
    """Record in batches of 100 (the services' limit); every item must succeed."""
    results: list[services.ActivityResult] = []
    for start in range(0, len(cmds), 100):
        done = services.record_activities(cmds[start : start + 100], shop.store(), shop.economy)
        for outcome in done:
            assert not isinstance(outcome, DomainError), outcome
            results.append(outcome)
    return results


def honors(shop: Shop, member: str) -> list[tuple[str, str | None]]:
    return sorted((honor, tier) for honor, tier, active in shop.honors(member) if active)


# --- bug 3: metrics name a note the same member published -----------------------------------


def test_metrics_for_a_note_never_published_are_refused_and_pay_nothing(koc: Shop) -> None:
    alice = koc.join("alice")

    with pytest.raises(UnknownNote) as refused:
        koc.record(alice, "note_metrics", day(1), "ghost-1", interactions=5000)

    assert refused.value.note_id == "ghost-1"
    assert koc.balances(alice).lifetime_earned == 0
    assert koc.member(alice).koc_tier is None
    assert koc.entries(alice) == []
    assert_consistent(koc.store)


def test_metrics_for_another_members_note_are_refused_like_a_note_never_published(
    koc: Shop,
) -> None:
    alice, bob = koc.join("alice"), koc.join("bob")
    publish(koc, alice, "n1", day(0))

    with pytest.raises(UnknownNote) as others:
        koc.record(bob, "note_metrics", day(1), "n1", interactions=5000)
    with pytest.raises(UnknownNote) as nobodys:
        koc.record(bob, "note_metrics", day(1), "n2", interactions=5000)

    assert others.value.message == nobodys.value.message.replace("'n2'", "'n1'")
    assert koc.available(bob) == 0
    assert koc.member(bob).koc_tier is None


def test_metrics_name_the_note_they_measure(koc: Shop) -> None:
    alice = koc.join("alice")

    with pytest.raises(InvalidInput) as refused:
        koc.record(alice, "note_metrics", day(1), None, interactions=10)

    assert refused.value.field == "subjectId"


def test_explaining_metrics_for_a_note_never_published_is_refused(koc: Shop) -> None:
    alice = koc.join("alice")
    cmd = koc.activity(alice, "note_metrics", day(1), "ghost-1", interactions=5000)

    with pytest.raises(UnknownNote):
        services.explain_activity(cmd, koc.store(), koc.economy)


def test_metrics_for_a_published_note_in_the_same_batch_are_accepted(koc: Shop) -> None:
    alice = koc.join("alice")

    results = batch(
        koc,
        [
            koc.activity(alice, "post", day(0), "n1", photos=1),
            koc.activity(alice, "note_metrics", day(0, 5), "n1", interactions=1500),
        ],
    )

    assert [r.points for r in results] == [15, 200]
    assert koc.member(alice).koc_tier == "senior"


def test_twenty_ghost_notes_earn_nothing_and_make_no_senior(koc: Shop) -> None:
    alice = koc.join("alice")
    cmds = [
        koc.activity(alice, "note_metrics", day(n), f"ghost-{n}", interactions=5000)
        for n in range(20)
    ]

    outcomes = services.record_activities(cmds, koc.store(), koc.economy)

    assert all(isinstance(o, UnknownNote) for o in outcomes)
    assert koc.member(alice).level_id == "newcomer"
    assert koc.member(alice).koc_tier is None
    assert honors(koc, alice) == []


# --- bug 4: counts are distinct subjects the rules accepted ---------------------------------


def test_reposting_one_subject_two_hundred_times_counts_once_for_the_creator_honor(
    koc: Shop,
) -> None:
    alice = koc.join("alice")
    cmds = [koc.activity(alice, "post", day(0, n), "n1", photos=1) for n in range(200)]

    batch(koc, cmds)

    assert honors(koc, alice) == [("first_post", "first")]
    assert koc.available(alice) == 15


def test_a_subject_the_rules_refused_does_not_count_toward_an_honor(store: StoreFactory) -> None:
    shop = world(store, PLAIN_KOC)
    alice = shop.join("alice")
    for note in ["a", "b", "c"]:  # the third post of the day is over the limit of 2
        publish(shop, alice, note, day(0))

    assert honors(shop, alice) == [("writer", "bronze")]


def test_a_subject_refused_one_day_counts_when_accepted_later(store: StoreFactory) -> None:
    shop = world(store, PLAIN_KOC)
    alice = shop.join("alice")
    for note in ["a", "b", "c"]:
        publish(shop, alice, note, day(0))

    publish(shop, alice, "c", day(1))

    assert honors(shop, alice) == [("writer", "bronze"), ("writer", "silver")]
    assert shop.member(alice).koc_tier == "steady"


def test_reposting_one_note_does_not_reach_a_count_tier(store: StoreFactory) -> None:
    shop = world(store, PLAIN_KOC)
    alice = shop.join("alice")

    for n in range(3):
        publish(shop, alice, "n1", day(n))

    publish(shop, alice, "n2", day(3))

    assert shop.member(alice).koc_tier == "junior"
    assert honors(shop, alice) == [("writer", "bronze")]


# --- bug 6: interactions only grow; a re-report does not undo a demotion ---------------------


def make_senior_then_demote(shop: Shop, member: str) -> None:
    publish(shop, member, "viral", day(0))
    assert measure(shop, member, "viral", 5000, day(1)) == ["senior"]
    for n, note in enumerate(["a", "b", "c"]):
        publish(shop, member, note, day(10 + n))
    for note in ["a", "b", "c"]:
        measure(shop, member, note, 10, day(20))
    assert shop.member(member).koc_tier == "intermediate"


def test_reporting_an_old_viral_note_again_does_not_undo_a_demotion(koc: Shop) -> None:
    alice = koc.join("alice")
    make_senior_then_demote(koc, alice)

    again = measure(koc, alice, "viral", 5000, day(21))
    higher = measure(koc, alice, "viral", 8000, day(22))

    assert (again, higher) == ([], [])
    assert koc.member(alice).koc_tier == "intermediate"


def test_a_note_reported_lower_keeps_its_best_count_for_the_review(koc: Shop) -> None:
    alice = koc.join("alice")
    publish(koc, alice, "viral", day(0))
    measure(koc, alice, "viral", 5000, day(1))
    for n, note in enumerate(["a", "b"]):
        publish(koc, alice, note, day(10 + n))
    for note in ("a", "b"):
        measure(koc, alice, note, 10, day(20))

    assert measure(koc, alice, "viral", 50, day(21)) == []
    assert koc.member(alice).koc_tier == "senior"


def test_a_viral_tier_with_a_window_is_reached_only_by_a_note_published_inside_it(
    store: StoreFactory,
) -> None:
    shop = world(store, WINDOWED_VIRAL)
    alice, bob = shop.join("alice"), shop.join("bob")
    publish(shop, alice, "old", day(0))
    publish(shop, bob, "new", day(20))

    late = measure(shop, alice, "old", 1500, day(40))
    timely = measure(shop, bob, "new", 1500, day(40))

    assert (late, timely) == ([], ["rising"])


# --- bug 7: a note is viral once, ever ------------------------------------------------------


def test_the_viral_honor_counts_a_note_once_even_after_hundreds_of_notes_were_measured(
    koc: Shop,
) -> None:
    alice = koc.join("alice")
    viral = [f"v{n}" for n in range(4)]
    plain = [f"p{n}" for n in range(210)]
    publishing = [koc.activity(alice, "post", day(0, n), note, photos=1)
                  for n, note in enumerate(viral + plain)]  # fmt: skip
    measuring = [koc.activity(alice, "note_metrics", day(1, n), note, interactions=1500)
                 for n, note in enumerate(viral)]  # fmt: skip
    measuring += [koc.activity(alice, "note_metrics", day(2, n), note, interactions=5)
                  for n, note in enumerate(plain)]  # fmt: skip
    batch(koc, publishing + measuring)
    assert ("viral_note", "bronze") in honors(koc, alice)

    result = koc.record(alice, "note_metrics", day(3), "v0", interactions=9000)

    assert [e for e in result.events if isinstance(e, HonorGranted)] == []
    assert ("viral_note", "silver") not in honors(koc, alice)


# --- bug 11: a demoted senior falls back to a tier met now ----------------------------------


def test_a_demoted_senior_falls_back_only_to_a_tier_whose_window_they_meet(koc: Shop) -> None:
    alice = koc.join("alice")
    for n, note in enumerate(["a", "b", "c"]):
        publish(koc, alice, note, day(n))
    publish(koc, alice, "viral", day(3))
    measure(koc, alice, "viral", 5000, day(4))
    for n, note in enumerate(["x", "y", "z"]):  # 40 days apart: never 3 within 30 days
        publish(koc, alice, note, day(100 + 40 * n))

    for note in ["x", "y", "z"]:
        changes = measure(koc, alice, note, 10, day(181))

    assert changes == ["junior"]


def test_a_demoted_senior_does_not_fall_back_on_reposts(store: StoreFactory) -> None:
    shop = world(store, PLAIN_KOC)
    alice = shop.join("alice")
    publish(shop, alice, "viral", day(0))
    measure(shop, alice, "viral", 5000, day(1))
    for n in range(3):
        publish(shop, alice, "viral", day(2 + n))
    publish(shop, alice, "poor", day(10))

    changes = measure(shop, alice, "poor", 5, day(11))

    assert changes == ["junior"]
