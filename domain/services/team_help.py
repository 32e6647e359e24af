"""Use cases of team quests and help quests (domain.team_help): start an instance, join a
team or help an instance by its share code, expire what passed its deadline, read a
member's instances.

Every join or help locks, in member id order, the starter, everybody already in the
instance and the newcomer, then reads the instance again: joins of one instance queue on
its starter's row, so the last seat is taken once, and a helper's helps queue on the
helper's row, so the K-th help of a day is the last. The instance itself is saved by a
conditional update on its version. A filled team or a completed help instance is paid by
one transfer with a posting per member paid."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from domain import earning, idempotency, ledger, levels, team_help
from domain.calendar import day_number, require_aware
from domain.commands import JoinFriendQuest, StartFriendQuest
from domain.economy import Economy, HelpQuest, TeamQuest
from domain.errors import InvalidTransition, NotFound, TeamLimitReached
from domain.ledger import Source, SourceKind
from domain.model import (
    Event,
    HelpCompleted,
    HelpReceived,
    Member,
    PointsAwarded,
    TeamExpired,
    TeamFilled,
)
from domain.ports import UnitOfWork
from domain.services._support import (
    check_key,
    grant_automatic,
    member_for_update,
    page_size_max,
    remember,
    replayed,
)
from domain.team_help import (
    FriendQuestInstance,
    FriendQuestKind,
    InstanceState,
    Participation,
)

_LIVE = (InstanceState.OPEN, InstanceState.FILLED)  # the teams a member counts as being in
_attempts_max = 20  # re-reads when somebody joined between the read and the locks


def _kind(team: bool) -> FriendQuestKind:
    return FriendQuestKind.TEAM if team else FriendQuestKind.HELP


def _team_quest(economy: Economy, quest_id: str) -> TeamQuest:
    quest = economy.team_quest(quest_id)
    if quest is None:
        raise NotFound("team quest", quest_id)
    return quest


def _help_quest(economy: Economy, quest_id: str) -> HelpQuest:
    quest = economy.help_quest(quest_id)
    if quest is None:
        raise NotFound("help quest", quest_id)
    return quest


def _stored(uow: UnitOfWork, instance_id: str) -> FriendQuestInstance:
    found = uow.friend_quests.get(instance_id)
    assert found is not None, f"idempotency record points at missing instance {instance_id}"
    return found


def _save(uow: UnitOfWork, instance: FriendQuestInstance, action: str) -> None:
    if not uow.friend_quests.save(instance):
        current = uow.friend_quests.get(instance.id)
        state = current.state.value if current is not None else "gone"
        raise InvalidTransition(f"{instance.kind.value} instance", instance.id, state, action)
    instance.version += 1


def start_friend_quest(
    cmd: StartFriendQuest, uow: UnitOfWork, economy: Economy
) -> FriendQuestInstance:
    """Start a team (the starter is its first member) or a help instance, due `hours`
    after now, with its share code. A replayed key returns the first instance."""
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    kind = _kind(cmd.team)
    if cmd.team:
        team = _team_quest(economy, cmd.quest_id)
        hours, limit, points, helper_points = team.hours, team.teams_per_member, team.points, 0
    else:
        helped = _help_quest(economy, cmd.quest_id)
        hours, limit = helped.hours, helped.starts_per_member
        points, helper_points = helped.points, helped.helper_points
    operation = idempotency.START_TEAM_QUEST if cmd.team else idempotency.START_HELP_QUEST
    with uow:
        member = member_for_update(uow, cmd.member_id)
        scope = idempotency.scope(idempotency.member_caller(member.id), operation, member.id)
        previous = replayed(uow, scope, cmd.idempotency_key, cmd)
        if previous is not None:
            return _stored(uow, previous.result_id)
        states = _LIVE if cmd.team else (InstanceState.OPEN,)
        if (
            uow.friend_quests.count_for_member(
                member.id, cmd.quest_id, states, not cmd.team, cmd.at
            )
            >= limit
        ):
            raise TeamLimitReached(cmd.quest_id, limit)
        instance_id = uow.next_id("frq")
        instance = FriendQuestInstance(
            instance_id,
            kind,
            cmd.quest_id,
            member.id,
            team_help.share_code(economy.id, instance_id),
            cmd.at,
            cmd.at + timedelta(hours=hours),
            members=(member.id,) if cmd.team else (),
            points=points,
            helper_points=helper_points,
        )
        uow.friend_quests.add(instance)
        if cmd.team:
            day = day_number(cmd.at, economy.timezone)
            uow.friend_quests.add_participation(
                Participation(instance.id, member.id, kind, cmd.quest_id, 0, day, cmd.at)
            )
        remember(uow, scope, cmd.idempotency_key, cmd, f"{kind.value}_instance", instance.id)
        uow.commit()
    return instance


def join_friend_quest(
    cmd: JoinFriendQuest, uow: UnitOfWork, economy: Economy
) -> FriendQuestInstance:
    """Join a team or help an instance by its share code (see the module for the locks)."""
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    code = team_help.normalize_code(cmd.code)
    cmd = replace(cmd, code=code)  # the same code however typed: a replay, not a new payload
    kind = _kind(cmd.team)
    for _ in range(_attempts_max):
        with uow:
            found = uow.friend_quests.by_code(code)
            if found is None or found.kind is not kind:
                raise NotFound(f"{kind.value} code", code)
            locked_ids = sorted({*found.participants, cmd.member_id})
            locked = {ident: member_for_update(uow, ident) for ident in locked_ids}
            member = locked[cmd.member_id]
            operation = idempotency.JOIN_TEAM_QUEST if cmd.team else idempotency.HELP_QUEST
            scope = idempotency.scope(idempotency.member_caller(member.id), operation, member.id)
            previous = replayed(uow, scope, cmd.idempotency_key, cmd)
            if previous is not None:
                return _stored(uow, previous.result_id)
            instance = _stored(uow, found.id)
            # somebody joined before the locks were taken: lock them too, on the next attempt
            if set(instance.participants) <= set(locked_ids):
                if cmd.team:
                    events = _join_team(uow, economy, instance, locked, member, cmd.at)
                else:
                    events = _help(uow, economy, instance, locked, member, cmd.at)
                remember(
                    uow, scope, cmd.idempotency_key, cmd, f"{kind.value}_instance", instance.id
                )
                uow.events.extend(events)
                uow.commit()
                return instance
    raise InvalidTransition(f"{kind.value} instance", code, "busy", "join")


def _join_team(
    uow: UnitOfWork,
    economy: Economy,
    instance: FriendQuestInstance,
    locked: dict[str, Member],
    member: Member,
    at: datetime,
) -> list[Event]:
    quest = _team_quest(economy, instance.quest_id)
    newcomer = member.id != instance.starter_id and member.id not in instance.members
    if newcomer and instance.state is InstanceState.OPEN and not team_help.is_late(instance, at):
        teams = uow.friend_quests.count_for_member(member.id, quest.id, _LIVE, False, at)
        if teams >= quest.teams_per_member:
            raise TeamLimitReached(quest.id, quest.teams_per_member)
    filled = team_help.join(instance, member.id, quest.size, at)
    _save(uow, instance, "join")
    day = day_number(at, economy.timezone)
    uow.friend_quests.add_participation(
        Participation(
            instance.id, member.id, instance.kind, quest.id, len(instance.members) - 1, day, at
        )
    )
    if not filled:
        return []
    payees = dict.fromkeys(instance.members, instance.points)
    events = _pay(uow, economy, instance, locked, payees, SourceKind.TEAM, at)
    events += [
        TeamFilled(ident, instance.id, quest.id, instance.points, at) for ident in instance.members
    ]
    return events


def _help(
    uow: UnitOfWork,
    economy: Economy,
    instance: FriendQuestInstance,
    locked: dict[str, Member],
    member: Member,
    at: datetime,
) -> list[Event]:
    quest = _help_quest(economy, instance.quest_id)
    day = day_number(at, economy.timezone)
    today = uow.friend_quests.helps_on_day(member.id, day)
    done = team_help.help_instance(instance, member.id, quest.helps, today, quest.helps_per_day,
                                   at)  # fmt: skip
    _save(uow, instance, "help")
    uow.friend_quests.add_participation(
        Participation(
            instance.id, member.id, instance.kind, quest.id, len(instance.members) - 1, day, at
        )
    )
    events: list[Event] = [
        HelpReceived(
            instance.starter_id,
            instance.id,
            quest.id,
            member.id,
            len(instance.members),
            quest.helps,
            at,
        )
    ]
    if not done:
        return events
    payees = {instance.starter_id: instance.points}
    if instance.helper_points > 0:
        payees.update(dict.fromkeys(instance.members, instance.helper_points))
    events += _pay(uow, economy, instance, locked, payees, SourceKind.HELP, at)
    events += [HelpCompleted(ident, instance.id, quest.id, points, at)
               for ident, points in payees.items()]  # fmt: skip
    return events


def _pay(
    uow: UnitOfWork,
    economy: Economy,
    instance: FriendQuestInstance,
    locked: dict[str, Member],
    payees: dict[str, int],
    source_kind: SourceKind,
    at: datetime,
) -> list[Event]:
    """One earning transfer paying every payee (each locked), then each one's counters,
    levels and automatic honors."""
    reference = f"{instance.kind.value}:{instance.id}"
    memo = f"{instance.kind.value} quest {instance.quest_id}"
    source = Source(source_kind, instance.id)
    transfer = ledger.earn(uow.next_id("trf"), payees, at, source, reference, memo)
    assert uow.ledger.post(transfer), "an earning transfer only credits members"
    day = day_number(at, economy.timezone)
    events: list[Event] = []
    for ident, points in payees.items():
        payee = locked[ident]
        earning.record_earning(economy, payee.progress, day, points)
        events.append(PointsAwarded(ident, reference, points, at))
        events += levels.earn(economy, payee, points, at)
        events += grant_automatic(uow, economy, payee, at)
        uow.members.save(payee)
    return events


def expire_friend_quests(
    uow: UnitOfWork, economy: Economy, at: datetime, after_id: str | None = None
) -> tuple[list[FriendQuestInstance], str | None]:
    """Expire one page of open instances past their deadline as of `at` (nobody is
    paid); the ones expired and the next page's cursor (None: done). Idempotent."""
    require_aware(at, "at")
    expired: list[FriendQuestInstance] = []
    events: list[Event] = []
    with uow:
        page = uow.friend_quests.due(at, after_id, page_size_max)
        ids = sorted({ident for candidate in page for ident in candidate.participants})
        for ident in ids:  # every lock in id order, before any change
            member_for_update(uow, ident)
        for candidate in page:
            instance = _stored(uow, candidate.id)
            if not team_help.can_expire(instance, at):
                continue
            team_help.expire(instance, at)
            _save(uow, instance, "expire")
            expired.append(instance)
            if instance.kind is FriendQuestKind.TEAM:
                events += [TeamExpired(ident, instance.id, instance.quest_id, at)
                           for ident in instance.members]  # fmt: skip
        uow.events.extend(events)
        uow.commit()
    following = page[-1].id if len(page) == page_size_max else None
    return expired, following


def friend_quest_instances(
    uow: UnitOfWork, member_id: str, after_id: str | None = None, first: int = 20
) -> list[FriendQuestInstance]:
    """The member's team and help instances (started, joined or helped), by id."""
    with uow:
        return uow.friend_quests.for_member(
            member_id, after_id, min(max(first, 0), page_size_max + 1)
        )


def friend_quest_by_code(uow: UnitOfWork, code: str) -> FriendQuestInstance:
    normalized = team_help.normalize_code(code)
    with uow:
        found = uow.friend_quests.by_code(normalized)
    if found is None:
        raise NotFound("share code", normalized)
    return found
