"""The ledger's vocabulary: typed accounts, transfers with their source and links, and
the named movements every use case posts (no use case builds postings by hand).

An account is a value, never a string to parse: who owns it (a member, the system, a
campaign budget, a team pool), the owner's id, and the bucket (available, held, pending).
Whether it may go negative follows from its owner: member, campaign and team accounts may
not, system accounts (the issuer and the sinks) may.

A transfer moves points between any accounts (postings summing to zero, none zero),
records what caused it (its source) and, when it settles or voids a hold, names that hold
(`pending_id`), the way TigerBeetle links pending transfers: a hold is settled or voided
once, by exactly one later transfer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class OwnerKind(StrEnum):
    MEMBER = "member"
    SYSTEM = "system"  # the issuer and the sinks of points
    CAMPAIGN = "campaign"  # a campaign's budget
    TEAM = "team"  # a team's pool


class Bucket(StrEnum):
    MAIN = "main"  # the only bucket of an account that has one (system accounts)
    AVAILABLE = "available"
    HELD = "held"  # reserved by a hold until it is settled or voided
    PENDING = "pending"  # earned, waiting for confirmation
    DEBT = "debt"  # at most zero: what a member owes after a reversal of spent points


MEMBER = OwnerKind.MEMBER
NEGATIVE_ALLOWED = frozenset({OwnerKind.SYSTEM})  # owner kinds whose balance may go below 0


class Account(NamedTuple):
    """One ledger account. A tuple: built, hashed and compared in C on the hot path."""

    owner_kind: OwnerKind
    owner_id: str
    bucket: Bucket

    @property
    def may_go_negative(self) -> bool:
        return self.owner_kind in NEGATIVE_ALLOWED or self.bucket is Bucket.DEBT

    @property
    def member_id(self) -> str | None:
        return self.owner_id if self.owner_kind is OwnerKind.MEMBER else None

    def __str__(self) -> str:
        return f"{self.owner_kind}:{self.owner_id}:{self.bucket}"


def system_account(name: str) -> Account:
    return Account(OwnerKind.SYSTEM, name, Bucket.MAIN)


ISSUANCE = system_account("issuance")  # source of points earned
ADJUSTMENT = system_account("adjustment")  # operator adjustments (both directions)
REDEMPTION = system_account("redemption")  # sink of points spent on rewards
EXPIRY = system_account("expiry")  # sink of points that expired
SYSTEM_ACCOUNTS = (ISSUANCE, ADJUSTMENT, REDEMPTION, EXPIRY)

# The member accounts are built for every activity; a member's are interned so that the
# same tuple is reused (a dict lookup hits on identity before comparing).
_available: dict[str, Account] = {}
_held: dict[str, Account] = {}
_debt: dict[str, Account] = {}
_interned_max = 100_000  # members per cache (~35 MB for the three at most)


def _interned(cache: dict[str, Account], member_id: str, bucket: Bucket) -> Account:
    """The member's account in `bucket`, one object per member in the cache. A full cache
    starts again empty (it no longer stops interning, which left every member past the
    first 100,000 building its accounts afresh on each read): the members active since
    are interned again at once, the memory stays bounded by `_interned_max`."""
    found = cache.get(member_id)
    if found is None:
        found = Account(OwnerKind.MEMBER, member_id, bucket)
        if len(cache) >= _interned_max:
            cache.clear()
        cache[member_id] = found
    return found


def available_account(member_id: str) -> Account:
    return _interned(_available, member_id, Bucket.AVAILABLE)


def held_account(member_id: str) -> Account:
    return _interned(_held, member_id, Bucket.HELD)


def pending_account(member_id: str) -> Account:
    return Account(OwnerKind.MEMBER, member_id, Bucket.PENDING)


def debt_account(member_id: str) -> Account:
    """A member's debt: never above zero; later earnings repay it before anything else
    (read for every activity that pays: interned like the available account)."""
    return _interned(_debt, member_id, Bucket.DEBT)


def member_accounts(member_id: str) -> tuple[Account, ...]:
    """Every bucket a member may hold points in (the ledger reads a member across them)."""
    return (
        available_account(member_id),
        held_account(member_id),
        pending_account(member_id),
        debt_account(member_id),
    )


class TransferKind(StrEnum):
    EARN = "earn"
    HOLD = "hold"  # available -> held (redemption reserved); pending until settled or voided
    SPEND = "spend"  # held -> redemption (fulfilled): settles a hold
    RELEASE = "release"  # held -> available (cancelled): voids a hold
    EXPIRE = "expire"
    ADJUST = "adjust"
    REVERSE = "reverse"  # the mirror of an earlier transfer
    CONFIRM = "confirm"  # pending -> available: settles a pending earning
    VOID = "void"  # pending -> issuance: voids a pending earning (its activity was reversed)


LINKING_KINDS = frozenset(
    {TransferKind.SPEND, TransferKind.RELEASE, TransferKind.CONFIRM, TransferKind.VOID}
)  # name the hold or the pending earning they settle or void


class SourceKind(StrEnum):
    RULE = "rule"  # the earning rules, on one activity (source id: the activity)
    QUEST = "quest"
    TASK = "task"  # an approved task assignment (source id: the assignment)
    CONTEST = "contest"  # a contest prize (source id: contest@period)
    CAMPAIGN = "campaign"
    REFERRAL = "referral"
    OPERATOR = "operator"  # source id: the operator
    REDEMPTION = "redemption"  # source id: the redemption
    EXPIRY = "expiry"  # source id: the expiry policy
    TEAM = "team"  # a team quest filled in time (source id: the instance)
    HELP = "help"  # a help quest completed (source id: the instance)


class Source(NamedTuple):
    kind: SourceKind
    id: str


class Posting(NamedTuple):
    """One leg of a transfer (a tuple: two are built for every activity that pays)."""

    account: Account
    amount: int  # positive credits the account, negative debits it


class _TransferFields(NamedTuple):
    id: str
    kind: TransferKind
    postings: tuple[Posting, ...]
    at: datetime
    source: Source
    reference: str  # activity, redemption or adjustment id
    memo: str = ""
    pending_id: str | None = None  # the hold this transfer settles or voids


class Transfer(_TransferFields):
    """A balanced set of postings. A named tuple (one is built for every activity that
    pays), checked as it is built: postings that sum to zero, none of zero, and a hold or
    pending earning named exactly by the transfers that settle or void one."""

    __slots__ = ()

    def __new__(
        cls,
        id: str,
        kind: TransferKind,
        postings: tuple[Posting, ...],
        at: datetime,
        source: Source,
        reference: str,
        memo: str = "",
        pending_id: str | None = None,
    ) -> Transfer:
        self = tuple.__new__(cls, (id, kind, postings, at, source, reference, memo, pending_id))
        amounts = [p.amount for p in postings]
        assert amounts, f"a transfer without postings: {self}"
        assert sum(amounts) == 0, f"unbalanced transfer {self}"
        assert 0 not in amounts, f"zero posting in {self}"
        assert (pending_id is not None) == (kind in LINKING_KINDS), (
            f"only a settle or a void names a hold: {self}"
        )
        return self

    @property
    def amount(self) -> int:
        return sum(p.amount for p in self.postings if p.amount > 0)

    @property
    def member_ids(self) -> tuple[str, ...]:
        """The members this transfer touches, in posting order, each once."""
        found = (p.account.owner_id for p in self.postings if p.account.owner_kind is MEMBER)
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One posting as read back from the ledger, with its transfer's context."""

    seq: int
    transfer_id: str
    kind: TransferKind
    account: Account
    amount: int
    at: datetime
    reference: str
    memo: str


@dataclass(frozen=True, slots=True)
class Balances:
    available: int
    reserved: int
    lifetime_earned: int
    pending: int = 0  # earned, waiting for confirmation
    debt: int = 0  # owed after a reversal of spent points (>= 0); earnings repay it first


# --- The movements ----------------------------------------------------------------------


def earn(
    transfer_id: str,
    payees: Mapping[str, int],
    at: datetime,
    source: Source,
    reference: str,
    memo: str = "",
    *,
    pending: bool = False,
    debts: Mapping[str, int] | None = None,
) -> Transfer:
    """Issue points to one or more members (a referral pays both sides in one transfer),
    into their available bucket, or their pending bucket until confirmed. A member with a
    debt (`debts`: what each owes, > 0) repays it first from points paid into available."""
    bucket = pending_account if pending else available_account
    if debts and not pending:
        assert all(points > 0 for points in payees.values()), f"earning pays > 0: {payees}"
        paid: list[Posting] = []
        for member_id, points in payees.items():
            repaid = min(debts.get(member_id, 0), points)
            paid.extend(_repaying(member_id, points, repaid))
        postings_ = (Posting(ISSUANCE, -sum(payees.values())), *paid)
        return Transfer(transfer_id, TransferKind.EARN, postings_, at, source, reference, memo)
    if len(payees) == 1:  # the hot path: one member paid by the rules
        [(member_id, points)] = payees.items()
        assert points > 0, f"earning pays > 0: {payees}"
        postings: tuple[Posting, ...] = (
            Posting(ISSUANCE, -points),
            Posting(bucket(member_id), points),
        )
    else:
        assert all(points > 0 for points in payees.values()), f"earning pays > 0: {payees}"
        postings = (
            Posting(ISSUANCE, -sum(payees.values())),
            *(Posting(bucket(member_id), points) for member_id, points in payees.items()),
        )
    return Transfer(transfer_id, TransferKind.EARN, postings, at, source, reference, memo)


def is_pending_earning(transfer: Transfer) -> bool:
    """An earning into pending buckets: open until one confirm or void names it."""
    return transfer.kind is TransferKind.EARN and any(
        p.account.bucket is Bucket.PENDING for p in transfer.postings
    )


def _pending_of(pending: Transfer) -> list[Posting]:
    assert is_pending_earning(pending), f"only a pending earning is confirmed or voided: {pending}"
    return [p for p in pending.postings if p.amount > 0]


def _repaying(member_id: str, points: int, repaid: int) -> list[Posting]:
    """`points` paid to a member who owes: `repaid` of them to its debt, the rest available."""
    found = [Posting(debt_account(member_id), repaid)] if repaid > 0 else []
    if points > repaid:
        found.append(Posting(available_account(member_id), points - repaid))
    return found


def confirm_pending(
    transfer_id: str,
    pending: Transfer,
    at: datetime,
    memo: str = "",
    debts: Mapping[str, int] | None = None,
) -> Transfer:
    """Settle a pending earning: its pending points become available (repaying first what
    a member owes, `debts`)."""
    postings = tuple(
        posting
        for p in _pending_of(pending)
        for posting in (
            Posting(p.account, -p.amount),
            *_repaying(
                p.account.owner_id,
                p.amount,
                min((debts or {}).get(p.account.owner_id, 0), p.amount),
            ),
        )
    )
    return Transfer(
        transfer_id,
        TransferKind.CONFIRM,
        postings,
        at,
        pending.source,
        pending.reference,
        memo,
        pending.id,
    )


def void_pending(transfer_id: str, pending: Transfer, at: datetime, memo: str) -> Transfer:
    """Void a pending earning: its pending points go back to the issuer, never confirmed."""
    postings = tuple(Posting(p.account, -p.amount) for p in reversed(pending.postings))
    _pending_of(pending)
    return Transfer(
        transfer_id,
        TransferKind.VOID,
        postings,
        at,
        pending.source,
        pending.reference,
        memo,
        pending.id,
    )


def hold(
    transfer_id: str,
    member_id: str,
    points: int,
    at: datetime,
    source: Source,
    reference: str,
    memo: str = "",
) -> Transfer:
    """Reserve points (available -> held) until a spend settles or a release voids them."""
    postings = (
        Posting(available_account(member_id), -points),
        Posting(held_account(member_id), points),
    )
    return Transfer(transfer_id, TransferKind.HOLD, postings, at, source, reference, memo)


def _held_by(pending: Transfer) -> list[Posting]:
    assert pending.kind is TransferKind.HOLD, f"only a hold is settled or voided: {pending}"
    return [p for p in pending.postings if p.amount > 0]


def spend(transfer_id: str, pending: Transfer, at: datetime, memo: str = "") -> Transfer:
    """Settle a hold: the held points go to the redemption sink."""
    held = _held_by(pending)
    postings = (
        *(Posting(p.account, -p.amount) for p in held),
        Posting(REDEMPTION, sum(p.amount for p in held)),
    )
    return Transfer(
        transfer_id,
        TransferKind.SPEND,
        postings,
        at,
        pending.source,
        pending.reference,
        memo,
        pending.id,
    )


def release(transfer_id: str, pending: Transfer, at: datetime, memo: str = "") -> Transfer:
    """Void a hold: the held points go back where they came from."""
    _held_by(pending)
    postings = tuple(Posting(p.account, -p.amount) for p in reversed(pending.postings))
    return Transfer(
        transfer_id,
        TransferKind.RELEASE,
        postings,
        at,
        pending.source,
        pending.reference,
        memo,
        pending.id,
    )


def expire(
    transfer_id: str, member_id: str, points: int, at: datetime, reference: str, memo: str
) -> Transfer:
    postings = (Posting(available_account(member_id), -points), Posting(EXPIRY, points))
    source = Source(SourceKind.EXPIRY, reference)
    return Transfer(transfer_id, TransferKind.EXPIRE, postings, at, source, reference, memo)


def adjust(
    transfer_id: str,
    member_id: str,
    amount: int,
    at: datetime,
    operator: str,
    reference: str,
    memo: str,
) -> Transfer:
    """An operator's correction, in either direction."""
    postings = (Posting(ADJUSTMENT, -amount), Posting(available_account(member_id), amount))
    source = Source(SourceKind.OPERATOR, operator)
    return Transfer(transfer_id, TransferKind.ADJUST, postings, at, source, reference, memo)


def reverse_earning(
    transfer_id: str,
    original: Transfer,
    member_id: str,
    available: int,
    at: datetime,
    source: Source,
    memo: str,
) -> Transfer:
    """Take back what an earning paid a member: from its available points as far as they
    go (`available`), the rest as debt (the member spent them), that later earnings repay."""
    points = sum(p.amount for p in original.postings if p.account.owner_id == member_id)
    assert points > 0, f"{original.id} paid {member_id} nothing"
    taken = min(max(available, 0), points)
    postings = [Posting(ISSUANCE, points)]
    if taken:
        postings.append(Posting(available_account(member_id), -taken))
    if points > taken:
        postings.append(Posting(debt_account(member_id), -(points - taken)))
    return Transfer(
        transfer_id, TransferKind.REVERSE, tuple(postings), at, source, original.id, memo
    )


def reverse(
    transfer_id: str, original: Transfer, at: datetime, source: Source, memo: str
) -> Transfer:
    """The mirror of any earlier transfer: every posting undone."""
    postings = tuple(Posting(p.account, -p.amount) for p in original.postings)
    return Transfer(transfer_id, TransferKind.REVERSE, postings, at, source, original.id, memo)
