"""The economy model: frozen, validated objects for rules, limits, levels, KOC tiers,
honors and rewards, with the lookups the hot path needs derived once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo

from domain.referrals import ReferralProgram

if TYPE_CHECKING:
    from domain.model import Member

Period = Literal["day", "week", "month", "lifetime"]
PERIODS: tuple[Period, ...] = ("day", "week", "month", "lifetime")
Operator = Literal[">=", ">", "<=", "<", "==", "!="]
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
FULFILMENTS = ("shipping", "coupon_code", "digital", "manual")
HONOR_TRIGGERS = ("activity_count", "streak", "viral_note", "level_reached")
points_max = 1_000_000_000  # what one rule may pay for one activity, and any point setting
attribute_value_max = 1_000_000_000  # every attribute is a whole number in 0..this
clock_skew_seconds_max = 3_600
pending_days_max = 366  # a rule's points wait at most a year before they are confirmed
late_arrival_days_max = 31  # bounds the counters kept per rule (one per day of look-back)
rules_max = 500
levels_max = 50


@dataclass(frozen=True, slots=True)
class Condition:
    attribute: str
    operator: str
    value: float

    def holds(self, attributes: Mapping[str, float]) -> bool:
        actual = attributes.get(self.attribute)
        if actual is None:
            return False
        return OPERATORS[self.operator](actual, self.value)

    def __str__(self) -> str:
        value = int(self.value) if self.value == int(self.value) else self.value
        return f"{self.attribute} {self.operator} {value}"


@dataclass(frozen=True, slots=True)
class Limit:
    period: Period
    max_count: int | None = None
    max_points: int | None = None


@dataclass(frozen=True, slots=True)
class PerUnit:
    """Points per whole unit of an attribute: floor(value / size) * points, capped."""

    attribute: str
    size: int
    points: int
    max_units: int | None = None

    def points_for(self, attributes: Mapping[str, float]) -> int:
        units = int(attributes.get(self.attribute, 0) // self.size)
        if self.max_units is not None:
            units = min(units, self.max_units)
        return max(units, 0) * self.points


@dataclass(frozen=True, slots=True)
class Streak:
    """Consecutive local days on which the rule awarded; bonus grows then stops at max."""

    bonus_per_day: int = 0
    max_bonus: int = 0
    milestones: tuple[tuple[int, int], ...] = ()  # (day of streak, one-off bonus)

    def bonus_for(self, length: int) -> int:
        growing = min((length - 1) * self.bonus_per_day, self.max_bonus)
        for day, points in self.milestones:
            if day == length:
                growing += points
        return growing


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    description: str
    kind: str
    points: int
    conditions: tuple[Condition, ...] = ()
    per_unit: PerUnit | None = None
    limits: tuple[Limit, ...] = ()
    once_per_subject: bool = False
    cooldown_seconds: int = 0
    exempt_from_daily_cap: bool = False
    group: str = ""
    streak: Streak | None = None
    pending_days: int = 0  # > 0: its points wait in the pending bucket this many days

    def matches(self, kind: str, attributes: Mapping[str, float]) -> bool:
        if kind != self.kind:
            return False
        if not self.conditions:  # most rules: no generator to build
            return True
        return all(c.holds(attributes) for c in self.conditions)

    def base_points(self, attributes: Mapping[str, float]) -> int:
        extra = self.per_unit.points_for(attributes) if self.per_unit else 0
        return self.points + extra


@dataclass(frozen=True, slots=True)
class Level:
    id: str
    rank: int
    title: str
    threshold: int
    keep: int
    privileges: tuple[str, ...]
    name_colour: str | None
    hall_of_fame: bool
    # Spend criteria over the review window (0: not a criterion). Spend is in the currency's
    # minor units (cents), summed from `LevelReview.purchase_kind` activities' amounts.
    spend_min: int = 0  # to reach the level
    purchases_min: int = 0  # to reach the level
    keep_spend: int = 0  # to keep it (the reader defaults it to spend_min)
    keep_purchases: int = 0  # to keep it (the reader defaults it to purchases_min)

    @property
    def by_spend(self) -> bool:
        """Whether the level has a spend or purchase-count criterion (to reach or keep)."""
        return bool(self.spend_min or self.purchases_min or self.keep_spend or self.keep_purchases)


@dataclass(frozen=True, slots=True)
class LevelReview:
    window_days: int = 90
    grace_days: int = 30
    floor: str | None = None  # never demoted below this level
    purchase_kind: str = "purchase"  # the activity kind whose amount is spend
    amount_attribute: str = "amount"  # its attribute: the order's amount in minor units


@dataclass(frozen=True, slots=True)
class KocTier:
    id: str
    rank: int
    title: str
    min_notes: int = 0
    within_days: int | None = None
    viral_interactions: int | None = None
    privileges: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KocProgram:
    note_kinds: tuple[str, ...]
    metrics_kind: str
    interactions_attribute: str
    tiers: tuple[KocTier, ...]
    review_recent_notes: int = 3
    review_min_interactions: int = 100


@dataclass(frozen=True, slots=True)
class HonorTier:
    name: str
    at: int


@dataclass(frozen=True, slots=True)
class Honor:
    id: str
    title: str
    description: str
    manual: bool
    trigger: str | None = None
    kinds: tuple[str, ...] = ()
    rule: str | None = None
    level: str | None = None
    interactions: int | None = None
    tiers: tuple[HonorTier, ...] = ()
    hall_of_fame: bool = False
    max_holders: int | None = None


def viral_counter(threshold: int) -> str:
    """The activity counter (in `Progress.kind_counts`) of notes past `threshold`."""
    return f"viral:{threshold}"


@dataclass(frozen=True, slots=True)
class ActivityCount:
    """`activity_count`: how many activities of `kinds` the member has to their name."""

    kinds: tuple[str, ...]

    def value(self, member: Member) -> int:
        counts = member.progress.kind_counts
        total = 0
        for kind in self.kinds:
            total += counts.get(kind, 0)
        return total


@dataclass(frozen=True, slots=True)
class LongestStreak:
    """`streak`: the longest streak the member has had on `rule`."""

    rule: str

    def value(self, member: Member) -> int:
        return member.progress.best_streaks.get(self.rule, 0)


@dataclass(frozen=True, slots=True)
class ViralNotes:
    """`viral_note`: how many of the member's notes reached `interactions`."""

    interactions: int
    counter: str  # viral_counter(interactions), built once

    def value(self, member: Member) -> int:
        return member.progress.kind_counts.get(self.counter, 0)


@dataclass(frozen=True, slots=True)
class LevelReached:
    """`level_reached`: 1 once the member is at the level of rank `rank` or higher."""

    rank: int
    ranks: Mapping[str, int] = field(repr=False, compare=False)  # level id -> rank

    def value(self, member: Member) -> int:
        current = self.ranks.get(member.level_id)
        assert current is not None, f"member {member.id} is at unknown level {member.level_id}"
        return 1 if current >= self.rank else 0


HonorTrigger = ActivityCount | LongestStreak | ViralNotes | LevelReached
"""What an automatic honor follows; each kind values itself for a member."""


@dataclass(frozen=True, slots=True)
class HonorCheck:
    """An automatic honor prepared for checking after every activity: its trigger, and its
    tiers' `at` in ascending order."""

    honor: Honor
    thresholds: tuple[int, ...]
    trigger: HonorTrigger


@dataclass(frozen=True, slots=True)
class RewardTier:
    id: str
    rank: int
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class Reward:
    id: str
    title: str
    description: str
    tier: str
    price: int
    stock: int | None  # None: unlimited
    per_member_limit: int | None
    min_level: str | None
    available_from: datetime | None
    available_until: datetime | None
    fulfilment: str


@dataclass(frozen=True, slots=True)
class Expiry:
    after_months: int  # points earned in month M expire when month M + after_months ends


QuestKind = Literal["one_off", "daily", "weekly", "monthly"]
QUEST_KINDS: tuple[QuestKind, ...] = ("one_off", "daily", "weekly", "monthly")


@dataclass(frozen=True, slots=True)
class QuestStep:
    """`count` activities of `kind` whose attributes meet every condition."""

    kind: str
    count: int
    conditions: tuple[Condition, ...] = ()

    def matches(self, kind: str, attributes: Mapping[str, float]) -> bool:
        return kind == self.kind and all(c.holds(attributes) for c in self.conditions)


@dataclass(frozen=True, slots=True)
class QuestReward:
    points: int = 0
    honor: str | None = None  # an honor granted on completion
    coupon: str | None = None  # a coupon-code reward: one code from its pool, at no cost


@dataclass(frozen=True, slots=True)
class Quest:
    """A goal over activities. A recurring kind opens a fresh instance each local day,
    week or month inside the window; `capacity` limits completers per instance."""

    id: str
    title: str
    guideline: str
    kind: QuestKind
    steps: tuple[QuestStep, ...]
    reward: QuestReward
    starts: datetime | None = None
    ends: datetime | None = None
    ordered: bool = False
    opt_in: bool = False
    claim: bool = False  # rewards wait for claimQuestReward instead of paying at once
    capacity: int | None = None
    min_level: str | None = None
    koc_tier: str | None = None
    honor: str | None = None  # an honor the member must hold

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(step.kind for step in self.steps)


@dataclass(frozen=True, slots=True)
class Task:
    """Work an operator assigns to named members (seed 001's content tasks): paid
    `points` when approved, plus the bonus of the quality tier the reviewer picks."""

    id: str
    title: str
    guideline: str
    points: int
    bonus: tuple[tuple[str, int], ...] = ()  # (quality tier, extra points), in file order
    review: bool = True  # False: approved (and paid) on submission
    max_resubmissions: int = 0  # submissions after a rejection; then the rejection is final
    due_days: int = 7  # the due date when the offer names none

    def bonus_for(self, tier: str | None) -> int | None:
        """The tier's extra points; None for a tier the task does not declare."""
        if tier is None:
            return 0
        return next((points for name, points in self.bonus if name == tier), None)


ROLE_ENTRIES = ("application", "nomination", "appointment")


@dataclass(frozen=True, slots=True)
class Role:
    """A seat of responsibility the top of a community holds for a term (seed 000's
    honorary moderator, mentor for newcomers, advisory council)."""

    id: str
    title: str
    duties: str
    seats: int  # holders at once, across the community
    term_days: int  # a term ends by itself this many days after it starts
    entry: str  # one of ROLE_ENTRIES: how one gets in (an operator may always appoint)
    nominated_by: tuple[str, ...] = ()  # roles whose holders may nominate (nomination)
    min_level: str | None = None  # eligibility: at least this level
    honors: tuple[str, ...] = ()  # eligibility: holding each of these honors
    honor: str | None = None  # a manual honor shown while holding the role
    mentees: int = 0  # mentees per holder at once (0: not a mentor role)
    mentee_level: str | None = None  # a mentee reaching this level credits the mentor
    mentor_honor: str | None = None  # a manual honor whose tiers count credited mentees


CAMPAIGN_METHODS = ("first_come", "lottery", "ranked", "operator")


@dataclass(frozen=True, slots=True)
class Campaign:
    """An oversubscribed campaign (issue 9, seed 001's product trials): members apply in a
    window, a selection fills the places, the selected confirm, get what it gives and owe
    its task. The window is local wall-clock time in the economy's zone ("2026-12-01T09:00")."""

    id: str
    title: str
    description: str
    opens: str  # local wall-clock time, inclusive
    closes: str  # local wall-clock time, exclusive
    places: int
    method: str  # one of CAMPAIGN_METHODS
    confirm_days: int = 3  # a place not confirmed this many days after its offer lapses
    min_level: str | None = None  # eligibility: at least this level
    koc_tiers: tuple[str, ...] = ()  # eligibility: one of these KOC tiers (none: any member)
    honors: tuple[str, ...] = ()  # eligibility: every one of these honors
    cooldown_days: int = 0  # eligibility: not selected by any campaign in the last N days
    level_quotas: tuple[tuple[str, int], ...] = ()  # at most N places per level
    koc_quotas: tuple[tuple[str, int], ...] = ()  # at most N places per KOC tier
    weights: tuple[int, int, int] = (0, 0, 0)  # ranked: note interactions, approval %, level
    points: int = 0  # earned on confirming
    reward: str | None = None  # a mall reward handed at no cost on confirming
    coupon: str | None = None  # a coupon reward: one code on confirming
    task: str | None = None  # the assigned task each participant owes


ContestPeriod = Literal["once", "weekly", "monthly"]
CONTEST_PERIODS: tuple[ContestPeriod, ...] = ("once", "weekly", "monthly")
ContestMetric = Literal["points", "interactions", "count"]
CONTEST_METRICS: tuple[ContestMetric, ...] = ("points", "interactions", "count")


@dataclass(frozen=True, slots=True)
class ContestPrize:
    """What each rank from `first_rank` to `last_rank` (inclusive) wins."""

    first_rank: int
    last_rank: int
    points: int = 0
    honor: str | None = None  # a manual honor
    coupon: str | None = None  # a coupon-code reward: one code from its pool


@dataclass(frozen=True, slots=True)
class Contest:
    """A ranked competition over a window (once, or a fresh one each local week or
    month inside it). The metric: points from `rules`, interactions on notes published
    in the window, or the count of activities of `kind`."""

    id: str
    title: str
    guideline: str
    period: ContestPeriod
    metric: ContestMetric
    prizes: tuple[ContestPrize, ...]
    rules: tuple[str, ...] = ()
    kind: str | None = None
    starts: datetime | None = None
    ends: datetime | None = None
    min_level: str | None = None
    koc_tier: str | None = None

    def prize_for(self, rank: int) -> ContestPrize | None:
        return next((p for p in self.prizes if p.first_rank <= rank <= p.last_rank), None)

    @property
    def ranks_paid(self) -> int:
        return max((p.last_rank for p in self.prizes), default=0)


SeasonCadence = Literal["month", "quarter", "year"]
SEASON_CADENCES: tuple[SeasonCadence, ...] = ("month", "quarter", "year")


@dataclass(frozen=True, slots=True)
class Season:
    id: str
    title: str
    starts: datetime
    ends: datetime


@dataclass(frozen=True, slots=True)
class Seasons:
    """Named periods (`periods`), or a cadence of local months, quarters or years from
    `starts` on (`every`); a season's leaderboard and hall of fame are kept at its end."""

    every: SeasonCadence | None = None
    starts: datetime | None = None
    periods: tuple[Season, ...] = ()


@dataclass(frozen=True, slots=True)
class TeamQuest:
    """A team buy (seed 003): the starter and friends, `size` in all, within `hours` of
    the start; a full team pays each member `points`, a team short at the deadline
    nothing. A member is in at most `teams_per_member` open or filled teams of it."""

    id: str
    title: str
    size: int
    hours: int
    points: int
    teams_per_member: int = 1


@dataclass(frozen=True, slots=True)
class HelpQuest:
    """Help me bargain (seed 003): `helps` friends help within `hours`; the starter gets
    `points` (each helper `helper_points`). A friend helps one instance once, at most
    `helps_per_day` instances a local day, never their own."""

    id: str
    title: str
    helps: int
    hours: int
    points: int
    helper_points: int = 0
    helps_per_day: int = 3
    starts_per_member: int = 1  # open instances of it a member may have at once


@dataclass(frozen=True, slots=True)
class PaidTier:
    """A membership bought for a period (seed 002's Fan Deng members, seed 003's service
    provider): while active it multiplies the points of `rules` by `multiplier_percent`
    and opens `rewards` to its members."""

    id: str
    title: str
    multiplier_percent: int = 100
    rules: tuple[str, ...] = ()
    rewards: tuple[str, ...] = ()
    period_days_max: int = 366


def recorded_kinds(rules: tuple[Rule, ...], koc: KocProgram | None) -> set[str]:
    """The activity kinds something records: the rules' and the KOC program's."""
    kinds = {rule.kind for rule in rules}
    if koc is not None:
        kinds |= {*koc.note_kinds, koc.metrics_kind}
    return kinds


@dataclass(frozen=True)
class Economy:
    id: str
    name: str
    description: str
    currency: str
    timezone: ZoneInfo
    daily_cap: int | None
    rules: tuple[Rule, ...]
    levels: tuple[Level, ...]
    level_review: LevelReview
    koc: KocProgram | None
    honors: tuple[Honor, ...]
    reward_tiers: tuple[RewardTier, ...]
    rewards: tuple[Reward, ...]
    expiry: Expiry | None
    quests: tuple[Quest, ...] = ()
    clock_skew_seconds: int = 300  # how far after the request's time an activity may be dated
    late_arrival_days: int = 3  # how many local days before the request's day it may be dated
    attribute_bounds: dict[str, int] = field(default_factory=dict)  # name -> lower maximum
    tasks: tuple[Task, ...] = ()
    contests: tuple[Contest, ...] = ()
    seasons: Seasons | None = None
    roles: tuple[Role, ...] = ()
    team_quests: tuple[TeamQuest, ...] = ()
    help_quests: tuple[HelpQuest, ...] = ()
    paid_tiers: tuple[PaidTier, ...] = ()
    referrals: ReferralProgram | None = None  # issue 10: referrals and commission
    campaigns: tuple[Campaign, ...] = ()
    rules_by_kind: dict[str, tuple[Rule, ...]] = field(default_factory=dict, repr=False)
    # Lookups derived once from the fields above (the hot path reads them per activity).
    activity_kinds: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # rule id -> the once-per-subject rules of its kind and group (a subject pays once there)
    group_once_rules: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    honor_checks: tuple[HonorCheck, ...] = field(init=False, repr=False, compare=False)
    counted_kinds: frozenset[str] = field(init=False, repr=False, compare=False)
    # The purchase kind when a level has a spend criterion, else None: other kinds (and
    # every kind, in an economy of point ladders) skip spend bookkeeping entirely.
    spend_kind: str | None = field(init=False, repr=False, compare=False)
    _rules_by_id: dict[str, Rule] = field(init=False, repr=False, compare=False)
    _levels_by_id: dict[str, Level] = field(init=False, repr=False, compare=False)
    _honors_by_id: dict[str, Honor] = field(init=False, repr=False, compare=False)
    _rewards_by_id: dict[str, Reward] = field(init=False, repr=False, compare=False)
    _reward_tiers_by_id: dict[str, RewardTier] = field(init=False, repr=False, compare=False)
    _koc_tiers_by_id: dict[str, KocTier] = field(init=False, repr=False, compare=False)
    _quests_by_id: dict[str, Quest] = field(init=False, repr=False, compare=False)
    # Quests with a step of each activity kind: an activity of another kind skips them all.
    quests_by_kind: dict[str, tuple[Quest, ...]] = field(init=False, repr=False, compare=False)
    # Kinds with a rule some paid tier multiplies: only their activities read the tier.
    multiplied_kinds: frozenset[str] = field(init=False, repr=False, compare=False)
    # The contests an activity of each kind can move (in file order): others skip them all.
    contests_by_kind: dict[str, tuple[Contest, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_kind: dict[str, list[Rule]] = {}
        for rule in self.rules:
            by_kind.setdefault(rule.kind, []).append(rule)
        self.rules_by_kind.update({k: tuple(v) for k, v in by_kind.items()})
        kinds = list(self.rules_by_kind)
        if self.koc:
            kinds += [k for k in (*self.koc.note_kinds, self.koc.metrics_kind) if k not in kinds]
        if self.referrals:  # a purchase or a qualifying action is recorded even with no rule
            program = self.referrals
            kinds += [
                k for k in (program.purchase_kind, *program.qualifying_kinds) if k not in kinds
            ]
        once: dict[tuple[str, str], tuple[str, ...]] = {}
        for rule in self.rules:
            if rule.once_per_subject:
                group = (rule.kind, rule.group)
                once[group] = (*once.get(group, ()), rule.id)
        derived: dict[str, object] = {
            "activity_kinds": tuple(kinds),
            "group_once_rules": {
                r.id: once[(r.kind, r.group)] for r in self.rules if r.once_per_subject
            },
            "_rules_by_id": _first_by_id(self.rules),
            "_levels_by_id": _first_by_id(self.levels),
            "_honors_by_id": _first_by_id(self.honors),
            "_rewards_by_id": _first_by_id(self.rewards),
            "_reward_tiers_by_id": _first_by_id(self.reward_tiers),
            "_koc_tiers_by_id": _first_by_id(self.koc.tiers) if self.koc else {},
            "_quests_by_id": _first_by_id(self.quests),
            "quests_by_kind": {
                kind: tuple(q for q in self.quests if kind in q.kinds)
                for kind in sorted({k for q in self.quests for k in q.kinds})
            },
            "multiplied_kinds": frozenset(
                rule.kind
                for tier in self.paid_tiers
                if tier.multiplier_percent != 100
                for rule in self.rules
                if rule.id in tier.rules
            ),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)  # frozen: set once, here
        concerned = {c.id: self._concerned_kinds(c) for c in self.contests}
        by_contest_kind = {
            kind: tuple(c for c in self.contests if kind in concerned[c.id])
            for kind in sorted({k for kinds in concerned.values() for k in kinds})
        }
        object.__setattr__(self, "contests_by_kind", by_contest_kind)
        ranks = {level.id: level.rank for level in reversed(self.levels)}  # the first id wins
        checks = tuple(self._honor_check(h, ranks) for h in self.honors if not h.manual)
        object.__setattr__(self, "honor_checks", checks)
        counted = {
            k for c in checks if isinstance(c.trigger, ActivityCount) for k in c.trigger.kinds
        }
        object.__setattr__(self, "counted_kinds", frozenset(counted))  # activity_count kinds
        by_spend = any(level.by_spend for level in self.levels)
        spend_kind = self.level_review.purchase_kind if by_spend else None
        object.__setattr__(self, "spend_kind", spend_kind)

    def _concerned_kinds(self, contest: Contest) -> frozenset[str]:
        """The activity kinds that can move the contest's scores: its `kind` (count), its
        rules' kinds (points), or the KOC program's note and metrics kinds (interactions)."""
        if contest.metric == "count":
            return frozenset({contest.kind} if contest.kind is not None else ())
        if contest.metric == "points":
            rules = (self._rules_by_id.get(rule_id) for rule_id in contest.rules)
            return frozenset(rule.kind for rule in rules if rule is not None)
        if self.koc is None:
            return frozenset()
        return frozenset({*self.koc.note_kinds, self.koc.metrics_kind})

    def _honor_check(self, honor: Honor, level_ranks: Mapping[str, int]) -> HonorCheck:
        thresholds = tuple(sorted(t.at for t in honor.tiers)) if honor.tiers else (1,)
        return HonorCheck(honor, thresholds, _trigger(honor, level_ranks))

    def attribute_max(self, name: str) -> int:
        """The largest value attribute `name` may take (the economy may set a lower one)."""
        return self.attribute_bounds.get(name, attribute_value_max)

    def rule(self, rule_id: str) -> Rule | None:
        return self._rules_by_id.get(rule_id)

    def level(self, level_id: str) -> Level | None:
        return self._levels_by_id.get(level_id)

    def honor(self, honor_id: str) -> Honor | None:
        return self._honors_by_id.get(honor_id)

    def reward(self, reward_id: str) -> Reward | None:
        return self._rewards_by_id.get(reward_id)

    def reward_tier(self, tier_id: str) -> RewardTier | None:
        return self._reward_tiers_by_id.get(tier_id)

    def koc_tier(self, tier_id: str) -> KocTier | None:
        return self._koc_tiers_by_id.get(tier_id)

    def quest(self, quest_id: str) -> Quest | None:
        return self._quests_by_id.get(quest_id)

    def task(self, task_id: str) -> Task | None:
        return next((task for task in self.tasks if task.id == task_id), None)

    def paid_tier(self, tier_id: str) -> PaidTier | None:
        return next((tier for tier in self.paid_tiers if tier.id == tier_id), None)

    def contest(self, contest_id: str) -> Contest | None:
        return next((contest for contest in self.contests if contest.id == contest_id), None)

    def role(self, role_id: str) -> Role | None:
        return next((role for role in self.roles if role.id == role_id), None)

    def campaign(self, campaign_id: str) -> Campaign | None:
        return next((c for c in self.campaigns if c.id == campaign_id), None)

    def team_quest(self, quest_id: str) -> TeamQuest | None:
        return next((quest for quest in self.team_quests if quest.id == quest_id), None)

    def help_quest(self, quest_id: str) -> HelpQuest | None:
        return next((quest for quest in self.help_quests if quest.id == quest_id), None)


def _trigger(honor: Honor, level_ranks: Mapping[str, int]) -> HonorTrigger:
    """The typed trigger of an automatic honor (the reader has checked its fields)."""
    if honor.trigger == "activity_count":
        return ActivityCount(honor.kinds)
    if honor.trigger == "streak" and honor.rule is not None:
        return LongestStreak(honor.rule)
    if honor.trigger == "viral_note" and honor.interactions is not None:
        return ViralNotes(honor.interactions, viral_counter(honor.interactions))
    rank = level_ranks.get(honor.level or "")
    if honor.trigger == "level_reached" and rank is not None:
        return LevelReached(rank, level_ranks)
    raise AssertionError(f"honor {honor.id!r} has no usable trigger: the reader lets none through")


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_Identified)


def _first_by_id(items: tuple[_T, ...]) -> dict[str, _T]:
    """Items by id; the first one wins, as a scan in file order would find it."""
    out: dict[str, _T] = {}
    for item in items:
        out.setdefault(item.id, item)
    return out
