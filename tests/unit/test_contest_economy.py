"""Contest definitions in the economy file: refused with file, line, table and field when
they cannot work (unknown metrics, empty or overlapping prize ranks, windows that end
before they start, ...); listed in the guide with what each rank wins."""

from __future__ import annotations

import pytest

from domain.economy import ContestPrize, parse_economy
from domain.errors import EconomyInvalid
from domain.guide import build_guide
from honorloop.guide_render import render_markdown, render_text

BASE = """[economy]
id = "c"
timezone = "Asia/Shanghai"

[rules.post]
kind = "post"
points = 5

[honors.champion]
manual = true

[reward_tiers.perks]

[rewards.code]
tier = "perks"
price = 100
fulfilment = "coupon_code"

[[levels]]
id = "newcomer"
threshold = 0
"""

HEADER = """
[[contests]]
id = "sprint"
title = "Post sprint"
metric = "count"
kind = "post"
starts = 2026-02-02T00:00:00+08:00
ends = 2026-02-09T00:00:00+08:00
"""


def issues(body: str) -> list[tuple[str, str, int | None]]:
    with pytest.raises(EconomyInvalid) as raised:
        parse_economy(BASE + body, "c.toml")
    assert all(i.source == "c.toml" for i in raised.value.issues)
    return [(i.table, i.field, i.line) for i in raised.value.issues]


def line_of(body: str, text: str) -> int:
    return (BASE + body).splitlines().index(text) + 1


def prize(ranks: str, pays: str = "points = 10") -> str:
    return f"\n[[contests.prizes]]\nranks = {ranks}\n{pays}\n"


def test_a_contest_is_read_with_its_window_metric_and_prizes() -> None:
    body = HEADER + prize("[1, 1]", 'points = 100\nhonor = "champion"') + prize("[2, 5]")

    contest = parse_economy(BASE + body, "c.toml").contests[0]

    assert (contest.id, contest.period, contest.metric, contest.kind) == (
        "sprint",
        "once",
        "count",
        "post",
    )
    assert contest.prizes == (ContestPrize(1, 1, 100, "champion"), ContestPrize(2, 5, 10))
    assert contest.prize_for(3) == ContestPrize(2, 5, 10)
    assert contest.prize_for(6) is None
    assert contest.ranks_paid == 5


def test_overlapping_prize_ranks_are_refused_on_the_later_prize() -> None:
    body = HEADER + prize("[1, 3]") + prize("[3, 5]")

    found = issues(body)

    assert found == [("contests[0].prizes[1]", "ranks", line_of(body, "ranks = [3, 5]"))]


@pytest.mark.parametrize("ranks", ["[3, 1]", "[0, 2]", "[1]", '["a", "b"]', "[1, 5000]"])
def test_an_empty_or_malformed_rank_range_is_refused(ranks: str) -> None:
    body = HEADER + prize(ranks)

    found = issues(body)

    assert found == [("contests[0].prizes[0]", "ranks", line_of(body, f"ranks = {ranks}"))]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ('metric = "count"', "metric"),  # replaced below by an unknown metric
        ('kind = "post"', "kind"),  # replaced below by an unknown kind
        ("ends = 2026-02-09T00:00:00+08:00", "ends"),  # replaced by an end before the start
    ],
)
def test_a_bad_contest_field_is_refused_naming_its_table_field_and_line(
    change: str, field: str
) -> None:
    bad = {
        "metric": 'metric = "likes"',
        "kind": 'kind = "selfie"',
        "ends": "ends = 2026-02-01T00:00:00+08:00",
    }[field]
    body = HEADER.replace(change, bad) + prize("[1, 1]")

    found = issues(body)

    assert ("contests[0]", field, line_of(body, bad)) in found


def test_a_prize_that_pays_nothing_or_cannot_be_paid_is_refused() -> None:
    body = HEADER + prize("[1, 1]", "points = 0") + prize("[2, 2]", 'honor = "nobody"')
    body += prize("[3, 3]", 'coupon = "nothing"')

    found = {(t, f) for t, f, _ in issues(body)}

    assert found == {
        ("contests[0].prizes[0]", ""),
        ("contests[0].prizes[1]", "honor"),
        ("contests[0].prizes[2]", "coupon"),
    }


def test_a_contest_without_prizes_a_window_or_its_metrics_inputs_is_refused() -> None:
    body = '\n[[contests]]\nid = "bare"\nmetric = "points"\n'
    body += '\n[[contests]]\nid = "buzz"\nperiod = "monthly"\nmetric = "interactions"\n'
    body += prize("[1, 1]")

    found = {(t, f) for t, f, _ in issues(body)}

    assert found == {
        ("contests[0]", "starts"),
        ("contests[0]", "rules"),
        ("contests[0]", "prizes"),
        ("contests[1]", "metric"),  # interactions need the [koc] program
    }


def test_the_guide_lists_each_contest_with_what_each_rank_wins() -> None:
    body = HEADER + prize("[1, 1]", 'points = 100\nhonor = "champion"') + prize("[2, 5]")
    guide = build_guide(parse_economy(BASE + body, "c.toml"))

    (contest,) = guide.contests

    assert contest.prizes == (
        "rank 1: 100 points and the champion honor",
        "ranks 2 to 5: 10 points",
    )
    assert "most post activities" in contest.summary
    assert "CONTESTS" in render_text(guide)
    assert "| **Post sprint** |" in render_markdown(guide)


@pytest.mark.parametrize(
    ("body", "table", "field"),
    [
        ('\ncontests = "monthly"\n', "contests", ""),
        ('\n[[contests]]\nid = "x"\nmetric = "count"\nkind = "post"\nperiod = "daily"\n'
         'prizes = [{ ranks = [1, 1], points = 5 }]\n', "contests[0]", "period"),
        ('\n[[contests]]\nid = "x"\nmetric = "count"\nperiod = "weekly"\n'
         'prizes = [{ ranks = [1, 1], points = 5 }]\n', "contests[0]", "kind"),
        ('\n[[contests]]\nid = "x"\nmetric = "interactions"\nkind = "post"\nperiod = "weekly"\n'
         'prizes = [{ ranks = [1, 1], points = 5 }]\n', "contests[0]", "kind"),
        ('\n[[contests]]\nid = "x"\nmetric = "count"\nkind = "post"\nrules = ["post"]\n'
         'period = "weekly"\nprizes = [{ ranks = [1, 1], points = 5 }]\n', "contests[0]", "rules"),
        ('\n[[contests]]\nid = "x"\nmetric = "points"\nrules = ["nope"]\nperiod = "weekly"\n'
         'prizes = [{ ranks = [1, 1], points = 5 }]\n', "contests[0]", "rules"),
        ('\n[[contests]]\nid = "x"\nmetric = "count"\nkind = "post"\nperiod = "weekly"\n'
         'eligibility = { min_level = "gold", koc_tier = "star" }\n'
         'prizes = [{ ranks = [1, 1], points = 5 }]\n', "contests[0].eligibility", "koc_tier"),
        ('\n[[contests]]\nid = "x"\nmetric = "count"\nkind = "post"\nperiod = "weekly"\n'
         'prizes = ["first"]\n', "contests[0].prizes[0]", ""),
    ],
)  # fmt: skip
def test_a_contest_of_the_wrong_shape_is_refused(body: str, table: str, field: str) -> None:
    if body.startswith("\ncontests ="):
        with pytest.raises(EconomyInvalid) as raised:
            parse_economy(body + BASE, "c.toml")
        found = [(i.table, i.field) for i in raised.value.issues]
    else:
        found = [(t, f) for t, f, _ in issues(body)]

    assert (table, field) in found


def test_a_contest_id_taken_twice_is_refused() -> None:
    one = '\n[[contests]]\nid = "x"\nmetric = "count"\nkind = "post"\nperiod = "weekly"\n'
    body = one + prize("[1, 1]") + one + prize("[1, 1]")

    assert [(t, f) for t, f, _ in issues(body)] == [("contests[1]", "id")]
