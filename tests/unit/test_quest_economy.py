"""Quest definitions in the economy file: refused with file, line, table and field when
they cannot work; listed in the guide with what they ask and pay."""

from __future__ import annotations

import pytest

from domain.economy import parse_economy
from domain.errors import EconomyInvalid
from domain.guide import build_guide
from honorloop.guide_render import render_markdown, render_text
from tests.unit.builders import economy_from

BASE = """[economy]
id = "q"
timezone = "Asia/Shanghai"

[rules.post]
kind = "post"
points = 5

[reward_tiers.perks]

[rewards.mug]
tier = "perks"
price = 100

[rewards.code]
tier = "perks"
price = 100
fulfilment = "coupon_code"

[honors.star]
manual = true

[honors.first_post]
trigger = "activity_count"
kinds = ["post"]
tiers = [{ name = "first", at = 1 }]

[[levels]]
id = "newcomer"
threshold = 0
"""


def issues(quests: str) -> list[tuple[str, str, int | None]]:
    with pytest.raises(EconomyInvalid) as raised:
        parse_economy(BASE + quests, "q.toml")
    return [(i.table, i.field, i.line) for i in raised.value.issues]


def line_of(quests: str, text: str) -> int:
    return (BASE + quests).splitlines().index(text) + 1


@pytest.mark.parametrize(
    ("body", "table", "field", "marker"),
    [
        ('kind = "hourly"', "quests[0]", "kind", 'kind = "hourly"'),
        ("capacity = 0", "quests[0]", "capacity", "capacity = 0"),
        (
            "starts = 2026-02-01T00:00:00+08:00\nends = 2026-01-01T00:00:00+08:00",
            "quests[0]",
            "ends",
            "ends = 2026-01-01T00:00:00+08:00",
        ),
        (
            'eligibility = { min_level = "legend" }',
            "quests[0].eligibility",
            "min_level",
            'eligibility = { min_level = "legend" }',
        ),
    ],
)
def test_a_bad_quest_field_is_refused_naming_its_table_field_and_line(
    body: str, table: str, field: str, marker: str
) -> None:
    quests = f"""
[[quests]]
id = "bad"
{body}
[[quests.steps]]
kind = "post"
[quests.reward]
points = 5
"""
    assert issues(quests) == [(table, field, line_of(quests, marker))]


@pytest.mark.parametrize(
    ("reward", "field", "marker"),
    [
        ('honor = "nope"', "honor", 'honor = "nope"'),
        ('honor = "first_post"', "honor", 'honor = "first_post"'),  # automatic: not grantable
        ('coupon = "mug"', "coupon", 'coupon = "mug"'),  # not a coupon-code reward
        ("points = -1", "points", "points = -1"),
    ],
)
def test_a_quest_reward_that_cannot_be_paid_is_refused(
    reward: str, field: str, marker: str
) -> None:
    quests = f"""
[[quests]]
id = "bad"
[[quests.steps]]
kind = "post"
[quests.reward]
{reward}
"""
    assert issues(quests) == [("quests[0].reward", field, line_of(quests, marker))]


def test_a_quest_step_of_an_unknown_kind_is_refused() -> None:
    quests = """
[[quests]]
id = "first"
[[quests.steps]]
kind = "post"
[[quests.steps]]
kind = "selfie"
[quests.reward]
points = 5
"""
    assert issues(quests) == [("quests[0].steps[1]", "kind", line_of(quests, 'kind = "selfie"'))]


def test_a_quest_without_steps_or_reward_or_with_a_taken_id_is_refused() -> None:
    quests = """
[[quests]]
id = "twice"
[quests.reward]
points = 5

[[quests]]
id = "twice"
[[quests.steps]]
kind = "post"
"""
    found = [(table, field) for table, field, _ in issues(quests)]
    assert found == [
        ("quests[0]", "steps"),
        ("quests[1]", "id"),
        ("quests[1].reward", ""),
    ]


def test_the_guide_lists_each_quest_with_what_it_asks_and_pays() -> None:
    economy = economy_from(
        """
[rules.post]
kind = "post"
points = 5

[honors.star]
title = "Star"
manual = true

[[quests]]
id = "theme"
title = "Photo theme"
guideline = "Two posts with photos."
kind = "monthly"
opt_in = true
claim = true
capacity = 50
[[quests.steps]]
kind = "post"
count = 2
when = ["photos >= 1"]
[quests.reward]
points = 100
honor = "star"
"""
    )

    guide = build_guide(economy)

    (quest,) = guide.quests
    assert quest.steps == ("2 × post with photos >= 1",)
    assert quest.summary == (
        "Every month: 2 × post with photos >= 1, for 100 points and the Star honor. "
        "Join first. Claim the reward before the period ends. The first 50 finishers are paid."
    )
    assert "Photo theme" in render_text(guide)
    assert "| **Photo theme** | Two posts with photos.<br>Every month:" in render_markdown(guide)
