"""Typed wrappers of strawberry's field decorators: strawberry types its keyword form as
`Any` (it doubles as a dataclass field), which `mypy --strict` rejects on resolvers.
Fields and mutations made here refuse control characters in their arguments; a field that
takes none gets no check (there is nothing to check, and each field extension is one more
layer strawberry runs on every resolution)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission

from api.text_checks import RefuseControlCharacters

F = TypeVar("F", bound=Callable[..., Any])
Permissions = Sequence[type[BasePermission]]


_NOT_ARGUMENTS = frozenset({"self", "info", "root"})  # what strawberry passes itself


def takes_arguments(resolver: Callable[..., Any]) -> bool:
    """Whether the resolver declares GraphQL arguments (anything but self, info, root)."""
    return any(name not in _NOT_ARGUMENTS for name in inspect.signature(resolver).parameters)


def field(*, permissions: Permissions = (), description: str | None = None) -> Callable[[F], F]:
    def decorate(resolver: F) -> F:
        checks: list[FieldExtension] = (
            [RefuseControlCharacters(as_union=False)] if takes_arguments(resolver) else []
        )
        return cast(
            F,
            strawberry.field(
                resolver,
                permission_classes=list(permissions),
                description=description,
                extensions=checks,
            ),
        )

    return decorate


def mutation(*, permissions: Permissions = (), description: str | None = None) -> Callable[[F], F]:
    return cast(
        Callable[[F], F],
        strawberry.mutation(
            permission_classes=list(permissions),
            description=description,
            extensions=[RefuseControlCharacters(as_union=True)],  # InvalidInput, in every union
        ),
    )


def subscription(
    *, permissions: Permissions = (), description: str | None = None
) -> Callable[[F], F]:
    return cast(
        Callable[[F], F],
        strawberry.subscription(permission_classes=list(permissions), description=description),
    )
