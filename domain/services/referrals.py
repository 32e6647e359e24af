"""Use cases of referrals and commission (issue 10; the rules are `domain.referrals`).

A member links to a referrer with the referrer's code on registering (or, within the
program's time limit of joining, afterwards): the guards refuse the member's own code, a
referrer sharing an external identity, a second code and a cycle. The pipeline's
referrals reactor then qualifies the invitee on their first qualifying action in time
(the referrer's reward paid, capped, or held for the operator when the referrer is
flagged for farming; the invitee's welcome) and pays commission on purchases as one
pending earning per order, which the review confirms after the return window and a
refund (the purchase's reversal) voids. Operators confirm or reverse held rewards.

Locks: the invitee (the member acting) first, then their referrer; chains never loop, so
locks are always taken from a member toward their upline and never deadlock there. The
review's confirmation locks a commission's payees in id order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain import earning, idempotency, ledger, levels, reversal
from domain import referrals as dr
from domain.calendar import day_number, require_aware
from domain.economy import Economy
from domain.errors import InvalidInput, InvalidTransition, NotFound, ReferralRefused
from domain.model import (
    ActivityRecord,
    Event,
    Member,
    PointsAwarded,
    ReferralQualified,
    ReferralRewardDecided,
)
from domain.ports import UnitOfWork
from domain.referrals import (
    CommissionState,
    InviteeState,
    PurchaseCommission,
    Referral,
    ReferralProgram,
    ReferralRefusal,
    RewardOutcome,
)
from domain.services._support import (
    audit,
    check_key,
    check_reason,
    grant_automatic,
    member_for_update,
    page_size_max,
    remember,
    replayed,
)

UowFactory = Callable[[], UnitOfWork]
identities_max = 10  # external identities per member
identity_length_max = 200
chain_length_max = 10_000  # the cycle guard walks a chain at most this far up
commission_page_size = 200
referrer_pages_max = 50  # flagged referrers: pages of referrers read to fill one answer

REFUSALS = {
    ReferralRefusal.SELF_REFERRAL: "this is your own referral code",
    ReferralRefusal.SAME_IDENTITY: "the referrer shares an identity with you",
    ReferralRefusal.ALREADY_REFERRED: "a referral code was already used for this member",
    ReferralRefusal.CYCLE: "the referrer was referred (directly or not) by you",
}


def _program(economy: Economy, field_name: str = "referralCode") -> ReferralProgram:
    if economy.referrals is None:
        raise InvalidInput(field_name, "this economy has no referral program")
    return economy.referrals


def check_identities(identities: Sequence[str]) -> tuple[str, ...]:
    """External identities as `provider:subject` (e.g. `phone:+8613800000000`), each once."""
    if len(identities) > identities_max:
        raise InvalidInput("identities", f"at most {identities_max} identities")
    out: list[str] = []
    for raw in identities:
        identity = raw.strip()
        provider, _, subject = identity.partition(":")
        if not provider or not subject or len(identity) > identity_length_max:
            raise InvalidInput(
                "identities",
                f"{raw!r} must be provider:subject, at most {identity_length_max} characters",
            )
        out.append(f"{provider.lower()}:{subject}")
    return tuple(dict.fromkeys(out))


def index_code(uow: UnitOfWork, member_id: str, key: bytes) -> str:
    """The member's code, remembered in the code index (inside an open unit of work)."""
    code = dr.referral_code(member_id, key)
    uow.referrals.index_code(code, member_id)
    return code


def upline(uow: UnitOfWork, member_id: str, depth: int | None = None) -> tuple[str, ...]:
    """The member's chain upward (their referrer first), at most `depth` members."""
    chain: list[str] = []
    seen = {member_id}
    current = uow.referrals.get(member_id)
    limit = chain_length_max if depth is None else min(depth, chain_length_max)
    while current is not None and len(chain) < limit and current.referrer_id not in seen:
        chain.append(current.referrer_id)
        seen.add(current.referrer_id)
        current = uow.referrals.get(current.referrer_id)
    return tuple(chain)


def link(uow: UnitOfWork, economy: Economy, member: Member, code: str, at: datetime) -> Referral:
    """Link the member to the referrer whose code this is (inside an open unit of work, the
    member locked or new). Raises InvalidInput or ReferralRefused naming `referralCode`."""
    _program(economy)
    normal = dr.normalise_code(code)
    if len(normal) != dr.referral_code_length or not normal.isalnum():
        raise InvalidInput("referralCode", f"must be a {dr.referral_code_length}-character code")
    referrer_id = uow.referrals.by_code(normal)
    if referrer_id is None:
        raise InvalidInput("referralCode", f"no member has the referral code {normal!r}")
    existing = uow.referrals.get(member.id)
    if existing is not None and existing.referrer_id == referrer_id:
        return existing  # the same code again (a retry): the link stands as it is
    invitee = dr.Party(member.id, uow.referrals.identities(member.id))
    referrer = dr.Party(referrer_id, uow.referrals.identities(referrer_id))
    chain = upline(uow, referrer_id)
    refusal = dr.check_referral(invitee, referrer, chain, existing is not None)
    if refusal is not None:
        raise ReferralRefused(refusal.value, REFUSALS[refusal])
    referral = Referral(member.id, referrer_id, at)
    if not uow.referrals.add(referral):  # linked in parallel: a code is used once
        reason = ReferralRefusal.ALREADY_REFERRED
        raise ReferralRefused(reason.value, REFUSALS[reason])
    return referral


@dataclass(frozen=True, slots=True)
class ApplyReferralCode:
    """A member enters a referral code after joining (within the program's time limit)."""

    member_id: str
    referral_code: str
    at: datetime


def apply_referral_code(cmd: ApplyReferralCode, uow: UnitOfWork, economy: Economy) -> Referral:
    require_aware(cmd.at, "at")
    program = _program(economy)
    with uow:
        member = member_for_update(uow, cmd.member_id)
        if cmd.at >= dr.deadline(program, member.joined_at):
            raise InvalidInput(
                "referralCode", f"a code is entered within {program.within_days} days of joining"
            )
        referral = link(uow, economy, member, cmd.referral_code, cmd.at)
        audit(uow, idempotency.member_caller(member.id), "apply_referral_code", member.id,
              cmd.at, f"referred by {referral.referrer_id}")  # fmt: skip
        uow.commit()
    return referral


def check_purchase(economy: Economy, kind: str, subject_id: str | None, amount: object) -> None:
    """A purchase names its order (the subject) and its whole amount (minor units)."""
    program = economy.referrals
    if program is None or kind != program.purchase_kind:
        return
    if subject_id is None:
        raise InvalidInput("subjectId", f"a {kind} names its order id")
    if amount is None:
        raise InvalidInput(f"attributes.{program.amount_attribute}", f"a {kind} carries its amount")


# --- The reactor ------------------------------------------------------------------------


def on_activity(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    activity_id: str,
    kind: str,
    subject_id: str | None,
    amount: int | None,
    at: datetime,
) -> list[Event]:
    """An accepted activity: it may qualify the member as an invitee, and a purchase pays
    commission up their chain and savings to a distributor."""
    program = economy.referrals
    assert program is not None, "the reactor runs with a referral program only"
    events: list[Event] = []
    # A code is linked at most `within_days` after joining and qualifies for `within_days`
    # more: a member past that never qualifies, and their referral is not even read.
    if kind in program.qualifying_kinds and at < member.joined_at + 2 * timedelta(
        days=program.within_days
    ):
        events += _qualify(uow, economy, program, member, activity_id, kind, at)
    if kind == program.purchase_kind and subject_id is not None and amount:
        _pay_commission(uow, program, member, activity_id, subject_id, amount, at)
    return events


def farming_flagged(
    uow: UnitOfWork, program: ReferralProgram, referrer_id: str, at: datetime
) -> bool:
    qualified, expired, waiting = uow.referrals.tally(referrer_id, _expired_by(program, at))
    states = (
        [InviteeState.QUALIFIED] * qualified
        + [InviteeState.EXPIRED] * expired
        + [InviteeState.WAITING] * waiting
    )
    return dr.farming_flagged(program, states)


def _expired_by(program: ReferralProgram, at: datetime) -> datetime:
    """Invitees who joined at or before this instant are past their time limit at `at`."""
    return at - timedelta(days=program.within_days)


def _qualify(
    uow: UnitOfWork,
    economy: Economy,
    program: ReferralProgram,
    member: Member,
    activity_id: str,
    kind: str,
    at: datetime,
) -> list[Event]:
    referral = uow.referrals.get(member.id)
    if referral is None or referral.qualified_at is not None:
        return []
    if not dr.qualifies(program, referral.joined_at, kind, at):
        return []
    referrer = member_for_update(uow, referral.referrer_id)  # serialises the cap's count
    flagged = farming_flagged(uow, program, referrer.id, at)
    rewarded = uow.referrals.rewarded_since(referrer.id, dr.cap_window_start(program, at))
    done = dr.qualify(program, referral, kind, at, rewarded, flagged, activity_id)
    assert done is not None, "a qualifying action in time qualifies"
    assert done.outcome is not None, "a qualified referral has its reward's outcome"
    outcome = done.outcome
    ids = (uow.next_id("trf"), uow.next_id("trf"))
    transfers = dr.qualifying_rewards(program, ids, referrer.id, member.id, outcome, at)
    reward = next((t for t in transfers if t.id == ids[0]), None)
    welcome = next((t for t in transfers if t.id == ids[1]), None)
    done = replace(
        done,
        reward_transfer_id=reward.id if reward is not None else None,
        welcome_transfer_id=welcome.id if welcome is not None else None,
    )
    if not uow.referrals.update(done, None):
        return []  # qualified meanwhile: once only
    for transfer in transfers:
        assert uow.ledger.post(transfer), "a referral earning only credits members"
    events: list[Event] = []
    day = day_number(at, economy.timezone)
    paid = program.referrer_points if outcome is RewardOutcome.PAY else 0
    if paid:
        events += _earned(uow, economy, referrer, paid, day, f"referral:{member.id}", at)
    uow.members.save(referrer)
    if program.welcome_points:
        events += _earned(uow, economy, member, program.welcome_points, day,
                          f"referral:{member.id}", at, honors=False)  # fmt: skip
    events.append(
        ReferralQualified(
            referrer.id,
            member.id,
            outcome.value,
            program.referrer_points if reward is not None else 0,
            program.welcome_points,
            at,
        )
    )
    return events


def _earned(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    points: int,
    day: int,
    reference: str,
    at: datetime,
    *,
    honors: bool = True,
) -> list[Event]:
    """Count points a member has just earned (available) toward their lifetime, levels and
    (unless the pipeline grants them later) automatic honors."""
    earning.record_earning(economy, member.progress, day, points)
    events: list[Event] = [PointsAwarded(member.id, reference, points, at)]
    events += levels.earn(economy, member, points, at)
    if honors:
        events += grant_automatic(uow, economy, member, at)
    return events


def _pay_commission(
    uow: UnitOfWork,
    program: ReferralProgram,
    member: Member,
    activity_id: str,
    order_id: str,
    amount: int,
    at: datetime,
) -> None:
    chain = upline(uow, member.id, program.levels)
    savings = dr.self_purchase_savings(program, amount, member.level_id, member.koc_tier)
    stored, transfer = dr.purchase_commission(
        program, activity_id, uow.next_id("trf"), member.id, order_id, amount, chain, savings, at
    )
    if not uow.referrals.add_commission(stored):
        return  # the order paid its commission already (reported again)
    if transfer is not None:
        assert uow.ledger.post(transfer), "a commission only credits members"


# --- Refund, return window, operator ----------------------------------------------------


def refund(uow: UnitOfWork, record: ActivityRecord, at: datetime) -> bool:
    """A reversed purchase voids its commission at every level (and a distributor's
    savings) while the return window is open; True when something was voided. Inside the
    reversal's unit of work, the buyer locked."""
    found = uow.referrals.commission(record.id)
    if found is None or found.state is not CommissionState.PENDING:
        return False
    assert found.transfer_id is not None, "a pending commission has its earning"
    pending = uow.ledger.transfer(found.transfer_id)
    assert pending is not None, f"commission {found.activity_id} names a missing transfer"
    if not uow.referrals.update_commission(replace(found, state=CommissionState.VOIDED),
                                           CommissionState.PENDING):  # fmt: skip
        return False  # confirmed or voided meanwhile
    voided = dr.refund_commission(uow.next_id("trf"), pending, at)
    assert uow.ledger.post(voided), "a pending commission is voided once"
    return True


@dataclass(frozen=True, slots=True)
class Unqualified:
    """What reversing an invitee's qualifying activity took back."""

    referral: Referral  # as it stood qualified
    referrer: Member  # locked, its counts moved back and saved
    take_back: dr.RewardTakeBack  # what became of the referrer's reward
    referrer_points: int  # the referrer's reward voided or taken back (0: none was paid)
    referrer_debt: int  # of which the referrer had spent (now owed)
    welcome_points: int  # the invitee's welcome taken back
    welcome_debt: int
    events: tuple[Event, ...]


def unqualify(
    uow: UnitOfWork,
    economy: Economy,
    invitee: Member,
    record: ActivityRecord,
    actor: str,
    reason: str,
    at: datetime,
) -> Unqualified | None:
    """The invitee's qualifying activity is reversed (inside the reversal's unit of work,
    the invitee locked): the referrer's reward is voided while held, else taken back (the
    spent part as debt), the welcome is taken back the same way, and the referral is not
    qualified any more (waiting again inside the time limit, else expired), once: a
    conditional update on the stored outcome. None when the activity did not qualify."""
    program = economy.referrals
    if program is None:
        return None
    found = uow.referrals.get(invitee.id)
    if found is None or not dr.qualified_by(
        program, found, record.id, record.kind, record.occurred_at
    ):
        return None
    referrer = member_for_update(uow, found.referrer_id)
    referral = uow.referrals.get(invitee.id)  # read again under the referrer's lock
    assert referral is not None, "a referral stays"
    if referral != found or not uow.referrals.update(dr.unqualify(referral), referral.outcome):
        return None  # decided or reversed meanwhile
    assert referral.qualified_at is not None, "a qualified referral has its time"
    day = day_number(referral.qualified_at, economy.timezone)
    source = ledger.Source(ledger.SourceKind.OPERATOR, actor)
    events: list[Event] = []
    take_back = dr.reward_take_back(referral)
    points = debt = 0
    if referral.reward_transfer_id is not None and take_back is not dr.RewardTakeBack.NOTHING:
        original = uow.ledger.transfer(referral.reward_transfer_id)
        assert original is not None, f"referral of {invitee.id} names a missing transfer"
        points = sum(p.amount for p in original.postings if p.account.owner_id == referrer.id)
        if take_back is dr.RewardTakeBack.VOID:
            voided = ledger.void_pending(uow.next_id("trf"), original, at, reason)
            assert uow.ledger.post(voided), "a held reward is voided once"
        else:
            debt, lost = _take_back(uow, economy, referrer, original, day, source, reason, at)
            events += lost
        events.append(ReferralRewardDecided(
            referrer.id, invitee.id, RewardOutcome.REVERSED.value, points, at))  # fmt: skip
    welcome = welcome_debt = 0
    if referral.welcome_transfer_id is not None:
        original = uow.ledger.transfer(referral.welcome_transfer_id)
        assert original is not None, f"referral of {invitee.id} names a missing welcome"
        welcome = sum(p.amount for p in original.postings if p.account.owner_id == invitee.id)
        welcome_debt, lost = _take_back(uow, economy, invitee, original, day, source, reason, at)
        events += lost
    audit(uow, actor, "reverse_referral_qualification", referrer.id, at,
          f"invitee {invitee.id}, {record.id} reversed: referrer {take_back.value} -{points}"
          f" ({debt} as debt), welcome -{welcome} ({welcome_debt} as debt): {reason}")  # fmt: skip
    uow.members.save(referrer)
    return Unqualified(
        referral, referrer, take_back, points, debt, welcome, welcome_debt, tuple(events)
    )


def _take_back(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    original: ledger.Transfer,
    day: int,
    source: ledger.Source,
    reason: str,
    at: datetime,
) -> tuple[int, list[Event]]:
    """An available referral earning taken back from the member (the spent part as debt
    later earnings repay), uncounted from lifetime, the review window and qualifying
    points (a demotion below the level); the debt and the level's change."""
    available = uow.ledger.balance(ledger.available_account(member.id))
    back = ledger.reverse_earning(
        uow.next_id("trf"), original, member.id, available, at, source, reason
    )
    assert uow.ledger.post(back), "a reversal takes no more than is available"
    debt = -sum(p.amount for p in back.postings if p.account == ledger.debt_account(member.id))
    points = sum(p.amount for p in original.postings if p.account.owner_id == member.id)
    reversal.unearn(economy, member, points, day)
    return debt, list(reversal.demote_if_below(economy, member, at))


def _confirm(uow: UnitOfWork, member_ids: Sequence[str], pending_id: str, at: datetime) -> None:
    pending = uow.ledger.transfer(pending_id)
    assert pending is not None, f"missing pending earning {pending_id}"
    owed = {i: -uow.ledger.balance(ledger.debt_account(i)) for i in member_ids}
    confirmed = ledger.confirm_pending(
        uow.next_id("trf"), pending, at, pending.memo, {i: o for i, o in owed.items() if o > 0}
    )
    assert uow.ledger.post(confirmed), "a pending earning is confirmed once"


@dataclass(frozen=True, slots=True)
class ConfirmedCommission:
    commission: PurchaseCommission
    events: tuple[Event, ...]  # the payees' points, levels and honors


def confirm_commissions(
    uow_factory: UowFactory, economy: Economy, as_of: datetime
) -> list[ConfirmedCommission]:
    """Confirm every commission whose return window closed by `as_of`, once (the review's
    part): its points become available and count from the day the window closed."""
    require_aware(as_of, "asOf")
    confirmed: list[ConfirmedCommission] = []
    after: str | None = None
    while True:
        with uow_factory() as uow:
            page = uow.referrals.due_commissions(as_of, after, commission_page_size)
        if not page:
            return confirmed
        for found in page:
            done = _confirm_commission(uow_factory, economy, found, as_of)
            if done is not None:
                confirmed.append(done)
        after = page[-1].activity_id


def _confirm_commission(
    uow_factory: UowFactory, economy: Economy, found: PurchaseCommission, as_of: datetime
) -> ConfirmedCommission | None:
    """One due commission confirmed, or None when it was refunded (or confirmed) since the
    page was read."""
    with uow_factory() as uow:
        payees = sorted({s.member_id for s in found.shares})
        locked = {ident: member_for_update(uow, ident) for ident in payees}
        now = uow.referrals.commission(found.activity_id)
        if now is None or now.state is not CommissionState.PENDING:
            return None
        done = replace(now, state=CommissionState.CONFIRMED)
        if not uow.referrals.update_commission(done, CommissionState.PENDING):
            return None
        assert now.transfer_id is not None, "a pending commission has its earning"
        _confirm(uow, payees, now.transfer_id, as_of)
        day = day_number(now.due_at, economy.timezone)
        events: list[Event] = []
        for ident in payees:
            points = sum(s.points for s in now.shares if s.member_id == ident)
            events += _earned(uow, economy, locked[ident], points, day,
                              f"commission:{now.activity_id}", now.due_at)  # fmt: skip
            uow.members.save(locked[ident])
        uow.events.extend(events)
        uow.commit()
        return ConfirmedCommission(done, tuple(events))


@dataclass(frozen=True, slots=True)
class DecideReferralReward:
    """An operator confirms (`confirm`) or reverses a referral reward held for review."""

    invitee_id: str
    confirm: bool
    reason: str
    actor: str
    idempotency_key: str
    at: datetime
    caller: str = idempotency.OPERATOR


@dataclass(frozen=True, slots=True)
class ReferralDecision:
    referral: Referral
    replayed: bool = False


def decide_referral_reward(
    cmd: DecideReferralReward, uow: UnitOfWork, economy: Economy
) -> ReferralDecision:
    """Confirm a held reward (pending -> available, counted from now) or reverse it (the
    pending points are voided). A reward is decided once; a replayed key answers the
    first decision."""
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    check_reason(cmd.reason)
    program = _program(economy, "inviteeId")
    with uow:
        found = uow.referrals.get(cmd.invitee_id)
        if found is None:
            raise NotFound("referral", cmd.invitee_id)
        referrer = member_for_update(uow, found.referrer_id)
        key_scope = idempotency.scope(cmd.caller, idempotency.DECIDE_REFERRAL_REWARD, referrer.id)
        if replayed(uow, key_scope, cmd.idempotency_key, cmd) is not None:
            current = uow.referrals.get(cmd.invitee_id)
            assert current is not None, "a decided referral stays"
            return ReferralDecision(current, True)
        action = "confirm" if cmd.confirm else "reverse"
        state = found.outcome.value if found.outcome is not None else "waiting"
        if found.outcome is not RewardOutcome.HELD:
            raise InvalidTransition("referral reward of", found.invitee_id, state, action)
        outcome = RewardOutcome.CONFIRMED if cmd.confirm else RewardOutcome.REVERSED
        decided = replace(found, outcome=outcome)
        if not uow.referrals.update(decided, RewardOutcome.HELD):
            raise InvalidTransition("referral reward of", found.invitee_id, state, action)
        events: list[Event] = []
        points = program.referrer_points if found.reward_transfer_id is not None else 0
        if found.reward_transfer_id is not None:
            if cmd.confirm:
                _confirm(uow, [referrer.id], found.reward_transfer_id, cmd.at)
                day = day_number(cmd.at, economy.timezone)
                events += _earned(uow, economy, referrer, points, day,
                                  f"referral:{found.invitee_id}", cmd.at)  # fmt: skip
            else:
                pending = uow.ledger.transfer(found.reward_transfer_id)
                assert pending is not None, "a held reward names its pending earning"
                voided = ledger.void_pending(uow.next_id("trf"), pending, cmd.at, cmd.reason)
                assert uow.ledger.post(voided), "a held reward is voided once"
        remember(uow, key_scope, cmd.idempotency_key, cmd, "referral", found.invitee_id)
        audit(uow, cmd.actor, f"{action}_referral_reward", referrer.id, cmd.at,
              f"invitee {found.invitee_id}: {cmd.reason}")  # fmt: skip
        events.append(
            ReferralRewardDecided(referrer.id, found.invitee_id, outcome.value, points, cmd.at)
        )
        uow.members.save(referrer)
        uow.events.extend(events)
        uow.commit()
        return ReferralDecision(decided)


# --- Reads ------------------------------------------------------------------------------


def referral_code_of(uow: UnitOfWork, member_id: str, key: bytes) -> str:
    """The member's referral code (indexed now if the member joined before referrals)."""
    with uow:
        if uow.members.get(member_id) is None:
            raise NotFound("member", member_id)
        code = dr.referral_code(member_id, key)
        if uow.referrals.by_code(code) is None:
            uow.referrals.index_code(code, member_id)
            uow.commit()
    return code


def referral_of(uow: UnitOfWork, invitee_id: str) -> Referral | None:
    """Who referred the member, and how far they got."""
    with uow:
        return uow.referrals.get(invitee_id)


def referrals_of(
    uow: UnitOfWork, referrer_id: str, after_id: str | None = None, first: int = 20
) -> list[Referral]:
    """The member's invitees, by invitee id."""
    with uow:
        if uow.members.get(referrer_id) is None:
            raise NotFound("member", referrer_id)
        return uow.referrals.of_referrer(referrer_id, after_id, min(max(first, 0), page_size_max))


def held_referrals(uow: UnitOfWork, after_id: str | None = None, first: int = 20) -> list[Referral]:
    """Referral rewards waiting for an operator's decision, by invitee id."""
    with uow:
        return uow.referrals.held(after_id, min(max(first, 0), page_size_max))


def commission_of(uow: UnitOfWork, activity_id: str) -> PurchaseCommission | None:
    with uow:
        return uow.referrals.commission(activity_id)


@dataclass(frozen=True, slots=True)
class FlaggedReferrer:
    """A referrer the farming signal holds for review, with their invitees' tally."""

    member_id: str
    qualified: int
    expired: int
    waiting: int

    @property
    def unqualified_percent(self) -> int:
        decided = self.qualified + self.expired
        return self.expired * 100 // decided if decided else 0


def flagged_referrers(
    uow: UnitOfWork, economy: Economy, as_of: datetime, after_id: str | None = None,
    first: int = 20,
) -> list[FlaggedReferrer]:  # fmt: skip
    """Referrers flagged for farming as of `as_of`, by member id."""
    require_aware(as_of, "asOf")
    program = economy.referrals
    if program is None:
        return []
    limit = min(max(first, 0), page_size_max)
    found: list[FlaggedReferrer] = []
    with uow:
        for _ in range(referrer_pages_max):
            page = uow.referrals.referrers(
                _expired_by(program, as_of), program.farming_min_invitees, after_id, limit
            )
            for referrer_id, qualified, expired, waiting in page:
                states = [InviteeState.QUALIFIED] * qualified + [InviteeState.EXPIRED] * expired
                if dr.farming_flagged(program, states) and len(found) < limit:
                    found.append(FlaggedReferrer(referrer_id, qualified, expired, waiting))
            if len(page) < limit or len(found) >= limit:
                break
            after_id = page[-1][0]
    return found
