"""Typed wrappers of strawberry's field decorators: strawberry types its keyword form as
`Any` (it doubles as a dataclass field), which `mypy --strict` rejects on resolvers.
Fields and mutations made here refuse control characters in their arguments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import strawberry
from strawberry.permission import BasePermission

from api.text_checks import RefuseControlCharacters

F = TypeVar("F", bound=Callable[..., Any])
Permissions = Sequence[type[BasePermission]]


def field(*, permissions: Permissions = (), description: str | None = None) -> Callable[[F], F]:
    return cast(
        Callable[[F], F],
        strawberry.field(
            permission_classes=list(permissions),
            description=description,
            extensions=[RefuseControlCharacters(as_union=False)],
        ),
    )


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
