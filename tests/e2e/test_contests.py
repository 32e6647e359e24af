"""Contests over HTTP: the live standings of the sample's monthly interactions contest
move with the recorded note metrics; an unknown contest is null; bounds are checked."""

from __future__ import annotations

import secrets
from typing import Any

from tests.e2e.conftest import Api, Member

CONTEST = """
query Contest($id: ID!, $first: Int!) {
  contest(id: $id) {
    id state metric startsAt endsAt settledAt
    standings(first: $first) { rank value prizePoints member { handle } }
  }
}
"""

LOCK = """
mutation Lock($input: LockLevelInput!) {
  lockLevel(input: $input) { __typename }
}
"""


def regular(api: Api, prefix: str) -> Member:
    member = api.register(prefix)
    variables = {"input": {"memberId": member.id, "levelId": "regular", "reason": "e2e"}}
    assert api.data(LOCK, variables, api.operator)["lockLevel"]["__typename"] != "NotFound"
    return member


def publish(api: Api, member: Member, interactions: int) -> None:
    note = secrets.token_hex(6)
    api.record(member, "post", subjectId=note)
    api.record(member, "note_metrics", subjectId=note, attributes={"interactions": interactions})


def contest(api: Api, first: int = 100) -> dict[str, Any]:
    found: dict[str, Any] = api.data(CONTEST, {"id": "monthly_interactions", "first": first})[
        "contest"
    ]
    return found


def test_the_monthly_contest_ranks_members_by_interactions_on_their_new_notes(
    api: Api,
) -> None:
    ann, bob = regular(api, "ann"), regular(api, "bob")

    publish(api, ann, 40_000)
    publish(api, bob, 50_000)
    found = contest(api)

    assert (found["state"], found["metric"], found["settledAt"]) == ("OPEN", "interactions", None)
    ranked = [(s["member"]["handle"], s["value"]) for s in found["standings"]]
    assert ranked[:2] == [(bob.handle, 50_000), (ann.handle, 40_000)]
    assert [s["rank"] for s in found["standings"]] == list(range(1, len(ranked) + 1))


def test_a_newcomer_below_the_contests_level_does_not_enter_it(api: Api) -> None:
    newcomer = api.register("new")

    publish(api, newcomer, 90_000)

    handles = [s["member"]["handle"] for s in contest(api)["standings"]]
    assert newcomer.handle not in handles


def test_an_unknown_contest_is_null_and_a_page_beyond_the_limit_is_refused(api: Api) -> None:
    unknown = api.data(CONTEST, {"id": "no_such_contest", "first": 1})["contest"]
    too_many = api.post(CONTEST, {"id": "monthly_interactions", "first": 1000})

    assert unknown is None
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
