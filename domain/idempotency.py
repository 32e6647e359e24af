"""Whose idempotency key it is: the scope a key lives in.

A key is remembered per caller, per operation and per member (Stripe scopes keys per
account the same way), so one caller can neither learn whether another used a key
(`IdempotencyKeyReused`) nor block another's command by using its key first:

    scope = "<caller>|<operation>|<member id>"

The caller is the principal the token names: `service` or `operator` (any token of that
role: a retry may come from another instance or another operator on the same shift), or
`member:<id>` for a member, who acts only as itself. Within one scope the same key with
the same payload replays the first result; with another payload it is refused.
Migration 0002 moved the keys stored before under this format."""

from __future__ import annotations

SERVICE = "service"
OPERATOR = "operator"
RECORD_ACTIVITY = "record_activity"
REDEEM_REWARD = "redeem_reward"
ADJUST_POINTS = "adjust_points"
REVERSE_ACTIVITY = "reverse_activity"
START_QUEST = "start_quest"
CLAIM_QUEST_REWARD = "claim_quest_reward"
OFFER_TASK = "offer_task"  # spans members: its scope names none
SUBMIT_TASK = "submit_task"
REVIEW_TASK = "review_task"
START_TEAM_QUEST = "start_team_quest"
JOIN_TEAM_QUEST = "join_team_quest"
START_HELP_QUEST = "start_help_quest"
HELP_QUEST = "help_quest"
RECORD_MEMBERSHIP_PURCHASE = "record_membership_purchase"
DECIDE_REFERRAL_REWARD = "decide_referral_reward"


def member_caller(member_id: str) -> str:
    """The caller a member token names."""
    return f"member:{member_id}"


def scope(caller: str, operation: str, member_id: str) -> str:
    """The one place a key's scope is spelled (see the module)."""
    assert caller, "an idempotency scope names its caller"
    assert operation, "an idempotency scope names its operation"
    return f"{caller}|{operation}|{member_id}"
