"""KOC tiers (seed 001, Miniso): junior after a first note, intermediate after several
notes in a short span, senior once a note goes viral; a senior whose recent notes all
perform poorly leaves the senior group."""

from __future__ import annotations

from datetime import datetime

from domain.economy import Economy, KocProgram, KocTier
from domain.model import KocTierChanged, Member

notes_kept_max = 50
measured_kept_max = 200


def _count_tier_met(tier: KocTier, notes: list[tuple[int, str]], total: int, day: int) -> bool:
    if tier.viral_interactions is not None or tier.min_notes == 0:
        return False
    if tier.within_days is None:
        return total >= tier.min_notes
    recent = sum(1 for d, _ in notes if d > day - tier.within_days)
    return recent >= tier.min_notes


def _rank(koc: KocProgram, tier_id: str | None) -> int:
    return next((t.rank for t in koc.tiers if t.id == tier_id), -1)


def _set(
    member: Member, koc: KocProgram, tier: KocTier | None, at: datetime
) -> list[KocTierChanged]:
    new = tier.id if tier else None
    if new == member.koc_tier:
        return []
    old = member.koc_tier
    member.koc_tier = new
    return [KocTierChanged(member.id, old, new, at)]


def note_published(
    economy: Economy, member: Member, note_id: str, day: int, at: datetime
) -> list[KocTierChanged]:
    koc = economy.koc
    if koc is None:
        return []
    progress = member.progress
    if any(known == note_id for _, known in progress.notes):
        return []  # the same note published again (an edit, a repost) is not another note
    progress.notes.append((day, note_id))
    if len(progress.notes) > notes_kept_max:
        del progress.notes[: len(progress.notes) - notes_kept_max]
    total = sum(progress.kind_counts.get(kind, 0) for kind in koc.note_kinds)
    current = _rank(koc, member.koc_tier)
    best = None
    for tier in koc.tiers:
        if tier.rank > current and _count_tier_met(tier, progress.notes, total, day):
            best = tier
    return _set(member, koc, best, at) if best else []


def note_measured(
    economy: Economy, member: Member, note_id: str, interactions: int, at: datetime
) -> list[KocTierChanged]:
    """A new interaction count for one of the member's notes: promote on a viral note,
    review a senior on the recent notes' performance."""
    koc = economy.koc
    if koc is None:
        return []
    progress = member.progress
    best = max(progress.note_interactions.pop(note_id, 0), interactions)
    progress.note_interactions[note_id] = best  # re-inserted: the dict keeps recency order
    while len(progress.note_interactions) > measured_kept_max:
        del progress.note_interactions[next(iter(progress.note_interactions))]
    current = _rank(koc, member.koc_tier)
    for candidate in reversed(koc.tiers):
        viral = candidate.viral_interactions
        if viral is not None and interactions >= viral and candidate.rank > current:
            return _set(member, koc, candidate, at)
    tier = economy.koc_tier(member.koc_tier) if member.koc_tier else None
    if tier is None or tier.viral_interactions is None:
        return []
    measured = [progress.note_interactions[n] for _, n in progress.notes
                if n in progress.note_interactions]  # fmt: skip
    recent = measured[-koc.review_recent_notes :]
    if len(recent) < koc.review_recent_notes or max(recent) >= koc.review_min_interactions:
        return []
    fallback = None
    total = sum(progress.kind_counts.get(kind, 0) for kind in koc.note_kinds)
    for lower in koc.tiers[: tier.rank]:
        if lower.viral_interactions is None and (lower.min_notes == 0 or total >= lower.min_notes):
            fallback = lower
    return _set(member, koc, fallback, at)
