"""Use cases: one function each, over a unit of work. The only entry point for the API
and the simulator. Each opens the unit of work, loads, makes the domain calls, commits.

The functions live by family (members, activities, rewards, operator actions, upkeep,
reads); this package re-exports them so callers write `services.record_activity(...)`."""

from domain.expiry import expirable_points
from domain.rewards import check_eligible
from domain.services._support import page_size_max
from domain.services.activities import (
    ActivityResult,
    explain_activity,
    record_activities,
    record_activity,
)
from domain.services.contests import (
    ContestView,
    Settlement,
    contest_view,
    settle_contests,
    settle_period,
)
from domain.services.members import (
    balances,
    get_member,
    ledger_entries,
    register_member,
)
from domain.services.membership import (
    active_paid_tier,
    expire_memberships,
    membership_of,
    record_membership_purchase,
)
from domain.services.operator import (
    AdjustmentResult,
    adjust_points,
    grant_honor,
    lock_level,
    revoke_honor,
)
from domain.services.pipeline import SPEND_COUNTED
from domain.services.quests import (
    QuestView,
    claim_quest_reward,
    quest_history,
    quests_for,
    start_quest,
)
from domain.services.reads import (
    LEADERBOARD_PERIODS,
    HallOfFameEntry,
    hall_of_fame,
    honors_of,
    leaderboard,
    leaderboard_since,
    member_ids,
    member_level_changes,
)
from domain.services.reversals import ReversalResult, reverse_activity
from domain.services.rewards import (
    RedemptionResult,
    add_coupon_codes,
    cancel_redemption,
    coupon_codes_max,
    fulfill_redemption,
    redeem_reward,
    redemptions_for,
    restock,
    sync_rewards,
)
from domain.services.seasons import (
    SeasonView,
    season_snapshot,
    seasons_of,
    snapshot_seasons,
)
from domain.services.tasks import (
    answer_task,
    expire_tasks,
    get_assignment,
    offer_members_max,
    offer_task,
    review_task,
    submit_task,
    task_assignments,
)
from domain.services.team_help import (
    expire_friend_quests,
    friend_quest_by_code,
    friend_quest_instances,
    join_friend_quest,
    start_friend_quest,
)
from domain.services.upkeep import review_member

__all__ = [
    "LEADERBOARD_PERIODS",
    "SPEND_COUNTED",
    "ActivityResult",
    "AdjustmentResult",
    "ContestView",
    "HallOfFameEntry",
    "QuestView",
    "RedemptionResult",
    "ReversalResult",
    "SeasonView",
    "Settlement",
    "active_paid_tier",
    "add_coupon_codes",
    "adjust_points",
    "answer_task",
    "balances",
    "cancel_redemption",
    "check_eligible",
    "claim_quest_reward",
    "contest_view",
    "coupon_codes_max",
    "expirable_points",
    "expire_friend_quests",
    "expire_memberships",
    "expire_tasks",
    "explain_activity",
    "friend_quest_by_code",
    "friend_quest_instances",
    "fulfill_redemption",
    "get_assignment",
    "get_member",
    "grant_honor",
    "hall_of_fame",
    "honors_of",
    "join_friend_quest",
    "leaderboard",
    "leaderboard_since",
    "ledger_entries",
    "lock_level",
    "member_ids",
    "member_level_changes",
    "membership_of",
    "offer_members_max",
    "offer_task",
    "page_size_max",
    "quest_history",
    "quests_for",
    "record_activities",
    "record_activity",
    "record_membership_purchase",
    "redeem_reward",
    "redemptions_for",
    "register_member",
    "restock",
    "reverse_activity",
    "review_member",
    "review_task",
    "revoke_honor",
    "season_snapshot",
    "seasons_of",
    "settle_contests",
    "settle_period",
    "snapshot_seasons",
    "start_friend_quest",
    "start_quest",
    "submit_task",
    "sync_rewards",
    "task_assignments",
]
