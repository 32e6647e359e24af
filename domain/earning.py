"""Earning rules: match an activity, apply limits, caps, cooldowns, subjects and streaks.

`evaluate` is the single evaluation used both to award (services.record_activity) and to
explain (services.explain_activity); `apply` writes a plan into the member's progress.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import NamedTuple

from domain import membership
from domain.calendar import bucket, day_number, epoch_seconds, month_index
from domain.economy import Economy, Period, Rule, attribute_value_max, points_max
from domain.errors import ActivityTooLate, InvalidInput
from domain.model import Attributes, AwardLine, Evaluation, LimitStatus, Progress

SubjectCheck = Callable[[str, str], bool]  # (rule id, subject id) -> already rewarded?
DAILY_CAP = "daily_cap"
balance_max = 2**62  # lifetime earnings (and so every balance) stay below; bigint holds 2^63


class Fire(NamedTuple):
    """A rule that fired (even for 0 points after a cap): its counters move."""

    rule: Rule
    points: int
    streak_length: int


class Plan(NamedTuple):
    """An activity as the rules judge it (a named tuple: one is built per activity)."""

    day: int
    at_seconds: int
    evaluation: Evaluation
    fires: tuple[Fire, ...]
    # How long the activity's points wait in the pending bucket: the longest
    # `pending_days` of the rules that paid it (0: available at once). One activity's
    # points pend together, in one pending earning. Derived from `fires` once, by
    # `evaluate`: the pipeline reads it several times per activity.
    pending_days: int


def counter_key(rule_id: str, period: str) -> str:
    return f"{rule_id}|{period}"


def _chosen_rules(economy: Economy, kind: str, attributes: Attributes) -> list[Rule]:
    """The first matching rule of each exclusive group, in file order."""
    rules = economy.rules_by_kind.get(kind, ())
    if len(rules) == 1:  # the usual case: one rule per kind
        return [rules[0]] if rules[0].matches(kind, attributes) else []
    seen: set[str] = set()
    chosen: list[Rule] = []
    for rule in rules:
        if rule.group in seen or not rule.matches(kind, attributes):
            continue
        seen.add(rule.group)
        chosen.append(rule)
    return chosen


def check_activity(
    economy: Economy, kind: str, subject_id: str | None, attributes: Attributes
) -> None:
    """Reject activities no rule could ever understand, naming the field."""
    # rules_by_kind holds most kinds; activity_kinds (built per call) adds the KOC kinds
    if kind not in economy.rules_by_kind and kind not in economy.activity_kinds:
        known = ", ".join(sorted(economy.activity_kinds))
        raise InvalidInput("kind", f"unknown activity kind {kind!r} (known: {known})")
    bounds = economy.attribute_bounds
    # Read as objects: the values are checked here, so no int may be assumed (compiled,
    # a typed loop would raise TypeError on a non-int before the check could name it).
    unchecked: Mapping[str, object] = attributes
    for name, value in unchecked.items():
        if type(value) is not int:  # not bool, not float: a whole number, compared exactly
            raise InvalidInput(f"attributes.{name}", f"must be a whole number, got {value!r}")
        if not 0 <= value <= bounds.get(name, attribute_value_max):
            raise InvalidInput(
                f"attributes.{name}", f"must be between 0 and {economy.attribute_max(name)}"
            )
    if subject_id is not None and not (0 < len(subject_id) <= 200):
        raise InvalidInput("subjectId", "must be 1 to 200 characters")
    if kind == economy.spend_kind:  # a purchase counted toward spend-driven levels
        amount = economy.level_review.amount_attribute
        if subject_id is None:
            raise InvalidInput("subjectId", "a purchase counts toward levels once per order, "
                               "so subjectId (the order id) is required")  # fmt: skip
        if amount not in attributes:
            raise InvalidInput(f"attributes.{amount}", "a purchase carries its amount, in the "
                               "currency's minor units (cents)")  # fmt: skip
    for rule in economy.rules_by_kind.get(kind, ()):
        if rule.once_per_subject and subject_id is None and rule.matches(kind, attributes):
            raise InvalidInput(
                "subjectId", f"rule {rule.id!r} pays once per subject, so subjectId is required"
            )


def check_not_future(economy: Economy, occurred_at: datetime, at: datetime) -> None:
    """An activity may be dated at most `clock_skew_seconds` after the request's time."""
    ahead = epoch_seconds(occurred_at) - epoch_seconds(at)
    if ahead > economy.clock_skew_seconds:
        raise InvalidInput(
            "occurredAt",
            f"is {ahead} s after the request's time; at most {economy.clock_skew_seconds} s "
            "are allowed for clock skew",
        )


def _used(progress: Progress, key: str, current: int) -> tuple[int, int]:
    """(count, points) of counter `key` in earlier bucket `current`, the one a late
    activity reaches; a bucket not kept holds nothing."""
    for b, n, pts in progress.earlier_counters.get(key, ()):
        if b == current:
            return n, pts
    return 0, 0


def _cap_used(progress: Progress, day: int) -> int:
    cap_day, cap_used = progress.daily_total
    if cap_day == day:
        return cap_used
    if cap_day > day:
        for d, used in progress.earlier_daily_totals:
            if d == day:
                return used
    return 0


def _subject_rewarded(
    economy: Economy, rule: Rule, subject_id: str, already_rewarded: SubjectCheck
) -> bool:
    """Once per subject holds for the rule's whole group: any of its once-per-subject
    rules that rewarded the subject blocks the others."""
    for rule_id in economy.group_once_rules[rule.id]:
        if already_rewarded(rule_id, subject_id):
            return True
    return False


def evaluate(
    economy: Economy,
    progress: Progress,
    kind: str,
    occurred_at: datetime,
    subject_id: str | None,
    attributes: Attributes,
    already_rewarded: SubjectCheck,
    *,
    at: datetime,
    with_limits: bool = True,
    paid_tier: str | None = None,
) -> Plan:
    """Judge the activity, received at `at`, against its own local day, week and month (a
    late one against the counters kept for them; one older than those raises
    `ActivityTooLate`). `with_limits=False` leaves the limit report (`Evaluation.limits`)
    empty: recording an activity does not read it; explaining does. `paid_tier` is the
    member's active paid tier when the activity happened: its multiplier applies to the
    rules it declares, before limits and caps."""
    day = day_number(occurred_at, economy.timezone)
    request_day = day if at is occurred_at else day_number(at, economy.timezone)
    # The earliest day accepted: `late_arrival_days` before the request's day, and before
    # the member's latest activity (should a caller's clock run behind); counters are kept
    # that long and no longer.
    earliest = max(request_day, progress.last_active_day) - economy.late_arrival_days
    if day < earliest:
        raise ActivityTooLate(
            date.fromordinal(day), date.fromordinal(earliest), economy.late_arrival_days
        )
    now_s = epoch_seconds(occurred_at)
    daily_cap = economy.daily_cap
    cap_day, cap_used = progress.daily_total
    if cap_day != day:
        cap_used = _cap_used(progress, day) if daily_cap is not None else 0
    cap_left = None if daily_cap is None else max(daily_cap - cap_used, 0)
    counters = progress.counters
    lines: list[AwardLine] = []
    limits: list[LimitStatus] = []
    fires: list[Fire] = []
    pending_days = 0
    for rule in _chosen_rules(economy, kind, attributes):
        base = rule.base_points(attributes)
        blocked: str | None = None
        if (
            rule.once_per_subject
            and subject_id is not None
            and _subject_rewarded(economy, rule, subject_id, already_rewarded)
        ):
            blocked = f"already rewarded for subject {subject_id!r}"
        if blocked is None and rule.cooldown_seconds:
            last = progress.last_award.get(rule.id)
            if last is not None:  # a late activity: judged by its distance to the latest
                wait = rule.cooldown_seconds - abs(now_s - last)
                if wait > 0:
                    blocked = f"cooldown: {wait} s left"
        points = base
        reasons: list[str] = []
        if paid_tier is not None:
            points = membership.multiplied(economy, paid_tier, rule.id, base)
            if points != base:
                reasons.append(f"multiplied by the paid tier {paid_tier}")
        point_limits: list[tuple[int, int]] = []  # (max points, points used) per point limit
        for limit in rule.limits:
            period = limit.period
            current = bucket(period, day)
            key = counter_key(rule.id, period)
            stored = counters.get(key)
            if stored is None or stored[0] < current:  # nothing counted yet in this bucket
                n, pts = 0, 0
            elif stored[0] == current:  # the usual case: the newest bucket
                n, pts = stored[1], stored[2]
            else:  # a late activity: an earlier bucket
                n, pts = _used(progress, key, current)
            if limit.max_points is not None:
                point_limits.append((limit.max_points, pts))
            if with_limits:
                limits.append(
                    LimitStatus(rule.id, period, limit.max_count, limit.max_points, n, pts)
                )
            if blocked is None and limit.max_count is not None and n >= limit.max_count:
                blocked = f"{period} limit of {limit.max_count} reached"
            if limit.max_points is not None and points > limit.max_points - pts:
                points = max(limit.max_points - pts, 0)
                reasons.append(f"clipped by the {period} limit of {limit.max_points} points")
        if blocked is not None:
            lines.append(AwardLine(rule.id, base, 0, 0, blocked))
            continue
        streak_length, bonus = 0, 0
        if rule.streak is not None:
            length, last_day = progress.streaks.get(rule.id, (0, 0))
            if last_day >= day:  # the same day, or a late activity: the streak stands
                streak_length = length
            else:
                streak_length = length + 1 if last_day == day - 1 else 1
                bonus = rule.streak.bonus_for(streak_length)
            points += bonus
            for max_points, pts in point_limits:  # the bonus is clipped by point limits too
                points = min(points, max(max_points - pts, 0))
        if not rule.exempt_from_daily_cap and cap_left is not None:
            if points > cap_left:
                points = cap_left
                reasons.append(f"clipped by the daily cap of {daily_cap} points")
            cap_left -= points
        assert 0 <= points <= points_max, f"rule {rule.id} computed {points} points"
        reason = "; ".join(reasons) if reasons else "awarded"
        lines.append(AwardLine(rule.id, base, bonus, points, reason, streak_length))
        fires.append(Fire(rule, points, streak_length))
        if points > 0 and rule.pending_days > pending_days:
            pending_days = rule.pending_days
    if daily_cap is not None and with_limits:
        limits.append(LimitStatus(DAILY_CAP, "day", None, daily_cap, 0, cap_used))
    evaluation = Evaluation(tuple(lines), tuple(limits))
    return Plan(day, now_s, evaluation, tuple(fires), pending_days)


def _count(
    progress: Progress, key: str, period: Period, current: int, points: int, keep_day: int
) -> None:
    """Add one fire of `points` to counter `key` in bucket `current` (`apply` counts the
    usual case, the newest bucket, itself). A superseded bucket moves to
    `earlier_counters` while it holds a day a late activity may still reach (on or after
    `keep_day`); older ones are dropped, so a counter keeps at most `late_arrival_days` + 1
    buckets."""
    counters = progress.counters
    stored = counters.get(key)
    if stored is None:
        counters[key] = (current, 1, points)
    elif stored[0] == current:
        counters[key] = (current, stored[1] + 1, stored[2] + points)
    elif stored[0] < current:  # a new bucket begins
        counters[key] = (current, 1, points)
        keep_from = bucket(period, keep_day)
        earlier = progress.earlier_counters
        older = earlier.get(key)
        if stored[0] >= keep_from:
            earlier[key] = (
                (stored, *[c for c in older if c[0] >= keep_from]) if older else (stored,)
            )
        elif older is not None:  # the superseded bucket is out of reach: older ones too
            del earlier[key]
    else:  # a late activity: its own, earlier bucket
        entries = progress.earlier_counters.get(key, ())
        updated = [(b, n + 1, p + points) if b == current else (b, n, p) for b, n, p in entries]
        if not any(b == current for b, _, _ in entries):
            updated.append((current, 1, points))
            updated.sort(reverse=True)
        progress.earlier_counters[key] = tuple(updated)


def _count_cap(progress: Progress, day: int, points: int, keep_from: int) -> None:
    """The daily cap's usage, kept like a day counter (see `_count`)."""
    cap_day, cap_used = progress.daily_total
    if cap_day == day:
        progress.daily_total = (day, cap_used + points)
    elif cap_day < day:
        progress.daily_total = (day, points)
        older = progress.earlier_daily_totals
        if cap_day >= keep_from:
            progress.earlier_daily_totals = (
                (cap_day, cap_used),
                *[t for t in older if t[0] >= keep_from],
            )
        elif older:  # the superseded day is out of reach: older ones too
            progress.earlier_daily_totals = ()
    else:
        entries = progress.earlier_daily_totals
        updated = [(d, used + points) if d == day else (d, used) for d, used in entries]
        if not any(d == day for d, _ in entries):
            updated.append((day, points))
            updated.sort(reverse=True)
        progress.earlier_daily_totals = tuple(updated)


def apply(economy: Economy, progress: Progress, kind: str, plan: Plan) -> None:
    """Move the member's counters as the plan says. Pure bookkeeping, no decisions."""
    day = plan.day
    progress.last_active_day = max(progress.last_active_day, day)
    keep_day = progress.last_active_day - economy.late_arrival_days  # the look-back's start
    counters = progress.counters
    capped = 0
    earned = 0
    for fire in plan.fires:
        rule = fire.rule
        earned += fire.points
        for limit in rule.limits:
            period = limit.period
            current = bucket(period, day)
            key = counter_key(rule.id, period)
            stored = counters.get(key)
            if stored is not None and stored[0] == current:  # the usual case: the newest
                counters[key] = (current, stored[1] + 1, stored[2] + fire.points)
            else:
                _count(progress, key, period, current, fire.points, keep_day)
        if plan.at_seconds > progress.last_award.get(rule.id, -1):
            progress.last_award[rule.id] = plan.at_seconds
        if rule.streak is not None and day >= progress.streaks.get(rule.id, (0, 0))[1]:
            progress.streaks[rule.id] = (fire.streak_length, day)
            best = progress.best_streaks.get(rule.id, 0)
            progress.best_streaks[rule.id] = max(best, fire.streak_length)
        if not rule.exempt_from_daily_cap:
            capped += fire.points
    if capped:
        cap_day, cap_used = progress.daily_total
        if cap_day == day:  # the usual case
            progress.daily_total = (day, cap_used + capped)
        else:
            _count_cap(progress, day, capped, keep_day)
    if earned and not plan.pending_days:  # pending points count once confirmed
        record_earning(economy, progress, day, earned)


def record_earning(economy: Economy, progress: Progress, day: int, points: int) -> None:
    """Count earned points toward lifetime, the review window and the expiry horizon."""
    progress.lifetime_earned += points
    assert progress.lifetime_earned < balance_max, "lifetime earnings out of range"
    progress.earned_by_day[day] = progress.earned_by_day.get(day, 0) + points
    horizon = day - economy.level_review.window_days
    if len(progress.earned_by_day) > economy.level_review.window_days:
        for old in [d for d in progress.earned_by_day if d <= horizon]:
            del progress.earned_by_day[old]
    if economy.expiry is not None:
        month = month_index(day)
        progress.earned_by_month[month] = progress.earned_by_month.get(month, 0) + points


def window_points(economy: Economy, progress: Progress, day: int) -> int:
    """Points earned in the review window ending on local day `day` (inclusive)."""
    start = day - economy.level_review.window_days
    return sum(p for d, p in progress.earned_by_day.items() if start < d <= day)
