"""Earning rules: matching by kind and conditions, exclusive groups, fixed and per-unit
points, cooldowns, once per subject, input errors and batches."""

from datetime import datetime, timedelta

import pytest

from domain import services
from domain.commands import RecordActivity, batch_size_max
from domain.economy import Economy
from domain.errors import InvalidInput, NotFound
from tests.unit.builders import World, economy_from, local

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

[rules.long_post_bonus]
kind = "post"
points = 3
when = ["words >= 300"]
group = "long_post"

[rules.like]
kind = "like"
points = 1
cooldown_seconds = 60

[rules.article]
kind = "article"
points = 50
when = ["words >= 800"]
per_unit = { attribute = "words", size = 500, points = 10, max_units = 3 }

[rules.viral]
kind = "note_metrics"
points = 200
when = ["interactions >= 1000"]
once_per_subject = true
"""
)
NOON = local(2026, 3, 2, 12)


@pytest.fixture
def world() -> World:
    return World(ECONOMY)


@pytest.fixture
def alice(world: World) -> str:
    return world.join("alice")


def rules_awarded(result: services.ActivityResult) -> list[tuple[str, int]]:
    return [(line.rule_id, line.points) for line in result.record.lines]


# --- matching --------------------------------------------------------------------------


def test_a_post_with_photos_earns_the_photo_rule_and_not_the_plain_post_rule(
    world: World, alice: str
) -> None:
    result = world.record(alice, "post", NOON, "n1", photos=2)

    assert rules_awarded(result) == [("post_with_photos", 15)]
    assert world.available(alice) == 15


def test_a_post_without_photos_falls_through_to_the_plain_post_rule(
    world: World, alice: str
) -> None:
    result = world.record(alice, "post", NOON, "n1", photos=0)

    assert rules_awarded(result) == [("post", 5)]


def test_a_missing_attribute_never_satisfies_a_condition(world: World, alice: str) -> None:
    result = world.record(alice, "post", NOON, "n1")

    assert rules_awarded(result) == [("post", 5)]


def test_a_rule_in_another_group_of_the_same_kind_awards_as_well(world: World, alice: str) -> None:
    result = world.record(alice, "post", NOON, "n1", photos=1, words=300)

    assert rules_awarded(result) == [("post_with_photos", 15), ("long_post_bonus", 3)]
    assert result.points == 18


def test_an_interaction_threshold_is_inclusive(world: World, alice: str) -> None:
    below = world.earn(alice, "note_metrics", NOON, "note-a", interactions=999)
    at = world.earn(alice, "note_metrics", NOON, "note-b", interactions=1000)

    assert (below, at) == (0, 200)


def test_an_activity_no_rule_matches_is_recorded_and_earns_nothing(
    world: World, alice: str
) -> None:
    result = world.record(alice, "note_metrics", NOON, "note-a", interactions=10)

    assert result.points == 0
    assert result.record.lines == ()
    assert result.record.transfer_id is None
    assert world.entry_count() == 0
    assert world.store.state.activities[result.record.id] == result.record


def test_the_shipped_economy_pays_a_viral_note_200_points(
    koc_world: World,
) -> None:
    alice = koc_world.join("alice")
    koc_world.earn(alice, "post", NOON, "note-1", photos=1)

    earned = koc_world.earn(alice, "note_metrics", NOON, "note-1", interactions=1500)

    assert earned == 200


# --- per-unit points -------------------------------------------------------------------


def test_per_unit_points_count_whole_units_of_the_attribute(world: World, alice: str) -> None:
    earned = world.earn(alice, "article", NOON, words=1499)

    assert earned == 50 + 2 * 10


def test_per_unit_points_stop_at_max_units(world: World, alice: str) -> None:
    earned = world.earn(alice, "article", NOON, words=100_000)

    assert earned == 50 + 3 * 10


# --- cooldowns -------------------------------------------------------------------------


def test_an_activity_inside_the_cooldown_earns_nothing(world: World, alice: str) -> None:
    world.earn(alice, "like", NOON)

    result = world.record(alice, "like", NOON + timedelta(seconds=59))

    assert result.points == 0
    assert "cooldown" in result.record.lines[0].reason


def test_an_activity_once_the_cooldown_has_passed_earns_again(world: World, alice: str) -> None:
    world.earn(alice, "like", NOON)

    assert world.earn(alice, "like", NOON + timedelta(seconds=60)) == 1


def test_cooldowns_are_kept_per_member(world: World, alice: str) -> None:
    bob = world.join("bob")
    world.earn(alice, "like", NOON)

    assert world.earn(bob, "like", NOON + timedelta(seconds=1)) == 1


# --- once per subject ------------------------------------------------------------------


def test_the_same_subject_is_rewarded_only_once(world: World, alice: str) -> None:
    first = world.earn(alice, "post", NOON, "note-1", photos=1)
    again = world.record(alice, "post", NOON + timedelta(days=3), "note-1", photos=1)

    assert (first, again.points) == (15, 0)
    assert "already rewarded" in again.record.lines[0].reason


def test_different_subjects_are_each_rewarded(world: World, alice: str) -> None:
    assert world.earn(alice, "post", NOON, "note-1") == 5
    assert world.earn(alice, "post", NOON, "note-2") == 5


def test_a_subject_rewarded_for_one_member_still_pays_another(world: World, alice: str) -> None:
    bob = world.join("bob")
    world.earn(alice, "post", NOON, "note-1")

    assert world.earn(bob, "post", NOON, "note-1") == 5


def test_a_rule_paid_once_per_subject_requires_a_subject_id(world: World, alice: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.record(alice, "post", NOON, subject=None, photos=1)

    assert raised.value.field == "subjectId"
    assert "post_with_photos" in raised.value.reason


# --- input errors ----------------------------------------------------------------------


def test_an_unknown_kind_is_rejected_naming_the_field_and_the_known_kinds(
    world: World, alice: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.record(alice, "dance", NOON)

    assert raised.value.field == "kind"
    assert "'dance'" in raised.value.reason
    assert "article" in raised.value.reason


@pytest.mark.parametrize("bad", ["two", True, float("nan"), float("inf")])
def test_an_attribute_that_is_not_a_finite_number_is_rejected_naming_it(
    world: World, alice: str, bad: object
) -> None:
    cmd = RecordActivity(alice, "post", NOON, "k1", "n1", {"photos": bad}, at=NOON)  # type: ignore[dict-item]  # the wrong type is the input under test

    with pytest.raises(InvalidInput) as raised:
        services.record_activity(cmd, world.store(), ECONOMY)

    assert raised.value.field == "attributes.photos"


def test_a_time_without_an_offset_is_rejected_naming_the_field(world: World, alice: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.record(alice, "like", datetime(2026, 3, 2, 12))  # noqa: DTZ001 - the naive time is the input under test

    assert raised.value.field == "occurredAt"


def test_an_activity_of_an_unknown_member_is_not_found(world: World) -> None:
    with pytest.raises(NotFound) as raised:
        world.record("mem_nobody", "like", NOON)

    assert (raised.value.kind, raised.value.ident) == ("member", "mem_nobody")


def test_a_rejected_activity_writes_nothing(world: World, alice: str) -> None:
    writes = world.write_count()

    with pytest.raises(InvalidInput):
        world.record(alice, "dance", NOON)

    assert world.write_count() == writes
    assert world.member(alice).progress.kind_counts == {}


# --- batches ---------------------------------------------------------------------------


def record_batch(
    world: World, cmds: list[RecordActivity], economy: Economy = ECONOMY
) -> list[services.ActivityResult | Exception]:
    return list(services.record_activities(cmds, world.store(), economy))


def test_one_bad_item_in_a_batch_does_not_lose_the_others(world: World, alice: str) -> None:
    batch = [
        world.activity(alice, "post", NOON, "n1", photos=1),
        world.activity(alice, "dance", NOON),
        world.activity("mem_nobody", "like", NOON),
        world.activity(alice, "post", NOON, "n2"),
    ]

    results = record_batch(world, batch)

    assert [type(r).__name__ for r in results] == [
        "ActivityResult",
        "InvalidInput",
        "NotFound",
        "ActivityResult",
    ]
    assert world.available(alice) == 15 + 5


def test_a_batch_sees_its_own_earlier_items(world: World, alice: str) -> None:
    batch = [
        world.activity(alice, "post", NOON, "n1"),
        world.activity(alice, "post", NOON, "n1"),
        world.activity(alice, "post", NOON, "n1", key="k"),
        world.activity(alice, "post", NOON, "n1", key="k"),
    ]

    results = record_batch(world, batch)

    points = [r.points for r in results if isinstance(r, services.ActivityResult)]
    replayed = [r.replayed for r in results if isinstance(r, services.ActivityResult)]
    assert points == [5, 0, 0, 0]
    assert replayed == [False, False, False, True]
    assert world.available(alice) == 5


def test_a_batch_larger_than_the_maximum_is_rejected_whole(world: World, alice: str) -> None:
    batch = [world.activity(alice, "like", NOON) for _ in range(batch_size_max + 1)]

    with pytest.raises(InvalidInput) as raised:
        record_batch(world, batch)

    assert raised.value.field == "activities"
    assert world.entry_count() == 0
