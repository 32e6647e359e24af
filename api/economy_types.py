"""The public contribution-value guide as GraphQL types: rules with points and limits,
levels with thresholds and privileges, KOC tiers, honors and reward tiers."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain import economy as eco


@strawberry.enum(description="A limit's period, in the economy's time zone.")
class Period(Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    LIFETIME = "lifetime"


@strawberry.type
class RuleLimit:
    period: Period
    max_count: int | None
    max_points: int | None


@strawberry.type
class PerUnitBonus:
    attribute: str
    size: int
    points: int
    max_units: int | None


@strawberry.type
class StreakMilestone:
    day: int
    points: int


@strawberry.type
class StreakBonus:
    bonus_per_day: int
    max_bonus: int
    milestones: list[StreakMilestone]


@strawberry.type(description="One public earning rule: what a contribution earns.")
class EarningRule:
    id: strawberry.ID
    title: str
    description: str
    kind: str
    points: int
    conditions: list[str]
    per_unit: PerUnitBonus | None
    limits: list[RuleLimit]
    once_per_subject: bool
    cooldown_seconds: int
    exempt_from_daily_cap: bool
    streak: StreakBonus | None


@strawberry.type(description="A rung of the level ladder.")
class Level:
    id: strawberry.ID
    rank: int
    title: str
    threshold: int
    keep: int
    privileges: list[str]
    name_colour: str | None
    hall_of_fame: bool


@strawberry.type
class KocTier:
    id: strawberry.ID
    rank: int
    title: str
    privileges: list[str]


@strawberry.type
class HonorTier:
    name: str
    at: int


@strawberry.type
class Honor:
    id: strawberry.ID
    title: str
    description: str
    manual: bool
    tiers: list[HonorTier]
    hall_of_fame: bool
    max_holders: int | None


@strawberry.type
class RewardTier:
    id: strawberry.ID
    rank: int
    title: str
    description: str


@strawberry.type(description="The public guide: every rule, level, tier and honor.")
class EconomyGuide:
    id: strawberry.ID
    name: str
    description: str
    currency: str
    timezone: str
    daily_cap: int | None
    expiry_after_months: int | None
    rules: list[EarningRule]
    levels: list[Level]
    koc_tiers: list[KocTier]
    honors: list[Honor]
    reward_tiers: list[RewardTier]


def level_type(level: eco.Level) -> Level:
    return Level(
        id=strawberry.ID(level.id),
        rank=level.rank,
        title=level.title,
        threshold=level.threshold,
        keep=level.keep,
        privileges=list(level.privileges),
        name_colour=level.name_colour,
        hall_of_fame=level.hall_of_fame,
    )


def koc_tier_type(tier: eco.KocTier) -> KocTier:
    return KocTier(
        id=strawberry.ID(tier.id),
        rank=tier.rank,
        title=tier.title,
        privileges=list(tier.privileges),
    )


def honor_type(honor: eco.Honor) -> Honor:
    return Honor(
        id=strawberry.ID(honor.id),
        title=honor.title,
        description=honor.description,
        manual=honor.manual,
        tiers=[HonorTier(name=t.name, at=t.at) for t in honor.tiers],
        hall_of_fame=honor.hall_of_fame,
        max_holders=honor.max_holders,
    )


def reward_tier_type(tier: eco.RewardTier) -> RewardTier:
    return RewardTier(
        id=strawberry.ID(tier.id), rank=tier.rank, title=tier.title, description=tier.description
    )


def _rule(rule: eco.Rule) -> EarningRule:
    per_unit = rule.per_unit
    streak = rule.streak
    return EarningRule(
        id=strawberry.ID(rule.id),
        title=rule.title,
        description=rule.description,
        kind=rule.kind,
        points=rule.points,
        conditions=[str(c) for c in rule.conditions],
        per_unit=None
        if per_unit is None
        else PerUnitBonus(
            attribute=per_unit.attribute,
            size=per_unit.size,
            points=per_unit.points,
            max_units=per_unit.max_units,
        ),
        limits=[
            RuleLimit(period=Period(lim.period), max_count=lim.max_count, max_points=lim.max_points)
            for lim in rule.limits
        ],
        once_per_subject=rule.once_per_subject,
        cooldown_seconds=rule.cooldown_seconds,
        exempt_from_daily_cap=rule.exempt_from_daily_cap,
        streak=None
        if streak is None
        else StreakBonus(
            bonus_per_day=streak.bonus_per_day,
            max_bonus=streak.max_bonus,
            milestones=[StreakMilestone(day=d, points=p) for d, p in streak.milestones],
        ),
    )


def guide(economy: eco.Economy) -> EconomyGuide:
    """Translate the economy into the public guide (pure: no I/O)."""
    return EconomyGuide(
        id=strawberry.ID(economy.id),
        name=economy.name,
        description=economy.description,
        currency=economy.currency,
        timezone=economy.timezone.key,
        daily_cap=economy.daily_cap,
        expiry_after_months=economy.expiry.after_months if economy.expiry else None,
        rules=[_rule(r) for r in economy.rules],
        levels=[level_type(lv) for lv in economy.levels],
        koc_tiers=[koc_tier_type(t) for t in economy.koc.tiers] if economy.koc else [],
        honors=[honor_type(h) for h in economy.honors],
        reward_tiers=[reward_tier_type(t) for t in economy.reward_tiers],
    )
