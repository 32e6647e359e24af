"""memberEvents over graphql-transport-ws: a member hears its own events, never another's."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.e2e.conftest import Api, Member

PROTOCOL = Subprotocol("graphql-transport-ws")
SUBSCRIBE = """
subscription {
  memberEvents {
    __typename
    ... on PointsAwarded { activityId points }
    ... on HonorGranted { honorId }
  }
}
"""
wait_s = 0.5  # how long to listen before acting again (not an assertion)
attempts_max = 20


def _ws_url(api: Api) -> str:
    return api.url.replace("http://", "ws://", 1)


@asynccontextmanager
async def subscribed(api: Api, token: str | None) -> AsyncIterator[ClientConnection]:
    async with connect(_ws_url(api), subprotocols=[PROTOCOL]) as ws:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await ws.recv())
        assert ack["type"] == "connection_ack", ack
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        yield ws


async def _next(ws: ClientConnection) -> dict[str, Any] | None:
    try:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), wait_s))
    except TimeoutError:
        return None
    return message


async def _interact(api: Api, member: Member) -> str:
    """One small activity (1 point) for the member; returns its activity id."""
    result = await asyncio.to_thread(
        api.record, member, "interaction", subjectId=f"s-{secrets.token_hex(4)}"
    )
    activity_id: str = result["activity"]["id"]
    return activity_id


async def _first_message_after_acting(
    api: Api, ws: ClientConnection, act: Member, *others: Member
) -> tuple[dict[str, Any], set[str]]:
    """Act (for `others` first, then `act`) until the subscription speaks; the subscription
    may need a moment to start, so acting repeats, and every activity id is remembered."""
    mine: set[str] = set()
    for _ in range(attempts_max):
        for other in others:
            await _interact(api, other)
        mine.add(await _interact(api, act))
        message = await _next(ws)
        if message is not None:
            return message, mine
    raise AssertionError("the subscription never delivered an event")


async def test_a_recorded_activity_reaches_the_members_subscription(api: Api) -> None:
    alice = api.register("alice")

    async with subscribed(api, api.member_token(alice)) as ws:
        message, activities = await _first_message_after_acting(api, ws, alice)

    assert message["type"] == "next"
    event = message["payload"]["data"]["memberEvents"]
    assert event["__typename"] == "PointsAwarded"
    assert event["points"] == 1
    assert event["activityId"] in activities


async def test_a_member_never_hears_another_members_events(api: Api) -> None:
    bob, eve = api.register("bob"), api.register("eve")

    async with subscribed(api, api.member_token(eve)) as ws:
        message, eves = await _first_message_after_acting(api, ws, eve, bob)

    event = message["payload"]["data"]["memberEvents"]
    assert event["activityId"] in eves


async def test_subscribing_without_a_token_is_unauthenticated(api: Api) -> None:
    async with subscribed(api, None) as ws:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))

    assert message["type"] in {"error", "next"}
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_operator_cannot_subscribe_to_member_events(api: Api) -> None:
    async with subscribed(api, api.operator) as ws:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))

    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_bad_token_in_connection_init_closes_the_connection(api: Api) -> None:
    async with connect(_ws_url(api), subprotocols=[PROTOCOL]) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}})
        )
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403
