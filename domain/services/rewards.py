"""Use cases of the points mall: redeem, fulfil, cancel, stock and coupon codes."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain import idempotency, ledger, rewards
from domain.calendar import require_aware
from domain.commands import (
    AddCouponCodes,
    CancelRedemption,
    FulfillRedemption,
    RedeemReward,
    Restock,
    quantity_max,
)
from domain.economy import Economy, Reward
from domain.errors import (
    CouponPoolEmpty,
    InsufficientPoints,
    InvalidInput,
    InvalidTransition,
    NotFound,
    OutOfStock,
    RedemptionLimitReached,
)
from domain.ledger import Source, SourceKind, Transfer, available_account
from domain.model import (
    Member,
    Redemption,
    RedemptionStatus,
    RedemptionUpdated,
)
from domain.ports import UnitOfWork
from domain.services._support import (
    audit,
    check_key,
    member_for_update,
    page_size_max,
    remember,
    replayed,
)
from domain.services.membership import check_reward_access

coupon_codes_max = 10_000


@dataclass(frozen=True, slots=True)
class RedemptionResult:
    redemption: Redemption
    replayed: bool = False


def _reward(economy: Economy, reward_id: str) -> Reward:
    reward = economy.reward(reward_id)
    if reward is None:
        raise NotFound("reward", reward_id)
    return reward


def redeem_reward(cmd: RedeemReward, uow: UnitOfWork, economy: Economy) -> RedemptionResult:
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    if not 1 <= cmd.quantity <= quantity_max:
        raise InvalidInput("quantity", f"must be between 1 and {quantity_max}")
    with uow:
        member = member_for_update(uow, cmd.member_id)
        caller = cmd.caller or idempotency.member_caller(member.id)
        key_scope = idempotency.scope(caller, idempotency.REDEEM_REWARD, member.id)
        previous = replayed(uow, key_scope, cmd.idempotency_key, cmd)
        if previous is not None:
            first = uow.redemptions.get(previous.result_id)
            assert first is not None, f"idempotency record points at missing {previous.result_id}"
            return RedemptionResult(first, replayed=True)
        reward = _reward(economy, cmd.reward_id)
        rewards.check_eligible(economy, reward, member, cmd.at)
        check_reward_access(uow, economy, member.id, reward.id, cmd.at)
        if reward.per_member_limit is not None:
            already = uow.redemptions.active_quantity(member.id, reward.id)
            if already + cmd.quantity > reward.per_member_limit:
                raise RedemptionLimitReached(reward.id, reward.per_member_limit, already)
        price = reward.price * cmd.quantity
        available = uow.ledger.balance(available_account(member.id))
        if available < price:
            raise InsufficientPoints(available, price)
        if reward.stock is not None and not uow.stock.take(reward.id, cmd.quantity):
            raise OutOfStock(reward.id, uow.stock.remaining(reward.id) or 0, cmd.quantity)
        redemption = Redemption(
            uow.next_id("red"),
            member.id,
            reward.id,
            cmd.quantity,
            price,
            RedemptionStatus.RESERVED,
            cmd.at,
            cmd.at,
        )
        hold = ledger.hold(
            uow.next_id("trf"),
            member.id,
            price,
            cmd.at,
            Source(SourceKind.REDEMPTION, redemption.id),
            redemption.id,
            reward.id,
        )
        if not uow.ledger.post(hold):
            raise InsufficientPoints(uow.ledger.balance(available_account(member.id)), price)
        uow.redemptions.add(redemption)
        remember(uow, key_scope, cmd.idempotency_key, cmd, "redemption", redemption.id)
        uow.events.append(RedemptionUpdated(member.id, redemption.id, redemption.status, cmd.at))
        uow.commit()
    return RedemptionResult(redemption)


def _redemption_for_update(uow: UnitOfWork, redemption_id: str) -> tuple[Member, Redemption]:
    found = uow.redemptions.get(redemption_id)
    if found is None:
        raise NotFound("redemption", redemption_id)
    member = member_for_update(uow, found.member_id)
    current = uow.redemptions.get(redemption_id)  # re-read under the member's lock
    assert current is not None
    return member, current


def _hold_of(uow: UnitOfWork, redemption: Redemption) -> Transfer:
    """The reserved redemption's hold, neither settled nor voided yet."""
    found = uow.ledger.open_hold(Source(SourceKind.REDEMPTION, redemption.id))
    assert found is not None, f"reserved redemption {redemption.id} has no open hold"
    return found


def fulfill_redemption(cmd: FulfillRedemption, uow: UnitOfWork, economy: Economy) -> Redemption:
    require_aware(cmd.at, "at")
    with uow:
        member, redemption = _redemption_for_update(uow, cmd.redemption_id)
        if redemption.status is RedemptionStatus.FULFILLED:
            return redemption  # fulfilling twice is the same as once
        if redemption.status is not RedemptionStatus.RESERVED:
            raise InvalidTransition("redemption", redemption.id, redemption.status.value, "fulfil")
        reward = _reward(economy, redemption.reward_id)
        code = None
        if reward.fulfilment == "coupon_code":
            code = uow.stock.claim_code(reward.id, redemption.id)
            if code is None:
                raise CouponPoolEmpty(reward.id)
        if redemption.points:  # 0: handed out at no cost (a quest's coupon)
            spend = ledger.spend(uow.next_id("trf"), _hold_of(uow, redemption), cmd.at, reward.id)
            assert uow.ledger.post(spend), "held points cover their own redemption"
            member.progress.consumed += redemption.points
        done = replace(
            redemption,
            status=RedemptionStatus.FULFILLED,
            updated_at=cmd.at,
            coupon_code=code,
            note=cmd.note,
        )
        uow.redemptions.save(done)
        uow.members.save(member)
        audit(uow, cmd.actor, "fulfill_redemption", redemption.id, cmd.at, cmd.note)
        uow.events.append(RedemptionUpdated(member.id, done.id, done.status, cmd.at))
        uow.commit()
    return done


def cancel_redemption(cmd: CancelRedemption, uow: UnitOfWork, economy: Economy) -> Redemption:
    """Cancel a reserved redemption: points go back to available, stock back on the shelf."""
    require_aware(cmd.at, "at")
    with uow:
        member, redemption = _redemption_for_update(uow, cmd.redemption_id)
        if cmd.member_id is not None and cmd.member_id != redemption.member_id:
            raise NotFound("redemption", cmd.redemption_id)  # never reveal others' data
        if redemption.status is RedemptionStatus.CANCELLED:
            return redemption
        if redemption.status is not RedemptionStatus.RESERVED:
            raise InvalidTransition("redemption", redemption.id, redemption.status.value, "cancel")
        reward = _reward(economy, redemption.reward_id)
        if redemption.points:  # 0: handed out at no cost, holding no points and no stock
            release = ledger.release(
                uow.next_id("trf"), _hold_of(uow, redemption), cmd.at, reward.id
            )
            assert uow.ledger.post(release), "held points cover their own release"
            if reward.stock is not None:
                uow.stock.put_back(reward.id, redemption.quantity)
        done = replace(
            redemption, status=RedemptionStatus.CANCELLED, updated_at=cmd.at, note=cmd.reason
        )
        uow.redemptions.save(done)
        if cmd.member_id is None:
            audit(uow, cmd.actor, "cancel_redemption", redemption.id, cmd.at, cmd.reason)
        uow.events.append(RedemptionUpdated(member.id, done.id, done.status, cmd.at))
        uow.commit()
    return done


def redemptions_for(
    member_id: str, uow: UnitOfWork, after_id: str | None = None, first: int = 20
) -> list[Redemption]:
    with uow:
        return uow.redemptions.list_for_member(
            member_id, after_id, min(max(first, 0), page_size_max)
        )


def sync_rewards(uow: UnitOfWork, economy: Economy) -> None:
    """Create stock rows for rewards the store has not seen (startup, new economy)."""
    with uow:
        for reward in economy.rewards:
            uow.stock.ensure(reward.id, reward.stock)
        uow.commit()


def restock(cmd: Restock, uow: UnitOfWork, economy: Economy) -> int | None:
    reward = _reward(economy, cmd.reward_id)
    if reward.stock is None:
        raise InvalidInput("rewardId", f"reward {reward.id!r} has unlimited stock")
    if not 1 <= cmd.quantity <= 1_000_000:
        raise InvalidInput("quantity", "must be between 1 and 1000000")
    with uow:
        uow.stock.restock(reward.id, cmd.quantity)
        audit(uow, cmd.actor, "restock", reward.id, cmd.at, f"+{cmd.quantity}")
        uow.commit()
        return uow.stock.remaining(reward.id)


def add_coupon_codes(cmd: AddCouponCodes, uow: UnitOfWork, economy: Economy) -> int:
    reward = _reward(economy, cmd.reward_id)
    if reward.fulfilment != "coupon_code":
        raise InvalidInput("rewardId", f"reward {reward.id!r} is not fulfilled with coupon codes")
    if not 0 < len(cmd.codes) <= coupon_codes_max:
        raise InvalidInput("codes", f"give 1 to {coupon_codes_max} codes")
    if any(not (0 < len(c) <= 100) for c in cmd.codes) or len(set(cmd.codes)) != len(cmd.codes):
        raise InvalidInput("codes", "codes must be unique, 1 to 100 characters each")
    with uow:
        added = uow.stock.add_codes(reward.id, cmd.codes)
        audit(uow, cmd.actor, "add_coupon_codes", reward.id, cmd.at, f"{added} codes")
        uow.commit()
    return added
