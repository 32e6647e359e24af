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
from tests.e2e.conftest import Api, e2e_settings, live_server


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

    assert many == few == 3  # the leaderboard, then one batch of honors, one of balances
