"""KOC tiers per seed 001, on the shipped economy: junior after a first note,
intermediate after 3 notes within 30 days, senior once a note reaches 1,000
interactions, and a senior whose last 3 measured notes all stay under 100 interactions
leaves the senior group."""

from datetime import datetime, timedelta

import pytest

from domain.model import KocTierChanged
from tests.unit.builders import World, local

DAY0 = local(2026, 5, 4, 10)


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


@pytest.fixture
def alice(koc_world: World) -> str:
    return koc_world.join("alice")


def publish(world: World, member: str, note: str, on: int) -> list[KocTierChanged]:
    result = world.record(member, "post", day(on), note, photos=1)
    return [e for e in result.events if isinstance(e, KocTierChanged)]


def measure(
    world: World, member: str, note: str, interactions: int, on: int
) -> list[KocTierChanged]:
    result = world.record(member, "note_metrics", day(on), note, interactions=interactions)
    return [e for e in result.events if isinstance(e, KocTierChanged)]


def tier(world: World, member: str) -> str | None:
    return world.member(member).koc_tier


def test_a_member_without_notes_has_no_koc_tier(koc_world: World, alice: str) -> None:
    koc_world.earn(alice, "check_in", DAY0)

    assert tier(koc_world, alice) is None


def test_a_first_note_makes_a_junior_koc(koc_world: World, alice: str) -> None:
    changes = publish(koc_world, alice, "n1", 0)

    assert changes == [KocTierChanged(alice, None, "junior", day(0))]


def test_three_notes_within_thirty_days_make_an_intermediate_koc(
    koc_world: World, alice: str
) -> None:
    publish(koc_world, alice, "n1", 0)
    publish(koc_world, alice, "n2", 10)

    changes = publish(koc_world, alice, "n3", 29)

    assert changes == [KocTierChanged(alice, "junior", "intermediate", day(29))]


def test_three_notes_spread_over_more_than_thirty_days_stay_junior(
    koc_world: World, alice: str
) -> None:
    publish(koc_world, alice, "n1", 0)
    publish(koc_world, alice, "n2", 20)

    changes = publish(koc_world, alice, "n3", 40)

    assert changes == []
    assert tier(koc_world, alice) == "junior"


def test_the_same_note_published_twice_counts_once(koc_world: World, alice: str) -> None:
    publish(koc_world, alice, "n1", 0)
    publish(koc_world, alice, "n1", 1)

    publish(koc_world, alice, "n2", 2)

    assert tier(koc_world, alice) == "junior"


def test_a_note_reaching_a_thousand_interactions_makes_a_senior_koc(
    koc_world: World, alice: str
) -> None:
    publish(koc_world, alice, "n1", 0)

    changes = measure(koc_world, alice, "n1", 1000, 3)

    assert changes == [KocTierChanged(alice, "junior", "senior", day(3))]


def test_a_note_just_under_a_thousand_interactions_is_not_viral(
    koc_world: World, alice: str
) -> None:
    publish(koc_world, alice, "n1", 0)

    assert measure(koc_world, alice, "n1", 999, 3) == []
    assert tier(koc_world, alice) == "junior"


def make_senior(world: World, member: str) -> None:
    publish(world, member, "viral", 0)
    measure(world, member, "viral", 5000, 1)
    assert tier(world, member) == "senior"


def test_a_senior_whose_last_three_notes_all_perform_poorly_is_demoted(
    koc_world: World, alice: str
) -> None:
    make_senior(koc_world, alice)
    for n, note in enumerate(["a", "b", "c"]):
        publish(koc_world, alice, note, 10 + n)
    measure(koc_world, alice, "a", 40, 20)
    measure(koc_world, alice, "b", 99, 20)

    changes = measure(koc_world, alice, "c", 12, 20)

    assert changes == [KocTierChanged(alice, "senior", "intermediate", day(20))]


def test_a_senior_with_one_recent_note_doing_well_stays_senior(
    koc_world: World, alice: str
) -> None:
    make_senior(koc_world, alice)
    for n, note in enumerate(["a", "b", "c"]):
        publish(koc_world, alice, note, 10 + n)
    measure(koc_world, alice, "a", 40, 20)
    measure(koc_world, alice, "b", 100, 20)

    assert measure(koc_world, alice, "c", 12, 20) == []
    assert tier(koc_world, alice) == "senior"


def test_a_senior_is_not_reviewed_before_three_notes_are_measured(
    koc_world: World, alice: str
) -> None:
    make_senior(koc_world, alice)
    publish(koc_world, alice, "a", 10)
    publish(koc_world, alice, "b", 11)

    assert measure(koc_world, alice, "a", 1, 20) == []
    assert tier(koc_world, alice) == "senior"


def test_a_viral_note_measured_again_lower_keeps_its_best_count(
    koc_world: World, alice: str
) -> None:
    make_senior(koc_world, alice)
    publish(koc_world, alice, "a", 10)
    publish(koc_world, alice, "b", 11)
    measure(koc_world, alice, "a", 5, 20)
    measure(koc_world, alice, "b", 5, 20)

    changes = measure(koc_world, alice, "viral", 50, 21)

    assert changes == []
    assert tier(koc_world, alice) == "senior"


def test_a_viral_note_pays_its_bonus_once(koc_world: World, alice: str) -> None:
    publish(koc_world, alice, "n1", 0)

    first = koc_world.earn(alice, "note_metrics", day(1), "n1", interactions=1200)
    again = koc_world.earn(alice, "note_metrics", day(2), "n1", interactions=3000)

    assert (first, again) == (200, 0)
