"""Member events as GraphQL types: what `memberEvents` streams and mutations echo back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from api.types import RedemptionStatus
from domain import model


@strawberry.type
class PointsAwarded:
    activity_id: strawberry.ID
    points: int
    at: datetime


@strawberry.type
class PointsAdjusted:
    amount: int
    reason: str
    at: datetime


@strawberry.type
class PointsExpired:
    points: int
    at: datetime


@strawberry.type
class LevelChanged:
    from_level: strawberry.ID
    to_level: strawberry.ID
    reason: str = strawberry.field(description="promoted, demoted, locked or unlocked")
    at: datetime


@strawberry.type
class LevelWarning:
    level_id: strawberry.ID
    demotion_due: datetime
    at: datetime


@strawberry.type
class KocTierChanged:
    from_tier: strawberry.ID | None
    to_tier: strawberry.ID | None
    at: datetime


@strawberry.type
class HonorGranted:
    honor_id: strawberry.ID
    tier: str | None
    at: datetime


@strawberry.type
class HonorRevoked:
    honor_id: strawberry.ID
    at: datetime


@strawberry.type
class RedemptionUpdated:
    redemption_id: relay.GlobalID
    status: RedemptionStatus
    at: datetime


@strawberry.type(description="An activity counted toward a quest's steps.")
class QuestProgressed:
    quest_id: strawberry.ID
    done: list[int] = strawberry.field(description="Activities counted per step, in order.")
    at: datetime


@strawberry.type(description="Every step of a quest is done.")
class QuestCompleted:
    quest_id: strawberry.ID
    rewarded: bool = strawberry.field(
        description="False when the rewards wait for claimQuestReward or every place was taken."
    )
    points: int
    at: datetime


@strawberry.type(description="An operator offered the member a task (see taskAssignments).")
class TaskOffered:
    assignment_id: strawberry.ID
    task_id: strawberry.ID
    due_at: datetime
    at: datetime


@strawberry.type(description="A task submission was reviewed: approved (and paid) or rejected.")
class TaskReviewed:
    assignment_id: strawberry.ID
    task_id: strawberry.ID
    approved: bool
    quality_tier: str | None
    points: int
    reason: str | None
    at: datetime


@strawberry.type(description="A contest period closed with the member among its prize ranks.")
class ContestSettled:
    contest_id: strawberry.ID
    rank: int
    value: int
    points: int = strawberry.field(description="The prize points paid.")
    at: datetime


@strawberry.type(description="A term of a role started, or was renewed (renewals > 0).")
class RoleGranted:
    role_id: strawberry.ID
    holding_id: strawberry.ID
    ends_at: datetime
    renewals: int
    at: datetime


@strawberry.type(description="A role holding ended: stepped down, ended by an operator, term over.")
class RoleEnded:
    role_id: strawberry.ID
    holding_id: strawberry.ID
    reason: str
    at: datetime


@strawberry.type(description="A holder fell below the role's eligibility; operators decide.")
class RoleFlagged:
    role_id: strawberry.ID
    holding_id: strawberry.ID
    reason: str
    at: datetime


@strawberry.type(description="A mentee of this member reached the mentor role's level.")
class MentorCredited:
    role_id: strawberry.ID
    mentee_id: strawberry.ID
    credited: int = strawberry.field(description="Credited mentees in the role so far.")
    at: datetime


@strawberry.type(description="The member's team filled by its deadline: every member paid.")
class TeamFilled:
    instance_id: strawberry.ID
    quest_id: strawberry.ID
    points: int = strawberry.field(description="The points paid to each member.")
    at: datetime


@strawberry.type(description="The member's team was short at its deadline: nobody paid.")
class TeamExpired:
    instance_id: strawberry.ID
    quest_id: strawberry.ID
    at: datetime


@strawberry.type(description="A friend helped the member's help instance.")
class HelpReceived:
    instance_id: strawberry.ID
    quest_id: strawberry.ID
    helper_id: strawberry.ID
    helps: int = strawberry.field(description="Helps so far.")
    needed: int = strawberry.field(description="Helps that complete the instance.")
    at: datetime


@strawberry.type(description="A help instance the member started or helped got all its helps.")
class HelpCompleted:
    instance_id: strawberry.ID
    quest_id: strawberry.ID
    points: int = strawberry.field(description="The points paid to this member.")
    at: datetime


@strawberry.type(description="The member bought a paid tier with no active period.")
class MembershipStarted:
    tier_id: strawberry.ID
    until: datetime
    at: datetime


@strawberry.type(description="The member renewed an active paid tier: extended from its end.")
class MembershipRenewed:
    tier_id: strawberry.ID
    until: datetime
    at: datetime


@strawberry.type(description="The member's paid tier ended at `until` without a renewal.")
class MembershipExpired:
    tier_id: strawberry.ID
    until: datetime
    at: datetime


@strawberry.type(description="An invitee of the member made their first qualifying action in time.")
class ReferralQualified:
    invitee_id: strawberry.ID
    outcome: str = strawberry.field(
        description="What the member's reward became: pay, held (for review) or capped."
    )
    referrer_points: int = strawberry.field(description="The member's reward (0 when capped).")
    welcome_points: int = strawberry.field(description="The invitee's welcome points.")
    at: datetime


@strawberry.type(description="An operator confirmed or reversed the member's held referral reward.")
class ReferralRewardDecided:
    invitee_id: strawberry.ID
    outcome: str = strawberry.field(description="confirmed or reversed.")
    points: int
    at: datetime


@strawberry.type(description="The member's application to a campaign was taken.")
class ApplicationReceived:
    campaign_id: strawberry.ID
    at: datetime


@strawberry.type(description="The campaign's selection gave the member a place: confirm by then.")
class SelectedForCampaign:
    campaign_id: strawberry.ID
    confirm_by: datetime
    at: datetime


@strawberry.type(description="The campaign's selection put the member on its waitlist.")
class Waitlisted:
    campaign_id: strawberry.ID
    position: int = strawberry.field(description="1: the next place that comes free is theirs.")
    at: datetime


@strawberry.type(description="A campaign place came free and was offered to the member.")
class PlaceOffered:
    campaign_id: strawberry.ID
    confirm_by: datetime
    at: datetime


MemberEvent = Annotated[
    PointsAwarded
    | PointsAdjusted
    | PointsExpired
    | LevelChanged
    | LevelWarning
    | KocTierChanged
    | HonorGranted
    | HonorRevoked
    | RedemptionUpdated
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
    | PlaceOffered,
    strawberry.union("MemberEvent", description="Something that happened to a member."),
]


def event_type(
    event: model.Event,
) -> (
    PointsAwarded
    | PointsAdjusted
    | PointsExpired
    | LevelChanged
    | LevelWarning
    | KocTierChanged
    | HonorGranted
    | HonorRevoked
    | RedemptionUpdated
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
):
    ID = strawberry.ID  # noqa: N806
    match event:
        case model.PointsAwarded():
            return PointsAwarded(
                activity_id=ID(event.activity_id), points=event.points, at=event.at
            )
        case model.PointsAdjusted():
            return PointsAdjusted(amount=event.amount, reason=event.reason, at=event.at)
        case model.PointsExpired():
            return PointsExpired(points=event.points, at=event.at)
        case model.LevelChanged():
            return LevelChanged(
                from_level=ID(event.from_level),
                to_level=ID(event.to_level),
                reason=event.reason,
                at=event.at,
            )
        case model.LevelWarning():
            return LevelWarning(
                level_id=ID(event.level_id), demotion_due=event.demotion_due, at=event.at
            )
        case model.KocTierChanged():
            return KocTierChanged(
                from_tier=ID(event.from_tier) if event.from_tier else None,
                to_tier=ID(event.to_tier) if event.to_tier else None,
                at=event.at,
            )
        case model.HonorGranted():
            return HonorGranted(honor_id=ID(event.honor_id), tier=event.tier, at=event.at)
        case model.HonorRevoked():
            return HonorRevoked(honor_id=ID(event.honor_id), at=event.at)
        case model.QuestProgressed():
            return QuestProgressed(quest_id=ID(event.quest_id), done=list(event.done), at=event.at)
        case model.QuestCompleted():
            return QuestCompleted(
                quest_id=ID(event.quest_id),
                rewarded=event.rewarded,
                points=event.points,
                at=event.at,
            )
        case model.TaskOffered():
            return TaskOffered(
                assignment_id=ID(event.assignment_id),
                task_id=ID(event.task_id),
                due_at=event.due_at,
                at=event.at,
            )
        case model.TaskReviewed():
            return TaskReviewed(
                assignment_id=ID(event.assignment_id),
                task_id=ID(event.task_id),
                approved=event.approved,
                quality_tier=event.quality_tier,
                points=event.points,
                reason=event.reason,
                at=event.at,
            )
        case model.ContestSettled():
            return ContestSettled(
                contest_id=ID(event.contest_id),
                rank=event.rank,
                value=event.value,
                points=event.points,
                at=event.at,
            )
        case model.RoleGranted():
            return RoleGranted(role_id=ID(event.role_id), holding_id=ID(event.holding_id),
                               ends_at=event.ends_at, renewals=event.renewals,
                               at=event.at)  # fmt: skip
        case model.RoleEnded():
            return RoleEnded(role_id=ID(event.role_id), holding_id=ID(event.holding_id),
                             reason=event.reason, at=event.at)  # fmt: skip
        case model.RoleFlagged():
            return RoleFlagged(role_id=ID(event.role_id), holding_id=ID(event.holding_id),
                               reason=event.reason, at=event.at)  # fmt: skip
        case model.MentorCredited():
            return MentorCredited(role_id=ID(event.role_id), mentee_id=ID(event.mentee_id),
                                  credited=event.credited, at=event.at)  # fmt: skip
        case model.TeamFilled():
            return TeamFilled(
                instance_id=ID(event.instance_id),
                quest_id=ID(event.quest_id),
                points=event.points,
                at=event.at,
            )
        case model.TeamExpired():
            return TeamExpired(
                instance_id=ID(event.instance_id), quest_id=ID(event.quest_id), at=event.at
            )
        case model.HelpReceived():
            return HelpReceived(
                instance_id=ID(event.instance_id),
                quest_id=ID(event.quest_id),
                helper_id=ID(event.helper_id),
                helps=event.helps,
                needed=event.needed,
                at=event.at,
            )
        case model.HelpCompleted():
            return HelpCompleted(
                instance_id=ID(event.instance_id),
                quest_id=ID(event.quest_id),
                points=event.points,
                at=event.at,
            )
        case model.MembershipStarted():
            return MembershipStarted(tier_id=ID(event.tier_id), until=event.until, at=event.at)
        case model.MembershipRenewed():
            return MembershipRenewed(tier_id=ID(event.tier_id), until=event.until, at=event.at)
        case model.MembershipExpired():
            return MembershipExpired(tier_id=ID(event.tier_id), until=event.until, at=event.at)
        case model.ReferralQualified():
            return ReferralQualified(
                invitee_id=ID(event.invitee_id),
                outcome=event.outcome,
                referrer_points=event.referrer_points,
                welcome_points=event.welcome_points,
                at=event.at,
            )
        case model.ReferralRewardDecided():
            return ReferralRewardDecided(
                invitee_id=ID(event.invitee_id),
                outcome=event.outcome,
                points=event.points,
                at=event.at,
            )
        case model.ApplicationReceived():
            return ApplicationReceived(campaign_id=ID(event.campaign_id), at=event.at)
        case model.SelectedForCampaign():
            return SelectedForCampaign(campaign_id=ID(event.campaign_id),
                                       confirm_by=event.confirm_by, at=event.at)  # fmt: skip
        case model.Waitlisted():
            return Waitlisted(campaign_id=ID(event.campaign_id), position=event.position,
                              at=event.at)  # fmt: skip
        case model.PlaceOffered():
            return PlaceOffered(campaign_id=ID(event.campaign_id), confirm_by=event.confirm_by,
                                at=event.at)  # fmt: skip
        case model.RedemptionUpdated():
            return RedemptionUpdated(
                redemption_id=relay.GlobalID("Redemption", event.redemption_id),
                status=RedemptionStatus(event.status.value),
                at=event.at,
            )
