"""The economy file: every mistake a designer can make is reported with the file, the
table, the field and the line; the shipped economy is valid; the public guide built from
it says what each contribution earns."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from domain.economy import Economy, parse_economy
from domain.errors import EconomyInvalid, EconomyIssue
from domain.guide import Guide, build_guide, guide_data
from honorloop.guide_render import render_markdown, render_text
from tests.unit.builders import SAMPLE_ECONOMY

SOURCE = "shop.toml"


# --- builders -----------------------------------------------------------------------------


def sample_text() -> str:
    return SAMPLE_ECONOMY.read_text(encoding="utf-8")


def broken_sample(old: str, new: str) -> str:
    """The shipped economy with one edit; `old` must occur in it exactly once."""
    text = sample_text()
    assert text.count(old) == 1, f"the sample economy should contain {old!r} once"
    return text.replace(old, new)


def issues_of(text: str) -> list[EconomyIssue]:
    with pytest.raises(EconomyInvalid) as caught:
        parse_economy(text, SOURCE)
    return caught.value.issues


def only_issue(text: str) -> EconomyIssue:
    issues = issues_of(text)
    assert len(issues) == 1, "\n".join(str(i) for i in issues)
    return issues[0]


def line_of(text: str, snippet: str, occurrence: int = 0) -> int:
    """1-based line of the `occurrence`-th line containing `snippet`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if snippet in line]
    return hits[occurrence]


def small_economy(extra: str = "", levels: str = "") -> str:
    levels = levels or '[[levels]]\nid = "newcomer"\nthreshold = 0\n'
    return (
        '[economy]\nid = "small"\ntimezone = "UTC"\n\n'
        '[rules.post]\nkind = "post"\npoints = 5\n\n'
        f"{levels}\n{extra}"
    )


# --- the shipped economy ------------------------------------------------------------------


def test_shipped_economy_is_valid_and_complete() -> None:
    economy = parse_economy(sample_text(), str(SAMPLE_ECONOMY))

    rule_ids = {r.id for r in economy.rules}
    assert {"daily_check_in", "like_or_comment", "post", "post_with_photos", "short_video",
            "deep_article", "content_featured", "answer_question", "official_event",
            "viral_note"} <= rule_ids  # fmt: skip
    assert len(economy.levels) >= 5
    assert economy.koc is not None
    assert [t.id for t in economy.koc.tiers] == ["junior", "intermediate", "senior"]
    assert {h.id for h in economy.honors if h.manual} >= {
        "founding_100", "honorary_moderator", "mentor", "advisory_council"}  # fmt: skip
    assert [t.id for t in economy.reward_tiers] == ["merch", "practical", "ultimate"]


def test_shipped_economy_levels_carry_the_seed_privileges() -> None:
    economy = parse_economy(sample_text(), str(SAMPLE_ECONOMY))

    privileges = " ".join(p.lower() for lv in economy.levels for p in lv.privileges)

    assert "name colour" in privileges
    assert "core-member group" in privileges
    assert "launch event" in privileges
    assert any(lv.hall_of_fame for lv in economy.levels)


# --- each kind of mistake names table, field and line ------------------------------------


def test_unknown_field_in_a_rule_names_the_rule_the_field_and_its_line() -> None:
    text = broken_sample('title = "Post"\n', 'title = "Post"\npointz = 5\n')

    issue = only_issue(text)

    assert (issue.source, issue.table, issue.field) == (SOURCE, "rules.post", "pointz")
    assert "unknown field" in issue.message
    assert issue.line == line_of(text, "pointz = 5")


def test_wrong_type_names_the_field_and_the_value() -> None:
    text = broken_sample("points = 30\n", 'points = "thirty"\n')

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("rules.short_video", "points")
    assert "whole number" in issue.message
    assert "'thirty'" in issue.message
    assert issue.line == line_of(text, 'points = "thirty"')


def test_condition_with_bad_syntax_is_reported_on_its_line() -> None:
    text = broken_sample('when = ["seconds >= 15"]', 'when = ["seconds => 15"]')

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("rules.short_video", "when")
    assert "'seconds => 15'" in issue.message
    assert issue.line == line_of(text, "seconds => 15")


def test_reward_gated_by_an_unknown_level_names_min_level() -> None:
    text = broken_sample('min_level = "navigator"', 'min_level = "admiral"')

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("rewards.vip_invitation", "min_level")
    assert "'admiral'" in issue.message
    assert issue.line == line_of(text, 'min_level = "admiral"')


def test_threshold_not_above_the_previous_level_points_at_that_levels_entry() -> None:
    text = broken_sample("threshold = 4000", "threshold = 1000")

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("levels[3]", "threshold")
    assert "'navigator'" in issue.message
    assert issue.line == line_of(text, "threshold = 1000", occurrence=1)


def test_keep_above_threshold_points_at_the_line_of_the_right_level() -> None:
    text = broken_sample("keep = 500", "keep = 5000")

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("levels[3]", "keep")
    assert issue.line == line_of(text, "keep = 5000")


def test_unknown_field_in_the_second_koc_tier_gets_that_entrys_line() -> None:
    text = broken_sample("within_days = 30\n", "within_days = 30\nwithin_weeks = 4\n")

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("koc.tiers[1]", "within_weeks")
    assert issue.line == line_of(text, "within_weeks")


def test_field_missing_from_an_array_entry_points_at_the_entry_header() -> None:
    text = broken_sample('id = "regular"\n', "")

    issues = issues_of(text)

    missing = next(i for i in issues if i.field == "id")
    assert missing.table == "levels[1]"
    assert missing.message == "is required"
    assert missing.line == line_of(text, "[[levels]]", occurrence=1)


def test_manual_honor_with_a_trigger_is_rejected() -> None:
    moderator = 'description = "Keeps a board friendly and useful."\n'
    text = broken_sample(moderator, moderator + 'trigger = "streak"  # by mistake\n')

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("honors.honorary_moderator", "trigger")
    assert "manual" in issue.message
    assert issue.line == line_of(text, "# by mistake")


def test_unknown_time_zone_names_the_timezone_field() -> None:
    text = broken_sample('timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghia"')

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("economy", "timezone")
    assert "IANA" in issue.message
    assert issue.line == line_of(text, "Asia/Shanghia")


def test_invalid_toml_reports_the_line_and_the_table_it_is_in() -> None:
    text = broken_sample("points = 15\n", "points = 15\npoints 16\n")

    issue = only_issue(text)

    assert issue.table == "rules.post_with_photos"
    assert issue.message.startswith("not valid TOML")
    assert issue.line == line_of(text, "points 16")


def test_reward_in_an_unknown_tier_names_the_tier_field() -> None:
    text = broken_sample('tier = "ultimate"\nprice = 12000', 'tier = "ultimat"\nprice = 12000')

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("rewards.vip_invitation", "tier")
    assert issue.line == line_of(text, 'tier = "ultimat"')


def test_bad_period_in_the_second_inline_limit_names_that_limit() -> None:
    text = broken_sample(
        '{ period = "week", max_count = 7 }', '{ period = "fortnight", max_count = 7 }'
    )

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("rules.short_video.limits[1]", "period")
    assert "'fortnight'" in issue.message
    assert issue.line == line_of(text, "fortnight")


def test_limit_without_a_maximum_is_rejected() -> None:
    text = broken_sample(
        'limits = [{ period = "day", max_count = 20 }]', 'limits = [{ period = "day" }]'
    )

    issue = only_issue(text)

    assert issue.table == "rules.like_or_comment.limits[0]"
    assert "max_count, max_points or both" in issue.message


def test_wrong_type_inside_an_inline_streak_table_is_located() -> None:
    text = broken_sample("bonus_per_day = 1", 'bonus_per_day = "one"')

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("rules.daily_check_in.streak", "bonus_per_day")
    assert issue.line == line_of(text, 'bonus_per_day = "one"')


def test_rule_after_an_unconditional_rule_of_its_group_can_never_fire() -> None:
    text = small_economy(
        '[rules.post_with_photos]\nkind = "post"\npoints = 15\nwhen = ["photos >= 1"]\n'
    )

    issue = only_issue(text)

    assert issue.table == "rules.post_with_photos"
    assert "can never fire" in issue.message
    assert "'post'" in issue.message
    assert issue.line == line_of(text, "[rules.post_with_photos]")


def test_rules_in_different_groups_of_one_kind_both_fire_so_order_does_not_matter() -> None:
    text = small_economy('[rules.post_bonus]\nkind = "post"\npoints = 1\ngroup = "bonus"\n')

    economy = parse_economy(text, SOURCE)

    assert [r.id for r in economy.rules_by_kind["post"]] == ["post", "post_bonus"]


def test_streak_honor_needs_a_rule_that_counts_a_streak() -> None:
    text = broken_sample('rule = "daily_check_in"', 'rule = "like_or_comment"')

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("honors.streak_keeper", "rule")
    assert "'like_or_comment'" in issue.message


def test_honor_counting_an_activity_kind_nothing_records_is_a_typo() -> None:
    text = broken_sample('kinds = ["answer"]', 'kinds = ["answers"]')

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("honors.helper", "kinds")
    assert "'answers'" in issue.message
    assert issue.line == line_of(text, 'kinds = ["answers"]')


def test_koc_tier_without_criteria_could_never_be_reached() -> None:
    text = broken_sample("min_notes = 1\n", "")

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("koc.tiers[0]", "min_notes")
    assert "'junior'" in issue.message


def test_unknown_top_level_table_is_reported_at_its_header() -> None:
    text = broken_sample(
        "[reward_tiers.merch]", "[reward_shelves.merch]\ntitle = 'x'\n\n[reward_tiers.merch]"
    )

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("", "reward_shelves")
    assert issue.line == line_of(text, "[reward_shelves.merch]")


def test_missing_economy_table_is_required() -> None:
    text = '[rules.post]\nkind = "post"\npoints = 5\n\n[[levels]]\nid = "newcomer"\nthreshold = 0\n'

    issues = issues_of(text)

    assert any(i.table == "economy" and "required" in i.message for i in issues)


def test_first_level_must_start_at_zero() -> None:
    text = small_economy(levels='[[levels]]\nid = "newcomer"\nthreshold = 10\n')

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("levels[0]", "threshold")
    assert issue.line == line_of(text, "threshold = 10")


def test_level_ids_must_be_unique() -> None:
    levels = '[[levels]]\nid = "a"\nthreshold = 0\n\n[[levels]]\nid = "a"\nthreshold = 10\n'

    issue = only_issue(small_economy(levels=levels))

    assert (issue.table, issue.field) == ("levels", "id")
    assert "unique" in issue.message


def test_review_floor_must_name_a_level() -> None:
    text = broken_sample('floor = "regular"', 'floor = "veteran"')

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("level_review", "floor")
    assert issue.line == line_of(text, 'floor = "veteran"')


def test_stock_is_a_number_or_unlimited() -> None:
    text = broken_sample("stock = 40\n", 'stock = "plenty"\n')

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("rewards.deep_service", "stock")
    assert '"unlimited"' in issue.message


def test_availability_window_must_end_after_it_starts() -> None:
    text = broken_sample(
        'fulfilment = "manual"\n\n[rewards.vip_invitation]',
        'fulfilment = "manual"\navailable_from = 2027-02-01T00:00:00+08:00\n'
        "available_until = 2027-01-01T00:00:00+08:00\n\n[rewards.vip_invitation]",
    )

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("rewards.deep_service", "available_until")


def test_availability_without_an_offset_is_rejected() -> None:
    text = broken_sample("stock = 40\n", "stock = 40\navailable_from = 2027-01-01T00:00:00\n")

    issue = only_issue(text)

    assert (issue.table, issue.field) == ("rewards.deep_service", "available_from")
    assert "offset" in issue.message


def test_every_mistake_in_a_file_is_reported_at_once() -> None:
    text = broken_sample('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"')
    text = text.replace('tier = "ultimate"\nprice = 12000', 'tier = "gold"\nprice = 12000')
    text = text.replace("keep = 500", "keep = 5000")

    issues = issues_of(text)

    assert {(i.table, i.field) for i in issues} == {
        ("economy", "timezone"),
        ("rewards.vip_invitation", "tier"),
        ("levels[3]", "keep"),
    }


def test_issue_reads_as_file_line_table_field_message() -> None:
    text = broken_sample("keep = 500", "keep = 5000")

    issue = only_issue(text)

    assert str(issue) == (
        f"{SOURCE}:{issue.line}: [levels[3]] keep: level 'navigator': keep (5000) cannot "
        "exceed its threshold (4000)"
    )


# --- the public guide -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> Economy:
    return parse_economy(sample_text(), str(SAMPLE_ECONOMY))


@pytest.fixture(scope="module")
def guide(sample: Economy) -> Guide:
    return build_guide(sample)


def test_guide_lists_every_rule_in_file_order(sample: Economy, guide: Guide) -> None:
    assert [r.id for r in guide.rules] == [r.id for r in sample.rules]


def test_guide_states_the_streak_bonus_and_when_it_stops_growing(guide: Guide) -> None:
    check_in = next(r for r in guide.rules if r.id == "daily_check_in")

    assert check_in.streak is not None
    assert (check_in.streak.bonus_per_day, check_in.streak.max_bonus) == (1, 5)
    assert check_in.streak.max_bonus_from_day == 6  # day 1 earns no bonus, day 6 earns +5
    assert [(m.day, m.points) for m in check_in.streak.milestones] == [(7, 10), (30, 50)]
    assert check_in.max_points_per_activity == 2 + 5 + 50


def test_guide_states_per_unit_points_and_their_ceiling(guide: Guide) -> None:
    article = next(r for r in guide.rules if r.id == "deep_article")

    assert article.per_unit is not None
    assert article.per_unit.max_points == 100
    assert article.max_points_per_activity == 150
    assert article.earns == "50 points + 10 per 500 words (up to +100)"


def test_guide_names_the_exclusive_alternatives_of_a_rule(guide: Guide) -> None:
    post = next(r for r in guide.rules if r.id == "post")

    assert post.exclusive_with == ("post_with_photos",)
    assert any("first that applies" in line for line in post.restrictions)


def test_guide_lists_the_rules_exempt_from_the_daily_cap(sample: Economy, guide: Guide) -> None:
    assert guide.daily_cap.points == sample.daily_cap
    assert set(guide.daily_cap.exempt_rules) == {
        r.id for r in sample.rules if r.exempt_from_daily_cap
    }


def test_guide_limits_read_as_plain_words(guide: Guide) -> None:
    video = next(r for r in guide.rules if r.id == "short_video")
    featured = next(r for r in guide.rules if r.id == "content_featured")

    assert [lim.summary for lim in video.limits] == [
        "at most twice a day",
        "at most 7 times a week",
    ]
    assert featured.limits[0].summary == "up to 1,000 points a month"


def test_guide_level_ladder_has_thresholds_keep_marks_and_the_next_step(guide: Guide) -> None:
    ladder = [(lv.id, lv.threshold, lv.next_threshold) for lv in guide.levels]

    assert ladder[0] == ("newcomer", 0, 200)
    assert ladder[-1][2] is None
    assert guide.level_review.floor_title == "Regular"


def test_guide_rewards_are_grouped_by_tier_with_unlimited_stock_as_none(guide: Guide) -> None:
    merch = guide.reward_tiers[0]
    sticker = next(r for r in merch.rewards if r.id == "sticker_pack")
    vip = next(r for t in guide.reward_tiers for r in t.rewards if r.id == "vip_invitation")

    assert sticker.stock is None
    assert (vip.price, vip.stock, vip.per_member_limit, vip.min_level_title) == (
        12000, 20, 1, "Navigator")  # fmt: skip


def test_guide_honor_criteria_name_the_tiers(guide: Guide) -> None:
    streak = next(h for h in guide.honors if h.id == "streak_keeper")
    founders = next(h for h in guide.honors if h.id == "founding_100")

    assert "bronze at 7" in streak.criteria
    assert "Daily check-in" in streak.criteria
    assert founders.manual
    assert founders.max_holders == 100
    assert "at most 100 members" in founders.criteria


def test_guide_as_json_data_round_trips_with_the_availability_window() -> None:
    text = broken_sample(
        "stock = 40\n",
        "stock = 40\navailable_from = 2027-01-01T00:00:00+08:00\n"
        "available_until = 2027-02-01T00:00:00+08:00\n",
    )
    guide = build_guide(parse_economy(text, SOURCE))

    data = json.loads(json.dumps(guide_data(guide)))

    deep = next(r for t in data["reward_tiers"] for r in t["rewards"] if r["id"] == "deep_service")
    assert deep["available_from"] == "2027-01-01T00:00:00+08:00"
    assert datetime.fromisoformat(deep["available_until"]).month == 2
    assert "available 2027-01-01 00:00 to 2027-02-01 00:00" in render_text(guide)


def test_text_guide_shows_every_title_and_fits_a_terminal(guide: Guide) -> None:
    text = render_text(guide)

    titles = [r.title for r in guide.rules] + [lv.title for lv in guide.levels]
    titles += [h.title for h in guide.honors] + [t.title for t in guide.reward_tiers]
    titles += [r.title for t in guide.reward_tiers for r in t.rewards]
    assert all(title in text for title in titles)
    assert max(len(line) for line in text.splitlines()) <= 100


def test_markdown_guide_escapes_pipes_in_designer_text() -> None:
    text = broken_sample('title = "Post"\n', 'title = "Post | text"\n')
    guide = build_guide(parse_economy(text, SOURCE))

    markdown = render_markdown(guide)

    assert "**Post \\| text**" in markdown
    row = next(line for line in markdown.splitlines() if "Post \\| text" in line)
    assert row.replace("\\|", "").count("|") == 4  # three columns, unbroken


def test_guide_of_a_rule_paying_only_per_unit_reads_naturally() -> None:
    text = small_economy(
        '[rules.review]\nkind = "review"\npoints = 0\n'
        'per_unit = { attribute = "stars", points = 2, max_units = 5 }\n'
        "cooldown_seconds = 3600\n"
    )

    review = next(r for r in build_guide(parse_economy(text, SOURCE)).rules if r.id == "review")

    assert review.earns == "2 points per unit of stars (up to 10)"
    assert review.max_points_per_activity == 10
    assert "Wait 1 hour between awards." in review.restrictions


def test_guide_of_a_minimal_economy_renders_in_every_format() -> None:
    guide = build_guide(parse_economy(small_economy(), SOURCE))

    text, markdown = render_text(guide), render_markdown(guide)

    assert guide.koc is None
    assert guide.expiry is None
    assert guide.daily_cap.summary == "No daily cap."
    assert "KOC TIERS" not in text
    assert "## KOC tiers" not in markdown
    assert json.loads(json.dumps(guide_data(guide)))["rules"][0]["id"] == "post"


@pytest.mark.parametrize("wrong_value", ['"text"', "-1", "[]", "{ a = 1 }"])
def test_a_wrong_value_anywhere_is_reported_with_a_line_never_a_crash(wrong_value: str) -> None:
    lines = sample_text().splitlines()
    assignments = [n for n, line in enumerate(lines) if "=" in line and not line.startswith("#")]
    reported: list[EconomyInvalid] = []

    for n in assignments[::8]:  # a spread of fields over every table of the file
        key = lines[n].split("=", 1)[0]
        mutated = [*lines[:n], f"{key}= {wrong_value}", *lines[n + 1 :]]
        try:
            parse_economy("\n".join(mutated), SOURCE)
        except EconomyInvalid as invalid:
            reported.append(invalid)

    for problem in reported:
        assert all(issue.line is not None for issue in problem.issues), problem
    assert len(reported) > len(assignments[::8]) // 2
