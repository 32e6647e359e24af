"""Domain objects: members and their progress, activities, ledger transfers, honors,
redemptions, commands and events. Values are frozen dataclasses; points are ints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

Attributes = dict[str, float]

# --- Ledger -----------------------------------------------------------------------------

ISSUANCE = "issuance"  # source of points earned by rules
ADJUSTMENT = "adjustment"  # operator adjustments (both directions)
REDEMPTION = "redemption"  # sink of points spent on rewards
EXPIRY = "expiry"  # sink of points that expired
SYSTEM_ACCOUNTS = (ISSUANCE, ADJUSTMENT, REDEMPTION, EXPIRY)


def available_account(member_id: str) -> str:
    return f"member:{member_id}:available"


def held_account(member_id: str) -> str:
    return f"member:{member_id}:held"


def is_member_account(account: str) -> bool:
    return account.startswith("member:")


class TransferKind(StrEnum):
    EARN = "earn"
    HOLD = "hold"  # available -> held (redemption reserved)
    SPEND = "spend"  # held -> redemption (fulfilled)
    RELEASE = "release"  # held -> available (cancelled)
    EXPIRE = "expire"
    ADJUST = "adjust"


@dataclass(frozen=True, slots=True)
class Posting:
    account: str
    amount: int  # positive credits the account, negative debits it


@dataclass(frozen=True, slots=True)
class Transfer:
    id: str
    kind: TransferKind
    member_id: str
    postings: tuple[Posting, ...]
    at: datetime
    reference: str  # activity, redemption or adjustment id
    memo: str = ""

    def __post_init__(self) -> None:
        amounts = [p.amount for p in self.postings]
        assert sum(amounts) == 0, f"unbalanced transfer {self}"
        assert 0 not in amounts, f"zero posting in {self}"

    @property
    def amount(self) -> int:
        return sum(p.amount for p in self.postings if p.amount > 0)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One posting as read back from the ledger, with its transfer's context."""

    seq: int
    transfer_id: str
    kind: TransferKind
    account: str
    amount: int
    at: datetime
    reference: str
    memo: str


@dataclass(frozen=True, slots=True)
class Balances:
    available: int
    reserved: int
    lifetime_earned: int


# --- Members ----------------------------------------------------------------------------


@dataclass(slots=True)
class Progress:
    """Everything the rules need to remember about one member, bounded in size.

    Counters keep only their current bucket: a counter whose bucket is not the current
    one reads as zero. Day and month earnings are kept only as long as a rule needs them
    (the level review window, the expiry horizon).
    """

    counters: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # key->(bucket,n,pts)
    daily_total: tuple[int, int] = (0, 0)  # (day, points counted against the daily cap)
    last_award: dict[str, int] = field(default_factory=dict)  # rule -> epoch seconds
    streaks: dict[str, tuple[int, int]] = field(default_factory=dict)  # rule -> (length, day)
    best_streaks: dict[str, int] = field(default_factory=dict)
    kind_counts: dict[str, int] = field(default_factory=dict)
    earned_by_day: dict[int, int] = field(default_factory=dict)
    earned_by_month: dict[int, int] = field(default_factory=dict)
    lifetime_earned: int = 0
    consumed: int = 0  # points spent, expired or adjusted away (FIFO expiry consumption)
    expired: int = 0
    notes: list[tuple[int, str]] = field(default_factory=list)  # recent (day, note id)
    note_interactions: dict[str, int] = field(default_factory=dict)
    viral_notes: int = 0
    honor_tiers: dict[str, int] = field(default_factory=dict)  # honor -> tiers reached
    last_active_day: int = 0

    def to_primitives(self) -> dict[str, Any]:
        return {
            "counters": {k: list(v) for k, v in self.counters.items()},
            "daily_total": list(self.daily_total),
            "last_award": self.last_award,
            "streaks": {k: list(v) for k, v in self.streaks.items()},
            "best_streaks": self.best_streaks,
            "kind_counts": self.kind_counts,
            "earned_by_day": {str(k): v for k, v in self.earned_by_day.items()},
            "earned_by_month": {str(k): v for k, v in self.earned_by_month.items()},
            "lifetime_earned": self.lifetime_earned,
            "consumed": self.consumed,
            "expired": self.expired,
            "notes": [list(n) for n in self.notes],
            "note_interactions": self.note_interactions,
            "viral_notes": self.viral_notes,
            "honor_tiers": self.honor_tiers,
            "last_active_day": self.last_active_day,
        }

    @classmethod
    def from_primitives(cls, data: dict[str, Any]) -> Progress:
        progress = cls(
            counters={k: (v[0], v[1], v[2]) for k, v in data["counters"].items()},
            daily_total=(data["daily_total"][0], data["daily_total"][1]),
            last_award=dict(data["last_award"]),
            streaks={k: (v[0], v[1]) for k, v in data["streaks"].items()},
            best_streaks=dict(data["best_streaks"]),
            kind_counts=dict(data["kind_counts"]),
            earned_by_day={int(k): v for k, v in data["earned_by_day"].items()},
            earned_by_month={int(k): v for k, v in data["earned_by_month"].items()},
            lifetime_earned=data["lifetime_earned"],
            consumed=data["consumed"],
            expired=data["expired"],
            notes=[(n[0], n[1]) for n in data["notes"]],
            note_interactions=dict(data["note_interactions"]),
            viral_notes=data["viral_notes"],
            honor_tiers=dict(data["honor_tiers"]),
            last_active_day=data["last_active_day"],
        )
        assert progress.lifetime_earned >= 0, "lifetime earned cannot be negative"
        return progress


class LevelState(StrEnum):
    ACTIVE = "active"
    WARNING = "warning"  # below the keep mark; demoted when the grace period ends


@dataclass(slots=True)
class Member:
    id: str
    handle: str
    display_name: str
    joined_at: datetime
    level_id: str
    qualifying_points: int = 0
    level_locked: bool = False
    level_state: LevelState = LevelState.ACTIVE
    demotion_due: datetime | None = None
    koc_tier: str | None = None
    progress: Progress = field(default_factory=Progress)
    version: int = 0


# --- Activities -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AwardLine:
    """What one rule did with an activity: awarded points, or why it awarded less."""

    rule_id: str
    base_points: int
    streak_bonus: int
    points: int
    reason: str
    streak_length: int = 0


@dataclass(frozen=True, slots=True)
class LimitStatus:
    """One limit as it stands before the activity, and what the activity would use."""

    scope: str  # a rule id, or "daily_cap"
    period: str
    max_count: int | None
    max_points: int | None
    used_count: int
    used_points: int

    @property
    def remaining_count(self) -> int | None:
        return None if self.max_count is None else max(self.max_count - self.used_count, 0)

    @property
    def remaining_points(self) -> int | None:
        return None if self.max_points is None else max(self.max_points - self.used_points, 0)


@dataclass(frozen=True, slots=True)
class Evaluation:
    lines: tuple[AwardLine, ...]
    limits: tuple[LimitStatus, ...]

    @property
    def points(self) -> int:
        return sum(line.points for line in self.lines)

    @property
    def explanation(self) -> str:
        if not self.lines:
            return "no earning rule matches this activity"
        return "; ".join(f"{line.rule_id}: {line.reason}" for line in self.lines)


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    id: str
    member_id: str
    kind: str
    occurred_at: datetime
    subject_id: str | None
    attributes: Attributes
    points: int
    lines: tuple[AwardLine, ...]
    transfer_id: str | None


# --- Honors, redemptions, audit ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HonorAward:
    id: str
    member_id: str
    honor_id: str
    tier: str | None
    granted_at: datetime
    granted_by: str | None  # operator id for manual honors, None for automatic
    reason: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class RedemptionStatus(StrEnum):
    RESERVED = "reserved"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Redemption:
    id: str
    member_id: str
    reward_id: str
    quantity: int
    points: int
    status: RedemptionStatus
    created_at: datetime
    updated_at: datetime
    coupon_code: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: str
    actor: str
    action: str
    target: str
    at: datetime
    detail: str


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    scope: str  # whose key: member id or service principal
    key: str
    fingerprint: str
    result_kind: str
    result_id: str


# --- Events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PointsAwarded:
    member_id: str
    activity_id: str
    points: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PointsAdjusted:
    member_id: str
    amount: int
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class LevelChanged:
    member_id: str
    from_level: str
    to_level: str
    at: datetime
    reason: str  # "promoted", "demoted", "locked", "unlocked"


@dataclass(frozen=True, slots=True)
class LevelWarning:
    member_id: str
    level_id: str
    demotion_due: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class KocTierChanged:
    member_id: str
    from_tier: str | None
    to_tier: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class HonorGranted:
    member_id: str
    honor_id: str
    tier: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class HonorRevoked:
    member_id: str
    honor_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RedemptionUpdated:
    member_id: str
    redemption_id: str
    status: RedemptionStatus
    at: datetime


@dataclass(frozen=True, slots=True)
class PointsExpired:
    member_id: str
    points: int
    at: datetime


@dataclass(frozen=True, slots=True)
class QuestProgressed:
    member_id: str
    quest_id: str
    instance: int
    done: tuple[int, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class QuestCompleted:
    member_id: str
    quest_id: str
    instance: int
    rewarded: bool  # False: the rewards wait for a claim (or the places were all taken)
    points: int
    at: datetime


@dataclass(frozen=True, slots=True)
class TaskOffered:
    member_id: str
    assignment_id: str
    task_id: str
    due_at: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class TaskReviewed:
    """A submission approved (paid `points`) or rejected (with `reason`)."""

    member_id: str
    assignment_id: str
    task_id: str
    approved: bool
    quality_tier: str | None
    points: int
    reason: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ContestSettled:
    """A contest period closed with the member ranked `rank` (and paid `points`)."""

    member_id: str
    contest_id: str
    instance: int
    rank: int
    value: int
    points: int
    at: datetime


Event = (
    PointsAwarded
    | PointsAdjusted
    | LevelChanged
    | LevelWarning
    | KocTierChanged
    | HonorGranted
    | HonorRevoked
    | RedemptionUpdated
    | PointsExpired
    | QuestProgressed
    | QuestCompleted
    | TaskOffered
    | TaskReviewed
    | ContestSettled
)
