"""Queries over HTTP: viewer, member, node, economy, rewards, leaderboard, hall of fame,
explainActivity, and keyset pagination of rewards, ledger entries and redemptions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.auth import utc_now
from domain.economy import Economy
from tests.e2e.conftest import Api, global_id, reward_id

VIEWER = """
query {
  viewer {
    id handle displayName
    points { available reserved lifetimeEarned }
    level { id title privileges progressToNext state demotionDue locked nextLevel { id } }
    kocTier { id title }
    honors { honor { id title } tier }
    streaks { ruleId length best lastDay }
  }
}
"""

LEDGER = """
query Ledger($id: ID!, $first: Int!, $after: String) {
  member(id: $id) {
    ledgerEntries(first: $first, after: $after) {
      edges { cursor node { seq kind balance amount reference } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""

REDEMPTIONS = """
query Mine($first: Int!, $after: String) {
  viewer {
    redemptions(first: $first, after: $after) {
      edges { cursor node { id status reward { id title } member { handle } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

REWARDS = """
query Rewards($first: Int!, $after: String, $tier: ID) {
  rewards(first: $first, after: $after, tier: $tier) {
    edges { cursor node { id title price stock remaining tier { id } minLevel { id } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""


def test_viewer_is_the_member_the_token_names_with_points_level_honors_and_streaks(
    api: Api,
) -> None:
    alice = api.register("alice")
    api.record(alice, "check_in")
    api.record(alice, "post", subjectId="note-1", attributes={"photos": 2})

    viewer = api.data(VIEWER, token=api.member_token(alice))["viewer"]

    assert viewer["id"] == alice.id
    assert viewer["handle"] == alice.handle
    assert viewer["points"] == {"available": 17, "reserved": 0, "lifetimeEarned": 17}
    assert viewer["level"]["id"] == "newcomer"
    assert viewer["level"]["state"] == "ACTIVE"
    assert viewer["level"]["nextLevel"] == {"id": "regular"}
    assert 0 < viewer["level"]["progressToNext"] < 1
    assert viewer["kocTier"]["id"] == "junior"
    assert {h["honor"]["id"] for h in viewer["honors"]} == {"first_post"}
    assert viewer["streaks"][0]["ruleId"] == "daily_check_in"
    assert viewer["streaks"][0]["length"] == 1


def test_member_by_id_gives_operators_any_member(api: Api) -> None:
    bob = api.register("bob")

    found = api.data(
        "query($id: ID!) { member(id: $id) { handle points { available } } }",
        {"id": bob.id},
        api.operator,
    )

    assert found["member"] == {"handle": bob.handle, "points": {"available": 0}}


def test_node_resolves_members_rewards_and_redemptions_by_global_id(api: Api) -> None:
    carol = api.register("carol")
    api.give(carol, 500)
    redemption = api.redeem(carol, "sticker_pack", "node-1")["redemption"]
    query = """
    query($m: ID!, $r: ID!, $d: ID!) {
      m: node(id: $m) { __typename ... on Member { handle } }
      r: node(id: $r) { __typename ... on Reward { title remaining } }
      d: node(id: $d) { __typename ... on Redemption { status points } }
    }
    """

    found = api.data(
        query,
        {"m": carol.id, "r": reward_id("key_ring"), "d": redemption["id"]},
        api.member_token(carol),
    )

    assert found["m"] == {"__typename": "Member", "handle": carol.handle}
    assert found["r"] == {"__typename": "Reward", "title": "Metal key ring", "remaining": 2000}
    assert found["d"] == {"__typename": "Redemption", "status": "RESERVED", "points": 150}


def test_node_of_an_unknown_id_is_null(api: Api) -> None:
    dave = api.register("dave")

    found = api.data(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": global_id("Member", "mem_does_not_exist")},
        api.member_token(dave),
    )

    assert found["node"] is None


def test_economy_is_the_public_guide_readable_without_a_token(api: Api) -> None:
    query = """
    { economy {
        id timezone dailyCap { points summary }
        rules { id kind points earns conditions limits { period maxCount } streak { bonusPerDay } }
        levels { id title threshold privileges }
        koc { tiers { id criteria } } honors { id manual } rewardTiers { id rewards { id } }
    } }
    """

    economy = api.data(query)["economy"]

    assert economy["id"] == "koc_community"
    assert economy["dailyCap"]["points"] == 300
    assert economy["dailyCap"]["summary"]
    rules = {r["id"]: r for r in economy["rules"]}
    assert rules["post_with_photos"]["points"] == 15
    assert rules["post_with_photos"]["conditions"] == ["photos >= 1"]
    assert rules["post_with_photos"]["earns"]
    assert rules["daily_check_in"]["limits"] == [{"period": "DAY", "maxCount": 1}]
    assert [lv["id"] for lv in economy["levels"]][:2] == ["newcomer", "regular"]
    assert [t["id"] for t in economy["rewardTiers"]] == ["merch", "practical", "ultimate"]
    assert {"id": "sticker_pack"} in economy["rewardTiers"][0]["rewards"]
    assert [t["id"] for t in economy["koc"]["tiers"]] == ["junior", "intermediate", "senior"]


def test_rewards_page_through_the_whole_catalogue_with_cursors(api: Api, economy: Economy) -> None:
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        page = api.data(REWARDS, {"first": 4, "after": after})["rewards"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        pages += 1
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert pages == -(-len(economy.rewards) // 4)
    assert seen == [reward_id(r.id) for r in economy.rewards]


def test_rewards_filter_by_tier_and_show_their_level_gate(api: Api) -> None:
    page = api.data(REWARDS, {"first": 10, "tier": "ultimate"})["rewards"]

    nodes = [edge["node"] for edge in page["edges"]]
    assert {n["tier"]["id"] for n in nodes} == {"ultimate"}
    assert {n["minLevel"]["id"] for n in nodes} >= {"navigator"}


def test_ledger_entries_page_newest_first_without_gaps_or_repeats(api: Api) -> None:
    erin = api.register("erin")
    for days_ago in (3, 2, 1, 0):  # the late-arrival look-back allows 3 days
        api.record(erin, "check_in", occurredAt=(utc_now() - timedelta(days=days_ago)).isoformat())
    api.record(erin, "post", subjectId="p1")

    first = api.data(LEDGER, {"id": erin.id, "first": 2}, api.operator)["member"]["ledgerEntries"]
    rest = api.data(
        LEDGER, {"id": erin.id, "first": 10, "after": first["pageInfo"]["endCursor"]}, api.operator
    )["member"]["ledgerEntries"]

    seqs = [e["node"]["seq"] for e in first["edges"] + rest["edges"]]
    assert len(seqs) == 5
    assert seqs == sorted(seqs, reverse=True)
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert rest["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": rest["edges"][0]["cursor"],
        "endCursor": rest["edges"][-1]["cursor"],
    }
    assert {e["node"]["kind"] for e in first["edges"]} == {"EARN"}


def test_redemptions_page_newest_first_through_the_viewer(api: Api) -> None:
    fay = api.register("fay")
    api.give(fay, 1000)
    made = [api.redeem(fay, "sticker_pack", f"fay-{n}")["redemption"]["id"] for n in range(3)]
    token = api.member_token(fay)

    first = api.data(REDEMPTIONS, {"first": 2}, token)["viewer"]["redemptions"]
    rest = api.data(REDEMPTIONS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token)[
        "viewer"
    ]["redemptions"]

    ids = [e["node"]["id"] for e in first["edges"] + rest["edges"]]
    assert sorted(ids) == sorted(made)
    assert len(set(ids)) == 3
    assert first["pageInfo"]["hasNextPage"] is True
    assert rest["pageInfo"]["hasNextPage"] is False
    assert first["edges"][0]["node"]["member"]["handle"] == fay.handle


def test_leaderboard_ranks_earners_of_the_period_by_points(api: Api) -> None:
    top, second = api.register("top"), api.register("second")
    api.record(top, "content_featured", subjectId="feat-1")
    api.record(top, "content_featured", subjectId="feat-2")
    api.record(second, "content_featured", subjectId="feat-3")

    board = api.data(
        "{ leaderboard(period: ALL_TIME, first: 100) { rank points member { handle } } }"
    )["leaderboard"]

    ranks = {row["member"]["handle"]: (row["rank"], row["points"]) for row in board}
    assert ranks[top.handle][1] == 200
    assert ranks[second.handle][1] == 100
    assert ranks[top.handle][0] < ranks[second.handle][0]
    assert [row["rank"] for row in board] == list(range(1, len(board) + 1))
    assert [row["points"] for row in board] == sorted((r["points"] for r in board), reverse=True)


def test_leaderboard_of_the_day_counts_only_todays_earnings(api: Api) -> None:
    old = api.register("old")
    two_days_ago = (utc_now() - timedelta(days=2)).isoformat()
    earned = api.record(old, "content_featured", subjectId="old-1", occurredAt=two_days_ago)
    assert earned["__typename"] == "RecordActivityPayload", earned

    board = api.data("{ leaderboard(period: DAY, first: 100) { member { handle } } }")

    assert old.handle not in {row["member"]["handle"] for row in board["leaderboard"]}


def test_hall_of_fame_lists_holders_of_hall_of_fame_honors(api: Api) -> None:
    gus = api.register("gus")
    api.data(
        GRANT,
        {"input": {"memberId": gus.id, "honorId": "founding_100", "reason": "early"}},
        api.operator,
    )

    fame = api.data("{ hallOfFame { member { handle } level { id } honors { honor { id } } } }")

    entry = next(e for e in fame["hallOfFame"] if e["member"]["handle"] == gus.handle)
    assert entry["honors"] == [{"honor": {"id": "founding_100"}}]
    assert entry["level"] == {"id": "newcomer"}


EXPLAIN = """
query Explain($input: ExplainActivityInput!) {
  explainActivity(input: $input) {
    __typename
    ... on ActivityExplanation {
      points explanation
      lines { ruleId points }
      limits { scope period maxCount usedCount remainingCount }
    }
    ... on InvalidInput { field }
    ... on NotFound { kind }
  }
}
"""


def _explain(api: Api, token: str, **item: Any) -> dict[str, Any]:
    result: dict[str, Any] = api.data(EXPLAIN, {"input": item}, token)["explainActivity"]
    return result


def test_explain_activity_says_what_an_activity_would_earn_and_writes_nothing(api: Api) -> None:
    hal = api.register("hal")
    token = api.member_token(hal)

    explained = _explain(api, token, kind="post", subjectId="n1", attributes={"photos": 1})
    again = _explain(api, token, kind="post", subjectId="n1", attributes={"photos": 1})

    assert explained["__typename"] == "ActivityExplanation"
    assert explained["points"] == 15
    assert explained["lines"] == [{"ruleId": "post_with_photos", "points": 15}]
    day = next(lim for lim in explained["limits"] if lim["scope"] == "post_with_photos")
    assert (day["maxCount"], day["usedCount"], day["remainingCount"]) == (3, 0, 3)
    assert again == explained
    viewer = api.data("{ viewer { points { available } } }", token=token)["viewer"]
    assert viewer["points"]["available"] == 0


def test_explain_activity_names_the_bad_field(api: Api) -> None:
    ivy = api.register("ivy")

    unknown = _explain(api, api.member_token(ivy), kind="teleport")

    assert unknown == {"__typename": "InvalidInput", "field": "kind"}


def test_operators_explain_for_a_named_member_and_get_not_found_for_a_missing_one(
    api: Api,
) -> None:
    missing = _explain(
        api, api.operator, kind="check_in", memberId=global_id("Member", "mem_nobody")
    )
    nameless = _explain(api, api.operator, kind="check_in")

    assert missing == {"__typename": "NotFound", "kind": "member"}
    assert nameless == {"__typename": "InvalidInput", "field": "memberId"}


GRANT = """
mutation Grant($input: HonorInput!) {
  grantHonor(input: $input) { __typename ... on UserError { message } }
}
"""
