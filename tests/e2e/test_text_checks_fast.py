"""`api.text_checks`: the check of every string joined (`_none_refused`) in front of the
walk by paths gives the walk's answer: the same first refusal by the same path, or none,
for any argument value (strings with and without control characters, line breaks in free
text, JSON dicts and lists, global ids, dataclasses, input objects as graphql-core
coerces them), by hypothesis; and on the schema's own `recordActivities` field."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry import relay

from api import text_checks
from api.schema import build_schema
from api.settings import Settings

# Mostly plain text, sometimes a control character, a line break or a lone surrogate.
texts = st.text(
    alphabet=st.sampled_from(
        ["a", "Z", "é", " ", "\t", "\n", "\r", "\x00", "\x1b", "\x85", "\ud800"]
    ),
    max_size=6,
) | st.sampled_from(["", "plain", "line\nbreak"])


@dataclasses.dataclass
class Pair:
    left: object
    right: object


leaves = texts | st.integers() | st.none() | st.booleans() | st.builds(relay.GlobalID, texts, texts)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["reason", "note", "kind", "x\x00", "a"]), inner, max_size=3
        )
        | st.builds(Pair, inner, inner)
    ),
    max_leaves=12,
)
names = st.sampled_from(["reason", "note", "kind", "subject_id", "input"])


def by_paths(kwargs: dict[str, Any]) -> tuple[str, str] | None:
    """`refused_argument` without the joined check in front."""
    return text_checks._first_refused(
        text
        for name, value in kwargs.items()
        for text in text_checks._strings(value, text_checks._camel(name))
    )


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(names, values, max_size=3))
def test_refused_argument_is_the_walk_by_paths(kwargs: dict[str, Any]) -> None:
    assert text_checks.refused_argument(kwargs) == by_paths(kwargs)


_mutations = build_schema(Settings())._schema.mutation_type
assert _mutations is not None
RECORD_ACTIVITIES = _mutations.fields["recordActivities"]

record_items = st.fixed_dictionaries(
    {"memberId": st.builds(relay.GlobalID, texts, texts), "kind": texts, "idempotencyKey": texts},
    optional={"subjectId": texts | st.none(), "attributes": values},
)


@settings(max_examples=300, deadline=None)
@given(st.lists(record_items, max_size=3))
def test_refused_coerced_is_the_walk_by_paths(items: list[dict[str, Any]]) -> None:
    field = RECORD_ACTIVITIES
    arguments = {"input": items}
    expected = text_checks._first_refused(
        text
        for name, argument in field.args.items()
        if name in arguments
        for text in text_checks._coerced_strings(arguments[name], argument.type, name)
    )
    assert text_checks.refused_coerced(arguments, field) == expected


def test_a_value_too_deep_for_the_joined_check_goes_to_the_walk() -> None:
    deep: object = "\x00"
    for _ in range(5000):
        deep = [deep]
    try:
        expected: object = by_paths({"input": deep})
    except RecursionError as error:
        expected = type(error)
    try:
        answer: object = text_checks.refused_argument({"input": deep})
    except RecursionError as error:
        answer = type(error)
    assert answer == expected
