"""Errors at the edge, in two families.

Expected failures a client handles are part of the schema: each mutation returns a union of
its payload and its own error types, and `user_error` maps every `domain.errors` exception
to its GraphQL type in this one place.

Everything else is a GraphQL error with `extensions.code`: `ApiError` for auth and limits
(raised by permissions and input checks), codes for parse, validation and limit failures,
and a mask over unexpected exceptions (`classify`, applied by the schema to every error).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.relay.types import GlobalIDValueError

from domain import errors as de
from persistence.sql.failures import DatabaseUnavailable, Outcome

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
BAD_USER_INPUT = "BAD_USER_INPUT"
BAD_REQUEST = "BAD_REQUEST"  # the HTTP request itself: its body, or which operation to run
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTERNAL = "INTERNAL_SERVER_ERROR"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"  # retryable: the database cannot be reached
DATABASE_BUSY = "DATABASE_BUSY"  # retryable: contention outlasted the timeouts and retries
RETRYABLE_CODES = (SERVICE_UNAVAILABLE, DATABASE_BUSY)
masked_message = "Unexpected error."


class ApiError(GraphQLError):
    """A GraphQL error we raise on purpose; it carries `extensions.code` and is never masked."""

    def __init__(self, message: str, code: str, **extra: Any) -> None:
        super().__init__(message, extensions={"code": code, **extra})


def unauthenticated(message: str = "sign in: send 'Authorization: Bearer <token>'") -> ApiError:
    return ApiError(message, UNAUTHENTICATED)


def forbidden(message: str = "your role may not do this") -> ApiError:
    return ApiError(message, FORBIDDEN)


def bad_input(field: str, message: str) -> ApiError:
    return ApiError(f"{field}: {message}", BAD_USER_INPUT, field=field)


def database_unavailable(error: DatabaseUnavailable) -> ApiError:
    """A transient database failure, for the client to retry (`extensions.retryable`)."""
    code = SERVICE_UNAVAILABLE if error.unreachable else DATABASE_BUSY
    what = "cannot be reached" if error.unreachable else "is too busy"
    if error.outcome is Outcome.UNKNOWN:
        message = (
            f"the database {what} and the outcome is unknown: retry with the same "
            "idempotency key (a command that has none may have been done)"
        )
    else:
        message = f"the database {what}; nothing was written: try again"
    return ApiError(message, code, retryable=True, outcome=error.outcome.value)


# --- expected failures, as schema types -------------------------------------------------


@strawberry.interface(description="An expected failure the client can show or act on.")
class UserError:
    message: str


@strawberry.type(description="The balance does not cover the price.")
class InsufficientPoints(UserError):
    balance: int
    required: int


@strawberry.type(description="Fewer items are left than were requested.")
class OutOfStock(UserError):
    reward_id: strawberry.ID
    available: int
    requested: int


@strawberry.type(description="A per-member or per-honor limit is reached.")
class LimitReached(UserError):
    limit: int
    already: int


@strawberry.type(description="The member does not meet a requirement, e.g. a level gate.")
class NotEligible(UserError):
    reason: str
    required_level: strawberry.ID | None


@strawberry.type(description="The reward is outside its availability window.")
class RewardUnavailable(UserError):
    reward_id: strawberry.ID
    reason: str


@strawberry.type(description="The idempotency key was used before with a different payload.")
class IdempotencyKeyReused(UserError):
    key: str


@strawberry.type(description="Nothing with this id exists (or it is not yours to see).")
class NotFound(UserError):
    kind: str
    id: strawberry.ID


@strawberry.type(description="Something with this id or handle already exists.")
class AlreadyExists(UserError):
    kind: str
    id: strawberry.ID


@strawberry.type(description="An input value cannot be accepted; `field` names it.")
class InvalidInput(UserError):
    field: str
    reason: str


@strawberry.type(
    description="The activity is dated before the economy's late-arrival look-back "
    "(`lateArrivalDays` local days before the request's day); nothing was recorded."
)
class ActivityTooLate(UserError):
    day: date
    earliest_day: date
    late_arrival_days: int


@strawberry.type(description="The activity was already reversed; an activity is reversed once.")
class AlreadyReversed(UserError):
    activity_id: strawberry.ID


@strawberry.type(description="The object is in a state that does not allow this action.")
class InvalidTransition(UserError):
    state: str
    action: str


@strawberry.type(description="No coupon codes are left to hand out for this reward.")
class CouponPoolEmpty(UserError):
    reward_id: strawberry.ID


@strawberry.type(description="The honor is awarded automatically, not by an operator.")
class NotManual(UserError):
    honor_id: strawberry.ID


@strawberry.type(description="The quest is not open now (before its start or after its end).")
class QuestClosed(UserError):
    quest_id: strawberry.ID
    reason: str


@strawberry.type(description="The quest's current period is not completed yet.")
class QuestNotCompleted(UserError):
    quest_id: strawberry.ID


@strawberry.type(
    description="Metrics name a note the member never published (or one that is not theirs)."
)
class UnknownNote(UserError):
    note_id: strawberry.ID


@strawberry.type(description="The assignment's due date has passed.")
class TaskOverdue(UserError):
    assignment_id: strawberry.ID
    due_at: datetime


@strawberry.type(description="The team or help instance filled, completed or passed its deadline.")
class FriendQuestClosed(UserError):
    instance_id: strawberry.ID
    state: str = strawberry.field(description="filled, completed or expired")
    deadline: datetime


@strawberry.type(description="The viewer already joined this team or helped this instance.")
class AlreadyJoined(UserError):
    instance_id: strawberry.ID


@strawberry.type(description="The viewer started this instance: friends join or help it.")
class OwnInstance(UserError):
    instance_id: strawberry.ID


@strawberry.type(
    description="The referral code may not be used by this member: their own "
    "(self_referral), a referrer sharing an identity (same_identity), a second code "
    "(already_referred) or a referrer in their own chain (cycle)."
)
class ReferralRefused(UserError):
    field: str = strawberry.field(description="The input carrying the code.")
    reason: str


AnyUserError = (
    InsufficientPoints
    | OutOfStock
    | LimitReached
    | NotEligible
    | RewardUnavailable
    | IdempotencyKeyReused
    | NotFound
    | AlreadyExists
    | InvalidInput
    | ActivityTooLate
    | AlreadyReversed
    | InvalidTransition
    | CouponPoolEmpty
    | NotManual
    | QuestClosed
    | QuestNotCompleted
    | UnknownNote
    | TaskOverdue
    | FriendQuestClosed
    | AlreadyJoined
    | OwnInstance
    | ReferralRefused
)


def user_error(error: de.DomainError) -> AnyUserError:
    """The one mapping from domain exceptions to schema error types."""
    message = error.message
    match error:
        case de.InsufficientPoints():
            return InsufficientPoints(
                message=message, balance=error.balance, required=error.required
            )
        case de.OutOfStock():
            return OutOfStock(
                message=message,
                reward_id=strawberry.ID(error.reward_id),
                available=error.available,
                requested=error.requested,
            )
        case de.RedemptionLimitReached():
            return LimitReached(message=message, limit=error.limit, already=error.already)
        case de.HonorCapacityReached():
            return LimitReached(message=message, limit=error.max_holders, already=error.max_holders)
        case de.NotEligible():
            level = strawberry.ID(error.required_level) if error.required_level else None
            return NotEligible(message=message, reason=error.reason, required_level=level)
        case de.RewardUnavailable():
            return RewardUnavailable(
                message=message, reward_id=strawberry.ID(error.reward_id), reason=error.reason
            )
        case de.IdempotencyKeyReused():
            return IdempotencyKeyReused(message=message, key=error.key)
        case de.NotFound():
            return NotFound(message=message, kind=error.kind, id=strawberry.ID(error.ident))
        case de.AlreadyExists():
            return AlreadyExists(message=message, kind=error.kind, id=strawberry.ID(error.ident))
        case de.InvalidInput():
            return InvalidInput(message=message, field=error.field, reason=error.reason)
        case de.ActivityTooLate():
            return ActivityTooLate(
                message=message,
                day=error.day,
                earliest_day=error.earliest,
                late_arrival_days=error.late_arrival_days,
            )
        case de.InvalidTransition():
            return InvalidTransition(message=message, state=error.state, action=error.action)
        case de.CouponPoolEmpty():
            return CouponPoolEmpty(message=message, reward_id=strawberry.ID(error.reward_id))
        case de.QuestClosed():
            return QuestClosed(
                message=message, quest_id=strawberry.ID(error.quest_id), reason=error.reason
            )
        case de.QuestNotCompleted():
            return QuestNotCompleted(message=message, quest_id=strawberry.ID(error.quest_id))
        case de.QuestFull():
            return LimitReached(message=message, limit=error.capacity, already=error.capacity)
        case de.TaskOverdue():
            return TaskOverdue(
                message=message,
                assignment_id=strawberry.ID(error.assignment_id),
                due_at=error.due_at,
            )
        case de.ResubmissionLimitReached():
            limit = error.max_resubmissions
            return LimitReached(message=message, limit=limit, already=limit)
        case de.HonorNotManual():
            return NotManual(message=message, honor_id=strawberry.ID(error.honor_id))
        case de.UnknownNote():
            return UnknownNote(message=message, note_id=strawberry.ID(error.note_id))
        case de.RoleSeatsTaken():
            return LimitReached(message=message, limit=error.seats, already=error.seats)
        case de.AlreadyReversed():
            return AlreadyReversed(message=message, activity_id=strawberry.ID(error.activity_id))
        case de.TeamFull():
            return LimitReached(message=message, limit=error.size, already=error.size)
        case de.TeamLimitReached():
            return LimitReached(message=message, limit=error.limit, already=error.limit)
        case de.HelpLimitReached():
            return LimitReached(message=message, limit=error.per_day, already=error.per_day)
        case de.FriendQuestClosed():
            return FriendQuestClosed(
                message=message,
                instance_id=strawberry.ID(error.instance_id),
                state=error.state,
                deadline=error.deadline,
            )
        case de.AlreadyJoined():
            return AlreadyJoined(message=message, instance_id=strawberry.ID(error.instance_id))
        case de.OwnInstance():
            return OwnInstance(message=message, instance_id=strawberry.ID(error.instance_id))
        case de.ReferralRefused():
            return ReferralRefused(message=message, field=error.field, reason=error.reason)
    raise AssertionError(f"domain error {type(error).__name__} has no schema type")


def invalid_input(field: str, reason: str) -> InvalidInput:
    return InvalidInput(message=f"{field}: {reason}", field=field, reason=reason)


# --- unexpected failures and codes ------------------------------------------------------

_LIMIT_MARKS = ("exceeds maximum operation depth", "token", "aliases found")


def _code_for(error: GraphQLError) -> str:
    if isinstance(error.original_error, GlobalIDValueError):  # a malformed ID argument
        return BAD_USER_INPUT
    if error.path is not None:  # raised while executing a field: ours, unless it said so
        return INTERNAL
    text = error.message.lower()  # before execution: parse, validation, variables
    if any(mark in text for mark in _LIMIT_MARKS):
        return LIMIT_EXCEEDED
    if text.startswith("syntax error"):
        return PARSE_FAILED
    if text.startswith("variable '$"):
        return BAD_USER_INPUT
    return VALIDATION_FAILED


def classify(error: GraphQLError) -> GraphQLError:
    """Give the error an `extensions.code` in place; mask it when it is unexpected.
    Returns the error; the caller logs unexpected ones before this (they lose detail)."""
    if error.extensions and "code" in error.extensions:
        return error
    code = _code_for(error)
    error.extensions = {**(error.extensions or {}), "code": code}
    if code == INTERNAL:
        error.message = masked_message
        error.original_error = None
    return error


def is_unexpected(error: GraphQLError) -> bool:
    """An exception of ours (a bug or an outage), not a client's mistake."""
    original = error.original_error
    return (
        error.path is not None and original is not None and not isinstance(original, GraphQLError)
    )
