"""Over HTTP, on SQLite and PostgreSQL: dates outside the clock skew or the supported
years, attributes outside their bounds and activities past the late-arrival look-back are
typed answers (`InvalidInput` naming the field, `ActivityTooLate`), never server errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.auth import utc_now
from tests.e2e.conftest import Api

EXPLAIN = """
query($input: ExplainActivityInput!) {
  explainActivity(input: $input) {
    __typename
    ... on ActivityExplanation { points }
    ... on InvalidInput { field }
    ... on ActivityTooLate { day earliestDay lateArrivalDays }
  }
}
"""
RECORD_LATE = """
mutation($input: RecordActivityInput!) {
  recordActivity(input: $input) {
    __typename
    ... on ActivityTooLate { message day earliestDay lateArrivalDays }
  }
}
"""


def _explain(api: Api, member_id: str, **extra: Any) -> dict[str, Any]:
    item = {"memberId": member_id, "kind": "post", "subjectId": "n1", **extra}
    result: dict[str, Any] = api.data(EXPLAIN, {"input": item}, api.operator)["explainActivity"]
    return result


@pytest.mark.parametrize(
    "occurred_at",
    ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "1999-12-31T00:00:00Z"],
)
def test_a_date_outside_the_supported_years_is_invalid_input_naming_occurred_at(
    api: Api, occurred_at: str
) -> None:
    member = api.register("old")

    recorded = api.record(member, "post", subjectId="n1", occurredAt=occurred_at)
    explained = _explain(api, member.id, occurredAt=occurred_at)

    assert (recorded["__typename"], recorded["field"]) == ("InvalidInput", "occurredAt")
    assert (explained["__typename"], explained["field"]) == ("InvalidInput", "occurredAt")


def test_an_activity_dated_in_the_future_is_invalid_input_naming_occurred_at(api: Api) -> None:
    member = api.register("seer")
    tomorrow = (utc_now() + timedelta(days=1)).isoformat()

    recorded = api.record(member, "post", subjectId="n1", occurredAt=tomorrow)
    explained = _explain(api, member.id, occurredAt=tomorrow)

    assert (recorded["__typename"], recorded["field"]) == ("InvalidInput", "occurredAt")
    assert (explained["__typename"], explained["field"]) == ("InvalidInput", "occurredAt")


def test_an_activity_past_the_look_back_is_activity_too_late(api: Api) -> None:
    member = api.register("late")
    item = {"memberId": member.id, "kind": "check_in", "idempotencyKey": "late-1",
            "occurredAt": (utc_now() - timedelta(days=5)).isoformat()}  # fmt: skip

    recorded = api.data(RECORD_LATE, {"input": item}, api.service)["recordActivity"]
    explained = _explain(api, member.id, occurredAt=item["occurredAt"])

    assert recorded["__typename"] == explained["__typename"] == "ActivityTooLate"
    assert recorded["lateArrivalDays"] == 3
    assert recorded["day"] < recorded["earliestDay"]


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"photos": 1e19}, "attributes.photos"),
        ({"photos": 10**18}, "attributes.photos"),
        ({"photos": -1}, "attributes.photos"),
        ({"photos": 2.5}, "attributes.photos"),
        ({"photos": "two"}, "attributes.photos"),
    ],
)
def test_an_attribute_outside_its_bound_is_invalid_input_naming_it(
    api: Api, attributes: dict[str, object], field: str
) -> None:
    member = api.register("farmer")

    recorded = api.record(member, "post", subjectId="n1", attributes=attributes)
    explained = _explain(api, member.id, attributes=attributes)

    assert (recorded["__typename"], recorded["field"]) == ("InvalidInput", field)
    assert (explained["__typename"], explained["field"]) == ("InvalidInput", field)


def test_a_whole_number_sent_as_a_json_float_is_accepted(api: Api) -> None:
    member = api.register("photographer")

    recorded = api.record(member, "post", subjectId="n1", attributes={"photos": 2.0})

    assert recorded["__typename"] == "RecordActivityPayload"
    assert recorded["activity"]["points"] == 15
