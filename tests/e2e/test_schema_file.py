"""The committed schema.graphql is what the code serves (front-end code builds on it)."""

from __future__ import annotations

from pathlib import Path

from api.schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")

    assert committed == sdl(), "schema.graphql drifted from the code: run `make schema`"


def test_the_schema_names_every_operation_of_the_contract() -> None:
    text = sdl()

    for name in (
        "viewer:", "member(", "node(", "economy:", "rewards(", "leaderboard(", "hallOfFame",
        "explainActivity(", "registerMember(", "recordActivity(", "recordActivities(",
        "redeemReward(", "fulfillRedemption(", "cancelRedemption(", "grantHonor(",
        "revokeHonor(", "adjustPoints(", "lockLevel(", "memberEvents",
    ):  # fmt: skip
        assert name in text, name
