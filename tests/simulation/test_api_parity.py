"""Parity through the GraphQL API: the command stream of a small simulated run, sent over
HTTP to a live server (SQLite; PostgreSQL when configured), ends in the same balances,
levels, KOC tiers, honors and stock as the simulation.

The API has no mutations for scheduled upkeep (level reviews, expiry), restocks or coupon
pools; those run server-side through the same services on the server's database, as a
production scheduler would."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import Role, mint_token, utc_now
from api.settings import Settings
from domain import services
from domain.commands import (
    AddCouponCodes,
    CancelRedemption,
    ClaimQuestReward,
    FulfillRedemption,
    RecordActivity,
    RedeemReward,
    RegisterMember,
    Restock,
    ReviewMember,
    StartQuest,
)
from domain.economy import Economy, parse_economy
from domain.errors import DomainError
from domain.services import DecideReferralReward
from persistence.sql import SqlStore
from simulation.engine import LogEntry, member_id
from simulation.referrals_program import SIM_REFERRAL_KEY
from simulation.replay import final_state, replay_program
from tests.e2e.conftest import database_url, live_server
from tests.simulation.builders import busy_population, experiment, simulation
from tests.simulation.test_parity import ECONOMY

SECRET = "parity-secret-" + "x" * 40

RECORD_MANY = """
mutation Many($input: [RecordActivityInput!]!) {
  recordActivities(input: $input) { __typename }
}
"""
REGISTER = """
mutation Register($input: RegisterMemberInput!) {
  registerMember(input: $input) { __typename ... on UserError { message } }
}
"""
REDEEM = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) {
    __typename
    ... on RedeemRewardPayload { redemption { id } }
  }
}
"""
FULFIL = """
mutation Fulfil($input: FulfillRedemptionInput!) {
  fulfillRedemption(input: $input) { __typename }
}
"""
CANCEL = """
mutation Cancel($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) { __typename }
}
"""


def gid(type_name: str, node_id: str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


class Client:
    def __init__(self, base_url: str, http: httpx.Client) -> None:
        self.url = f"{base_url}/graphql"
        self.http = http

    def token(self, subject: str, role: Role) -> str:
        return mint_token(SECRET, subject, role, timedelta(hours=1), utc_now())

    def call(self, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
        response = self.http.post(
            self.url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data


CONFIRM_REWARD = """
mutation Confirm($input: ReferralRewardInput!) {
  confirmReferralReward(input: $input) { __typename ... on UserError { message } }
}
"""
REVERSE_REWARD = """
mutation Reverse($input: ReferralRewardInput!) {
  reverseReferralReward(input: $input) { __typename ... on UserError { message } }
}
"""


def _activity(cmd: RecordActivity) -> dict[str, Any]:
    return {
        "memberId": gid("Member", cmd.member_id),
        "kind": cmd.kind,
        "occurredAt": cmd.occurred_at.isoformat(),
        "idempotencyKey": cmd.idempotency_key,
        "subjectId": cmd.subject_id,
        "attributes": dict(cmd.attributes) or None,
    }


class StreamClock:
    """The server's clock during a replay: the time of the stream being replayed (each
    batch arrives when its latest activity happened, as the simulator stamps them)."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now


def replay_over_api(
    log: list[LogEntry], client: Client, upkeep: SqlStore, economy: Economy, clock: StreamClock
) -> None:
    service = client.token("simulator", Role.SERVICE)
    operator = client.token("ops-1", Role.OPERATOR)
    redemptions: dict[str, str] = {}
    assignments: dict[str, str] = {}
    for kind, payload in log:
        if kind == "sync_rewards":
            continue  # the server syncs rewards at startup
        if kind == "add_codes":
            assert isinstance(payload, AddCouponCodes)
            services.add_coupon_codes(payload, upkeep(), economy)
        elif kind == "register":
            assert isinstance(payload, RegisterMember)
            clock.now = payload.at  # joining starts an invitee's time limit
            data = client.call(REGISTER, {"input": {"handle": payload.handle,
                               "displayName": payload.display_name,
                               "externalId": payload.member_id,
                               "referralCode": payload.referral_code}}, service)  # fmt: skip
            assert data["registerMember"]["__typename"] == "RegisterMemberPayload", data
        elif kind == "activities":
            items = [_activity(cmd) for cmd in payload]
            clock.now = max(cmd.at for cmd in payload)
            data = client.call(RECORD_MANY, {"input": items}, service)
            assert data["recordActivities"]["__typename"] == "RecordActivitiesPayload", data
        elif kind == "redeem":
            cmd, simulated_id = payload
            assert isinstance(cmd, RedeemReward)
            member = client.token(cmd.member_id, Role.MEMBER)
            variables = {"input": {"rewardId": gid("Reward", cmd.reward_id),
                                   "quantity": cmd.quantity,
                                   "idempotencyKey": cmd.idempotency_key}}  # fmt: skip
            result = client.call(REDEEM, variables, member)["redeemReward"]
            if simulated_id is not None:
                assert result["__typename"] == "RedeemRewardPayload", result
                redemptions[simulated_id] = result["redemption"]["id"]
            else:
                assert result["__typename"] != "RedeemRewardPayload", result
        elif kind == "fulfil":
            assert isinstance(payload, FulfillRedemption)
            variables = {"input": {"redemptionId": redemptions[payload.redemption_id]}}
            client.call(FULFIL, variables, operator)
        elif kind == "cancel":
            assert isinstance(payload, CancelRedemption)
            variables = {"input": {"redemptionId": redemptions[payload.redemption_id],
                                   "reason": payload.reason}}  # fmt: skip
            client.call(CANCEL, variables, operator)
        elif kind == "start_quest":
            # A member's own action, which the API stamps with the server's clock: a past
            # run's quest periods are reached through the services (the mutations have
            # their own end-to-end specs).
            assert isinstance(payload, StartQuest)
            with contextlib.suppress(DomainError):  # refused in the simulation too
                services.start_quest(payload, upkeep(), economy)
        elif kind == "claim_quest":
            assert isinstance(payload, ClaimQuestReward)
            with contextlib.suppress(DomainError):
                services.claim_quest_reward(payload, upkeep(), economy)
        elif replay_program(kind, payload, upkeep, economy, assignments):
            # Tasks, contests and seasons: operators' and members' steps at simulated
            # times, reached through the services (their mutations have e2e specs).
            continue
        elif kind == "review":
            assert isinstance(payload, ReviewMember)
            services.review_member(payload, upkeep(), economy)
        elif kind == "restock":
            assert isinstance(payload, Restock)
            services.restock(payload, upkeep(), economy)
        elif kind == "decide_referral":  # an operator's decision, as the mutation sends it
            assert isinstance(payload, DecideReferralReward)
            mutation = CONFIRM_REWARD if payload.confirm else REVERSE_REWARD
            variables = {"input": {"inviteeId": gid("Member", payload.invitee_id),
                                   "reason": payload.reason,
                                   "idempotencyKey": payload.idempotency_key}}  # fmt: skip
            clock.now = payload.at
            found = client.call(mutation, variables, operator)
            assert next(iter(found.values()))["__typename"] == "ReferralPayload", found
        elif kind == "confirm_commissions":  # the review's part, as `honorloop review` runs it
            assert isinstance(payload, datetime)
            services.confirm_commissions(upkeep, economy, payload)
        else:
            raise AssertionError(f"unknown log entry {kind!r}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, str, StreamClock]]:
    economy_path = tmp_path / "economy.toml"
    economy_path.write_text(ECONOMY, encoding="utf-8")
    with database_url(request.param, tmp_path) as url:
        settings = Settings(
            economy_path=str(economy_path),
            database_url=url,
            jwt_secret=SECRET,
            referral_key=SIM_REFERRAL_KEY.decode(),  # the simulator's codes are the server's
        ).validated()
        clock = StreamClock()
        with live_server(settings, clock=clock) as live:
            yield live.base_url, url, clock


def test_a_simulated_run_replayed_through_the_graphql_api_ends_in_the_same_state(
    server_url: tuple[str, str, StreamClock],
) -> None:
    # given a small simulated run that earns, redeems, cancels, expires and restocks
    base_url, database, clock = server_url
    sim = simulation(experiment(ECONOMY, busy_population(), members=25, days=65), keep_log=True)
    sim.run()
    economy = parse_economy(ECONOMY, "economy")
    members = [member_id(i) for i in range(sim.m.n)]
    assert {"redeem", "fulfil", "cancel", "review"} <= {kind for kind, _ in sim.log}
    assert {"offer_task", "submit_task", "review_task", "settle"} <= {k for k, _ in sim.log}

    # when its command stream goes through the API (upkeep through the same services)
    upkeep = SqlStore(database)
    try:
        with httpx.Client(timeout=60) as http:
            replay_over_api(sim.log, Client(base_url, http), upkeep, economy, clock)
        over_api = final_state(members, upkeep, economy)
    finally:
        upkeep.dispose()

    # then balances, levels, KOC tiers, honors and stock are identical
    simulated = final_state(members, sim.store, economy)
    assert over_api.stock == simulated.stock
    differing = [m for m in members if over_api.members[m] != simulated.members[m]]
    assert differing == [], [(simulated.members[m], over_api.members[m]) for m in differing[:3]]
    assert sum(s.lifetime_earned for s in over_api.members.values()) > 0
