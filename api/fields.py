"""Typed wrappers of strawberry's field decorators: strawberry types its keyword form as
`Any` (it doubles as a dataclass field), which `mypy --strict` rejects on resolvers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import strawberry
from strawberry.permission import BasePermission

F = TypeVar("F", bound=Callable[..., Any])
Permissions = Sequence[type[BasePermission]]


def field(*, permissions: Permissions = (), description: str | None = None) -> Callable[[F], F]:
    return cast(
        Callable[[F], F],
        strawberry.field(permission_classes=list(permissions), description=description),
    )


def mutation(*, permissions: Permissions = (), description: str | None = None) -> Callable[[F], F]:
    return cast(
        Callable[[F], F],
        strawberry.mutation(permission_classes=list(permissions), description=description),
    )


def subscription(
    *, permissions: Permissions = (), description: str | None = None
) -> Callable[[F], F]:
    return cast(
        Callable[[F], F],
        strawberry.subscription(permission_classes=list(permissions), description=description),
    )
