"""Team quests and help quests (seed 003: Pinduoduo's team buy and "help me bargain").

A member starts an *instance* of a quest and shares its code. For a team quest, friends
join until the team has `size` members (the starter included); a team full at or before
its deadline pays every member, one that is not full by then expires and pays nobody.
For a help quest, friends help until `helps` helpers have; the instance completes and
pays the starter (and each helper, when the quest declares helper points).

The share code is derived, not drawn: a SHA-256 of the economy id and the instance id
(ids are unique in a store), in an alphabet without look-alike letters. The code is not
a secret: joining needs a signed-in member and every limit below, not the code's secrecy.

Pure: no I/O, no clock. `version` counts the writes, so the store saves a change only
over the state it was read at (a conditional update)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import (
    AlreadyJoined,
    FriendQuestClosed,
    HelpLimitReached,
    InvalidInput,
    OwnInstance,
    TeamFull,
)

code_length = 10
code_length_max = 64  # a longer code given to a join is refused before any lookup
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols, no 0/O/1/I


class FriendQuestKind(StrEnum):
    TEAM = "team"
    HELP = "help"


class InstanceState(StrEnum):
    OPEN = "open"  # waiting for members or helpers
    FILLED = "filled"  # a team full in time: every member paid
    COMPLETED = "completed"  # a help instance with all its helps: paid
    EXPIRED = "expired"  # the deadline passed first: nobody paid


@dataclass(slots=True)
class FriendQuestInstance:
    """One started team or help instance. `members`: a team's members in join order (the
    starter first), or a help instance's helpers in help order (never the starter)."""

    id: str
    kind: FriendQuestKind
    quest_id: str
    starter_id: str
    code: str
    started_at: datetime
    deadline: datetime
    state: InstanceState = InstanceState.OPEN
    members: tuple[str, ...] = ()
    closed_at: datetime | None = None
    points: int = 0  # paid to each member (team) or to the starter (help)
    helper_points: int = 0  # paid to each helper when a help instance completes
    version: int = 0

    @property
    def participants(self) -> tuple[str, ...]:
        """Everybody the instance pays when it succeeds (help: the starter, then helpers)."""
        if self.kind is FriendQuestKind.TEAM:
            return self.members
        return (self.starter_id, *self.members)


@dataclass(frozen=True, slots=True)
class Participation:
    """One member joining a team or helping an instance, in `seat` (its place in the
    instance's `members`, from 0), on local day `day` (a date ordinal)."""

    instance_id: str
    member_id: str
    kind: FriendQuestKind
    quest_id: str
    seat: int
    day: int
    at: datetime


def share_code(economy_id: str, instance_id: str) -> str:
    digest = hashlib.sha256(f"honorloop-share\x1f{economy_id}\x1f{instance_id}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    symbols = []
    for _ in range(code_length):
        number, index = divmod(number, len(_ALPHABET))
        symbols.append(_ALPHABET[index])
    return "".join(symbols)


def normalize_code(code: str) -> str:
    """A code as typed: case and surrounding blanks do not matter."""
    if not code.strip() or len(code) > code_length_max:
        raise InvalidInput("code", f"must be 1 to {code_length_max} characters")
    return code.strip().upper()


def is_late(instance: FriendQuestInstance, at: datetime) -> bool:
    """Past the deadline: a join or help exactly at the deadline still counts."""
    return at > instance.deadline


def _check_open(instance: FriendQuestInstance, at: datetime) -> None:
    if instance.state is not InstanceState.OPEN:
        raise FriendQuestClosed(instance.id, instance.state.value, instance.deadline)
    if is_late(instance, at):
        raise FriendQuestClosed(instance.id, InstanceState.EXPIRED.value, instance.deadline)


def join(instance: FriendQuestInstance, member_id: str, size: int, at: datetime) -> bool:
    """Add a member to an open team; True when this join fills it (the team is paid)."""
    assert instance.kind is FriendQuestKind.TEAM, f"{instance.id} is not a team"
    if member_id == instance.starter_id:
        raise OwnInstance(instance.id)
    if member_id in instance.members:
        raise AlreadyJoined(instance.id, member_id)
    _check_open(instance, at)
    if len(instance.members) >= size:
        raise TeamFull(instance.id, size)
    instance.members = (*instance.members, member_id)
    if len(instance.members) == size:
        instance.state, instance.closed_at = InstanceState.FILLED, at
        return True
    return False


def help_instance(
    instance: FriendQuestInstance,
    helper_id: str,
    helps: int,
    helps_today: int,
    helps_per_day: int,
    at: datetime,
) -> bool:
    """Count a friend's help; True when this help completes the instance."""
    assert instance.kind is FriendQuestKind.HELP, f"{instance.id} is not a help instance"
    if helper_id == instance.starter_id:
        raise OwnInstance(instance.id)
    if helper_id in instance.members:
        raise AlreadyJoined(instance.id, helper_id)
    _check_open(instance, at)
    if helps_today >= helps_per_day:
        raise HelpLimitReached(helper_id, helps_per_day)
    assert len(instance.members) < helps, f"open instance {instance.id} has all its helps"
    instance.members = (*instance.members, helper_id)
    if len(instance.members) == helps:
        instance.state, instance.closed_at = InstanceState.COMPLETED, at
        return True
    return False


def can_expire(instance: FriendQuestInstance, at: datetime) -> bool:
    return instance.state is InstanceState.OPEN and is_late(instance, at)


def expire(instance: FriendQuestInstance, at: datetime) -> None:
    assert can_expire(instance, at), f"{instance.id} cannot expire at {at}"
    instance.state, instance.closed_at = InstanceState.EXPIRED, at
