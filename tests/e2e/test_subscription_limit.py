"""A member holds at most 16 subscriptions: the 17th is refused with an `error` message
coded LIMIT_EXCEEDED (not a `next` message), and a place given back can be taken again.
Both stores."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from api.events import subscribers_per_member_max
from tests.e2e.conftest import Api, Member

PROTOCOL = "graphql-transport-ws"
SUBSCRIBE = "subscription { memberEvents { __typename ... on PointsAwarded { activityId } } }"
receive_timeout_s = 10.0  # how long a message may take before the spec gives up
messages_max = 16 * 8  # 16 subscriptions, each hearing the few events of one activity


async def _send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def _subscribe(ws: ClientConnection, ident: str) -> None:
    await _send(ws, {"id": ident, "type": "subscribe", "payload": {"query": SUBSCRIBE}})


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), receive_timeout_s))
    return message


async def _interact(api: Api, member: Member) -> None:
    await asyncio.to_thread(
        api.record, member, "interaction", subjectId=f"s-{secrets.token_hex(4)}"
    )


async def test_the_seventeenth_subscription_is_an_error_message_with_a_limit_code(
    api: Api,
) -> None:
    alice = api.register("subs")
    url = api.url.replace("http://", "ws://", 1)
    async with connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await _send(
            ws,
            {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {api.member_token(alice)}"},
            },
        )
        assert (await _receive(ws))["type"] == "connection_ack"
        for n in range(1, subscribers_per_member_max + 2):
            await _subscribe(ws, str(n))

        refused = await _receive(ws)

        assert refused["type"] == "error", refused
        assert [e["extensions"]["code"] for e in refused["payload"]] == ["LIMIT_EXCEEDED"]
        assert "16" in refused["payload"][0]["message"]

        # Give one place back; a new subscription takes it and hears the next event.
        kept = next(str(n) for n in range(1, 18) if str(n) != refused["id"])
        await _send(ws, {"id": kept, "type": "complete"})
        await _subscribe(ws, "again")
        heard = False
        await _interact(api, alice)  # every subscription hears each event it causes
        for _ in range(messages_max):
            message = await _receive(ws)
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            if message["id"] == "again":
                heard = True
                break
        assert heard, "the subscription that took the freed place never heard an event"
