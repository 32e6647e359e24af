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


@dataclass
class FriendsProgram:
    """What the team and help quests did in one run, and the instances still open."""

    economy: Economy
    store: Callable[[], UnitOfWork]
    log: LogFn
    key: KeyFn
    quests: dict[str, dict[str, int]] = field(default_factory=dict)  # quest id -> counts
    open: dict[str, FriendQuestInstance] = field(default_factory=dict)  # by instance id

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
        self.open[started.id] = started

    def join(self, member: str, rng: np.random.Generator, at: datetime) -> list[Event]:
        """The member joins or helps one open instance, drawn uniformly among those it may
        still join; the events of the command (a fill pays its members)."""
        joinable = [
            i
            for i in self.open.values()
            if member not in i.participants and i.deadline >= at and i.state is InstanceState.OPEN
        ]
        if not joinable:
            return []
        chosen = joinable[int(rng.integers(len(joinable)))]
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
            self.open[done.id] = done
        else:
            del self.open[done.id]
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
                self.open.pop(instance.id, None)
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
