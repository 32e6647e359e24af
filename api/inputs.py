"""Input types and their translation into domain commands (no rules here: the domain
validates values; this only reshapes them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api import ids
from domain.commands import RecordActivity
from domain.errors import InvalidInput
from domain.model import Attributes

attributes_max = 32
attribute_name_length_max = 64


@strawberry.input(description="Register a member (service or operator).")
class RegisterMemberInput:
    handle: str
    display_name: str
    external_id: str | None = strawberry.field(
        default=None, description="Use this member id instead of a generated one."
    )
    referral_code: str | None = strawberry.field(
        default=None, description="The code of the member who invited them (used once)."
    )
    identities: list[str] | None = strawberry.field(
        default=None,
        description="External identities as provider:subject (e.g. a hashed phone number): "
        "a referrer sharing one is the same person, who may not refer themselves.",
    )


@strawberry.input(description="One activity of a member, reported by a trusted service.")
class RecordActivityInput:
    member_id: relay.GlobalID
    kind: str
    occurred_at: datetime = strawberry.field(
        description="When it happened (with an offset). Required, so that a retry with the "
        "same idempotency key carries the same payload and replays."
    )
    idempotency_key: str
    subject_id: str | None = None
    attributes: JSON | None = strawberry.field(
        default=None, description='Numeric facts about the activity, e.g. {"photos": 2}.'
    )


@strawberry.input(description="An activity to evaluate without recording it.")
class ExplainActivityInput:
    kind: str
    member_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Operators and services name the member; members omit it."
    )
    occurred_at: datetime | None = None
    subject_id: str | None = None
    attributes: JSON | None = None


@strawberry.input(description="Redeem a reward as the viewer.")
class RedeemRewardInput:
    reward_id: relay.GlobalID
    idempotency_key: str
    quantity: int = 1


@strawberry.input
class FulfillRedemptionInput:
    redemption_id: relay.GlobalID
    note: str = ""


@strawberry.input(description="Members cancel their own reserved redemptions; operators any.")
class CancelRedemptionInput:
    redemption_id: relay.GlobalID
    reason: str = ""


@strawberry.input
class HonorInput:
    member_id: relay.GlobalID
    honor_id: strawberry.ID
    reason: str


@strawberry.input
class AdjustPointsInput:
    member_id: relay.GlobalID
    amount: int
    reason: str
    idempotency_key: str


@strawberry.input(description="Undo what an activity caused (its id from recordActivity).")
class ReverseActivityInput:
    activity_id: strawberry.ID
    reason: str
    idempotency_key: str


@strawberry.input(description="Hold a member at a level (levelId), or release (levelId null).")
class LockLevelInput:
    member_id: relay.GlobalID
    reason: str
    level_id: strawberry.ID | None = None


@strawberry.enum
class LeaderboardPeriod(Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL_TIME = "all_time"


def attributes(value: object, field: str = "attributes") -> Attributes:
    """The JSON object of attributes as the domain's whole numbers (InvalidInput if not):
    JSON numbers may arrive as floats; one with a fractional part is refused by name, an
    integral one becomes its exact integer (bounds are the domain's to check)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(field, "must be an object of numbers")
    if len(value) > attributes_max:
        raise InvalidInput(field, f"at most {attributes_max} attributes")
    found: Attributes = {}
    for name, number in value.items():
        if not isinstance(name, str) or not 0 < len(name) <= attribute_name_length_max:
            raise InvalidInput(field, f"names are 1 to {attribute_name_length_max} characters")
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise InvalidInput(f"{field}.{name}", "must be a whole number")
        if isinstance(number, float) and not number.is_integer():  # also inf and nan
            raise InvalidInput(f"{field}.{name}", f"must be a whole number, got {number!r}")
        found[name] = int(number)
    return found


def record_activity(
    data: RecordActivityInput, caller: str, field: str = "", *, at: datetime
) -> RecordActivity:
    """`at`: when the request arrived, by the edge's clock."""
    prefix = f"{field}." if field else ""
    return RecordActivity(
        member_id=ids.node_id(data.member_id, "Member", f"{prefix}memberId"),
        kind=data.kind,
        occurred_at=data.occurred_at,
        idempotency_key=data.idempotency_key,
        subject_id=data.subject_id,
        attributes=attributes(data.attributes, f"{prefix}attributes"),
        caller=caller,
        at=at,
    )


def record_activity_of(
    data: Mapping[str, Any], caller: str, field: str = "", *, at: datetime
) -> RecordActivity:
    """As `record_activity`, from the input as GraphQL coerced it (`api.lean`): a dict by
    the schema's field names, the scalars already parsed (a GlobalID, a datetime)."""
    prefix = f"{field}." if field else ""
    return RecordActivity(
        member_id=ids.node_id(data["memberId"], "Member", f"{prefix}memberId"),
        kind=data["kind"],
        occurred_at=data["occurredAt"],
        idempotency_key=data["idempotencyKey"],
        subject_id=data.get("subjectId"),
        attributes=attributes(data.get("attributes"), f"{prefix}attributes"),
        caller=caller,
        at=at,
    )


@strawberry.input
class StartQuestInput:
    quest_id: strawberry.ID
    idempotency_key: str


@strawberry.input
class ClaimQuestRewardInput:
    quest_id: strawberry.ID
    idempotency_key: str
