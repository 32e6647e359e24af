"""Role definitions in the economy file: refused with file, line, table and field when
they cannot work; read into roles with their eligibility, seats, term and mentor fields."""

from __future__ import annotations

import pytest

from domain.economy import Role, parse_economy
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

[honors.badge]
manual = true

[honors.few]
manual = true
max_holders = 2

[honors.guide]
manual = true
tiers = [{ name = "bronze", at = 1 }, { name = "gold", at = 5 }]

[honors.streaker]
trigger = "activity_count"
kinds = ["post"]
tiers = [{ name = "one", at = 1 }]
"""

GOOD = """
[[roles]]
id = "moderator"
duties = "Keep the boards friendly."
entry = "application"
seats = 3
term_days = 30
min_level = "star"
honors = ["badge"]
honor = "badge"

[[roles]]
id = "council"
duties = "Advise the brand."
entry = "nomination"
nominated_by = ["moderator"]

[[roles]]
id = "mentor"
duties = "Welcome newcomers."
mentees = 4
mentee_level = "star"
mentor_honor = "guide"
"""


def issues(roles: str) -> list[tuple[str, str, int | None]]:
    with pytest.raises(EconomyInvalid) as raised:
        parse_economy(BASE + roles, "t.toml")
    assert all(i.source == "t.toml" for i in raised.value.issues)
    return [(i.table, i.field, i.line) for i in raised.value.issues]


def line_of(roles: str, text: str) -> int:
    return (BASE + roles).splitlines().index(text) + 1


def test_roles_are_read_with_their_eligibility_seats_terms_and_entry() -> None:
    economy = parse_economy(BASE + GOOD, "t.toml")

    assert economy.role("moderator") == Role(
        id="moderator",
        title="Moderator",
        duties="Keep the boards friendly.",
        seats=3,
        term_days=30,
        entry="application",
        min_level="star",
        honors=("badge",),
        honor="badge",
    )
    council, mentor = economy.role("council"), economy.role("mentor")
    assert council is not None
    assert council.nominated_by == ("moderator",)
    assert mentor is not None
    assert (mentor.entry, mentor.seats, mentor.term_days, mentor.mentees) == (
        "appointment", 1, 90, 4)  # fmt: skip
    assert economy.role("astronaut") is None


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('entry = "lottery"', "entry"),
        ("seats = 0", "seats"),
        ("term_days = 0", "term_days"),
        ('min_level = "legend"', "min_level"),
        ('honors = ["nobel"]', "honors"),
        ('honor = "streaker"', "honor"),
        ('honor = "nobel"', "honor"),
        ('nominated_by = ["moderator"]', "nominated_by"),
        ('mentee_level = "star"', "mentee_level"),
        ("mentees = 500", "mentees"),
        ('colour = "red"', "colour"),
    ],
)
def test_a_bad_role_field_is_refused_naming_its_table_field_and_line(line: str, field: str) -> None:
    body = f'\n[[roles]]\nid = "r1"\nduties = "Do it."\n{line}\n'

    found = issues(body)

    assert ("roles[0]", field, line_of(body, line)) in found


def test_a_role_without_duties_or_declared_twice_is_refused() -> None:
    body = '\n[[roles]]\nid = "r1"\n\n[[roles]]\nid = "r1"\nduties = "x"\n'
    found = {(table, field) for table, field, _ in issues(body)}
    assert {("roles[0]", "duties"), ("roles[1]", "id")} <= found


def test_nominators_must_be_other_declared_roles() -> None:
    body = ('\n[[roles]]\nid = "r1"\nduties = "x"\nentry = "nomination"\n'
            'nominated_by = ["r1", "ghost"]\n')  # fmt: skip
    found = issues(body)
    assert (
        sum(1 for table, field, _ in found if (table, field) == ("roles[0]", "nominated_by")) == 2
    )


def test_a_mentor_role_needs_its_level_and_a_tiered_honor() -> None:
    body = '\n[[roles]]\nid = "m"\nduties = "x"\nmentees = 2\nmentor_honor = "badge"\n'
    found = {(table, field) for table, field, _ in issues(body)}
    assert {("roles[0]", "mentee_level"), ("roles[0]", "mentor_honor")} <= found


def test_a_role_honor_capped_below_the_roles_seats_is_refused() -> None:
    body = '\n[[roles]]\nid = "r1"\nduties = "x"\nseats = 3\nhonor = "few"\n'
    assert ("roles[0]", "honor", line_of(body, 'honor = "few"')) in issues(body)
    fits = parse_economy(BASE + body.replace("seats = 3", "seats = 2"), "t.toml")
    assert [role.honor for role in fits.roles] == ["few"]


def test_the_guide_explains_each_role_its_way_in_its_term_and_mentoring() -> None:
    from domain.guide import build_guide
    from honorloop.guide_render import render_markdown, render_text

    guide = build_guide(parse_economy(BASE + GOOD, "t.toml"))

    moderator, council, mentor = guide.roles
    assert moderator.summary.startswith("Members apply; the team appoints. Needs level star")
    assert "3 seat(s); a term lasts 30 days" in moderator.summary
    assert "flagged to the team, not removed" in moderator.summary
    assert "holders of Moderator" in council.summary
    assert "up to 4 newcomers" in mentor.summary
    assert "toward the guide honor" in mentor.summary
    assert "HONOR ROLES" in render_text(guide)
    assert "| **Council** | Advise the brand.<br>By nomination" in render_markdown(guide)
