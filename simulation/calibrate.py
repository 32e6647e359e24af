"""Calibrating a population from an event log, and back-testing it on held-out days.

The last `holdout_days` of the log are held out; everything is fitted on the days before
(the cut-off). Members are segmented into archetypes by k-means (scikit-learn) on their
per-member rates: the log of their share of active days and of their activities per
active day of each kind, standardised. Per archetype, pooled over its members:

- a member's **active day** is a day with at least one activity of their own (note
  metrics and featuring, which the platform reports, do not count). A visit with no
  activity leaves no trace, so with `L` the expected activities per visit (Poisson), a
  visit shows as an active day with probability `1 - exp(-L)`; `L` solves
  `L / (1 - exp(-L)) = activities per active day` (a zero-truncated Poisson mean), the
  **rates per visit** split `L` by kind, and the **visit probability** is the base share
  of active days (`c` below, once novelty and churn are accounted for) divided by
  `1 - exp(-L)`;
- **novelty**: `novelty_boost` is the relative extra visit probability at day 0, fading as
  `exp(-age / novelty_days)` (`novelty_days` from the base population), fitted with churn;
- **churn**: the hazard `h` and the novelty boost are fitted together to the active days
  by age of membership, `share(age) = c * (1 + b * exp(-age / novelty_days)) *
  exp(-h * age)` (every member counts from joining to the cut-off, so nobody has to be
  judged gone: a rare visitor's silence says little). The log cannot tell apart the base
  population's multipliers (novelty shield, recognition, inactivity, unreachable goals),
  so the calibrated population sets them neutral and the fitted hazard is the whole of it;
- **interactions** of notes: a log-normal fitted to the `notes.attribute` values of the
  `notes.metrics_kind` rows about the archetype's members (median `exp(mean log x)`,
  sigma the standard deviation of `log x`);
- **redemptions**: redemptions per estimated visit; `at_once` when any, else `never`.

Initial members are those who joined on the log's first day; `daily_arrivals` is the
later joiners per day before the cut-off over that number. Kinds, notes and operations
tables come from the base population (the shipped default unless given).

The back-test (`back_test`) replays the log up to the cut-off through `domain.services`
(`LogReplay`), starts the simulator from that store on the cut-off day with every member
in the archetype they were fitted to, at their age, kept with the chance the fitted model
gives that they are still there (`alive_probability`), and simulates only the held-out
days (docs/simulation.md, "The back-test").
"""

from __future__ import annotations

import copy
import functools
import importlib
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np

from domain import services
from domain.commands import (
    AddCouponCodes,
    FulfillRedemption,
    RecordActivity,
    RedeemReward,
    RegisterMember,
    Restock,
    ReviewMember,
    batch_size_max,
)
from domain.economy import Economy
from domain.errors import DomainError
from domain.ledger import ISSUANCE, available_account
from domain.model import Event as DomainEvent
from domain.model import LevelChanged
from persistence.memory import MemoryStore
from simulation.engine import Seeded, Simulation, Start, coupon_codes_max, member_id
from simulation.eventlog import JOINED, REDEMPTION, Event, EventLogInvalid, simulated_log
from simulation.population import Population, check_against, parse_population
from simulation.rng import replication_seeds, streams_for
from simulation.sweep import dumps

archetypes_max = 8
holdout_days_min = 1
novelty_boost_max = 10.0
hazard_max = 0.05  # per day
hazard_step = 0.0001
interactions_default = (5.0, 1.0)  # median, sigma when an archetype wrote no measured note
pace_prior_days = 2.0  # active days of prior weight on a member's own pace (back-test)


@dataclass
class _Member:
    join_day: int
    active_days: set[int] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)
    interactions: list[float] = field(default_factory=list)
    redemptions: int = 0


@dataclass(frozen=True, slots=True)
class Fit:
    """One archetype as fitted, with the evidence behind it."""

    id: str
    members: int
    share: float
    visit_probability_per_day: float
    novelty_boost: float
    churn_per_day: float
    rates_per_visit: dict[str, float]
    redeem_probability_per_visit: float
    interactions_median: float
    interactions_sigma: float


@dataclass(frozen=True, slots=True)
class Calibration:
    start: date
    days: int  # the whole log
    cutoff_day: int  # days 0 .. cutoff_day - 1 are fitted, the rest held out
    initial_members: int
    daily_arrivals: float
    fits: tuple[Fit, ...]
    population_data: dict[str, Any]  # the calibrated population file, as parsed TOML
    segments: dict[str, str] = field(default_factory=dict)  # log member id -> archetype id


def _day(event: Event, start: date) -> int:
    return (event.at.date() - start).days


def _platform_kinds(base: Mapping[str, Any]) -> set[str]:
    notes = base.get("notes", {})
    return {k for k in (notes.get("metrics_kind"), notes.get("featured_kind")) if k}


def members_until(
    events: Sequence[Event], start: date, cutoff_day: int, base: Mapping[str, Any]
) -> dict[str, _Member]:
    """Per member, what the log says of them before the cut-off."""
    platform = _platform_kinds(base)
    notes = base.get("notes", {})
    metrics_kind, attribute = notes.get("metrics_kind"), notes.get("attribute", "interactions")
    out: dict[str, _Member] = {}
    for e in events:
        day = _day(e, start)
        if day >= cutoff_day:
            break
        member = out.get(e.member_id)
        if member is None:
            member = out[e.member_id] = _Member(day)
        if e.kind == JOINED:
            member.join_day = min(member.join_day, day)
        elif e.kind == REDEMPTION:
            member.redemptions += 1
        elif e.kind == metrics_kind:
            value = e.attribute(attribute)
            if isinstance(value, int | float):
                member.interactions.append(float(value))
        elif e.kind not in platform:
            member.active_days.add(day)
            member.counts[e.kind] += 1
    return out


def visits_per_active_day(mean_count: float) -> float:
    """`L` with `L / (1 - exp(-L)) = mean_count` (zero-truncated Poisson), by bisection."""
    if mean_count <= 1.0:
        return 0.0
    low, high = 0.0, mean_count
    for _ in range(100):
        mid = (low + high) / 2
        value = mid / -math.expm1(-mid) if mid > 0 else 1.0
        low, high = (mid, high) if value < mean_count else (low, mid)
    return (low + high) / 2


def _segments(
    members: Sequence[_Member], cutoff_day: int, kinds: Sequence[str], k: int | None
) -> np.ndarray:
    """k-means labels over per-member rates (k chosen by silhouette when not given)."""
    try:
        cluster: Any = importlib.import_module("sklearn.cluster")
        metrics: Any = importlib.import_module("sklearn.metrics")
    except ImportError as error:
        raise EventLogInvalid(
            "calibrate needs scikit-learn: pip install -e '.[calibrate]'"
        ) from error
    rows = []
    for m in members:
        observed = max(cutoff_day - m.join_day, 1)
        active = max(len(m.active_days), 1)
        row = [math.log((len(m.active_days) + 0.5) / observed)]
        row += [math.log1p(m.counts[kind] / active) for kind in kinds]
        rows.append(row)
    x = np.array(rows)
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    if len(members) < 2:
        return np.zeros(len(members), int)
    candidates = [k] if k is not None else list(range(2, min(archetypes_max, len(members) - 1) + 1))
    best: tuple[float, np.ndarray] | None = None
    for wanted in candidates:
        n = min(wanted, len(members))
        labels = cluster.KMeans(n_clusters=n, n_init=10, random_state=0).fit_predict(x)
        if k is not None or len(set(labels.tolist())) < 2:
            score = 0.0
        else:
            sample = min(len(members), 5_000)
            score = float(metrics.silhouette_score(x, labels, sample_size=sample, random_state=0))
        if best is None or score > best[0]:
            best = (score, np.asarray(labels))
    assert best is not None
    return best[1]


def activity_by_age(
    group: Sequence[_Member], cutoff_day: int, novelty_days: float
) -> tuple[float, float, float]:
    """`(c, b, h)` of `active share(age) = c * (1 + b * exp(-age / novelty_days)) *
    exp(-h * age)` that best explain the members' active days by age of membership: the
    novelty boost `b` fades with the base population's `novelty_days`, the churn hazard
    `h` removes members for good. Every member counts from joining to the cut-off, so
    nobody has to be judged gone (a rare visitor's silence says little). Poisson
    likelihood on a grid (`b` by 0.05 up to `novelty_boost_max`, `h` by
    `hazard_step` up to `hazard_max`), `c` in closed form."""
    horizon = max((cutoff_day - m.join_day for m in group), default=0)
    if horizon < 1:
        return 0.0, 0.0, 0.0
    exposed = np.zeros(horizon)
    active = np.zeros(horizon)
    for m in group:
        exposed[: cutoff_day - m.join_day] += 1
        for d in m.active_days:
            active[d - m.join_day] += 1
    total = float(active.sum())
    if total == 0:
        return 0.0, 0.0, 0.0
    ages = np.arange(horizon)
    decay = np.exp(-ages / novelty_days)
    hazards = np.arange(0.0, hazard_max + 1e-12, hazard_step)
    survival = np.exp(-np.outer(hazards, ages))  # (hazards, ages)
    best = (-math.inf, 0.0, 0.0, 0.0)
    for b in np.arange(0.0, novelty_boost_max + 1e-9, 0.05):
        shape = survival * (1.0 + b * decay)  # (hazards, ages)
        weight = shape @ exposed
        c = total / weight
        ll = total * np.log(c) + np.log(shape) @ active - total
        k = int(np.argmax(ll))
        if ll[k] > best[0]:
            best = (float(ll[k]), float(c[k]), float(b), float(hazards[k]))
    return best[1], best[2], best[3]


def _fit_one(
    ident: str,
    group: Sequence[_Member],
    total: int,
    cutoff_day: int,
    novelty_days: float,
) -> Fit:
    active_days = sum(len(m.active_days) for m in group)
    counts: Counter[str] = Counter()
    for m in group:
        counts.update(m.counts)
    activities = sum(counts.values())
    lam = visits_per_active_day(activities / active_days) if active_days else 0.0
    seen = -math.expm1(-lam) if lam > 0 else 1.0  # P(a visit leaves a trace)
    base_rate, boost, hazard = activity_by_age(group, cutoff_day, novelty_days)
    visit = min(1.0, base_rate / seen)
    rates = {k: lam * c / activities for k, c in sorted(counts.items())} if activities else {}
    visits = active_days / seen if seen else 0.0
    redeemed = sum(m.redemptions for m in group)
    logs = [math.log(max(v, 1.0)) for m in group for v in m.interactions]
    median, sigma = interactions_default
    if logs:
        mu = sum(logs) / len(logs)
        median = math.exp(mu)
        sigma = math.sqrt(sum((v - mu) ** 2 for v in logs) / max(len(logs) - 1, 1)) or 0.1
    return Fit(
        id=ident,
        members=len(group),
        share=len(group) / total,
        visit_probability_per_day=visit,
        novelty_boost=boost,
        churn_per_day=hazard,
        rates_per_visit=rates,
        redeem_probability_per_visit=min(1.0, redeemed / visits) if visits else 0.0,
        interactions_median=median,
        interactions_sigma=sigma,
    )


def calibrate(
    events: Sequence[Event],
    base: Mapping[str, Any],
    holdout_days: int = 30,
    archetypes: int | None = None,
) -> Calibration:
    """Fit a population to the log's days before the last `holdout_days`."""
    if not events:
        raise EventLogInvalid("the event log is empty")
    if archetypes is not None and not 1 <= archetypes <= archetypes_max:
        raise EventLogInvalid(f"--archetypes must be 1 to {archetypes_max}")
    start = min(e.at.date() for e in events)
    days = (max(e.at.date() for e in events) - start).days + 1
    if not holdout_days_min <= holdout_days < days:
        raise EventLogInvalid(
            f"the log covers {days} days; hold out {holdout_days_min} to {days - 1} of them"
        )
    cutoff = days - holdout_days
    by_member = members_until(events, start, cutoff, base)
    ids = sorted(by_member)
    members = [by_member[i] for i in ids]
    platform = _platform_kinds(base)
    kinds = sorted({k for m in members for k in m.counts} - platform)
    labels = _segments(members, cutoff, kinds, archetypes)
    novelty_days = float(base.get("churn", {}).get("novelty_days", 21.0))
    by_label = [
        (
            label,
            _fit_one(
                "",
                [m for m, lab in zip(members, labels, strict=True) if lab == label],
                len(members),
                cutoff,
                novelty_days,
            ),
        )
        for label in sorted(set(labels.tolist()))
    ]
    by_label.sort(key=lambda pair: (pair[1].visit_probability_per_day, pair[1].members))
    names = {label: f"segment_{i}" for i, (label, _) in enumerate(by_label, start=1)}
    fits = [_renamed(f, names[label]) for label, f in by_label]
    segments = {i: names[lab] for i, lab in zip(ids, labels.tolist(), strict=True)}
    initial = sum(1 for m in members if m.join_day == 0)
    later = sum(1 for m in members if m.join_day > 0)
    arrivals = later / max(cutoff - 1, 1) / max(initial, 1)
    data = population_data(base, fits, start, days, max(initial, 1), arrivals)
    return Calibration(start, days, cutoff, initial, arrivals, tuple(fits), data, segments)


def _renamed(fit: Fit, ident: str) -> Fit:
    return replace(fit, id=ident)


def _r(value: float) -> float:
    return float(f"{value:.4g}")


def population_data(
    base: Mapping[str, Any],
    fits: Sequence[Fit],
    start: date,
    days: int,
    members: int,
    arrivals: float,
) -> dict[str, Any]:
    """The calibrated population: fitted archetypes, the base's other tables, neutral
    churn multipliers (the log cannot separate them from the fitted hazard)."""
    shares = [_r(f.share) for f in fits]
    shares[-1] = _r(1.0 - sum(shares[:-1]))  # exactly 1 in total, as the parser wants
    archetypes: dict[str, Any] = {}
    for fit, share in zip(fits, shares, strict=True):
        rates = {k: _r(v) for k, v in fit.rates_per_visit.items() if v > 0}
        archetypes[fit.id] = {
            "share": share,
            "visit_probability_per_day": _r(fit.visit_probability_per_day),
            "novelty_boost": _r(fit.novelty_boost),
            "churn_per_day": _r(fit.churn_per_day),
            "redeem": "at_once" if fit.redeem_probability_per_visit > 0 else "never",
            "redeem_probability_per_visit": _r(fit.redeem_probability_per_visit),
            "rates_per_visit": rates,
            "interactions": {
                "median": _r(fit.interactions_median),
                "sigma": _r(fit.interactions_sigma),
            },
        }
    churn = dict(base.get("churn", {}))
    churn.update(
        novelty_shield=0.0,
        recognition_factor=1.0,
        inactivity_weight_per_week=0.0,
        unreachable_factor=1.0,
    )
    out: dict[str, Any] = {
        "population": {
            "members": members,
            "daily_arrivals": _r(arrivals),
            "start_date": start,
            "days": days,
        },
        "archetypes": archetypes,
    }
    for table in ("kinds", "notes"):
        if table in base:
            out[table] = base[table]
    out["churn"] = churn
    if "operations" in base:
        out["operations"] = base["operations"]
    return out


def population_toml(calibration: Calibration, source: str) -> str:
    """The calibrated population as a TOML file a designer can read and edit."""
    data = calibration.population_data
    lines = [
        f"# Calibrated by `honorloop calibrate` from {source}: days 1-{calibration.cutoff_day}"
        f" of {calibration.days}",
        "# fitted, the rest held out for the back-test. Churn multipliers are neutral: the",
        "# fitted churn_per_day is the whole hazard (see docs/simulation.md).",
        "",
    ]
    for table, body in data.items():
        if table in ("archetypes", "kinds"):
            for ident, fields in body.items():
                lines += [f"[{table}.{ident}]", dumps(fields).rstrip(), ""]
        else:
            lines += [f"[{table}]", dumps(body).rstrip(), ""]
    return "\n".join(lines)


def parsed(calibration: Calibration, economy: Economy) -> Population:
    population = parse_population(calibration.population_data, "<calibrated>")
    check_against(population, economy)
    return population


# --- the back-test ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """One quantity of the back-test: mean per held-out day, predicted and actual."""

    name: str
    predicted: float
    actual: float

    @property
    def error(self) -> float | None:
        return (self.predicted - self.actual) / self.actual if self.actual else None


def daily_counts(
    events: Sequence[Event], start: date, first: int, last: int, platform: set[str]
) -> tuple[list[int], dict[str, list[int]]]:
    """Per day in [first, last): members active, and activities per kind."""
    n = last - first
    active: list[set[str]] = [set() for _ in range(n)]
    per_kind: dict[str, list[int]] = {}
    for e in events:
        d = _day(e, start) - first
        if not 0 <= d < n or e.kind in (JOINED, REDEMPTION) or e.kind in platform:
            continue
        active[d].add(e.member_id)
        per_kind.setdefault(e.kind, [0] * n)[d] += 1
    return [len(a) for a in active], per_kind


@dataclass
class _Seen:
    """What the replay learns of one member that the store does not keep."""

    index: int
    join_day: int
    active_days: set[int] = field(default_factory=set)
    first_reach: dict[int, int] = field(default_factory=dict)  # level rank -> day
    redeemed: Counter[str] = field(default_factory=Counter)


class LogReplay:
    """The log replayed in time order through `domain.services` on the in-memory store,
    the way the simulator drives them: members registered under the simulator's ids
    (`m0000000`, ... in order of first appearance), activities in batches, redemptions
    redeemed and fulfilled at once (the log says nothing of fulfilment), and the
    population's scheduled operations at the simulator's times of day (restocks, level
    reviews and point expiry for the members they concern). `advance(day)` replays every
    event and operation before `day`; the store then holds the members' state at the
    start of that day."""

    def __init__(
        self, events: Sequence[Event], economy: Economy, population: Population, start: date
    ) -> None:
        self.events = events
        self.economy = economy
        self.population = population
        self.start = start
        self.store = MemoryStore()
        self.ids: dict[str, str] = {}  # log member id -> simulator id
        self.seen: dict[str, _Seen] = {}  # simulator id -> what the replay learnt
        self.points: list[int] = []  # the ledger's issuance per day
        self.issued = 0  # the ledger's issuance so far
        self.refused: Counter[str] = Counter()  # error code -> log rows the services refused
        self.notes: dict[str, tuple[int, int]] = {}  # unmeasured note -> (member, day)
        self.day = 0  # everything before this day is replayed
        self.position = 0  # the next event
        self.codes = 0
        self.level_rank = {lv.id: lv.rank for lv in economy.levels}
        self.platform = {
            k for k in (population.notes.metrics_kind, population.notes.featured_kind) if k
        }
        self.note_kinds = {k.kind for k in population.kinds if k.subject == "note"}
        self.batch: list[tuple[RecordActivity, str, int]] = []  # command, member, day
        services.sync_rewards(self.store(), economy)
        for reward in economy.rewards:
            if reward.fulfilment == "coupon_code":
                self._add_codes(reward.id, reward.stock or coupon_codes_max, self.at(0, 0))

    def at(self, day: int, seconds: int) -> datetime:
        midnight = datetime.combine(self.start + timedelta(days=day), time(), self.economy.timezone)
        return midnight + timedelta(seconds=seconds)

    def advance(self, until: int) -> None:
        """Replay the events and operations of the days before `until`."""
        if len(self.points) < until:
            self.points += [0] * (until - len(self.points))
        for day in range(self.day, until):
            operations = self._operations(day)
            while self.position < len(self.events):
                event = self.events[self.position]
                if _day(event, self.start) > day:
                    break
                while operations and operations[0][0] <= event.at:
                    self._flush()
                    operations.pop(0)[1]()
                self._replay(event, self.position, day)
                self.position += 1
            self._flush()
            for _, operation in operations:
                operation()
            issued = -self.store.state.balances.get(ISSUANCE, 0)
            self.points[day] = issued - self.issued
            self.issued = issued
        self.day = max(self.day, until)

    def _operations(self, day: int) -> list[tuple[datetime, Callable[[], None]]]:
        """The population's operations on `day`, in time order (as the simulator runs them)."""
        out: list[tuple[datetime, Callable[[], None]]] = []
        ops = self.population.operations
        for restock in ops.restocks:
            if day > 0 and day % restock.every_days == 0:
                at = self.at(day, 900)
                out.append(
                    (at, functools.partial(self._restock, restock.reward, restock.quantity, at))
                )
        if (day + 1) % ops.review_every_days == 0:
            at = self.at(day, 84_600)
            out.append((at, functools.partial(self._review, day, at)))
        return sorted(out, key=lambda pair: pair[0])

    def _add_codes(self, reward_id: str, count: int, at: datetime) -> None:
        count = min(count, coupon_codes_max)
        codes = tuple(f"{reward_id}-log{self.codes + i:08d}" for i in range(count))
        self.codes += count
        services.add_coupon_codes(
            AddCouponCodes(reward_id, codes, "back-test", at), self.store(), self.economy
        )

    def _restock(self, reward_id: str, quantity: int, at: datetime) -> None:
        services.restock(Restock(reward_id, quantity, "back-test", at), self.store(), self.economy)
        reward = self.economy.reward(reward_id)
        if reward is not None and reward.fulfilment == "coupon_code":
            self._add_codes(reward_id, quantity, at)

    def _review(self, day: int, as_of: datetime) -> None:
        """Review the members whose level has a keep mark or who hold expirable points."""
        state = self.store.state
        keep = {lv.id: lv.keep for lv in self.economy.levels}
        for ident in self.seen:
            member = state.members[ident]
            available = state.balances.get(available_account(ident), 0)
            due = keep[member.level_id] > 0 or (
                self.economy.expiry is not None
                and available > 0
                and services.expirable_points(self.economy, member, available, as_of) > 0
            )
            if due:
                events = services.review_member(
                    ReviewMember(ident, as_of), self.store(), self.economy
                )
                self._levels(ident, events, day)
        if self.economy.contests or self.economy.seasons is not None:
            services.settle_contests(self.store, self.economy, as_of)
            services.snapshot_seasons(self.store, self.economy, as_of)

    def _member(self, event: Event, day: int) -> str:
        ident = self.ids.get(event.member_id)
        if ident is None:
            self._flush()
            ident = self.ids[event.member_id] = member_id(len(self.ids))
            services.register_member(
                RegisterMember(ident, ident, event.at, ident), self.store(), self.economy
            )
            self.seen[ident] = _Seen(len(self.seen), day)
            self.seen[ident].first_reach[0] = day
        return ident

    def _replay(self, event: Event, position: int, day: int) -> None:
        ident = self._member(event, day)
        if event.kind == JOINED:
            return
        if event.kind == REDEMPTION:
            self._flush()
            self._redeem(ident, event, position)
            return
        if event.kind not in self.platform:
            self.seen[ident].active_days.add(day)
        if event.kind == self.population.notes.metrics_kind and event.subject_id:
            self.notes.pop(event.subject_id, None)
        cmd = RecordActivity(
            ident,
            event.kind,
            event.at,
            f"log{position}",
            event.subject_id,
            dict(event.attributes),
            at=event.at,
        )
        self.batch.append((cmd, ident, day))
        if len(self.batch) >= batch_size_max:
            self._flush()

    def _redeem(self, ident: str, event: Event, position: int) -> None:
        assert event.reward_id is not None
        cmd = RedeemReward(ident, event.reward_id, 1, f"logr{position}", event.at)
        try:
            result = services.redeem_reward(cmd, self.store(), self.economy)
            fulfil = FulfillRedemption(result.redemption.id, "back-test", event.at)
            services.fulfill_redemption(fulfil, self.store(), self.economy)
        except DomainError as error:
            self.refused[error.code] += 1
            return
        self.seen[ident].redeemed[event.reward_id] += 1

    def _flush(self) -> None:
        if not self.batch:
            return
        results = services.record_activities(
            [c for c, _, _ in self.batch], self.store(), self.economy
        )
        for (cmd, ident, day), result in zip(self.batch, results, strict=True):
            if isinstance(result, DomainError):
                self.refused[result.code] += 1
                continue
            if cmd.kind in self.note_kinds and cmd.subject_id:
                self.notes[cmd.subject_id] = (self.seen[ident].index, day)
            self._levels(ident, result.events, day)
        self.batch.clear()

    def _levels(self, ident: str, events: Sequence[DomainEvent], day: int) -> None:
        reach = self.seen[ident].first_reach
        for e in events:
            if isinstance(e, LevelChanged):
                for rank in range(self.level_rank[e.to_level] + 1):
                    reach.setdefault(rank, day)


def alive_probability(
    fit: Fit,
    join_day: int,
    last_active: int | None,
    cutoff_day: int,
    novelty_days: float,
    active_days: int = 0,
) -> float:
    """The chance that a member is still there at the start of the cut-off day, given the
    days they were seen active, under the fitted model: while there, a member of the
    archetype has an active day at age `a` with probability `q(a) = min(1, visit * (1 +
    boost * exp(-a / novelty_days))) * (1 - exp(-L))` and leaves at each day's end with
    the hazard `h`. The days since the last active one are silent either because they
    left (at the end of one of them) or by chance; Bayes weighs the two.

    An archetype pools members who are not all alike, and judging a rare visitor by the
    archetype's mean would call them gone too soon (and the survivors, the keener ones,
    would then act at the mean: the back-test would run low). So `q` is scaled by the
    member's own pace while known to be there: their `active_days` before the last one
    against `q`'s expectation over the same ages, shrunk towards the archetype's by
    `pace_prior_days` active days."""
    ages = cutoff_day - join_day  # days of membership before the cut-off
    h = fit.churn_per_day
    if h <= 0 or ages <= 0:
        return 1.0
    lam = sum(fit.rates_per_visit.values())
    seen = -math.expm1(-lam)
    known = 0 if last_active is None else 1  # churn chances after the last active day
    first = 0 if last_active is None else last_active - join_day + 1  # first silent age
    every = np.arange(ages)
    visit = np.minimum(
        1.0,
        fit.visit_probability_per_day * (1.0 + fit.novelty_boost * np.exp(-every / novelty_days)),
    )
    q = visit * seen
    if known:
        expected = float(q[: first - 1].sum())  # the ages before the last active day
        observed = max(active_days - 1, 0)
        q = q * (observed + pace_prior_days) / (expected + pace_prior_days)
    q = np.minimum(q[first:], 1.0 - 1e-12)
    quiet = np.concatenate(([0.0], np.cumsum(np.log1p(-q))))  # log P(silent through age j)
    stays = np.arange(len(q) + 1) + known  # churn chances survived
    # leaving at the end of the last active day (k = 0), or of the k-th silent day
    leave = math.log(h) + stays[:-1] * math.log1p(-h) + quiet[1:]
    left = ([math.log(h)] if known else []) + leave.tolist()
    there = stays[-1] * math.log1p(-h) + quiet[-1]
    top = max([there, *left])
    weights = np.exp(np.array([there, *left]) - top)
    return float(weights[0] / weights.sum())


def cutoff_start(calibration: Calibration, replay: LogReplay, population: Population) -> Start:
    """The simulator's start at the cut-off: every member the log knew before it, with the
    archetype the calibration assigned them, their age, the replayed store (copied: each
    replication changes its own) and the chance they are still there
    (`alive_probability`); the notes published in the last `measure_after_days` before
    the cut-off are measured on their day, as the simulator would have."""
    assert replay.day == calibration.cutoff_day, "replay the log up to the cut-off first"
    index = {a.id: i for i, a in enumerate(population.archetypes)}
    fits = {f.id: f for f in calibration.fits}
    by_index = {ident: log_id for log_id, ident in replay.ids.items()}
    novelty_days = population.churn.novelty_days
    members: list[Seeded] = []
    for ident, seen in replay.seen.items():
        segment = calibration.segments[by_index[ident]]
        last = max(seen.active_days, default=None)
        reach = [seen.first_reach.get(rank, -1) for rank in range(len(replay.economy.levels))]
        members.append(
            Seeded(
                archetype=index[segment],
                join_day=seen.join_day,
                alive_probability=alive_probability(
                    fits[segment],
                    seen.join_day,
                    last,
                    calibration.cutoff_day,
                    novelty_days,
                    len(seen.active_days),
                ),
                last_active=last,
                first_reach=tuple(reach),
                active_days=tuple(sorted(seen.active_days)),
                redeemed=tuple(sorted(seen.redeemed.items())),
            )
        )
    measure = population.notes.measure_after_days
    due = tuple(
        sorted(
            (day + measure, mi, note)
            for note, (mi, day) in replay.notes.items()
            if day + measure >= calibration.cutoff_day
        )
    )
    return Start(
        copy.deepcopy(replay.store),
        calibration.cutoff_day,
        tuple(members),
        due,
        _seq(replay.events),
    )


def _seq(events: Sequence[Event]) -> int:
    """A counter past every number the log's subjects end with, so that the subjects and
    keys the simulator makes never meet the log's."""
    top = len(events)
    for e in events:
        digits = re.search(r"(\d+)$", e.subject_id or "")
        if digits:
            top = max(top, int(digits.group(1)))
    return top + 1


def points_issued(
    events: Sequence[Event], economy: Economy, population: Population, start: date, days: int
) -> list[int]:
    """Points the economy issues for the log's activities, per day (`LogReplay`)."""
    replay = LogReplay(events, economy, population, start)
    replay.advance(days)
    return replay.points[:days]


def back_test(
    calibration: Calibration,
    events: Sequence[Event],
    economy: Economy,
    replications: int = 3,
    seed: int = 1,
) -> list[Line]:
    """Replay the log up to the cut-off, simulate the held-out days from that state with
    the calibrated population (`cutoff_start`), and compare the held-out days' means:
    daily actives, activities per kind, points issued (the actual ones from the replay
    carried on over the held-out days)."""
    population = parsed(calibration, economy)
    platform = _platform_kinds(calibration.population_data)
    first, last = calibration.cutoff_day, calibration.days
    actual_active, actual_kinds = daily_counts(events, calibration.start, first, last, platform)
    replay = LogReplay(events, economy, population, calibration.start)
    replay.advance(first)
    predicted_active: list[float] = []
    predicted_kinds: dict[str, float] = {}
    predicted_points: list[float] = []
    n = last - first
    for seq in replication_seeds(seed, replications):
        start = cutoff_start(calibration, replay, population)
        sim = Simulation(
            economy, population, streams_for(seq), keep_log=True, verify=False, start=start
        )
        run = sim.run()
        simulated = simulated_log(run.log)
        active, kinds = daily_counts(simulated, calibration.start, first, last, platform)
        predicted_active.append(sum(active) / n)
        for kind, series in kinds.items():
            predicted_kinds[kind] = predicted_kinds.get(kind, 0.0) + sum(series) / n
        predicted_points.append(sum(run.daily["issued_today"]) / n)
    replay.advance(last)
    actual_points = replay.points[first:last]
    lines = [Line("daily actives", sum(predicted_active) / replications, sum(actual_active) / n)]
    for kind in sorted(set(actual_kinds) | set(predicted_kinds)):
        lines.append(
            Line(
                f"activities: {kind}",
                predicted_kinds.get(kind, 0.0) / replications,
                sum(actual_kinds.get(kind, [0])) / n,
            )
        )
    lines.append(
        Line("points issued", sum(predicted_points) / replications, sum(actual_points) / n)
    )
    return lines


def back_test_table(lines: Sequence[Line], calibration: Calibration) -> str:
    held = calibration.days - calibration.cutoff_day
    out = [
        f"back-test over the {held} held-out days (days {calibration.cutoff_day + 1}-"
        f"{calibration.days}), means per day:",
        f"{'quantity':<34} {'predicted':>12} {'actual':>12} {'error':>9}",
    ]
    for line in lines:
        error = "-" if line.error is None else f"{line.error * 100:+.1f}%"
        out.append(f"{line.name:<34} {line.predicted:>12,.1f} {line.actual:>12,.1f} {error:>9}")
    return "\n".join(out)


def fits_table(calibration: Calibration) -> str:
    out = [
        f"{calibration.initial_members:,} initial members, "
        f"{calibration.daily_arrivals:.4g} arrivals per day per initial member; archetypes:",
        f"{'archetype':<12} {'members':>8} {'share':>7} {'visit/day':>10} {'novelty':>8} "
        f"{'churn/day':>10}  rates per visit",
    ]
    for f in calibration.fits:
        rates = ", ".join(f"{k} {v:.3g}" for k, v in f.rates_per_visit.items())
        out.append(
            f"{f.id:<12} {f.members:>8,} {f.share:>7.3f} {f.visit_probability_per_day:>10.4f} "
            f"{f.novelty_boost:>8.2f} {f.churn_per_day:>10.5f}  {rates}"
        )
    return "\n".join(out)
