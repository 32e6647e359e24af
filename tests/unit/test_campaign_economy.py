"""Campaign definitions in the economy file: refused with file, line, table and field when
they cannot work; read with their window, eligibility, quotas, selection, what they give
and the task they ask for."""

from __future__ import annotations

import pytest

from domain.economy import Campaign, parse_economy
from domain.errors import EconomyInvalid

BASE = """[economy]
id = "t"
timezone = "Asia/Shanghai"

[rules.post]
kind = "post"
points = 5

[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "star"
threshold = 100

[koc]
note_kinds = ["post"]
metrics_kind = "note_metrics"

[[koc.tiers]]
id = "junior"
min_notes = 1

[honors.badge]
manual = true

[reward_tiers.merch]
title = "Merch"

[rewards.mug]
title = "Mug"
tier = "merch"
price = 10
stock = 5
fulfilment = "shipping"

[rewards.voucher]
title = "Voucher"
tier = "merch"
price = 10
stock = 5
fulfilment = "coupon_code"

[[tasks]]
id = "review"
guideline = "Write a review."
points = 50
"""

GOOD = """
[[campaigns]]
id = "trial"
title = "Trial"
description = "Try the product."
opens = 2027-03-01T10:00:00
closes = "2027-03-15T10:00"
places = 5
selection = "ranked"
confirm_days = 2
eligibility.min_level = "star"
eligibility.koc_tiers = ["junior"]
eligibility.honors = ["badge"]
eligibility.not_selected_days = 30
quotas = { levels = { star = 3 }, koc_tiers = { junior = 2 } }
weights = { note_interactions = 1, level_rank = 10 }
gives = { points = 20, reward = "mug", coupon = "voucher" }
task = "review"
"""


def issues(body: str) -> list[tuple[str, str, int | None]]:
    with pytest.raises(EconomyInvalid) as raised:
        parse_economy(BASE + body, "t.toml")
    assert all(i.source == "t.toml" for i in raised.value.issues)
    return [(i.table, i.field, i.line) for i in raised.value.issues]


def line_of(body: str, text: str) -> int:
    return (BASE + body).splitlines().index(text) + 1


def test_a_campaign_is_read_with_its_window_eligibility_quotas_selection_gifts_and_task() -> None:
    economy = parse_economy(BASE + GOOD, "t.toml")

    assert economy.campaign("trial") == Campaign(
        id="trial",
        title="Trial",
        description="Try the product.",
        opens="2027-03-01T10:00",
        closes="2027-03-15T10:00",
        places=5,
        method="ranked",
        confirm_days=2,
        min_level="star",
        koc_tiers=("junior",),
        honors=("badge",),
        cooldown_days=30,
        level_quotas=(("star", 3),),
        koc_quotas=(("junior", 2),),
        weights=(1, 0, 10),
        points=20,
        reward="mug",
        coupon="voucher",
        task="review",
    )
    assert economy.campaign("ghost") is None


MINIMAL = (
    '\n[[campaigns]]\nid = "c1"\ndescription = "x"\nopens = 2027-03-01T10:00:00\n'
    "closes = 2027-03-02T10:00:00\nplaces = 3\n"
)


@pytest.mark.parametrize(
    ("line", "table", "field"),
    [
        ('selection = "raffle"', "campaigns[0]", "selection"),
        ("confirm_days = 0", "campaigns[0]", "confirm_days"),
        ('task = "ghost"', "campaigns[0]", "task"),
        ('colour = "red"', "campaigns[0]", "colour"),
        ("weights = { level_rank = 1 }", "campaigns[0]", "weights"),
        ('eligibility = { min_level = "legend" }', "campaigns[0].eligibility", "min_level"),
        ('eligibility = { koc_tiers = ["senior"] }', "campaigns[0].eligibility", "koc_tiers"),
        ('eligibility = { honors = ["nobel"] }', "campaigns[0].eligibility", "honors"),
        ("eligibility = { not_selected_days = -1 }", "campaigns[0].eligibility",
         "not_selected_days"),
        ('eligibility = { age = 3 }', "campaigns[0].eligibility", "age"),
        ("quotas = { levels = { legend = 1 } }", "campaigns[0].quotas", "levels"),
        ("quotas = { levels = { star = 9 } }", "campaigns[0].quotas", "levels"),
        ("quotas = { koc_tiers = { senior = 1 } }", "campaigns[0].quotas", "koc_tiers"),
        ('gives = { reward = "voucher" }', "campaigns[0].gives", "reward"),
        ('gives = { reward = "ghost" }', "campaigns[0].gives", "reward"),
        ('gives = { coupon = "mug" }', "campaigns[0].gives", "coupon"),
        ("gives = { points = -5 }", "campaigns[0].gives", "points"),
    ],
)  # fmt: skip
def test_a_bad_campaign_field_is_refused_naming_its_table_field_and_line(
    line: str, table: str, field: str
) -> None:
    body = MINIMAL + line + "\n"

    found = issues(body)

    assert (table, field, line_of(body, line)) in found


@pytest.mark.parametrize(
    ("opens", "closes", "field"),
    [
        ("2027-03-01T10:00:00+08:00", "2027-03-02T10:00:00", "opens"),
        ("2027-03-01T10:00:00", '"2027-03-02T10:00+08:00"', "closes"),
        ("2027-03-02T10:00:00", "2027-03-01T10:00:00", "closes"),
        ('"next monday"', "2027-03-02T10:00:00", "opens"),
        ("12", "2027-03-02T10:00:00", "opens"),
    ],
)
def test_a_window_with_an_offset_backwards_or_not_a_time_is_refused(
    opens: str, closes: str, field: str
) -> None:
    body = (f'\n[[campaigns]]\nid = "c1"\ndescription = "x"\nopens = {opens}\n'
            f"closes = {closes}\nplaces = 3\n")  # fmt: skip
    assert ("campaigns[0]", field) in {(t, f) for t, f, _ in issues(body)}


def test_places_and_the_window_are_required_and_a_campaign_declared_twice_is_refused() -> None:
    body = '\n[[campaigns]]\nid = "c1"\n\n' + MINIMAL.replace('id = "c1"', 'id = "c1"', 1)
    found = {(table, field) for table, field, _ in issues(body)}
    assert {
        ("campaigns[0]", "places"),
        ("campaigns[0]", "opens"),
        ("campaigns[0]", "closes"),
        ("campaigns[0]", "description"),
        ("campaigns[1]", "id"),
    } <= found


def test_a_ranked_selection_needs_a_weight() -> None:
    body = MINIMAL + 'selection = "ranked"\n'
    assert ("campaigns[0]", "weights") in {(t, f) for t, f, _ in issues(body)}


def test_the_check_command_names_the_file_line_table_and_field(tmp_path: object) -> None:
    from pathlib import Path

    from honorloop.cli import main

    path = Path(str(tmp_path)) / "bad.toml"
    body = MINIMAL + 'task = "ghost"\n'
    path.write_text(BASE + body, encoding="utf-8")
    import contextlib
    import io

    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        code = main(["economy", "check", str(path)])
    assert code != 0
    line = line_of(body, 'task = "ghost"')
    assert f"{path}:{line}: [campaigns[0]] task: names unknown task" in errors.getvalue()


def test_the_guide_explains_the_window_eligibility_selection_gifts_and_task() -> None:
    from domain.guide import build_guide
    from honorloop.guide_render import render_markdown, render_text

    guide = build_guide(parse_economy(BASE + GOOD, "t.toml"))

    (trial,) = guide.campaigns
    assert trial.summary.startswith(
        "Apply from 2027-03-01 10:00 to 2027-03-15 10:00 (Asia/Shanghai time) for 5 place(s)."
    )
    assert "Needs level star or above" in trial.summary
    assert "no campaign place in the last 30 days" in trial.summary
    assert "highest declared scores (note interactions x1, level rank x10)" in trial.summary
    assert "Participants get 20 points" in trial.summary
    assert "owes the task" in trial.summary
    assert "CAMPAIGNS" in render_text(guide)
    assert "| **Trial** | Try the product.<br>Apply from" in render_markdown(guide)


def test_the_sample_economy_has_a_lottery_product_trial_with_the_review_task() -> None:
    from pathlib import Path

    text = Path("economies/koc_community.toml").read_text(encoding="utf-8")
    economy = parse_economy(text, "koc_community.toml")
    (trial,) = economy.campaigns
    assert (trial.method, trial.task) == ("lottery", "product_review_note")
    assert trial.places >= 1
    assert trial.cooldown_days > 0
