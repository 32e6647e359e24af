"""Levels: promotion at once when every criterion a level declares holds; demotion by a
rolling-window review with a warning state, a grace period, keep marks (low-water marks)
and a floor.

A level is reached by lifetime qualifying points (`threshold`) and, where it declares
them, by spend (`spend_min`, minor units) and purchases (`purchases_min`) in the review
window; it is kept while the window's points, spend and purchases meet its keep marks
(`keep`, `keep_spend`, `keep_purchases`). Spend is counted per local day from the
economy's purchase kind (`LevelReview.purchase_kind`), once per order, and only for the
window; a refund takes it back (`refund`), to be judged at the next review (a refund that
leaves the member short of the keep marks buys no grace period)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from domain.calendar import day_number
from domain.earning import window_points
from domain.economy import Economy, Level
from domain.model import LevelChanged, LevelState, LevelWarning, Member, Progress


class Spend(NamedTuple):
    """Purchases in the review window: their amount (minor units) and their number."""

    amount: int
    purchases: int


NO_SPEND = Spend(0, 0)


def level_for_points(economy: Economy, points: int) -> Level:
    reached = economy.levels[0]
    for level in economy.levels:
        if level.threshold <= points:
            reached = level
    return reached


def window_spend(economy: Economy, progress: Progress, day: int) -> Spend:
    """Spend in the review window ending on local day `day` (inclusive)."""
    if not progress.spend_by_day:  # the usual case: nothing bought in the window
        return NO_SPEND
    start = day - economy.level_review.window_days
    amount = purchases = 0
    for d, (spent, count) in progress.spend_by_day.items():
        if start < d <= day:
            amount += spent
            purchases += count
    return Spend(amount, purchases)


def reaches(level: Level, points: int, spend: Spend) -> bool:
    """Whether lifetime qualifying `points` and the window's `spend` meet every criterion."""
    return (
        points >= level.threshold
        and spend.amount >= level.spend_min
        and spend.purchases >= level.purchases_min
    )


def keeps(level: Level, earned: int, spend: Spend) -> bool:
    """Whether the window's points `earned` and `spend` meet every keep mark of `level`."""
    return (
        earned >= level.keep
        and spend.amount >= level.keep_spend
        and spend.purchases >= level.keep_purchases
    )


def level_reached(economy: Economy, member: Member, day: int) -> Level:
    """The highest level whose every criterion the member meets on local day `day`."""
    if economy.spend_kind is None:
        return level_for_points(economy, member.qualifying_points)
    spend = window_spend(economy, member.progress, day)
    reached = economy.levels[0]
    for level in economy.levels:
        if reaches(level, member.qualifying_points, spend):
            reached = level
    return reached


def current_level(economy: Economy, member: Member) -> Level:
    level = economy.level(member.level_id)
    assert level is not None, f"member {member.id} is at unknown level {member.level_id}"
    return level


def next_level(economy: Economy, level: Level) -> Level | None:
    return economy.levels[level.rank + 1] if level.rank + 1 < len(economy.levels) else None


def _fraction(done: int, needed: int) -> float:
    return min(max(done / needed, 0.0), 1.0) if needed > 0 else 1.0


def progress_to_next(economy: Economy, member: Member, day: int) -> float:
    """Fraction (0..1) of the way to the next level: of the points from this level's
    threshold to the next one's, and of the next level's spend and purchases in the
    window, the criterion least advanced."""
    level = current_level(economy, member)
    upcoming = next_level(economy, level)
    if upcoming is None:
        return 1.0
    span = upcoming.threshold - level.threshold
    least = _fraction(member.qualifying_points - level.threshold, span)
    if span == 0 and member.qualifying_points < upcoming.threshold:
        least = 0.0  # an equal threshold not yet met (a level reached while locked, say)
    if upcoming.spend_min or upcoming.purchases_min:
        spend = window_spend(economy, member.progress, day)
        least = min(least, _fraction(spend.amount, upcoming.spend_min))
        least = min(least, _fraction(spend.purchases, upcoming.purchases_min))
    return least


def _kept(economy: Economy, level: Level, member: Member, day: int) -> bool:
    spend = window_spend(economy, member.progress, day) if economy.spend_kind else NO_SPEND
    return keeps(level, window_points(economy, member.progress, day), spend)


def earn(economy: Economy, member: Member, points: int, at: datetime) -> list[LevelChanged]:
    """Qualifying points grow with earning; promotion happens at once (unless locked)."""
    before = member.qualifying_points
    member.qualifying_points += points
    if member.level_state is LevelState.WARNING:
        level = current_level(economy, member)
        if _kept(economy, level, member, day_number(at, economy.timezone)):
            member.level_state = LevelState.ACTIVE
            member.demotion_due = None
    if member.level_locked:
        return []
    current = current_level(economy, member)
    if economy.spend_kind is None:
        return _promote(member, current, level_for_points(economy, member.qualifying_points), at)
    # Spend only falls as the window moves on: points can promote only past a threshold.
    if not any(before < lv.threshold <= member.qualifying_points for lv in economy.levels):
        return []
    target = level_reached(economy, member, day_number(at, economy.timezone))
    return _promote(member, current, target, at)


def purchase(
    economy: Economy, member: Member, amount: int, points: int, at: datetime
) -> list[LevelChanged]:
    """A purchase (counted once per order by the caller) adds its amount to the day's spend
    and the `points` it earned (0 if pending) to qualifying points; a warned member who
    meets the keep marks again is no longer warned, and the member may be promoted at once
    (unless locked)."""
    member.qualifying_points += points
    day = day_number(at, economy.timezone)
    spent, count = member.progress.spend_by_day.get(day, (0, 0))
    member.progress.spend_by_day[day] = (spent + amount, count + 1)
    window = economy.level_review.window_days
    if len(member.progress.spend_by_day) > window:
        for old in [d for d in member.progress.spend_by_day if d <= day - window]:
            del member.progress.spend_by_day[old]
    current = current_level(economy, member)
    if member.level_state is LevelState.WARNING and _kept(economy, current, member, day):
        member.level_state = LevelState.ACTIVE
        member.demotion_due = None
    if member.level_locked:
        return []
    return _promote(member, current, level_reached(economy, member, day), at)


def refund(
    economy: Economy, member: Member, amount: int, purchased_at: datetime, at: datetime
) -> list[LevelWarning]:
    """A refunded purchase's amount and count leave its day's spend, if that day is still
    kept (a purchase older than the window counts for nothing already). A refund never
    promotes, and never demotes at once: the level is judged at the next review. But a
    refund buys no grace: a member it leaves short of the level's keep marks is warned
    with the demotion due now, so the next review demotes unless they buy again first."""
    day = day_number(purchased_at, economy.timezone)
    stored = member.progress.spend_by_day.get(day)
    if stored is None:
        return []
    spent, count = max(stored[0] - amount, 0), max(stored[1] - 1, 0)
    if spent or count:
        member.progress.spend_by_day[day] = (spent, count)
    else:
        del member.progress.spend_by_day[day]
    level = current_level(economy, member)
    floor = economy.level_review.floor
    if member.level_locked or level.id == floor or level.rank == 0:
        return []
    if _kept(economy, level, member, day_number(at, economy.timezone)):
        return []
    if member.demotion_due is not None and member.demotion_due <= at:
        return []  # already due: the next review demotes
    member.level_state = LevelState.WARNING
    member.demotion_due = at
    return [LevelWarning(member.id, level.id, at, at)]


def _promote(member: Member, current: Level, target: Level, at: datetime) -> list[LevelChanged]:
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
    day = day_number(as_of, economy.timezone)
    earned = window_points(economy, member.progress, day)
    spend = window_spend(economy, member.progress, day) if economy.spend_kind else NO_SPEND
    floor = economy.level(economy.level_review.floor) if economy.level_review.floor else None
    at_floor = floor is not None and floor.id == level.id  # nowhere lower to go: no warning
    if keeps(level, earned, spend) or at_floor:
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
        if keeps(candidate, earned, spend):
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
    """Release the lock; the member's level follows its criteria again, upward at once."""
    member.level_locked = False
    previous = current_level(economy, member)
    target = level_reached(economy, member, day_number(at, economy.timezone))
    if target.rank > previous.rank:
        member.level_id = target.id
        return [LevelChanged(member.id, previous.id, target.id, at, "unlocked")]
    member.qualifying_points = max(member.qualifying_points, previous.threshold)
    return []
