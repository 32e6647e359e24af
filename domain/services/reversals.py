"""Use case: reverse an activity, undoing what it caused, audited in its transaction.

Its points come back: a pending earning is voided (never confirmed); points earned are
taken back from the available balance as far as it goes, the rest as debt that later
earnings repay first. Then the member's state moves back (`domain.reversal`): the rule and
cap counters, lifetime, the review window and qualifying points (a demotion, reason
"reversed"), the streak where determinable, count and level honors no longer reached
(revoked with the reason). A purchase that counted toward spend-driven levels gives its
spend back (a refund: `domain.levels.refund`, judged at the next review). The leaderboard
leaves reversed earnings out. The reversal is
recorded in its own repository: an activity is reversed once (`AlreadyReversed`); the
same idempotency key replays the first result."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain import contests, idempotency, koc, ledger, levels, quests, reversal
from domain.calendar import day_number, require_aware
from domain.commands import ReverseActivity
from domain.economy import Economy, ViralNotes
from domain.errors import AlreadyReversed, InvalidInput, NotFound
from domain.ledger import Source, SourceKind, available_account, debt_account
from domain.model import ActivityRecord, Event, HonorRevoked, Member
from domain.ports import UnitOfWork
from domain.reversal import Reversal
from domain.services import pending as pending_points
from domain.services import referrals as referral_services
from domain.services import seasons
from domain.services._support import (
    audit,
    check_key,
    check_reason,
    member_for_update,
    remember,
    replayed,
)
from domain.services.pipeline import SPEND_COUNTED

activity_id_length_max = 200


@dataclass(frozen=True, slots=True)
class ReversalResult:
    reversal: Reversal
    events: tuple[Event, ...]
    replayed: bool = False


def reverse_activity(cmd: ReverseActivity, uow: UnitOfWork, economy: Economy) -> ReversalResult:
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    check_reason(cmd.reason)
    if not cmd.activity_id or len(cmd.activity_id) > activity_id_length_max:
        raise InvalidInput("activityId", f"must be 1 to {activity_id_length_max} characters")
    with uow:
        record = uow.activities.get(cmd.activity_id)
        if record is None:
            raise NotFound("activity", cmd.activity_id)
        member = member_for_update(uow, record.member_id)
        key_scope = idempotency.scope(cmd.caller, idempotency.REVERSE_ACTIVITY, member.id)
        previous = replayed(uow, key_scope, cmd.idempotency_key, cmd)
        if previous is not None:
            stored = uow.reversals.get(previous.result_id)
            assert stored is not None, f"idempotency record points at missing {previous}"
            return ReversalResult(stored, (), replayed=True)
        if uow.reversals.get(record.id) is not None:
            raise AlreadyReversed(record.id)
        done, events = _undo(cmd, uow, economy, member, record)
        uow.reversals.add(done)
        remember(uow, key_scope, cmd.idempotency_key, cmd, "reversal", record.id)
        detail = f"{record.id}: -{done.points} points ({done.debt} as debt): {cmd.reason}"
        audit(uow, cmd.actor, "reverse_activity", member.id, cmd.at, detail)
        uow.members.save(member)
        uow.events.extend(events)
        uow.commit()
    return ReversalResult(done, tuple(events))


def _undo(
    cmd: ReverseActivity,
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    record: ActivityRecord,
) -> tuple[Reversal, list[Event]]:
    day = day_number(record.occurred_at, economy.timezone)
    source = Source(SourceKind.OPERATOR, cmd.actor)
    transfer_id, debt, counted = None, 0, 0
    if record.transfer_id is not None:
        original = uow.ledger.transfer(record.transfer_id)
        assert original is not None, f"activity {record.id} names a missing transfer"
        transfer_id = uow.next_id("trf")
        pending = next((t for t in uow.ledger.open_pending(member.id) if t.id == original.id), None)
        if pending is not None:  # not confirmed yet: void it, it never counted
            voided = ledger.void_pending(transfer_id, pending, cmd.at, cmd.reason)
            assert uow.ledger.post(voided), "a pending earning is voided once"
        else:
            available = uow.ledger.balance(available_account(member.id))
            back = ledger.reverse_earning(
                transfer_id, original, member.id, available, cmd.at, source, cmd.reason
            )
            assert uow.ledger.post(back), "a reversal takes no more than is available"
            debt = -sum(p.amount for p in back.postings if p.account == debt_account(member.id))
            counted = record.points
            if ledger.is_pending_earning(original):  # confirmed: it counted on its due day
                day = day_number(pending_points.due_at(uow, economy, original), economy.timezone)
    reversal.free_counters(economy, member.progress, record, day)
    reversal.step_back_streaks(economy, member.progress, record, day)
    events: list[Event] = []
    if counted:
        seasons.take_back(uow, economy, member.id, counted, record.occurred_at)
        reversal.unearn(economy, member, counted, day)
        events.extend(reversal.demote_if_below(economy, member, cmd.at))
    if record.kind == economy.spend_kind and uow.activities.subject_rewarded(
        member.id, SPEND_COUNTED, record.id
    ):  # a refund: the spend goes back, for the next review to judge (the order stays counted)
        amount = record.attributes.get(economy.level_review.amount_attribute, 0)
        events.extend(levels.refund(economy, member, amount, record.occurred_at, cmd.at))
    if record.kind in economy.counted_kinds and _accepted(economy, record):
        counts = member.progress.kind_counts
        counts[record.kind] = max(counts.get(record.kind, 0) - 1, 0)
    # The referrer is locked (when the activity qualified the invitee) before a commission
    # row is: the review's confirmation locks payees, then their commission rows.
    events.extend(_referral_back(uow, economy, member, record, cmd))
    referral_services.refund(uow, record, cmd.at)  # a refunded purchase pays no commission
    others = _others(uow, economy, member, record)
    events.extend(_notes_back(uow, economy, member, record, others, cmd.at))
    _contests_back(uow, economy, member, record, others)
    events.extend(_revoke_lost_honors(uow, economy, member, cmd))
    if _accepted(economy, record):
        _quests_back(uow, economy, member, record, day)
    done = Reversal(
        record.id, member.id, cmd.reason, cmd.actor, cmd.at, transfer_id, record.points, debt
    )
    return done, events


def _referral_back(
    uow: UnitOfWork, economy: Economy, member: Member, record: ActivityRecord, cmd: ReverseActivity
) -> list[Event]:
    """The invitee's qualifying activity reversed: the referral rewards come back and the
    referrer loses the honors they no longer reach (the invitee's are judged after)."""
    undone = referral_services.unqualify(
        uow, economy, member, record, cmd.actor, cmd.reason, cmd.at
    )
    if undone is None:
        return []
    lost = _revoke_lost_honors(uow, economy, undone.referrer, cmd)
    if lost:
        uow.members.save(undone.referrer)
    return [*undone.events, *lost]


def _quests_back(
    uow: UnitOfWork, economy: Economy, member: Member, record: ActivityRecord, day: int
) -> None:
    """Quest steps the activity advanced count back, on the instance of its period, while
    the quest is active and was started by the activity's time (a completed quest stands)."""
    for quest in economy.quests_by_kind.get(record.kind, ()):
        progress = uow.quests.get(member.id, quest.id, quests.instance_of(quest, day))
        if progress is None or progress.started_at > record.occurred_at:
            continue
        if quests.retreat(quest, progress, record.kind, record.attributes):
            uow.quests.save(progress)


def _others(
    uow: UnitOfWork, economy: Economy, member: Member, record: ActivityRecord
) -> list[ActivityRecord]:
    """The member's other activities, not reversed, of the reversed one's note kinds (any
    note kind, for a publication) naming the same note, oldest first; none if the
    activity is not about a note."""
    program = economy.koc
    if program is None or record.subject_id is None:
        return []
    if record.kind in program.note_kinds:
        kinds = program.note_kinds
    elif record.kind == program.metrics_kind:
        kinds = (record.kind,)
    else:
        return []
    found = [
        r
        for kind in kinds
        for r in uow.activities.for_subject(member.id, kind, record.subject_id)
        if r.id != record.id and uow.reversals.get(r.id) is None
    ]
    return sorted(found, key=lambda r: (r.occurred_at, r.id))


def _notes_back(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    record: ActivityRecord,
    others: list[ActivityRecord],
    at: datetime,
) -> list[Event]:
    """A note's publication or metrics reversed: the note counts toward tiers from the
    first other accepted publication of it (or no more), its best figure is the best of
    its other reports (viral-note honors lose the thresholds only the reversed report had
    reached), and a KOC tier the member's notes no longer bear steps down."""
    program = economy.koc
    if program is None or record.subject_id is None:
        return []
    note = uow.notes.get(member.id, record.subject_id)
    if note is None:
        return []
    if record.kind in program.note_kinds:
        if not _accepted(economy, record) or note.counted_day is None:
            return []
        counted = next(
            (day_number(r.occurred_at, economy.timezone) for r in others if _accepted(economy, r)),
            None,
        )
        if counted == note.counted_day:
            return []
        uow.notes.save(replace(note, counted_day=counted))
    elif record.kind == program.metrics_kind:
        attribute = program.interactions_attribute
        best = max((int(r.attributes.get(attribute, 0)) for r in others), default=None)
        was = note.interactions or 0
        if best == note.interactions:
            return []
        uow.notes.save(replace(note, interactions=best))
        counts = member.progress.kind_counts
        for check in economy.honor_checks:
            trigger = check.trigger
            if isinstance(trigger, ViralNotes) and (best or 0) < trigger.interactions <= was:
                counts[trigger.counter] = max(counts.get(trigger.counter, 0) - 1, 0)
    else:
        return []
    return list(koc.after_reversal(economy, uow.notes, member, at))


def _contests_back(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    record: ActivityRecord,
    others: list[ActivityRecord],
) -> None:
    """The member's score in a contest period not yet settled moves back (a settled
    period's standings and prizes stand)."""
    day = day_number(record.occurred_at, economy.timezone)
    paid: dict[str, int] = {}
    for line in record.lines:
        if reversal.fired(line):
            paid[line.rule_id] = paid.get(line.rule_id, 0) + line.points
    latest_other = None  # a note's figure to restore: only if the reversed report was last
    program = economy.koc
    last = not others or (others[-1].occurred_at, others[-1].id) < (record.occurred_at, record.id)
    if program is not None and record.kind == program.metrics_kind and last:
        attribute = program.interactions_attribute
        latest_other = int(others[-1].attributes.get(attribute, 0)) if others else 0
    for contest in economy.contests:
        if not contests.is_open(contest, record.occurred_at):
            continue
        if not contests.concerns(economy, contest, record.kind):
            continue
        instance = contests.instance_of(contest, day)
        if uow.contests.settled_at(contest.id, instance) is not None:
            continue
        score = uow.contests.score(contest.id, instance, member.id)
        if score is None:
            continue
        if contests.unscore(
            economy, contest, score, record.kind, record.subject_id, paid, latest_other
        ):
            uow.contests.save_score(score)


def _accepted(economy: Economy, record: ActivityRecord) -> bool:
    return any(reversal.fired(line) for line in record.lines) or (
        record.kind not in economy.rules_by_kind
    )


def _revoke_lost_honors(
    uow: UnitOfWork, economy: Economy, member: Member, cmd: ReverseActivity
) -> list[Event]:
    events: list[Event] = []
    lost = reversal.no_longer_reached(economy, member)
    if not lost:
        return events
    awards = uow.honors.list_for_member(member.id)
    for honor, tiers in lost:
        for award in awards:
            if award.honor_id == honor.id and award.revoked_at is None and award.tier in tiers:
                revoked = replace(
                    award, revoked_at=cmd.at, revoked_by=cmd.actor, revoke_reason=cmd.reason
                )
                uow.honors.save(revoked)
                events.append(HonorRevoked(member.id, honor.id, cmd.at))
    return events
