"""Typed domain errors: every state a user can cause, with the data a client needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar


class DomainError(Exception):
    """A state a user (member, operator, designer) can cause. Never a bug of ours."""

    code: ClassVar[str] = "DOMAIN_ERROR"

    @property
    def message(self) -> str:
        return str(self)


class NotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind} {ident!r} does not exist")
        self.kind = kind
        self.ident = ident


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind} {ident!r} already exists")
        self.kind = kind
        self.ident = ident


class InvalidInput(DomainError):
    """A command whose values cannot be accepted; `field` names the offending input."""

    code = "BAD_USER_INPUT"

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


class AlreadyReversed(DomainError):
    """An activity is reversed at most once."""

    code = "ALREADY_REVERSED"

    def __init__(self, activity_id: str) -> None:
        super().__init__(f"activity {activity_id!r} was already reversed")
        self.activity_id = activity_id


class ActivityTooLate(DomainError):
    """An activity dated before the look-back: its day's counters are no longer kept."""

    code = "ACTIVITY_TOO_LATE"

    def __init__(self, day: date, earliest: date, late_arrival_days: int) -> None:
        super().__init__(
            f"an activity of {day.isoformat()} arrived too late: activities may arrive at most "
            f"{late_arrival_days} days late (the earliest day accepted now is "
            f"{earliest.isoformat()})"
        )
        self.day = day
        self.earliest = earliest
        self.late_arrival_days = late_arrival_days


class InsufficientPoints(DomainError):
    code = "INSUFFICIENT_POINTS"

    def __init__(self, balance: int, required: int) -> None:
        super().__init__(f"needs {required} points but only {balance} are available")
        self.balance = balance
        self.required = required


class OutOfStock(DomainError):
    code = "OUT_OF_STOCK"

    def __init__(self, reward_id: str, available: int, requested: int) -> None:
        super().__init__(f"reward {reward_id!r} has {available} left, {requested} requested")
        self.reward_id = reward_id
        self.available = available
        self.requested = requested


class RedemptionLimitReached(DomainError):
    code = "LIMIT_REACHED"

    def __init__(self, reward_id: str, limit: int, already: int) -> None:
        super().__init__(
            f"reward {reward_id!r} allows {limit} per member; {already} already redeemed"
        )
        self.reward_id = reward_id
        self.limit = limit
        self.already = already


class NotEligible(DomainError):
    code = "NOT_ELIGIBLE"

    def __init__(self, reason: str, required_level: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.required_level = required_level


class RewardUnavailable(DomainError):
    code = "REWARD_UNAVAILABLE"

    def __init__(self, reward_id: str, reason: str) -> None:
        super().__init__(f"reward {reward_id!r} is not available: {reason}")
        self.reward_id = reward_id
        self.reason = reason


class ReferralRefused(DomainError):
    """A referral code the guards refuse for this member (`reason`: self_referral,
    same_identity, already_referred, cycle); `field` names the input carrying the code."""

    code = "REFERRAL_REFUSED"

    def __init__(self, reason: str, detail: str, field_name: str = "referralCode") -> None:
        super().__init__(f"{field_name}: {detail}")
        self.reason = reason
        self.field = field_name


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used with a different payload")
        self.key = key


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"

    def __init__(self, kind: str, ident: str, state: str, action: str) -> None:
        super().__init__(f"{kind} {ident!r} is {state}; cannot {action}")
        self.kind = kind
        self.ident = ident
        self.state = state
        self.action = action


class CouponPoolEmpty(DomainError):
    code = "COUPON_POOL_EMPTY"

    def __init__(self, reward_id: str) -> None:
        super().__init__(f"reward {reward_id!r} has no coupon codes left to hand out")
        self.reward_id = reward_id


class HonorNotManual(DomainError):
    code = "NOT_MANUAL"

    def __init__(self, honor_id: str) -> None:
        super().__init__(f"honor {honor_id!r} is awarded automatically, not by an operator")
        self.honor_id = honor_id


class HonorCapacityReached(DomainError):
    code = "LIMIT_REACHED"

    def __init__(self, honor_id: str, max_holders: int) -> None:
        super().__init__(f"honor {honor_id!r} is limited to {max_holders} holders")
        self.honor_id = honor_id
        self.max_holders = max_holders


class QuestClosed(DomainError):
    """The quest's window (or its current instance) is not open."""

    code = "QUEST_CLOSED"

    def __init__(self, quest_id: str, reason: str) -> None:
        super().__init__(f"quest {quest_id!r} {reason}")
        self.quest_id = quest_id
        self.reason = reason


class QuestNotCompleted(DomainError):
    code = "QUEST_NOT_COMPLETED"

    def __init__(self, quest_id: str) -> None:
        super().__init__(f"quest {quest_id!r} is not completed in its current period")
        self.quest_id = quest_id


class QuestFull(DomainError):
    code = "LIMIT_REACHED"

    def __init__(self, quest_id: str, capacity: int) -> None:
        super().__init__(f"quest {quest_id!r} pays its first {capacity} completers only")
        self.quest_id = quest_id
        self.capacity = capacity


class UnknownNote(DomainError):
    """Metrics name a note this member never published. Said the same way whether nobody
    published it or another member did, so that it reveals nothing about other members."""

    code = "UNKNOWN_NOTE"

    def __init__(self, note_id: str) -> None:
        super().__init__(f"note {note_id!r} is not one of your published notes")
        self.note_id = note_id


class TaskOverdue(DomainError):
    """The assignment's due date has passed: it can no longer be accepted or submitted."""

    code = "TASK_OVERDUE"

    def __init__(self, assignment_id: str, due_at: datetime) -> None:
        super().__init__(f"task assignment {assignment_id!r} was due at {due_at.isoformat()}")
        self.assignment_id = assignment_id
        self.due_at = due_at


class ResubmissionLimitReached(DomainError):
    """The rejection was final: every resubmission the task allows was used."""

    code = "LIMIT_REACHED"

    def __init__(self, assignment_id: str, max_resubmissions: int) -> None:
        super().__init__(
            f"task assignment {assignment_id!r} was rejected after its "
            f"{max_resubmissions} resubmission(s): the rejection is final"
        )
        self.assignment_id = assignment_id
        self.max_resubmissions = max_resubmissions


class TeamFull(DomainError):
    """Every seat of the team is taken."""

    code = "LIMIT_REACHED"

    def __init__(self, instance_id: str, size: int) -> None:
        super().__init__(f"team {instance_id!r} has all its {size} members")
        self.instance_id = instance_id
        self.size = size


class FriendQuestClosed(DomainError):
    """The team or help instance filled, completed or passed its deadline."""

    code = "QUEST_CLOSED"

    def __init__(self, instance_id: str, state: str, deadline: datetime) -> None:
        super().__init__(
            f"{instance_id!r} is {state} (its deadline: {deadline.isoformat()}): "
            "it takes no more members or helps"
        )
        self.instance_id = instance_id
        self.state = state
        self.deadline = deadline


class AlreadyJoined(DomainError):
    """A member joins a team, or helps an instance, once."""

    code = "ALREADY_JOINED"

    def __init__(self, instance_id: str, member_id: str) -> None:
        super().__init__(f"member {member_id!r} already joined or helped {instance_id!r}")
        self.instance_id = instance_id
        self.member_id = member_id


class OwnInstance(DomainError):
    """The starter cannot join or help their own instance."""

    code = "OWN_INSTANCE"

    def __init__(self, instance_id: str) -> None:
        super().__init__(f"{instance_id!r} is your own: friends join or help it")
        self.instance_id = instance_id


class TeamLimitReached(DomainError):
    """The member is in as many teams of the quest as the economy allows."""

    code = "LIMIT_REACHED"

    def __init__(self, quest_id: str, limit: int) -> None:
        super().__init__(f"a member may be in at most {limit} team(s) of quest {quest_id!r}")
        self.quest_id = quest_id
        self.limit = limit


class HelpLimitReached(DomainError):
    """The helper has helped as many instances today (the economy's day) as allowed."""

    code = "LIMIT_REACHED"

    def __init__(self, member_id: str, per_day: int) -> None:
        super().__init__(f"member {member_id!r} may help at most {per_day} instance(s) a day")
        self.member_id = member_id
        self.per_day = per_day


@dataclass(frozen=True, slots=True)
class EconomyIssue:
    """One problem in an economy file, located as precisely as the file allows."""

    source: str
    table: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        location = " ".join(p for p in (f"[{self.table}]" if self.table else "", self.field) if p)
        return f"{where}: {location}: {self.message}" if location else f"{where}: {self.message}"


class EconomyInvalid(DomainError):
    """The economy file cannot be used; `issues` lists every problem found."""

    code = "ECONOMY_INVALID"

    def __init__(self, issues: list[EconomyIssue] | None = None) -> None:
        self.issues: list[EconomyIssue] = list(issues or [])
        super().__init__("\n".join(str(i) for i in self.issues))


class RoleSeatsTaken(DomainError):
    """Every seat of a role (or every mentee seat of a mentor) is taken."""

    code = "LIMIT_REACHED"

    def __init__(self, role_id: str, seats: int, what: str = "holders") -> None:
        super().__init__(f"role {role_id!r} is limited to {seats} {what}")
        self.role_id = role_id
        self.seats = seats
