"""Locust load test of the ledger hot path, over GraphQL/HTTP only.

Personas (weights in brackets):
- `IngestService` [6]: a server-to-server ingester recording members' activities one by
  one and in batches, and replaying some keys (which must come back `replayed: true`).
- `ShoppingMember` [3]: a member reading their balance, asking what an activity would
  earn, and redeeming rewards from the mall (expected refusals such as insufficient
  points or out of stock are answers, not failures).
- `Operator` [1]: reads the leaderboard and a member, and adjusts points with a reason.

Every request is named after its GraphQL operation and fails when the response carries
`errors` or a `__typename` the operation does not expect.

Settings come from the environment: HONORLOOP_JWT_SECRET (the server's secret; the
development default otherwise), HONORLOOP_LOADTEST_MEMBERS (size of the member pool,
default 200) and HONORLOOP_LOADTEST_RUN (a tag keeping keys and handles unique per run).
This package imports no project code: it knows the API only by its public schema.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import jwt
from locust import HttpUser, between, events, task
from locust.env import Environment

from loadtests.operations import OPERATIONS, operation_name

DEV_SECRET = "honorloop-development-secret-do-not-use-in-production"
SECRET = os.environ.get("HONORLOOP_JWT_SECRET", DEV_SECRET)
POOL_SIZE = int(os.environ.get("HONORLOOP_LOADTEST_MEMBERS", "200"))
RUN = os.environ.get("HONORLOOP_LOADTEST_RUN", str(int(time.time())))
batch_size = 20
replay_keys_kept_max = 1000

REGISTER = OPERATIONS["RegisterMember"]
RECORD = OPERATIONS["RecordActivity"]
RECORD_BATCH = OPERATIONS["RecordActivities"]
VIEWER = OPERATIONS["Viewer"]
EXPLAIN = OPERATIONS["ExplainActivity"]
REWARDS = OPERATIONS["Rewards"]
REDEEM = OPERATIONS["RedeemReward"]
LEADERBOARD = OPERATIONS["Leaderboard"]
MEMBER = OPERATIONS["Member"]
ADJUST = OPERATIONS["AdjustPoints"]

REDEEM_ANSWERS = {
    "RedeemRewardPayload",
    "InsufficientPoints",
    "OutOfStock",
    "LimitReached",
    "NotEligible",
    "RewardUnavailable",
}
ACTIVITIES: tuple[tuple[str, dict[str, float], bool], ...] = (
    ("check_in", {}, False),
    ("interaction", {}, True),
    ("post", {"photos": 2}, True),
    ("post", {}, True),
    ("answer", {"accepted": 1}, True),
    ("short_video", {"seconds": 40}, True),
    ("purchase", {"amount": 12_999}, True),  # a shop order: 129.99, the order id as subject
)


def token(subject: str, role: str) -> str:
    now = datetime.now(UTC)
    claims = {"sub": subject, "role": role, "iat": int(now.timestamp()),
              "exp": int((now + timedelta(hours=6)).timestamp())}  # fmt: skip
    return jwt.encode(claims, SECRET, algorithm="HS256")


class Pool:
    """Members registered at test start, shared by every simulated user of this process."""

    lock = threading.Lock()
    members: ClassVar[list[tuple[str, str]]] = []  # (raw id, global id)
    rewards: ClassVar[list[str]] = []
    sequence = itertools.count()
    replayable: ClassVar[list[dict[str, Any]]] = []


def next_key(prefix: str) -> str:
    return f"lt-{RUN}-{prefix}-{os.getpid()}-{next(Pool.sequence)}"


class GraphQLUser(HttpUser):
    abstract = True
    role = "service"
    subject = "loadtest"

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Bearer {token(self.subject, self.role)}"}

    def gql(
        self,
        name: str,
        query: str,
        variables: dict[str, Any],
        expect: set[str],
        field: str | None = None,
        must_replay: bool = False,
    ) -> dict[str, Any] | None:
        with self.client.post(
            "/graphql",
            json={"query": query, "variables": variables, "operationName": operation_name(query)},
            headers=self.auth,
            name=name,
            catch_response=True,
        ) as response:
            try:
                body = response.json()
            except ValueError:
                response.failure(f"not JSON (HTTP {response.status_code})")
                return None
            if body.get("errors"):
                response.failure(str(body["errors"][0].get("message", body["errors"]))[:200])
                return None
            data: dict[str, Any] = body.get("data") or {}
            if field is not None:
                typename = (data.get(field) or {}).get("__typename")
                if typename not in expect:
                    response.failure(f"unexpected __typename {typename!r}")
                    return None
                if must_replay and not data[field].get("replayed"):
                    response.failure("a replayed idempotency key wrote again")
                    return None
            response.success()
            return data

    def member(self) -> tuple[str, str] | None:
        return random.choice(Pool.members) if Pool.members else None

    def activity_input(self, global_id: str) -> dict[str, Any]:
        kind, attributes, subject = random.choice(ACTIVITIES)
        return {
            "memberId": global_id,
            "kind": kind,
            "occurredAt": datetime.now(UTC).isoformat(),
            "idempotencyKey": next_key("act"),
            "subjectId": next_key("subj") if subject else None,
            "attributes": attributes,
        }


class IngestService(GraphQLUser):
    weight = 6
    wait_time = between(0.0, 0.05)

    @task(10)
    def record_activity(self) -> None:
        picked = self.member()
        if picked is None:
            return
        variables = {"input": self.activity_input(picked[1])}
        if self.gql("RecordActivity", RECORD, variables, {"RecordActivityPayload"},
                    "recordActivity") is not None:  # fmt: skip
            with Pool.lock:
                if len(Pool.replayable) < replay_keys_kept_max:
                    Pool.replayable.append(variables)

    @task(2)
    def record_batch(self) -> None:
        if not Pool.members:
            return
        batch = [self.activity_input(random.choice(Pool.members)[1]) for _ in range(batch_size)]
        self.gql("RecordActivities", RECORD_BATCH, {"input": batch},
                 {"RecordActivitiesPayload"}, "recordActivities")  # fmt: skip

    @task(1)
    def replay(self) -> None:
        with Pool.lock:
            variables = random.choice(Pool.replayable) if Pool.replayable else None
        if variables is None:
            return
        self.gql("RecordActivity (replay)", RECORD, variables, {"RecordActivityPayload"},
                 "recordActivity", must_replay=True)  # fmt: skip


class ShoppingMember(GraphQLUser):
    weight = 3
    wait_time = between(0.05, 0.3)
    role = "member"

    def on_start(self) -> None:
        picked = self.member()
        self.me = picked
        self.subject = picked[0] if picked else "nobody"
        super().on_start()

    @task(5)
    def viewer(self) -> None:
        self.gql("Viewer", VIEWER, {}, set())

    @task(2)
    def explain(self) -> None:
        if self.me is None:
            return
        variables = {"input": {k: v for k, v in self.activity_input(self.me[1]).items()
                               if k not in ("idempotencyKey", "memberId")}}  # fmt: skip
        self.gql("ExplainActivity", EXPLAIN, variables, {"ActivityExplanation"},
                 "explainActivity")  # fmt: skip

    @task(3)
    def redeem(self) -> None:
        if not Pool.rewards:
            return
        variables = {"input": {"rewardId": random.choice(Pool.rewards),
                               "idempotencyKey": next_key("red"), "quantity": 1}}  # fmt: skip
        self.gql("RedeemReward", REDEEM, variables, REDEEM_ANSWERS, "redeemReward")


class Operator(GraphQLUser):
    weight = 1
    wait_time = between(0.2, 1.0)
    role = "operator"
    subject = "loadtest-operator"

    @task(3)
    def leaderboard(self) -> None:
        self.gql("Leaderboard", LEADERBOARD, {}, set())

    @task(2)
    def read_member(self) -> None:
        picked = self.member()
        if picked is not None:
            self.gql("Member", MEMBER, {"id": picked[1]}, set())

    @task(1)
    def adjust(self) -> None:
        picked = self.member()
        if picked is None:
            return
        variables = {"input": {"memberId": picked[1], "amount": random.choice([50, 100, -10]),
                               "reason": "load test goodwill",
                               "idempotencyKey": next_key("adj")}}  # fmt: skip
        self.gql("AdjustPoints", ADJUST, variables,
                 {"AdjustPointsPayload", "InsufficientPoints"}, "adjustPoints")  # fmt: skip


@events.test_start.add_listener
def register_pool(environment: Environment, **_: Any) -> None:
    """Register the member pool and read the mall once, before any user starts."""
    import requests

    if POOL_SIZE == 0:
        return
    host = environment.host or "http://127.0.0.1:8000"
    headers = {"Authorization": f"Bearer {token('loadtest', 'service')}"}
    session = requests.Session()
    for n in range(POOL_SIZE):
        handle = f"lt{RUN}_{os.getpid()}_{n}"[:40]
        variables = {"input": {"handle": handle, "displayName": f"Load {n}", "externalId": handle}}
        body = session.post(f"{host}/graphql", json={"query": REGISTER, "variables": variables},
                            headers=headers, timeout=30).json()  # fmt: skip
        payload = (body.get("data") or {}).get("registerMember") or {}
        if payload.get("__typename") != "RegisterMemberPayload":
            raise RuntimeError(f"could not register load-test member {handle}: {body}")
        Pool.members.append((handle, payload["member"]["id"]))
    body = session.post(f"{host}/graphql", json={"query": REWARDS}, headers=headers,
                        timeout=30).json()  # fmt: skip
    edges = (((body.get("data") or {}).get("rewards")) or {}).get("edges", [])
    Pool.rewards = [edge["node"]["id"] for edge in edges]
