"""What every mutation resolver shares: running one command (a domain error becomes its
schema type) and naming who the token says is acting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from api.context import Info
from api.errors import user_error
from api.loaders import Loaders
from domain.errors import DomainError

P = TypeVar("P")


async def attempt(info: Info, act: Callable[[], Awaitable[P]]) -> Any:
    """Run one command; a domain error becomes its schema type. Loaders are renewed so the
    payload reads what the command wrote."""
    try:
        result = await act()
    except DomainError as error:
        return user_error(error)
    finally:
        info.context.loaders = Loaders.create(info.context.runtime)
    return result


def viewer_member(info: Info) -> str:
    viewer = info.context.viewer
    assert viewer is not None, "guarded by IsMember"
    assert viewer.member_id is not None, "guarded by IsMember"
    return viewer.member_id


def actor(info: Info) -> str:
    viewer = info.context.viewer
    assert viewer is not None, "guarded by a role permission"
    return viewer.actor


def caller(info: Info) -> str:
    """Whose idempotency keys the command's are (see `domain.idempotency`)."""
    viewer = info.context.viewer
    assert viewer is not None, "guarded by a role permission"
    return viewer.principal
