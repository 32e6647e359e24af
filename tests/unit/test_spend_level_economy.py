"""Spend-driven levels in the economy file: `spend_min`, `purchases_min`, `keep_spend` and
`keep_purchases` on `[[levels]]`, `purchase_kind` and `amount_attribute` in
`[level_review]`. Every mistake names the file, the line, the table and the field; the
shipped retail economy is valid and its guide says what reaches and keeps each level."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain import levels
from domain.calendar import day_number
from domain.economy import parse_economy
from domain.errors import EconomyInvalid, EconomyIssue
from domain.guide import build_guide
from honorloop.economy_cmd import summary
from honorloop.guide_render import render_markdown, render_text
from tests.unit.builders import World, local, sample_economy

SOURCE = "retail.toml"
RETAIL = Path(__file__).resolve().parents[2] / "economies" / "retail_membership.toml"
HEAD = """[economy]
id = "small"
timezone = "UTC"

[rules.purchase]
kind = "purchase"
points = 0
per_unit = { attribute = "amount", size = 1000, points = 1 }
once_per_subject = true

"""
GOOD_LEVELS = """[[levels]]
id = "member"
threshold = 0

[[levels]]
id = "silver"
spend_min = 10000

[[levels]]
id = "gold"
spend_min = 50000
purchases_min = 3
"""


def issues_of(text: str) -> list[EconomyIssue]:
    with pytest.raises(EconomyInvalid) as caught:
        parse_economy(text, SOURCE)
    return caught.value.issues


def only_issue(text: str) -> EconomyIssue:
    issues = issues_of(text)
    assert len(issues) == 1, "\n".join(str(i) for i in issues)
    return issues[0]


def line_of(text: str, snippet: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if snippet in line)


def test_a_spend_ladder_parses_with_keep_marks_defaulting_to_the_reach() -> None:
    economy = parse_economy(HEAD + GOOD_LEVELS, SOURCE)

    gold = economy.levels[2]
    assert (gold.threshold, gold.spend_min, gold.purchases_min) == (0, 50000, 3)
    assert (gold.keep_spend, gold.keep_purchases) == (50000, 3)
    assert economy.spend_kind == "purchase"


def test_a_ladder_of_points_counts_no_spend() -> None:
    assert sample_economy().spend_kind is None


def test_a_level_asking_for_less_spend_than_the_one_below_names_the_field_and_line() -> None:
    text = HEAD + GOOD_LEVELS.replace("spend_min = 50000", "spend_min = 5000")

    issue = only_issue(text)

    assert (issue.source, issue.table, issue.field) == (SOURCE, "levels[2]", "spend_min")
    assert "'silver'" in issue.message
    assert issue.line == line_of(text, "spend_min = 5000")


def test_a_level_needing_nothing_more_than_the_one_below_is_refused() -> None:
    text = HEAD + GOOD_LEVELS.replace("spend_min = 50000\npurchases_min = 3", "spend_min = 10000")

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("levels[2]", "threshold")
    assert "raise threshold, spend_min or purchases_min" in issue.message


def test_a_keep_mark_above_the_reach_is_refused() -> None:
    text = HEAD + GOOD_LEVELS + "keep_spend = 60000\n"

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("levels[2]", "keep_spend")
    assert issue.line == line_of(text, "keep_spend = 60000")


def test_the_first_level_cannot_ask_for_spend() -> None:
    text = HEAD + GOOD_LEVELS.replace("threshold = 0\n", "threshold = 0\npurchases_min = 1\n", 1)

    issues = issues_of(text)

    assert ("levels[0]", "purchases_min") in [(i.table, i.field) for i in issues]


def test_spend_criteria_without_a_rule_recording_the_purchase_kind_name_it() -> None:
    text = HEAD + '[level_review]\npurchase_kind = "order"\n\n' + GOOD_LEVELS

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("level_review", "purchase_kind")
    assert "'order'" in issue.message
    assert issue.line == line_of(text, 'purchase_kind = "order"')


def test_a_spend_beyond_any_amount_is_out_of_range() -> None:
    text = HEAD + GOOD_LEVELS.replace("spend_min = 50000", "spend_min = 5000000000")

    issue = issues_of(text)[0]

    assert (issue.table, issue.field) == ("levels[2]", "spend_min")
    assert "between 0 and 1000000000" in issue.message
    assert issue.line == line_of(text, "spend_min = 5000000000")


def test_the_shipped_retail_economy_is_valid_and_says_it_is_driven_by_spend() -> None:
    economy = parse_economy(RETAIL.read_text(encoding="utf-8"), str(RETAIL))

    assert [lv.id for lv in economy.levels] == ["member", "silver", "gold", "platinum"]
    assert "4 levels (by spend)" in summary(economy)
    platinum = economy.levels[3]
    assert (platinum.threshold, platinum.spend_min, platinum.purchases_min) == (500, 2000000, 6)


def test_the_guide_says_what_reaches_and_keeps_each_level() -> None:
    guide = build_guide(parse_economy(RETAIL.read_text(encoding="utf-8"), str(RETAIL)))

    gold = guide.levels[2]
    assert gold.reached_by == "5,000.00 spent and 3 purchases in 90 days"
    assert gold.kept_by == "3,000.00 spent and 2 purchases in 90 days"
    assert guide.levels[3].reached_by == "500 points; 20,000.00 spent and 6 purchases in 90 days"
    assert "spend and purchases over the last 90 days" in guide.level_review.summary
    assert "5,000.00 spent and 3 purchases in 90 days" in render_text(guide)
    assert "| 3 | Gold | 5,000.00 spent and 3 purchases in 90 days |" in render_markdown(guide)


def test_the_sample_economy_pays_points_for_a_purchase_and_takes_a_cars_price() -> None:
    world = World(sample_economy())
    alice = world.join("alice")
    at = local(2026, 3, 2)

    car = world.record(alice, "purchase", at, "order-car", amount=30_000_000)  # 300,000.00
    shirt = world.record(alice, "purchase", at, "order-shirt", amount=12_999)

    assert (car.points, shirt.points) == (1000, 12)  # 1 per full 10.00, at most 1,000
    assert world.balances(alice).pending == 1012  # through the 14-day return window
    assert world.record(alice, "purchase", at, "order-shirt", amount=12_999).points == 0


def test_other_activities_on_a_spend_ladder_mark_no_order_and_store_no_spend() -> None:
    economy = parse_economy(
        HEAD + '[rules.post]\nkind = "post"\npoints = 5\n\n' + GOOD_LEVELS, SOURCE
    )
    world = World(economy)
    alice = world.join("alice")
    marks = len(world.store.state.subjects)

    for n in range(3):
        world.record(alice, "post", local(2026, 3, 2), f"post-{n}")

    assert len(world.store.state.subjects) == marks
    assert "spend_by_day" not in world.member(alice).progress.to_primitives()
    world.record(alice, "purchase", local(2026, 3, 2), "order-1", amount=100)
    assert "spend_by_day" in world.member(alice).progress.to_primitives()


def test_progress_to_next_is_the_least_advanced_criterion_of_the_next_level() -> None:
    economy = parse_economy(HEAD + GOOD_LEVELS, SOURCE)
    world = World(economy)
    alice = world.join("alice")
    at = local(2026, 3, 2)
    today = day_number(at, economy.timezone)

    assert levels.progress_to_next(economy, world.member(alice), today) == 0.0
    world.record(alice, "purchase", at, "order-1", amount=5000)
    assert levels.progress_to_next(economy, world.member(alice), today) == 0.5  # 5,000 / 10,000
    world.record(alice, "purchase", at, "order-2", amount=20000)  # silver; gold next
    member = world.member(alice)
    assert member.level_id == "silver"
    assert levels.progress_to_next(economy, member, today) == pytest.approx(min(25 / 50, 2 / 3))
    world.record(alice, "purchase", at, "order-3", amount=30000)
    member = world.member(alice)
    assert (member.level_id, levels.progress_to_next(economy, member, today)) == ("gold", 1.0)
