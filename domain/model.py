"""Domain objects: members and their progress, activities, honors, redemptions, commands
and events (the ledger's types are in `domain.ledger`). Values are frozen dataclasses,
except the few built for every activity (`AwardLine`, `Evaluation`, `ActivityRecord`),
which are named tuples: as immutable, a fraction of the cost to build; points are ints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

Attributes = dict[str, int]  # whole numbers in 0..economy.attribute_value_max

# --- Members ----------------------------------------------------------------------------


@dataclass(slots=True)
class Progress:
    """Everything the rules need to remember about one member, bounded in size.

    A counter keeps its newest bucket in `counters` and, in `earlier_counters` (newest
    first), the earlier buckets a late activity may still reach (those holding a day within
    `late_arrival_days` of the member's latest activity); any other bucket reads as zero.
    `daily_total` and `earlier_daily_totals` do the same for the daily cap. Day and month
    earnings are kept only as long as a rule needs them
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
    honor_tiers: dict[str, int] = field(default_factory=dict)  # honor -> tiers reached
    last_active_day: int = 0
    earlier_counters: dict[str, tuple[tuple[int, int, int], ...]] = field(default_factory=dict)
    earlier_daily_totals: tuple[tuple[int, int], ...] = ()  # (day, points), newest first
    # Purchases per local day in the level review window, (amount in minor units, count):
    # kept only when a level has a spend criterion, and only for the window.
    spend_by_day: dict[int, tuple[int, int]] = field(default_factory=dict)

    def to_primitives(self) -> dict[str, Any]:
        data: dict[str, Any] = {
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
            "honor_tiers": self.honor_tiers,
            "last_active_day": self.last_active_day,
            "earlier_counters": {k: [list(c) for c in v] for k, v in self.earlier_counters.items()},
            "earlier_daily_totals": [list(t) for t in self.earlier_daily_totals],
        }
        if self.spend_by_day:  # absent for the many who never buy (or where nothing counts it)
            data["spend_by_day"] = {str(k): list(v) for k, v in self.spend_by_day.items()}
        return data

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
            honor_tiers=dict(data["honor_tiers"]),
            last_active_day=data["last_active_day"],
            # absent from rows written before late arrivals were counted: nothing earlier
            earlier_counters={
                k: tuple((c[0], c[1], c[2]) for c in v)
                for k, v in data.get("earlier_counters", {}).items()
            },
            earlier_daily_totals=tuple((t[0], t[1]) for t in data.get("earlier_daily_totals", [])),
            spend_by_day={int(k): (v[0], v[1]) for k, v in data.get("spend_by_day", {}).items()},
        )
        assert progress.lifetime_earned >= 0, "lifetime earned cannot be negative"
        assert all(a >= 0 and n >= 0 for a, n in progress.spend_by_day.values()), (
            "spend and purchase counts cannot be negative"
        )
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


class AwardLine(NamedTuple):
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


class Evaluation(NamedTuple):
    lines: tuple[AwardLine, ...]
    limits: tuple[LimitStatus, ...]

    @property
    def points(self) -> int:
        total = 0
        for line in self.lines:  # no generator: read for every activity
            total += line.points
        return total

    @property
    def explanation(self) -> str:
        if not self.lines:
            return "no earning rule matches this activity"
        return "; ".join(f"{line.rule_id}: {line.reason}" for line in self.lines)


class ActivityRecord(NamedTuple):
    id: str
    member_id: str
    kind: str
    occurred_at: datetime
    subject_id: str | None
    attributes: Attributes
    points: int
    lines: tuple[AwardLine, ...]
    transfer_id: str | None


# --- KOC notes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Note:
    """A note a member published (`KocProgram.note_kinds`), kept for every note however
    many the member has: what KOC tiers and viral honors need to know about it."""

    member_id: str
    note_id: str  # the subject id of the activity that published it
    published_day: int  # local day (date ordinal) it was first recorded
    published_at: datetime
    counted_day: int | None  # local day the rules accepted it: it counts toward tiers since
    interactions: int | None = None  # best figure reported (it only grows); None: unmeasured


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


class IdempotencyRecord:
    """A used idempotency key: whose key (`scope`: caller, operation and member, see
    `domain.idempotency.scope`), the first command's payload and what it produced.

    The payload is kept as the fingerprint a store persists (`domain.commands.fingerprint`,
    SHA-256 over a canonical text), or as the first command itself: then the digest is
    computed only when read (a store persisting it), once, and a replay whose command is
    equal to the first one (the usual retry within one transaction or process) needs no
    digest at all. The in-memory store keeps the command and so never hashes on the hot
    path; the SQL store reads `fingerprint` when it writes the row. A command kept here is
    a value: its caller must not mutate it afterwards (commands are frozen; their
    attribute dictionaries are the caller's promise)."""

    __slots__ = ("_fingerprint", "command", "key", "result_id", "result_kind", "scope")

    def __init__(
        self,
        scope: str,
        key: str,
        fingerprint: str | None,
        result_kind: str,
        result_id: str,
        *,
        command: object | None = None,
    ) -> None:
        assert fingerprint is not None or command is not None, "a payload is needed"
        self.scope = scope
        self.key = key
        self._fingerprint = fingerprint
        self.result_kind = result_kind
        self.result_id = result_id
        self.command = command

    @property
    def fingerprint(self) -> str:
        """The digest of the first command's payload (computed once, if it was not given)."""
        if self._fingerprint is None:
            from domain.commands import fingerprint  # here: domain.commands imports this module

            self._fingerprint = fingerprint(self.command)
        return self._fingerprint

    def same_payload(self, command: object) -> bool:
        """Whether `command` carries the first command's payload (a replay), not another
        (a reused key). An equal command has the same payload; otherwise (a retry differs
        at least in its arrival time `at`, which is no part of the payload) the digests
        decide, as they always have."""
        if self.command is not None and (self.command is command or self.command == command):
            return True
        from domain.commands import fingerprint  # here: domain.commands imports this module

        return self.fingerprint == fingerprint(command)

    def _fields(self) -> tuple[str, str, str, str, str]:
        return (self.scope, self.key, self.fingerprint, self.result_kind, self.result_id)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IdempotencyRecord):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        scope, key, digest, kind, result = self._fields()
        return (
            f"IdempotencyRecord(scope={scope!r}, key={key!r}, fingerprint={digest!r}, "
            f"result_kind={kind!r}, result_id={result!r})"
        )


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


@dataclass(frozen=True, slots=True)
class RoleGranted:
    """A term of a role started (or was renewed: `renewals` > 0) until `ends_at`."""

    member_id: str
    role_id: str
    holding_id: str
    ends_at: datetime
    renewals: int
    at: datetime


@dataclass(frozen=True, slots=True)
class MembershipStarted:
    """A paid tier bought with no active period: it runs from `at` until `until`."""

    member_id: str
    tier_id: str
    until: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class ReferralQualified:
    """An invitee's first qualifying action in time: the referrer's reward `outcome` (pay,
    held for review, capped) and the invitee's welcome points."""

    member_id: str  # the referrer
    invitee_id: str
    outcome: str
    referrer_points: int
    welcome_points: int
    at: datetime


@dataclass(frozen=True, slots=True)
class ReferralRewardDecided:
    """An operator confirmed or reversed a referral reward held for review."""

    member_id: str  # the referrer
    invitee_id: str
    outcome: str  # confirmed | reversed
    points: int
    at: datetime


@dataclass(frozen=True, slots=True)
class TeamFilled:
    """The member's team filled in time: each member paid `points`."""

    member_id: str
    instance_id: str
    quest_id: str
    points: int
    at: datetime


@dataclass(frozen=True, slots=True)
class MembershipRenewed:
    """A paid tier bought again while active: extended from its end to `until`."""

    member_id: str
    tier_id: str
    until: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class RoleEnded:
    member_id: str
    role_id: str
    holding_id: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TeamExpired:
    """The member's team was short at its deadline: nobody paid."""

    member_id: str
    instance_id: str
    quest_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RoleFlagged:
    """A holder fell below the role's eligibility: operators decide, nothing is removed."""

    member_id: str
    role_id: str
    holding_id: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class HelpReceived:
    """A friend (`helper_id`) helped the member's instance: `helps` of `needed` so far."""

    member_id: str
    instance_id: str
    quest_id: str
    helper_id: str
    helps: int
    needed: int
    at: datetime


@dataclass(frozen=True, slots=True)
class MentorCredited:
    """A mentee of `member_id` reached the mentor role's declared level."""

    member_id: str
    role_id: str
    mentee_id: str
    credited: int  # the mentor's credited mentees in this role, this one included
    at: datetime


@dataclass(frozen=True, slots=True)
class HelpCompleted:
    """The member's help instance got all its helps (`points` paid to this member)."""

    member_id: str
    instance_id: str
    quest_id: str
    points: int
    at: datetime


@dataclass(frozen=True, slots=True)
class MembershipExpired:
    """A paid tier's period ended at `until` without a renewal (recorded by the review)."""

    member_id: str
    tier_id: str
    until: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class ApplicationReceived:
    """A member's application to a campaign was taken (the window was open)."""

    member_id: str
    campaign_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SelectedForCampaign:
    """The selection gave the member a place; they confirm by `confirm_by`."""

    member_id: str
    campaign_id: str
    confirm_by: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class Waitlisted:
    """The selection put the member on the waitlist at `position` (1: next in line)."""

    member_id: str
    campaign_id: str
    position: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PlaceOffered:
    """A place came free (declined or lapsed) and went to this waitlisted member."""

    member_id: str
    campaign_id: str
    confirm_by: datetime
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
    | RoleGranted
    | RoleEnded
    | RoleFlagged
    | MentorCredited
    | TeamFilled
    | TeamExpired
    | HelpReceived
    | HelpCompleted
    | MembershipStarted
    | MembershipRenewed
    | MembershipExpired
    | ReferralQualified
    | ReferralRewardDecided
    | ApplicationReceived
    | SelectedForCampaign
    | Waitlisted
    | PlaceOffered
)
