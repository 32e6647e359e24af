"""The population model: who the synthetic members are and how they behave.

A designer edits a TOML file (`simulation/populations/default.toml` ships, every default
explained in docs/simulation.md); `parse_population(data, source)` turns its parsed data
into frozen, validated parameters or raises `PopulationInvalid` naming every bad field.
Units are in the names: `*_days`, `*_per_day` (a hazard or a probability per day),
`*_per_visit` (expected count on a day the member visits).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from domain.economy import Economy

members_max = 10_000_000
days_max = 3_660
replications_max = 1_000
archetypes_max = 32
rate_per_visit_max = 1_000.0

RedeemStyle = Literal["never", "at_once", "goal"]
REDEEM_STYLES: tuple[RedeemStyle, ...] = ("never", "at_once", "goal")
SubjectMode = Literal["none", "note", "unique", "pool"]
SUBJECT_MODES: tuple[SubjectMode, ...] = ("none", "note", "unique", "pool")
Distribution = Literal["constant", "bernoulli", "lognormal", "uniform"]
DISTRIBUTIONS: tuple[Distribution, ...] = ("constant", "bernoulli", "lognormal", "uniform")


class PopulationInvalid(ValueError):
    """The population file cannot be used; `issues` names each bad field."""

    def __init__(self, source: str, issues: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(issues))
        self.source = source
        self.issues = issues


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """How one numeric attribute of an activity is drawn (rounded to an int)."""

    dist: Distribution
    value: float = 0.0  # constant
    p: float = 0.0  # bernoulli: 1 with probability p, else 0
    median: float = 1.0  # lognormal
    sigma: float = 0.0  # lognormal
    low: float = 0.0  # uniform
    high: float = 0.0  # uniform


@dataclass(frozen=True, slots=True)
class KindSpec:
    """What the simulator must attach to an activity kind: its subject and attributes."""

    kind: str
    subject: SubjectMode = "none"
    pool_size: int = 1  # "pool": members act on one of this many shared subjects
    attributes: tuple[tuple[str, AttributeSpec], ...] = ()


@dataclass(frozen=True, slots=True)
class Archetype:
    id: str
    share: float
    visit_probability_per_day: float
    novelty_boost: float  # extra visit probability, relative, at day 0 of membership
    churn_per_day: float  # base hazard
    rates_per_visit: tuple[tuple[str, float], ...]
    redeem: RedeemStyle
    goal_tier: str | None
    redeem_probability_per_visit: float
    interactions_median: float  # content performance: lognormal interactions per note
    interactions_sigma: float
    quest_uptake_per_visit: float = 0.0  # chance a visitor joins an open opt-in quest
    task_accept: float = 0.0  # chance an offered task is accepted (0: never offered one)
    task_submit: float = 0.0  # chance an accepted task is submitted before it is due
    role_interest: float = 0.0  # chance per review an eligible member steps forward for a role
    campaign_interest: float = 0.0  # chance per review a member applies to an open campaign
    friend_start: float = 0.0  # chance per visit to start a team or help quest instance
    friend_join: float = 0.0  # chance per visit to join a friend's team or help an instance
    paid_tier_uptake: float = 0.0  # chance per visit a member without a paid tier buys one
    renew_probability: float = 0.0  # chance a paid member renews a period ending soon
    refund_probability: float = 0.0  # chance a counted purchase is refunded in its return window
    # Attributes drawn differently for this archetype, by kind (a big spender's order
    # amounts): (kind, ((attribute, spec), ...)); the others come from [kinds].
    attributes: tuple[tuple[str, tuple[tuple[str, AttributeSpec], ...]], ...] = ()
    invite_per_visit: float = 0.0  # chance per visit of bringing a friend with one's code
    invitee: str | None = None  # the archetype of those friends (None: drawn by the shares)

    def attributes_of(self, kind: str) -> tuple[tuple[str, AttributeSpec], ...]:
        return next((specs for k, specs in self.attributes if k == kind), ())


@dataclass(frozen=True, slots=True)
class Notes:
    metrics_kind: str | None
    attribute: str
    measure_after_days: int
    featured_kind: str | None
    featured_at_interactions: int


@dataclass(frozen=True, slots=True)
class Churn:
    novelty_days: float
    novelty_shield: float  # hazard reduction (relative) at day 0, fading with novelty_days
    recognition_factor: float  # hazard multiplier per level-up or honor
    recognition_floor: float
    inactivity_weight_per_week: float  # relative hazard rise per week without a visit
    inactivity_weeks_max: float
    goal_patience_days: float
    unreachable_factor: float


@dataclass(frozen=True, slots=True)
class Restock:
    reward: str
    every_days: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Operations:
    fulfil_after_days: int
    fulfilment_failure: float
    review_every_days: int
    restocks: tuple[Restock, ...]
    task_offer_every_days: int = 30  # an operator offers each task this often
    task_offers_max: int = 20  # members offered each task per round
    task_approval: float = 0.8  # chance a reviewer approves a submission
    held_referral_confirm: float = 0.2  # chance an operator confirms a held referral reward
    campaign_confirm: float = 0.85  # chance a member given a campaign place confirms it
    campaign_decline: float = 0.05  # chance they decline it (otherwise it lapses)


@dataclass(frozen=True, slots=True)
class Population:
    source: str
    members: int
    daily_arrivals: float  # new members per day, as a share of the initial size
    start_date: date
    days: int
    archetypes: tuple[Archetype, ...]
    kinds: tuple[KindSpec, ...]
    notes: Notes
    churn: Churn
    operations: Operations
    assertions: tuple[str, ...]

    def kind(self, kind: str) -> KindSpec:
        return next((k for k in self.kinds if k.kind == kind), KindSpec(kind))


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.issues.append(f"[{where}] {message}")

    def table(self, data: Mapping[str, Any], where: str, key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problem(f"{where}.{key}".strip("."), "must be a table")
            return {}
        return value

    def known(self, data: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.problem(f"{where}.{key}".strip("."), f"unknown field (expected: {hint})")

    def number(
        self,
        data: Mapping[str, Any],
        where: str,
        key: str,
        default: float | None,
        low: float = 0.0,
        high: float = math.inf,
    ) -> float:
        value = data.get(key, default)
        if value is None:
            self.problem(f"{where}.{key}", "is required")
            return low
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(f"{where}.{key}", f"must be a number, got {value!r}")
            return low
        if not low <= value <= high:
            self.problem(f"{where}.{key}", f"must be between {low:g} and {high:g}, got {value}")
            return low
        return float(value)

    def integer(
        self, data: Mapping[str, Any], where: str, key: str, default: int, low: int, high: int
    ) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(f"{where}.{key}", f"must be a whole number from {low} to {high}")
            return low
        return value

    def string(self, data: Mapping[str, Any], where: str, key: str, default: str | None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            self.problem(f"{where}.{key}", "must be a string")
            return ""
        return value


def _attribute(r: _Reader, where: str, raw: Any) -> AttributeSpec:
    if not isinstance(raw, dict):
        r.problem(where, "must be a table like { dist = 'bernoulli', p = 0.5 }")
        return AttributeSpec("constant")
    dist = raw.get("dist")
    if dist not in DISTRIBUTIONS:
        r.problem(f"{where}.dist", f"must be one of {', '.join(DISTRIBUTIONS)}")
        return AttributeSpec("constant")
    r.known(raw, where, {"dist", "value", "p", "median", "sigma", "low", "high"})
    if dist == "constant":
        return AttributeSpec("constant", value=r.number(raw, where, "value", None, -1e12, 1e12))
    if dist == "bernoulli":
        return AttributeSpec("bernoulli", p=r.number(raw, where, "p", None, 0.0, 1.0))
    if dist == "lognormal":
        return AttributeSpec(
            "lognormal",
            median=r.number(raw, where, "median", None, 1e-9, 1e12),
            sigma=r.number(raw, where, "sigma", None, 0.0, 10.0),
        )
    low = r.number(raw, where, "low", None, -1e12, 1e12)
    high = r.number(raw, where, "high", None, -1e12, 1e12)
    if high < low:
        r.problem(f"{where}.high", "must not be below low")
    return AttributeSpec("uniform", low=low, high=high)


def _kinds(r: _Reader, data: dict[str, Any]) -> tuple[KindSpec, ...]:
    out: list[KindSpec] = []
    for kind, raw in data.items():
        where = f"kinds.{kind}"
        if not isinstance(raw, dict):
            r.problem(where, "must be a table")
            continue
        r.known(raw, where, {"subject", "pool_size", "attributes"})
        subject = raw.get("subject", "none")
        if subject not in SUBJECT_MODES:
            r.problem(f"{where}.subject", f"must be one of {', '.join(SUBJECT_MODES)}")
            subject = "none"
        attrs = r.table(raw, where, "attributes")
        out.append(
            KindSpec(
                kind,
                subject,
                r.integer(raw, where, "pool_size", 1000, 1, 100_000_000),
                tuple(
                    (name, _attribute(r, f"{where}.attributes.{name}", spec))
                    for name, spec in attrs.items()
                ),
            )
        )
    return tuple(out)


ARCHETYPE_FIELDS = {
    "share",
    "visit_probability_per_day",
    "novelty_boost",
    "churn_per_day",
    "rates_per_visit",
    "redeem",
    "goal_tier",
    "redeem_probability_per_visit",
    "interactions",
    "quest_uptake_per_visit",
    "task_accept",
    "task_submit",
    "role_interest",
    "campaign_interest",
    "friend_start",
    "friend_join",
    "paid_tier_uptake",
    "renew_probability",
    "refund_probability",
    "attributes",
    "invite_per_visit",
    "invitee",
}


def _archetype_attributes(
    r: _Reader, where: str, data: dict[str, Any], rate_kinds: set[str]
) -> tuple[tuple[str, tuple[tuple[str, AttributeSpec], ...]], ...]:
    """`attributes = { purchase = { amount = { dist = "lognormal", ... } } }`."""
    out: list[tuple[str, tuple[tuple[str, AttributeSpec], ...]]] = []
    for kind, specs in data.items():
        at = f"{where}.attributes.{kind}"
        if kind not in rate_kinds:
            r.problem(at, f"the archetype has no rates_per_visit for {kind!r}")
        if not isinstance(specs, dict):
            r.problem(at, "must be a table of attributes like { amount = { dist = ... } }")
            continue
        out.append((kind, tuple((n, _attribute(r, f"{at}.{n}", v)) for n, v in specs.items())))
    return tuple(out)


def _archetypes(r: _Reader, data: dict[str, Any]) -> tuple[Archetype, ...]:
    if not data:
        r.problem("archetypes", "at least one archetype is required")
    if len(data) > archetypes_max:
        r.problem("archetypes", f"at most {archetypes_max} archetypes")
    out: list[Archetype] = []
    for arch_id, raw in data.items():
        where = f"archetypes.{arch_id}"
        if not isinstance(raw, dict):
            r.problem(where, "must be a table")
            continue
        r.known(raw, where, ARCHETYPE_FIELDS)
        rates = r.table(raw, where, "rates_per_visit")
        rate_items = tuple(
            (kind, r.number(rates, f"{where}.rates_per_visit", kind, None, 0.0, rate_per_visit_max))
            for kind in rates
        )
        redeem = raw.get("redeem", "never")
        if redeem not in REDEEM_STYLES:
            r.problem(f"{where}.redeem", f"must be one of {', '.join(REDEEM_STYLES)}")
            redeem = "never"
        goal_tier = raw.get("goal_tier")
        if redeem == "goal" and not isinstance(goal_tier, str):
            r.problem(f"{where}.goal_tier", "a goal saver needs the reward tier it saves for")
        content = r.table(raw, where, "interactions")
        r.known(content, f"{where}.interactions", {"median", "sigma"})
        out.append(
            Archetype(
                id=arch_id,
                share=r.number(raw, where, "share", None, 0.0, 1.0),
                visit_probability_per_day=r.number(
                    raw, where, "visit_probability_per_day", None, 0.0, 1.0
                ),
                novelty_boost=r.number(raw, where, "novelty_boost", 0.0, 0.0, 100.0),
                churn_per_day=r.number(raw, where, "churn_per_day", 0.0, 0.0, 1.0),
                rates_per_visit=rate_items,
                redeem=redeem,
                goal_tier=goal_tier if isinstance(goal_tier, str) else None,
                redeem_probability_per_visit=r.number(
                    raw, where, "redeem_probability_per_visit", 1.0, 0.0, 1.0
                ),
                interactions_median=r.number(
                    content, f"{where}.interactions", "median", 10.0, 1e-6, 1e9
                ),
                interactions_sigma=r.number(
                    content, f"{where}.interactions", "sigma", 1.0, 0.0, 10.0
                ),
                quest_uptake_per_visit=r.number(
                    raw, where, "quest_uptake_per_visit", 0.0, 0.0, 1.0
                ),
                task_accept=r.number(raw, where, "task_accept", 0.0, 0.0, 1.0),
                task_submit=r.number(raw, where, "task_submit", 0.0, 0.0, 1.0),
                role_interest=r.number(raw, where, "role_interest", 0.0, 0.0, 1.0),
                campaign_interest=r.number(raw, where, "campaign_interest", 0.0, 0.0, 1.0),
                friend_start=r.number(raw, where, "friend_start", 0.0, 0.0, 1.0),
                friend_join=r.number(raw, where, "friend_join", 0.0, 0.0, 1.0),
                paid_tier_uptake=r.number(raw, where, "paid_tier_uptake", 0.0, 0.0, 1.0),
                renew_probability=r.number(raw, where, "renew_probability", 0.0, 0.0, 1.0),
                refund_probability=r.number(raw, where, "refund_probability", 0.0, 0.0, 1.0),
                attributes=_archetype_attributes(
                    r, where, r.table(raw, where, "attributes"), {k for k, _ in rate_items}
                ),
                invite_per_visit=r.number(raw, where, "invite_per_visit", 0.0, 0.0, 1.0),
                invitee=_invitee(r, raw, where, data),
            )
        )
    total = sum(a.share for a in out)
    if out and abs(total - 1.0) > 1e-6:
        r.problem("archetypes", f"shares must add up to 1, they add up to {total:.6g}")
    return tuple(out)


def _invitee(r: _Reader, raw: dict[str, Any], where: str, data: dict[str, Any]) -> str | None:
    invitee = raw.get("invitee")
    if invitee is None:
        return None
    if not isinstance(invitee, str) or invitee not in data:
        r.problem(f"{where}.invitee", f"must name an archetype, got {invitee!r}")
        return None
    return invitee


TOP_LEVEL = {"population", "archetypes", "kinds", "notes", "churn", "operations", "assertions"}


def parse_population(data: Mapping[str, Any], source: str = "<population>") -> Population:
    """Validate parsed TOML data into a `Population`; raise `PopulationInvalid` otherwise."""
    r = _Reader(source)
    r.known(data, "", TOP_LEVEL)
    head = r.table(data, "", "population")
    r.known(head, "population", {"members", "daily_arrivals", "start_date", "days"})
    start = head.get("start_date", date(2027, 1, 1))
    if not isinstance(start, date):
        r.problem("population.start_date", "must be a date like 2027-01-01")
        start = date(2027, 1, 1)
    notes = r.table(data, "", "notes")
    r.known(
        notes,
        "notes",
        {
            "metrics_kind",
            "attribute",
            "measure_after_days",
            "featured_kind",
            "featured_at_interactions",
        },
    )
    churn = r.table(data, "", "churn")
    r.known(
        churn,
        "churn",
        {
            "novelty_days",
            "novelty_shield",
            "recognition_factor",
            "recognition_floor",
            "inactivity_weight_per_week",
            "inactivity_weeks_max",
            "goal_patience_days",
            "unreachable_factor",
        },
    )
    ops = r.table(data, "", "operations")
    r.known(
        ops,
        "operations",
        {
            "fulfil_after_days",
            "fulfilment_failure",
            "review_every_days",
            "restocks",
            "task_offer_every_days",
            "task_offers_max",
            "task_approval",
            "held_referral_confirm",
            "campaign_confirm",
            "campaign_decline",
        },
    )
    restocks: list[Restock] = []
    raw_restocks = ops.get("restocks", [])
    for i, item in enumerate(raw_restocks if isinstance(raw_restocks, list) else []):
        where = f"operations.restocks[{i}]"
        if not isinstance(item, dict):
            r.problem(where, "must be a table")
            continue
        r.known(item, where, {"reward", "every_days", "quantity"})
        restocks.append(
            Restock(
                r.string(item, where, "reward", None),
                r.integer(item, where, "every_days", 30, 1, days_max),
                r.integer(item, where, "quantity", 1, 1, 1_000_000),
            )
        )
    assertions = data.get("assertions", [])
    if not isinstance(assertions, list) or not all(isinstance(a, str) for a in assertions):
        r.problem("assertions", "must be a list of strings")
        assertions = []
    metrics_kind = notes.get("metrics_kind")
    featured_kind = notes.get("featured_kind")
    population = Population(
        source=source,
        members=r.integer(head, "population", "members", 10_000, 1, members_max),
        daily_arrivals=r.number(head, "population", "daily_arrivals", 0.0, 0.0, 1.0),
        start_date=start,
        days=r.integer(head, "population", "days", 365, 1, days_max),
        archetypes=_archetypes(r, r.table(data, "", "archetypes")),
        kinds=_kinds(r, r.table(data, "", "kinds")),
        notes=Notes(
            metrics_kind=metrics_kind if isinstance(metrics_kind, str) else None,
            attribute=r.string(notes, "notes", "attribute", "interactions"),
            measure_after_days=r.integer(notes, "notes", "measure_after_days", 3, 1, 365),
            featured_kind=featured_kind if isinstance(featured_kind, str) else None,
            featured_at_interactions=r.integer(
                notes, "notes", "featured_at_interactions", 500, 1, 10**12
            ),
        ),
        churn=Churn(
            novelty_days=r.number(churn, "churn", "novelty_days", 21.0, 1e-3, 3660.0),
            novelty_shield=r.number(churn, "churn", "novelty_shield", 0.0, 0.0, 1.0),
            recognition_factor=r.number(churn, "churn", "recognition_factor", 1.0, 0.0, 1.0),
            recognition_floor=r.number(churn, "churn", "recognition_floor", 0.0, 0.0, 1.0),
            inactivity_weight_per_week=r.number(
                churn, "churn", "inactivity_weight_per_week", 0.0, 0.0, 100.0
            ),
            inactivity_weeks_max=r.number(churn, "churn", "inactivity_weeks_max", 8.0, 0.0, 520.0),
            goal_patience_days=r.number(churn, "churn", "goal_patience_days", 365.0, 1.0, 1e6),
            unreachable_factor=r.number(churn, "churn", "unreachable_factor", 1.0, 0.0, 100.0),
        ),
        operations=Operations(
            fulfil_after_days=r.integer(ops, "operations", "fulfil_after_days", 2, 0, 365),
            fulfilment_failure=r.number(ops, "operations", "fulfilment_failure", 0.0, 0.0, 1.0),
            review_every_days=r.integer(ops, "operations", "review_every_days", 7, 1, 365),
            restocks=tuple(restocks),
            task_offer_every_days=r.integer(ops, "operations", "task_offer_every_days", 30, 1, 365),
            task_offers_max=r.integer(ops, "operations", "task_offers_max", 20, 1, 100),
            task_approval=r.number(ops, "operations", "task_approval", 0.8, 0.0, 1.0),
            held_referral_confirm=r.number(
                ops, "operations", "held_referral_confirm", 0.2, 0.0, 1.0
            ),
            campaign_confirm=r.number(ops, "operations", "campaign_confirm", 0.85, 0.0, 1.0),
            campaign_decline=r.number(ops, "operations", "campaign_decline", 0.05, 0.0, 1.0),
        ),
        assertions=tuple(assertions),
    )
    if r.issues:
        raise PopulationInvalid(source, r.issues)
    return population


def check_against(population: Population, economy: Economy) -> None:
    """The population must only produce activities and goals the economy knows."""
    issues: list[str] = []
    kinds = set(economy.activity_kinds)
    tiers = {t.id for t in economy.reward_tiers}
    for arch in population.archetypes:
        for kind, _ in arch.rates_per_visit:
            if kind not in kinds:
                issues.append(
                    f"[archetypes.{arch.id}.rates_per_visit.{kind}] the economy has no "
                    f"activity kind {kind!r} (known: {', '.join(sorted(kinds))})"
                )
        if arch.goal_tier is not None and arch.goal_tier not in tiers:
            issues.append(
                f"[archetypes.{arch.id}.goal_tier] unknown reward tier {arch.goal_tier!r}"
            )
    named: tuple[tuple[str, str | None], ...] = (
        ("metrics_kind", population.notes.metrics_kind),
        ("featured_kind", population.notes.featured_kind),
    )
    for name, named_kind in named:
        if named_kind is not None and named_kind not in kinds:
            issues.append(f"[notes.{name}] the economy has no activity kind {named_kind!r}")
    for i, restock in enumerate(population.operations.restocks):
        reward = economy.reward(restock.reward)
        if reward is None or reward.stock is None:
            issues.append(
                f"[operations.restocks[{i}].reward] {restock.reward!r} is not a reward "
                "with finite stock"
            )
    if issues:
        raise PopulationInvalid(population.source, issues)
