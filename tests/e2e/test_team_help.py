"""Team quests and help quests over HTTP (the sample economy's team buy and help me
bargain): start, share the code, join or help, typed errors for the abuse paths, the
member's instances with their state, members and deadline."""

from __future__ import annotations

import secrets
from typing import Any

from tests.e2e.conftest import Api, Member

START = """
mutation Start($input: StartFriendQuestInput!, $team: Boolean!) {
  team: startTeamQuest(input: $input) @include(if: $team) { ...started }
  help: startHelpQuest(input: $input) @skip(if: $team) { ...started }
}
fragment started on StartFriendQuestResult {
  __typename
  ... on FriendQuestPayload { instance { id code kind state needed deadline } }
  ... on NotFound { kind }
  ... on LimitReached { limit }
  ... on InvalidInput { field }
}
"""

JOIN = """
mutation Join($input: JoinFriendQuestInput!, $team: Boolean!) {
  team: joinTeamQuest(input: $input) @include(if: $team) { ...joined }
  help: helpQuest(input: $input) @skip(if: $team) { ...joined }
}
fragment joined on JoinFriendQuestResult {
  __typename
  ... on FriendQuestPayload { instance { state members { handle } } }
  ... on NotFound { kind }
  ... on FriendQuestClosed { state }
  ... on AlreadyJoined { instanceId }
  ... on OwnInstance { instanceId }
  ... on LimitReached { limit }
  ... on InvalidInput { field }
}
"""

MINE = """
query Mine {
  viewer {
    points { available }
    friendQuests(first: 10) {
      edges { node { kind questId state deadline starter { handle } members { handle } } }
    }
  }
}
"""


def start(api: Api, member: Member, quest: str, team: bool = True) -> dict[str, Any]:
    variables = {"input": {"questId": quest, "idempotencyKey": secrets.token_hex(8)}, "team": team}
    found: dict[str, Any] = api.data(START, variables, api.member_token(member))
    result: dict[str, Any] = found["team" if team else "help"]
    return result


def join(
    api: Api, member: Member, code: str, team: bool = True, key: str | None = None
) -> dict[str, Any]:
    variables = {"input": {"code": code, "idempotencyKey": key or secrets.token_hex(8)},
                 "team": team}  # fmt: skip
    found: dict[str, Any] = api.data(JOIN, variables, api.member_token(member))
    result: dict[str, Any] = found["team" if team else "help"]
    return result


def test_a_team_of_three_fills_and_pays_each_member(api: Api) -> None:
    ann, bob, cat, dan = (api.register(n) for n in ("tann", "tbob", "tcat", "tdan"))
    started = start(api, ann, "team_buy")["instance"]
    assert (started["kind"], started["state"], started["needed"]) == ("TEAM", "OPEN", 3)

    own = join(api, ann, started["code"])
    first = join(api, bob, started["code"].lower(), key="bob-join")
    twice = join(api, bob, started["code"])
    replay = join(api, bob, started["code"], key="bob-join")
    last = join(api, cat, started["code"])
    late = join(api, dan, started["code"])
    mine = api.data(MINE, token=api.member_token(cat))["viewer"]

    assert own == {"__typename": "OwnInstance", "instanceId": started["id"]}
    assert first["instance"]["state"] == "OPEN"
    assert twice == {"__typename": "AlreadyJoined", "instanceId": started["id"]}
    assert replay["__typename"] == "FriendQuestPayload"
    assert last["instance"]["state"] == "FILLED"
    assert [m["handle"] for m in last["instance"]["members"]] == [ann.handle, bob.handle,
                                                                  cat.handle]  # fmt: skip
    assert late == {"__typename": "FriendQuestClosed", "state": "filled"}
    assert mine["points"]["available"] == 60
    [node] = [e["node"] for e in mine["friendQuests"]["edges"]]
    assert node["state"] == "FILLED"
    assert node["starter"]["handle"] == ann.handle
    assert node["deadline"] == started["deadline"]


def test_help_limits_and_unknown_codes_are_typed_errors(api: Api) -> None:
    helper = api.register("hhelper")
    starters = [api.register(f"hs{n}") for n in range(4)]
    codes = [start(api, s, "help_me_bargain", team=False)["instance"]["code"] for s in starters]

    helped = [join(api, helper, code, team=False)["__typename"] for code in codes[:3]]
    fourth = join(api, helper, codes[3], team=False)
    own = join(api, starters[0], codes[0], team=False)
    again = start(api, starters[0], "help_me_bargain", team=False)
    unknown = join(api, helper, "NOSUCHCODE")
    blank = join(api, helper, " ", team=False)
    no_quest = start(api, helper, "no_such_quest")

    assert helped == ["FriendQuestPayload"] * 3
    assert fourth == {"__typename": "LimitReached", "limit": 3}
    assert own["__typename"] == "OwnInstance"
    assert again == {"__typename": "LimitReached", "limit": 1}
    assert unknown["__typename"] == "NotFound"
    assert blank == {"__typename": "InvalidInput", "field": "code"}
    assert no_quest["__typename"] == "NotFound"
