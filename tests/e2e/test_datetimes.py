"""`DateTime` input read by `api.datetimes.fast_parser` is strawberry's own answer: the same
value, the same fields and the same time zone objects, or the same error, for the common
shape, near misses and anything else."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLScalarType
from hypothesis import given
from hypothesis import strategies as st
from strawberry.schema.types.base_scalars import DateTimeDefinition

from api.auth import Role, Viewer
from api.datetimes import fast_parser, install
from api.schema import build_schema
from api.settings import Settings
from tests.e2e.conftest import LeanPaths

strawberry_parse = DateTimeDefinition.parse_value
assert strawberry_parse is not None
fast_parse = fast_parser(strawberry_parse)


def outcome(parse: Any, value: object) -> tuple[str, object, object, object]:
    """What a parser answers: the value, its repr (fields and time zone), the time zone's
    type and identity; or the error's type and message."""
    try:
        parsed = parse(value)
    except Exception as error:
        return ("error", type(error), str(error), None)
    zone = getattr(parsed, "tzinfo", None)
    return (repr(parsed), type(zone), zone, parsed)


CASES = [
    "2026-12-04T01:02:03+00:00",
    "2026-12-04T01:02:03Z",
    "2026-12-04T01:02:03z",
    "2026-12-04T01:02:03-00:00",
    "2026-12-04T01:02:03+05:30",
    "2026-12-04T01:02:03-08:00",
    "2026-12-04T01:02:03.123+01:00",
    "2026-12-04T01:02:03.123456Z",
    "2026-12-04T01:02:03.1234567Z",
    "2026-12-04T01:02:03.12Z",
    "2026-12-04T01:02:03",
    "2026-12-04T24:00:00Z",
    "2026-12-04T24:30:00Z",
    "2026-12-04T23:59:60Z",
    "2026-13-04T01:02:03Z",
    "2026-02-30T01:02:03Z",
    "2026-12-04T01:02:03+24:00",
    "2026-12-04T01:02:03+23:60",
    "2026-12-04T01:02:03+0530",
    "2026-12-04 01:02:03Z",
    "2026-12-04",
    "2026-12-04T01:02",
    "20261204T010203Z",
    "０２０２-12-04T01:02:03Z",  # fullwidth digits: not the common shape
    "\u0662\u0660\u0662\u0666-12-04T01:02:03Z",  # Arabic-Indic digits: likewise
    "2026-12-04T01:02:03Z\n",
    "",
    "not a date",
    7,
    None,
]


@pytest.mark.parametrize("value", CASES)
def test_the_cases_parse_as_strawberry_parses_them(value: object) -> None:
    assert outcome(fast_parse, value) == outcome(strawberry_parse, value)


_digits = st.integers(0, 99).map(lambda n: f"{n:02d}")


@given(
    year=st.integers(1, 9999).map(lambda n: f"{n:04d}"),
    month=_digits,
    day=_digits,
    hour=_digits,
    minute=_digits,
    second=_digits,
    fraction=st.sampled_from(["", ".123", ".000000", ".999999", ".5", ".1234567"]),
    zone=st.sampled_from(["", "Z", "+00:00", "-00:00", "+01:00", "-12:45", "+23:59", "+24:00"])
    | st.tuples(st.sampled_from("+-"), _digits, _digits).map(lambda t: f"{t[0]}{t[1]}:{t[2]}"),
)
def test_the_common_shape_parses_as_strawberry_parses_it(
    year: str, month: str, day: str, hour: str, minute: str, second: str, fraction: str, zone: str
) -> None:
    value = f"{year}-{month}-{day}T{hour}:{minute}:{second}{fraction}{zone}"

    assert outcome(fast_parse, value) == outcome(strawberry_parse, value)


@given(value=st.text(max_size=40))
def test_any_text_parses_as_strawberry_parses_it(value: str) -> None:
    assert outcome(fast_parse, value) == outcome(strawberry_parse, value)


def test_the_lean_schema_reads_datetimes_by_the_fast_parser() -> None:
    lean, plain = build_schema(Settings()), build_schema(Settings(), lean=False)

    lean_type, plain_type = (s._schema.type_map["DateTime"] for s in (lean, plain))
    assert isinstance(lean_type, GraphQLScalarType)
    assert isinstance(plain_type, GraphQLScalarType)
    assert lean_type.coerce_input_value.__qualname__.startswith("fast_parser")
    assert lean_type.parse_value is lean_type.coerce_input_value
    assert plain_type.coerce_input_value is strawberry_parse  # each schema's scalar its own
    install(plain._schema)
    assert plain_type.coerce_input_value.__qualname__.startswith("fast_parser")
    fast = plain_type.coerce_input_value
    install(plain._schema)  # only strawberry's parser is replaced: not twice
    assert plain_type.coerce_input_value is fast


EXPLAIN = """
query($input: ExplainActivityInput!) { explainActivity(input: $input) {
  __typename ... on ActivityExplanation { points explanation } ... on UserError { message }
  ... on InvalidInput { field reason }
} }
"""


EXPLAIN_LITERAL = '{ explainActivity(input: {kind: "post", occurredAt: "@AT@"}) { __typename } }'


@pytest.mark.parametrize("occurred_at", [c for c in CASES if isinstance(c, str)] + [None, 7])
def test_datetimes_in_variables_and_literals_answer_alike(
    lean_paths: LeanPaths, occurred_at: object
) -> None:
    """Through the lean schema and the plain one (strawberry's parser): the same answers
    and errors, for variables and for literals."""
    viewer = Viewer(lean_paths.member, Role.MEMBER)
    variables = {"input": {"kind": "post", "occurredAt": occurred_at}}

    lean_paths.same(EXPLAIN, variables, viewer)
    if isinstance(occurred_at, str) and "\n" not in occurred_at:
        literal = EXPLAIN_LITERAL.replace("@AT@", occurred_at)
        lean_paths.same(literal, {}, viewer)
