"""Mutation root. Each resolver only translates: input -> domain command (time from the
edge) -> `domain.services` use case in a worker thread -> payload. Expected failures come
back as the mutation's own error types (mapped in `api.errors.user_error`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar, cast

import strawberry

from api import ids
from api import inputs as i
from api.auth import utc_now
from api.campaigns import CampaignMutations
from api.commanding import actor, attempt, caller, viewer_member
from api.context import Info
from api.errors import (
    ActivityTooLate,
    AlreadyExists,
    AlreadyReversed,
    CouponPoolEmpty,
    IdempotencyKeyReused,
    InsufficientPoints,
    InvalidInput,
    InvalidTransition,
    LimitReached,
    NotEligible,
    NotFound,
    NotManual,
    OutOfStock,
    QuestClosed,
    QuestNotCompleted,
    ReferralRefused,
    RewardUnavailable,
    UnknownNote,
    user_error,
)
from api.event_types import MemberEvent, event_type
from api.fields import mutation
from api.membership import MembershipMutations
from api.permissions import (
    IsMember,
    IsMemberOrOperator,
    IsOperator,
    IsService,
    IsServiceOrOperator,
)
from api.queries import AwardLine
from api.quest_types import QuestProgress, progress_type
from api.referrals import ReferralMutations
from api.roles import RoleMutations
from api.runtime import Runtime
from api.tasks import TaskMutations
from api.team_help import FriendQuestMutations
from api.types import HonorAward, Member, Redemption
from domain import commands as c
from domain import services
from domain.economy import Economy
from domain.errors import DomainError
from domain.model import HonorAward as DomainHonorAward
from domain.model import Member as DomainMember
from domain.ports import UnitOfWork
from domain.quests import QuestProgress as DomainQuestProgress
from domain.services import ActivityResult

P = TypeVar("P")


def _honor_change(
    info: Info,
    input: i.HonorInput,
    command: Callable[..., c.GrantHonor | c.RevokeHonor],
    service: Callable[[Any, UnitOfWork, Economy], DomainHonorAward],
) -> Callable[[], Awaitable[HonorPayload]]:
    """Grant and revoke translate alike: input -> command -> service -> payload."""

    async def act() -> HonorPayload:
        cmd = command(
            member_id=ids.node_id(input.member_id, "Member", "memberId"),
            honor_id=input.honor_id,
            reason=input.reason,
            actor=actor(info),
            at=utc_now(),
        )
        award = await info.context.runtime.command(service, cmd)
        return HonorPayload(
            award=HonorAward.of(info.context.runtime.guide, award), member_id=award.member_id
        )

    return act


async def _member(info: Info, member_id: str) -> Member:
    found = await info.context.loaders.members.load(member_id)
    assert found is not None, f"member {member_id} vanished after a command"
    return Member.of(found)


# --- payloads -----------------------------------------------------------------------------


@strawberry.type
class RegisterMemberPayload:
    member: Member


@strawberry.type(description="A recorded activity and what it earned.")
class Activity:
    id: strawberry.ID
    kind: str
    occurred_at: datetime
    subject_id: str | None
    points: int
    lines: list[AwardLine]


@strawberry.type
class RecordActivityPayload:
    activity: Activity
    replayed: bool = strawberry.field(
        description="True when this idempotency key was seen before: nothing was written."
    )
    events: list[MemberEvent]
    member_id: strawberry.Private[str]

    @strawberry.field
    async def member(self, info: Info) -> Member:
        return await _member(info, self.member_id)


@strawberry.type
class RedeemRewardPayload:
    redemption: Redemption
    replayed: bool


@strawberry.type
class RedemptionPayload:
    redemption: Redemption


@strawberry.type
class HonorPayload:
    award: HonorAward
    member_id: strawberry.Private[str]

    @strawberry.field
    async def member(self, info: Info) -> Member:
        return await _member(info, self.member_id)


@strawberry.type
class AdjustPointsPayload:
    transfer_id: strawberry.ID
    amount: int
    balance: int = strawberry.field(description="The member's available points afterwards.")
    replayed: bool
    member_id: strawberry.Private[str]

    @strawberry.field
    async def member(self, info: Info) -> Member:
        return await _member(info, self.member_id)


@strawberry.type
class LockLevelPayload:
    member: Member


@strawberry.type
class ReverseActivityPayload:
    activity_id: strawberry.ID
    points: int = strawberry.field(
        description="Points taken back (voided if pending; beyond the balance, as debt)."
    )
    debt: int = strawberry.field(description="Of which the member now owes, as debt.")
    replayed: bool
    events: list[MemberEvent]
    member_id: strawberry.Private[str]

    @strawberry.field
    async def member(self, info: Info) -> Member:
        return await _member(info, self.member_id)


RegisterMemberResult = Annotated[
    RegisterMemberPayload | InvalidInput | AlreadyExists | ReferralRefused,
    strawberry.union("RegisterMemberResult"),
]
RecordActivityResult = Annotated[
    RecordActivityPayload
    | InvalidInput
    | NotFound
    | IdempotencyKeyReused
    | UnknownNote
    | ActivityTooLate,
    strawberry.union("RecordActivityResult"),
]


@strawberry.type
class RecordActivitiesPayload:
    results: list[RecordActivityResult] = strawberry.field(
        description="One result per activity, in input order; each succeeds or fails alone."
    )


RecordActivitiesResult = Annotated[
    RecordActivitiesPayload | InvalidInput, strawberry.union("RecordActivitiesResult")
]
RedeemRewardResult = Annotated[
    RedeemRewardPayload
    | InsufficientPoints
    | OutOfStock
    | LimitReached
    | NotEligible
    | RewardUnavailable
    | IdempotencyKeyReused
    | NotFound
    | InvalidInput,
    strawberry.union("RedeemRewardResult"),
]
FulfillRedemptionResult = Annotated[
    RedemptionPayload | NotFound | InvalidTransition | CouponPoolEmpty | InvalidInput,
    strawberry.union("FulfillRedemptionResult"),
]
CancelRedemptionResult = Annotated[
    RedemptionPayload | NotFound | InvalidTransition | InvalidInput,
    strawberry.union("CancelRedemptionResult"),
]
GrantHonorResult = Annotated[
    HonorPayload | NotFound | NotManual | AlreadyExists | LimitReached | InvalidInput,
    strawberry.union("GrantHonorResult"),
]
RevokeHonorResult = Annotated[
    HonorPayload | NotFound | NotManual | InvalidInput, strawberry.union("RevokeHonorResult")
]
AdjustPointsResult = Annotated[
    AdjustPointsPayload | InsufficientPoints | NotFound | IdempotencyKeyReused | InvalidInput,
    strawberry.union("AdjustPointsResult"),
]

ReverseActivityResult = Annotated[
    ReverseActivityPayload | NotFound | AlreadyReversed | IdempotencyKeyReused | InvalidInput,
    strawberry.union("ReverseActivityResult"),
]


@strawberry.type
class QuestPayload:
    progress: QuestProgress


StartQuestResult = Annotated[
    QuestPayload | NotFound | NotEligible | QuestClosed | IdempotencyKeyReused | InvalidInput,
    strawberry.union("StartQuestResult"),
]
ClaimQuestRewardResult = Annotated[
    QuestPayload
    | NotFound
    | QuestClosed
    | QuestNotCompleted
    | LimitReached
    | IdempotencyKeyReused
    | InvalidInput,
    strawberry.union("ClaimQuestRewardResult"),
]
LockLevelResult = Annotated[
    LockLevelPayload | NotFound | InvalidInput, strawberry.union("LockLevelResult")
]


def activity_payload(result: ActivityResult) -> RecordActivityPayload:
    record = result.record
    return RecordActivityPayload(
        activity=Activity(
            id=strawberry.ID(record.id),
            kind=record.kind,
            occurred_at=record.occurred_at,
            subject_id=record.subject_id,
            points=record.points,
            lines=[
                AwardLine(
                    rule_id=strawberry.ID(line.rule_id),
                    base_points=line.base_points,
                    streak_bonus=line.streak_bonus,
                    points=line.points,
                    reason=line.reason,
                    streak_length=line.streak_length,
                )
                for line in record.lines
            ],
        ),
        replayed=result.replayed,
        events=[event_type(e) for e in result.events],
        member_id=record.member_id,
    )


Item = TypeVar("Item")


async def record_batch(
    runtime: Runtime, items: Sequence[Item], build: Callable[[Item, str], c.RecordActivity]
) -> RecordActivitiesPayload:
    """`recordActivities` of both paths (this one and `api.lean`): each item built into its
    command (`build(item, "input[i]")`; an item that cannot be is refused alone), the valid
    ones recorded in one batch, each result in the item's place."""
    commands: list[c.RecordActivity | DomainError] = []
    for index, item in enumerate(items):
        try:
            commands.append(build(item, f"input[{index}]"))
        except DomainError as error:
            commands.append(error)
    valid = [cmd for cmd in commands if isinstance(cmd, c.RecordActivity)]
    done = iter(await runtime.command(services.record_activities, valid))
    results: list[RecordActivityResult] = []
    for cmd in commands:
        outcome = cmd if isinstance(cmd, DomainError) else next(done)
        results.append(
            cast(
                RecordActivityResult,
                user_error(outcome)
                if isinstance(outcome, DomainError)
                else activity_payload(outcome),
            )
        )
    return RecordActivitiesPayload(results=results)


def _quest_payload(info: Info, progress: DomainQuestProgress) -> QuestPayload:
    economy = info.context.runtime.economy
    quest = economy.quest(progress.quest_id)
    assert quest is not None, f"progress of unknown quest {progress.quest_id}"
    return QuestPayload(progress=progress_type(economy, quest, progress))


@strawberry.type
class Mutation(
    TaskMutations,
    RoleMutations,
    FriendQuestMutations,
    MembershipMutations,
    ReferralMutations,
    CampaignMutations,
):
    @mutation(permissions=[IsServiceOrOperator])
    async def register_member(
        self, info: Info, input: i.RegisterMemberInput
    ) -> RegisterMemberResult:
        async def act() -> RegisterMemberPayload:
            runtime = info.context.runtime
            key = runtime.settings.referral_code_key
            identities = tuple(input.identities or ())
            cmd = c.RegisterMember(input.handle, input.display_name, runtime.clock(),
                                   input.external_id, input.referral_code, identities)  # fmt: skip

            def register(cmd: c.RegisterMember, uow: UnitOfWork, economy: Economy) -> DomainMember:
                return services.register_member(cmd, uow, economy, key)

            member = await runtime.command(register, cmd)
            return RegisterMemberPayload(member=Member.of(member))

        return cast(RegisterMemberResult, await attempt(info, act))

    @mutation(
        permissions=[IsService],
        description="Record one activity; a replayed idempotency key returns the first result.",
    )
    async def record_activity(
        self, info: Info, input: i.RecordActivityInput
    ) -> RecordActivityResult:
        async def act() -> RecordActivityPayload:
            cmd = i.record_activity(input, caller(info), at=info.context.runtime.clock())
            result = await info.context.runtime.record_activity(cmd)
            return activity_payload(result)

        return cast(RecordActivityResult, await attempt(info, act))

    @mutation(
        permissions=[IsService],
        description=f"Record up to {c.batch_size_max} activities in one transaction.",
    )
    async def record_activities(
        self, info: Info, input: list[i.RecordActivityInput]
    ) -> RecordActivitiesResult:
        async def act() -> RecordActivitiesPayload:
            runtime, principal = info.context.runtime, caller(info)
            at = runtime.clock()
            return await record_batch(
                runtime, input, lambda item, field: i.record_activity(item, principal, field, at=at)
            )

        return cast(RecordActivitiesResult, await attempt(info, act))

    @mutation(
        permissions=[IsMember],
        description="Redeem a reward as the viewer: points and stock are held until fulfilment.",
    )
    async def redeem_reward(self, info: Info, input: i.RedeemRewardInput) -> RedeemRewardResult:
        async def act() -> RedeemRewardPayload:
            cmd = c.RedeemReward(
                member_id=viewer_member(info),
                reward_id=ids.node_id(input.reward_id, "Reward", "rewardId"),
                quantity=input.quantity,
                idempotency_key=input.idempotency_key,
                at=utc_now(),
                caller=caller(info),
            )
            result = await info.context.runtime.command(services.redeem_reward, cmd)
            return RedeemRewardPayload(
                redemption=Redemption.of(result.redemption), replayed=result.replayed
            )

        return cast(RedeemRewardResult, await attempt(info, act))

    @mutation(
        permissions=[IsMember],
        description="Opt in to a quest's current period as the viewer.",
    )
    async def start_quest(self, info: Info, input: i.StartQuestInput) -> StartQuestResult:
        async def act() -> QuestPayload:
            cmd = c.StartQuest(
                viewer_member(info), input.quest_id, input.idempotency_key, utc_now()
            )
            return _quest_payload(
                info, await info.context.runtime.command(services.start_quest, cmd)
            )

        return cast(StartQuestResult, await attempt(info, act))

    @mutation(
        permissions=[IsMember],
        description="Claim the rewards of a completed quest's current period as the viewer.",
    )
    async def claim_quest_reward(
        self, info: Info, input: i.ClaimQuestRewardInput
    ) -> ClaimQuestRewardResult:
        async def act() -> QuestPayload:
            cmd = c.ClaimQuestReward(
                viewer_member(info), input.quest_id, input.idempotency_key, utc_now()
            )
            progress = await info.context.runtime.command(services.claim_quest_reward, cmd)
            return _quest_payload(info, progress)

        return cast(ClaimQuestRewardResult, await attempt(info, act))

    @mutation(permissions=[IsOperator])
    async def fulfill_redemption(
        self, info: Info, input: i.FulfillRedemptionInput
    ) -> FulfillRedemptionResult:
        async def act() -> RedemptionPayload:
            cmd = c.FulfillRedemption(
                redemption_id=ids.node_id(input.redemption_id, "Redemption", "redemptionId"),
                actor=actor(info),
                at=utc_now(),
                note=input.note,
            )
            done = await info.context.runtime.command(services.fulfill_redemption, cmd)
            return RedemptionPayload(redemption=Redemption.of(done))

        return cast(FulfillRedemptionResult, await attempt(info, act))

    @mutation(
        permissions=[IsMemberOrOperator],
        description="Cancel a reserved redemption: points and stock come back.",
    )
    async def cancel_redemption(
        self, info: Info, input: i.CancelRedemptionInput
    ) -> CancelRedemptionResult:
        async def act() -> RedemptionPayload:
            viewer = info.context.viewer
            assert viewer is not None, "guarded by IsMemberOrOperator"
            cmd = c.CancelRedemption(
                redemption_id=ids.node_id(input.redemption_id, "Redemption", "redemptionId"),
                actor=viewer.actor,
                at=utc_now(),
                reason=input.reason,
                member_id=viewer.member_id,  # a member cancels only its own
            )
            done = await info.context.runtime.command(services.cancel_redemption, cmd)
            return RedemptionPayload(redemption=Redemption.of(done))

        return cast(CancelRedemptionResult, await attempt(info, act))

    @mutation(permissions=[IsOperator])
    async def grant_honor(self, info: Info, input: i.HonorInput) -> GrantHonorResult:
        act = _honor_change(info, input, c.GrantHonor, services.grant_honor)
        return cast(GrantHonorResult, await attempt(info, act))

    @mutation(permissions=[IsOperator])
    async def revoke_honor(self, info: Info, input: i.HonorInput) -> RevokeHonorResult:
        act = _honor_change(info, input, c.RevokeHonor, services.revoke_honor)
        return cast(RevokeHonorResult, await attempt(info, act))

    @mutation(
        permissions=[IsOperator],
        description="Add (positive) or remove (negative) points, with a reason; audited.",
    )
    async def adjust_points(self, info: Info, input: i.AdjustPointsInput) -> AdjustPointsResult:
        async def act() -> AdjustPointsPayload:
            cmd = c.AdjustPoints(
                member_id=ids.node_id(input.member_id, "Member", "memberId"),
                amount=input.amount,
                reason=input.reason,
                actor=actor(info),
                idempotency_key=input.idempotency_key,
                at=utc_now(),
                caller=caller(info),
            )
            result = await info.context.runtime.command(services.adjust_points, cmd)
            return AdjustPointsPayload(
                transfer_id=strawberry.ID(result.transfer_id),
                amount=result.amount,
                balance=result.balance,
                replayed=result.replayed,
                member_id=result.member_id,
            )

        return cast(AdjustPointsResult, await attempt(info, act))

    @mutation(
        permissions=[IsServiceOrOperator],
        description="Undo what an activity caused: its points (spent ones become debt that "
        "later earnings repay first), counters, level, honors, leaderboard; audited.",
    )
    async def reverse_activity(
        self, info: Info, input: i.ReverseActivityInput
    ) -> ReverseActivityResult:
        async def act() -> ReverseActivityPayload:
            cmd = c.ReverseActivity(
                activity_id=str(input.activity_id),
                reason=input.reason,
                actor=actor(info),
                idempotency_key=input.idempotency_key,
                at=utc_now(),
                caller=caller(info),
            )
            result = await info.context.runtime.command(services.reverse_activity, cmd)
            done = result.reversal
            return ReverseActivityPayload(
                activity_id=strawberry.ID(done.activity_id),
                points=done.points,
                debt=done.debt,
                replayed=result.replayed,
                events=[event_type(e) for e in result.events],
                member_id=done.member_id,
            )

        return cast(ReverseActivityResult, await attempt(info, act))

    @mutation(permissions=[IsOperator])
    async def lock_level(self, info: Info, input: i.LockLevelInput) -> LockLevelResult:
        async def act() -> LockLevelPayload:
            cmd = c.LockLevel(
                member_id=ids.node_id(input.member_id, "Member", "memberId"),
                level_id=input.level_id,
                reason=input.reason,
                actor=actor(info),
                at=utc_now(),
            )
            member = await info.context.runtime.command(services.lock_level, cmd)
            return LockLevelPayload(member=Member.of(member))

        return cast(LockLevelResult, await attempt(info, act))
