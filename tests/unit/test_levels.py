"""Levels: promotion at once from lifetime earned points; spending never lowers a level;
the review warns below the keep mark, demotes after the grace period to the highest
level whose keep mark is met, never below the floor; an operator can lock a level."""

from datetime import datetime, timedelta

import pytest

from domain.errors import InvalidInput, NotFound
from domain.model import LevelChanged, LevelState, LevelWarning
from tests.unit.builders import World, economy_from, local

LEVELS = """
[level_review]
window_days = 30
grace_days = 10
{floor}

[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "regular"
threshold = 100

[[levels]]
id = "seasoned"
threshold = 300
keep = 50

[[levels]]
id = "navigator"
threshold = 1000
keep = 200
"""
RULES = """
[rules.feature]
kind = "feature"
points = 100

[rules.comment]
kind = "comment"
points = 10

[reward_tiers.merch]

[rewards.hoodie]
tier = "merch"
price = 900
"""
ECONOMY = economy_from(RULES, levels=LEVELS.format(floor=""))
DAY0 = local(2026, 3, 2, 12)


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


@pytest.fixture
def world() -> World:
    return World(ECONOMY)


@pytest.fixture
def alice(world: World) -> str:
    return world.join("alice")


def reach_navigator(world: World, member: str, on: int = 0) -> None:
    for _ in range(10):
        world.earn(member, "feature", day(on))
    assert world.level(member) == "navigator"


# --- promotion -------------------------------------------------------------------------


def test_a_new_member_starts_at_the_first_level(world: World, alice: str) -> None:
    assert world.level(alice) == "newcomer"


def test_reaching_a_threshold_promotes_at_once(world: World, alice: str) -> None:
    result = world.record(alice, "feature", DAY0)

    assert world.level(alice) == "regular"
    assert LevelChanged(alice, "newcomer", "regular", DAY0, "promoted") in result.events


def test_one_point_short_of_a_threshold_is_no_promotion(world: World, alice: str) -> None:
    for _ in range(9):
        world.earn(alice, "comment", DAY0)

    assert world.member(alice).qualifying_points == 90
    assert world.level(alice) == "newcomer"


def test_a_big_award_can_jump_several_levels_in_one_step(alice: str) -> None:
    economy = economy_from(
        '[rules.grand]\nkind = "grand"\npoints = 1500\n', levels=LEVELS.format(floor="")
    )
    world = World(economy)
    alice = world.join("alice")

    result = world.record(alice, "grand", DAY0)

    changes = [e for e in result.events if isinstance(e, LevelChanged)]
    assert changes == [LevelChanged(alice, "newcomer", "navigator", DAY0, "promoted")]


def test_spending_points_never_lowers_a_level(world: World, alice: str) -> None:
    reach_navigator(world, alice)

    redemption = world.redeem(alice, "hoodie", day(1))
    world.fulfil(redemption.id, day(1))
    world.adjust(alice, -100, day(1))

    member = world.member(alice)
    assert world.available(alice) == 0
    assert (member.level_id, member.qualifying_points) == ("navigator", 1000)
    assert member.progress.lifetime_earned == 1000


# --- review: warning, grace, demotion --------------------------------------------------


def test_a_member_earning_their_keep_passes_the_review_untouched(world: World, alice: str) -> None:
    reach_navigator(world, alice)

    events = world.review(alice, day(20))

    assert events == []
    assert world.member(alice).level_state is LevelState.ACTIVE


def test_falling_below_the_keep_mark_warns_with_the_demotion_date(world: World, alice: str) -> None:
    reach_navigator(world, alice)

    events = world.review(alice, day(40))

    member = world.member(alice)
    assert events == [LevelWarning(alice, "navigator", day(50), day(40))]
    assert (member.level_id, member.level_state, member.demotion_due) == (
        "navigator",
        LevelState.WARNING,
        day(50),
    )


def test_reviews_during_the_grace_period_change_nothing(world: World, alice: str) -> None:
    reach_navigator(world, alice)
    world.review(alice, day(40))

    events = world.review(alice, day(49) + timedelta(hours=23))

    member = world.member(alice)
    assert events == []
    assert (member.level_id, member.demotion_due) == ("navigator", day(50))


def test_the_review_after_the_grace_period_demotes(world: World, alice: str) -> None:
    reach_navigator(world, alice)
    world.review(alice, day(40))

    events = world.review(alice, day(50))

    member = world.member(alice)
    assert events == [LevelChanged(alice, "navigator", "regular", day(50), "demoted")]
    assert (member.level_id, member.level_state, member.demotion_due) == (
        "regular",
        LevelState.ACTIVE,
        None,
    )


def test_demotion_stops_at_the_highest_level_whose_keep_mark_is_met(
    world: World, alice: str
) -> None:
    reach_navigator(world, alice)
    for _ in range(6):
        world.earn(alice, "comment", day(35))  # 60 points: below 200, above seasoned's 50
    world.review(alice, day(40))

    world.review(alice, day(50))

    member = world.member(alice)
    assert member.level_id == "seasoned"
    assert member.qualifying_points == 300  # climbing back means earning it again


def test_a_demoted_member_climbs_back_by_earning_again(world: World, alice: str) -> None:
    reach_navigator(world, alice)
    world.review(alice, day(40))
    world.review(alice, day(50))

    for _ in range(9):
        world.earn(alice, "feature", day(51))

    assert world.level(alice) == "navigator"


def test_earning_back_to_the_keep_mark_clears_a_warning(world: World, alice: str) -> None:
    reach_navigator(world, alice)
    world.review(alice, day(40))

    world.earn(alice, "feature", day(45))
    world.earn(alice, "feature", day(45))

    member = world.member(alice)
    assert (member.level_state, member.demotion_due) == (LevelState.ACTIVE, None)
    assert world.review(alice, day(50)) == []
    assert world.level(alice) == "navigator"


def test_earning_less_than_the_keep_mark_leaves_the_warning(world: World, alice: str) -> None:
    reach_navigator(world, alice)
    world.review(alice, day(40))

    world.earn(alice, "feature", day(45))

    assert world.member(alice).level_state is LevelState.WARNING


def test_a_level_without_a_keep_mark_is_never_reviewed_down(world: World, alice: str) -> None:
    world.earn(alice, "feature", DAY0)

    assert world.review(alice, day(400)) == []
    assert world.level(alice) == "regular"


def test_the_review_is_idempotent_at_one_moment(world: World, alice: str) -> None:
    reach_navigator(world, alice)
    world.review(alice, day(40))
    world.review(alice, day(50))

    assert world.review(alice, day(50)) == []
    assert world.level(alice) == "regular"


# --- the floor -------------------------------------------------------------------------

FLOORED = economy_from(RULES, levels=LEVELS.format(floor='floor = "seasoned"'))


def test_a_member_above_the_floor_is_demoted_no_lower_than_the_floor() -> None:
    world = World(FLOORED)
    alice = world.join("alice")
    reach_navigator(world, alice)
    world.review(alice, day(40))

    world.review(alice, day(50))

    assert world.level(alice) == "seasoned"


def test_a_member_at_the_floor_is_never_warned_nor_demoted_below_it() -> None:
    world = World(FLOORED)
    alice = world.join("alice")
    for _ in range(3):
        world.earn(alice, "feature", DAY0)
    assert world.level(alice) == "seasoned"

    warned = world.review(alice, day(40))
    later = world.review(alice, day(60))

    member = world.member(alice)
    assert (warned, later) == ([], [])
    assert (member.level_id, member.level_state) == ("seasoned", LevelState.ACTIVE)


def test_a_member_below_the_floor_is_reviewed_as_usual() -> None:
    world = World(FLOORED)
    alice = world.join("alice")
    world.earn(alice, "feature", DAY0)

    assert world.review(alice, day(400)) == []
    assert world.level(alice) == "regular"


# --- operator lock ---------------------------------------------------------------------


def test_an_operator_lock_sets_the_level_and_says_so(world: World, alice: str) -> None:
    member = world.lock(alice, "seasoned", DAY0)

    assert (member.level_id, member.level_locked) == ("seasoned", True)
    assert world.level(alice) == "seasoned"


def test_a_locked_member_is_not_promoted_by_earning(world: World, alice: str) -> None:
    world.lock(alice, "regular", DAY0)

    result = world.record(alice, "feature", day(1))
    for _ in range(10):
        world.earn(alice, "feature", day(1))

    assert not [e for e in result.events if isinstance(e, LevelChanged)]
    assert world.level(alice) == "regular"
    assert world.member(alice).qualifying_points == 1100


def test_a_locked_member_is_not_warned_nor_demoted(world: World, alice: str) -> None:
    reach_navigator(world, alice)
    world.lock(alice, "navigator", DAY0)

    assert world.review(alice, day(40)) == []
    assert world.review(alice, day(90)) == []
    assert world.level(alice) == "navigator"


def test_locking_clears_a_pending_warning(world: World, alice: str) -> None:
    reach_navigator(world, alice)
    world.review(alice, day(40))

    member = world.lock(alice, "navigator", day(41))

    assert (member.level_state, member.demotion_due) == (LevelState.ACTIVE, None)


def test_unlocking_promotes_at_once_to_what_the_points_have_earned(
    world: World, alice: str
) -> None:
    world.lock(alice, "regular", DAY0)
    for _ in range(10):
        world.earn(alice, "feature", day(1))

    member = world.lock(alice, None, day(2))

    assert (member.level_id, member.level_locked) == ("navigator", False)


def test_unlocking_keeps_a_level_the_operator_raised(world: World, alice: str) -> None:
    world.lock(alice, "seasoned", DAY0)

    member = world.lock(alice, None, day(1))

    assert (member.level_id, member.level_locked) == ("seasoned", False)
    assert member.qualifying_points == 300


def test_an_unlocked_member_is_reviewed_again(world: World, alice: str) -> None:
    reach_navigator(world, alice)
    world.lock(alice, "navigator", DAY0)
    world.lock(alice, None, day(35))

    events = world.review(alice, day(40))

    assert [type(e) for e in events] == [LevelWarning]


def test_locking_at_an_unknown_level_is_not_found(world: World, alice: str) -> None:
    with pytest.raises(NotFound) as raised:
        world.lock(alice, "emperor", DAY0)

    assert raised.value.ident == "emperor"


def test_a_lock_needs_a_reason(world: World, alice: str) -> None:
    from domain import services
    from domain.commands import LockLevel

    with pytest.raises(InvalidInput) as raised:
        services.lock_level(LockLevel(alice, "regular", "  ", "op", DAY0), world.store(), ECONOMY)

    assert raised.value.field == "reason"
    assert world.level(alice) == "newcomer"
