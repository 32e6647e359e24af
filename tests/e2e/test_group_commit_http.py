"""Group commit over HTTP (`HONORLOOP_GROUP_COMMIT=on`, so on PostgreSQL too): concurrent
recordActivity requests sharing transactions each get their own answer, every key sent
twice records once and replays once, a reused key fails alone, and every balance equals
its ledger afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.auth import utc_now
from tests.e2e.conftest import (
    DATABASES,
    RECORD,
    Api,
    LiveServer,
    Member,
    database_url,
    e2e_settings,
    live_server,
)
from tests.e2e.test_concurrency import _ledger_agrees

members_count = 8
activities_each = 5


@pytest.fixture(scope="module", params=DATABASES)
def grouped(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("grouped")
    with (
        database_url(request.param, directory) as url,
        live_server(e2e_settings(directory, url, group_commit="on")) as live,
    ):
        yield live


@pytest.fixture(scope="module")
def api(grouped: LiveServer) -> Iterator[Api]:
    with httpx.Client(timeout=30) as client:
        yield Api(grouped.base_url, client)


async def _fire(api: Api, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every activity at once, one connection each; the payloads in order."""
    limits = httpx.Limits(max_connections=len(items))
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def one(item: dict[str, Any]) -> dict[str, Any]:
            response = await client.post(
                api.url,
                json={"query": RECORD, "variables": {"input": item}},
                headers={"Authorization": f"Bearer {api.service}"},
            )
            body: dict[str, Any] = response.json()
            assert not body.get("errors"), body
            payload: dict[str, Any] = body["data"]["recordActivity"]
            return payload

        return await asyncio.gather(*(one(item) for item in items))


def _interaction(member: Member, key: str, subject: str) -> dict[str, Any]:
    return {"memberId": member.id, "kind": "interaction", "subjectId": subject,
            "idempotencyKey": key, "occurredAt": utc_now().isoformat()}  # fmt: skip


def test_concurrent_requests_in_groups_keep_their_own_answers_and_keys(api: Api) -> None:
    members = [api.register("grouped") for _ in range(members_count)]
    items = [
        _interaction(member, f"{member.raw_id}-{n}", f"post-{n}")
        for n in range(activities_each)
        for member in members
    ]

    payloads = asyncio.run(_fire(api, items + items))  # every key twice, all at once

    assert {p["__typename"] for p in payloads} == {"RecordActivityPayload"}
    firsts, seconds = payloads[: len(items)], payloads[len(items) :]
    for first, second, item in zip(firsts, seconds, items, strict=True):
        assert sorted([first["replayed"], second["replayed"]]) == [False, True]
        assert first["activity"]["id"] == second["activity"]["id"]
        assert first["member"]["id"] == item["memberId"]  # each its own answer
    assert len({p["activity"]["id"] for p in firsts}) == len(items)
    for member in members:
        cached, summed = _ledger_agrees(api, member)
        assert cached == summed == {"AVAILABLE": activities_each, "RESERVED": 0}


def test_a_reused_key_fails_alone_among_concurrent_activities(api: Api) -> None:
    member = api.register("reuser")
    first = asyncio.run(_fire(api, [_interaction(member, "same", "a")]))[0]
    assert first["__typename"] == "RecordActivityPayload"
    others = [_interaction(member, f"other-{n}", f"b{n}") for n in range(10)]
    reused = _interaction(member, "same", "not a")  # same key, another payload

    payloads = asyncio.run(_fire(api, [*others[:5], reused, *others[5:]]))

    assert payloads[5]["__typename"] == "IdempotencyKeyReused"
    rest = payloads[:5] + payloads[6:]
    assert {p["__typename"] for p in rest} == {"RecordActivityPayload"}
    assert not any(p["replayed"] for p in rest)
    cached, summed = _ledger_agrees(api, member)
    assert cached == summed == {"AVAILABLE": 11, "RESERVED": 0}
