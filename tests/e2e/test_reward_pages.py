"""The points mall pages both ways and counts itself: `first`/`after`, `last`/`before` and
`totalCount` over the economy's rewards, in catalogue order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import load_economy
from domain.economy import Economy
from tests.e2e.conftest import Api, e2e_settings, live_server, reward_id

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $tier: ID) {
  rewards(first: $first, after: $after, last: $last, before: $before, tier: $tier) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Economy]]:
    directory: Path = tmp_path_factory.mktemp("pages")
    settings = e2e_settings(directory, f"sqlite:///{directory / 'pages.db'}")
    with live_server(settings) as server, httpx.Client(timeout=30) as client:
        yield Api(server.base_url, client), load_economy(settings.economy_path)


def _page(api: Api, **variables: Any) -> dict[str, Any]:
    page: dict[str, Any] = api.data(PAGE, variables)["rewards"]
    return page


def _ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


def test_total_count_counts_every_listed_reward(served: tuple[Api, Economy]) -> None:
    api, economy = served

    page = _page(api, first=1)

    assert page["totalCount"] == len(economy.rewards)


def test_last_gives_the_end_of_the_catalogue(served: tuple[Api, Economy]) -> None:
    api, economy = served

    page = _page(api, last=2)

    assert _ids(page) == [reward_id(r.id) for r in economy.rewards[-2:]]
    assert page["pageInfo"]["hasPreviousPage"] is True
    assert page["pageInfo"]["hasNextPage"] is False


def test_before_pages_backwards_to_the_start(served: tuple[Api, Economy]) -> None:
    api, economy = served
    end = _page(api, last=2)

    earlier = _page(api, last=3, before=end["pageInfo"]["startCursor"])

    expected = economy.rewards[-5:-2]
    assert _ids(earlier) == [reward_id(r.id) for r in expected]
    assert earlier["pageInfo"]["hasNextPage"] is True


def test_forward_and_backward_pages_meet(served: tuple[Api, Economy]) -> None:
    api, economy = served
    forward = _ids(_page(api, first=len(economy.rewards)))

    assert forward == [reward_id(r.id) for r in economy.rewards]
    assert _ids(_page(api, last=len(economy.rewards))) == forward


def test_total_count_follows_the_tier(served: tuple[Api, Economy]) -> None:
    api, economy = served
    tier = economy.rewards[0].tier

    page = _page(api, first=1, tier=tier)

    assert page["totalCount"] == sum(r.tier == tier for r in economy.rewards)


def test_a_negative_last_is_refused(served: tuple[Api, Economy]) -> None:
    api, _ = served

    body = api.post(PAGE, {"last": -1})

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
