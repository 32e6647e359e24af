"""The public contribution-value guide as GraphQL types, translated from `domain.guide`
(built once per economy): rules with points and limits, the level ladder and its review,
KOC tiers, honors, reward tiers, daily cap and expiry — each with a readable summary."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import strawberry

from domain import guide as g

T = TypeVar("T")


def _mirror(cls: type[T], value: object, **overrides: Any) -> T:
    """Build the GraphQL type `cls` from the guide value with the same field names
    (tuples become lists); nested values are passed in `overrides`."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for name in names:
        if name in overrides:
            values[name] = overrides[name]
            continue
        found = getattr(value, name)
        values[name] = list(found) if isinstance(found, tuple) else found
    return cls(**values)


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
    summary: str


@strawberry.type
class PerUnitBonus:
    attribute: str
    size: int
    points: int
    max_units: int | None
    max_points: int | None
    summary: str


@strawberry.type
class StreakMilestone:
    day: int
    points: int


@strawberry.type
class StreakBonus:
    bonus_per_day: int
    max_bonus: int
    max_bonus_from_day: int | None
    milestones: list[StreakMilestone]
    summary: str


@strawberry.type(description="One public earning rule: what a contribution earns.")
class EarningRule:
    id: strawberry.ID
    title: str
    description: str
    kind: str = strawberry.field(description="The activity kind it matches.")
    group: str
    points: int
    conditions: list[str]
    per_unit: PerUnitBonus | None
    streak: StreakBonus | None
    limits: list[RuleLimit]
    cooldown_seconds: int
    once_per_subject: bool
    exempt_from_daily_cap: bool
    exclusive_with: list[str]
    max_points_per_activity: int | None
    earns: str = strawberry.field(description='In words, e.g. "50 points + 10 per 500 words".')
    restrictions: list[str]


@strawberry.type
class DailyCap:
    points: int | None
    exempt_rules: list[str]
    summary: str


@strawberry.type(description="A rung of the level ladder.")
class Level:
    id: strawberry.ID
    rank: int
    title: str
    threshold: int = strawberry.field(description="Lifetime earned points that reach it.")
    keep: int = strawberry.field(description="Points per review window to keep it (0: kept).")
    next_threshold: int | None
    privileges: list[str]
    name_colour: str | None
    hall_of_fame: bool
    spend_min: int = strawberry.field(
        description="Spend in the review window (minor units, cents) that reaches it; 0: none."
    )
    purchases_min: int = strawberry.field(
        description="Purchases in the review window that reach it; 0: none."
    )
    keep_spend: int = strawberry.field(
        description="Spend per review window (minor units) to keep it; 0: none."
    )
    keep_purchases: int = strawberry.field(
        description="Purchases per review window to keep it; 0: none."
    )
    reached_by: str = strawberry.field(description="Every criterion that reaches it, in words.")
    kept_by: str = strawberry.field(
        description="Every keep mark, in words; empty when the level is kept for good."
    )


@strawberry.type
class LevelReview:
    window_days: int
    grace_days: int
    floor: str | None
    floor_title: str | None
    summary: str


@strawberry.type
class KocTier:
    id: strawberry.ID
    rank: int
    title: str
    min_notes: int
    within_days: int | None
    viral_interactions: int | None
    privileges: list[str]
    criteria: str


@strawberry.type
class KocProgram:
    note_kinds: list[str]
    metrics_kind: str
    interactions_attribute: str
    review_recent_notes: int
    review_min_interactions: int
    tiers: list[KocTier]
    summary: str


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
    trigger: str | None
    kinds: list[str]
    rule: str | None
    level: str | None
    interactions: int | None
    tiers: list[HonorTier]
    hall_of_fame: bool
    max_holders: int | None
    criteria: str


@strawberry.type(description="A reward as the guide lists it (live stock: `rewards`).")
class GuideReward:
    id: strawberry.ID
    title: str
    description: str
    tier: str
    price: int
    stock: int | None
    per_member_limit: int | None
    min_level: str | None
    min_level_title: str | None
    available_from: datetime | None
    available_until: datetime | None
    fulfilment: str
    fulfilment_summary: str


@strawberry.type
class RewardTier:
    id: strawberry.ID
    rank: int
    title: str
    description: str
    rewards: list[GuideReward]


@strawberry.type
class Expiry:
    after_months: int
    summary: str


@strawberry.type(description="A quest as the guide lists it (the viewer's progress: `quests`).")
class GuideQuest:
    id: strawberry.ID
    title: str
    guideline: str
    kind: str
    starts: datetime | None
    ends: datetime | None
    opt_in: bool
    claim: bool
    capacity: int | None
    steps: list[str]
    reward_points: int
    reward_honor: str | None
    reward_coupon: str | None
    eligibility: str
    summary: str


@strawberry.type(description="A task as the guide lists it (offers: `taskAssignments`).")
class GuideTask:
    id: strawberry.ID
    title: str
    guideline: str
    points: int
    bonus: list[str]
    review: bool
    max_resubmissions: int
    due_days: int
    summary: str


@strawberry.type(description="A contest as the guide lists it (standings: `contest`).")
class GuideContest:
    id: strawberry.ID
    title: str
    guideline: str
    period: str
    metric: str
    starts: datetime | None
    ends: datetime | None
    prizes: list[str]
    summary: str


@strawberry.type(description="The public guide: every rule, level, tier, honor and quest.")
class EconomyGuide:
    id: strawberry.ID
    name: str
    description: str
    currency: str
    timezone: str
    calendar: str
    daily_cap: DailyCap
    rules: list[EarningRule]
    levels: list[Level]
    level_review: LevelReview
    koc: KocProgram | None
    honors: list[Honor]
    reward_tiers: list[RewardTier]
    expiry: Expiry | None
    quests: list[GuideQuest]
    tasks: list[GuideTask]
    contests: list[GuideContest]
    seasons: str | None = strawberry.field(description="How seasons run, in words.")


def level_type(level: g.GuideLevel) -> Level:
    return _mirror(Level, level)


def koc_tier_type(tier: g.GuideKocTier) -> KocTier:
    return _mirror(KocTier, tier)


def honor_type(honor: g.GuideHonor) -> Honor:
    return _mirror(Honor, honor, tiers=[_mirror(HonorTier, t) for t in honor.tiers])


def reward_tier_type(tier: g.GuideRewardTier) -> RewardTier:
    return _mirror(RewardTier, tier, rewards=[_mirror(GuideReward, r) for r in tier.rewards])


def _rule(rule: g.GuideRule) -> EarningRule:
    streak = rule.streak
    return _mirror(
        EarningRule,
        rule,
        per_unit=_mirror(PerUnitBonus, rule.per_unit) if rule.per_unit else None,
        streak=None
        if streak is None
        else _mirror(
            StreakBonus,
            streak,
            milestones=[_mirror(StreakMilestone, m) for m in streak.milestones],
        ),
        limits=[_mirror(RuleLimit, lim, period=Period(lim.period)) for lim in rule.limits],
    )


def guide_type(guide: g.Guide) -> EconomyGuide:
    """Translate the guide data into its GraphQL shape (pure: no I/O)."""
    koc = guide.koc
    return EconomyGuide(
        id=strawberry.ID(guide.economy_id),
        name=guide.name,
        description=guide.description,
        currency=guide.currency,
        timezone=guide.timezone,
        calendar=guide.calendar,
        daily_cap=_mirror(DailyCap, guide.daily_cap),
        rules=[_rule(r) for r in guide.rules],
        levels=[level_type(lv) for lv in guide.levels],
        level_review=_mirror(LevelReview, guide.level_review),
        koc=None
        if koc is None
        else _mirror(KocProgram, koc, tiers=[koc_tier_type(t) for t in koc.tiers]),
        honors=[honor_type(h) for h in guide.honors],
        reward_tiers=[reward_tier_type(t) for t in guide.reward_tiers],
        expiry=_mirror(Expiry, guide.expiry) if guide.expiry else None,
        quests=[_mirror(GuideQuest, q) for q in guide.quests],
        tasks=[_mirror(GuideTask, t) for t in guide.tasks],
        contests=[_mirror(GuideContest, c) for c in guide.contests],
        seasons=guide.seasons,
    )


class GuideIndex:
    """The guide's entries by id, for the member-side types (level, tier, honor, reward)."""

    def __init__(self, guide: g.Guide) -> None:
        self.guide = guide
        self.economy = guide_type(guide)
        self.levels = {str(lv.id): lv for lv in self.economy.levels}
        self.koc_tiers = {str(t.id): t for t in self.economy.koc.tiers} if self.economy.koc else {}
        self.honors = {str(h.id): h for h in self.economy.honors}
        self.reward_tiers = {str(t.id): t for t in self.economy.reward_tiers}

    def level(self, level_id: str) -> Level:
        found = self.levels.get(level_id)
        assert found is not None, f"unknown level {level_id}"
        return found

    def honor(self, honor_id: str) -> Honor:
        found = self.honors.get(honor_id)
        assert found is not None, f"unknown honor {honor_id}"
        return found
