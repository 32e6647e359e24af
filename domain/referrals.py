"""Referrals and commission (issue 10): the pure rules.

A member invites others with a referral code. The referrer is rewarded only when the
invitee completes a declared qualifying action within a time limit — never at sign-up —
and the invitee may get a welcome reward. Purchases pay commission up the referral chain,
at most two levels, as pending points that confirm after the return window. Members of a
distributor level or tier get a declared share back on their own purchases.

Everything here is a function of its arguments: no clock, no randomness, no I/O. The edge
passes the secret key the codes are derived from and the current time.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain import ledger
from domain.ledger import Source, SourceKind, Transfer

referral_levels_max = 2  # commission goes at most two levels up the chain
basis_points_whole = 10_000  # shares are declared in basis points: 10000 is the whole amount
referral_code_length = 10


@dataclass(frozen=True, slots=True)
class ReferralProgram:
    """The economy's `[referrals]` table."""

    qualifying_kinds: tuple[str, ...]  # an invitee's first activity of one of these qualifies
    within_days: int  # ... when it happens within this many days of joining
    referrer_points: int  # what the referrer earns for a qualified invitee
    welcome_points: int = 0  # what the invitee earns on qualifying
    commission: tuple[int, ...] = ()  # basis points of a purchase per level up (1 or 2 entries)
    minor_units_per_point: int = 100  # purchase amount (minor units) worth one point
    commission_pending_days: int = 14  # the return window: commission confirms after it
    cap: int | None = None  # rewarded referrals per referrer per cap period
    cap_period_days: int = 30
    farming_min_invitees: int = 5  # decided invitees before the farming signal is judged
    farming_unqualified_percent: int = 80  # this share or more never qualifying holds a referrer
    distributor_levels: tuple[str, ...] = ()  # levels or KOC tiers with self-purchase savings
    distributor_share: int = 0  # basis points back on their own purchases
    purchase_kind: str = "purchase"
    amount_attribute: str = "amount"

    @property
    def levels(self) -> int:
        return len(self.commission)


def referral_code(member_id: str, key: bytes) -> str:
    """The member's referral code: the first 50 bits of HMAC-SHA256(key, member id), in
    upper-case base32 (10 characters). Deterministic for a member and key; without the key
    a code reveals nothing and neighbouring members' codes are unrelated."""
    # One-shot HMAC, and only the digest's first ten bytes encoded: base32 writes each
    # five bytes as eight characters, so their sixteen are the full encoding's first
    # sixteen (half the cost of a registration's code, made for every member).
    digest = hmac.digest(key, member_id.encode(), "sha256")
    return base64.b32encode(digest[:10]).decode()[:referral_code_length]


def normalise_code(code: str) -> str:
    """Codes are read case-insensitively and without surrounding spaces or dashes."""
    return code.strip().replace("-", "").upper()


class ReferralRefusal(StrEnum):
    SELF_REFERRAL = "self_referral"  # the code is the invitee's own
    SAME_IDENTITY = "same_identity"  # the referrer is the same person under another account
    CYCLE = "cycle"  # the invitee is already up the referrer's chain
    ALREADY_REFERRED = "already_referred"  # an invitee uses one code, once


@dataclass(frozen=True, slots=True)
class Party:
    """A member as far as a referral is concerned."""

    member_id: str
    identities: frozenset[str] = frozenset()  # external identities (provider:subject)


def check_referral(
    invitee: Party, referrer: Party, referrer_upline: Sequence[str], already_referred: bool
) -> ReferralRefusal | None:
    """Why the invitee may not be linked to the referrer, or None when the link stands.
    `referrer_upline` is the referrer's chain upward (their referrer first)."""
    if invitee.member_id == referrer.member_id:
        return ReferralRefusal.SELF_REFERRAL
    if invitee.identities & referrer.identities:
        return ReferralRefusal.SAME_IDENTITY
    if already_referred:
        return ReferralRefusal.ALREADY_REFERRED
    if invitee.member_id in referrer_upline:
        return ReferralRefusal.CYCLE
    return None


class InviteeState(StrEnum):
    WAITING = "waiting"  # inside the time limit, not qualified yet
    QUALIFIED = "qualified"
    EXPIRED = "expired"  # the time limit passed without a qualifying action


def deadline(program: ReferralProgram, joined_at: datetime) -> datetime:
    return joined_at + timedelta(days=program.within_days)


def qualifies(
    program: ReferralProgram, joined_at: datetime, kind: str, occurred_at: datetime
) -> bool:
    """Whether an invitee's activity is a qualifying action in time (the first one counts;
    the caller keeps whether the invitee qualified already)."""
    return kind in program.qualifying_kinds and joined_at <= occurred_at < deadline(
        program, joined_at
    )


def invitee_state(
    program: ReferralProgram, joined_at: datetime, qualified_at: datetime | None, now: datetime
) -> InviteeState:
    if qualified_at is not None:
        return InviteeState.QUALIFIED
    return InviteeState.EXPIRED if now >= deadline(program, joined_at) else InviteeState.WAITING


class RewardOutcome(StrEnum):
    PAY = "pay"  # the referrer earns the reward now
    HELD = "held"  # the referrer is flagged for farming: the reward waits for the operator
    CAPPED = "capped"  # the referrer reached the cap of the period: nothing is paid
    CONFIRMED = "confirmed"  # held, then confirmed by an operator: the reward is available
    REVERSED = "reversed"  # held, then reversed by an operator: the reward is voided


REWARDED = (RewardOutcome.PAY, RewardOutcome.HELD, RewardOutcome.CONFIRMED)
"""Outcomes counted against the referrer's cap (a reward paid or waiting for review)."""


def farming_flagged(program: ReferralProgram, states: Sequence[InviteeState]) -> bool:
    """The farming signal: enough decided invitees, and of them the declared share or more
    never qualified. Invitees still inside their time limit are not judged."""
    decided = [s for s in states if s is not InviteeState.WAITING]
    if len(decided) < program.farming_min_invitees or not decided:
        return False
    unqualified = sum(1 for s in decided if s is InviteeState.EXPIRED)
    return unqualified * 100 >= program.farming_unqualified_percent * len(decided)


def cap_window_start(program: ReferralProgram, at: datetime) -> datetime:
    """Rewards counted against the cap are those paid after this instant (a rolling window)."""
    return at - timedelta(days=program.cap_period_days)


def reward_outcome(
    program: ReferralProgram, rewarded_in_window: int, flagged: bool
) -> RewardOutcome:
    """What happens to a referrer's reward for a newly qualified invitee."""
    if program.cap is not None and rewarded_in_window >= program.cap:
        return RewardOutcome.CAPPED
    return RewardOutcome.HELD if flagged else RewardOutcome.PAY


@dataclass(frozen=True, slots=True)
class CommissionShare:
    member_id: str
    level: int  # 1: the buyer's referrer, 2: their referrer
    points: int


def share_points(program: ReferralProgram, amount: int, basis_points: int) -> int:
    """Points for a share of an amount (rounded down: commission never pays a fraction)."""
    return amount * basis_points // (basis_points_whole * program.minor_units_per_point)


def commission(
    program: ReferralProgram, amount: int, buyer_upline: Sequence[str]
) -> tuple[CommissionShare, ...]:
    """The commission a purchase pays up the buyer's chain (their referrer first), at most as
    many levels as the economy declares; a share rounding to nothing is left out."""
    shares: list[CommissionShare] = []
    for level, (member_id, bp) in enumerate(zip(buyer_upline, program.commission, strict=False), 1):
        points = share_points(program, amount, bp)
        if points > 0:
            shares.append(CommissionShare(member_id, level, points))
    return tuple(shares)


def self_purchase_savings(
    program: ReferralProgram, amount: int, level_id: str, koc_tier: str | None
) -> int:
    """Points back on a distributor's own purchase (0 for everyone else)."""
    held = level_id in program.distributor_levels or (
        koc_tier is not None and koc_tier in program.distributor_levels
    )
    return share_points(program, amount, program.distributor_share) if held else 0


# --- A referral and the chain --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Referral:
    """One invitee's link to their referrer (one per invitee: a code is used once)."""

    invitee_id: str
    referrer_id: str
    joined_at: datetime
    qualified_at: datetime | None = None
    outcome: RewardOutcome | None = None  # what the referrer's reward became on qualifying
    reward_transfer_id: str | None = None  # the referrer's earning (pending while held)
    qualifying_activity_id: str | None = None  # the activity that qualified the invitee
    welcome_transfer_id: str | None = None  # the invitee's welcome earning

    def state(self, program: ReferralProgram, now: datetime) -> InviteeState:
        return invitee_state(program, self.joined_at, self.qualified_at, now)


def upline(
    referrals: Mapping[str, Referral], member_id: str, depth: int | None = None
) -> tuple[str, ...]:
    """The member's chain upward (their referrer first), at most `depth` members; a chain
    that loops (refused on linking, so never stored) stops where it would repeat."""
    chain: list[str] = []
    seen = {member_id}
    current = referrals.get(member_id)
    while current is not None and (depth is None or len(chain) < depth):
        if current.referrer_id in seen:
            break
        chain.append(current.referrer_id)
        seen.add(current.referrer_id)
        current = referrals.get(current.referrer_id)
    return tuple(chain)


def qualify(
    program: ReferralProgram,
    referral: Referral,
    kind: str,
    at: datetime,
    rewarded_in_window: int,
    flagged: bool,
    activity_id: str | None = None,
) -> Referral | None:
    """The referral once this activity qualifies the invitee, with the reward's outcome;
    None when it does not (another kind, out of time, or qualified already: once only)."""
    if referral.qualified_at is not None or not qualifies(program, referral.joined_at, kind, at):
        return None
    return replace(
        referral,
        qualified_at=at,
        outcome=reward_outcome(program, rewarded_in_window, flagged),
        qualifying_activity_id=activity_id,
    )


def qualified_by(
    program: ReferralProgram, referral: Referral, activity_id: str, kind: str, occurred_at: datetime
) -> bool:
    """Whether this activity is the one that qualified the invitee (a referral qualified
    before the activity was kept: the qualifying kind's activity at the qualifying instant)."""
    if referral.qualified_at is None:
        return False
    if referral.qualifying_activity_id is not None:
        return referral.qualifying_activity_id == activity_id
    return kind in program.qualifying_kinds and occurred_at == referral.qualified_at


class RewardTakeBack(StrEnum):
    """What reversing the qualifying activity does to the referrer's reward."""

    NOTHING = "nothing"  # nothing was paid (capped) or an operator reversed it already
    VOID = "void"  # still pending (held for review): voided, never confirmed
    REVERSE = "reverse"  # available (paid, or held then confirmed): taken back, debt if spent


def reward_take_back(referral: Referral) -> RewardTakeBack:
    if referral.reward_transfer_id is None:
        return RewardTakeBack.NOTHING
    match referral.outcome:
        case RewardOutcome.HELD:
            return RewardTakeBack.VOID
        case RewardOutcome.PAY | RewardOutcome.CONFIRMED:
            return RewardTakeBack.REVERSE
        case _:
            return RewardTakeBack.NOTHING


def unqualify(referral: Referral) -> Referral:
    """The referral once its qualifying activity is reversed: not qualified any more (the
    invitee is waiting again inside the time limit, else expired; a later qualifying
    action in time may qualify them again), counting neither toward the cap nor as a
    qualified invitee for the farming signal."""
    return replace(
        referral,
        qualified_at=None,
        outcome=None,
        reward_transfer_id=None,
        qualifying_activity_id=None,
        welcome_transfer_id=None,
    )


# --- The ledger movements ---------------------------------------------------------------


def commission_transfer(
    program: ReferralProgram,
    transfer_id: str,
    purchase_id: str,
    amount: int,
    buyer_upline: Sequence[str],
    at: datetime,
) -> Transfer | None:
    """One pending earning paying every level of a purchase's commission (None when it
    pays nothing). It confirms after the return window and is voided by a refund."""
    shares = commission(program, amount, buyer_upline)
    if not shares:
        return None
    return ledger.earn(
        transfer_id,
        {share.member_id: share.points for share in shares},
        at,
        Source(SourceKind.REFERRAL, purchase_id),
        purchase_id,
        "commission " + ", ".join(f"level {s.level}: {s.member_id}" for s in shares),
        pending=True,
    )


def commission_due(program: ReferralProgram, pending: Transfer) -> datetime:
    """When a commission's return window closes and it confirms."""
    return pending.at + timedelta(days=program.commission_pending_days)


def refund_commission(transfer_id: str, pending: Transfer, at: datetime) -> Transfer:
    """A refunded purchase's commission vanishes: the pending earning is voided, every level."""
    return ledger.void_pending(transfer_id, pending, at, "purchase refunded")


def qualifying_rewards(
    program: ReferralProgram,
    transfer_ids: tuple[str, str],
    referrer_id: str,
    invitee_id: str,
    outcome: RewardOutcome,
    at: datetime,
) -> tuple[Transfer, ...]:
    """The earnings when an invitee qualifies (source id: the invitee): the referrer's
    reward (into pending while held for review, nothing when capped) and the invitee's
    welcome reward (always available: the invitee did nothing wrong)."""
    source = Source(SourceKind.REFERRAL, invitee_id)
    out: list[Transfer] = []
    if program.referrer_points and outcome is not RewardOutcome.CAPPED:
        out.append(
            ledger.earn(
                transfer_ids[0],
                {referrer_id: program.referrer_points},
                at,
                source,
                invitee_id,
                "referral held for review" if outcome is RewardOutcome.HELD else "referral",
                pending=outcome is RewardOutcome.HELD,
            )
        )
    if program.welcome_points:
        out.append(
            ledger.earn(
                transfer_ids[1],
                {invitee_id: program.welcome_points},
                at,
                source,
                invitee_id,
                "referral welcome",
            )
        )
    return tuple(out)


# --- Commission on a purchase, as stored ------------------------------------------------


class CommissionState(StrEnum):
    PENDING = "pending"  # inside the return window
    CONFIRMED = "confirmed"  # the window closed: the points are available
    VOIDED = "voided"  # the purchase was refunded (reversed) first


@dataclass(frozen=True, slots=True)
class PurchaseCommission:
    """What one purchase paid up the chain and to a distributor buyer, as one pending
    earning (`transfer_id`; None when it paid nothing). One per order of a buyer: the same
    order reported again pays nothing more."""

    activity_id: str
    buyer_id: str
    order_id: str
    amount: int
    at: datetime
    due_at: datetime
    shares: tuple[CommissionShare, ...]  # level 0 is the buyer's own savings
    transfer_id: str | None
    state: CommissionState = CommissionState.PENDING

    def points_at(self, level: int) -> int:
        return sum(s.points for s in self.shares if s.level == level)


def purchase_commission(
    program: ReferralProgram,
    activity_id: str,
    transfer_id: str,
    buyer_id: str,
    order_id: str,
    amount: int,
    buyer_upline: Sequence[str],
    savings: int,
    at: datetime,
) -> tuple[PurchaseCommission, Transfer | None]:
    """The stored commission of a purchase and its one pending earning (levels up the
    chain, and the buyer's self-purchase savings as level 0), None when nothing is paid."""
    shares = commission(program, amount, buyer_upline)
    if savings > 0:
        shares = (CommissionShare(buyer_id, 0, savings), *shares)
    transfer = None
    if shares:
        payees: dict[str, int] = {}
        for share in shares:
            payees[share.member_id] = payees.get(share.member_id, 0) + share.points
        memo = "commission " + ", ".join(
            f"level {s.level}: {s.member_id}" if s.level else f"savings: {s.member_id}"
            for s in shares
        )
        transfer = ledger.earn(
            transfer_id,
            payees,
            at,
            Source(SourceKind.REFERRAL, activity_id),
            activity_id,
            memo,
            pending=True,
        )
    due = at + timedelta(days=program.commission_pending_days)
    stored = PurchaseCommission(
        activity_id,
        buyer_id,
        order_id,
        amount,
        at,
        due,
        shares,
        transfer.id if transfer is not None else None,
        CommissionState.PENDING if transfer is not None else CommissionState.CONFIRMED,
    )
    return stored, transfer
