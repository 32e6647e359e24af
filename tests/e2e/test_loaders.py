"""Relations are batched per request (DataLoaders): the number of units of work a request
opens does not grow with the number of members it lists."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from api.app import Opened, open_sql_store
from api.settings import Settings
from domain.economy import Economy
from domain.ports import UnitOfWork
from tests.e2e.conftest import Api, Member, e2e_settings, live_server


@dataclass
class CountingOpener:
    """Opens the real SQL store and counts the units of work made from it."""

    made: int = 0

    def __call__(self, settings: Settings, economy: Economy) -> Opened:
        real = open_sql_store(settings, economy)

        def store() -> UnitOfWork:
            self.made += 1
            return real.store()

        return Opened(store=store, ready=real.ready, close=real.close)


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, CountingOpener]]:
    directory = tmp_path_factory.mktemp("loaders")
    opener = CountingOpener()
    settings = e2e_settings(directory, f"sqlite:///{directory / 'loaders.db'}")
    with live_server(settings, opener) as server, httpx.Client(timeout=30) as client:
        yield Api(server.base_url, client), opener


LIST = """
query($first: Int!) {
  leaderboard(period: ALL_TIME, first: $first) {
    member { handle level { title } honors { honor { id } } points { available } }
  }
}
"""


def _units_for(api: Api, opener: CountingOpener, first: int) -> int:
    before = opener.made
    rows = api.data(LIST, {"first": first}, api.operator)["leaderboard"]
    assert len(rows) == first
    return opener.made - before


def test_listing_more_members_opens_no_more_units_of_work(
    counted: tuple[Api, CountingOpener],
) -> None:
    api, opener = counted
    for n in range(20):
        member = api.register(f"lb{n}")
        api.record(member, "post", subjectId=f"note-{n}")

    few = _units_for(api, opener, 2)
    many = _units_for(api, opener, 20)

    # the leaderboard, then its members' honors and balances: two batches ready in the
    # same turn of the event loop, read together in one unit of work
    assert many == few == 2


GRANT = """
mutation Grant($input: HonorInput!) {
  grantHonor(input: $input) { __typename }
}
"""

VIEWER = """
query($first: Int!, $after: String) {
  viewer {
    id
    points { available reserved lifetimeEarned }
    level { id progressToNext }
    honors { id tier active honor { id } }
    ledgerEntries(first: $first, after: $after) {
      edges { cursor node { seq kind amount at } }
      pageInfo { hasNextPage }
    }
    recent: ledgerEntries(first: 2) { edges { node { seq } } }
  }
}
"""

# The same fields, each inside a fragment: nothing is read ahead with the member, every
# relation goes through its own loader (the path the viewer took before it read ahead).
VIEWER_IN_FRAGMENTS = """
query($first: Int!, $after: String) {
  viewer {
    id
    ... on Member { points { available reserved lifetimeEarned } }
    ... on Member { level { id progressToNext } }
    ... on Member { honors { id tier active honor { id } } }
    ... on Member {
      ledgerEntries(first: $first, after: $after) {
        edges { cursor node { seq kind amount at } }
        pageInfo { hasNextPage }
      }
    }
    ... on Member { recent: ledgerEntries(first: 2) { edges { node { seq } } } }
  }
}
"""


def _viewer_member(api: Api) -> tuple[Member, str]:
    member = api.register("vw")
    for n in range(5):
        api.give(member, 10 + n)
    honor = {"memberId": member.id, "honorId": "mentor", "reason": "guides newcomers"}
    granted = api.data(GRANT, {"input": honor}, api.operator)["grantHonor"]
    assert granted["__typename"] == "HonorPayload", granted
    return member, api.member_token(member)


def test_a_viewer_with_its_honors_and_ledger_pages_is_one_unit_of_work(
    counted: tuple[Api, CountingOpener],
) -> None:
    api, opener = counted
    member, token = _viewer_member(api)

    before = opener.made
    viewer = api.data(VIEWER, {"first": 3}, token)["viewer"]

    assert opener.made - before == 1  # member, balances, honors and both pages together
    assert viewer["id"] == member.id
    assert "mentor" in [a["honor"]["id"] for a in viewer["honors"]]
    assert len(viewer["ledgerEntries"]["edges"]) == 3
    assert viewer["ledgerEntries"]["pageInfo"]["hasNextPage"] is True
    assert len(viewer["recent"]["edges"]) == 2


def test_the_viewer_read_ahead_answers_as_the_loaders_do(
    counted: tuple[Api, CountingOpener],
) -> None:
    api, opener = counted
    _, token = _viewer_member(api)
    first = api.data(VIEWER, {"first": 2}, token)["viewer"]
    after = first["ledgerEntries"]["edges"][-1]["cursor"]

    for variables in ({"first": 2}, {"first": 3, "after": after}, {"first": 0}):
        ahead = api.post(VIEWER, variables, token)
        before = opener.made
        loaded = api.post(VIEWER_IN_FRAGMENTS, variables, token)
        assert opener.made - before == 2  # the member, then its relations together
        assert ahead == loaded


@pytest.mark.parametrize(
    ("variables", "field"),
    [({"first": -1}, "first"), ({"first": 2, "after": "bm90LWEtY3Vyc29y"}, "after")],
)
def test_a_refused_page_argument_is_refused_as_before(
    counted: tuple[Api, CountingOpener], variables: dict[str, object], field: str
) -> None:
    api, _ = counted
    _, token = _viewer_member(api)

    ahead = api.post(VIEWER, variables, token)
    loaded = api.post(VIEWER_IN_FRAGMENTS, variables, token)

    for error in ahead["errors"] + loaded["errors"]:  # the documents differ in layout
        del error["locations"]
    assert ahead == loaded
    assert ahead["data"]["viewer"]["ledgerEntries"] is None
    (error,) = ahead["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field
