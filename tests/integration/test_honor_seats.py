"""A manual honor's seats are never exceeded: concurrent grants for the last seat on real
connections (threads), exactly one winning, on SQLite and PostgreSQL."""

from __future__ import annotations

from functools import partial

import pytest
import sqlalchemy as sa

from domain import services
from domain.commands import GrantHonor, RegisterMember, RevokeHonor
from domain.errors import HonorCapacityReached
from domain.model import HonorAward
from persistence.sql import SqlStore
from tests.integration.shop import DEFAULT_AT
from tests.integration.test_concurrency import in_parallel
from tests.unit.builders import economy_from

seats = 5
contenders = 20
ECONOMY = economy_from(
    f"""
[rules.post]
kind = "post"
points = 10

[honors.founding]
title = "Founding members"
manual = true
max_holders = {seats}
"""
)


def join(store: SqlStore, handle: str) -> str:
    cmd = RegisterMember(handle, handle, DEFAULT_AT)
    return services.register_member(cmd, store(), ECONOMY).id


def grant(store: SqlStore, member_id: str) -> HonorAward:
    cmd = GrantHonor(member_id, "founding", "early supporter", "operator", DEFAULT_AT)
    return services.grant_honor(cmd, store(), ECONOMY)


def holders(store: SqlStore) -> int:
    with store() as uow:
        return uow.honors.holders("founding")


def test_twenty_parallel_grants_for_the_last_seat_make_one_holder(sql_store: SqlStore) -> None:
    for i in range(seats - 1):
        grant(sql_store, join(sql_store, f"early{i}"))
    hopefuls = [join(sql_store, f"hopeful{i}") for i in range(contenders)]

    results = in_parallel([partial(grant, sql_store, m) for m in hopefuls])

    won = [r for r in results if isinstance(r, HonorAward)]
    refused = [r for r in results if isinstance(r, HonorCapacityReached)]
    assert (len(won), len(refused)) == (1, contenders - 1)
    assert holders(sql_store) == seats


def test_a_revoked_honor_frees_its_seat(sql_store: SqlStore) -> None:
    members = [join(sql_store, f"m{i}") for i in range(seats)]
    for member_id in members:
        grant(sql_store, member_id)
    newcomer = join(sql_store, "newcomer")
    with pytest.raises(HonorCapacityReached):
        grant(sql_store, newcomer)

    cmd = RevokeHonor(members[0], "founding", "stepped down", "operator", DEFAULT_AT)
    services.revoke_honor(cmd, sql_store(), ECONOMY)

    assert grant(sql_store, newcomer).member_id == newcomer
    assert holders(sql_store) == seats


def test_seats_of_an_honor_granted_before_they_were_counted_are_counted_from_its_awards(
    sql_store: SqlStore,
) -> None:
    for i in range(seats):
        grant(sql_store, join(sql_store, f"m{i}"))
    with sql_store.engine.begin() as connection:  # as a database from before revision 0002
        connection.execute(sa.text("DELETE FROM honor_seats"))

    with pytest.raises(HonorCapacityReached):
        grant(sql_store, join(sql_store, "latecomer"))
