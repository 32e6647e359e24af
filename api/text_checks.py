"""Every string argument is checked before a resolver sees it (`domain.text`): a control
character anywhere in the arguments — a plain string, an input object's field, a key or
value inside JSON, the id inside a global id — is refused, naming the argument.

A mutation answers with its `InvalidInput { field }` member (every mutation's result
union has one); a query with a `BAD_USER_INPUT` error. So both stores see the same
strings, and PostgreSQL never meets the NUL that it cannot store."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from enum import Enum
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
)
from strawberry import relay
from strawberry.extensions import FieldExtension

from api.errors import bad_input, invalid_input
from domain.text import control_reason, has_control

free_text_fields = frozenset({"reason", "note"})  # may hold tab and line breaks
_CAMEL = re.compile(r"_([a-z0-9])")


def _camel(name: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def _leaf(path: str) -> str:
    """The last field name of a path like `input[2].reason`."""
    return path.rsplit(".", 1)[-1].split("[", 1)[0]


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Every string inside an argument value, with the path that names it."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, relay.GlobalID):
        yield path, value.type_name
        yield path, value.node_id
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield path, key
            yield from _strings(item, path)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type | Enum):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name), f"{path}.{_camel(f.name)}")


def _coerced_strings(
    value: object, type_: GraphQLInputType, path: str
) -> Iterator[tuple[str, str]]:
    """As `_strings`, over an argument as graphql-core coerced it: input objects are dicts
    by the schema's field names (in the schema's order, which is the input class's), so
    the type says which dicts are input objects and which are JSON values."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if value is None:
        return
    if isinstance(type_, GraphQLList) and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _coerced_strings(item, type_.of_type, f"{path}[{index}]")
    elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
        for name, field in type_.fields.items():
            if name in value:
                yield from _coerced_strings(value[name], field.type, f"{path}.{name}")
    else:
        yield from _strings(value, path)


def _gather(value: object, found: list[str]) -> None:
    """Every string `_strings` finds in `value` (and, under `_coerced_strings`, the field
    names of input objects too, which are the schema's), without their paths."""
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, relay.GlobalID):
        found.append(value.type_name)
        found.append(value.node_id)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                found.append(key)
            _gather(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _gather(item, found)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type | Enum):
        for f in dataclasses.fields(value):
            _gather(getattr(value, f.name), found)


def _none_refused(values: Iterable[object]) -> bool:
    """True when no string in the values holds a character that any field refuses: then
    there is no first refusal to find. The walk and one search of the strings joined (the
    patterns match single characters, so joining makes no match) cost a fraction of
    naming each string's path and searching each; False sends the caller to that walk."""
    found: list[str] = []
    try:
        for value in values:
            _gather(value, found)
    except RecursionError:
        return False  # the walk by paths decides, as it did before
    return not has_control("".join(found))  # the stricter check of the two (domain.text)


def refused_coerced(arguments: dict[str, Any], field: GraphQLField) -> tuple[str, str] | None:
    """`refused_argument` of a field's arguments before strawberry converts them (the lean
    resolvers of `api.lean`): the same first refusal, by the same path."""
    if _none_refused(arguments[name] for name in field.args if name in arguments):
        return None
    return _first_refused(
        text
        for name, argument in field.args.items()
        if name in arguments
        for text in _coerced_strings(arguments[name], argument.type, name)
    )


def refused_argument(kwargs: dict[str, Any]) -> tuple[str, str] | None:
    """(argument path, reason) for the first string that may not be stored, else None."""
    if _none_refused(kwargs.values()):
        return None
    return _first_refused(
        text for name, value in kwargs.items() for text in _strings(value, _camel(name))
    )


def _first_refused(strings: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """(path, reason) of the first (path, text) that may not be stored, else None."""
    for path, text in strings:
        free = _leaf(path) in free_text_fields
        if has_control(text, free_text=free):
            return path, control_reason(free)
    return None


class RefuseControlCharacters(FieldExtension):
    """Checks a field's arguments; `as_union` fields answer with `InvalidInput`."""

    def __init__(self, *, as_union: bool) -> None:
        self.as_union = as_union

    def refusal(self, kwargs: dict[str, Any]) -> object | None:
        """None when the arguments (by their Python names) may pass; else the
        `InvalidInput` to answer (`as_union`), or the `BAD_USER_INPUT` error raised."""
        refused = refused_argument(kwargs)
        if refused is None:
            return None
        path, reason = refused
        if self.as_union:
            return invalid_input(path, reason)
        raise bad_input(path, reason)

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        refusal = self.refusal(kwargs)
        return refusal if refusal is not None else next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        refusal = self.refusal(kwargs)
        return refusal if refusal is not None else await next_(source, info, **kwargs)
