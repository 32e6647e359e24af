"""Who may read or do what, declared on fields (strawberry permission classes).

Roles: `member` reads and acts only as itself; `operator` manages members, honors,
redemptions and adjustments; `service` ingests activities and registers members. A
missing or refused token fails with UNAUTHENTICATED, a wrong role with FORBIDDEN.
Object-level reads through `node(id)` use `can_see`, the same rule as `IsSelfOrOperator`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from strawberry.permission import BasePermission

from api.auth import Role, Viewer
from api.context import Context, Info
from api.errors import FORBIDDEN, unauthenticated


class Owned(Protocol):
    """A type whose fields belong to one member (the permission reads `owner_id`)."""

    owner_id: str


def can_see(viewer: Viewer | None, owner_id: str) -> bool:
    """A member sees only its own private data; operators see everyone's."""
    if viewer is None:
        return False
    return viewer.role is Role.OPERATOR or viewer.member_id == owner_id


def _viewer(info: Info) -> Viewer:
    return viewer_of(info.context)


def viewer_of(context: Context) -> Viewer:
    """The viewer the token names; UNAUTHENTICATED when there is none."""
    viewer = context.viewer
    if viewer is None:
        reason = context.auth_error
        raise unauthenticated(reason) if reason else unauthenticated()
    return viewer


class _Roles(BasePermission):
    roles: ClassVar[frozenset[Role]] = frozenset()
    error_extensions: ClassVar[dict[str, object]] = {"code": FORBIDDEN}  # type: ignore[misc]

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return self.allows(info.context)

    def allows(self, context: Context) -> bool:
        return viewer_of(context).role in self.roles

    def require(self, context: Context) -> Viewer:
        """As strawberry checks it on a field: the viewer, else the same error raised."""
        viewer = viewer_of(context)
        if viewer.role not in self.roles:
            self.on_unauthorized()
        return viewer


class IsAuthenticated(_Roles):
    message = "sign in first"
    roles = frozenset(Role)


class IsMember(_Roles):
    message = "only a member token may do this (it acts as that member)"
    roles = frozenset({Role.MEMBER})


class IsOperator(_Roles):
    message = "only an operator may do this"
    roles = frozenset({Role.OPERATOR})


class IsService(_Roles):
    message = "only a service (server-to-server) token may do this"
    roles = frozenset({Role.SERVICE})


class IsServiceOrOperator(_Roles):
    message = "only a service or an operator may do this"
    roles = frozenset({Role.SERVICE, Role.OPERATOR})


class IsMemberOrOperator(_Roles):
    message = "only a member (for itself) or an operator may do this"
    roles = frozenset({Role.MEMBER, Role.OPERATOR})


class IsSelfOrOperator(BasePermission):
    """On fields of member-owned types: the member itself, or an operator."""

    message = "this belongs to another member"
    error_extensions: ClassVar[dict[str, object]] = {"code": FORBIDDEN}  # type: ignore[misc]

    def has_permission(self, source: Owned, info: Info, **kwargs: Any) -> bool:
        return can_see(_viewer(info), source.owner_id)


class ActsForOwnMember(BasePermission):
    """On fields taking `input.memberId`: a member may name only itself (or omit it);
    operators and services may name anyone."""

    message = "a member may only act as itself"
    error_extensions: ClassVar[dict[str, object]] = {"code": FORBIDDEN}  # type: ignore[misc]

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = _viewer(info)
        if viewer.role is not Role.MEMBER:
            return True
        named = getattr(kwargs.get("input"), "member_id", None)
        return named is None or named.node_id == viewer.member_id
