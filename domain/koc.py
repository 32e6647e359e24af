"""KOC tiers (seed 001, Miniso): junior after a first note, intermediate after several
notes in a short span, senior once a note goes viral; a senior whose recent notes all
perform poorly leaves the senior group.

A member's notes live in the notes repository (`ports.NoteRepository`), one entry per
note however many there are; the member carries only the tier."""

from __future__ import annotations

from datetime import datetime

from domain.economy import Economy, KocProgram, KocTier
from domain.errors import InvalidInput, UnknownNote
from domain.model import KocTierChanged, Member, Note
from domain.ports import NoteRepository


def require_own_note(
    economy: Economy, notes: NoteRepository, member_id: str, kind: str, subject_id: str | None
) -> None:
    """Metrics must name a note the same member published: refuse anything else before it
    is scored. A note another member published is refused exactly like one nobody did."""
    koc = economy.koc
    if koc is None or kind != koc.metrics_kind:
        return
    if subject_id is None:
        raise InvalidInput("subjectId", f"a {kind} activity names the note it measures")
    if notes.get(member_id, subject_id) is None:
        raise UnknownNote(subject_id)


def _count_tier_met(
    tier: KocTier, notes: NoteRepository, member_id: str, day: int, seen: dict[int | None, int]
) -> bool:
    """Whether the member's counted notes meet a count-based tier on local day `day`
    (`seen` remembers counts already read for one window)."""
    if tier.viral_interactions is not None or tier.min_notes == 0:
        return False
    first = None if tier.within_days is None else day - tier.within_days + 1
    if first not in seen:
        seen[first] = notes.counted(member_id, first, day)
    return seen[first] >= tier.min_notes


def _supported(tier: KocTier, notes: list[Note]) -> bool:
    """Whether the member's notes still bear a tier: for a viral tier, a note with that
    many interactions; for a count-based one, that many counted notes inside one span of
    `within_days` (any span: a tier once reached is not lost to time, only to reversal)."""
    if tier.viral_interactions is not None:
        return any((n.interactions or 0) >= tier.viral_interactions for n in notes)
    need = tier.min_notes
    days = sorted(n.counted_day for n in notes if n.counted_day is not None)
    if need == 0 or (tier.within_days is None and len(days) >= need):
        return True
    window = tier.within_days
    return window is not None and any(
        days[i + need - 1] - days[i] < window for i in range(len(days) - need + 1)
    )


def after_reversal(
    economy: Economy, notes: NoteRepository, member: Member, at: datetime
) -> list[KocTierChanged]:
    """After a reversal took back a note's count or its figure: a tier the member's notes
    no longer bear gives way to the highest tier below it that they do (or to none). A
    reversal never promotes."""
    koc = economy.koc
    tier = economy.koc_tier(member.koc_tier) if koc is not None and member.koc_tier else None
    if koc is None or tier is None:
        return []
    mine = notes.for_member(member.id)
    if _supported(tier, mine):
        return []
    below = None
    for lower in koc.tiers[: tier.rank]:
        if _supported(lower, mine):
            below = lower
    return _set(member, below, at)


def _rank(koc: KocProgram, tier_id: str | None) -> int:
    return next((t.rank for t in koc.tiers if t.id == tier_id), -1)


def _set(member: Member, tier: KocTier | None, at: datetime) -> list[KocTierChanged]:
    new = tier.id if tier else None
    if new == member.koc_tier:
        return []
    old = member.koc_tier
    member.koc_tier = new
    return [KocTierChanged(member.id, old, new, at)]


def note_published(
    economy: Economy,
    notes: NoteRepository,
    member: Member,
    note_id: str,
    accepted: bool,
    day: int,
    at: datetime,
) -> list[KocTierChanged]:
    """A note-kind activity: the note becomes known (metrics may name it from now on),
    and once the rules have accepted it, it counts toward count-based tiers, once: a
    repost or an edit of a counted note is not another note."""
    koc = economy.koc
    if koc is None:
        return []
    note = notes.get(member.id, note_id)
    if note is None:
        notes.add(Note(member.id, note_id, day, at, day if accepted else None))
    elif accepted and note.counted_day is None:
        notes.save(Note(member.id, note_id, note.published_day, note.published_at, day,
                        note.interactions))  # fmt: skip
    else:
        return []
    if not accepted:
        return []
    current = _rank(koc, member.koc_tier)
    seen: dict[int | None, int] = {}
    best = None
    for tier in koc.tiers:
        if tier.rank > current and _count_tier_met(tier, notes, member.id, day, seen):
            best = tier
    return _set(member, best, at) if best else []


def measured(
    notes: NoteRepository, member_id: str, note_id: str, interactions: int
) -> tuple[Note, int]:
    """Record a reported interaction count for one of the member's notes (checked by
    `require_own_note`): the note as it is now, and its best figure before this report (0
    if never measured). A note's figure only grows."""
    note = notes.get(member_id, note_id)
    assert note is not None, f"metrics for note {note_id!r} of {member_id} passed unchecked"
    before = note.interactions
    if before is None or interactions > before:
        note = Note(member_id, note_id, note.published_day, note.published_at, note.counted_day,
                    interactions)  # fmt: skip
        notes.save(note)
    return note, before or 0


def note_measured(
    economy: Economy,
    notes: NoteRepository,
    member: Member,
    note: Note,
    before: int,
    day: int,
    at: datetime,
) -> list[KocTierChanged]:
    """A new interaction count for one of the member's notes (already recorded with
    `measured`, `before` its best figure until then): promote when the note has just gone
    viral for a tier (a note goes viral once; a tier with `within_days` takes only notes
    published inside its window), review a senior on the recent notes' performance."""
    koc = economy.koc
    if koc is None:
        return []
    best = note.interactions or 0
    current = _rank(koc, member.koc_tier)
    for candidate in reversed(koc.tiers):
        viral = candidate.viral_interactions
        if viral is None or candidate.rank <= current or not before < viral <= best:
            continue
        window = candidate.within_days
        if window is None or note.published_day > day - window:
            return _set(member, candidate, at)
    tier = economy.koc_tier(member.koc_tier) if member.koc_tier else None
    if tier is None or tier.viral_interactions is None:
        return []
    recent = [
        n.interactions or 0 for n in notes.latest_measured(member.id, koc.review_recent_notes)
    ]
    if len(recent) < koc.review_recent_notes or max(recent) >= koc.review_min_interactions:
        return []
    fallback = None  # the highest count-based tier met today, windows and all
    seen: dict[int | None, int] = {}
    for lower in koc.tiers[: tier.rank]:
        if _count_tier_met(lower, notes, member.id, day, seen):
            fallback = lower
    return _set(member, fallback, at)
