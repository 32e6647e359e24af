"""Levels: promotion at once from qualifying points; demotion by a rolling-window review
with a warning state, a grace period, a keep mark (low-water mark) and a floor."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.calendar import day_number
from domain.earning import window_points
from domain.economy import Economy, Level
from domain.model import LevelChanged, LevelState, LevelWarning, Member


def level_for_points(economy: Economy, points: int) -> Level:
    reached = economy.levels[0]
    for level in economy.levels:
        if level.threshold <= points:
            reached = level
    return reached


def current_level(economy: Economy, member: Member) -> Level:
    level = economy.level(member.level_id)
    assert level is not None, f"member {member.id} is at unknown level {member.level_id}"
    return level


def next_level(economy: Economy, level: Level) -> Level | None:
    return economy.levels[level.rank + 1] if level.rank + 1 < len(economy.levels) else None


def progress_to_next(economy: Economy, member: Member) -> float:
    """Fraction of the way from the current level's threshold to the next one (0..1)."""
    level = current_level(economy, member)
    upcoming = next_level(economy, level)
    if upcoming is None:
        return 1.0
    span = upcoming.threshold - level.threshold
    done = member.qualifying_points - level.threshold
    return min(max(done / span, 0.0), 1.0)


def earn(economy: Economy, member: Member, points: int, at: datetime) -> list[LevelChanged]:
    """Qualifying points grow with earning; promotion happens at once (unless locked)."""
    member.qualifying_points += points
    if member.level_state is LevelState.WARNING:
        level = current_level(economy, member)
        if window_points(economy, member.progress, day_number(at, economy.timezone)) >= level.keep:
            member.level_state = LevelState.ACTIVE
            member.demotion_due = None
    if member.level_locked:
        return []
    target = level_for_points(economy, member.qualifying_points)
    current = current_level(economy, member)
    if target.rank <= current.rank:
        return []
    member.level_id = target.id
    member.level_state = LevelState.ACTIVE
    member.demotion_due = None
    return [LevelChanged(member.id, current.id, target.id, at, "promoted")]


def review(economy: Economy, member: Member, as_of: datetime) -> list[LevelChanged | LevelWarning]:
    """Demotion review over the rolling window; call it as often as you like (idempotent)."""
    if member.level_locked:
        return []
    level = current_level(economy, member)
    earned = window_points(economy, member.progress, day_number(as_of, economy.timezone))
    floor = economy.level(economy.level_review.floor) if economy.level_review.floor else None
    at_floor = floor is not None and floor.id == level.id  # nowhere lower to go: no warning
    if earned >= level.keep or at_floor:
        member.level_state = LevelState.ACTIVE
        member.demotion_due = None
        return []
    if member.level_state is LevelState.ACTIVE:
        due = as_of + timedelta(days=economy.level_review.grace_days)
        member.level_state = LevelState.WARNING
        member.demotion_due = due
        return [LevelWarning(member.id, level.id, due, as_of)]
    assert member.demotion_due is not None, "a warned member has a demotion date"
    if as_of < member.demotion_due:
        return []
    lowest = floor.rank if floor is not None and floor.rank < level.rank else 0
    target = economy.levels[lowest]
    for candidate in economy.levels[lowest : level.rank]:
        if candidate.keep <= earned:
            target = candidate
    member.level_id = target.id
    member.qualifying_points = target.threshold  # climbing back means earning it again
    member.level_state = LevelState.ACTIVE
    member.demotion_due = None
    return [LevelChanged(member.id, level.id, target.id, as_of, "demoted")]


def lock(economy: Economy, member: Member, level: Level, at: datetime) -> list[LevelChanged]:
    """Operator lock: hold the member at `level`, no promotion or demotion until unlocked."""
    previous = member.level_id
    member.level_id = level.id
    member.level_locked = True
    member.level_state = LevelState.ACTIVE
    member.demotion_due = None
    if previous == level.id:
        return []
    return [LevelChanged(member.id, previous, level.id, at, "locked")]


def unlock(economy: Economy, member: Member, at: datetime) -> list[LevelChanged]:
    """Release the lock; the member's level follows qualifying points again, upward at once."""
    member.level_locked = False
    previous = current_level(economy, member)
    target = level_for_points(economy, member.qualifying_points)
    if target.rank > previous.rank:
        member.level_id = target.id
        return [LevelChanged(member.id, previous.id, target.id, at, "unlocked")]
    member.qualifying_points = max(member.qualifying_points, previous.threshold)
    return []
