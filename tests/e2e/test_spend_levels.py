"""Over HTTP, on SQLite and PostgreSQL, with the shipped retail economy: purchases
(`recordActivity` of kind `purchase`, the order id as subject, `amount` in cents) move a
member up a spend-driven ladder at once; `level.progress` shows spend and purchases in the
window against the next level and the keep marks, privately like `progressToNext`; a
refund (`reverseActivity`) takes the spend back without a level change until the review;
the guide lists what reaches and keeps each level."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.settings import Settings
from tests.e2e.conftest import DATABASES, SECRET, Api, Member, database_url, live_server

RETAIL = Path(__file__).resolve().parents[2] / "economies" / "retail_membership.toml"
LEVEL = """
query($id: ID!) {
  node(id: $id) {
    ... on Member {
      level {
        id progressToNext nextLevel { id }
        progress {
          windowDays qualifyingPoints windowPoints spend purchases
          nextThreshold nextSpend nextPurchases keepPoints keepSpend keepPurchases
        }
      }
    }
  }
}
"""
REVERSE = """
mutation($input: ReverseActivityInput!) {
  reverseActivity(input: $input) { __typename ... on ReverseActivityPayload { activityId } }
}
"""
GUIDE = (
    "{ economy { levels { id spendMin purchasesMin keepSpend keepPurchases reachedBy keptBy } } }"
)


@pytest.fixture(scope="module", params=DATABASES)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("spend")
    with database_url(request.param, directory) as url:
        settings = Settings(economy_path=str(RETAIL), database_url=url, jwt_secret=SECRET)
        with live_server(settings.validated()) as server, httpx.Client(timeout=30) as client:
            yield Api(server.base_url, client)


def _buy(api: Api, member: Member, order: str, amount: int) -> dict[str, Any]:
    result = api.record(member, "purchase", subjectId=order, attributes={"amount": amount})
    assert result["__typename"] == "RecordActivityPayload", result
    return result


def _level(api: Api, member: Member, token: str | None = None) -> dict[str, Any]:
    body = api.data(LEVEL, {"id": member.id}, token=token or api.member_token(member))
    found: dict[str, Any] = body["node"]["level"]
    return found


def test_purchases_promote_and_progress_shows_spend_against_the_next_level(api: Api) -> None:
    alice = api.register("buyer")

    _buy(api, alice, "order-1", 250000)
    _buy(api, alice, "order-2", 150000)

    level = _level(api, alice)
    assert (level["id"], level["nextLevel"]["id"]) == ("silver", "gold")
    assert level["progress"] == {
        "windowDays": 90,
        "qualifyingPoints": 0,  # purchase points wait out the 7-day return window
        "windowPoints": 0,
        "spend": 400000,
        "purchases": 2,
        "nextThreshold": 0,
        "nextSpend": 500000,
        "nextPurchases": 3,
        "keepPoints": 0,
        "keepSpend": 0,
        "keepPurchases": 0,
    }
    assert level["progressToNext"] == pytest.approx(2 / 3)  # purchases: the least advanced


def test_a_refund_takes_the_spend_back_and_leaves_the_level_to_the_review(api: Api) -> None:
    bob = api.register("refund")
    orders = [_buy(api, bob, f"order-{n}", 200000) for n in range(3)]
    assert _level(api, bob)["id"] == "gold"

    item = {"activityId": orders[0]["activity"]["id"], "reason": "returned", "idempotencyKey": "r1"}
    refunded = api.data(REVERSE, {"input": item}, api.operator)["reverseActivity"]

    assert refunded["__typename"] == "ReverseActivityPayload", refunded
    level = _level(api, bob, token=api.operator)
    assert level["id"] == "gold"
    progress = level["progress"]
    assert (progress["spend"], progress["purchases"]) == (400000, 2)
    assert (progress["keepSpend"], progress["keepPurchases"]) == (300000, 2)


def test_a_resent_order_counts_once(api: Api) -> None:
    carol = api.register("resend")

    _buy(api, carol, "order-1", 120000)
    _buy(api, carol, "order-1", 120000)

    assert _level(api, carol)["progress"]["purchases"] == 1


def test_another_member_cannot_read_level_progress(api: Api) -> None:
    alice, eve = api.register("private"), api.register("eve")
    _buy(api, alice, "order-1", 1000)

    body = api.post(LEVEL, {"id": alice.id}, token=api.member_token(eve))

    assert body["data"]["node"]["level"]["progress"] is None
    assert "FORBIDDEN" in {e["extensions"]["code"] for e in body["errors"]}


def test_a_purchase_without_an_order_id_is_invalid_input_naming_the_field(api: Api) -> None:
    dave = api.register("noorder")

    result = api.record(dave, "purchase", attributes={"amount": 1000})

    assert (result["__typename"], result["field"]) == ("InvalidInput", "subjectId")


def test_the_guide_lists_what_reaches_and_keeps_each_level(api: Api) -> None:
    levels = api.data(GUIDE)["economy"]["levels"]

    gold = next(level for level in levels if level["id"] == "gold")
    assert gold == {
        "id": "gold",
        "spendMin": 500000,
        "purchasesMin": 3,
        "keepSpend": 300000,
        "keepPurchases": 2,
        "reachedBy": "5,000.00 spent and 3 purchases in 90 days",
        "keptBy": "3,000.00 spent and 2 purchases in 90 days",
    }
