"""Use cases: one function each, over a unit of work. The only entry point for the API
and the simulator. Each opens the unit of work, loads, makes the domain calls, commits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from domain import earning, honors, idempotency, koc, levels
from domain.calendar import bucket, day_number, month_index, require_aware, start_of_day
from domain.commands import (
    AddCouponCodes,
    AdjustPoints,
    CancelRedemption,
    FulfillRedemption,
    GrantHonor,
    LockLevel,
    RecordActivity,
    RedeemReward,
    RegisterMember,
    Restock,
    ReviewMember,
    RevokeHonor,
    batch_size_max,
    fingerprint,
    handle_length_max,
    idempotency_key_length_max,
    quantity_max,
    reason_length_max,
)
from domain.economy import Economy, Reward, viral_counter
from domain.errors import (
    AlreadyExists,
    CouponPoolEmpty,
    DomainError,
    HonorCapacityReached,
    HonorNotManual,
    IdempotencyKeyReused,
    InsufficientPoints,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    NotFound,
    OutOfStock,
    RedemptionLimitReached,
    RewardUnavailable,
)
from domain.model import (
    ADJUSTMENT,
    EXPIRY,
    ISSUANCE,
    REDEMPTION,
    ActivityRecord,
    AuditEntry,
    Balances,
    Evaluation,
    Event,
    HonorAward,
    HonorGranted,
    HonorRevoked,
    IdempotencyRecord,
    LedgerEntry,
    LevelChanged,
    Member,
    PointsAdjusted,
    PointsAwarded,
    PointsExpired,
    Posting,
    Redemption,
    RedemptionStatus,
    RedemptionUpdated,
    Transfer,
    TransferKind,
    available_account,
    held_account,
)
from domain.ports import UnitOfWork

HANDLE_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
page_size_max = 100
coupon_codes_max = 10_000


@dataclass(frozen=True, slots=True)
class ActivityResult:
    record: ActivityRecord
    events: tuple[Event, ...]
    replayed: bool = False

    @property
    def points(self) -> int:
        return self.record.points


@dataclass(frozen=True, slots=True)
class RedemptionResult:
    redemption: Redemption
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class AdjustmentResult:
    transfer_id: str
    member_id: str
    amount: int
    balance: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class HallOfFameEntry:
    member: Member
    honors: tuple[HonorAward, ...]
    level_id: str


# --- helpers ------------------------------------------------------------------------------


def _member_for_update(uow: UnitOfWork, member_id: str) -> Member:
    member = uow.members.get_for_update(member_id)
    if member is None:
        raise NotFound("member", member_id)
    return member


def _check_key(key: str) -> None:
    if not key or len(key) > idempotency_key_length_max:
        raise InvalidInput(
            "idempotencyKey", f"must be 1 to {idempotency_key_length_max} characters"
        )


def _replayed(uow: UnitOfWork, scope: str, key: str, command: object) -> IdempotencyRecord | None:
    """The first result's record if this key was used before with the same payload."""
    record = uow.idempotency.get(scope, key)
    if record is None:
        return None
    if record.fingerprint != fingerprint(command):
        raise IdempotencyKeyReused(key)
    return record


def _remember(
    uow: UnitOfWork, scope: str, key: str, command: object, kind: str, result_id: str
) -> None:
    uow.idempotency.add(IdempotencyRecord(scope, key, fingerprint(command), kind, result_id))


def _check_reason(reason: str) -> None:
    if not reason.strip():
        raise InvalidInput("reason", "an operator change needs a reason")
    if len(reason) > reason_length_max:
        raise InvalidInput("reason", f"must be at most {reason_length_max} characters")


def _audit(
    uow: UnitOfWork, actor: str, action: str, target: str, at: datetime, detail: str
) -> None:
    uow.audit.add(AuditEntry(uow.next_id("aud"), actor, action, target, at, detail))


def _grant_automatic(
    uow: UnitOfWork, economy: Economy, member: Member, at: datetime
) -> list[Event]:
    events: list[Event] = []
    for honor, tier in honors.newly_reached(economy, member):
        uow.honors.add(
            HonorAward(uow.next_id("hon"), member.id, honor.id, tier, at, None, "automatic")
        )
        events.append(HonorGranted(member.id, honor.id, tier, at))
    return events


# --- members ------------------------------------------------------------------------------


def register_member(cmd: RegisterMember, uow: UnitOfWork, economy: Economy) -> Member:
    require_aware(cmd.at, "at")
    handle = cmd.handle.strip()
    if not (0 < len(handle) <= handle_length_max) or not HANDLE_RE.match(handle):
        raise InvalidInput(
            "handle", f"must be 1 to {handle_length_max} letters, digits, '_', '.' or '-'"
        )
    if not (0 < len(cmd.display_name.strip()) <= 80):
        raise InvalidInput("displayName", "must be 1 to 80 characters")
    with uow:
        if uow.members.get_by_handle(handle) is not None:
            raise AlreadyExists("member handle", handle)
        member_id = cmd.member_id or uow.next_id("mem")
        if cmd.member_id is not None and uow.members.get(member_id) is not None:
            raise AlreadyExists("member", member_id)
        member = Member(
            id=member_id,
            handle=handle,
            display_name=cmd.display_name.strip(),
            joined_at=cmd.at,
            level_id=economy.levels[0].id,
        )
        uow.members.add(member)
        events = _grant_automatic(uow, economy, member, cmd.at)
        uow.members.save(member)
        uow.events.extend(events)
        uow.commit()
    return member


def get_member(member_id: str, uow: UnitOfWork) -> Member:
    with uow:
        member = uow.members.get(member_id)
    if member is None:
        raise NotFound("member", member_id)
    return member


def balances(member_id: str, uow: UnitOfWork) -> Balances:
    with uow:
        member = uow.members.get(member_id)
        if member is None:
            raise NotFound("member", member_id)
        found = uow.ledger.balances([available_account(member_id), held_account(member_id)])
    return Balances(
        available=found.get(available_account(member_id), 0),
        reserved=found.get(held_account(member_id), 0),
        lifetime_earned=member.progress.lifetime_earned,
    )


def ledger_entries(
    member_id: str, uow: UnitOfWork, after_seq: int | None = None, first: int = 20
) -> list[LedgerEntry]:
    with uow:
        return uow.ledger.entries(member_id, after_seq, min(max(first, 0), page_size_max))


# --- activities ---------------------------------------------------------------------------


def explain_activity(cmd: RecordActivity, uow: UnitOfWork, economy: Economy) -> Evaluation:
    """What the activity would earn and why, and the limits left: no writes."""
    require_aware(cmd.occurred_at, "occurredAt")
    earning.check_activity(economy, cmd.kind, cmd.subject_id, cmd.attributes)
    with uow:
        member = uow.members.get(cmd.member_id)
        if member is None:
            raise NotFound("member", cmd.member_id)
        plan = earning.evaluate(
            economy,
            member.progress,
            cmd.kind,
            cmd.occurred_at,
            cmd.subject_id,
            cmd.attributes,
            lambda rule, subject: uow.activities.subject_rewarded(member.id, rule, subject),
        )
    return plan.evaluation


def _record(cmd: RecordActivity, uow: UnitOfWork, economy: Economy) -> ActivityResult:
    """Record one activity inside an open unit of work (no commit)."""
    member = _member_for_update(uow, cmd.member_id)
    key_scope = idempotency.scope(cmd.caller, idempotency.RECORD_ACTIVITY, member.id)
    previous = _replayed(uow, key_scope, cmd.idempotency_key, cmd)
    if previous is not None:
        stored = uow.activities.get(previous.result_id)
        assert stored is not None, f"idempotency record points at missing {previous.result_id}"
        return ActivityResult(stored, (), replayed=True)
    plan = earning.evaluate(
        economy,
        member.progress,
        cmd.kind,
        cmd.occurred_at,
        cmd.subject_id,
        cmd.attributes,
        lambda rule, subject: uow.activities.subject_rewarded(member.id, rule, subject),
        with_limits=False,  # the limit report is for explain_activity
    )
    earning.apply(economy, member.progress, cmd.kind, plan)
    activity_id = uow.next_id("act")
    points = plan.evaluation.points
    transfer_id = None
    events: list[Event] = []
    if points > 0:
        transfer_id = uow.next_id("trf")
        posted = uow.ledger.post(
            Transfer(
                transfer_id,
                TransferKind.EARN,
                member.id,
                (Posting(ISSUANCE, -points), Posting(available_account(member.id), points)),
                cmd.occurred_at,
                activity_id,
                cmd.kind,
            )
        )
        assert posted, "an earning transfer only credits the member"
        events.append(PointsAwarded(member.id, activity_id, points, cmd.occurred_at))
        events.extend(levels.earn(economy, member, points, cmd.occurred_at))
    if cmd.subject_id is not None:
        for fire in plan.fires:
            if fire.rule.once_per_subject:
                uow.activities.mark_subject(member.id, fire.rule.id, cmd.subject_id)
    events.extend(_koc_and_viral(economy, member, cmd, plan.day))
    events.extend(_grant_automatic(uow, economy, member, cmd.occurred_at))
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
    _remember(uow, key_scope, cmd.idempotency_key, cmd, "activity", activity_id)
    uow.members.save(member)
    uow.events.extend(events)
    return ActivityResult(record, tuple(events))


def _koc_and_viral(economy: Economy, member: Member, cmd: RecordActivity, day: int) -> list[Event]:
    program = economy.koc
    if program is None:
        return []
    if cmd.kind in program.note_kinds:
        note_id = cmd.subject_id or cmd.idempotency_key
        return list(koc.note_published(economy, member, note_id, day, cmd.occurred_at))
    if cmd.kind == program.metrics_kind and cmd.subject_id is not None:
        value = int(cmd.attributes.get(program.interactions_attribute, 0))
        before = member.progress.note_interactions.get(cmd.subject_id, 0)
        for honor in economy.honors:
            threshold = honor.interactions
            if honor.trigger == "viral_note" and threshold and before < threshold <= value:
                counter = viral_counter(threshold)
                counts = member.progress.kind_counts
                counts[counter] = counts.get(counter, 0) + 1
        return list(koc.note_measured(economy, member, cmd.subject_id, value, cmd.occurred_at))
    return []


def _validate_activity(cmd: RecordActivity, economy: Economy) -> None:
    require_aware(cmd.occurred_at, "occurredAt")
    _check_key(cmd.idempotency_key)
    earning.check_activity(economy, cmd.kind, cmd.subject_id, cmd.attributes)


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
        # Lock every member up front in one global order: two batches naming the same
        # members in different orders would otherwise deadlock on row locks.
        for member_id in sorted({cmd.member_id for cmd in cmds}):
            uow.members.get_for_update(member_id)
        for cmd in cmds:
            try:
                _validate_activity(cmd, economy)
                results.append(_record(cmd, uow, economy))
            except DomainError as error:
                results.append(error)
        uow.commit()
    return results


# --- rewards ------------------------------------------------------------------------------


def _reward(economy: Economy, reward_id: str) -> Reward:
    reward = economy.reward(reward_id)
    if reward is None:
        raise NotFound("reward", reward_id)
    return reward


def check_eligible(economy: Economy, reward: Reward, member: Member, at: datetime) -> None:
    if reward.available_from is not None and at < reward.available_from:
        raise RewardUnavailable(reward.id, f"opens at {reward.available_from.isoformat()}")
    if reward.available_until is not None and at >= reward.available_until:
        raise RewardUnavailable(reward.id, f"closed at {reward.available_until.isoformat()}")
    if reward.min_level is not None:
        gate = economy.level(reward.min_level)
        current = levels.current_level(economy, member)
        assert gate is not None
        if current.rank < gate.rank:
            raise NotEligible(
                f"reward {reward.id!r} needs level {gate.title!r} (you are {current.title!r})",
                gate.id,
            )


def redeem_reward(cmd: RedeemReward, uow: UnitOfWork, economy: Economy) -> RedemptionResult:
    require_aware(cmd.at, "at")
    _check_key(cmd.idempotency_key)
    if not 1 <= cmd.quantity <= quantity_max:
        raise InvalidInput("quantity", f"must be between 1 and {quantity_max}")
    with uow:
        member = _member_for_update(uow, cmd.member_id)
        caller = cmd.caller or idempotency.member_caller(member.id)
        key_scope = idempotency.scope(caller, idempotency.REDEEM_REWARD, member.id)
        previous = _replayed(uow, key_scope, cmd.idempotency_key, cmd)
        if previous is not None:
            first = uow.redemptions.get(previous.result_id)
            assert first is not None, f"idempotency record points at missing {previous.result_id}"
            return RedemptionResult(first, replayed=True)
        reward = _reward(economy, cmd.reward_id)
        check_eligible(economy, reward, member, cmd.at)
        if reward.per_member_limit is not None:
            already = uow.redemptions.active_quantity(member.id, reward.id)
            if already + cmd.quantity > reward.per_member_limit:
                raise RedemptionLimitReached(reward.id, reward.per_member_limit, already)
        price = reward.price * cmd.quantity
        available = uow.ledger.balance(available_account(member.id))
        if available < price:
            raise InsufficientPoints(available, price)
        if reward.stock is not None and not uow.stock.take(reward.id, cmd.quantity):
            raise OutOfStock(reward.id, uow.stock.remaining(reward.id) or 0, cmd.quantity)
        redemption = Redemption(
            uow.next_id("red"),
            member.id,
            reward.id,
            cmd.quantity,
            price,
            RedemptionStatus.RESERVED,
            cmd.at,
            cmd.at,
        )
        hold = Transfer(
            uow.next_id("trf"),
            TransferKind.HOLD,
            member.id,
            (
                Posting(available_account(member.id), -price),
                Posting(held_account(member.id), price),
            ),
            cmd.at,
            redemption.id,
            reward.id,
        )
        if not uow.ledger.post(hold):
            raise InsufficientPoints(uow.ledger.balance(available_account(member.id)), price)
        uow.redemptions.add(redemption)
        _remember(uow, key_scope, cmd.idempotency_key, cmd, "redemption", redemption.id)
        uow.events.append(RedemptionUpdated(member.id, redemption.id, redemption.status, cmd.at))
        uow.commit()
    return RedemptionResult(redemption)


def _redemption_for_update(uow: UnitOfWork, redemption_id: str) -> tuple[Member, Redemption]:
    found = uow.redemptions.get(redemption_id)
    if found is None:
        raise NotFound("redemption", redemption_id)
    member = _member_for_update(uow, found.member_id)
    current = uow.redemptions.get(redemption_id)  # re-read under the member's lock
    assert current is not None
    return member, current


def fulfill_redemption(cmd: FulfillRedemption, uow: UnitOfWork, economy: Economy) -> Redemption:
    require_aware(cmd.at, "at")
    with uow:
        member, redemption = _redemption_for_update(uow, cmd.redemption_id)
        if redemption.status is RedemptionStatus.FULFILLED:
            return redemption  # fulfilling twice is the same as once
        if redemption.status is not RedemptionStatus.RESERVED:
            raise InvalidTransition("redemption", redemption.id, redemption.status.value, "fulfil")
        reward = _reward(economy, redemption.reward_id)
        code = None
        if reward.fulfilment == "coupon_code":
            code = uow.stock.claim_code(reward.id, redemption.id)
            if code is None:
                raise CouponPoolEmpty(reward.id)
        spend = Transfer(
            uow.next_id("trf"),
            TransferKind.SPEND,
            member.id,
            (
                Posting(held_account(member.id), -redemption.points),
                Posting(REDEMPTION, redemption.points),
            ),
            cmd.at,
            redemption.id,
            reward.id,
        )
        assert uow.ledger.post(spend), "held points cover their own redemption"
        member.progress.consumed += redemption.points
        done = replace(
            redemption,
            status=RedemptionStatus.FULFILLED,
            updated_at=cmd.at,
            coupon_code=code,
            note=cmd.note,
        )
        uow.redemptions.save(done)
        uow.members.save(member)
        _audit(uow, cmd.actor, "fulfill_redemption", redemption.id, cmd.at, cmd.note)
        uow.events.append(RedemptionUpdated(member.id, done.id, done.status, cmd.at))
        uow.commit()
    return done


def cancel_redemption(cmd: CancelRedemption, uow: UnitOfWork, economy: Economy) -> Redemption:
    """Cancel a reserved redemption: points go back to available, stock back on the shelf."""
    require_aware(cmd.at, "at")
    with uow:
        member, redemption = _redemption_for_update(uow, cmd.redemption_id)
        if cmd.member_id is not None and cmd.member_id != redemption.member_id:
            raise NotFound("redemption", cmd.redemption_id)  # never reveal others' data
        if redemption.status is RedemptionStatus.CANCELLED:
            return redemption
        if redemption.status is not RedemptionStatus.RESERVED:
            raise InvalidTransition("redemption", redemption.id, redemption.status.value, "cancel")
        reward = _reward(economy, redemption.reward_id)
        release = Transfer(
            uow.next_id("trf"),
            TransferKind.RELEASE,
            member.id,
            (
                Posting(held_account(member.id), -redemption.points),
                Posting(available_account(member.id), redemption.points),
            ),
            cmd.at,
            redemption.id,
            reward.id,
        )
        assert uow.ledger.post(release), "held points cover their own release"
        if reward.stock is not None:
            uow.stock.put_back(reward.id, redemption.quantity)
        done = replace(
            redemption, status=RedemptionStatus.CANCELLED, updated_at=cmd.at, note=cmd.reason
        )
        uow.redemptions.save(done)
        if cmd.member_id is None:
            _audit(uow, cmd.actor, "cancel_redemption", redemption.id, cmd.at, cmd.reason)
        uow.events.append(RedemptionUpdated(member.id, done.id, done.status, cmd.at))
        uow.commit()
    return done


def redemptions_for(
    member_id: str, uow: UnitOfWork, after_id: str | None = None, first: int = 20
) -> list[Redemption]:
    with uow:
        return uow.redemptions.list_for_member(
            member_id, after_id, min(max(first, 0), page_size_max)
        )


def sync_rewards(uow: UnitOfWork, economy: Economy) -> None:
    """Create stock rows for rewards the store has not seen (startup, new economy)."""
    with uow:
        for reward in economy.rewards:
            uow.stock.ensure(reward.id, reward.stock)
        uow.commit()


def restock(cmd: Restock, uow: UnitOfWork, economy: Economy) -> int | None:
    reward = _reward(economy, cmd.reward_id)
    if reward.stock is None:
        raise InvalidInput("rewardId", f"reward {reward.id!r} has unlimited stock")
    if not 1 <= cmd.quantity <= 1_000_000:
        raise InvalidInput("quantity", "must be between 1 and 1000000")
    with uow:
        uow.stock.restock(reward.id, cmd.quantity)
        _audit(uow, cmd.actor, "restock", reward.id, cmd.at, f"+{cmd.quantity}")
        uow.commit()
        return uow.stock.remaining(reward.id)


def add_coupon_codes(cmd: AddCouponCodes, uow: UnitOfWork, economy: Economy) -> int:
    reward = _reward(economy, cmd.reward_id)
    if reward.fulfilment != "coupon_code":
        raise InvalidInput("rewardId", f"reward {reward.id!r} is not fulfilled with coupon codes")
    if not 0 < len(cmd.codes) <= coupon_codes_max:
        raise InvalidInput("codes", f"give 1 to {coupon_codes_max} codes")
    if any(not (0 < len(c) <= 100) for c in cmd.codes) or len(set(cmd.codes)) != len(cmd.codes):
        raise InvalidInput("codes", "codes must be unique, 1 to 100 characters each")
    with uow:
        added = uow.stock.add_codes(reward.id, cmd.codes)
        _audit(uow, cmd.actor, "add_coupon_codes", reward.id, cmd.at, f"{added} codes")
        uow.commit()
    return added


# --- operator actions ---------------------------------------------------------------------


def adjust_points(cmd: AdjustPoints, uow: UnitOfWork, economy: Economy) -> AdjustmentResult:
    require_aware(cmd.at, "at")
    _check_key(cmd.idempotency_key)
    _check_reason(cmd.reason)
    if cmd.amount == 0 or abs(cmd.amount) > 10_000_000:
        raise InvalidInput("amount", "must be non-zero and at most 10000000 in size")
    with uow:
        member = _member_for_update(uow, cmd.member_id)
        account = available_account(member.id)
        key_scope = idempotency.scope(cmd.caller, idempotency.ADJUST_POINTS, member.id)
        previous = _replayed(uow, key_scope, cmd.idempotency_key, cmd)
        if previous is not None:
            return AdjustmentResult(
                previous.result_id, member.id, cmd.amount, uow.ledger.balance(account), True
            )
        transfer = Transfer(
            uow.next_id("trf"),
            TransferKind.ADJUST,
            member.id,
            (Posting(ADJUSTMENT, -cmd.amount), Posting(account, cmd.amount)),
            cmd.at,
            cmd.idempotency_key,
            cmd.reason,
        )
        if not uow.ledger.post(transfer):
            raise InsufficientPoints(uow.ledger.balance(account), -cmd.amount)
        if cmd.amount < 0:
            member.progress.consumed += -cmd.amount
        elif economy.expiry is not None:
            month = month_index(day_number(cmd.at, economy.timezone))
            by_month = member.progress.earned_by_month
            by_month[month] = by_month.get(month, 0) + cmd.amount
        _remember(uow, key_scope, cmd.idempotency_key, cmd, "adjustment", transfer.id)
        _audit(uow, cmd.actor, "adjust_points", member.id, cmd.at, f"{cmd.amount:+d}: {cmd.reason}")
        uow.members.save(member)
        uow.events.append(PointsAdjusted(member.id, cmd.amount, cmd.reason, cmd.at))
        uow.commit()
        return AdjustmentResult(transfer.id, member.id, cmd.amount, uow.ledger.balance(account))


def grant_honor(cmd: GrantHonor, uow: UnitOfWork, economy: Economy) -> HonorAward:
    require_aware(cmd.at, "at")
    _check_reason(cmd.reason)
    honor = economy.honor(cmd.honor_id)
    if honor is None:
        raise NotFound("honor", cmd.honor_id)
    if not honor.manual:
        raise HonorNotManual(honor.id)
    with uow:
        member = _member_for_update(uow, cmd.member_id)
        if uow.honors.active(member.id, honor.id) is not None:
            raise AlreadyExists("honor award", f"{honor.id} for {member.id}")
        if honor.max_holders is not None and uow.honors.holders(honor.id) >= honor.max_holders:
            raise HonorCapacityReached(honor.id, honor.max_holders)
        award = HonorAward(
            uow.next_id("hon"), member.id, honor.id, None, cmd.at, cmd.actor, cmd.reason
        )
        uow.honors.add(award)
        _audit(uow, cmd.actor, "grant_honor", member.id, cmd.at, f"{honor.id}: {cmd.reason}")
        uow.events.append(HonorGranted(member.id, honor.id, None, cmd.at))
        uow.commit()
    return award


def revoke_honor(cmd: RevokeHonor, uow: UnitOfWork, economy: Economy) -> HonorAward:
    require_aware(cmd.at, "at")
    _check_reason(cmd.reason)
    honor = economy.honor(cmd.honor_id)
    if honor is None:
        raise NotFound("honor", cmd.honor_id)
    if not honor.manual:
        raise HonorNotManual(honor.id)
    with uow:
        member = _member_for_update(uow, cmd.member_id)
        award = uow.honors.active(member.id, honor.id)
        if award is None:
            raise NotFound("honor award", f"{honor.id} for {member.id}")
        revoked = replace(award, revoked_at=cmd.at, revoked_by=cmd.actor, revoke_reason=cmd.reason)
        uow.honors.save(revoked)
        _audit(uow, cmd.actor, "revoke_honor", member.id, cmd.at, f"{honor.id}: {cmd.reason}")
        uow.events.append(HonorRevoked(member.id, honor.id, cmd.at))
        uow.commit()
    return revoked


def lock_level(cmd: LockLevel, uow: UnitOfWork, economy: Economy) -> Member:
    require_aware(cmd.at, "at")
    _check_reason(cmd.reason)
    with uow:
        member = _member_for_update(uow, cmd.member_id)
        events: list[Event]
        if cmd.level_id is None:
            events = list(levels.unlock(economy, member, cmd.at))
            detail = f"unlocked: {cmd.reason}"
        else:
            level = economy.level(cmd.level_id)
            if level is None:
                raise NotFound("level", cmd.level_id)
            events = list(levels.lock(economy, member, level, cmd.at))
            detail = f"locked at {level.id}: {cmd.reason}"
        events.extend(_grant_automatic(uow, economy, member, cmd.at))
        uow.members.save(member)
        _audit(uow, cmd.actor, "lock_level", member.id, cmd.at, detail)
        uow.events.extend(events)
        uow.commit()
    return member


# --- scheduled upkeep ---------------------------------------------------------------------


def expirable_points(economy: Economy, member: Member, available: int, as_of: datetime) -> int:
    """FIFO expiry: points earned in months past the horizon, less all points consumed."""
    if economy.expiry is None:
        return 0
    horizon = month_index(day_number(as_of, economy.timezone)) - economy.expiry.after_months
    old = sum(p for m, p in member.progress.earned_by_month.items() if m < horizon)
    return min(max(old - member.progress.consumed, 0), available)


def review_member(cmd: ReviewMember, uow: UnitOfWork, economy: Economy) -> list[Event]:
    """Level review (warning, grace, demotion) and point expiry as of `as_of`. Idempotent."""
    require_aware(cmd.as_of, "asOf")
    with uow:
        member = _member_for_update(uow, cmd.member_id)
        events: list[Event] = list(levels.review(economy, member, cmd.as_of))
        account = available_account(member.id)
        expiring = expirable_points(economy, member, uow.ledger.balance(account), cmd.as_of)
        if expiring > 0:
            transfer = Transfer(
                uow.next_id("trf"),
                TransferKind.EXPIRE,
                member.id,
                (Posting(account, -expiring), Posting(EXPIRY, expiring)),
                cmd.as_of,
                "expiry",
                "points past the expiry horizon",
            )
            assert uow.ledger.post(transfer), "expiry never takes more than is available"
            member.progress.consumed += expiring
            member.progress.expired += expiring
            events.append(PointsExpired(member.id, expiring, cmd.as_of))
        _compact_months(economy, member, cmd.as_of)
        uow.members.save(member)
        uow.events.extend(events)
        uow.commit()
    return events


def _compact_months(economy: Economy, member: Member, as_of: datetime) -> None:
    """Fold fully-consumed old months away so progress stays bounded."""
    if economy.expiry is None:
        return
    progress = member.progress
    horizon = month_index(day_number(as_of, economy.timezone)) - economy.expiry.after_months
    old_months = sorted(m for m in progress.earned_by_month if m < horizon)
    old = sum(progress.earned_by_month[m] for m in old_months)
    folded = min(old, progress.consumed)
    if not old_months or folded == 0:
        return
    for m in old_months:
        del progress.earned_by_month[m]
    progress.consumed -= folded
    if old > folded:
        progress.earned_by_month[old_months[-1]] = old - folded


# --- public reads -------------------------------------------------------------------------


def member_ids(uow: UnitOfWork, after_id: str | None = None, limit: int = 500) -> list[str]:
    """One page of member ids in ascending order, for batch jobs such as the daily review."""
    with uow:
        return uow.members.ids(after_id, min(max(limit, 0), 10_000))


def honors_of(member_id: str, uow: UnitOfWork) -> list[HonorAward]:
    with uow:
        return uow.honors.list_for_member(member_id)


def hall_of_fame(uow: UnitOfWork, economy: Economy, limit: int = 100) -> list[HallOfFameEntry]:
    """Members holding a hall-of-fame honor or standing at a hall-of-fame level."""
    limit = min(max(limit, 0), page_size_max)
    honor_ids = [h.id for h in economy.honors if h.hall_of_fame]
    level_ids = [lv.id for lv in economy.levels if lv.hall_of_fame]
    with uow:
        awards = uow.honors.active_for_honors(honor_ids, limit * 4) if honor_ids else []
        by_member: dict[str, list[HonorAward]] = {}
        for award in awards:
            by_member.setdefault(award.member_id, []).append(award)
        members = {m.id: m for m in uow.members.get_many(list(by_member))}
        if level_ids:
            for m in uow.members.at_levels(level_ids, limit):
                members.setdefault(m.id, m)
    entries = [
        HallOfFameEntry(m, tuple(by_member.get(m.id, ())), m.level_id) for m in members.values()
    ]
    first_award = {mid: min(a.granted_at for a in aw) for mid, aw in by_member.items()}
    entries.sort(key=lambda e: (e.member.id not in first_award,
                                first_award.get(e.member.id, e.member.joined_at),
                                e.member.id))  # fmt: skip
    return entries[:limit]


LEADERBOARD_PERIODS = ("day", "week", "month", "all_time")


def leaderboard_since(economy: Economy, period: str, as_of: datetime) -> datetime | None:
    """The start of the current local day, week or month (None for all time)."""
    if period not in LEADERBOARD_PERIODS:
        raise InvalidInput("period", f"must be one of {', '.join(LEADERBOARD_PERIODS)}")
    if period == "all_time":
        return None
    day = day_number(as_of, economy.timezone)
    if period == "day":
        return start_of_day(day, economy.timezone)
    if period == "week":
        return start_of_day(bucket("week", day), economy.timezone)
    first_of_month = date.fromordinal(day).replace(day=1).toordinal()
    return start_of_day(first_of_month, economy.timezone)


def leaderboard(
    uow: UnitOfWork, economy: Economy, period: str, as_of: datetime, first: int = 10
) -> list[tuple[Member, int]]:
    since = leaderboard_since(economy, period, as_of)
    with uow:
        top = uow.ledger.top_earners(since, min(max(first, 0), page_size_max))
        members = {m.id: m for m in uow.members.get_many([mid for mid, _ in top])}
    return [(members[mid], points) for mid, points in top if mid in members]


def member_level_changes(events: Sequence[Event]) -> list[LevelChanged]:
    return [e for e in events if isinstance(e, LevelChanged)]
