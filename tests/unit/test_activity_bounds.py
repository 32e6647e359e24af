"""The bounds an activity is checked against, as the economy file sets them: the clock
skew allowed after the request's time (issue 7, bug 1)."""

from __future__ import annotations

from domain.economy import parse_economy
from tests.unit.builders import sample_economy
from tests.unit.test_economy_file import line_of, only_issue, small_economy


def test_clock_skew_defaults_to_five_minutes() -> None:
    economy = parse_economy(small_economy(), "small.toml")

    assert economy.clock_skew_seconds == 300


def test_an_economy_sets_its_clock_skew() -> None:
    text = small_economy().replace(
        'timezone = "UTC"\n', 'timezone = "UTC"\nclock_skew_seconds = 60\n'
    )

    economy = parse_economy(text, "small.toml")

    assert economy.clock_skew_seconds == 60


def test_a_clock_skew_beyond_an_hour_is_reported_on_its_line() -> None:
    text = small_economy().replace(
        'timezone = "UTC"\n', 'timezone = "UTC"\nclock_skew_seconds = 86400\n'
    )

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("economy", "clock_skew_seconds")
    assert issue.line == line_of(text, "clock_skew_seconds")


def test_the_shipped_economy_is_within_every_bound() -> None:
    economy = sample_economy()

    assert economy.clock_skew_seconds == 300
