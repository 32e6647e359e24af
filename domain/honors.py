"""Honors: automatic (activity counts, streaks, viral notes, level reached) in tiers,
and manual ones an operator grants and revokes with a reason."""

from __future__ import annotations

from bisect import bisect_right

from domain.economy import Economy, Honor
from domain.model import Member


def tier_names(honor: Honor) -> list[str | None]:
    return [t.name for t in honor.tiers] if honor.tiers else [None]


def newly_reached(economy: Economy, member: Member) -> list[tuple[Honor, str | None]]:
    """Automatic honor tiers the member has just reached; records them as reached.

    Every automatic honor is looked at (a member's count can lag behind its value, e.g.
    after the economy gained an honor), but cheaply: the economy has each one's typed
    trigger and sorted tiers ready, an honor whose tiers are all held is passed over
    before it is valued, and one whose value is below its next tier before anything is
    built."""
    reached: list[tuple[Honor, str | None]] = []
    held = member.progress.honor_tiers
    for check in economy.honor_checks:
        thresholds = check.thresholds
        have = held.get(check.honor.id, 0)
        if have >= len(thresholds):
            continue
        value = check.trigger.value(member)
        if value < thresholds[have]:
            continue
        honor = check.honor
        count = bisect_right(thresholds, value)
        names = tier_names(honor)
        reached.extend((honor, names[i]) for i in range(have, count))
        held[honor.id] = count
    return reached
