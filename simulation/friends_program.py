"""The simulator's side of team quests and help quests, through the same domain services
as the API.

Each day, after the day's activities: every visitor of an archetype with a `friend_join`
chance takes it to join one open team or help one open instance, drawn uniformly from
the instances it may still join (not its own, not one it is in, not past its deadline);
then every visitor of an archetype with a `friend_start` chance takes it to start an
instance of one team or help quest of the economy, drawn uniformly. A refused command
(a limit reached) is counted, not logged. Each scheduled review expires what passed its
deadline. Share codes are the store's own: a replay maps the simulated run's codes."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np

from domain.commands import JoinFriendQuest, StartFriendQuest
from domain.economy import Economy
from domain.errors import DomainError
from domain.model import Event, PointsAwarded
from domain.ports import UnitOfWork
from domain.services import team_help as services
from domain.team_help import FriendQuestInstance, FriendQuestKind, InstanceState

FRIEND_COUNTS = ("started", "filled", "expired", "joins", "refused", "points")
LogFn = Callable[[str, Any], None]
KeyFn = Callable[[str], str]


class Joinable:
    """The open instances a member may join, without a scan of all of them per joiner.

    `choose(member, at, draw)` gives what the plain filter gives: of the instances put,
    in the order they were first put, those `OPEN`, not past their deadline at `at` and
    without the member among their participants, the one at index `draw(count)`
    (`draw` is called only when `count` > 0, as the filter's caller drew). The instances
    whose deadline has passed leave a Fenwick tree of the live ones (indexed by the
    order they were put in) when `at` passes it, a member's own instances are indexed,
    so a choice costs the logarithm of the open instances and the member's own, not
    their number. `at` only grows from one call to the next (the simulated clock); a
    call with an earlier `at` falls back to the filter."""

    def __init__(self) -> None:
        self.instances: dict[str, FriendQuestInstance] = {}  # open, in the order put
        self._number: dict[str, int] = {}  # instance id -> its place in that order, from 1
        self._by_number: dict[int, FriendQuestInstance] = {}  # the live ones
        self._tree: list[int] = [0]  # Fenwick tree over numbers: 1 if live (index 0 unused)
        self._live = 0
        self._next = 1
        self._deadlines: list[tuple[datetime, int]] = []  # (deadline, number) of live ones
        self._mine: dict[str, set[int]] = {}  # member -> numbers of its open instances
        self._at: datetime | None = None

    def __len__(self) -> int:
        return len(self.instances)

    def _add(self, number: int, delta: int) -> None:
        tree = self._tree
        while number < len(tree):
            tree[number] += delta
            number += number & -number

    def _before(self, number: int) -> int:
        """How many live instances have a smaller number."""
        tree, number, total = self._tree, number - 1, 0
        while number > 0:
            total += tree[number]
            number -= number & -number
        return total

    def _kth(self, index: int) -> int:
        """The number of the live instance at `index` (from 0) in number order."""
        tree, at, step = self._tree, 0, 1 << (len(self._tree).bit_length() - 1)
        while step:
            nxt = at + step
            if nxt < len(tree) and tree[nxt] <= index:
                at = nxt
                index -= tree[nxt]
            step >>= 1
        return at + 1

    def _grow(self) -> None:
        """Double the tree's room (rebuilt from the live numbers, once per doubling)."""
        size = 2 * len(self._tree)
        self._tree = [0] * size
        for number in self._by_number:
            self._add(number, 1)

    def _unlive(self, number: int) -> None:
        if self._by_number.pop(number, None) is not None:
            self._add(number, -1)
            self._live -= 1

    def put(self, instance: FriendQuestInstance) -> None:
        """An instance started, or its new state after a join (same id, same place)."""
        ident = instance.id
        number = self._number.get(ident)
        if number is None:
            number = self._number[ident] = self._next
            self._next += 1
            if number >= len(self._tree):
                self._grow()
            live = instance.state is InstanceState.OPEN and (
                self._at is None or instance.deadline >= self._at
            )
            if live:
                self._by_number[number] = instance
                self._add(number, 1)
                self._live += 1
                heapq.heappush(self._deadlines, (instance.deadline, number))
        elif number in self._by_number:
            if instance.state is InstanceState.OPEN:
                self._by_number[number] = instance
            else:
                self._unlive(number)
        self.instances[ident] = instance
        for member in instance.participants:
            self._mine.setdefault(member, set()).add(number)

    def remove(self, ident: str) -> FriendQuestInstance | None:
        instance = self.instances.pop(ident, None)
        if instance is None:
            return None
        number = self._number.pop(ident)
        self._unlive(number)
        for member in instance.participants:
            mine = self._mine.get(member)
            if mine is not None:
                mine.discard(number)
                if not mine:
                    del self._mine[member]
        return instance

    def _filtered(self, member: str, at: datetime) -> list[FriendQuestInstance]:
        return [
            i
            for i in self.instances.values()
            if member not in i.participants and i.deadline >= at and i.state is InstanceState.OPEN
        ]

    def choose(
        self, member: str, at: datetime, draw: Callable[[int], int]
    ) -> FriendQuestInstance | None:
        if self._at is not None and at < self._at:
            joinable = self._filtered(member, at)
            return joinable[draw(len(joinable))] if joinable else None
        self._at = at
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] < at:
            self._unlive(heapq.heappop(deadlines)[1])
        live = self._by_number
        own = sorted(n for n in self._mine.get(member, ()) if n in live)
        count = self._live - len(own)
        if count <= 0:
            return None
        index = draw(count)
        for number in own:  # skip the member's own instances at or before the index
            if self._before(number) <= index:
                index += 1
            else:
                break
        return live[self._kth(index)]


@dataclass
class FriendsProgram:
    """What the team and help quests did in one run, and the instances still open."""

    economy: Economy
    store: Callable[[], UnitOfWork]
    log: LogFn
    key: KeyFn
    quests: dict[str, dict[str, int]] = field(default_factory=dict)  # quest id -> counts
    open: Joinable = field(default_factory=Joinable)  # the instances still open

    def __post_init__(self) -> None:
        ids = [q.id for q in self.economy.team_quests] + [q.id for q in self.economy.help_quests]
        self.quests = {ident: dict.fromkeys(FRIEND_COUNTS, 0) for ident in ids}
        self.choices = [(q.id, True) for q in self.economy.team_quests] + [
            (q.id, False) for q in self.economy.help_quests
        ]

    def start(self, member: str, rng: np.random.Generator, at: datetime) -> None:
        """The member starts an instance of one quest, drawn uniformly."""
        quest_id, team = self.choices[int(rng.integers(len(self.choices)))]
        cmd = StartFriendQuest(member, quest_id, team, self.key("f"), at)
        try:
            started = services.start_friend_quest(cmd, self.store(), self.economy)
        except DomainError:
            self.quests[quest_id]["refused"] += 1
            return
        self.log("start_friend_quest", (cmd, started.code))
        self.quests[quest_id]["started"] += 1
        self.open.put(started)

    def join(self, member: str, rng: np.random.Generator, at: datetime) -> list[Event]:
        """The member joins or helps one open instance, drawn uniformly among those it may
        still join; the events of the command (a fill pays its members)."""
        chosen = self.open.choose(member, at, lambda count: int(rng.integers(count)))
        if chosen is None:
            return []
        team = chosen.kind is FriendQuestKind.TEAM
        cmd = JoinFriendQuest(member, chosen.code, team, self.key("j"), at)
        uow = self.store()
        counts = self.quests[chosen.quest_id]
        try:
            done = services.join_friend_quest(cmd, uow, self.economy)
        except DomainError:
            counts["refused"] += 1
            return []
        self.log("join_friend_quest", cmd)
        counts["joins"] += 1
        if done.state is InstanceState.OPEN:
            self.open.put(done)
        else:
            self.open.remove(done.id)
            counts["filled"] += 1
        events = list(uow.events)
        counts["points"] += sum(e.points for e in events if isinstance(e, PointsAwarded))
        return events

    def expire(self, as_of: datetime) -> None:
        """Expire every open instance past its deadline, as the scheduled review does."""
        self.log("expire_friend_quests", as_of)
        after: str | None = None
        while True:
            expired, after = services.expire_friend_quests(self.store(), self.economy, as_of,
                                                           after)  # fmt: skip
            for instance in expired:
                self.open.remove(instance.id)
                self.quests[instance.quest_id]["expired"] += 1
            if after is None:
                return


def replay_friends(
    kind: str, payload: Any, uow: Callable[[], UnitOfWork], economy: Economy,
    codes: dict[str, str],
) -> bool:  # fmt: skip
    """Replay one team or help entry (True if `kind` is one). A join names the simulated
    run's share code: it is mapped to the code the replay's store gave the instance."""
    if kind == "start_friend_quest":
        cmd, simulated = payload
        assert isinstance(cmd, StartFriendQuest)
        codes[simulated] = services.start_friend_quest(cmd, uow(), economy).code
    elif kind == "join_friend_quest":
        assert isinstance(payload, JoinFriendQuest)
        services.join_friend_quest(replace(payload, code=codes[payload.code]), uow(), economy)
    elif kind == "expire_friend_quests":
        assert isinstance(payload, datetime)
        after: str | None = None
        while True:
            _, after = services.expire_friend_quests(uow(), economy, payload, after)
            if after is None:
                break
    else:
        return False
    return True
