"""Honor roles over HTTP (the sample economy's moderator, mentor and advisory council):
apply and appoint, nominate by a holder and accept, step down, the typed refusals of the
abuse paths, mentee pairing, and the operators' and the hall of fame's lists."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api, GraphQLFailed, Member

LOCK = """
mutation Lock($input: LockLevelInput!) {
  lockLevel(input: $input) { __typename }
}
"""

HOLDING = """
    __typename
    ... on RoleHoldingPayload {
      holding { id state entry startedAt endsAt endReason role { id seats } member { handle } }
    }
    ... on NotEligible { reason }
    ... on InvalidInput { field }
    ... on InvalidTransition { state action }
    ... on AlreadyExists { kind }
    ... on NotFound { kind }
    ... on LimitReached { limit }
"""
APPLY = f"mutation A($input: RoleInput!) {{ applyForRole(input: $input) {{ {HOLDING} }} }}"
APPOINT = (
    f"mutation P($input: AppointToRoleInput!) {{ appointToRole(input: $input) {{ {HOLDING} }} }}"
)
NOMINATE = (
    "mutation N($input: NominateForRoleInput!) "
    f"{{ nominateForRole(input: $input) {{ {HOLDING} }} }}"
)
ACCEPT = f"mutation C($input: RoleHoldingInput!) {{ acceptRole(input: $input) {{ {HOLDING} }} }}"
END = f"mutation E($input: EndRoleInput!) {{ endRole(input: $input) {{ {HOLDING} }} }}"
RENEW = f"mutation R($input: RoleHoldingInput!) {{ renewRole(input: $input) {{ {HOLDING} }} }}"
ASSIGN = """
mutation M($input: AssignMenteeInput!) {
  assignMentee(input: $input) {
    __typename
    ... on MentorshipPayload { mentorship { roleId mentorId menteeId creditedAt } }
    ... on InvalidInput { field }
    ... on NotEligible { reason }
    ... on LimitReached { limit }
  }
}
"""
LISTS = """
query Lists {
  roles { id seats termDays entry nominatedBy minLevel honor mentees menteeLevel }
  roleHoldings(first: 100) { edges { node { id state } } }
  flaggedRoleHolders { id }
  roleHallOfFame(first: 100) { id state member { handle } }
}
"""


def at_level(api: Api, prefix: str, level: str) -> Member:
    member = api.register(prefix)
    variables = {"input": {"memberId": member.id, "levelId": level, "reason": "e2e"}}
    assert api.data(LOCK, variables, api.operator)["lockLevel"]["__typename"] == "LockLevelPayload"
    return member


def run(api: Api, query: str, name: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    result: dict[str, Any] = api.data(query, {"input": variables}, token)[name]
    return result


def test_an_application_appointed_starts_a_term_and_the_holder_steps_down(api: Api) -> None:
    alice = at_level(api, "mod", "seasoned")
    applied = run(api, APPLY, "applyForRole", {"roleId": "moderator"}, api.member_token(alice))
    appointed = run(api, APPOINT, "appointToRole", {"roleId": "moderator",
                    "memberId": alice.id}, api.operator)  # fmt: skip
    lists = api.data(LISTS, {}, api.operator)
    ended = run(api, END, "endRole", {"holdingId": applied["holding"]["id"],
                "reason": "moving abroad"}, api.member_token(alice))  # fmt: skip

    assert applied["holding"]["state"] == "APPLIED"
    assert appointed["holding"]["state"] == "ACTIVE"
    assert appointed["holding"]["entry"] == "application"
    assert appointed["holding"]["role"] == {"id": "moderator", "seats": 10}
    assert appointed["holding"]["endsAt"] is not None
    assert {"id": "moderator", "seats": 10, "termDays": 90, "entry": "application",
            "nominatedBy": [], "minLevel": "seasoned", "honor": "honorary_moderator",
            "mentees": 0, "menteeLevel": None} in lists["roles"]  # fmt: skip
    assert applied["holding"]["id"] in [h["id"] for h in lists["roleHallOfFame"]]
    assert (ended["holding"]["state"], ended["holding"]["endReason"]) == ("ENDED", "moving abroad")


def test_a_moderator_nominates_for_the_council_and_the_nominee_accepts_once(api: Api) -> None:
    moderator = at_level(api, "mod", "seasoned")
    nominee = at_level(api, "nom", "navigator")  # reaching navigator grants navigator_reached
    run(api, APPOINT, "appointToRole", {"roleId": "moderator", "memberId": moderator.id},
        api.operator)  # fmt: skip
    council = {"roleId": "advisory_council", "memberId": nominee.id}

    own = run(api, NOMINATE, "nominateForRole", {**council, "memberId": moderator.id},
              api.member_token(moderator))  # fmt: skip
    outsider = at_level(api, "out", "navigator")
    by_outsider = run(api, NOMINATE, "nominateForRole", council, api.member_token(outsider))
    nominated = run(api, NOMINATE, "nominateForRole", council, api.member_token(moderator))
    holding = {"holdingId": nominated["holding"]["id"]}
    accepted = run(api, ACCEPT, "acceptRole", holding, api.member_token(nominee))
    twice = run(api, ACCEPT, "acceptRole", holding, api.member_token(nominee))
    renewed = run(api, RENEW, "renewRole", holding, api.operator)

    assert own["__typename"] == "InvalidInput"
    assert by_outsider["__typename"] == "NotEligible"
    assert "only holders of moderator" in by_outsider["reason"]
    assert nominated["holding"]["state"] == "NOMINATED"
    assert accepted["holding"]["state"] == "ACTIVE"
    assert (twice["__typename"], twice["state"]) == ("InvalidTransition", "active")
    assert renewed["holding"]["endsAt"] > accepted["holding"]["endsAt"]


def test_the_refusals_are_typed(api: Api) -> None:
    newcomer = api.register("new")
    low = run(api, APPLY, "applyForRole", {"roleId": "moderator"}, api.member_token(newcomer))
    unknown = run(api, APPLY, "applyForRole", {"roleId": "astronaut"},
                  api.member_token(newcomer))  # fmt: skip
    wrong_way = run(api, APPLY, "applyForRole", {"roleId": "mentor"},
                    api.member_token(newcomer))  # fmt: skip
    blank = run(api, END, "endRole", {"holdingId": "rol_x", "reason": " "}, api.operator)

    assert low["__typename"] == "NotEligible"
    assert "seasoned" in low["reason"]
    assert unknown == {"__typename": "NotFound", "kind": "role"}
    assert wrong_way["__typename"] == "NotEligible"
    assert blank == {"__typename": "InvalidInput", "field": "reason"}


def test_only_operators_appoint_and_list_holdings(api: Api) -> None:
    member = at_level(api, "mod", "seasoned")
    with pytest.raises(GraphQLFailed, match="only an operator"):
        api.data(APPOINT, {"input": {"roleId": "moderator", "memberId": member.id}},
                 api.member_token(member))  # fmt: skip
    with pytest.raises(GraphQLFailed, match="only an operator"):
        api.data(LISTS, {}, api.member_token(member))


def test_a_mentee_picks_a_mentor_but_never_itself(api: Api) -> None:
    mentor = at_level(api, "mentor", "seasoned")
    mentee = api.register("newbie")
    run(api, APPOINT, "appointToRole", {"roleId": "mentor", "memberId": mentor.id},
        api.operator)  # fmt: skip
    pairing = {"roleId": "mentor", "mentorId": mentor.id, "menteeId": mentee.id}

    own = run(api, ASSIGN, "assignMentee", {**pairing, "mentorId": mentee.id},
              api.member_token(mentee))  # fmt: skip
    paired = run(api, ASSIGN, "assignMentee", pairing, api.member_token(mentee))

    assert own == {"__typename": "InvalidInput", "field": "menteeId"}
    assert paired["mentorship"] == {"roleId": "mentor", "mentorId": mentor.id,
                                    "menteeId": mentee.id, "creditedAt": None}  # fmt: skip
