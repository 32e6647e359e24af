"""A quest instance's places are never exceeded: twenty members completing it at once on
real connections, with two places left, make exactly two paid completers."""

from __future__ import annotations

from functools import partial

from domain import services
from domain.commands import RecordActivity, RegisterMember
from domain.quests import QuestState
from persistence.sql import SqlStore
from tests.integration.test_concurrency import in_parallel
from tests.unit.builders import economy_from, local

contenders = 20
ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 5

[[quests]]
id = "first_twenty"
capacity = 2
[[quests.steps]]
kind = "post"
count = 1
[quests.reward]
points = 100
"""
)


def test_twenty_members_completing_at_once_fill_two_places(sql_store: SqlStore) -> None:
    at = local(2026, 1, 10, 9)
    members = [
        services.register_member(RegisterMember(f"m{i}", f"m{i}", at), sql_store(), ECONOMY).id
        for i in range(contenders)
    ]

    def post(member: str) -> services.ActivityResult:
        cmd = RecordActivity(member, "post", at, f"post-{member}", at=at)
        return services.record_activity(cmd, sql_store(), ECONOMY)

    results = in_parallel([partial(post, m) for m in members])

    assert all(isinstance(r, services.ActivityResult) for r in results)
    states = [services.quest_history(m, sql_store())[0].state for m in members]
    assert states.count(QuestState.COMPLETED) == 2
    assert states.count(QuestState.FULL) == contenders - 2
    paid = [services.balances(m, sql_store()).available for m in members]
    assert sorted(paid) == [5] * (contenders - 2) + [105, 105]
