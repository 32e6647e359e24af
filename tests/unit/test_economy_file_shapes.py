"""The economy file's shape: a table written as a value, a list where a table belongs, a
missing section or one too many entries is refused with one problem that names the
table and the field, never a crash and never a silent default."""

from __future__ import annotations

import pytest

from domain.economy import levels_max, parse_economy, rules_max
from domain.errors import EconomyInvalid, EconomyIssue

SOURCE = "shape.toml"
HEADER = '[economy]\nid = "shape"\ntimezone = "UTC"\n\n'
POST_RULE = '[rules.post]\nkind = "post"\npoints = 5\n\n'
ONE_LEVEL = '[[levels]]\nid = "newcomer"\nthreshold = 0\n\n'


# --- builders -----------------------------------------------------------------------------


def economy_text(
    rules: str = POST_RULE, levels: str = ONE_LEVEL, extra: str = "", top: str = ""
) -> str:
    """`top` holds root keys, which TOML only reads before the first table."""
    return f"{top}{HEADER}{rules}{levels}{extra}"


def only_issue(text: str) -> EconomyIssue:
    with pytest.raises(EconomyInvalid) as refused:
        parse_economy(text, SOURCE)
    issues = refused.value.issues
    assert len(issues) == 1, "\n".join(str(i) for i in issues)
    return issues[0]


def many_rules(count: int) -> str:
    return "".join(f'[rules.r{n}]\nkind = "k{n}"\npoints = 1\n\n' for n in range(count))


def many_levels(count: int) -> str:
    return "".join(f'[[levels]]\nid = "l{n}"\nthreshold = {n * 10}\n\n' for n in range(count))


KOC_TIER = '[[koc.tiers]]\nid = "junior"\nmin_notes = 3\n\n'


# --- the specifications -------------------------------------------------------------------


def test_the_builder_economy_is_valid() -> None:
    # given the smallest economy these specs start from
    economy = parse_economy(economy_text(), SOURCE)

    # then it parses, so each refusal below comes from its one change
    assert [r.id for r in economy.rules] == ["post"]
    assert [lv.id for lv in economy.levels] == ["newcomer"]


@pytest.mark.parametrize(
    ("text", "table", "field", "message"),
    [
        pytest.param(
            economy_text(rules=""),
            "rules",
            "",
            "at least one earning rule is required",
            id="no-rules",
        ),
        pytest.param(
            economy_text(rules="[rules]\npost = 5\n\n"),
            "rules",
            "post",
            "must be a table",
            id="rule-as-a-value",
        ),
        pytest.param(
            economy_text(rules='[rules.Post]\nkind = "post"\npoints = 5\n\n'),
            "rules.Post",
            "",
            "'Post' must be lower_snake_case (a-z, 0-9, _)",
            id="rule-id-not-snake-case",
        ),
        pytest.param(
            economy_text(rules='[rules.post]\nkind = "post"\n\n'),
            "rules.post",
            "points",
            "is required",
            id="rule-without-points",
        ),
        pytest.param(
            economy_text(rules=POST_RULE.replace("points = 5", "points = 5\nstreak = 5")),
            "rules.post",
            "streak",
            "must be a table, got int",
            id="streak-as-a-value",
        ),
        pytest.param(
            economy_text(rules=POST_RULE.replace("points = 5", "points = 5\nlimits = [1]")),
            "rules.post.limits[0]",
            "",
            "each limit must be a table like {period='day', max_count=1}",
            id="limit-as-a-value",
        ),
        pytest.param(
            economy_text(rules=POST_RULE + "[rules.post.streak]\nmilestones = { first = 5 }\n\n"),
            "rules.post.streak",
            "milestones",
            "'first' must be a streak length in days",
            id="milestone-not-a-day-count",
        ),
        pytest.param(
            economy_text(rules=POST_RULE + '[rules.post.streak]\nmilestones = { "0" = 5 }\n\n'),
            "rules.post.streak",
            "milestones",
            "'0' must be a streak length in days",
            id="milestone-on-day-zero",
        ),
        pytest.param(
            economy_text(levels="", top="levels = []\n"),
            "levels",
            "",
            "at least one [[levels]] entry is required",
            id="no-levels",
        ),
        pytest.param(
            economy_text(levels="", top="levels = [1]\n"),
            "levels[0]",
            "",
            "each level must be a table",
            id="level-as-a-value",
        ),
        pytest.param(
            economy_text(extra='[koc]\nnote_kinds = ["post"]\n\n'),
            "koc",
            "tiers",
            "at least one [[koc.tiers]] entry is required",
            id="koc-without-tiers",
        ),
        pytest.param(
            economy_text(extra='[koc]\nnote_kinds = ["post"]\ntiers = [1]\n\n'),
            "koc.tiers[0]",
            "",
            "each tier must be a table",
            id="koc-tier-as-a-value",
        ),
        pytest.param(
            economy_text(extra="[koc]\n\n" + KOC_TIER),
            "koc",
            "note_kinds",
            "name at least one activity kind that publishes a note",
            id="koc-without-note-kinds",
        ),
        pytest.param(
            economy_text(
                extra='[koc]\nnote_kinds = ["post"]\n\n'
                '[[koc.tiers]]\nid = "viral"\nmin_notes = 3\nviral_interactions = 100\n\n'
            ),
            "koc.tiers[0]",
            "min_notes",
            "tier 'viral': a viral tier is reached by one note with viral_interactions; "
            "drop min_notes",
            id="viral-koc-tier-with-a-note-count",
        ),
        pytest.param(
            economy_text(extra='[koc]\nnote_kinds = ["post"]\n\n' + KOC_TIER + KOC_TIER),
            "koc",
            "tiers",
            "KOC tier ids must be unique",
            id="koc-tier-ids-repeated",
        ),
        pytest.param(
            economy_text(extra="[honors]\nfirst_post = 5\n\n"),
            "honors",
            "first_post",
            "must be a table",
            id="honor-as-a-value",
        ),
        pytest.param(
            economy_text(
                extra='[honors.poster]\ntrigger = "activity_count"\nkinds = ["post"]\n'
                'tiers = [1, { name = "bronze", at = 1 }]\n\n'
            ),
            "honors.poster.tiers[0]",
            "",
            "each tier must be a table like {name='gold', at=100}",
            id="honor-tier-as-a-value",
        ),
        pytest.param(
            economy_text(extra='[honors.arrived]\ntrigger = "level_reached"\nlevel = "summit"\n\n'),
            "honors.arrived",
            "level",
            "must name a level, got 'summit'",
            id="honor-for-an-unknown-level",
        ),
        pytest.param(
            economy_text(
                extra='[honors.viral]\ntrigger = "viral_note"\n'
                'tiers = [{ name = "once", at = 1 }]\n\n'
            ),
            "honors.viral",
            "interactions",
            "a viral_note honor needs the interactions threshold",
            id="viral-honor-without-a-threshold",
        ),
        pytest.param(
            economy_text(extra="[reward_tiers]\nmerch = 5\n\n"),
            "reward_tiers",
            "merch",
            "must be a table",
            id="reward-tier-as-a-value",
        ),
        pytest.param(
            economy_text(extra="[rewards]\nmug = 5\n\n"),
            "rewards",
            "mug",
            "must be a table",
            id="reward-as-a-value",
        ),
    ],
)
def test_a_misshapen_table_is_refused_with_one_problem_naming_it(
    text: str, table: str, field: str, message: str
) -> None:
    # when the economy is read
    issue = only_issue(text)

    # then the one problem says where and what
    assert (issue.source, issue.table, issue.field, issue.message) == (
        SOURCE,
        table,
        field,
        message,
    )


def test_more_rules_than_the_bound_are_refused_once() -> None:
    # given one rule more than an economy may declare
    text = economy_text(rules=many_rules(rules_max + 1))

    # when it is read
    issue = only_issue(text)

    # then the bound is named, once, for the whole table
    assert (issue.table, issue.field) == ("rules", "")
    assert issue.message == f"at most {rules_max} rules are allowed"


def test_more_levels_than_the_bound_are_refused_once() -> None:
    # given one level more than an economy may declare
    text = economy_text(levels=many_levels(levels_max + 1))

    # when it is read
    issue = only_issue(text)

    # then the bound is named, once, for the whole ladder
    assert (issue.table, issue.field) == ("levels", "")
    assert issue.message == f"at most {levels_max} levels are allowed"


def test_a_problem_in_a_table_written_as_a_value_points_at_its_line() -> None:
    # given a reward written as a plain value on a known line
    text = economy_text(extra="[rewards]\nmug = 5\n\n")
    line = text.splitlines().index("mug = 5") + 1

    # when it is read
    issue = only_issue(text)

    # then the problem carries that line
    assert issue.line == line
