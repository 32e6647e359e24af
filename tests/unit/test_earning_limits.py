"""Limits per rule per period (count and points), the global daily cap with exempt rules,
streaks, and period boundaries in the economy's time zone."""

from datetime import timedelta

import pytest

from tests.unit.builders import UTC, World, economy_from, local

ECONOMY = economy_from(
    """
[rules.check_in]
kind = "check_in"
points = 2
limits = [{ period = "day", max_count = 1 }]
streak = { bonus_per_day = 1, max_bonus = 3, milestones = { 7 = 10 } }

[rules.featured]
kind = "featured"
points = 40
limits = [{ period = "day", max_points = 100 }]
exempt_from_daily_cap = true

[rules.video]
kind = "video"
points = 10
limits = [{ period = "week", max_count = 2 }]

[rules.event]
kind = "event"
points = 20
limits = [{ period = "month", max_count = 2 }, { period = "day", max_points = 25 }]

[rules.profile_completed]
kind = "profile_completed"
points = 30
limits = [{ period = "lifetime", max_count = 1 }]

[rules.comment]
kind = "comment"
points = 20

[rules.long_comment_bonus]
kind = "comment"
points = 15
when = ["words >= 100"]
group = "long"
""",
    daily_cap=50,
)
MONDAY = local(2026, 3, 2, 12)  # 2026-03-02 is a Monday


@pytest.fixture
def world() -> World:
    return World(ECONOMY)


@pytest.fixture
def alice(world: World) -> str:
    return world.join("alice")


# --- count limits per period -----------------------------------------------------------


def test_second_check_in_on_same_day_earns_nothing(world: World, alice: str) -> None:
    world.earn(alice, "check_in", MONDAY.replace(hour=8))

    second = world.record(alice, "check_in", MONDAY.replace(hour=20))

    assert second.points == 0
    assert second.record.lines[0].reason == "day limit of 1 reached"


def test_a_check_in_the_next_day_earns_again(world: World, alice: str) -> None:
    world.earn(alice, "check_in", MONDAY)

    assert world.earn(alice, "check_in", MONDAY + timedelta(days=1)) > 0


def test_a_weekly_limit_holds_until_the_next_local_monday(world: World, alice: str) -> None:
    world.earn(alice, "video", MONDAY)
    world.earn(alice, "video", MONDAY + timedelta(days=1))
    sunday_night = local(2026, 3, 8, 23, 59)
    next_monday = local(2026, 3, 9, 0, 1)

    assert world.earn(alice, "video", sunday_night) == 0
    assert world.earn(alice, "video", next_monday) == 10


def test_a_monthly_limit_holds_until_the_first_of_the_next_month(world: World, alice: str) -> None:
    world.earn(alice, "event", local(2026, 3, 2))
    world.earn(alice, "event", local(2026, 3, 10))

    assert world.earn(alice, "event", local(2026, 3, 31, 23, 59)) == 0
    assert world.earn(alice, "event", local(2026, 4, 1, 0, 1)) == 20


def test_a_lifetime_limit_never_resets(world: World, alice: str) -> None:
    world.earn(alice, "profile_completed", MONDAY)

    assert world.earn(alice, "profile_completed", MONDAY + timedelta(days=400)) == 0


def test_limits_are_kept_per_member(world: World, alice: str) -> None:
    bob = world.join("bob")
    world.earn(alice, "profile_completed", MONDAY)

    assert world.earn(bob, "profile_completed", MONDAY) == 30


# --- point limits clip -----------------------------------------------------------------


def test_a_points_limit_clips_the_award_that_crosses_it_then_pays_nothing(
    world: World, alice: str
) -> None:
    earned = [world.earn(alice, "featured", MONDAY, f"f{i}") for i in range(4)]

    assert earned == [40, 40, 20, 0]
    assert world.available(alice) == 100


def test_a_clipped_award_says_which_limit_clipped_it(world: World, alice: str) -> None:
    world.earn(alice, "featured", MONDAY)
    world.earn(alice, "featured", MONDAY)

    third = world.record(alice, "featured", MONDAY)

    assert third.record.lines[0].reason == "clipped by the day limit of 100 points"
    assert (third.record.lines[0].base_points, third.points) == (40, 20)


def test_a_points_limit_resets_with_its_period(world: World, alice: str) -> None:
    for _ in range(3):
        world.earn(alice, "featured", MONDAY)

    assert world.earn(alice, "featured", MONDAY + timedelta(days=1)) == 40


def test_a_rule_can_limit_both_count_and_points(world: World, alice: str) -> None:
    first = world.earn(alice, "event", MONDAY.replace(hour=9))
    second = world.earn(alice, "event", MONDAY.replace(hour=10))
    third = world.earn(alice, "event", MONDAY.replace(hour=11))

    assert (first, second, third) == (20, 5, 0)


# --- the global daily cap --------------------------------------------------------------


def test_the_daily_cap_clips_capped_rules(world: World, alice: str) -> None:
    earned = [world.earn(alice, "comment", MONDAY) for _ in range(4)]

    assert earned == [20, 20, 10, 0]


def test_a_capped_award_says_the_daily_cap_clipped_it(world: World, alice: str) -> None:
    world.earn(alice, "comment", MONDAY)
    world.earn(alice, "comment", MONDAY)

    third = world.record(alice, "comment", MONDAY)

    assert third.record.lines[0].reason == "clipped by the daily cap of 50 points"


def test_rules_firing_on_one_activity_share_what_is_left_of_the_daily_cap(
    world: World, alice: str
) -> None:
    world.earn(alice, "comment", MONDAY)
    world.earn(alice, "comment", MONDAY, words=10)

    result = world.record(alice, "comment", MONDAY, words=150)

    assert [(line.rule_id, line.points) for line in result.record.lines] == [
        ("comment", 10),
        ("long_comment_bonus", 0),
    ]


def test_an_exempt_rule_ignores_a_reached_daily_cap(world: World, alice: str) -> None:
    for _ in range(3):
        world.earn(alice, "comment", MONDAY)

    assert world.earn(alice, "featured", MONDAY) == 40


def test_an_exempt_rule_does_not_use_up_the_daily_cap(world: World, alice: str) -> None:
    world.earn(alice, "featured", MONDAY)
    world.earn(alice, "featured", MONDAY)

    earned = [world.earn(alice, "comment", MONDAY) for _ in range(3)]

    assert earned == [20, 20, 10]


def test_the_daily_cap_resets_at_local_midnight(world: World, alice: str) -> None:
    for _ in range(3):
        world.earn(alice, "comment", local(2026, 3, 2, 23, 0))

    assert world.earn(alice, "comment", local(2026, 3, 3, 0, 5)) == 20


# --- streaks ---------------------------------------------------------------------------


def check_in_daily(world: World, member: str, days: int, start: int = 0) -> list[int]:
    return [world.earn(member, "check_in", MONDAY + timedelta(days=start + d)) for d in range(days)]


def test_consecutive_check_ins_earn_a_growing_bonus_up_to_its_maximum(
    world: World, alice: str
) -> None:
    earned = check_in_daily(world, alice, 6)

    assert earned == [2, 3, 4, 5, 5, 5]


def test_a_streak_milestone_pays_its_one_off_bonus_on_that_day(world: World, alice: str) -> None:
    earned = check_in_daily(world, alice, 8)

    assert earned[6] == 2 + 3 + 10
    assert earned[7] == 2 + 3


def test_the_award_line_reports_the_streak_length_and_bonus(world: World, alice: str) -> None:
    check_in_daily(world, alice, 2)

    third = world.record(alice, "check_in", MONDAY + timedelta(days=2))

    line = third.record.lines[0]
    assert (line.streak_length, line.base_points, line.streak_bonus) == (3, 2, 2)


def test_a_missed_day_breaks_the_streak_and_it_starts_again_at_one(
    world: World, alice: str
) -> None:
    check_in_daily(world, alice, 4)

    after_gap = world.record(alice, "check_in", MONDAY + timedelta(days=5))

    assert after_gap.points == 2
    assert after_gap.record.lines[0].streak_length == 1
    assert world.member(alice).progress.best_streaks["check_in"] == 4


def test_a_refused_second_check_in_does_not_lengthen_the_streak(world: World, alice: str) -> None:
    world.earn(alice, "check_in", MONDAY.replace(hour=8))
    world.earn(alice, "check_in", MONDAY.replace(hour=9))

    tuesday = world.record(alice, "check_in", MONDAY + timedelta(days=1))

    assert tuesday.record.lines[0].streak_length == 2


# --- day boundaries in the economy's time zone -----------------------------------------


def test_23_59_and_00_01_shanghai_are_two_days_though_the_same_utc_day(
    world: World, alice: str
) -> None:
    before_midnight = local(2026, 3, 2, 15, 59, tz=UTC)  # 23:59 in Shanghai
    after_midnight = local(2026, 3, 2, 16, 1, tz=UTC)  # 00:01 next day in Shanghai

    first = world.record(alice, "check_in", before_midnight)
    second = world.record(alice, "check_in", after_midnight)

    assert (first.points, second.points) == (2, 3)
    assert second.record.lines[0].streak_length == 2


def test_two_utc_days_inside_one_shanghai_day_are_one_day(world: World, alice: str) -> None:
    early = local(2026, 3, 1, 16, 30, tz=UTC)  # 00:30 on 2 March in Shanghai
    late = local(2026, 3, 2, 15, 0, tz=UTC)  # 23:00 on 2 March in Shanghai

    assert world.earn(alice, "check_in", early) == 2
    assert world.earn(alice, "check_in", late) == 0


def test_an_economy_in_another_time_zone_draws_its_own_midnight() -> None:
    economy = economy_from(
        '[rules.check_in]\nkind = "check_in"\npoints = 1\n'
        'limits = [{ period = "day", max_count = 1 }]\n',
        timezone="America/New_York",
    )
    world = World(economy)
    alice = world.join("alice")
    eleven_pm_new_york = local(2026, 3, 3, 4, 0, tz=UTC)  # 23:00 on 2 March, EST
    one_am_new_york = local(2026, 3, 3, 6, 0, tz=UTC)  # 01:00 on 3 March, EST

    assert world.earn(alice, "check_in", eleven_pm_new_york) == 1
    assert world.earn(alice, "check_in", one_am_new_york) == 1


# --- activities arriving late (an earlier period than one already counted) -------------


def test_a_late_activity_cannot_bypass_a_limit_by_alternating_days(
    world: World, alice: str
) -> None:
    tuesday = MONDAY + timedelta(days=1)

    earned = [world.earn(alice, "check_in", when) for when in [MONDAY, tuesday, MONDAY, tuesday]]

    assert earned == [2, 3, 0, 0]


def test_a_late_activity_cannot_bypass_the_daily_cap(world: World, alice: str) -> None:
    for _ in range(3):
        world.earn(alice, "comment", MONDAY)
    world.earn(alice, "comment", MONDAY + timedelta(days=1))

    late = world.record(alice, "comment", MONDAY)

    assert late.points == 0
    assert world.available(alice) == 50 + 20


def test_a_late_activity_in_an_earlier_week_counts_against_that_weeks_limit(
    world: World, alice: str
) -> None:
    sunday = MONDAY + timedelta(days=6)
    world.earn(alice, "video", sunday)
    world.earn(alice, "video", sunday)
    world.earn(alice, "video", sunday + timedelta(days=1))

    late = world.record(alice, "video", sunday)

    assert late.points == 0
    assert late.record.lines[0].reason == "week limit of 2 reached"


def test_a_late_activity_does_not_break_a_running_streak(world: World, alice: str) -> None:
    world.earn(alice, "check_in", MONDAY)
    world.earn(alice, "check_in", MONDAY + timedelta(days=1))
    world.earn(alice, "check_in", MONDAY)

    third_day = world.record(alice, "check_in", MONDAY + timedelta(days=2))

    assert third_day.record.lines[0].streak_length == 3


def test_explain_agrees_with_the_award_for_a_late_activity(world: World, alice: str) -> None:
    for _ in range(2):
        world.earn(alice, "comment", MONDAY)
    world.earn(alice, "comment", MONDAY + timedelta(days=1))

    explained = world.explain(alice, "comment", MONDAY)
    awarded = world.record(alice, "comment", MONDAY)

    assert explained.lines == awarded.record.lines
    cap = next(s for s in explained.limits if s.scope == "daily_cap")
    assert cap.remaining_points == awarded.points == 10  # Monday's cap, not Tuesday's


def test_explain_reports_the_limits_of_a_late_activitys_own_period(
    world: World, alice: str
) -> None:
    sunday = MONDAY + timedelta(days=6)
    world.earn(alice, "video", sunday)
    world.earn(alice, "video", sunday + timedelta(days=1))

    explained = world.explain(alice, "video", sunday)

    week = next(s for s in explained.limits if s.scope == "video")
    assert (explained.points, week.used_count, week.remaining_count) == (10, 1, 1)
