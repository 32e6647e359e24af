"""Team quests and help quests on every store (seed 003): a team full at its deadline is
paid and a member arriving later is refused, a team short at the deadline pays nobody and
expires, nobody joins their own team or joins twice or beyond the economy's limit, help
limits per instance and per local day, replays, and the last seat / the K-th help of a
day never exceeded under parallel requests (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from domain import services
from domain.commands import JoinFriendQuest, RegisterMember, StartFriendQuest
from domain.economy import Economy
from domain.errors import (
    AlreadyJoined,
    DomainError,
    FriendQuestClosed,
    HelpLimitReached,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    OwnInstance,
    TeamLimitReached,
)
from domain.model import HelpCompleted, HelpReceived, TeamExpired, TeamFilled
from domain.team_help import FriendQuestInstance, InstanceState
from tests.integration.conftest import StoreFactory
from tests.unit.builders import economy_from, local

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 5

[[team_quests]]
id = "team_buy"
title = "Team buy: three friends in 24 hours"
size = 3
hours = 24
points = 50
teams_per_member = 2

[[help_quests]]
id = "bargain"
title = "Help me bargain"
helps = 3
hours = 24
points = 40
helper_points = 2
helps_per_day = 3
"""
)
START = local(2026, 3, 2, 10)
DEADLINE = START + timedelta(hours=24)
SQL_STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class Friends:
    """The real services on one store, with short verbs."""

    def __init__(self, store: StoreFactory, economy: Economy = ECONOMY) -> None:
        self.store, self.economy = store, economy
        self._keys = itertools.count(1)

    def key(self) -> str:
        return f"k{next(self._keys)}"

    def member(self, handle: str) -> str:
        cmd = RegisterMember(handle, handle, local(2026, 1, 1, 8))
        return services.register_member(cmd, self.store(), self.economy).id

    def members(self, count: int, prefix: str = "m") -> list[str]:
        return [self.member(f"{prefix}{n:02d}") for n in range(count)]

    def start(
        self,
        member: str,
        quest: str = "team_buy",
        team: bool = True,
        at: datetime = START,
        key: str | None = None,
    ) -> FriendQuestInstance:
        cmd = StartFriendQuest(member, quest, team, key or self.key(), at)
        return services.start_friend_quest(cmd, self.store(), self.economy)

    def join(
        self, member: str, code: str, at: datetime = START, key: str | None = None
    ) -> FriendQuestInstance:
        cmd = JoinFriendQuest(member, code, True, key or self.key(), at)
        return services.join_friend_quest(cmd, self.store(), self.economy)

    def help(
        self, member: str, code: str, at: datetime = START, key: str | None = None
    ) -> FriendQuestInstance:
        cmd = JoinFriendQuest(member, code, False, key or self.key(), at)
        return services.join_friend_quest(cmd, self.store(), self.economy)

    def available(self, member: str) -> int:
        return services.balances(member, self.store()).available

    def instance(self, member: str, instance_id: str) -> FriendQuestInstance:
        found = services.friend_quest_instances(self.store(), member, None, 100)
        return next(i for i in found if i.id == instance_id)


def test_a_team_full_exactly_at_the_deadline_pays_everyone_once(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben, cai = friends.members(3)
    team = friends.start(ana)
    assert team.members == (ana,)
    assert team.deadline == DEADLINE
    assert len(team.code) == 10
    friends.join(ben, team.code, START + timedelta(hours=3))
    uow = store()
    filled = services.join_friend_quest(
        JoinFriendQuest(cai, team.code.lower(), True, "last-seat", DEADLINE), uow, ECONOMY
    )
    assert filled.state is InstanceState.FILLED
    assert filled.members == (ana, ben, cai)
    assert [friends.available(m) for m in (ana, ben, cai)] == [50, 50, 50]
    assert sorted(e.member_id for e in uow.events if isinstance(e, TeamFilled)) == sorted(
        [ana, ben, cai]
    )
    entries = services.ledger_entries(ana, store())
    assert [e.amount for e in entries] == [50]
    assert friends.instance(cai, team.id).state is InstanceState.FILLED


def test_one_transfer_with_the_team_source_pays_all_members(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben, cai = friends.members(3)
    team = friends.start(ana)
    friends.join(ben, team.code)
    friends.join(cai, team.code)
    transfers = {
        e.transfer_id for m in (ana, ben, cai) for e in services.ledger_entries(m, store())
    }
    assert len(transfers) == 1


def test_a_second_member_after_the_deadline_is_refused_and_nobody_is_paid(
    store: StoreFactory,
) -> None:
    friends = Friends(store)
    ana, ben, cai = friends.members(3)
    team = friends.start(ana)
    friends.join(ben, team.code, DEADLINE - timedelta(minutes=1))
    with pytest.raises(FriendQuestClosed) as refused:
        friends.join(cai, team.code, DEADLINE + timedelta(seconds=1))
    assert refused.value.state == "expired"
    assert refused.value.deadline == DEADLINE
    assert [friends.available(m) for m in (ana, ben, cai)] == [0, 0, 0]


def test_a_team_short_at_its_deadline_expires_and_pays_nothing(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben = friends.members(2)
    team = friends.start(ana)
    friends.join(ben, team.code)
    uow = store()
    expired, cursor = services.expire_friend_quests(uow, ECONOMY, DEADLINE)
    assert expired == []
    assert cursor is None
    uow = store()
    expired, cursor = services.expire_friend_quests(uow, ECONOMY, DEADLINE + timedelta(hours=1))
    assert [i.id for i in expired] == [team.id]
    assert cursor is None
    assert sorted(e.member_id for e in uow.events if isinstance(e, TeamExpired)) == sorted(
        [ana, ben]
    )
    assert friends.instance(ben, team.id).state is InstanceState.EXPIRED
    assert [friends.available(m) for m in (ana, ben)] == [0, 0]
    again, _ = services.expire_friend_quests(store(), ECONOMY, DEADLINE + timedelta(hours=2))
    assert again == []
    cai = friends.member("cai")
    with pytest.raises(FriendQuestClosed):
        friends.join(cai, team.code, START)  # even dated before the deadline: it is over


def test_joining_your_own_team_or_one_team_twice_is_refused(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben = friends.members(2)
    team = friends.start(ana)
    with pytest.raises(OwnInstance):
        friends.join(ana, team.code)
    friends.join(ben, team.code)
    with pytest.raises(AlreadyJoined):
        friends.join(ben, team.code)
    assert friends.instance(ana, team.id).members == (ana, ben)


def test_a_full_team_takes_nobody_more(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben, cai, dan = friends.members(4)
    team = friends.start(ana)
    friends.join(ben, team.code)
    friends.join(cai, team.code)
    with pytest.raises(FriendQuestClosed) as refused:
        friends.join(dan, team.code)
    assert refused.value.state == "filled"
    assert friends.available(dan) == 0


def test_a_member_is_in_at_most_the_teams_the_economy_allows(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben, cai, dan = friends.members(4)
    first, second, third = friends.start(ana), friends.start(ben), friends.start(cai)
    friends.join(dan, first.code)
    friends.join(dan, second.code)
    with pytest.raises(TeamLimitReached) as refused:
        friends.join(dan, third.code)
    assert refused.value.limit == 2
    friends.start(ana)  # a starter's own teams count too: ana is in two now
    with pytest.raises(TeamLimitReached):
        friends.start(ana)
    with pytest.raises(TeamLimitReached):
        friends.join(ana, third.code)


def test_an_expired_team_no_longer_counts_toward_the_limit(store: StoreFactory) -> None:
    friends = Friends(store)
    ana = friends.member("ana")
    friends.start(ana)
    friends.start(ana)
    services.expire_friend_quests(store(), ECONOMY, DEADLINE + timedelta(hours=1))
    later = friends.start(ana, at=DEADLINE + timedelta(hours=2))
    assert later.state is InstanceState.OPEN


def test_a_team_past_its_deadline_no_longer_counts_before_the_review(
    store: StoreFactory,
) -> None:
    friends = Friends(store)
    ana, ben, cai, dan = friends.members(4)
    first, second = friends.start(ana), friends.start(ana)
    with pytest.raises(TeamLimitReached):
        friends.start(ana, at=DEADLINE)  # at the deadline both teams are still open
    later = friends.start(ana, at=DEADLINE + timedelta(seconds=1))
    assert later.state is InstanceState.OPEN
    friends.start(ana, at=DEADLINE + timedelta(seconds=1))  # two live teams again
    fresh = friends.start(ben, at=DEADLINE + timedelta(seconds=1))
    friends.join(cai, fresh.code, DEADLINE + timedelta(seconds=2))  # cai's one team so far
    with pytest.raises(FriendQuestClosed):
        friends.join(dan, first.code, DEADLINE + timedelta(seconds=2))
    assert friends.instance(ana, first.id).state is InstanceState.OPEN  # not reviewed yet
    assert friends.instance(ana, second.id).state is InstanceState.OPEN
    with pytest.raises(TeamLimitReached):
        friends.start(ana, at=DEADLINE + timedelta(seconds=3))
    expired, _ = services.expire_friend_quests(store(), ECONOMY, DEADLINE + timedelta(hours=1))
    assert {i.id for i in expired} == {first.id, second.id}


def test_a_member_in_teams_past_their_deadline_may_join_another(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben, cai, dan = friends.members(4)
    friends.join(dan, friends.start(ana).code)
    friends.join(dan, friends.start(ben).code)
    fresh = friends.start(cai, at=DEADLINE)
    with pytest.raises(TeamLimitReached):
        friends.join(dan, fresh.code, DEADLINE)  # at the deadline dan is still in two
    joined = friends.join(dan, fresh.code, DEADLINE + timedelta(seconds=1))
    assert joined.members == (cai, dan)


def test_a_filled_team_past_its_deadline_still_counts(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben, cai = friends.members(3)
    team = friends.start(ana)
    friends.join(ben, team.code)
    friends.join(cai, team.code)  # filled: ana is in it until the limit says otherwise
    friends.start(ana)  # open, and over once its deadline passes
    friends.start(ana, at=DEADLINE + timedelta(days=3))
    with pytest.raises(TeamLimitReached):
        friends.start(ana, at=DEADLINE + timedelta(days=3))  # the filled one and the new one
    assert friends.instance(ana, team.id).state is InstanceState.FILLED


def test_an_open_help_instance_past_its_deadline_frees_its_start(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben = friends.members(2)
    first = friends.start(ana, "bargain", team=False)
    with pytest.raises(TeamLimitReached):
        friends.start(ana, "bargain", team=False, at=DEADLINE)
    again = friends.start(ana, "bargain", team=False, at=DEADLINE + timedelta(minutes=1))
    friends.help(ben, again.code, DEADLINE + timedelta(minutes=2))
    assert friends.instance(ana, first.id).state is InstanceState.OPEN  # not reviewed yet
    expired, _ = services.expire_friend_quests(store(), ECONOMY, DEADLINE + timedelta(hours=1))
    assert [i.id for i in expired] == [first.id]


def test_replayed_starts_and_joins_write_once(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben, cai = friends.members(3)
    team = friends.start(ana, key="s1")
    assert friends.start(ana, key="s1").id == team.id
    friends.join(ben, team.code.lower(), key="j1")
    assert friends.join(ben, f" {team.code} ", key="j1").members == (ana, ben)
    friends.join(cai, team.code, key="j2")
    replay = friends.join(cai, team.code, START + timedelta(hours=30), key="j2")
    assert replay.state is InstanceState.FILLED
    assert [friends.available(m) for m in (ana, ben, cai)] == [50, 50, 50]
    other = friends.start(ben, key="s2")
    with pytest.raises(IdempotencyKeyReused):
        friends.join(cai, other.code, key="j2")


def test_bad_codes_and_unknown_quests_are_typed_errors(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben = friends.members(2)
    with pytest.raises(NotFound):
        friends.start(ana, "no_such_quest")
    with pytest.raises(NotFound):
        friends.start(ana, "team_buy", team=False)  # a team quest is not a help quest
    with pytest.raises(NotFound):
        friends.join(ben, "ZZZZZZZZZZ")
    with pytest.raises(InvalidInput):
        friends.join(ben, "  ")
    with pytest.raises(InvalidInput):
        friends.join(ben, "X" * 65)
    helped = friends.start(ana, "bargain", team=False)
    with pytest.raises(NotFound):
        friends.join(ben, helped.code)  # a help code does not join a team


def test_a_help_instance_completes_at_its_helps_and_pays_starter_and_helpers(
    store: StoreFactory,
) -> None:
    friends = Friends(store)
    ana, ben, cai, dan, eve = friends.members(5)
    helped = friends.start(ana, "bargain", team=False)
    assert helped.members == ()
    uow = store()
    services.join_friend_quest(JoinFriendQuest(ben, helped.code, False, "h1", START), uow, ECONOMY)
    received = [e for e in uow.events if isinstance(e, HelpReceived)]
    assert [(e.member_id, e.helper_id, e.helps, e.needed) for e in received] == [(ana, ben, 1, 3)]
    friends.help(cai, helped.code)
    uow = store()
    done = services.join_friend_quest(
        JoinFriendQuest(dan, helped.code, False, "h3", START), uow, ECONOMY
    )
    assert done.state is InstanceState.COMPLETED
    assert done.members == (ben, cai, dan)
    completed = {e.member_id: e.points for e in uow.events if isinstance(e, HelpCompleted)}
    assert completed == {ana: 40, ben: 2, cai: 2, dan: 2}
    assert [friends.available(m) for m in (ana, ben, cai, dan)] == [40, 2, 2, 2]
    with pytest.raises(FriendQuestClosed):
        friends.help(eve, helped.code)


def test_a_helper_helps_one_instance_once_and_never_their_own(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben = friends.members(2)
    helped = friends.start(ana, "bargain", team=False)
    with pytest.raises(OwnInstance):
        friends.help(ana, helped.code)
    friends.help(ben, helped.code)
    with pytest.raises(AlreadyJoined):
        friends.help(ben, helped.code)
    assert friends.instance(ana, helped.id).members == (ben,)


def test_a_helper_helps_at_most_three_instances_a_local_day(store: StoreFactory) -> None:
    friends = Friends(store)
    helper = friends.member("helper")
    starters = friends.members(5, "s")
    codes = [friends.start(s, "bargain", team=False).code for s in starters]
    evening = local(2026, 3, 2, 23, 30)
    for code in codes[:3]:
        friends.help(helper, code, evening)
    with pytest.raises(HelpLimitReached) as refused:
        friends.help(helper, codes[3], local(2026, 3, 2, 23, 59))
    assert refused.value.per_day == 3
    friends.help(helper, codes[3], local(2026, 3, 3, 0, 1))  # a new day in Shanghai


def test_a_help_instance_short_at_its_deadline_expires_unpaid(store: StoreFactory) -> None:
    friends = Friends(store)
    ana, ben = friends.members(2)
    helped = friends.start(ana, "bargain", team=False)
    friends.help(ben, helped.code)
    with pytest.raises(FriendQuestClosed):
        friends.help(friends.member("cai"), helped.code, DEADLINE + timedelta(minutes=1))
    expired, _ = services.expire_friend_quests(store(), ECONOMY, DEADLINE + timedelta(hours=1))
    assert [i.id for i in expired] == [helped.id]
    assert friends.available(ana) == 0
    assert friends.available(ben) == 0


def test_a_starter_has_one_open_help_instance_of_a_quest(store: StoreFactory) -> None:
    friends = Friends(store)
    ana = friends.member("ana")
    friends.start(ana, "bargain", team=False)
    with pytest.raises(TeamLimitReached):
        friends.start(ana, "bargain", team=False)


def _parallel(calls: list[Callable[[], object]]) -> list[str]:
    outcomes: list[str] = []
    barrier = threading.Barrier(len(calls))
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            call()
            outcome = "ok"
        except DomainError as error:
            outcome = type(error).__name__
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.parametrize("store", SQL_STORES, indirect=True)
def test_twenty_parallel_joins_take_the_last_seats_once(store: StoreFactory) -> None:
    friends = Friends(store)
    ana = friends.member("ana")
    joiners = friends.members(20, "j")
    team = friends.start(ana)

    def joining(member: str) -> Callable[[], object]:
        return lambda: friends.join(member, team.code, key=f"join-{member}")

    outcomes = _parallel([joining(m) for m in joiners])
    assert outcomes.count("ok") == 2
    assert set(outcomes) - {"ok"} <= {"FriendQuestClosed", "TeamFull"}
    final = friends.instance(ana, team.id)
    assert final.state is InstanceState.FILLED
    assert len(final.members) == 3
    paid = [m for m in joiners if friends.available(m) == 50]
    assert sorted(paid) == sorted(final.members[1:])
    assert friends.available(ana) == 50


@pytest.mark.parametrize("store", SQL_STORES, indirect=True)
def test_twenty_parallel_helps_of_one_helper_stop_at_three_a_day(store: StoreFactory) -> None:
    friends = Friends(store)
    helper = friends.member("helper")
    starters = friends.members(20, "s")
    codes = [friends.start(s, "bargain", team=False).code for s in starters]

    def helping(code: str) -> Callable[[], object]:
        return lambda: friends.help(helper, code, key=f"help-{code}")

    outcomes = _parallel([helping(c) for c in codes])
    assert outcomes.count("ok") == 3
    assert set(outcomes) - {"ok"} == {"HelpLimitReached"}
    helped = services.friend_quest_instances(store(), helper, None, 100)
    assert len([i for i in helped if helper in i.members]) == 3


@pytest.mark.parametrize("store", SQL_STORES, indirect=True)
def test_twenty_parallel_helps_of_one_instance_stop_at_its_helps(store: StoreFactory) -> None:
    friends = Friends(store)
    ana = friends.member("ana")
    helpers = friends.members(20, "h")
    helped = friends.start(ana, "bargain", team=False)

    def helping(member: str) -> Callable[[], object]:
        return lambda: friends.help(member, helped.code, key=f"help-{member}")

    outcomes = _parallel([helping(m) for m in helpers])
    assert outcomes.count("ok") == 3
    assert set(outcomes) - {"ok"} == {"FriendQuestClosed"}
    assert friends.available(ana) == 40
    assert sum(friends.available(m) for m in helpers) == 6
