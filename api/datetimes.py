"""The `DateTime` scalar's input parse without dateutil for the common shape.

Strawberry parses `DateTime` input with `dateutil.parser.isoparse` (wrapped by
`strawberry.schema.types.base_scalars.wrap_parser`): ~20-30 µs a value in Python, 3.5% of
a `recordActivity`'s event-loop time for its one `occurredAt`. The standard library's
`datetime.fromisoformat` (C) reads the same value in well under a microsecond. The two do
not agree on every string, so only one shape takes that way, the one clients send:

    YYYY-MM-DDTHH:MM:SS[.fff|.ffffff][Z|±HH:MM]

For it the answer is built to be isoparse's: the same fields, and the same time zone
objects (a zero offset and `Z` are `dateutil.tz.UTC`, another offset
`dateutil.tz.tzoffset(None, seconds)`, none stays naive). Any other string, any value
`fromisoformat` refuses (a 13th month, a 24th hour, which isoparse reads as the next
midnight) and any offset beyond ±23:59 goes to strawberry's own parser, which answers it
(value or error) as it always did."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from dateutil import tz  # type: ignore[import-untyped]  # strawberry's dependency, no stubs
from graphql import GraphQLScalarType, GraphQLSchema
from strawberry.schema.types.base_scalars import DateTimeDefinition

_D: Final = "[0-9]"  # ASCII digits only (`\d` takes any Unicode digit): others go to isoparse
_COMMON: Final = re.compile(
    f"{_D}{{4}}-{_D}{{2}}-{_D}{{2}}T{_D}{{2}}:{_D}{{2}}:{_D}{{2}}"
    f"(?:\\.{_D}{{3}}|\\.{_D}{{6}})?(Z|[+-]{_D}{{2}}:{_D}{{2}})?"
)
_STRAWBERRYS: Final = DateTimeDefinition.parse_value  # isoparse, wrapped (not None)


def fast_parser(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`parse` (strawberry's `DateTime` parser) with the common shape read directly."""

    def parse_value(value: Any) -> Any:
        if type(value) is not str:
            return parse(value)
        found = _COMMON.fullmatch(value)
        if found is None:
            return parse(value)
        offset = found.group(1)
        try:
            naive = datetime.fromisoformat(value[: found.start(1)] if offset else value)
        except ValueError:
            return parse(value)  # isoparse's answer: its error, or hour 24's next midnight
        if offset is None:
            return naive
        if offset == "Z":
            return naive.replace(tzinfo=tz.UTC)
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            return parse(value)  # isoparse's error
        if hours == 0 and minutes == 0:
            return naive.replace(tzinfo=tz.UTC)
        sign = -1 if offset[0] == "-" else 1
        return naive.replace(tzinfo=tz.tzoffset(None, sign * (hours * 60 + minutes) * 60))

    return parse_value


def install(schema: GraphQLSchema) -> None:
    """The schema's `DateTime`, when it is strawberry's, reads input by `fast_parser`:
    variables (`coerce_input_value`) and literals (its `parse_literal` calls that too),
    and `parse_value`, the same function under graphql-core's older name."""
    scalar = schema.type_map.get("DateTime")
    if isinstance(scalar, GraphQLScalarType) and scalar.coerce_input_value is _STRAWBERRYS:
        fast = fast_parser(_STRAWBERRYS)
        scalar.coerce_input_value = fast
        scalar.parse_value = fast  # type: ignore[method-assign, assignment]
