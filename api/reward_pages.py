"""The rewards connection pages both ways and counts: the mall is the economy's list, in
memory, so `last`/`before` and `totalCount` cost nothing (unlike the ledger's connections,
which page by keyset over the database and stay forward-only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import strawberry

from api.connections import Connection, Edge, PageInfo, page_size, page_size_default
from api.errors import bad_input
from api.settings import page_size_max
from api.types import Reward

T = TypeVar("T")


@strawberry.type(description="A page of the points mall, with the number of rewards listed.")
class RewardConnection(Connection[Reward]):
    total_count: int = strawberry.field(description="Rewards listed (after `tier`), all pages.")


def relay_slice(
    items: Sequence[tuple[int, T]],
    first: int | None,
    after: int | None,
    last: int | None,
    before: int | None,
) -> tuple[list[tuple[int, T]], bool, bool]:
    """Relay's pagination algorithm over (position, item) pairs in order: the items between
    the cursors, then the first `first`, then the last `last`. Returns the page with
    (has_previous_page, has_next_page)."""
    if first is None and last is None:
        first = page_size_default
    window = [
        pair
        for pair in items
        if (after is None or pair[0] > after) and (before is None or pair[0] < before)
    ]
    has_previous = after is not None  # as the forward-only connections answer it
    has_next = before is not None
    if first is not None:
        has_next = has_next or len(window) > page_size(first)
        window = window[:first]
    if last is not None:
        if not 0 <= last <= page_size_max:
            raise bad_input("last", f"must be between 0 and {page_size_max}")
        has_previous = has_previous or len(window) > last
        window = window[len(window) - last :] if last else []
    return window, has_previous, has_next


def page_info(edges: Sequence[Edge[T]], has_previous: bool, has_next: bool) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
