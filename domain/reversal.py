"""Reversals of activities: what an activity caused, undone (pure bookkeeping).

The service (`domain.services.reversals`) takes the points back in the ledger; the
functions here move the member's state back:

- Counters: each rule that fired (scored the activity, even for 0 points after a cap)
  gives back one count and its points in the activity's day, week and month buckets, and
  the daily cap its points, while those buckets are still kept (within
  `late_arrival_days` of the member's latest activity); older buckets are gone and stay
  so. So the same check-in can be earned again that day once its first was reversed.
- Points earned (not pending): lifetime, the review window (the activity's local day) and
  the expiry horizon (its month) lose them, never below zero; qualifying points too, and a
  member below its level's threshold (unless locked) is demoted at once, reason
  "reversed", to the level its qualifying points reach.
- Streak: when the member's streak of a rule ends on the activity's day with the length
  the activity scored, and no other fire of that rule is left in that day's count, the
  streak goes back one day (`length - 1`, ending the day before), or is removed at length
  1. Otherwise (a later day extended it, or the day's counter is no longer kept) it
  stands. The best streak is left as it was (a record, not a balance).
- Count honors: an activity whose kind counts toward honors gives its count back when it
  was counted (an accepted activity of a counted kind). Honor tiers whose trigger no longer
  reaches them are revoked (`no_longer_reached`), as are the level-based ones after a
  demotion.
- Quests (`domain.quests.retreat`): an active quest counts the activity back; a
  completed one stands.
- Subject marks stay: a reversed post's subject is not paid again when resent."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime

from domain import earning
from domain.calendar import bucket, month_index
from domain.economy import Economy, Honor
from domain.honors import tier_names
from domain.levels import current_level, level_for_points
from domain.model import ActivityRecord, AwardLine, LevelChanged, Member, Progress

REVERSED = "reversed"  # the reason of a demotion caused by a reversal


@dataclass(frozen=True, slots=True)
class Reversal:
    """One reversed activity (an activity is reversed at most once)."""

    activity_id: str
    member_id: str
    reason: str
    actor: str
    at: datetime
    transfer_id: str | None  # the reversal (or void) transfer; None if it earned nothing
    points: int  # taken back (available, pending or as debt)
    debt: int  # of which the member owed, as debt


def fired(line: AwardLine) -> bool:
    """Whether the rule scored the activity (its counters moved), even for 0 points."""
    return line.reason == "awarded" or line.reason.startswith("clipped")


def free_counters(economy: Economy, progress: Progress, record: ActivityRecord, day: int) -> None:
    """Give back the activity's counts and points to its rules' and the daily cap's
    buckets, while they are kept."""
    capped = 0
    for line in record.lines:
        rule = economy.rule(line.rule_id)
        if rule is None or not fired(line):
            continue
        for limit in rule.limits:
            key = earning.counter_key(rule.id, limit.period)
            current = bucket(limit.period, day)
            stored = progress.counters.get(key)
            if stored is not None and stored[0] == current:
                progress.counters[key] = _less(stored, line.points)
            elif key in progress.earlier_counters:
                progress.earlier_counters[key] = tuple(
                    _less(c, line.points) if c[0] == current else c
                    for c in progress.earlier_counters[key]
                )
        if not rule.exempt_from_daily_cap:
            capped += line.points
    if capped:
        cap_day, used = progress.daily_total
        if cap_day == day:
            progress.daily_total = (day, max(used - capped, 0))
        else:
            progress.earlier_daily_totals = tuple(
                (d, max(u - capped, 0)) if d == day else (d, u)
                for d, u in progress.earlier_daily_totals
            )


def _less(counter: tuple[int, int, int], points: int) -> tuple[int, int, int]:
    return (counter[0], max(counter[1] - 1, 0), max(counter[2] - points, 0))


def step_back_streaks(
    economy: Economy, progress: Progress, record: ActivityRecord, day: int
) -> None:
    """Streaks the activity extended on its day, one day back (see the module)."""
    for line in record.lines:
        rule = economy.rule(line.rule_id)
        if rule is None or rule.streak is None or not fired(line):
            continue
        if progress.streaks.get(rule.id) != (line.streak_length, day):
            continue
        if _fires_left(progress, rule.id, day, rule.limits):
            continue
        if line.streak_length > 1:
            progress.streaks[rule.id] = (line.streak_length - 1, day - 1)
        else:
            del progress.streaks[rule.id]


def _fires_left(progress: Progress, rule_id: str, day: int, limits: tuple[object, ...]) -> bool:
    """Whether the rule's day counter still holds a fire on `day` (unknown: assume so)."""
    key = earning.counter_key(rule_id, "day")
    stored = progress.counters.get(key)
    if stored is not None and stored[0] == day:
        return stored[1] > 0
    for counter in progress.earlier_counters.get(key, ()):
        if counter[0] == day:
            return counter[1] > 0
    return True  # no day counter kept for that day: the streak stands


def unearn(economy: Economy, member: Member, points: int, day: int) -> None:
    """Lifetime, the review window, the expiry horizon and qualifying points lose `points`."""
    progress = member.progress
    progress.lifetime_earned = max(progress.lifetime_earned - points, 0)
    if day in progress.earned_by_day:
        progress.earned_by_day[day] = max(progress.earned_by_day[day] - points, 0)
    month = month_index(day)
    if month in progress.earned_by_month:
        progress.earned_by_month[month] = max(progress.earned_by_month[month] - points, 0)
    member.qualifying_points = max(member.qualifying_points - points, 0)


def demote_if_below(economy: Economy, member: Member, at: datetime) -> list[LevelChanged]:
    """After a reversal: below the level's threshold, down to the level the qualifying
    points reach (unless the level is locked)."""
    if member.level_locked:
        return []
    level = current_level(economy, member)
    if member.qualifying_points >= level.threshold:
        return []
    target = level_for_points(economy, member.qualifying_points)
    member.level_id = target.id
    return [LevelChanged(member.id, level.id, target.id, at, REVERSED)]


def no_longer_reached(economy: Economy, member: Member) -> list[tuple[Honor, list[str | None]]]:
    """Automatic honor tiers the member holds but no longer reaches, by honor; records
    the tiers left as reached (a tier reached again is granted again)."""
    lost: list[tuple[Honor, list[str | None]]] = []
    held = member.progress.honor_tiers
    for check in economy.honor_checks:
        have = held.get(check.honor.id, 0)
        if have == 0:
            continue
        count = bisect_right(check.thresholds, check.trigger.value(member))
        if count >= have:
            continue
        names = tier_names(check.honor)
        lost.append((check.honor, [names[i] for i in range(count, have)]))
        held[check.honor.id] = count
    return lost
