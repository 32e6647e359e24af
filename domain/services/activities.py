"""Use cases of activities: record (one or a batch) and explain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from domain import earning, idempotency, koc, ledger, membership
from domain.calendar import require_aware
from domain.commands import (
    RecordActivity,
    batch_size_max,
    idempotency_key_length_max,
)
from domain.economy import Economy
from domain.errors import (
    DomainError,
    InvalidInput,
    NotFound,
)
from domain.ledger import Source, SourceKind
from domain.model import (
    ActivityRecord,
    Evaluation,
    Event,
    PointsAwarded,
)
from domain.ports import UnitOfWork
from domain.services import referrals as referral_services
from domain.services._support import (
    check_key,
    member_for_update,
    remember,
    replayed,
)
from domain.services.pipeline import Recorded, reactors_for


class ActivityResult(NamedTuple):
    record: ActivityRecord
    events: tuple[Event, ...]
    replayed: bool = False

    @property
    def points(self) -> int:
        return self.record.points


def explain_activity(cmd: RecordActivity, uow: UnitOfWork, economy: Economy) -> Evaluation:
    """What the activity would earn and why, and the limits left: no writes."""
    _check_dates(cmd, economy)
    earning.check_activity(economy, cmd.kind, cmd.subject_id, cmd.attributes)
    _check_purchase(cmd, economy)
    with uow:
        member = uow.members.get(cmd.member_id)
        if member is None:
            raise NotFound("member", cmd.member_id)
        koc.require_own_note(economy, uow.notes, member.id, cmd.kind, cmd.subject_id)
        plan = earning.evaluate(
            economy,
            member.progress,
            cmd.kind,
            cmd.occurred_at,
            cmd.subject_id,
            cmd.attributes,
            lambda rule, subject: uow.activities.subject_rewarded(member.id, rule, subject),
            at=cmd.at,
            paid_tier=_paid_tier(uow, economy, member.id, cmd.kind, cmd.occurred_at),
        )
    return plan.evaluation


def _paid_tier(
    uow: UnitOfWork, economy: Economy, member_id: str, kind: str, at: datetime
) -> str | None:
    """The member's active paid tier when the activity happened, if a tier multiplies a
    rule of its kind (otherwise, the usual case, nothing is read)."""
    if kind not in economy.multiplied_kinds:
        return None
    return membership.active_paid_tier(uow.memberships.get(member_id), at)


def _record(cmd: RecordActivity, uow: UnitOfWork, economy: Economy) -> ActivityResult:
    """Record one activity inside an open unit of work (no commit)."""
    member = member_for_update(uow, cmd.member_id)
    key_scope = idempotency.scope(cmd.caller, idempotency.RECORD_ACTIVITY, member.id)
    previous = replayed(uow, key_scope, cmd.idempotency_key, cmd)
    if previous is not None:
        stored = uow.activities.get(previous.result_id)
        assert stored is not None, f"idempotency record points at missing {previous.result_id}"
        return ActivityResult(stored, (), replayed=True)
    koc.require_own_note(economy, uow.notes, member.id, cmd.kind, cmd.subject_id)
    plan = earning.evaluate(
        economy,
        member.progress,
        cmd.kind,
        cmd.occurred_at,
        cmd.subject_id,
        cmd.attributes,
        lambda rule, subject: uow.activities.subject_rewarded(member.id, rule, subject),
        at=cmd.at,
        with_limits=False,  # the limit report is for explain_activity
        paid_tier=_paid_tier(uow, economy, member.id, cmd.kind, cmd.occurred_at),
    )
    earning.apply(economy, member.progress, cmd.kind, plan)
    activity_id = uow.next_id("act")
    points = plan.evaluation.points
    transfer_id = None
    events: list[Event] = []
    if points > 0:
        transfer_id = uow.next_id("trf")
        source = Source(SourceKind.RULE, activity_id)
        owed = -uow.ledger.balance(ledger.debt_account(member.id))
        posted = uow.ledger.post(
            ledger.earn(
                transfer_id,
                {member.id: points},
                cmd.occurred_at,
                source,
                activity_id,
                cmd.kind,
                pending=plan.pending_days > 0,
                debts={member.id: owed} if owed > 0 else None,
            )
        )
        assert posted, "an earning transfer only credits the member"
        events.append(PointsAwarded(member.id, activity_id, points, cmd.occurred_at))
    if cmd.subject_id is not None:
        for fire in plan.fires:
            if fire.rule.once_per_subject:
                uow.activities.mark_subject(member.id, fire.rule.id, cmd.subject_id)
    recorded = Recorded(member, cmd, activity_id, plan, points)
    for react in reactors_for(economy, cmd.kind):
        events.extend(react(uow, economy, recorded))
    record = ActivityRecord(
        activity_id,
        member.id,
        cmd.kind,
        cmd.occurred_at,
        cmd.subject_id,
        dict(cmd.attributes),
        points,
        plan.evaluation.lines,
        transfer_id,
    )
    uow.activities.add(record)
    remember(uow, key_scope, cmd.idempotency_key, cmd, "activity", activity_id)
    uow.members.save(member)
    uow.events.extend(events)
    return ActivityResult(record, tuple(events))


def _check_dates(cmd: RecordActivity, economy: Economy) -> None:
    require_aware(cmd.occurred_at, "occurredAt")
    if cmd.at is not cmd.occurred_at:  # the simulator's activities arrive as they happen
        require_aware(cmd.at, "at")
        earning.check_not_future(economy, cmd.occurred_at, cmd.at)


def _check_purchase(cmd: RecordActivity, economy: Economy) -> None:
    if economy.referrals is not None:
        amount = cmd.attributes.get(economy.referrals.amount_attribute)
        referral_services.check_purchase(economy, cmd.kind, cmd.subject_id, amount)


def _validate_activity(cmd: RecordActivity, economy: Economy) -> None:
    _check_dates(cmd, economy)
    check_key(cmd.idempotency_key)
    earning.check_activity(economy, cmd.kind, cmd.subject_id, cmd.attributes)
    _check_purchase(cmd, economy)


def record_activity(cmd: RecordActivity, uow: UnitOfWork, economy: Economy) -> ActivityResult:
    _validate_activity(cmd, economy)
    with uow:
        result = _record(cmd, uow, economy)
        uow.commit()
    return result


def record_activities(
    cmds: Sequence[RecordActivity], uow: UnitOfWork, economy: Economy
) -> list[ActivityResult | DomainError]:
    """A batch in one transaction; each item succeeds or fails on its own."""
    if len(cmds) > batch_size_max:
        raise InvalidInput("activities", f"at most {batch_size_max} activities per batch")
    results: list[ActivityResult | DomainError] = []
    with uow:
        # Lock every member up front in one global order (two batches naming the same
        # members in different orders would otherwise deadlock on row locks), then read
        # the batch's idempotency keys: one statement each, not one per activity.
        uow.members.get_many_for_update(sorted({cmd.member_id for cmd in cmds}))
        uow.idempotency.get_many(
            [
                (idempotency.scope(cmd.caller, idempotency.RECORD_ACTIVITY, cmd.member_id), key)
                for cmd in cmds
                if 0 < len(key := cmd.idempotency_key) <= idempotency_key_length_max
            ]
        )
        for cmd in cmds:
            try:
                _validate_activity(cmd, economy)
                results.append(_record(cmd, uow, economy))
            except DomainError as error:
                results.append(error)
        uow.commit()
    return results
