"""Honors: automatic (activity counts, streaks, viral notes, level reached) in tiers,
and manual ones an operator grants and revokes with a reason."""

from __future__ import annotations

from bisect import bisect_right

from domain.economy import Economy, Honor
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


def viral_counter(threshold: int) -> str:
    return f"viral:{threshold}"


def tier_names(honor: Honor) -> list[str | None]:
    return [t.name for t in honor.tiers] if honor.tiers else [None]


def newly_reached(economy: Economy, member: Member) -> list[tuple[Honor, str | None]]:
    """Automatic honor tiers the member has just reached; records them as reached.

    Every automatic honor is looked at (a member's count can lag behind its value, e.g.
    after the economy gained an honor), but cheaply: one that holds all its tiers, or
    whose value is below its next tier, is passed over before anything is built."""
    reached: list[tuple[Honor, str | None]] = []
    held = member.progress.honor_tiers
    thresholds_of = economy.honor_thresholds
    for honor in economy.automatic_honors:
        thresholds = thresholds_of[honor.id]  # ascending
        have = held.get(honor.id, 0)
        if have >= len(thresholds):
            continue
        value = honor_value(economy, honor, member)
        if value < thresholds[have]:
            continue
        count = bisect_right(thresholds, value)
        names = tier_names(honor)
        reached.extend((honor, names[i]) for i in range(have, count))
        held[honor.id] = count
    return reached
