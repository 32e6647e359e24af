"""Campaigns over HTTP (the sample economy's lottery product trial), on a server whose
clock the test moves: members apply in the window (the first application opens the
campaign and publishes its seed's SHA-256), an operator selects once after it closes,
the selection shows members only their own place and operators everything, confirm and
decline move the places, and the abuse paths come back as typed results."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import DATABASES, Api, Member, database_url, e2e_settings, live_server

DURING = datetime(2027, 3, 5, 2, tzinfo=UTC)  # 10:00 in Shanghai, in the window
AFTER = datetime(2027, 3, 15, 2, tzinfo=UTC)  # 10:00 in Shanghai: the window has closed


@dataclass
class Clock:
    now: datetime = DURING

    def __call__(self) -> datetime:
        return self.now


CLOCK = Clock()


@pytest.fixture(scope="module", params=DATABASES)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("campaigns")
    with (
        database_url(request.param, directory) as url,
        live_server(e2e_settings(directory, url), clock=CLOCK) as live,
        httpx.Client(timeout=30) as client,
    ):
        CLOCK.now = DURING
        yield Api(live.base_url, client)


LOCK = "mutation L($input: LockLevelInput!) { lockLevel(input: $input) { __typename } }"
RESULT = """
    __typename
    ... on CampaignApplicationPayload {
      application { state appliedAt motivation confirmBy member { handle } }
      campaign { id state placesLeft applicationsCount oversubscription commitment }
    }
    ... on NotEligible { reason }
    ... on InvalidInput { field }
    ... on InvalidTransition { state action }
    ... on AlreadyExists { kind }
    ... on NotFound { kind }
"""
APPLY = (
    f"mutation A($input: ApplyToCampaignInput!) {{ applyToCampaign(input: $input) {{ {RESULT} }} }}"
)
WITHDRAW = (
    f"mutation W($input: CampaignInput!) {{ withdrawApplication(input: $input) {{ {RESULT} }} }}"
)
CONFIRM = (
    f"mutation C($input: CampaignInput!) {{ confirmParticipation(input: $input) {{ {RESULT} }} }}"
)
DECLINE = (
    f"mutation D($input: CampaignInput!) {{ declineParticipation(input: $input) {{ {RESULT} }} }}"
)
SELECT = """
mutation S($input: SelectCampaignParticipantsInput!) {
  selectCampaignParticipants(input: $input) {
    __typename
    ... on CampaignSelectionPayload {
      selection { method seed applicantsDigest chosenCount waitlistCount chosen waitlist }
      campaign { state placesLeft }
    }
    ... on InvalidTransition { state action }
    ... on InvalidInput { field }
  }
}
"""
CAMPAIGN = """
query Q($id: ID!) {
  campaign(id: $id) {
    id state places placesLeft applicationsCount oversubscription commitment selectionMethod
    opensAt closesAt taskId rewardId points
    selection {
      method seed applicantsDigest chosenCount waitlistCount chosen waitlist
      viewerChosen viewerWaitlistPosition
    }
    applications(first: 100) { edges { node { state member { handle } } } }
    viewerApplication { state }
  }
}
"""
LIST = """
query L($state: CampaignState) {
  campaigns(state: $state, first: 10) { edges { node { id state } } pageInfo { hasNextPage } }
}
"""


def regular(api: Api, prefix: str) -> Member:
    member = api.register(prefix)
    variables = {"input": {"memberId": member.id, "levelId": "regular", "reason": "e2e"}}
    assert api.data(LOCK, variables, api.operator)["lockLevel"]["__typename"] == "LockLevelPayload"
    return member


def apply(api: Api, member: Member, key: str = "k1") -> dict[str, Any]:
    variables = {"input": {"campaignId": "product_trial", "motivation": "I travel a lot",
                           "idempotencyKey": key}}  # fmt: skip
    result: dict[str, Any] = api.data(APPLY, variables, api.member_token(member))["applyToCampaign"]
    return result


def act(api: Api, query: str, name: str, member: Member) -> dict[str, Any]:
    variables = {"input": {"campaignId": "product_trial"}}
    result: dict[str, Any] = api.data(query, variables, api.member_token(member))[name]
    return result


def campaign(api: Api, token: str) -> dict[str, Any]:
    result: dict[str, Any] = api.data(CAMPAIGN, {"id": "product_trial"}, token)["campaign"]
    return result


def test_a_lottery_campaign_from_application_to_confirmation(api: Api) -> None:
    CLOCK.now = DURING
    members = [regular(api, "fan") for _ in range(14)]
    newbie = api.register("newbie")

    applied = [apply(api, m) for m in members]
    replay = apply(api, members[0])
    twice = apply(api, members[0], key="k2")
    refused = apply(api, newbie)
    withdrawn = act(api, WITHDRAW, "withdrawApplication", members[-1])
    early = api.data(SELECT, {"input": {"campaignId": "product_trial"}}, api.operator)
    listed_open = api.data(LIST, {"state": "OPEN"}, api.operator)["campaigns"]

    assert applied[0]["__typename"] == "CampaignApplicationPayload"
    assert applied[0]["application"]["state"] == "APPLIED"
    commitment = applied[0]["campaign"]["commitment"]
    assert len(commitment) == 64
    assert replay["application"] == applied[0]["application"]
    assert twice == {"__typename": "AlreadyExists", "kind": "application"}
    assert refused["__typename"] == "NotEligible"
    assert withdrawn["application"]["state"] == "WITHDRAWN"
    assert early["selectCampaignParticipants"] == {
        "__typename": "InvalidTransition", "state": "open", "action": "select"}  # fmt: skip
    assert [e["node"]["id"] for e in listed_open["edges"]] == ["product_trial"]

    CLOCK.now = AFTER
    late = apply(api, regular(api, "late"))
    selected = api.data(SELECT, {"input": {"campaignId": "product_trial"}}, api.operator)
    again = api.data(SELECT, {"input": {"campaignId": "product_trial"}}, api.operator)

    assert late["__typename"] == "InvalidTransition"
    payload = selected["selectCampaignParticipants"]
    selection = payload["selection"]
    assert (selection["method"], selection["chosenCount"], selection["waitlistCount"]) == (
        "lottery", 10, 3)  # fmt: skip
    assert hashlib.sha256(selection["seed"].encode()).hexdigest() == commitment
    assert payload["campaign"] == {"state": "RUNNING", "placesLeft": 0}
    assert again["selectCampaignParticipants"]["__typename"] == "InvalidTransition"

    by_id = {m.id: m for m in members}
    winner = by_id[selection["chosen"][0]]
    waiting = by_id[selection["waitlist"][0]]
    mine = campaign(api, api.member_token(winner))
    theirs = campaign(api, api.member_token(waiting))
    ops = campaign(api, api.operator)

    assert mine["selection"]["chosen"] == [winner.id]
    assert mine["selection"]["waitlist"] == []
    assert (mine["selection"]["viewerChosen"], mine["selection"]["viewerWaitlistPosition"]) == (
        True, None)  # fmt: skip
    assert [e["node"]["member"]["handle"] for e in mine["applications"]["edges"]] == [winner.handle]
    assert theirs["selection"]["chosen"] == []
    assert (theirs["selection"]["viewerChosen"], theirs["selection"]["viewerWaitlistPosition"]) == (
        False, 1)  # fmt: skip
    assert theirs["viewerApplication"] == {"state": "WAITLISTED"}
    assert ops["selection"]["chosen"] == selection["chosen"]
    assert len(ops["applications"]["edges"]) == 14
    assert (ops["applicationsCount"], ops["oversubscription"]) == (13, 1.3)
    assert datetime.fromisoformat(ops["opensAt"]) == datetime(2027, 3, 1, 2, tzinfo=UTC)
    assert datetime.fromisoformat(ops["closesAt"]) == AFTER

    someone_elses = act(api, CONFIRM, "confirmParticipation", newbie)
    waitlisted = act(api, CONFIRM, "confirmParticipation", waiting)
    after_selection = act(api, WITHDRAW, "withdrawApplication", winner)
    confirmed = act(api, CONFIRM, "confirmParticipation", winner)
    other = by_id[selection["chosen"][1]]
    declined = act(api, DECLINE, "declineParticipation", other)
    promoted = campaign(api, api.member_token(waiting))

    assert someone_elses == {"__typename": "NotFound", "kind": "application"}
    assert waitlisted["__typename"] == "InvalidTransition"
    assert after_selection["__typename"] == "InvalidTransition"
    assert confirmed["application"]["state"] == "CONFIRMED"
    assert declined["application"]["state"] == "DECLINED"
    assert promoted["viewerApplication"] == {"state": "OFFERED"}
    assert promoted["selection"]["viewerWaitlistPosition"] == 1  # the audit record keeps it
    CLOCK.now = AFTER + timedelta(hours=1)
    assert act(api, CONFIRM, "confirmParticipation", waiting)["application"]["state"] == (
        "CONFIRMED"
    )


def test_bad_input_is_a_typed_result_naming_the_field(api: Api) -> None:
    CLOCK.now = DURING
    member = regular(api, "loud")
    variables = {"input": {"campaignId": "product_trial", "motivation": "x" * 2001,
                           "idempotencyKey": "k"}}  # fmt: skip
    result = api.data(APPLY, variables, api.member_token(member))["applyToCampaign"]
    unknown = api.data(APPLY, {"input": {"campaignId": "nope", "motivation": "",
                                         "idempotencyKey": "k"}},
                       api.member_token(member))["applyToCampaign"]  # fmt: skip

    assert result == {"__typename": "InvalidInput", "field": "motivation"}
    assert unknown == {"__typename": "NotFound", "kind": "campaign"}
    assert api.data(CAMPAIGN, {"id": "nope"}, api.operator)["campaign"] is None
