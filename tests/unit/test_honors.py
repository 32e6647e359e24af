"""Honors: automatic tiers for activity counts, streaks, viral notes and levels reached,
each granted once; manual honors granted and revoked by an operator with a reason;
the hall of fame."""

from datetime import datetime, timedelta

import pytest

from domain import services
from domain.commands import GrantHonor
from domain.economy import (
    ActivityCount,
    Economy,
    LevelReached,
    LongestStreak,
    ViralNotes,
    viral_counter,
)
from domain.errors import (
    AlreadyExists,
    HonorCapacityReached,
    HonorNotManual,
    InvalidInput,
    NotFound,
)
from domain.model import HonorGranted
from tests.unit.builders import World, economy_from, local

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 10

[rules.check_in]
kind = "check_in"
points = 1
limits = [{ period = "day", max_count = 1 }]
streak = { bonus_per_day = 1, max_bonus = 1 }

[honors.writer]
trigger = "activity_count"
kinds = ["post"]
tiers = [{ name = "bronze", at = 1 }, { name = "silver", at = 3 }, { name = "gold", at = 5 }]

[honors.steady]
trigger = "streak"
rule = "check_in"
tiers = [{ name = "bronze", at = 3 }]

[honors.star_reached]
trigger = "level_reached"
level = "star"

[honors.founder]
manual = true
hall_of_fame = true
max_holders = 2

[honors.mentor]
manual = true
""",
    levels="""
[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "star"
threshold = 100
keep = 50
hall_of_fame = true
""",
)
DAY0 = local(2026, 6, 1, 9)


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


@pytest.fixture
def world() -> World:
    return World(ECONOMY)


@pytest.fixture
def alice(world: World) -> str:
    return world.join("alice")


def granted(result: services.ActivityResult) -> list[tuple[str, str | None]]:
    return [(e.honor_id, e.tier) for e in result.events if isinstance(e, HonorGranted)]


# --- automatic honors ------------------------------------------------------------------


def test_an_activity_count_honor_grants_each_tier_as_it_is_reached(
    world: World, alice: str
) -> None:
    grants = [granted(world.record(alice, "post", DAY0)) for _ in range(6)]

    assert grants == [
        [("writer", "bronze")],
        [],
        [("writer", "silver")],
        [],
        [("writer", "gold")],
        [],
    ]
    assert world.honors(alice) == [("writer", "bronze"), ("writer", "silver"), ("writer", "gold")]


def test_a_streak_honor_is_granted_on_the_streaks_day(world: World, alice: str) -> None:
    results = [world.record(alice, "check_in", day(n)) for n in range(3)]

    assert [granted(r) for r in results] == [[], [], [("steady", "bronze")]]


def test_a_streak_honor_is_not_granted_again_for_a_second_streak(world: World, alice: str) -> None:
    for n in [0, 1, 2, 5, 6, 7]:
        world.earn(alice, "check_in", day(n))

    assert world.honors(alice).count(("steady", "bronze")) == 1


def test_a_level_reached_honor_is_granted_on_promotion(world: World, alice: str) -> None:
    results = [world.record(alice, "post", DAY0) for _ in range(10)]

    assert ("star_reached", None) in granted(results[-1])


def test_a_level_reached_honor_is_not_granted_again_after_demotion_and_return(
    world: World, alice: str
) -> None:
    for _ in range(10):
        world.earn(alice, "post", DAY0)
    world.review(alice, day(100))
    world.review(alice, day(200))
    assert world.level(alice) == "newcomer"

    for _ in range(10):
        world.earn(alice, "post", day(201))

    assert world.level(alice) == "star"
    assert world.honors(alice).count(("star_reached", None)) == 1


def test_automatic_honors_are_granted_by_nobody_with_an_automatic_reason(
    world: World, alice: str
) -> None:
    world.earn(alice, "post", DAY0)

    (award,) = services.honors_of(alice, world.store())
    assert (award.granted_by, award.reason, award.granted_at) == (None, "automatic", DAY0)


def test_the_shipped_streak_keeper_turns_bronze_on_the_seventh_day(koc_world: World) -> None:
    alice = koc_world.join("alice")

    for n in range(7):
        koc_world.earn(alice, "check_in", day(n))

    assert ("streak_keeper", "bronze") in koc_world.honors(alice)


def test_the_shipped_viral_note_honor_is_granted_once_per_note_crossing(
    koc_world: World,
) -> None:
    alice = koc_world.join("alice")
    koc_world.earn(alice, "post", DAY0, "n1", photos=1)

    koc_world.earn(alice, "note_metrics", day(1), "n1", interactions=1500)
    koc_world.earn(alice, "note_metrics", day(2), "n1", interactions=4000)

    assert koc_world.honors(alice).count(("viral_note", "bronze")) == 1
    assert ("first_post", "first") in koc_world.honors(alice)


def test_the_shipped_navigator_honor_comes_with_the_navigator_level(koc_world: World) -> None:
    alice = koc_world.join("alice")

    for month in range(4):  # featured content pays at most 1,000 points a month
        for n in range(10):
            koc_world.earn(alice, "content_featured", local(2026, 6 + month, 1 + n), f"f{month}{n}")

    assert koc_world.level(alice) == "navigator"
    assert ("navigator_reached", None) in koc_world.honors(alice)


def test_each_automatic_honor_is_checked_through_its_typed_trigger(koc_economy: Economy) -> None:
    triggers = {check.honor.id: check.trigger for check in koc_economy.honor_checks}

    assert triggers == {
        "first_post": ActivityCount(("post", "short_video", "article")),
        "creator": ActivityCount(("post", "short_video", "article")),
        "helper": ActivityCount(("answer",)),
        "streak_keeper": LongestStreak("daily_check_in"),
        "viral_note": ViralNotes(1000, viral_counter(1000)),
        "navigator_reached": LevelReached(3, {}),
    }


def test_a_trigger_values_the_member_from_their_progress_and_level(
    world: World, alice: str
) -> None:
    for _ in range(10):
        world.earn(alice, "post", DAY0)
    for n in range(3):
        world.earn(alice, "check_in", day(n))
    member = world.member(alice)

    values = [check.trigger.value(member) for check in ECONOMY.honor_checks]

    assert (member.level_id, values) == ("star", [10, 3, 1])


# --- manual honors ---------------------------------------------------------------------


def test_an_operator_grants_a_manual_honor_with_a_reason(world: World, alice: str) -> None:
    award = world.grant(alice, "mentor", DAY0)

    assert (award.honor_id, award.granted_by, award.reason) == (
        "mentor",
        "operator",
        "helped everyone",
    )
    assert world.honors(alice) == [("mentor", None)]
    assert [a.action for a in world.store.state.audit] == ["grant_honor"]


def test_a_manual_grant_needs_a_reason(world: World, alice: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.grant_honor(GrantHonor(alice, "mentor", "", "op", DAY0), world.store(), ECONOMY)

    assert raised.value.field == "reason"


def test_an_automatic_honor_cannot_be_granted_by_hand(world: World, alice: str) -> None:
    with pytest.raises(HonorNotManual) as raised:
        world.grant(alice, "writer", DAY0)

    assert raised.value.honor_id == "writer"


def test_an_automatic_honor_cannot_be_revoked_by_hand(world: World, alice: str) -> None:
    world.earn(alice, "post", DAY0)

    with pytest.raises(HonorNotManual):
        world.revoke(alice, "writer", DAY0)


def test_an_unknown_honor_is_not_found(world: World, alice: str) -> None:
    with pytest.raises(NotFound) as raised:
        world.grant(alice, "knighthood", DAY0)

    assert (raised.value.kind, raised.value.ident) == ("honor", "knighthood")


def test_an_honor_already_held_cannot_be_granted_again(world: World, alice: str) -> None:
    world.grant(alice, "mentor", DAY0)

    with pytest.raises(AlreadyExists):
        world.grant(alice, "mentor", day(1))

    assert world.honors(alice) == [("mentor", None)]


def test_an_honor_with_max_holders_refuses_one_more_holder(world: World, alice: str) -> None:
    bob, carol = world.join("bob"), world.join("carol")
    world.grant(alice, "founder", DAY0)
    world.grant(bob, "founder", DAY0)

    with pytest.raises(HonorCapacityReached) as raised:
        world.grant(carol, "founder", DAY0)

    assert raised.value.max_holders == 2
    assert world.honors(carol) == []


def test_revoking_records_who_why_and_when_and_frees_a_seat(world: World, alice: str) -> None:
    bob, carol = world.join("bob"), world.join("carol")
    world.grant(alice, "founder", DAY0)
    world.grant(bob, "founder", DAY0)

    revoked = world.revoke(alice, "founder", day(1))
    world.grant(carol, "founder", day(2))

    assert not revoked.active
    assert (revoked.revoked_at, revoked.revoked_by, revoked.revoke_reason) == (
        day(1),
        "operator",
        "stepped down",
    )
    assert world.honors(alice) == []
    assert world.honors(carol) == [("founder", None)]


def test_a_revoked_honor_can_be_granted_again(world: World, alice: str) -> None:
    world.grant(alice, "mentor", DAY0)
    world.revoke(alice, "mentor", day(1))

    world.grant(alice, "mentor", day(2))

    assert world.honors(alice) == [("mentor", None)]
    assert len(services.honors_of(alice, world.store())) == 2


def test_revoking_an_honor_not_held_is_not_found(world: World, alice: str) -> None:
    with pytest.raises(NotFound):
        world.revoke(alice, "mentor", DAY0)


# --- hall of fame ----------------------------------------------------------------------


def hall(world: World) -> list[str]:
    return [entry.member.handle for entry in services.hall_of_fame(world.store(), ECONOMY)]


def test_the_hall_of_fame_lists_hall_of_fame_honors_first_granted_first(world: World) -> None:
    alice, bob, carol = world.join("alice"), world.join("bob"), world.join("carol")
    world.grant(bob, "founder", day(1))
    world.grant(alice, "founder", day(2))
    world.grant(carol, "mentor", day(0))

    assert hall(world) == ["bob", "alice"]


def test_the_hall_of_fame_lists_members_at_a_hall_of_fame_level(world: World) -> None:
    alice, bob = world.join("alice"), world.join("bob")
    world.grant(bob, "founder", day(1))
    for _ in range(10):
        world.earn(alice, "post", DAY0)

    entries = services.hall_of_fame(world.store(), ECONOMY)

    assert [(e.member.handle, e.level_id) for e in entries] == [
        ("bob", "newcomer"),
        ("alice", "star"),
    ]
    assert [a.honor_id for a in entries[0].honors] == ["founder"]


def test_a_revoked_honor_leaves_the_hall_of_fame(world: World, alice: str) -> None:
    world.grant(alice, "founder", DAY0)

    world.revoke(alice, "founder", day(1))

    assert hall(world) == []
