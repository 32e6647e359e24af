"""Honors: automatic (activity counts, streaks, viral notes, level reached) in tiers,
and manual ones an operator grants and revokes with a reason."""

from __future__ import annotations

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
    """Automatic honor tiers the member has just reached; records them as reached."""
    reached: list[tuple[Honor, str | None]] = []
    for honor in economy.honors:
        if honor.manual:
            continue
        value = honor_value(economy, honor, member)
        thresholds = [t.at for t in honor.tiers] if honor.tiers else [1]
        count = sum(1 for at in thresholds if value >= at)
        have = member.progress.honor_tiers.get(honor.id, 0)
        if count > have:
            names = tier_names(honor)
            reached.extend((honor, names[i]) for i in range(have, count))
            member.progress.honor_tiers[honor.id] = count
    return reached
