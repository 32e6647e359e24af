"""Reward eligibility: availability windows and level gates."""

from __future__ import annotations

from datetime import datetime

from domain import levels
from domain.economy import Economy, Reward
from domain.errors import NotEligible, RewardUnavailable
from domain.model import Member


def check_eligible(economy: Economy, reward: Reward, member: Member, at: datetime) -> None:
    if reward.available_from is not None and at < reward.available_from:
        raise RewardUnavailable(reward.id, f"opens at {reward.available_from.isoformat()}")
    if reward.available_until is not None and at >= reward.available_until:
        raise RewardUnavailable(reward.id, f"closed at {reward.available_until.isoformat()}")
    if reward.min_level is not None:
        gate = economy.level(reward.min_level)
        current = levels.current_level(economy, member)
        assert gate is not None
        if current.rank < gate.rank:
            raise NotEligible(
                f"reward {reward.id!r} needs level {gate.title!r} (you are {current.title!r})",
                gate.id,
            )
