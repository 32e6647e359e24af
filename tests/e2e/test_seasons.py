"""Seasons and contest settlement over HTTP: after `honorloop review` runs at the end of
the current quarter, `seasons`, `leaderboard(season:)` and `hallOfFame(season:)` read the
kept snapshot, and the month's contest shows its frozen, paid standings."""

from __future__ import annotations

import secrets

from api.auth import utc_now
from domain import seasons
from domain.economy import Economy
from honorloop.cli import main
from tests.e2e.conftest import Api, LiveServer

SEASONS = "query { seasons { id title startsAt endsAt snapshotTakenAt } }"
LEADERS = """
query Leaders($season: ID!) {
  leaderboard(season: $season, first: 100) { rank points member { handle } }
  hallOfFame(season: $season) { member { handle } }
}
"""
CONTEST = """
query Contest {
  contest(id: "monthly_interactions") {
    state settledAt standings(first: 100) { rank prizePoints member { handle } }
  }
}
"""
LOCK = "mutation Lock($input: LockLevelInput!) { lockLevel(input: $input) { __typename } }"


def test_the_quarter_and_month_are_kept_and_paid_once_the_review_runs_at_their_end(
    api: Api, server: LiveServer, economy: Economy
) -> None:
    assert economy.seasons is not None
    season = seasons.season_at(economy.seasons, economy.timezone, utc_now())
    assert season is not None
    star = api.register("star")
    lock = {"input": {"memberId": star.id, "levelId": "regular", "reason": "e2e"}}
    api.data(LOCK, lock, api.operator)
    note = secrets.token_hex(6)
    api.record(star, "post", subjectId=note)
    api.record(star, "note_metrics", subjectId=note, attributes={"interactions": 987_654})
    before = api.data(LEADERS, {"season": season.id})

    args = ["review", "--economy", str(server.settings.economy_path), "--database-url",
            server.settings.database_url, "--as-of", season.ends.isoformat()]  # fmt: skip
    assert main(args) == 0
    assert main(args) == 0  # a second run keeps and pays nothing more

    listed = {s["id"]: s for s in api.data(SEASONS)["seasons"]}
    kept = api.data(LEADERS, {"season": season.id})
    contest = api.data(CONTEST)["contest"]
    assert before == {"leaderboard": [], "hallOfFame": []}
    assert listed[season.id]["snapshotTakenAt"] is not None
    assert star.handle in [row["member"]["handle"] for row in kept["leaderboard"]]
    assert star.handle in [row["member"]["handle"] for row in kept["hallOfFame"]]
    assert contest["state"] == "SETTLED"
    assert contest["standings"][0]["member"]["handle"] == star.handle
    assert contest["standings"][0]["prizePoints"] == 2000


def test_an_unknown_season_is_refused_as_bad_input(api: Api) -> None:
    refused = api.post(LEADERS, {"season": "1999-q1"})

    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
