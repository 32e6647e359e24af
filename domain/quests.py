"""Quests: goals over the activity stream (seed 000's monthly themes, seed 003's daily
tasks). A quest has steps ("3 posts with photos", "1 check-in"), a window in the
economy's time zone, and for recurring kinds a fresh instance each local day, week or
month. Progress is the member's state on one instance; it advances once per recorded
activity, from the same pipeline that awards points. Pure: no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain import levels
from domain.calendar import bucket, month_index, start_of_day
from domain.economy import Economy, Quest
from domain.model import Attributes, Member


class QuestState(StrEnum):
    ACTIVE = "active"  # started (opt-in) or under way, steps left
    COMPLETED = "completed"  # every step done: rewards paid, or waiting for a claim
    CLAIMED = "claimed"  # a claim quest's rewards were claimed
    FULL = "full"  # every step done after the instance's places were all taken


@dataclass(slots=True)
class QuestProgress:
    """One member on one instance of a quest (instance: the local day ordinal, the
    Monday of the week, the month index, or 0 for a one-off quest)."""

    member_id: str
    quest_id: str
    instance: int
    done: tuple[int, ...]  # activities counted per step, each at most the step's count
    state: QuestState
    started_at: datetime
    completed_at: datetime | None = None
    completed_by: str | None = None  # the activity that completed it
    claimed_at: datetime | None = None


def instance_of(quest: Quest, day: int) -> int:
    """The instance holding local day `day`."""
    if quest.kind == "daily":
        return bucket("day", day)
    if quest.kind == "weekly":
        return bucket("week", day)
    if quest.kind == "monthly":
        return month_index(day)
    return 0


def instance_ends(quest: Quest, instance: int, tz: ZoneInfo) -> datetime | None:
    """When the instance closes: its period's end, or the window's end if earlier."""
    if quest.kind == "daily":
        end: datetime | None = start_of_day(instance + 1, tz)
    elif quest.kind == "weekly":
        end = start_of_day(instance + 7, tz)
    elif quest.kind == "monthly":
        year, month = divmod(instance + 1, 12)
        end = start_of_day(date(year, month + 1, 1).toordinal(), tz)
    else:
        end = None
    if quest.ends is not None and (end is None or quest.ends < end):
        return quest.ends
    return end


def is_open(quest: Quest, at: datetime) -> bool:
    """Inside the quest's window (start inclusive, end exclusive)."""
    if quest.starts is not None and at < quest.starts:
        return False
    return quest.ends is None or at < quest.ends


def ineligibility(economy: Economy, quest: Quest, member: Member, holds_honor: bool) -> str | None:
    """Why the member may not take the quest, or None if they may."""
    if quest.min_level is not None:
        gate = economy.level(quest.min_level)
        assert gate is not None, f"quest {quest.id} names unknown level {quest.min_level}"
        current = levels.current_level(economy, member)
        if current.rank < gate.rank:
            return f"quest {quest.id!r} needs level {gate.title!r} (you are {current.title!r})"
    if quest.koc_tier is not None:
        tier = economy.koc_tier(quest.koc_tier)
        assert tier is not None, f"quest {quest.id} names unknown KOC tier {quest.koc_tier}"
        held = economy.koc_tier(member.koc_tier) if member.koc_tier else None
        if held is None or held.rank < tier.rank:
            return f"quest {quest.id!r} needs KOC tier {tier.title!r}"
    if quest.honor is not None and not holds_honor:
        honor = economy.honor(quest.honor)
        title = honor.title if honor is not None else quest.honor
        return f"quest {quest.id!r} needs the honor {title!r}"
    return None


def new_progress(quest: Quest, member_id: str, instance: int, at: datetime) -> QuestProgress:
    return QuestProgress(
        member_id, quest.id, instance, (0,) * len(quest.steps), QuestState.ACTIVE, at
    )


def may_advance(quest: Quest, kind: str, attributes: Attributes) -> bool:
    """Whether any step of the quest matches the activity: if none does, `advance` moves
    nothing whatever the progress, so the progress need not be read."""
    for step in quest.steps:  # noqa: SIM110 (no generator: asked per activity)
        if step.matches(kind, attributes):
            return True
    return False


def advance(quest: Quest, progress: QuestProgress, kind: str, attributes: Attributes) -> bool:
    """Count one activity toward every unfinished step it matches (only the first
    unfinished step when the quest is ordered). True if anything moved."""
    if progress.state is not QuestState.ACTIVE:
        return False
    done = list(progress.done)
    moved = False
    for index, step in enumerate(quest.steps):
        if done[index] >= step.count:
            continue
        if step.matches(kind, attributes):
            done[index] += 1
            moved = True
        if quest.ordered:
            break  # later steps wait for this one
    if moved:
        progress.done = tuple(done)
    return moved


def retreat(quest: Quest, progress: QuestProgress, kind: str, attributes: Attributes) -> bool:
    """Count one reversed activity back: while the quest is active (a completed one
    stands), every step it matches with a count loses one; on an ordered quest only the
    latest step counted so far, if it matches. True if anything moved."""
    if progress.state is not QuestState.ACTIVE:
        return False
    done = list(progress.done)
    indexes = range(len(quest.steps))
    if quest.ordered:
        counted = [i for i in indexes if done[i] > 0]
        indexes = range(counted[-1], counted[-1] + 1) if counted else range(0)
    moved = False
    for index in indexes:
        if done[index] > 0 and quest.steps[index].matches(kind, attributes):
            done[index] -= 1
            moved = True
    if moved:
        progress.done = tuple(done)
    return moved


def steps_done(quest: Quest, progress: QuestProgress) -> bool:
    steps, done = quest.steps, progress.done
    assert len(done) == len(steps), f"quest {quest.id}: progress on {len(done)} steps"
    for index, step in enumerate(steps):  # noqa: SIM110 (no generator: asked per activity)
        if done[index] < step.count:
            return False
    return True
