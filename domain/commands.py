"""Commands: what a caller asks the domain to do. Time always arrives on the command."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from domain.idempotency import OPERATOR, SERVICE
from domain.model import Attributes

quantity_max = 100
batch_size_max = 100
reason_length_max = 500
idempotency_key_length_max = 200


@dataclass(frozen=True, slots=True)
class RegisterMember:
    handle: str
    display_name: str
    at: datetime
    member_id: str | None = None
    referral_code: str | None = None  # who invited them (once: a code is used once)
    identities: tuple[str, ...] = ()  # external identities (provider:subject), e.g. a phone


@dataclass(frozen=True, slots=True)
class RecordActivity:
    """`occurred_at` is when it happened (the caller's claim); `at` is when the request
    arrived, stamped by the edge (the API's clock, the simulator's time): an activity may
    be dated at most `clock_skew_seconds` after `at` and `late_arrival_days` before it."""

    member_id: str
    kind: str
    occurred_at: datetime
    idempotency_key: str
    subject_id: str | None = None
    attributes: Attributes = field(default_factory=dict)
    caller: str = SERVICE  # whose key (domain.idempotency); not part of the payload
    at: datetime = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class RedeemReward:
    member_id: str
    reward_id: str
    quantity: int
    idempotency_key: str
    at: datetime
    caller: str | None = None  # whose key; None: the member itself


@dataclass(frozen=True, slots=True)
class FulfillRedemption:
    redemption_id: str
    actor: str
    at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class CancelRedemption:
    redemption_id: str
    actor: str
    at: datetime
    reason: str = ""
    member_id: str | None = None  # set when a member cancels their own redemption


@dataclass(frozen=True, slots=True)
class AdjustPoints:
    member_id: str
    amount: int
    reason: str
    actor: str
    idempotency_key: str
    at: datetime
    caller: str = OPERATOR  # whose key; the actor is audited but not part of the payload


@dataclass(frozen=True, slots=True)
class GrantHonor:
    member_id: str
    honor_id: str
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RevokeHonor:
    member_id: str
    honor_id: str
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class LockLevel:
    member_id: str
    level_id: str | None  # None unlocks
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReverseActivity:
    """Undo what an activity caused (an operator's or a service's correction)."""

    activity_id: str
    reason: str
    actor: str
    idempotency_key: str
    at: datetime
    caller: str = OPERATOR  # whose key; the actor is audited but not part of the payload


@dataclass(frozen=True, slots=True)
class ReviewMember:
    """Scheduled upkeep for one member: level review and point expiry as of a moment."""

    member_id: str
    as_of: datetime


@dataclass(frozen=True, slots=True)
class AddCouponCodes:
    reward_id: str
    codes: tuple[str, ...]
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Restock:
    reward_id: str
    quantity: int
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StartQuest:
    """A member opts in to a quest (its current instance)."""

    member_id: str
    quest_id: str
    idempotency_key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ClaimQuestReward:
    """A member claims the rewards of a completed quest instance (the current one)."""

    member_id: str
    quest_id: str
    idempotency_key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OfferTask:
    """An operator offers a task to named members (one assignment each)."""

    task_id: str
    member_ids: tuple[str, ...]
    due_at: datetime | None  # None: the task's due_days after `at`
    actor: str
    idempotency_key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AnswerTask:
    """A member accepts or declines an offered assignment."""

    member_id: str
    assignment_id: str
    accept: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class SubmitTask:
    member_id: str
    assignment_id: str
    url: str
    note: str
    activity_id: str | None  # one of the member's own recorded activities
    idempotency_key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReviewTask:
    assignment_id: str
    approve: bool
    quality_tier: str | None
    reason: str
    actor: str
    idempotency_key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StartFriendQuest:
    """A member starts an instance of a team quest (`team`) or a help quest."""

    member_id: str
    quest_id: str
    team: bool
    idempotency_key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class JoinFriendQuest:
    """A member joins a team (`team`) or helps an instance, by its share code."""

    member_id: str
    code: str
    team: bool
    idempotency_key: str
    at: datetime


# Who sent it (caller, actor) is the key's scope or the audit's business, not the payload:
# the same command retried by another operator replays.
_NOT_PAYLOAD = ("idempotency_key", "at", "caller", "actor")
_payload_fields: dict[type, tuple[str, ...]] = {}  # command type -> fields in the digest


def fingerprint(command: object) -> str:
    """A stable digest of a command's payload, without its idempotency key, without `at`
    (the moment the request arrived, stamped by the caller: a retry arrives later) and
    without who sent it (`caller`, `actor`)."""
    if type(command) is RecordActivity:  # the hot path: the same text, built directly
        attributes, at, subject = command.attributes, command.occurred_at, command.subject_id
        if (
            type(attributes) is dict
            and isinstance(at, datetime)
            and type(command.member_id) is str
            and type(command.kind) is str
            and (subject is None or type(subject) is str)
        ):
            text = (
                f"RecordActivity\x1fmember_id={command.member_id!r}\x1fkind={command.kind!r}"
                f"\x1foccurred_at={at.astimezone(UTC).isoformat()!r}\x1fsubject_id={subject!r}"
                f"\x1fattributes={_attributes_text(attributes)}"
            )
            return hashlib.sha256(text.encode()).hexdigest()
    names = _payload_fields.get(type(command))
    if names is None:
        names = tuple(f.name for f in fields(command) if f.name not in _NOT_PAYLOAD)  # type: ignore[arg-type]
        _payload_fields[type(command)] = names
    parts = [type(command).__name__]
    for name in names:
        value = getattr(command, name)
        if isinstance(value, dict):
            parts.append(f"{name}={_attributes_text(value)}")
            continue
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        parts.append(f"{name}={value!r}")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _attributes_text(attributes: dict[str, int]) -> str:
    """Attributes as exact integers, in the text fingerprints have always used.

    Fingerprints once wrote `repr(sorted((name, float(value)), ...))`: `[('words', 900.0)]`.
    Attributes are now whole numbers up to `attribute_value_max` (10^9), and for those
    `repr(float(v))` is exactly `f"{v}.0"`, so writing the integer with `.0` gives the same
    text, and every stored fingerprint stays valid, with no migration, while values are
    compared exactly (no float rounding: 2^53 + 1 and 2^53 differ). Stored fingerprints of
    fractional attributes (accepted before) match nothing new: such values are refused."""
    if not attributes:
        return "[]"
    items = sorted(attributes.items())
    return "[" + ", ".join([f"({name!r}, {int(value)}.0)" for name, value in items]) + "]"


# --- honor roles ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplyForRole:
    """A member applies for a role entered by application."""

    member_id: str
    role_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class NominateForRole:
    """An operator (`nominator_id` None) or a holder of a nominating role nominates."""

    member_id: str
    role_id: str
    nominator_id: str | None  # the nominating member; None: an operator
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AppointToRole:
    """An operator appoints a member (approving an application or nomination if open)."""

    member_id: str
    role_id: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AcceptRole:
    """A nominee accepts the nomination: the term starts if a seat is free."""

    member_id: str
    holding_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class EndRole:
    """The holder (`member_id`) steps down or withdraws, or an operator (None) ends it."""

    holding_id: str
    member_id: str | None
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RenewRole:
    """An operator renews an active term for another term."""

    holding_id: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AssignMentee:
    """An operator (`member_id` None) or the mentee themselves pairs a mentee with a mentor."""

    role_id: str
    mentor_id: str
    mentee_id: str
    member_id: str | None  # the member asking (must be the mentee); None: an operator
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OpenCampaign:
    """The edge opens a campaign with a seed it drew (`secrets`): only the seed's SHA-256
    is published; the seed is kept secret until the selection stores it."""

    campaign_id: str
    seed: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ApplyToCampaign:
    member_id: str
    campaign_id: str
    motivation: str
    idempotency_key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class WithdrawApplication:
    member_id: str
    campaign_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SelectCampaignParticipants:
    """An operator (or the review, actor "review") runs a closed campaign's selection;
    `member_ids` is the operator's order for an `operator` selection."""

    campaign_id: str
    actor: str
    at: datetime
    member_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfirmParticipation:
    member_id: str
    campaign_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class DeclineParticipation:
    member_id: str
    campaign_id: str
    at: datetime
