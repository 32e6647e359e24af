"""The bounds an activity is checked against, as the economy file sets them and as the
domain keeps them: clock skew (issue 7, bug 1), attribute bounds and payouts (bug 8), and
fingerprints over exact integers (issue 15 item 9)."""

from __future__ import annotations

import hashlib
from datetime import UTC, timedelta

import pytest

from domain.commands import RecordActivity, fingerprint
from domain.economy import attribute_value_max, parse_economy, points_max
from domain.model import Attributes
from tests.unit.builders import local, sample_economy
from tests.unit.test_economy_file import line_of, only_issue, small_economy

MONDAY = local(2026, 3, 2, 12)


# --- the economy file ----------------------------------------------------------------------


def test_clock_skew_defaults_to_five_minutes_and_attributes_to_their_bound() -> None:
    economy = parse_economy(small_economy(), "small.toml")

    assert economy.clock_skew_seconds == 300
    assert economy.attribute_max("words") == attribute_value_max


def test_an_economy_sets_its_clock_skew_and_attribute_bounds() -> None:
    text = small_economy().replace(
        'timezone = "UTC"\n',
        'timezone = "UTC"\nclock_skew_seconds = 60\n\n'
        "[economy.attributes]\nwords = { max = 100000 }\n",
    )

    economy = parse_economy(text, "small.toml")

    assert economy.clock_skew_seconds == 60
    assert economy.attribute_max("words") == 100_000
    assert economy.attribute_max("photos") == attribute_value_max


def test_a_clock_skew_beyond_an_hour_is_reported_on_its_line() -> None:
    text = small_economy().replace(
        'timezone = "UTC"\n', 'timezone = "UTC"\nclock_skew_seconds = 86400\n'
    )

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("economy", "clock_skew_seconds")
    assert issue.line == line_of(text, "clock_skew_seconds")


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

    assert economy.clock_skew_seconds == 300


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
