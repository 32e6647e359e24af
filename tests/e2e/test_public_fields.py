"""What another member may read is public, and nothing public reveals what is private:
`level.progressToNext` would give `lifetimeEarned` away (thresholds are public), so it is
private like `points`. Both stores."""

from __future__ import annotations

from tests.e2e.conftest import Api, Member

LEVEL = """
query($id: ID!) {
  node(id: $id) {
    ... on Member { handle level { id title rank progressToNext nextLevel { id } } }
  }
}
"""


def _earned(api: Api, member: Member) -> None:
    api.record(member, "post", subjectId=f"p-{member.raw_id}", attributes={"photos": 1})


def test_another_member_cannot_read_progress_to_next(api: Api) -> None:
    alice, eve = api.register("alice"), api.register("eve")
    _earned(api, alice)

    body = api.post(LEVEL, {"id": alice.id}, token=api.member_token(eve))

    level = body["data"]["node"]["level"]
    assert level["title"]  # the level itself is public
    assert level["progressToNext"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert body["errors"][0]["path"][-1] == "progressToNext"


def test_the_member_and_operators_read_progress_to_next(api: Api) -> None:
    alice = api.register("alice")
    _earned(api, alice)

    own = api.data(LEVEL, {"id": alice.id}, token=api.member_token(alice))
    ops = api.data(LEVEL, {"id": alice.id}, token=api.operator)

    assert 0 < own["node"]["level"]["progressToNext"] < 1
    assert ops["node"]["level"]["progressToNext"] == own["node"]["level"]["progressToNext"]


def test_anonymous_callers_cannot_read_progress_to_next_on_the_leaderboard(api: Api) -> None:
    alice = api.register("alice")
    _earned(api, alice)

    body = api.post("{ leaderboard(period: ALL_TIME) { member { level { progressToNext } } } }")

    assert body["data"]["leaderboard"], body
    assert all(
        row["member"]["level"]["progressToNext"] is None for row in body["data"]["leaderboard"]
    )
    assert {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHENTICATED"}
