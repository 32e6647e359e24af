"""Use cases of paid membership: a trusted service records a purchase of a paid tier
(exactly once per idempotency key), the review records the periods that ended, and the
reads judge a tier active by date (so it ends on time even before the review ran)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from domain import idempotency
from domain import membership as dm
from domain.calendar import require_aware
from domain.economy import Economy
from domain.errors import NotEligible, NotFound
from domain.membership import Membership, MembershipOutcome, RecordMembershipPurchase
from domain.model import MembershipExpired, MembershipRenewed, MembershipStarted
from domain.ports import UnitOfWork
from domain.services._support import audit, check_key, member_for_update, remember, replayed

UowFactory = Callable[[], UnitOfWork]
expiry_page_size = 200


def record_membership_purchase(
    cmd: RecordMembershipPurchase, uow: UnitOfWork, economy: Economy
) -> MembershipOutcome:
    """Start or renew the member's paid tier. A replay of the key answers the membership
    as it stands, flagged `replayed`, and changes nothing."""
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    tier = dm.check_purchase(cmd, economy)
    with uow:
        member = member_for_update(uow, cmd.member_id)
        key_scope = idempotency.scope(cmd.caller, idempotency.RECORD_MEMBERSHIP_PURCHASE, member.id)
        current = uow.memberships.get(member.id)
        if replayed(uow, key_scope, cmd.idempotency_key, cmd) is not None:
            assert current is not None, "a remembered purchase left a membership"
            return MembershipOutcome(current, False, True)
        outcome = dm.purchased(current, cmd)
        kept = outcome.membership
        uow.memberships.save(kept)
        remember(uow, key_scope, cmd.idempotency_key, cmd, "membership", member.id)
        detail = f"{tier.id} for {cmd.period_days} days, paid {cmd.price}, until {kept.until}"
        audit(uow, cmd.caller, "record_membership_purchase", member.id, cmd.at, detail)
        if outcome.renewed:
            uow.events.append(MembershipRenewed(member.id, tier.id, kept.until, cmd.at))
        else:
            uow.events.append(MembershipStarted(member.id, tier.id, kept.until, cmd.at))
        uow.commit()
        return outcome


def expire_memberships(
    uow_factory: UowFactory, economy: Economy, as_of: datetime
) -> list[MembershipExpired]:
    """Record every paid period ended by `as_of` once (the review's part), by member."""
    require_aware(as_of, "asOf")
    expired: list[MembershipExpired] = []
    after: str | None = None
    while True:
        with uow_factory() as uow:
            page = uow.memberships.due(as_of, after, expiry_page_size)
        if not page:
            return expired
        for found in page:
            event = _expire(uow_factory, found.member_id, as_of)
            if event is not None:
                expired.append(event)
        after = page[-1].member_id


def _expire(uow_factory: UowFactory, member_id: str, as_of: datetime) -> MembershipExpired | None:
    """One member's ended period recorded, or None when it was renewed (or recorded) since
    the page was read."""
    with uow_factory() as uow:
        member_for_update(uow, member_id)
        now = uow.memberships.get(member_id)
        if now is None or not dm.due_to_expire(now, as_of):
            return None
        uow.memberships.save(replace(now, expired=True))
        event = MembershipExpired(now.member_id, now.tier_id, now.until, as_of)
        uow.events.append(event)
        uow.commit()
        return event


def membership_of(uow: UnitOfWork, member_id: str) -> Membership | None:
    """The member's current (or last) paid period, active or not."""
    with uow:
        if uow.members.get(member_id) is None:
            raise NotFound("member", member_id)
        return uow.memberships.get(member_id)


def active_paid_tier(uow: UnitOfWork, member_id: str, at: datetime) -> str | None:
    """The paid tier the member holds at `at` (judged by date), for other features."""
    require_aware(at, "at")
    return dm.active_paid_tier(membership_of(uow, member_id), at)


def check_reward_access(
    uow: UnitOfWork, economy: Economy, member_id: str, reward_id: str, at: datetime
) -> None:
    """Refuse a reward a paid tier reserves to a member not holding it at `at`."""
    if not any(reward_id in t.rewards for t in economy.paid_tiers):
        return
    tier_id = dm.active_paid_tier(uow.memberships.get(member_id), at)
    if not dm.reward_open_to(economy, tier_id, reward_id):
        holders = ", ".join(t.id for t in economy.paid_tiers if reward_id in t.rewards)
        raise NotEligible(f"reward {reward_id!r} is reserved to paid members ({holders})")
