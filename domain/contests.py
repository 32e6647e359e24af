"""Contests (seed 003's creator contests): a ranked competition over a window, held once
or afresh each local week or month. Each member's score is kept per contest period and
moved by the activity pipeline; when the period closes it is settled once: the standings
are frozen and the prizes of each rank range paid.

Ranking, a documented total order (so a tie never depends on the store):
  1. the higher value first;
  2. on equal values, who reached their final value earlier (`reached_at`, the time of
     the activity that last raised the score);
  3. then the smaller member id.
Only scores above zero are ranked. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.calendar import bucket, month_index, start_of_day
from domain.earning import Fire
from domain.economy import Contest, Economy
from domain.model import Attributes

notes_scored_max = 500  # notes a member may enter in one contest period


class ContestState(StrEnum):
    UPCOMING = "upcoming"  # the window has not started
    OPEN = "open"
    CLOSED = "closed"  # the period ended; settlement pending
    SETTLED = "settled"


@dataclass(slots=True)
class ContestScore:
    """One member's score in one period of a contest (period: the Monday ordinal of the
    week, the month index, or 0 for a contest held once)."""

    contest_id: str
    instance: int
    member_id: str
    value: int
    reached_at: datetime  # when the value last rose
    notes: dict[str, int] = field(default_factory=dict)  # interactions: note id -> counted


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    member_id: str
    value: int
    reached_at: datetime
    points: int = 0  # the prize points paid (final standings)


def instance_of(contest: Contest, day: int) -> int:
    if contest.period == "weekly":
        return bucket("week", day)
    if contest.period == "monthly":
        return month_index(day)
    return 0


def window(
    contest: Contest, instance: int, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """The period's start and end (end exclusive), inside the contest's window."""
    start: datetime | None
    end: datetime | None
    if contest.period == "weekly":
        start, end = start_of_day(instance, tz), start_of_day(instance + 7, tz)
    elif contest.period == "monthly":
        year, month = divmod(instance, 12)
        next_year, next_month = divmod(instance + 1, 12)
        start = start_of_day(date(year, month + 1, 1).toordinal(), tz)
        end = start_of_day(date(next_year, next_month + 1, 1).toordinal(), tz)
    else:
        start, end = contest.starts, contest.ends
    if contest.starts is not None and (start is None or start < contest.starts):
        start = contest.starts
    if contest.ends is not None and (end is None or end > contest.ends):
        end = contest.ends
    return start, end


def is_open(contest: Contest, at: datetime) -> bool:
    return (contest.starts is None or contest.starts <= at) and (
        contest.ends is None or at < contest.ends
    )


def state_of(
    contest: Contest, instance: int, tz: ZoneInfo, at: datetime, settled: bool
) -> ContestState:
    if settled:
        return ContestState.SETTLED
    start, end = window(contest, instance, tz)
    if start is not None and at < start:
        return ContestState.UPCOMING
    if end is not None and at >= end:
        return ContestState.CLOSED
    return ContestState.OPEN


def concerns(economy: Economy, contest: Contest, kind: str) -> bool:
    """Whether an activity of `kind` can move the contest's scores (see
    `Economy.contests_by_kind`, derived once from each contest's metric)."""
    return contest in economy.contests_by_kind.get(kind, ())


def score(
    economy: Economy,
    contest: Contest,
    current: ContestScore,
    kind: str,
    subject_id: str | None,
    attributes: Attributes,
    fires: Iterable[Fire],
    at: datetime,
) -> bool:
    """Move the score by one recorded activity; True when anything changed."""
    before = current.value
    changed = False
    if contest.metric == "count":
        current.value += 1
    elif contest.metric == "points":
        current.value += sum(f.points for f in fires if f.rule.id in contest.rules)
    else:
        koc = economy.koc
        assert koc is not None, "the reader refuses an interactions contest without [koc]"
        if subject_id is None:
            return False
        if kind in koc.note_kinds:
            if subject_id not in current.notes and len(current.notes) < notes_scored_max:
                current.notes[subject_id] = 0  # published in the period: its interactions count
                changed = True
        elif subject_id in current.notes:
            measured = int(attributes.get(koc.interactions_attribute, 0))
            current.value += measured - current.notes[subject_id]
            changed = measured != current.notes[subject_id]
            current.notes[subject_id] = measured
    if current.value > before:
        current.reached_at = at
    return changed or current.value != before


def unscore(
    economy: Economy,
    contest: Contest,
    current: ContestScore,
    kind: str,
    subject_id: str | None,
    points_by_rule: Mapping[str, int],
    latest_other: int | None,
) -> bool:
    """Move the score back by one reversed activity (the reverse of `score`); True when
    anything changed. `points_by_rule`: what each rule paid it; `latest_other`: for a
    note's metrics reported last, the figure the note's latest other report gave (None:
    the reversed report was not the latest, nothing to restore)."""
    before = current.value
    if contest.metric == "count":
        current.value = max(current.value - 1, 0)
    elif contest.metric == "points":
        paid = sum(p for rule_id, p in points_by_rule.items() if rule_id in contest.rules)
        current.value = max(current.value - paid, 0)
    else:
        koc = economy.koc
        assert koc is not None, "the reader refuses an interactions contest without [koc]"
        if subject_id is None or subject_id not in current.notes:
            return False
        if kind in koc.note_kinds:
            current.value -= current.notes.pop(subject_id)
            return True
        if latest_other is None:
            return False
        current.value += latest_other - current.notes[subject_id]
        current.notes[subject_id] = latest_other
    return current.value != before


def rank_key(entry: ContestScore) -> tuple[int, datetime, str]:
    return (-entry.value, entry.reached_at, entry.member_id)


def ranked(scores: Sequence[ContestScore]) -> list[Standing]:
    """Standings in the documented order: value, then earlier reaching, then member id."""
    ordered = sorted((s for s in scores if s.value > 0), key=rank_key)
    return [Standing(rank, s.member_id, s.value, s.reached_at) for rank, s in enumerate(ordered, 1)]
