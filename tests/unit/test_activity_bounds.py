"""The bounds an activity is checked against, as the economy file sets them and as the
domain keeps them: clock skew and late-arrival look-back (issue 7, bugs 1 and 2),
attribute bounds and payouts (bug 8), fingerprints over exact integers (issue 15 item 9),
and the late-arrival counters' bounded size and backward-compatible rows."""

from __future__ import annotations

import hashlib
from datetime import UTC, timedelta

import pytest

from domain.commands import RecordActivity, fingerprint
from domain.economy import (
    attribute_value_max,
    late_arrival_days_max,
    parse_economy,
    points_max,
)
from domain.model import Attributes, Progress
from tests.unit.builders import World, economy_from, local, sample_economy
from tests.unit.test_economy_file import line_of, only_issue, small_economy

MONDAY = local(2026, 3, 2, 12)


# --- the economy file ----------------------------------------------------------------------


def test_clock_skew_and_late_arrival_default_to_five_minutes_and_three_days() -> None:
    economy = parse_economy(small_economy(), "small.toml")

    assert (economy.clock_skew_seconds, economy.late_arrival_days) == (300, 3)
    assert economy.attribute_max("words") == attribute_value_max


def test_an_economy_sets_its_clock_skew_late_arrival_and_attribute_bounds() -> None:
    text = small_economy().replace(
        'timezone = "UTC"\n',
        'timezone = "UTC"\nclock_skew_seconds = 60\nlate_arrival_days = 7\n\n'
        "[economy.attributes]\nwords = { max = 100000 }\n",
    )

    economy = parse_economy(text, "small.toml")

    assert (economy.clock_skew_seconds, economy.late_arrival_days) == (60, 7)
    assert economy.attribute_max("words") == 100_000
    assert economy.attribute_max("photos") == attribute_value_max


def test_a_clock_skew_beyond_an_hour_is_reported_on_its_line() -> None:
    text = small_economy().replace(
        'timezone = "UTC"\n', 'timezone = "UTC"\nclock_skew_seconds = 86400\n'
    )

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("economy", "clock_skew_seconds")
    assert issue.line == line_of(text, "clock_skew_seconds")


def test_a_late_arrival_look_back_beyond_its_maximum_is_reported_on_its_line() -> None:
    text = small_economy().replace(
        'timezone = "UTC"\n', 'timezone = "UTC"\nlate_arrival_days = 90\n'
    )

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("economy", "late_arrival_days")
    assert issue.line == line_of(text, "late_arrival_days")
    assert f"between 0 and {late_arrival_days_max}" in issue.message


@pytest.mark.parametrize(
    ("bound", "field", "message"),
    [
        ("words = { max = 10000000000 }", "max", f"between 0 and {attribute_value_max}"),
        ("words = { max = 1.5 }", "max", "whole number"),
        ("words = { max = -1 }", "max", "between 0 and"),
    ],
)
def test_a_bad_attribute_bound_names_the_file_line_table_and_field(
    bound: str, field: str, message: str
) -> None:
    text = small_economy().replace(
        'timezone = "UTC"\n', f'timezone = "UTC"\n\n[economy.attributes]\n{bound}\n'
    )

    issue = only_issue(text)

    assert (issue.source, issue.table, issue.field) == (
        "shop.toml",
        "economy.attributes.words",
        field,
    )
    assert issue.line == line_of(text, "words = {")
    assert message in issue.message


def test_an_attribute_bound_that_is_not_a_table_is_reported() -> None:
    text = small_economy().replace(
        'timezone = "UTC"\n', 'timezone = "UTC"\n\n[economy.attributes]\nwords = 5\n'
    )

    issue = only_issue(text)

    assert (issue.table, issue.field, issue.line) == ("economy.attributes", "words", 6)


GENEROUS_ARTICLE = """
[rules.article]
kind = "article"
per_unit = { attribute = "words", size = 1, points = 2 }
"""


def test_a_rule_that_could_pay_beyond_the_points_range_is_reported() -> None:
    text = small_economy(GENEROUS_ARTICLE)

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("rules.article", "per_unit")
    assert f"at most {points_max}" in issue.message


def test_a_lower_attribute_bound_makes_a_large_per_unit_rule_acceptable() -> None:
    text = small_economy(GENEROUS_ARTICLE).replace(
        'timezone = "UTC"\n', 'timezone = "UTC"\n\n[economy.attributes]\nwords = { max = 100000 }\n'
    )

    economy = parse_economy(text, "shop.toml")

    assert economy.attribute_max("words") == 100_000


def test_the_shipped_economy_is_within_every_bound() -> None:
    economy = sample_economy()

    assert (economy.clock_skew_seconds, economy.late_arrival_days) == (300, 3)


# --- fingerprints ------------------------------------------------------------------------


def _legacy_fingerprint(cmd: RecordActivity) -> str:
    """How fingerprints were written before attributes were whole numbers (floats)."""
    attributes = sorted([(k, float(v)) for k, v in cmd.attributes.items()])
    text = (
        f"RecordActivity\x1fmember_id={cmd.member_id!r}\x1fkind={cmd.kind!r}"
        f"\x1foccurred_at={cmd.occurred_at.astimezone(UTC).isoformat()!r}"
        f"\x1fsubject_id={cmd.subject_id!r}\x1fattributes={attributes!r}"
    )
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    "attributes",
    [{}, {"photos": 2}, {"words": 900, "photos": 0}, {"interactions": attribute_value_max}],
)
def test_fingerprints_of_whole_attributes_keep_their_stored_text(attributes: Attributes) -> None:
    cmd = RecordActivity("mem_1", "post", MONDAY, "k1", "n1", attributes, at=MONDAY)

    assert fingerprint(cmd) == _legacy_fingerprint(cmd)


def test_fingerprints_compare_attributes_exactly() -> None:
    big = RecordActivity("mem_1", "post", MONDAY, "k1", None, {"words": 2**53 + 1}, at=MONDAY)
    near = RecordActivity("mem_1", "post", MONDAY, "k1", None, {"words": 2**53}, at=MONDAY)

    assert fingerprint(big) != fingerprint(near)


def test_the_requests_time_is_not_part_of_the_fingerprint() -> None:
    first = RecordActivity("mem_1", "post", MONDAY, "k1", at=MONDAY)
    retry = RecordActivity("mem_1", "post", MONDAY, "k1", at=MONDAY + timedelta(hours=2))

    assert fingerprint(first) == fingerprint(retry)


# --- late-arrival counters ---------------------------------------------------------------

LIMITED = economy_from(
    """
[rules.post]
kind = "post"
points = 5
limits = [{ period = "day", max_count = 10 }, { period = "week", max_count = 50 }]
""",
    daily_cap=100,
)


def test_counters_keep_only_the_buckets_a_late_activity_may_reach() -> None:
    # given forty days of posts, each day's also sent a day late
    world = World(LIMITED)
    alice = world.join("alice")
    for day in range(40):
        today = MONDAY + timedelta(days=day)
        world.earn(alice, "post", today)
        world.earn(alice, "post", today - timedelta(days=1), received=today)

    # then each counter keeps its newest bucket and at most `late_arrival_days` earlier
    progress = world.member(alice).progress
    assert len(progress.earlier_counters["post|day"]) <= LIMITED.late_arrival_days
    assert len(progress.earlier_counters["post|week"]) <= 1
    assert len(progress.earlier_daily_totals) <= LIMITED.late_arrival_days


def test_a_progress_row_written_before_late_arrivals_were_counted_loads() -> None:
    # given the JSON shape the SQL store wrote before earlier buckets were kept
    old_row = Progress().to_primitives()
    del old_row["earlier_counters"], old_row["earlier_daily_totals"]
    old_row["counters"] = {"post|day": [739677, 2, 10]}
    old_row["daily_total"] = [739677, 10]

    progress = Progress.from_primitives(old_row)

    assert progress.counters == {"post|day": (739677, 2, 10)}
    assert (progress.earlier_counters, progress.earlier_daily_totals) == ({}, ())


def test_earlier_buckets_survive_a_round_trip_through_primitives() -> None:
    progress = Progress(
        earlier_counters={"post|day": ((739676, 3, 15), (739675, 1, 5))},
        earlier_daily_totals=((739676, 15),),
    )

    assert Progress.from_primitives(progress.to_primitives()) == progress
