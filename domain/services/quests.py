"""Use cases of quests: opting in, claiming rewards, reading progress; and the work the
quests reactor does for each recorded activity (advance, complete, pay)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from domain import earning, idempotency, ledger, levels
from domain.calendar import day_number, require_aware
from domain.commands import ClaimQuestReward, StartQuest
from domain.economy import Economy, Quest
from domain.errors import (
    InvalidInput,
    NotEligible,
    NotFound,
    QuestClosed,
    QuestFull,
    QuestNotCompleted,
)
from domain.ledger import Source, SourceKind
from domain.model import (
    Attributes,
    Event,
    HonorAward,
    HonorGranted,
    Member,
    PointsAwarded,
    QuestCompleted,
    QuestProgressed,
    Redemption,
    RedemptionStatus,
    RedemptionUpdated,
)
from domain.ports import UnitOfWork
from domain.quests import (
    QuestProgress,
    QuestState,
    advance,
    ineligibility,
    instance_ends,
    instance_of,
    is_open,
    may_advance,
    new_progress,
    steps_done,
)
from domain.services._support import (
    check_key,
    member_for_update,
    page_size_max,
    remember,
    replayed,
)


@dataclass(frozen=True, slots=True)
class QuestView:
    """A quest as one member sees it now: the current instance's progress (None when
    not started) and why the member may not take it (None when they may)."""

    quest: Quest
    instance: int
    progress: QuestProgress | None
    ineligible: str | None
    open: bool


def _quest(economy: Economy, quest_id: str) -> Quest:
    quest = economy.quest(quest_id)
    if quest is None:
        raise NotFound("quest", quest_id)
    return quest


def _holds(uow: UnitOfWork, member: Member, honor_id: str | None) -> bool:
    return honor_id is not None and uow.honors.active(member.id, honor_id) is not None


def _current(economy: Economy, quest: Quest, at: datetime) -> int:
    return instance_of(quest, day_number(at, economy.timezone))


def _key_scope(operation: str, member_id: str) -> str:
    """A member starts and claims quests only for itself (domain.idempotency)."""
    return idempotency.scope(idempotency.member_caller(member_id), operation, member_id)


def _result_id(progress: QuestProgress) -> str:
    return f"{progress.quest_id}@{progress.instance}"


def _stored(uow: UnitOfWork, member_id: str, result_id: str) -> QuestProgress:
    quest_id, _, instance = result_id.partition("@")
    found = uow.quests.get(member_id, quest_id, int(instance))
    assert found is not None, f"idempotency record points at missing quest progress {result_id}"
    return found


# --- the reactor's work -------------------------------------------------------------------


def on_activity(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    quests: Sequence[Quest],
    kind: str,
    attributes: Attributes,
    at: datetime,
    received: datetime,
    activity_id: str,
) -> list[Event]:
    """Advance every open quest with a step of this kind, once for this activity: the
    period holding its time, if that period had not closed when the activity arrived."""
    events: list[Event] = []
    day = day_number(at, economy.timezone)
    for quest in quests:
        if not is_open(quest, at) or not may_advance(quest, kind, attributes):
            continue  # closed, or no step matches (a post without the photos a step asks)
        instance = instance_of(quest, day)
        closes = instance_ends(quest, instance, economy.timezone)
        if closes is not None and received >= closes:
            continue  # arrived late, after its period closed: nothing advances
        progress = uow.quests.get(member.id, quest.id, instance)
        fresh = progress is None
        if progress is None:
            if quest.opt_in:
                continue  # waits for startQuest
            if ineligibility(economy, quest, member, _holds(uow, member, quest.honor)):
                continue
            progress = new_progress(quest, member.id, instance, at)
        if not advance(quest, progress, kind, attributes):
            continue
        events.append(QuestProgressed(member.id, quest.id, instance, progress.done, at))
        if steps_done(quest, progress):
            events.extend(_complete(uow, economy, member, quest, progress, at, activity_id))
        if fresh:
            uow.quests.add(progress)
        else:
            uow.quests.save(progress)
    return events


def _complete(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    quest: Quest,
    progress: QuestProgress,
    at: datetime,
    activity_id: str,
) -> list[Event]:
    progress.completed_at, progress.completed_by = at, activity_id
    if quest.capacity is not None and not uow.quests.take_place(
        quest.id, progress.instance, quest.capacity
    ):
        progress.state = QuestState.FULL
        return [QuestCompleted(member.id, quest.id, progress.instance, False, 0, at)]
    progress.state = QuestState.COMPLETED
    if quest.claim:
        return [QuestCompleted(member.id, quest.id, progress.instance, False, 0, at)]
    events = _pay(uow, economy, member, quest, progress, at)
    points = quest.reward.points
    return [*events, QuestCompleted(member.id, quest.id, progress.instance, True, points, at)]


def _pay(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    quest: Quest,
    progress: QuestProgress,
    at: datetime,
) -> list[Event]:
    """The quest's rewards: points (earned, so they count toward levels and expiry), a
    manual honor, a coupon code handed out as a redemption at no cost."""
    events: list[Event] = []
    reference = f"quest:{quest.id}@{progress.instance}"
    points = quest.reward.points
    if points:
        source = Source(SourceKind.QUEST, quest.id)
        owed = -uow.ledger.balance(ledger.debt_account(member.id))
        earn = ledger.earn(
            uow.next_id("trf"),
            {member.id: points},
            at,
            source,
            reference,
            f"quest {quest.id}",
            debts={member.id: owed} if owed > 0 else None,
        )
        assert uow.ledger.post(earn), "an earning transfer only credits the member"
        earning.record_earning(economy, member.progress, day_number(at, economy.timezone), points)
        events.append(PointsAwarded(member.id, progress.completed_by or reference, points, at))
        events.extend(levels.earn(economy, member, points, at))
    honor = economy.honor(quest.reward.honor) if quest.reward.honor else None
    if (
        honor is not None
        and uow.honors.active(member.id, honor.id) is None
        and uow.honors.take_seat(honor.id, honor.max_holders)
    ):
        award = HonorAward(
            uow.next_id("hon"), member.id, honor.id, None, at, reference, f"completed {quest.title}"
        )
        uow.honors.add(award)
        events.append(HonorGranted(member.id, honor.id, None, at))
    if quest.reward.coupon is not None:
        pending = Redemption(
            uow.next_id("red"),
            member.id,
            quest.reward.coupon,
            1,
            0,
            RedemptionStatus.RESERVED,
            at,
            at,
            note=f"reward of quest {quest.id}",
        )
        code = uow.stock.claim_code(pending.reward_id, pending.id)
        # With the pool empty the redemption stays reserved; the operator's fulfilment
        # hands out a code once new ones are added.
        redemption = (
            pending
            if code is None
            else replace(pending, status=RedemptionStatus.FULFILLED, coupon_code=code)
        )
        uow.redemptions.add(redemption)
        events.append(RedemptionUpdated(member.id, redemption.id, redemption.status, at))
    return events


# --- use cases ----------------------------------------------------------------------------


def start_quest(cmd: StartQuest, uow: UnitOfWork, economy: Economy) -> QuestProgress:
    """Opt in to the current instance of a quest (any quest may be started; an automatic
    one also starts by itself with its first matching activity)."""
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    quest = _quest(economy, cmd.quest_id)
    with uow:
        member = member_for_update(uow, cmd.member_id)
        key_scope = _key_scope(idempotency.START_QUEST, member.id)
        previous = replayed(uow, key_scope, cmd.idempotency_key, cmd)
        if previous is not None:
            return _stored(uow, member.id, previous.result_id)
        if not is_open(quest, cmd.at):
            raise QuestClosed(quest.id, "is not open now")
        instance = _current(economy, quest, cmd.at)
        progress = uow.quests.get(member.id, quest.id, instance)
        if progress is None:
            problem = ineligibility(economy, quest, member, _holds(uow, member, quest.honor))
            if problem is not None:
                raise NotEligible(problem, quest.min_level)
            progress = new_progress(quest, member.id, instance, cmd.at)
            uow.quests.add(progress)
        remember(uow, key_scope, cmd.idempotency_key, cmd, "quest", _result_id(progress))
        uow.commit()
    return progress


def claim_quest_reward(cmd: ClaimQuestReward, uow: UnitOfWork, economy: Economy) -> QuestProgress:
    """Pay a completed claim quest's rewards, once, while its instance is open."""
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    quest = _quest(economy, cmd.quest_id)
    if not quest.claim:
        raise InvalidInput("questId", f"quest {quest.id!r} pays at completion: nothing to claim")
    with uow:
        member = member_for_update(uow, cmd.member_id)
        key_scope = _key_scope(idempotency.CLAIM_QUEST_REWARD, member.id)
        previous = replayed(uow, key_scope, cmd.idempotency_key, cmd)
        if previous is not None:
            return _stored(uow, member.id, previous.result_id)
        if not is_open(quest, cmd.at):
            raise QuestClosed(quest.id, "is closed: its rewards can no longer be claimed")
        progress = uow.quests.get(member.id, quest.id, _current(economy, quest, cmd.at))
        if progress is None or progress.state is QuestState.ACTIVE:
            raise QuestNotCompleted(quest.id)
        if progress.state is QuestState.FULL:
            assert quest.capacity is not None, "only a quest with places can be full"
            raise QuestFull(quest.id, quest.capacity)
        if progress.state is QuestState.COMPLETED:
            events = _pay(uow, economy, member, quest, progress, cmd.at)
            progress.state, progress.claimed_at = QuestState.CLAIMED, cmd.at
            uow.quests.save(progress)
            uow.members.save(member)
            uow.events.extend(events)
        remember(uow, key_scope, cmd.idempotency_key, cmd, "quest", _result_id(progress))
        uow.commit()
    return progress


def quests_for(member_id: str, uow: UnitOfWork, economy: Economy, at: datetime) -> list[QuestView]:
    """Every quest of the economy as the member sees it at `at`, in file order."""
    require_aware(at, "at")
    with uow:
        member = uow.members.get(member_id)
        if member is None:
            raise NotFound("member", member_id)
        views: list[QuestView] = []
        for quest in economy.quests:
            instance = _current(economy, quest, at)
            progress = uow.quests.get(member.id, quest.id, instance)
            problem = ineligibility(economy, quest, member, _holds(uow, member, quest.honor))
            views.append(QuestView(quest, instance, progress, problem, is_open(quest, at)))
    return views


def quest_history(
    member_id: str, uow: UnitOfWork, after: tuple[str, int] | None = None, first: int = 20
) -> list[QuestProgress]:
    with uow:
        return uow.quests.list_for_member(member_id, after, min(max(first, 0), page_size_max))
