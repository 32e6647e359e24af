"""Replay a simulated run's command stream through any unit of work (the SQL store, for
instance) and read back the state that must match: balances, levels, KOC tiers, honors
and stock. This is how we show that what a designer tunes is what ships."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from domain import services
from domain.commands import (
    AddCouponCodes,
    AnswerTask,
    CancelRedemption,
    ClaimQuestReward,
    FulfillRedemption,
    OfferTask,
    RecordActivity,
    RedeemReward,
    RegisterMember,
    Restock,
    ReverseActivity,
    ReviewMember,
    ReviewTask,
    StartQuest,
    SubmitTask,
)
from domain.economy import Economy
from domain.errors import DomainError
from domain.ports import UnitOfWork
from simulation.campaigns_program import replay_campaigns
from simulation.engine import LogEntry
from simulation.friends_program import replay_friends
from simulation.membership_program import replay_membership
from simulation.referrals_program import SIM_REFERRAL_KEY, replay_referrals
from simulation.roles_program import replay_roles

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True, slots=True)
class MemberState:
    available: int
    reserved: int
    lifetime_earned: int
    level_id: str
    koc_tier: str | None
    honors: tuple[tuple[str, str | None], ...]  # active (honor, tier), sorted


@dataclass(frozen=True, slots=True)
class FinalState:
    members: dict[str, MemberState]
    stock: dict[str, int | None]


def replay(log: Sequence[LogEntry], uow: UowFactory, economy: Economy) -> None:
    """Issue the logged commands, in order, through the services over `uow`.

    Redemption ids are the store's own, so later fulfilments and cancellations are
    mapped from the simulated run's ids to the replay's."""
    redemption_ids: dict[str, str] = {}
    assignment_ids: dict[str, str] = {}
    activity_ids: dict[str, str] = {}  # a purchase's idempotency key -> the replay's id
    for kind, payload in log:
        if kind == "sync_rewards":
            services.sync_rewards(uow(), economy)
        elif kind == "add_codes":
            assert isinstance(payload, AddCouponCodes)
            services.add_coupon_codes(payload, uow(), economy)
        elif kind == "register":
            assert isinstance(payload, RegisterMember)
            services.register_member(payload, uow(), economy, SIM_REFERRAL_KEY)
        elif kind == "activities":
            batch: list[RecordActivity] = list(payload)
            outcomes = services.record_activities(batch, uow(), economy)
            for cmd, outcome in zip(batch, outcomes, strict=True):
                if cmd.kind == economy.spend_kind and isinstance(outcome, services.ActivityResult):
                    activity_ids[cmd.idempotency_key] = outcome.record.id
        elif kind == "refund":
            refund, key = payload
            assert isinstance(refund, ReverseActivity)
            services.reverse_activity(
                replace(refund, activity_id=activity_ids[key]), uow(), economy
            )
        elif kind == "redeem":
            cmd, simulated_id = payload
            assert isinstance(cmd, RedeemReward)
            try:
                result = services.redeem_reward(cmd, uow(), economy)
            except DomainError:
                continue
            if simulated_id is not None:
                redemption_ids[simulated_id] = result.redemption.id
        elif kind in ("fulfil", "cancel"):
            assert isinstance(payload, FulfillRedemption | CancelRedemption)
            mapped = redemption_ids[payload.redemption_id]
            if isinstance(payload, FulfillRedemption):
                fulfil = FulfillRedemption(mapped, payload.actor, payload.at, payload.note)
                try:
                    services.fulfill_redemption(fulfil, uow(), economy)
                except DomainError:
                    continue
            else:
                cancel = CancelRedemption(
                    mapped, payload.actor, payload.at, payload.reason, payload.member_id
                )
                services.cancel_redemption(cancel, uow(), economy)
        elif kind in ("start_quest", "claim_quest"):
            assert isinstance(payload, StartQuest | ClaimQuestReward)
            try:
                if isinstance(payload, StartQuest):
                    services.start_quest(payload, uow(), economy)
                else:
                    services.claim_quest_reward(payload, uow(), economy)
            except DomainError:
                continue
        elif replay_program(kind, payload, uow, economy, assignment_ids):
            continue
        elif kind == "review":
            assert isinstance(payload, ReviewMember)
            services.review_member(payload, uow(), economy)
        elif kind == "restock":
            assert isinstance(payload, Restock)
            services.restock(payload, uow(), economy)
        else:
            raise AssertionError(f"unknown log entry {kind!r}")


def replay_program(
    kind: str, payload: Any, uow: UowFactory, economy: Economy, assignment_ids: dict[str, str]
) -> bool:
    """Replay one task, contest or season entry (True if `kind` is one). Assignment ids
    are the store's own: later steps are mapped from the simulated run's ids."""
    if kind == "offer_task":
        cmd, simulated = payload
        assert isinstance(cmd, OfferTask)
        offered = services.offer_task(cmd, uow(), economy)
        assignment_ids.update(zip(simulated, (a.id for a in offered), strict=True))
    elif kind == "answer_task":
        assert isinstance(payload, AnswerTask)
        mapped = replace(payload, assignment_id=assignment_ids[payload.assignment_id])
        services.answer_task(mapped, uow(), economy)
    elif kind == "submit_task":
        assert isinstance(payload, SubmitTask)
        submitted = replace(payload, assignment_id=assignment_ids[payload.assignment_id])
        services.submit_task(submitted, uow(), economy)
    elif kind == "review_task":
        assert isinstance(payload, ReviewTask)
        reviewed = replace(payload, assignment_id=assignment_ids[payload.assignment_id])
        services.review_task(reviewed, uow(), economy)
    elif kind == "settle":
        assert isinstance(payload, datetime)
        services.settle_contests(uow, economy, payload)
        services.snapshot_seasons(uow, economy, payload)
    elif (
        replay_membership(kind, payload, uow, economy)
        or replay_referrals(kind, payload, uow, economy)
        or replay_campaigns(kind, payload, uow, economy)
    ):
        pass
    else:
        return replay_roles(kind, payload, uow, economy, assignment_ids) or replay_friends(
            kind, payload, uow, economy, assignment_ids
        )
    return True


def final_state(member_ids: Sequence[str], uow: UowFactory, economy: Economy) -> FinalState:
    """What a member and the shelf look like at the end, read through the services."""
    members: dict[str, MemberState] = {}
    for member_id in member_ids:
        member = services.get_member(member_id, uow())
        points = services.balances(member_id, uow())
        honors = tuple(
            sorted(
                ((a.honor_id, a.tier) for a in services.honors_of(member_id, uow()) if a.active),
                key=lambda pair: (pair[0], pair[1] or ""),
            )
        )
        members[member_id] = MemberState(
            points.available,
            points.reserved,
            points.lifetime_earned,
            member.level_id,
            member.koc_tier,
            honors,
        )
    stock: dict[str, int | None] = {}
    for reward in economy.rewards:
        with uow() as unit:
            stock[reward.id] = unit.stock.remaining(reward.id)
    return FinalState(members, stock)
