"""Relay cursor connections (`edges { cursor node }`, `pageInfo`), generic over any node
type: strawberry's own are bound to `Node`, and ledger entries are not nodes."""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

from api.errors import bad_input
from api.settings import page_size_max

T = TypeVar("T")
page_size_default = 20


@strawberry.type(description="Information to aid in pagination.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="An edge in a connection.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list, with cursors to continue (keyset pagination).")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


def page_size(first: int) -> int:
    """`first` checked against the page limit (BAD_USER_INPUT outside 0..max)."""
    if not 0 <= first <= page_size_max:
        raise bad_input("first", f"must be between 0 and {page_size_max}")
    return first


def connection(edges: list[Edge[T]], has_next: bool, after: str | None) -> Connection[T]:
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
