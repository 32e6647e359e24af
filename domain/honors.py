"""Honors: automatic (activity counts, streaks, viral notes, level reached) in tiers,
and manual ones an operator grants and revokes with a reason."""

from __future__ import annotations

from bisect import bisect_right

from domain.economy import Economy, Honor, viral_counter
from domain.model import Member


def honor_value(economy: Economy, honor: Honor, member: Member) -> int:
    progress = member.progress
    if honor.trigger == "activity_count":
        return sum(progress.kind_counts.get(kind, 0) for kind in honor.kinds)
    if honor.trigger == "streak":
        assert honor.rule is not None
        return progress.best_streaks.get(honor.rule, 0)
    if honor.trigger == "viral_note":
        return progress.kind_counts.get(viral_counter(honor.interactions or 0), 0)
    if honor.trigger == "level_reached":
        level = economy.level(honor.level or "")
        current = economy.level(member.level_id)
        assert level is not None and current is not None
        return 1 if current.rank >= level.rank else 0
    return 0


def tier_names(honor: Honor) -> list[str | None]:
    return [t.name for t in honor.tiers] if honor.tiers else [None]


def newly_reached(economy: Economy, member: Member) -> list[tuple[Honor, str | None]]:
    """Automatic honor tiers the member has just reached; records them as reached.

    Every automatic honor is looked at (a member's count can lag behind its value, e.g.
    after the economy gained an honor), but cheaply: the economy has each one's value
    source and sorted tiers ready, and an honor whose value is below its next tier is
    passed over before anything is built."""
    reached: list[tuple[Honor, str | None]] = []
    progress = member.progress
    held = progress.honor_tiers
    counts = progress.kind_counts
    rank = -1
    for check in economy.honor_checks:
        honor = check.honor
        thresholds = check.thresholds
        have = held.get(honor.id, 0)
        if have >= len(thresholds):
            continue
        if check.generic:
            value = honor_value(economy, honor, member)
        elif check.streak_rule is not None:
            value = progress.best_streaks.get(check.streak_rule, 0)
        elif check.level_rank is not None:
            if rank < 0:
                current = economy.level(member.level_id)
                assert current is not None, f"member {member.id} is at unknown level"
                rank = current.rank
            value = 1 if rank >= check.level_rank else 0
        else:
            value = 0
            for key in check.counted:
                value += counts.get(key, 0)
        if value < thresholds[have]:
            continue
        count = bisect_right(thresholds, value)
        names = tier_names(honor)
        reached.extend((honor, names[i]) for i in range(have, count))
        held[honor.id] = count
    return reached
