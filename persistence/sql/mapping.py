"""Explicit mapping between domain objects and table rows (column name -> value).

Domain objects are never ORM objects: the store writes `*_to_row` dictionaries and
rebuilds domain objects with `*_from_row`, re-checking their invariants on the way in
(a failed assert here means the database holds something our code never writes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.handles import handle_key
from domain.ledger import (
    Account,
    Bucket,
    LedgerEntry,
    OwnerKind,
    Posting,
    Source,
    SourceKind,
    Transfer,
    TransferKind,
)
from domain.model import (
    ActivityRecord,
    AuditEntry,
    AwardLine,
    HonorAward,
    IdempotencyRecord,
    LevelState,
    Member,
    Note,
    Progress,
    Redemption,
    RedemptionStatus,
)
from domain.quests import QuestProgress, QuestState
from domain.reversal import Reversal

Row = Mapping[Any, Any]  # a dict, or a SQLAlchemy RowMapping


# --- members --------------------------------------------------------------------------------


def member_to_row(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "handle": member.handle,
        "handle_key": handle_key(member.handle),
        "display_name": member.display_name,
        "joined_at": member.joined_at,
        "level_id": member.level_id,
        "qualifying_points": member.qualifying_points,
        "level_locked": member.level_locked,
        "level_state": member.level_state.value,
        "demotion_due": member.demotion_due,
        "koc_tier": member.koc_tier,
        "progress": member.progress.to_primitives(),
        "version": member.version,
    }


def member_from_row(row: Row) -> Member:
    member = Member(
        id=row["id"],
        handle=row["handle"],
        display_name=row["display_name"],
        joined_at=row["joined_at"],
        level_id=row["level_id"],
        qualifying_points=row["qualifying_points"],
        level_locked=bool(row["level_locked"]),
        level_state=LevelState(row["level_state"]),
        demotion_due=row["demotion_due"],
        koc_tier=row["koc_tier"],
        progress=Progress.from_primitives(row["progress"]),
        version=row["version"],
    )
    assert member.id, f"member row without an id: {row}"
    assert member.handle, f"member row without a handle: {row}"
    assert member.level_id, f"member row without a level: {row}"
    assert member.qualifying_points >= 0, f"member {member.id} has negative qualifying points"
    assert member.version >= 0, f"member {member.id} has a negative version"
    assert (member.level_state is LevelState.WARNING) == (member.demotion_due is not None), (
        f"member {member.id}: a warning state and a demotion date go together"
    )
    return member


# --- notes ----------------------------------------------------------------------------------


def note_to_row(note: Note) -> dict[str, Any]:
    return {
        "member_id": note.member_id,
        "note_id": note.note_id,
        "published_day": note.published_day,
        "published_at": note.published_at,
        "counted_day": note.counted_day,
        "interactions": note.interactions,
    }


def note_from_row(row: Row) -> Note:
    note = Note(
        member_id=row["member_id"],
        note_id=row["note_id"],
        published_day=row["published_day"],
        published_at=row["published_at"],
        counted_day=row["counted_day"],
        interactions=row["interactions"],
    )
    assert note.member_id, f"note row without a member: {row}"
    assert note.note_id, f"note row without a note id: {row}"
    assert note.interactions is None or note.interactions >= 0, f"negative interactions: {note}"
    return note


# --- ledger ---------------------------------------------------------------------------------


def account_to_row(account: Account) -> dict[str, Any]:
    return {
        "owner_kind": account.owner_kind.value,
        "owner_id": account.owner_id,
        "bucket": account.bucket.value,
    }


def account_from_row(row: Row) -> Account:
    account = Account(OwnerKind(row["owner_kind"]), row["owner_id"], Bucket(row["bucket"]))
    assert account.owner_id, f"account without an owner: {row}"
    return account


def transfer_to_row(transfer: Transfer) -> dict[str, Any]:
    return {
        "id": transfer.id,
        "kind": transfer.kind.value,
        "source_kind": transfer.source.kind.value,
        "source_id": transfer.source.id,
        "pending_id": transfer.pending_id,
        "at": transfer.at,
        "reference": transfer.reference,
        "memo": transfer.memo,
    }


def postings_to_rows(transfer: Transfer) -> list[dict[str, Any]]:
    """One append-only row per posting, in posting order (seq is assigned by the database)."""
    return [
        {"transfer_id": transfer.id, **account_to_row(p.account), "amount": p.amount}
        for p in transfer.postings
    ]


def transfer_from_rows(row: Row, postings: Sequence[Row]) -> Transfer:
    """A transfer from its row and its postings' rows (the Transfer re-checks its sums)."""
    return Transfer(
        id=row["id"],
        kind=TransferKind(row["kind"]),
        postings=tuple(Posting(account_from_row(p), p["amount"]) for p in postings),
        at=row["at"],
        source=Source(SourceKind(row["source_kind"]), row["source_id"]),
        reference=row["reference"],
        memo=row["memo"],
        pending_id=row["pending_id"],
    )


def entry_from_row(row: Row) -> LedgerEntry:
    """A posting joined with its transfer."""
    entry = LedgerEntry(
        seq=row["seq"],
        transfer_id=row["transfer_id"],
        kind=TransferKind(row["kind"]),
        account=account_from_row(row),
        amount=row["amount"],
        at=row["at"],
        reference=row["reference"],
        memo=row["memo"],
    )
    assert entry.seq > 0, f"ledger entry without a sequence number: {entry}"
    assert entry.amount != 0, f"ledger entry of zero points: {entry}"
    return entry


def balance_from_row(account: Account, balance: int) -> int:
    assert account.may_go_negative or balance >= 0, f"{account} is negative: {balance}"
    return balance


# --- activities -----------------------------------------------------------------------------


def _line_to_primitives(line: AwardLine) -> dict[str, Any]:
    return {
        "rule_id": line.rule_id,
        "base_points": line.base_points,
        "streak_bonus": line.streak_bonus,
        "points": line.points,
        "reason": line.reason,
        "streak_length": line.streak_length,
    }


def _line_from_primitives(data: Mapping[str, Any]) -> AwardLine:
    return AwardLine(
        rule_id=data["rule_id"],
        base_points=data["base_points"],
        streak_bonus=data["streak_bonus"],
        points=data["points"],
        reason=data["reason"],
        streak_length=data["streak_length"],
    )


def activity_to_row(record: ActivityRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "member_id": record.member_id,
        "kind": record.kind,
        "occurred_at": record.occurred_at,
        "subject_id": record.subject_id,
        "attributes": dict(record.attributes),
        "points": record.points,
        "lines": [_line_to_primitives(line) for line in record.lines],
        "transfer_id": record.transfer_id,
    }


def activity_from_row(row: Row) -> ActivityRecord:
    record = ActivityRecord(
        id=row["id"],
        member_id=row["member_id"],
        kind=row["kind"],
        occurred_at=row["occurred_at"],
        subject_id=row["subject_id"],
        attributes=dict(row["attributes"]),
        points=row["points"],
        lines=tuple(_line_from_primitives(line) for line in row["lines"]),
        transfer_id=row["transfer_id"],
    )
    assert record.points >= 0, f"activity {record.id} has negative points"
    assert (record.points > 0) == (record.transfer_id is not None), (
        f"activity {record.id}: points are paid by exactly one transfer"
    )
    return record


# --- redemptions, honors, idempotency, audit ------------------------------------------------


def redemption_to_row(redemption: Redemption) -> dict[str, Any]:
    return {
        "id": redemption.id,
        "member_id": redemption.member_id,
        "reward_id": redemption.reward_id,
        "quantity": redemption.quantity,
        "points": redemption.points,
        "status": redemption.status.value,
        "created_at": redemption.created_at,
        "updated_at": redemption.updated_at,
        "coupon_code": redemption.coupon_code,
        "note": redemption.note,
    }


def redemption_from_row(row: Row) -> Redemption:
    redemption = Redemption(
        id=row["id"],
        member_id=row["member_id"],
        reward_id=row["reward_id"],
        quantity=row["quantity"],
        points=row["points"],
        status=RedemptionStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        coupon_code=row["coupon_code"],
        note=row["note"],
    )
    assert redemption.quantity > 0, f"redemption of no items: {redemption}"
    assert redemption.points >= 0, f"redemption of negative points: {redemption}"
    return redemption


def honor_to_row(award: HonorAward) -> dict[str, Any]:
    return {
        "id": award.id,
        "member_id": award.member_id,
        "honor_id": award.honor_id,
        "tier": award.tier,
        "granted_at": award.granted_at,
        "granted_by": award.granted_by,
        "reason": award.reason,
        "revoked_at": award.revoked_at,
        "revoked_by": award.revoked_by,
        "revoke_reason": award.revoke_reason,
    }


def honor_from_row(row: Row) -> HonorAward:
    award = HonorAward(
        id=row["id"],
        member_id=row["member_id"],
        honor_id=row["honor_id"],
        tier=row["tier"],
        granted_at=row["granted_at"],
        granted_by=row["granted_by"],
        reason=row["reason"],
        revoked_at=row["revoked_at"],
        revoked_by=row["revoked_by"],
        revoke_reason=row["revoke_reason"],
    )
    assert award.revoked_at is not None or award.revoked_by is None, (
        f"honor award {award.id} names a revoker but was never revoked"
    )
    return award


def quest_to_row(progress: QuestProgress) -> dict[str, Any]:
    return {
        "member_id": progress.member_id,
        "quest_id": progress.quest_id,
        "instance": progress.instance,
        "done": list(progress.done),
        "state": progress.state.value,
        "started_at": progress.started_at,
        "completed_at": progress.completed_at,
        "completed_by": progress.completed_by,
        "claimed_at": progress.claimed_at,
    }


def quest_from_row(row: Row) -> QuestProgress:
    progress = QuestProgress(
        member_id=row["member_id"],
        quest_id=row["quest_id"],
        instance=row["instance"],
        done=tuple(int(d) for d in row["done"]),
        state=QuestState(row["state"]),
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        completed_by=row["completed_by"],
        claimed_at=row["claimed_at"],
    )
    assert all(d >= 0 for d in progress.done), f"quest progress {row} counts below zero"
    assert (progress.state is QuestState.ACTIVE) == (progress.completed_at is None), (
        f"quest progress {progress.quest_id} of {progress.member_id}: state and completion disagree"
    )
    return progress


def idempotency_to_row(record: IdempotencyRecord) -> dict[str, Any]:
    return {
        "scope": record.scope,
        "key": record.key,
        "fingerprint": record.fingerprint,
        "result_kind": record.result_kind,
        "result_id": record.result_id,
    }


def idempotency_from_row(row: Row) -> IdempotencyRecord:
    record = IdempotencyRecord(
        scope=row["scope"],
        key=row["key"],
        fingerprint=row["fingerprint"],
        result_kind=row["result_kind"],
        result_id=row["result_id"],
    )
    assert record.fingerprint, f"idempotency record without a fingerprint: {record}"
    assert record.result_id, f"idempotency record without a result: {record}"
    return record


def audit_to_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "at": entry.at,
        "detail": entry.detail,
    }


def audit_from_row(row: Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        actor=row["actor"],
        action=row["action"],
        target=row["target"],
        at=row["at"],
        detail=row["detail"],
    )


def reversal_to_row(reversal: Reversal) -> dict[str, Any]:
    return {
        "activity_id": reversal.activity_id,
        "member_id": reversal.member_id,
        "reason": reversal.reason,
        "actor": reversal.actor,
        "at": reversal.at,
        "transfer_id": reversal.transfer_id,
        "points": reversal.points,
        "debt": reversal.debt,
    }


def reversal_from_row(row: Row) -> Reversal:
    return Reversal(
        activity_id=row["activity_id"],
        member_id=row["member_id"],
        reason=row["reason"],
        actor=row["actor"],
        at=row["at"],
        transfer_id=row["transfer_id"],
        points=int(row["points"]),
        debt=int(row["debt"]),
    )
