"""One replication: a SimPy calendar driving bulk-sampled member behaviour through the
same `domain.services` the API runs, over `persistence.memory`.

SimPy schedules the sparse calendar — the day's activity, note measurements, redemption
fulfilment, level reviews and point expiry, restocks, the end-of-day metrics. It never
runs one process per member: each day the whole population's visits, activity counts and
attributes are drawn in bulk with numpy, then fed to `services.record_activities` in
batches. The simulator decides only what members *do*; what they *earn*, whether they
may redeem, level changes, honors, KOC tiers and expiry are decided by the services.
"""

from __future__ import annotations

import gc
import math
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import numpy as np
import simpy

from domain import services
from domain.calendar import day_number, month_index
from domain.commands import (
    AddCouponCodes,
    CancelRedemption,
    ClaimQuestReward,
    FulfillRedemption,
    RecordActivity,
    RedeemReward,
    RegisterMember,
    Restock,
    ReverseActivity,
    ReviewMember,
    StartQuest,
    batch_size_max,
)
from domain.economy import Economy, Reward, Task
from domain.errors import DomainError
from domain.ledger import (
    EXPIRY,
    ISSUANCE,
    REDEMPTION,
    available_account,
    held_account,
    pending_account,
)
from domain.model import (
    Attributes,
    AwardLine,
    Event,
    HonorGranted,
    KocTierChanged,
    LevelChanged,
    PointsAwarded,
    PointsExpired,
    QuestCompleted,
    ReferralQualified,
)
from domain.quests import QuestState, instance_ends, instance_of, is_open
from persistence.memory import MemoryStore
from simulation.campaigns_program import CampaignsProgram
from simulation.friends_program import FriendsProgram
from simulation.invariants import ledger_problems
from simulation.membership_program import MembershipProgram, multiplier_extra
from simulation.population import Archetype, AttributeSpec, Population
from simulation.programs import Programs, choose
from simulation.referrals_program import ReferralsProgram
from simulation.rng import Streams
from simulation.roles_program import RolesProgram

# Fractions of a simulated day at which each scheduled process runs (SimPy time unit: day).
AT_RESTOCK = 0.01
AT_MEASURE = 0.02
AT_ACTIVITY = 0.05
AT_FULFIL = 0.96
AT_REVIEW = 0.98
AT_METRICS = 0.99
AT_QUEST_JOIN = 60  # seconds after local midnight: before the day's first activity
AT_OFFER_S = 36_000  # tasks: offered at 10:00, submitted at noon, reviewed at 16:00
AT_SUBMIT_S = 43_200
AT_REVIEW_S = 57_600
AT_FRIENDS_S = 79_500  # team and help quests: joins from 22:05, starts from 22:35
AT_FRIEND_START_S = 81_300
AT_QUEST_CLAIM = 86_340  # after the day's last activity, before the period can close
QUEST_COUNTS = ("started", "completed", "paid", "full", "points")
ACTIVITY_FIRST_S = 3_600  # members act between 01:00 and 22:00 local time
ACTIVITY_LAST_S = 79_200
MAU_WINDOW_DAYS = 30
COHORT_DAYS = 30
coupon_codes_max = 10_000
inactivity_window_max_days = 3_660

LogEntry = tuple[str, Any]
Progress = Callable[[int, int], None]  # (day done, days) -> None


@dataclass(frozen=True, slots=True)
class Seeded:
    """A member already in the store when a run starts from a given state: member
    `member_id(i)` is the i-th of `Start.members`. Balances, level, KOC tier and honors
    are read from the store; the rest is what the store does not keep."""

    archetype: int  # index into the population's archetypes
    join_day: int  # may be before the run's first day
    alive_probability: float  # drawn once at the start (churn stream): 0 never acts again
    last_active: int | None = None  # day of the last own activity
    first_reach: tuple[int, ...] = ()  # per level rank, the day first reached (-1: not)
    active_days: tuple[int, ...] = ()  # days with an own activity (for the cohorts)
    redeemed: tuple[tuple[str, int], ...] = ()  # reward id -> redemptions that stand


@dataclass(frozen=True, slots=True)
class Start:
    """The state a run starts from instead of an empty community (the calibration's
    back-test): `store` holds the members and their ledger as of the start of `day`,
    synced with the economy's rewards (and their coupon codes). The run simulates days
    `day` to `days - 1` of the population's calendar; new members arrive at the
    population's `daily_arrivals` times its `members`."""

    store: MemoryStore
    day: int
    members: tuple[Seeded, ...]
    notes_due: tuple[tuple[int, int, str], ...] = ()  # (due day, member, note) unmeasured
    seq: int = 0  # idempotency keys and subjects the run makes start after this


@dataclass
class Run:
    """What one replication produced: daily metric series and per-run results."""

    days: int
    daily: dict[str, list[float]]
    stockout_day: dict[str, int | None]
    days_to_level: dict[str, list[int]]  # level id -> days from joining, per member
    honors_awarded: dict[str, int]
    quests: dict[str, dict[str, int]]  # quest id -> started, completed, paid, full, points
    redemptions_by_reward: dict[str, int]
    cohort_active: list[list[int]]  # [cohort][age in months] members active
    cohort_size: list[int]
    errors: dict[str, int]
    member_days: int
    activities: int
    log: list[LogEntry] = field(default_factory=list)
    first_day: int = 0  # the daily series cover days first_day .. days - 1
    # sources and sinks: (flow, rule or reward tier id, archetype id) -> points, where flow
    # is "issued" (by earning rule), "spent" (by reward tier), "expired" or "outstanding"
    flows: dict[tuple[str, str, str], int] = field(default_factory=dict)
    tasks: dict[str, dict[str, int]] = field(default_factory=dict)  # task id -> counts
    contests: dict[str, dict[str, int]] = field(default_factory=dict)  # contest id -> counts
    roles: dict[str, dict[str, int]] = field(default_factory=dict)  # role id -> counts
    mentors: dict[str, int] = field(default_factory=dict)  # paired, credited, honor tiers
    friends: dict[str, dict[str, int]] = field(default_factory=dict)  # team/help id -> counts
    # paid membership: started, renewed, expired, active (at the end), extra_points (the
    # multiplier's), over_time [(review day, active paid members)]; empty without a tier
    membership: dict[str, Any] = field(default_factory=dict)
    # spend-driven levels: purchases counted, their spend (minor units), refunds, reviews'
    # demotions; empty without a level spend criterion
    spend: dict[str, int] = field(default_factory=dict)
    # referrals: invited, refused, qualified, outcomes, expired, waiting, conversion,
    # flagged, commission points by level and state; empty without a referral program
    referrals: dict[str, Any] = field(default_factory=dict)
    # campaigns: per campaign id the counts, oversubscription and places by level and KOC
    # tier; repeat winners and winners across campaigns; empty without a campaign
    campaigns: dict[str, Any] = field(default_factory=dict)


class _Members:
    """Per-member behavioural state in numpy arrays (grown by doubling)."""

    def __init__(self, capacity: int, levels: int, months: int, tiers: int) -> None:
        self.n = 0
        self.arch = np.zeros(capacity, np.int16)
        self.join_day = np.zeros(capacity, np.int32)
        self.alive = np.zeros(capacity, bool)
        self.last_visit = np.zeros(capacity, np.int32)
        self.last_active = np.full(capacity, -(10**6), np.int32)
        self.recognition = np.ones(capacity)
        self.available = np.zeros(capacity, np.int64)
        self.held = np.zeros(capacity, np.int64)
        self.earned = np.zeros(capacity, np.int64)
        self.rank = np.zeros(capacity, np.int16)
        self.koc = np.full(capacity, -1, np.int16)
        self.goal = np.full(capacity, -1, np.int32)
        self.first_reach = np.full((capacity, levels), -1, np.int32)
        self.active_month = np.zeros((capacity, months), bool)
        self.redeemed_tier = np.zeros((capacity, tiers), np.int32)

    def grow(self, needed: int) -> None:
        capacity = len(self.arch)
        if needed <= capacity:
            return
        new = max(needed, capacity * 2)
        for name, value in list(vars(self).items()):
            if isinstance(value, np.ndarray):
                shape = (new, *value.shape[1:])
                fill = {"last_active": -(10**6), "koc": -1, "goal": -1, "first_reach": -1}
                grown = np.full(shape, fill.get(name, 0), value.dtype)
                if name == "recognition":
                    grown[:] = 1.0
                grown[:capacity] = value
                setattr(self, name, grown)


def member_id(index: int) -> str:
    return f"m{index:07d}"


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0: all equal, 1: one holds everything)."""
    if len(values) == 0:
        return 0.0
    total = float(values.sum())
    if total <= 0:
        return 0.0
    ordered = np.sort(values).astype(np.float64)
    n = len(ordered)
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float((2.0 * (ranks * ordered).sum()) / (n * total) - (n + 1) / n)


@contextmanager
def _collector_for_a_growing_heap() -> Iterator[None]:
    """Keep Python's cycle collector from re-reading the whole store again and again.

    The store only grows during a run (every activity, ledger entry and idempotency
    record stays), and the collector's automatic passes kept walking it: about a third
    of the CPU of a 20,000 x 60 run with the default settings, and still a fifth of a
    30,000 x 120 run with the young generations' passes alone. A run makes no reference
    cycles in its daily work (the memory store makes none per unit of work; reference
    counting frees everything dropped) except an activity `services.record_activities`
    rejected: the error returned holds its traceback, whose frame holds the list the
    error is in. So during a run the automatic collector is off, and each day's end
    (`_end_of_day`) collects that day's objects if an activity was rejected, then moves
    what the day left into the permanent generation (`gc.freeze`) that collections skip.
    Restored afterwards. Other refusals (a redemption out of stock, a full quest, ...)
    are raised and caught, and leave no cycle: the collections they used to cause found
    nothing on any day (tests/simulation/test_collector.py checks it), at 1.3% of the
    CPU of a 5,000 x 60 run."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def _end_of_day(cycles_possible: bool) -> None:
    if cycles_possible:
        gc.collect()  # everything older is frozen: this reads only the day's objects
    gc.freeze()


class Simulation:
    """One replication of one economy with one population. Call `run()` once.

    With `start`, the run continues a community instead of starting an empty one: the
    members, ledger and calendar position come from `start` (see `Start`)."""

    def __init__(
        self,
        economy: Economy,
        population: Population,
        streams: Streams,
        *,
        members: int | None = None,
        days: int | None = None,
        keep_log: bool = False,
        progress: Progress | None = None,
        verify: bool = True,
        start: Start | None = None,
        keep_history: bool = False,
    ) -> None:
        """`keep_history=True` keeps every ledger entry, activity and idempotency record
        in the store, as a server's database does; by default the store folds that
        history as it goes (`MemoryStore(keep_history=False)`), so a run's memory grows
        with its members, not with its days. `start` runs from a store replayed up to a
        day instead (the calibration's back-test), with that store's own setting."""
        self.economy = economy
        self.pop = population
        self.rng = streams
        self.initial = members if members is not None else population.members
        self.days = days if days is not None else population.days
        self.keep_log = keep_log
        self.verify = verify
        self.log: list[LogEntry] = []
        self.progress = progress
        self.first_day = start.day if start is not None else 0
        self.store = start.store if start is not None else MemoryStore(keep_history=keep_history)
        self.ids: list[str] = []  # member_id(index), kept: the hot loops read it per activity
        self.tz = economy.timezone
        self.level_rank = {lv.id: lv.rank for lv in economy.levels}
        # Levels with a keep mark (points, spend or purchases) are the ones a review can move.
        self.keep_by_rank = np.array(
            [lv.keep + lv.keep_spend + lv.keep_purchases for lv in economy.levels], np.int64
        )
        self.pending_days = {r.id: r.pending_days for r in economy.rules if r.pending_days}
        # member -> earnings waiting in the pending bucket: (due, points, lines, activity id)
        self.pending: dict[int, list[tuple[datetime, int, tuple[AwardLine, ...], str]]] = {}
        # Refunds (spend-driven levels): local day -> (member, activity id, its key) to refund
        self.arch_refund = np.array([a.refund_probability for a in population.archetypes])
        self.refunds_due: dict[int, list[tuple[int, str, str]]] = {}
        self.spend: dict[str, int] = (
            {"purchases": 0, "spend": 0, "refunds": 0, "demotions": 0}
            if economy.spend_kind is not None
            else {}
        )
        self.koc_rank = {t.id: t.rank for t in economy.koc.tiers} if economy.koc else {}
        self.tier_index = {t.id: i for i, t in enumerate(economy.reward_tiers)}
        self.rewards: tuple[Reward, ...] = economy.rewards
        self.reward_index = {r.id: i for i, r in enumerate(self.rewards)}
        self.reward_gate = np.array(
            [self.level_rank[r.min_level] if r.min_level else 0 for r in self.rewards], np.int16
        )
        self.reward_price = np.array([r.price for r in self.rewards], np.int64)
        self.archetypes: tuple[Archetype, ...] = population.archetypes
        self.arch_visit = np.array([a.visit_probability_per_day for a in self.archetypes])
        self.arch_boost = np.array([a.novelty_boost for a in self.archetypes])
        self.arch_churn = np.array([a.churn_per_day for a in self.archetypes])
        self.arch_redeem_p = np.array([a.redeem_probability_per_visit for a in self.archetypes])
        self.arch_style = [a.redeem for a in self.archetypes]
        self.arch_share = np.array([a.share for a in self.archetypes])
        self.arch_median = np.array([a.interactions_median for a in self.archetypes])
        self.arch_sigma = np.array([a.interactions_sigma for a in self.archetypes])
        kinds: list[str] = []
        for arch in self.archetypes:
            kinds += [k for k, _ in arch.rates_per_visit if k not in kinds]
        self.kinds = kinds
        self.rates = np.zeros((len(self.archetypes), len(kinds)))
        for a, arch in enumerate(self.archetypes):
            for kind, rate in arch.rates_per_visit:
                self.rates[a, kinds.index(kind)] = rate
        self.kind_specs = [population.kind(k) for k in kinds]
        # (kind index, archetype index) -> that archetype's own attribute specs for the kind
        self.arch_attributes = {
            (k, a): arch.attributes_of(kind)
            for k, kind in enumerate(kinds)
            for a, arch in enumerate(self.archetypes)
            if arch.attributes_of(kind)
        }
        months = self.days // COHORT_DAYS + 2
        expected = self.initial + int(population.daily_arrivals * self.initial * self.days * 1.2)
        expected += len(start.members) if start is not None else 0
        self.m = _Members(expected + 16, len(economy.levels), months, len(economy.reward_tiers))
        self.seq = 0
        self.pending_notes: dict[int, list[tuple[int, str, int]]] = {}
        self.pending_fulfil: deque[tuple[int, str, int, int]] = deque()
        self.reward_counts: dict[tuple[int, int], int] = {}
        self.stockout: dict[str, int | None] = {
            r.id: None for r in self.rewards if r.stock is not None
        }
        self.honors_awarded: dict[str, int] = {h.id: 0 for h in economy.honors}
        self.quest_counts: dict[str, dict[str, int]] = {
            q.id: dict.fromkeys(QUEST_COUNTS, 0) for q in economy.quests
        }
        self.opt_in_quests = tuple(q for q in economy.quests if q.opt_in)
        self.arch_uptake = np.array([a.quest_uptake_per_visit for a in self.archetypes])
        self.quest_joined: set[tuple[int, str, int]] = set()  # (member, quest, instance)
        self.to_claim: dict[tuple[int, str], int] = {}  # (member, quest) -> instance
        self.redemptions_by_reward: dict[str, int] = {r.id: 0 for r in self.rewards}
        self.programs = Programs(economy, self.store, self._log)
        self.roles_program = RolesProgram(economy, self.store, self._log)
        self.arch_role_interest = np.array([a.role_interest for a in self.archetypes])
        self.campaigns_program = CampaignsProgram(economy, self.store, self._log)
        self.arch_campaign_interest = np.array([a.campaign_interest for a in self.archetypes])
        self.membership_program = MembershipProgram(economy, self.store, self._log)
        self.arch_paid_uptake = np.array([a.paid_tier_uptake for a in self.archetypes])
        self.arch_renew = np.array([a.renew_probability for a in self.archetypes])
        self.paid = bool(economy.paid_tiers)
        self.arch_task_accept = np.array([a.task_accept for a in self.archetypes])
        self.arch_task_submit = np.array([a.task_submit for a in self.archetypes])
        self.friends = FriendsProgram(economy, self.store, self._log, self.next_key)
        self.arch_friend_start = np.array([a.friend_start for a in self.archetypes])
        self.arch_friend_join = np.array([a.friend_join for a in self.archetypes])
        self.referrals_program = ReferralsProgram(economy, self.store, self._log)
        self.referrals = economy.referrals is not None
        self.arch_invite = np.array([a.invite_per_visit for a in self.archetypes])
        arch_index = {a.id: n for n, a in enumerate(self.archetypes)}
        self.arch_invitee = np.array(
            [arch_index[a.invitee] if a.invitee is not None else -1 for a in self.archetypes]
        )
        self.invited: list[int] = []  # inviters whose friend joins the next morning
        self.errors: dict[str, int] = {}
        self.rejected_activities = 0  # by services.record_activities (counted in errors too)
        self.daily: dict[str, list[float]] = {}
        self.member_days = 0
        self.activity_count = 0
        self.today_active: set[int] = set()
        self.flows: dict[tuple[str, str, str], int] = {}
        self.arch_ids = [a.id for a in self.archetypes]
        first = population.start_date.toordinal()
        self.month_of_day = np.array([month_index(first + d) for d in range(self.days + 1)])
        self.totals_before = {"issued": 0.0, "spent": 0.0, "expired": 0.0}
        if start is not None:
            self._seed(start)

    def _seed(self, start: Start) -> None:
        """Fill the per-member arrays from the store a run starts from (and its extras)."""
        m = self.m
        state = self.store.state
        churn = self.pop.churn
        levels = len(self.economy.levels)
        count = len(start.members)
        m.grow(count)
        for reward in self.rewards:
            if reward.stock is not None and state.stock.get(reward.id) == 0:
                self.stockout[reward.id] = start.day
        alive = self.rng.churn.random(count) < np.array(
            [s.alive_probability for s in start.members]
        )
        for mi, seeded in enumerate(start.members):
            ident = member_id(mi)
            member = state.members.get(ident)
            assert member is not None, f"{ident} is not in the store the run starts from"
            self.ids.append(ident)
            m.arch[mi] = seeded.archetype
            m.join_day[mi] = seeded.join_day
            m.alive[mi] = alive[mi]
            last = seeded.last_active
            m.last_visit[mi] = seeded.join_day if last is None else last
            if last is not None:
                m.last_active[mi] = last
            m.available[mi] = state.balances.get(available_account(ident), 0)
            m.held[mi] = state.balances.get(held_account(ident), 0)
            m.earned[mi] = member.progress.lifetime_earned
            m.rank[mi] = self.level_rank[member.level_id]
            m.koc[mi] = -1 if member.koc_tier is None else self.koc_rank[member.koc_tier]
            reach = (list(seeded.first_reach) + [-1] * levels)[:levels]
            reach[0] = seeded.join_day if reach[0] < 0 else reach[0]
            m.first_reach[mi] = reach
            months = m.active_month.shape[1]
            for d in seeded.active_days:
                m.active_month[mi, min((d - seeded.join_day) // COHORT_DAYS, months - 1)] = True
            for reward_id, times in seeded.redeemed:
                r = self.reward_index[reward_id]
                self.reward_counts[(mi, r)] = times
                m.redeemed_tier[mi, self.tier_index[self.rewards[r].tier]] += times
                self.redemptions_by_reward[reward_id] += times
            honors = sum(1 for a in services.honors_of(ident, self.store()) if a.active)
            recognitions = int(m.rank[mi]) + honors
            m.recognition[mi] = max(churn.recognition_factor**recognitions, churn.recognition_floor)
            arch = self.archetypes[seeded.archetype]
            if arch.redeem == "goal":
                m.goal[mi] = self._choose_goal(arch.goal_tier, mi, self.rng.arrivals)
        m.n = count
        if start.notes_due:
            members = np.array([mi for _, mi, _ in start.notes_due])
            arch = m.arch[members]
            draw = self.arch_median[arch] * np.exp(
                self.arch_sigma[arch] * self.rng.content.standard_normal(len(members))
            )
            for (due, mi, note), value in zip(start.notes_due, draw.tolist(), strict=True):
                self.pending_notes.setdefault(due, []).append((mi, note, int(value)))
        self.seq = start.seq
        self.totals_before = {
            "issued": float(-state.balances.get(ISSUANCE, 0)),
            "spent": float(state.balances.get(REDEMPTION, 0)),
            "expired": float(state.balances.get(EXPIRY, 0)),
        }

    # --- time ---------------------------------------------------------------------------

    def at(self, day: int, seconds: int) -> datetime:
        start = datetime.combine(self.pop.start_date + timedelta(days=day), time(), self.tz)
        return start + timedelta(seconds=seconds)

    def next_key(self, prefix: str) -> str:
        self.seq += 1
        return f"{prefix}{self.seq}"

    def _log(self, kind: str, payload: Any) -> None:
        if self.keep_log:
            self.log.append((kind, payload))

    # --- the run ------------------------------------------------------------------------

    def run(self) -> Run:
        uow = self.store
        services.sync_rewards(uow(), self.economy)
        self._log("sync_rewards", None)
        for reward in self.rewards:
            if reward.fulfilment == "coupon_code" and self.first_day == 0:
                self._add_codes(reward, reward.stock or coupon_codes_max, 0)
        env = simpy.Environment()
        env.process(self._days(env))
        for restock in self.pop.operations.restocks:
            env.process(self._restocks(env, restock.reward, restock.every_days, restock.quantity))
        env.process(self._reviews(env))
        if self.economy.tasks and self.arch_task_accept.any():
            env.process(self._task_offers(env))
        with _collector_for_a_growing_heap():
            env.run(until=self.days)
        if self.verify:
            self.check()
        cohorts = self._cohorts()
        return Run(
            days=self.days,
            daily=self.daily,
            stockout_day=self.stockout,
            days_to_level=self._days_to_level(),
            honors_awarded=self.honors_awarded,
            quests=self.quest_counts,
            redemptions_by_reward=self.redemptions_by_reward,
            cohort_active=cohorts[0],
            cohort_size=cohorts[1],
            errors=dict(sorted(self.errors.items())),
            member_days=self.member_days,
            activities=self.activity_count,
            log=self.log,
            flows=self._final_flows(),
            tasks=self.programs.tasks,
            contests=self.programs.contests,
            roles=self.roles_program.roles,
            mentors={
                "paired": self.roles_program.mentees_paired,
                "credited": self.roles_program.mentor_credits,
                "honor_tiers": self.roles_program.mentor_tiers,
            },
            friends=self.friends.quests,
            membership=self.membership_program.summary(self.at(self.days, 0)) if self.paid else {},
            spend=dict(self.spend),
            referrals=(
                self.referrals_program.summary(self.at(self.days, 0)) if self.referrals else {}
            ),
            campaigns=self.campaigns_program.summary() if self.economy.campaigns else {},
            first_day=self.first_day,
        )

    def _days(self, env: simpy.Environment) -> Any:
        """The daily cycle: arrivals and activity, redemptions, fulfilment, churn, metrics."""
        rejected_before = self.rejected_activities
        for day in range(self.first_day, self.days):
            yield env.timeout(day + AT_MEASURE - env.now)
            self._measure_notes(day)
            if self.refunds_due:
                self._refunds(day)
            yield env.timeout(day + AT_ACTIVITY - env.now)
            self._arrivals(day)
            if self.invited:
                self._invitees(day)
            visitors = self._visitors(day)
            if self.paid:
                self._buy_paid_tier(day, visitors)
            self._join_quests(day, visitors)
            self._activities(day, visitors)
            if self.referrals and self.arch_invite.any():
                self._invitations(visitors)
            if self.friends.choices:
                self._friends(day, visitors)
            self._claim_quests(day, visitors)
            self._redemptions(day, visitors)
            yield env.timeout(day + AT_FULFIL - env.now)
            self._fulfil(day)
            yield env.timeout(day + AT_METRICS - env.now)
            self._churn(day, visitors)
            self._metrics(day)
            if not self.store.state.keep_history and self.economy.quests:
                self._forget_closed_quests(day)
            rejected = self.rejected_activities
            _end_of_day(cycles_possible=rejected != rejected_before)
            rejected_before = rejected
            if self.progress is not None:
                self.progress(day + 1, self.days)

    def _first_of(self, first: int, every: int) -> int:
        """The first day of the schedule `first, first + every, ...` the run simulates."""
        if first >= self.first_day:
            return first
        return first + -(-(self.first_day - first) // every) * every

    def _restocks(self, env: simpy.Environment, reward_id: str, every: int, qty: int) -> Any:
        """An operator restocks a reward every `every` days."""
        day = self._first_of(every, every)
        while day < self.days:
            yield env.timeout(day + AT_RESTOCK - env.now)
            cmd = Restock(reward_id, qty, "simulator", self.at(day, 900))
            services.restock(cmd, self.store(), self.economy)
            self._log("restock", cmd)
            reward = self.economy.reward(reward_id)
            assert reward is not None
            if reward.fulfilment == "coupon_code":
                self._add_codes(reward, qty, day)
            day += every

    def _reviews(self, env: simpy.Environment) -> Any:
        """Scheduled upkeep: level reviews for members whose level has a keep mark, and
        point expiry for members holding points old enough to expire."""
        every = self.pop.operations.review_every_days
        day = self._first_of(every - 1, every)
        while day < self.days:
            yield env.timeout(day + AT_REVIEW - env.now)
            self._review(day)
            day += every

    def _task_offers(self, env: simpy.Environment) -> Any:
        """An operator offers each assigned task to creators every few days."""
        every = self.pop.operations.task_offer_every_days
        day = self._first_of(every - 1, every)
        while day < self.days:
            yield env.timeout(day + AT_FULFIL - env.now)
            for task in self.economy.tasks:
                env.process(self._task_round(env, task, day))
            day += every

    def _task_round(self, env: simpy.Environment, task: Task, day: int) -> Any:
        """One offer: answers the same day, submissions the next, reviews the day after."""
        m, rng = self.m, self.rng.tasks
        takers = np.flatnonzero(m.alive[: m.n] & (self.arch_task_accept[m.arch[: m.n]] > 0))
        chosen = choose(rng, takers.tolist(), self.pop.operations.task_offers_max)
        offered = self.programs.offer(
            task, [member_id(mi) for mi in chosen], self.at(day, AT_OFFER_S), self.next_key("t")
        )
        accepted: list[tuple[int, str]] = []
        for mi, assignment in zip(chosen, offered, strict=True):
            accept = bool(rng.random() < self.arch_task_accept[m.arch[mi]])
            self.programs.answer(
                task, member_id(mi), assignment, accept, self.at(day, AT_OFFER_S + 300)
            )
            if accept:
                accepted.append((mi, assignment))
        if day + 1 >= self.days:
            return
        yield env.timeout(day + 1 + AT_FULFIL - env.now)
        submitted: list[tuple[int, str]] = []
        for mi, assignment in accepted:
            if not m.alive[mi] or rng.random() >= self.arch_task_submit[m.arch[mi]]:
                continue
            at = self.at(day + 1, AT_SUBMIT_S)
            events = self.programs.submit(task, member_id(mi), assignment, at, self.next_key("s"))
            self._paid(mi, events, day + 1)
            if task.review:
                submitted.append((mi, assignment))
        if day + 2 >= self.days:
            return
        yield env.timeout(day + 2 + AT_FULFIL - env.now)
        tiers = [None, *(name for name, _ in task.bonus)]
        for mi, assignment in submitted:
            approve = bool(rng.random() < self.pop.operations.task_approval)
            tier = tiers[int(rng.integers(len(tiers)))]
            at = self.at(day + 2, AT_REVIEW_S)
            _, events = self.programs.review(
                task, assignment, approve, tier, at, self.next_key("r")
            )
            self._paid(mi, events, day + 2)

    def _paid(self, mi: int, events: list[Event], day: int) -> None:
        """A payout outside the activity pipeline: the points it earned, then its events."""
        m = self.m
        for event in events:
            if isinstance(event, PointsAwarded) and event.member_id == member_id(mi):
                m.available[mi] += event.points
                m.earned[mi] += event.points
                source = event.activity_id.partition(":")[0]  # "task:..." or "contest:..."
                self._flow(("issued", source, self.arch_ids[m.arch[mi]]), event.points)
        self._events(mi, [e for e in events if e.member_id == member_id(mi)], day)

    # --- steps --------------------------------------------------------------------------

    def _add_codes(self, reward: Reward, count: int, day: int) -> None:
        count = min(count, coupon_codes_max)
        start = self.seq
        self.seq += count
        codes = tuple(f"{reward.id}-{start + i:08d}" for i in range(count))
        cmd = AddCouponCodes(reward.id, codes, "simulator", self.at(day, 0))
        services.add_coupon_codes(cmd, self.store(), self.economy)
        self._log("add_codes", cmd)

    def _arrivals(self, day: int) -> None:
        rng = self.rng.arrivals
        if day == 0:
            count = self.initial
        else:
            count = int(rng.poisson(self.pop.daily_arrivals * self.initial))
        if count == 0:
            return
        archs = rng.choice(len(self.archetypes), size=count, p=self.arch_share)
        self._join(day, archs.tolist(), [None] * count, rng)

    def _join(
        self, day: int, archs: list[int], inviters: list[int | None], rng: np.random.Generator
    ) -> None:
        """Register members of these archetypes (an invitee with their inviter's code; a
        code the guards refuse leaves the friend out) and start tracking them."""
        m = self.m
        m.grow(m.n + len(archs))
        at = self.at(day, 0)
        for a, inviter in zip(archs, inviters, strict=True):
            index = m.n
            ident = member_id(index)
            assert index == len(self.ids), "members are numbered in arrival order"
            code = None if inviter is None else self.referrals_program.code(member_id(inviter))
            cmd = RegisterMember(ident, ident, at, ident, code)
            if not self.referrals_program.register(cmd):
                continue
            self.ids.append(ident)
            m.arch[index] = a
            m.join_day[index] = day
            m.alive[index] = True
            m.last_visit[index] = day
            m.first_reach[index, 0] = day
            arch = self.archetypes[a]
            if arch.redeem == "goal":
                m.goal[index] = self._choose_goal(arch.goal_tier, index, rng)
            m.n = index + 1

    def _invitations(self, visitors: np.ndarray) -> None:
        """Visitors of inviting archetypes bring a friend with their chance; the friends
        join the next morning (simulation.referrals_program)."""
        chance = self.arch_invite[self.m.arch[visitors]]
        inviting = visitors[self.rng.referrals.random(len(visitors)) < chance]
        self.invited.extend(inviting.tolist())

    def _invitees(self, day: int) -> None:
        """Yesterday's invited friends join: of the inviter's `invitee` archetype, else
        drawn by the shares."""
        inviters, self.invited = self.invited, []
        rng = self.rng.referrals
        archs: list[int] = []
        for inviter in inviters:
            fixed = int(self.arch_invitee[self.m.arch[inviter]])
            drawn = int(rng.choice(len(self.archetypes), p=self.arch_share))
            archs.append(fixed if fixed >= 0 else drawn)
        friends_of: list[int | None] = list(inviters)
        self._join(day, archs, friends_of, rng)

    def _choose_goal(self, tier: str | None, index: int, rng: np.random.Generator) -> int:
        """A goal saver picks a reward of its tier it can still get; else one tier lower."""
        tiers = [t.id for t in self.economy.reward_tiers]
        position = tiers.index(tier) if tier in tiers else len(tiers) - 1
        for tier_id in reversed(tiers[: position + 1]):
            options = [
                i
                for i, r in enumerate(self.rewards)
                if r.tier == tier_id
                and self.stockout.get(r.id) is None
                and self.reward_counts.get((index, i), 0) < (r.per_member_limit or 10**9)
            ]
            if options:
                return int(options[int(rng.integers(len(options)))])
        return -1

    def _visitors(self, day: int) -> np.ndarray:
        m = self.m
        n = m.n
        age = day - m.join_day[:n]
        novelty = np.exp(-age / self.pop.churn.novelty_days)
        arch = m.arch[:n]
        p = self.arch_visit[arch] * (1.0 + self.arch_boost[arch] * novelty)
        draw = self.rng.visits.random(n)
        visiting = (draw < np.minimum(p, 1.0)) & m.alive[:n]
        idx = np.flatnonzero(visiting)
        m.last_visit[idx] = day
        return idx

    def _activities(self, day: int, visitors: np.ndarray) -> None:
        """Sample each visitor's activities in bulk and record them through the services."""
        if len(visitors) == 0:
            return
        rng = self.rng.activities
        arch = self.m.arch[visitors]
        counts = rng.poisson(self.rates[arch])  # visitors x kinds
        per_kind_total = counts.sum(axis=0)
        members_rep: list[np.ndarray] = []
        kinds_rep: list[np.ndarray] = []
        for k in range(len(self.kinds)):
            if per_kind_total[k]:
                members_rep.append(np.repeat(visitors, counts[:, k]))
                kinds_rep.append(np.full(int(per_kind_total[k]), k, np.int16))
        if not members_rep:
            return
        who = np.concatenate(members_rep)
        kind_of = np.concatenate(kinds_rep)
        seconds = rng.integers(ACTIVITY_FIRST_S, ACTIVITY_LAST_S, size=len(who))
        order = np.lexsort((seconds, who))
        who, kind_of, seconds = who[order], kind_of[order], seconds[order]
        attrs = self._attributes(kind_of, self.m.arch[who])
        base = self.at(day, 0)
        cmds: list[RecordActivity] = []
        members: list[int] = []
        kinds = self.kinds
        specs = self.kind_specs
        ids = self.ids
        subject_draw = self.rng.attributes.random(len(who))
        notes: list[tuple[int, int]] = []  # (command position, member)
        seq = self.seq  # counted here and written back: once per activity otherwise
        for i, (mi, ki, sec) in enumerate(
            zip(who.tolist(), kind_of.tolist(), seconds.tolist(), strict=True)
        ):
            spec = specs[ki]
            seq += 1
            subject: str | None = None
            if spec.subject == "note":
                subject = f"n{seq}"
                notes.append((i, mi))
            elif spec.subject == "unique":
                subject = f"u{seq}"
            elif spec.subject == "pool":
                subject = f"{spec.kind}:{int(subject_draw[i] * spec.pool_size)}"
            when = base + timedelta(seconds=sec)
            cmds.append(  # it arrives as it happens: the request's time is its own
                RecordActivity(ids[mi], kinds[ki], when, f"a{seq}", subject, attrs[i], at=when)
            )
            members.append(mi)
        self.seq = seq
        recorded = self._record(cmds, members, day)
        notes = [(pos, mi) for pos, mi in notes if recorded[pos]]  # a rejected note never ran
        if notes:
            self._schedule_notes(day, cmds, notes)

    def _attributes(self, kind_of: np.ndarray, arch_of: np.ndarray) -> list[Attributes]:
        """Each activity's attributes: drawn from its kind's specs, then, for an archetype
        with specs of its own for the kind, redrawn from those (only then: a population
        without them draws exactly as before)."""
        rng = self.rng.attributes
        out: list[Attributes] = [{} for _ in range(len(kind_of))]
        for k, spec in enumerate(self.kind_specs):
            if not spec.attributes:
                continue
            positions = np.flatnonzero(kind_of == k)
            if len(positions) == 0:
                continue
            for name, drawn in spec.attributes:
                values = _draw(rng, drawn, len(positions))
                for pos, value in zip(positions.tolist(), values.tolist(), strict=True):
                    out[pos][name] = int(value)
        for (k, arch), specs in self.arch_attributes.items():
            positions = np.flatnonzero((kind_of == k) & (arch_of == arch))
            if len(positions) == 0:
                continue
            for name, own in specs:
                values = _draw(rng, own, len(positions))
                for pos, value in zip(positions.tolist(), values.tolist(), strict=True):
                    out[pos][name] = int(value)
        return out

    def _schedule_notes(
        self, day: int, cmds: list[RecordActivity], notes: list[tuple[int, int]]
    ) -> None:
        """Draw each new note's eventual performance (heavy-tailed) to measure it later."""
        rng = self.rng.content
        members = np.array([mi for _, mi in notes])
        arch = self.m.arch[members]
        draw = self.arch_median[arch] * np.exp(
            self.arch_sigma[arch] * rng.standard_normal(len(notes))
        )
        due = day + self.pop.notes.measure_after_days
        bucket = self.pending_notes.setdefault(due, [])
        for (pos, mi), value in zip(notes, draw.tolist(), strict=True):
            subject = cmds[pos].subject_id
            assert subject is not None
            bucket.append((mi, subject, int(value)))

    def _measure_notes(self, day: int) -> None:
        """Note metrics arrive for the notes published `measure_after_days` ago; the brand
        features the notes that did best."""
        due = self.pending_notes.pop(day, [])
        notes = self.pop.notes
        if not due or notes.metrics_kind is None:
            return
        base = self.at(day, 1_800)
        cmds: list[RecordActivity] = []
        members: list[int] = []
        for mi, subject, value in sorted(due):
            self.seq += 1
            cmds.append(
                RecordActivity(
                    member_id(mi),
                    notes.metrics_kind,
                    base,
                    f"a{self.seq}",
                    subject,
                    {notes.attribute: value},
                    at=base,
                )
            )
            members.append(mi)
            if notes.featured_kind is not None and value >= notes.featured_at_interactions:
                self.seq += 1
                cmds.append(
                    RecordActivity(
                        member_id(mi),
                        notes.featured_kind,
                        base,
                        f"a{self.seq}",
                        subject,
                        {},
                        at=base,
                    )
                )
                members.append(mi)
        self._record(cmds, members, day, by_members=False)

    def _record(
        self, cmds: list[RecordActivity], members: list[int], day: int, by_members: bool = True
    ) -> list[bool]:
        """Send activities to the services in batches; `by_members` is False for what the
        platform reports about members (note metrics, featuring), which is not activity.
        Returns, per command, whether the services accepted it."""
        recorded: list[bool] = []
        m = self.m
        economy = self.economy
        spend_kind = economy.spend_kind
        for start in range(0, len(cmds), batch_size_max):
            batch = cmds[start : start + batch_size_max]
            results = services.record_activities(batch, self.store(), economy)
            self._log("activities", batch)
            chunk = zip(batch, members[start : start + batch_size_max], results, strict=True)
            for cmd, mi, result in chunk:
                if isinstance(result, DomainError):
                    recorded.append(False)
                    self.errors[result.code] = self.errors.get(result.code, 0) + 1
                    self.rejected_activities += 1  # a reference cycle: see _end_of_day
                    continue
                recorded.append(True)
                self.activity_count += 1
                if by_members:
                    self.today_active.add(mi)
                record = result.record
                points = record.points
                wait = self._pending_days(record.lines) if points and self.pending_days else 0
                if record.kind == spend_kind and not result.replayed:
                    self._purchased(mi, result, cmd.idempotency_key, wait, day)
                if wait:  # confirmed by a review once due (domain.services.pending)
                    due = record.occurred_at + timedelta(days=wait)
                    entry = (due, points, record.lines, record.id)
                    self.pending.setdefault(mi, []).append(entry)
                elif points:
                    m.available[mi] += points
                    m.earned[mi] += points
                    self._flow_issued(mi, record.lines)
                    if self.paid:
                        self.membership_program.extra_points += multiplier_extra(record.lines)
                if result.events:
                    self._pipeline_events(mi, result.events, day)
        return recorded

    def _pipeline_events(self, mi: int, events: tuple[Event, ...], day: int) -> None:
        """An activity's events, each for its own member: a referral pays the referrer and
        welcomes the invitee (points outside the activity's own)."""
        if not self.referrals:
            self._events(mi, events, day)
            return
        by_member: dict[int, list[Event]] = {}
        for event in events:
            index = int(event.member_id[1:])
            by_member.setdefault(index, []).append(event)
            if isinstance(event, ReferralQualified):
                self.referrals_program.qualified(event)
            elif isinstance(event, PointsAwarded) and event.activity_id.startswith("referral:"):
                self._credit(index, event.points, "referral")
        for index in sorted(by_member):
            self._events(index, by_member[index], day)

    def _credit(self, mi: int, points: int, source: str) -> None:
        self.m.available[mi] += points
        self.m.earned[mi] += points
        self._flow(("issued", source, self.arch_ids[self.m.arch[mi]]), points)

    def _commissions(self, day: int, as_of: datetime) -> None:
        """The review's referral round: held rewards decided by an operator, commission
        past its return window confirmed."""
        confirm_share = self.pop.operations.held_referral_confirm
        decided = self.referrals_program.decide_held(as_of, confirm_share, self.rng.referrals)
        if decided:
            self._pipeline_events(int(decided[0].member_id[1:]), tuple(decided), day)
        for confirmed in self.referrals_program.confirm(as_of):
            for share in confirmed.commission.shares:
                self._credit(int(share.member_id[1:]), share.points, "commission")
            by_member: dict[int, list[Event]] = {}
            for event in confirmed.events:
                by_member.setdefault(int(event.member_id[1:]), []).append(event)
            for index in sorted(by_member):
                self._events(index, by_member[index], day)

    def _events(self, mi: int, events: tuple[Event, ...] | list[Event], day: int) -> None:
        m = self.m
        churn = self.pop.churn
        for event in events:
            if isinstance(event, LevelChanged):
                if self.spend and event.reason == "demoted":
                    self.spend["demotions"] += 1
                self._level_is(mi, event.to_level, day)
            elif isinstance(event, HonorGranted):
                self.honors_awarded[event.honor_id] += 1
                m.recognition[mi] = max(
                    m.recognition[mi] * churn.recognition_factor, churn.recognition_floor
                )
            elif isinstance(event, KocTierChanged):
                m.koc[mi] = -1 if event.to_tier is None else self.koc_rank[event.to_tier]
            elif isinstance(event, PointsExpired):
                m.available[mi] -= event.points
                self._flow(("expired", "", self.arch_ids[m.arch[mi]]), event.points)
            elif isinstance(event, QuestCompleted):
                self._quest_completed(mi, event)

    def _level_is(self, mi: int, level_id: str, day: int) -> None:
        m = self.m
        churn = self.pop.churn
        rank = self.level_rank[level_id]
        old = int(m.rank[mi])
        m.rank[mi] = rank
        if rank > old:
            reach = m.first_reach[mi]
            for r in range(old + 1, rank + 1):
                if reach[r] < 0:
                    reach[r] = day
            m.recognition[mi] = max(
                m.recognition[mi] * churn.recognition_factor, churn.recognition_floor
            )

    def _quest_completed(self, mi: int, event: QuestCompleted) -> None:
        counts = self.quest_counts[event.quest_id]
        counts["completed"] += 1
        quest = self.economy.quest(event.quest_id)
        assert quest is not None, f"completion of unknown quest {event.quest_id}"
        if event.rewarded:
            self._quest_paid(mi, event.quest_id, event.points)
        elif quest.claim and not self._full(mi, quest.id, event.instance):
            self.to_claim[(mi, quest.id)] = event.instance
        else:
            counts["full"] += 1

    def _full(self, mi: int, quest_id: str, instance: int) -> bool:
        with self.store() as uow:
            progress = uow.quests.get(member_id(mi), quest_id, instance)
        return progress is not None and progress.state is QuestState.FULL

    def _quest_paid(self, mi: int, quest_id: str, points: int) -> None:
        counts = self.quest_counts[quest_id]
        counts["paid"] += 1
        counts["points"] += points
        if points:
            self.m.available[mi] += points
            self.m.earned[mi] += points
            self._flow(("issued", f"quest:{quest_id}", self.arch_ids[self.m.arch[mi]]), points)

    def _join_quests(self, day: int, visitors: np.ndarray) -> None:
        """Visitors join open opt-in quests with their archetype's uptake, before the
        day's activity, so that it counts."""
        if not self.opt_in_quests or len(visitors) == 0:
            return
        uptake = self.arch_uptake[self.m.arch[visitors]]
        joining = visitors[self.rng.quests.random(len(visitors)) < uptake]
        at = self.at(day, AT_QUEST_JOIN)
        local_day = day_number(at, self.tz)
        for mi in joining.tolist():
            for quest in self.opt_in_quests:
                instance = instance_of(quest, local_day)
                if (mi, quest.id, instance) in self.quest_joined or not is_open(quest, at):
                    continue
                gate = self.level_rank[quest.min_level] if quest.min_level else 0
                if self.m.rank[mi] < gate:
                    continue
                cmd = StartQuest(member_id(mi), quest.id, self.next_key("q"), at)
                self._log("start_quest", cmd)
                try:
                    services.start_quest(cmd, self.store(), self.economy)
                except DomainError as error:
                    self.errors[error.code] = self.errors.get(error.code, 0) + 1
                    continue
                self.quest_joined.add((mi, quest.id, instance))
                self.quest_counts[quest.id]["started"] += 1

    def _claim_quests(self, day: int, visitors: np.ndarray) -> None:
        """Visitors claim what their completed claim quests owe them."""
        if not self.to_claim:
            return
        at = self.at(day, AT_QUEST_CLAIM)
        present = set(visitors.tolist())
        for (mi, quest_id), _instance in sorted(self.to_claim.items()):
            if mi not in present:
                continue
            del self.to_claim[(mi, quest_id)]
            cmd = ClaimQuestReward(member_id(mi), quest_id, self.next_key("c"), at)
            self._log("claim_quest", cmd)
            try:
                services.claim_quest_reward(cmd, self.store(), self.economy)
            except DomainError as error:  # the period closed before the member came back
                self.errors[error.code] = self.errors.get(error.code, 0) + 1
                continue
            quest = self.economy.quest(quest_id)
            assert quest is not None, f"claim of unknown quest {quest_id}"
            self._quest_paid(mi, quest_id, quest.reward.points)
            self._level_is(mi, services.get_member(member_id(mi), self.store()).level_id, day)

    def _redemptions(self, day: int, visitors: np.ndarray) -> None:
        """Visitors who shop: deal hunters take the dearest reward they can afford at once;
        goal savers wait until their goal is affordable (and choose again if it is gone)."""
        if len(visitors) == 0:
            return
        m = self.m
        rng = self.rng.redemptions
        arch = m.arch[visitors]
        shopping = visitors[rng.random(len(visitors)) < self.arch_redeem_p[arch]]
        cheapest = int(self.reward_price.min()) if len(self.reward_price) else 0
        shopping = shopping[m.available[shopping] >= cheapest]
        at = self.at(day, 81_000)
        for mi in shopping.tolist():
            style = self.arch_style[int(m.arch[mi])]
            choice = -1
            if style == "at_once":
                choice = self._best_affordable(mi)
            elif style == "goal":
                goal = int(m.goal[mi])
                if goal >= 0 and not self._can_try(mi, goal):
                    goal = self._choose_goal(self.archetypes[int(m.arch[mi])].goal_tier, mi, rng)
                    m.goal[mi] = goal
                if (
                    goal >= 0
                    and m.available[mi] >= self.reward_price[goal]
                    and (m.rank[mi] >= self.reward_gate[goal])
                ):
                    choice = goal
            if choice >= 0:
                self._redeem(mi, choice, day, at)

    def _can_try(self, mi: int, r: int) -> bool:
        reward = self.rewards[r]
        if reward.stock is not None and (self.store.state.stock.get(reward.id) or 0) <= 0:
            return False
        limit = reward.per_member_limit
        return limit is None or self.reward_counts.get((mi, r), 0) < limit

    def _best_affordable(self, mi: int) -> int:
        m = self.m
        ok = (self.reward_price <= m.available[mi]) & (self.reward_gate <= m.rank[mi])
        candidates = [r for r in np.flatnonzero(ok).tolist() if self._can_try(mi, r)]
        if not candidates:
            return -1
        return max(candidates, key=lambda r: (int(self.reward_price[r]), -r))

    def _redeem(self, mi: int, r: int, day: int, at: datetime) -> None:
        reward = self.rewards[r]
        cmd = RedeemReward(member_id(mi), reward.id, 1, self.next_key("r"), at)
        try:
            result = services.redeem_reward(cmd, self.store(), self.economy)
        except DomainError as error:
            self.errors[error.code] = self.errors.get(error.code, 0) + 1
            self._log("redeem", (cmd, None))
            return
        self._log("redeem", (cmd, result.redemption.id))
        m = self.m
        price = result.redemption.points
        m.available[mi] -= price
        m.held[mi] += price
        self.reward_counts[(mi, r)] = self.reward_counts.get((mi, r), 0) + 1
        m.redeemed_tier[mi, self.tier_index[reward.tier]] += 1
        self.redemptions_by_reward[reward.id] += 1
        self.pending_fulfil.append((day, result.redemption.id, mi, r))
        self._check_stock(reward, day)

    def _check_stock(self, reward: Reward, day: int) -> None:
        if reward.stock is None or self.stockout[reward.id] is not None:
            return
        if self.store.state.stock.get(reward.id) == 0:
            self.stockout[reward.id] = day

    def _fulfil(self, day: int) -> None:
        """The operator fulfils redemptions after `fulfil_after_days`; a share fails and is
        cancelled (points and stock come back)."""
        due = day - self.pop.operations.fulfil_after_days
        rng = self.rng.fulfilment
        m = self.m
        at = self.at(day, 82_800)
        while self.pending_fulfil and self.pending_fulfil[0][0] <= due:
            _, redemption_id, mi, r = self.pending_fulfil.popleft()
            price = int(self.reward_price[r])
            fails = rng.random() < self.pop.operations.fulfilment_failure
            if not fails:
                cmd = FulfillRedemption(redemption_id, "simulator", at)
                self._log("fulfil", cmd)
                try:
                    services.fulfill_redemption(cmd, self.store(), self.economy)
                    m.held[mi] -= price
                    self._flow(("spent", self.rewards[r].tier, self.arch_ids[m.arch[mi]]), price)
                    continue
                except DomainError as error:
                    self.errors[error.code] = self.errors.get(error.code, 0) + 1
            cancel = CancelRedemption(redemption_id, "simulator", at, "fulfilment failed")
            self._log("cancel", cancel)
            services.cancel_redemption(cancel, self.store(), self.economy)
            m.held[mi] -= price
            m.available[mi] += price
            self.reward_counts[(mi, r)] -= 1
            reward = self.rewards[r]
            m.redeemed_tier[mi, self.tier_index[reward.tier]] -= 1
            self.redemptions_by_reward[reward.id] -= 1

    def _review(self, day: int) -> None:
        m = self.m
        n = m.n
        as_of = self.at(day, 84_600)
        candidates = np.flatnonzero(self.keep_by_rank[m.rank[:n]] > 0)
        expiry = self.economy.expiry
        chosen = set(candidates.tolist())
        if expiry is not None:
            horizon = month_index(day_number(as_of, self.tz)) - expiry.after_months
            joined_month = self.month_of_day[m.join_day[:n]]
            holders = np.flatnonzero((m.available[:n] > 0) & (joined_month < horizon))
            state = self.store.state.members
            for mi in holders.tolist():
                if mi in chosen:
                    continue
                member = state[member_id(mi)]
                if services.expirable_points(self.economy, member, int(m.available[mi]), as_of):
                    chosen.add(mi)
        chosen |= {
            mi for mi, waiting in self.pending.items() if min(w[0] for w in waiting) <= as_of
        }
        for mi in sorted(chosen):
            cmd = ReviewMember(member_id(mi), as_of)
            self._log("review", cmd)
            events = services.review_member(cmd, self.store(), self.economy)
            self._confirmed(mi, as_of)
            if events:
                self._events(mi, events, day)
        if self.economy.roles:
            self._roles(as_of)
        if self.economy.campaigns:
            self._campaigns(as_of, day)
        if self.friends.choices:
            self.friends.expire(as_of)
        if self.paid:
            self._memberships(day, as_of)
        if self.referrals:
            self._commissions(day, as_of)
        if self.economy.contests or self.economy.seasons is not None:
            prizes = self.programs.settle(as_of)
            for winner in sorted({e.member_id for e in prizes}):
                self._paid(int(winner[1:]), prizes, day)

    def _friends(self, day: int, visitors: np.ndarray) -> None:
        """Visitors join or help a friend's open instance, then start their own
        (simulation.friends_program); a fill's points are paid outside the pipeline."""
        m, rng, ids = self.m, self.rng.friends, self.ids
        arch = m.arch[visitors]
        joiners = visitors[rng.random(len(visitors)) < self.arch_friend_join[arch]]
        for n, mi in enumerate(joiners.tolist()):
            events = self.friends.join(ids[mi], rng, self.at(day, AT_FRIENDS_S + n))
            for payee in sorted({e.member_id for e in events if isinstance(e, PointsAwarded)}):
                self._paid(int(payee[1:]), events, day)
        starters = visitors[rng.random(len(visitors)) < self.arch_friend_start[arch]]
        for n, mi in enumerate(starters.tolist()):
            self.friends.start(ids[mi], rng, self.at(day, AT_FRIEND_START_S + n))

    def _buy_paid_tier(self, day: int, visitors: np.ndarray) -> None:
        """Visitors of archetypes with a paid-tier uptake may buy it before acting (an
        hour before the day's first activity; simulation.membership_program)."""
        keen = visitors[self.arch_paid_uptake[self.m.arch[visitors]] > 0]
        if len(keen) == 0:
            return
        uptake = self.arch_paid_uptake
        arch = self.m.arch

        def chance(member: str) -> float:
            return float(uptake[arch[int(member[1:])]])

        at = self.at(day, ACTIVITY_FIRST_S - 3_600)
        ids = self.ids
        self.membership_program.visits(
            [ids[int(mi)] for mi in keen], chance, at, self.rng.membership
        )

    def _memberships(self, day: int, as_of: datetime) -> None:
        """The review's membership round: ended periods recorded, soon-ending ones renewed
        with the archetype's chance by members still around."""
        renew = self.arch_renew
        m = self.m

        def chance(member: str) -> float:
            return float(renew[m.arch[int(member[1:])]])

        def alive(member: str) -> bool:
            return bool(m.alive[int(member[1:])])

        self.membership_program.review(
            day, as_of, self.pop.operations.review_every_days, chance, alive,
            self.rng.membership,
        )  # fmt: skip

    def _roles(self, as_of: datetime) -> None:
        """The review's role round: archetypes with a role interest step forward, the
        newest members (at the first level) are paired with mentors (simulation.roles_program)."""
        m = self.m
        n = m.n
        keen = np.flatnonzero(m.alive[:n] & (self.arch_role_interest[m.arch[:n]] > 0))
        newcomers = np.flatnonzero(m.alive[:n] & (m.rank[:n] == 0))
        interest = self.arch_role_interest

        def chance(member: str) -> float:
            return float(interest[m.arch[int(member[1:])]])

        self.roles_program.round(
            as_of,
            self.pop.operations.review_every_days,
            [member_id(int(mi)) for mi in keen],
            chance,
            [member_id(int(mi)) for mi in newcomers[::-1][:20]],
            self.rng.roles,
        )

    def _campaigns(self, as_of: datetime, day: int) -> None:
        """The review's campaign round: archetypes with a campaign interest apply, the
        selected confirm or decline (simulation.campaigns_program); points paid outside
        the pipeline count in the flows as "campaign"."""
        m = self.m
        n = m.n
        keen = np.flatnonzero(m.alive[:n] & (self.arch_campaign_interest[m.arch[:n]] > 0))
        interest = self.arch_campaign_interest
        ops = self.pop.operations

        def chance(member: str) -> float:
            return float(interest[m.arch[int(member[1:])]])

        paid = self.campaigns_program.round(
            as_of,
            [member_id(int(mi)) for mi in keen],
            chance,
            ops.campaign_confirm,
            ops.campaign_decline,
            self.rng.campaigns,
        )
        for payee in sorted({e.member_id for e in paid if isinstance(e, PointsAwarded)}):
            self._paid(int(payee[1:]), paid, day)

    def _churn(self, day: int, visitors: np.ndarray) -> None:
        """Members leave for good with a daily hazard: the archetype's base, shielded by
        novelty early on, lowered by recognition (level-ups, honors), raised by weeks
        without a visit and by a goal out of reach."""
        m = self.m
        n = m.n
        c = self.pop.churn
        alive = np.flatnonzero(m.alive[:n])
        if len(alive) == 0:
            return
        arch = m.arch[alive]
        age = day - m.join_day[alive]
        hazard = self.arch_churn[arch] * (1.0 - c.novelty_shield * np.exp(-age / c.novelty_days))
        hazard = hazard * m.recognition[alive]
        idle_weeks = np.minimum((day - m.last_visit[alive]) / 7.0, c.inactivity_weeks_max)
        hazard = hazard * (1.0 + c.inactivity_weight_per_week * idle_weeks)
        goals = m.goal[alive]
        has_goal = goals >= 0
        if has_goal.any() and c.unreachable_factor != 1.0:
            price = np.where(has_goal, self.reward_price[np.maximum(goals, 0)], 0)
            gate = np.where(has_goal, self.reward_gate[np.maximum(goals, 0)], 0)
            threshold = np.array([lv.threshold for lv in self.economy.levels])[gate]
            need = np.maximum(price - m.available[alive], threshold - m.earned[alive])
            rate = m.earned[alive] / np.maximum(age, 7)
            days_needed = np.where(rate > 0, need / np.maximum(rate, 1e-9), math.inf)
            unreachable = has_goal & (need > 0) & (days_needed > c.goal_patience_days)
            hazard = np.where(unreachable, hazard * c.unreachable_factor, hazard)
        leaving = alive[self.rng.churn.random(len(alive)) < hazard]
        m.alive[leaving] = False

    def _metrics(self, day: int) -> None:
        m = self.m
        n = m.n
        self.member_days += n
        active = np.fromiter(self.today_active, np.int64, len(self.today_active))
        self.today_active = set()
        m.last_active[active] = day
        month = (day - m.join_day[active]) // COHORT_DAYS
        m.active_month[active, month] = True
        balances = self.store.state.balances
        issued = -balances.get(ISSUANCE, 0)
        spent = balances.get(REDEMPTION, 0)
        expired = balances.get(EXPIRY, 0)
        held = int(m.held[:n].sum())
        outstanding = issued - spent - expired
        churned = ~m.alive[:n]
        stranded = int((m.available[:n][churned]).sum() + m.held[:n][churned].sum())
        before = self.totals_before
        previous = self.daily["issued"][-1] if self.daily else before["issued"]
        prev_spent = self.daily["spent"][-1] if self.daily else before["spent"]
        prev_expired = self.daily["expired"][-1] if self.daily else before["expired"]
        mau = int((m.last_active[:n] > day - MAU_WINDOW_DAYS).sum())
        row: dict[str, float] = {
            "day": day + 1,
            "members": n,
            "alive": int(m.alive[:n].sum()),
            "dau": len(active),
            "mau": mau,
            "dau_mau": len(active) / mau if mau else 0.0,
            "issued": issued,
            "spent": spent,
            "expired": expired,
            "held": held,
            "outstanding": outstanding,
            "issued_today": issued - previous,
            "spent_today": spent - prev_spent,
            "expired_today": expired - prev_expired,
            "earn_to_burn": issued / spent if spent else 0.0,
            "breakage": (expired + stranded) / issued if issued else 0.0,
            "gini": gini(m.available[:n] + m.held[:n]),
            "honors_awarded": sum(self.honors_awarded.values()),
        }
        ranks = np.bincount(m.rank[:n], minlength=len(self.economy.levels))
        for level, count in zip(self.economy.levels, ranks.tolist(), strict=True):
            row[f"level_{level.id}"] = count
        if self.economy.koc is not None:
            tiers = np.bincount(m.koc[:n] + 1, minlength=len(self.economy.koc.tiers) + 1)
            row["koc_none"] = int(tiers[0])
            for koc_tier, count in zip(self.economy.koc.tiers, tiers[1:].tolist(), strict=True):
                row[f"koc_{koc_tier.id}"] = count
        for t, tier in enumerate(self.economy.reward_tiers):
            redeemed = m.redeemed_tier[:n, t]
            row[f"redemptions_{tier.id}"] = int(redeemed.sum())
            row[f"redemption_rate_{tier.id}"] = float((redeemed > 0).sum()) / n if n else 0.0
        for key, value in row.items():
            self.daily.setdefault(key, []).append(float(value))

    # --- end of run ---------------------------------------------------------------------

    def check(self) -> None:
        """The ledger's invariants, and the simulator's view of each balance agreeing
        with the store's (a disagreement is a bug of ours, hence `assert`)."""
        problems = ledger_problems(self.store.state)
        assert not problems, "ledger invariants broken: " + "; ".join(problems)
        m = self.m
        balances = self.store.state.balances
        for mi in range(m.n):
            ident = member_id(mi)
            available = balances.get(available_account(ident), 0)
            held = balances.get(held_account(ident), 0)
            assert (available, held) == (int(m.available[mi]), int(m.held[mi])), (
                f"simulator lost track of {ident}: store {available}/{held}, "
                f"simulator {int(m.available[mi])}/{int(m.held[mi])}"
            )

    def _purchased(
        self, mi: int, result: services.ActivityResult, key: str, wait: int, day: int
    ) -> None:
        """A purchase on a spend-driven ladder: counted (an amount, an order not seen
        before), and for an archetype that returns things, perhaps refunded later inside
        its return window, before its points are confirmed (without a return window, a
        purchase that earned points is never refunded: its points may be spent by then)."""
        record = result.record
        if not self.store.state.subjects.has(member_id(mi), services.SPEND_COUNTED, record.id):
            return  # no amount, or an order counted before: it counted nothing
        amount = record.attributes[self.economy.level_review.amount_attribute]
        self.spend["purchases"] += 1
        self.spend["spend"] += amount
        chance = self.arch_refund[self.m.arch[mi]]
        if chance <= 0 or (record.points and wait < 2):
            return
        rng = self.rng.attributes  # drawn only for archetypes that refund: others unchanged
        if rng.random() >= chance:
            return
        after = int(rng.integers(1, max(wait, 2)))  # whole days, before the points confirm
        self.refunds_due.setdefault(day + after, []).append((mi, record.id, key))

    def _refunds(self, day: int) -> None:
        """Orders returned today: `reverse_activity` of the purchase (its pending points are
        voided, its spend leaves the window, the level is judged at the next review)."""
        at = self.at(day, 2_700)
        for mi, activity_id, key in self.refunds_due.pop(day, []):
            cmd = ReverseActivity(activity_id, "refund", "simulator", f"refund-{key}", at)
            self._log("refund", (cmd, key))
            result = services.reverse_activity(cmd, self.store(), self.economy)
            self.spend["refunds"] += 1
            waiting = [w for w in self.pending.get(mi, []) if w[3] != activity_id]
            if waiting:
                self.pending[mi] = waiting
            else:
                self.pending.pop(mi, None)
            if result.events:
                self._events(mi, result.events, day)

    def _forget_closed_quests(self, day: int) -> None:
        """The store drops the quest progress of periods closed for longer than any
        refund may reach back (a refund steps back the quests of its purchase's period,
        and comes before the purchase's points confirm, inside the longest
        `pending_days`): no rule reads them again, and the store refuses a read of one
        (`HistoryNotKept`) rather than answer it wrongly."""
        reach = timedelta(days=max(self.pending_days.values(), default=0) + 1)
        now = self.at(day + 1, 0)
        economy, tz = self.economy, self.tz

        def closed(quest_id: str, instance: int) -> bool:
            quest = economy.quest(quest_id)
            ends = instance_ends(quest, instance, tz) if quest is not None else None
            return ends is not None and ends + reach <= now

        self.store.forget_quest_periods(closed)

    def _pending_days(self, lines: tuple[AwardLine, ...]) -> int:
        """How long an activity's points pend: the longest `pending_days` of the rules
        that paid it (0 in most economies, where no rule pends)."""
        pending_days = self.pending_days
        if not pending_days:
            return 0
        longest = 0  # a plain loop: a generator under max() cost 1% of a run here
        for line in lines:
            if line.points > 0:
                longest = max(longest, pending_days.get(line.rule_id, 0))
        return longest

    def _confirmed(self, mi: int, as_of: datetime) -> None:
        """The member's pending earnings the review confirmed (those due by `as_of`)
        become available, and count as issued, as the store has just done."""
        waiting = self.pending.get(mi)
        if not waiting:
            return
        m = self.m
        for _, points, lines, _ in [w for w in waiting if w[0] <= as_of]:
            m.available[mi] += points
            m.earned[mi] += points
            self._flow_issued(mi, lines)
        left = [w for w in waiting if w[0] > as_of]
        if left:
            self.pending[mi] = left
        else:
            del self.pending[mi]

    def _flow(self, key: tuple[str, str, str], points: int) -> None:
        self.flows[key] = self.flows.get(key, 0) + points

    def _flow_issued(self, mi: int, lines: tuple[AwardLine, ...]) -> None:
        arch = self.arch_ids[self.m.arch[mi]]
        for line in lines:
            if line.points:
                self._flow(("issued", line.rule_id, arch), line.points)

    def _final_flows(self) -> dict[tuple[str, str, str], int]:
        """The flows so far, plus what each archetype's members hold at the end."""
        m = self.m
        n = m.n
        holding = np.bincount(
            m.arch[:n], weights=(m.available[:n] + m.held[:n]).astype(float),
            minlength=len(self.archetypes),
        )  # fmt: skip
        flows = dict(self.flows)
        balances = self.store.state.balances
        pending = np.zeros(len(self.archetypes), np.int64)
        for mi in range(n):  # issued into pending buckets (commission, held rewards): held too
            pending[m.arch[mi]] += balances.get(pending_account(member_id(mi)), 0)
        for a, arch in enumerate(self.arch_ids):
            if pending[a]:
                flows[("issued", "pending", arch)] = int(pending[a])
            if holding[a] or pending[a]:
                flows[("outstanding", "", arch)] = int(holding[a] + pending[a])
        return dict(sorted(flows.items()))

    def _days_to_level(self) -> dict[str, list[int]]:
        m = self.m
        n = m.n
        out: dict[str, list[int]] = {}
        for level in self.economy.levels:
            reached = m.first_reach[:n, level.rank]
            mask = reached >= 0
            out[level.id] = (reached[mask] - m.join_day[:n][mask]).tolist()
        return out

    def _cohorts(self) -> tuple[list[list[int]], list[int]]:
        m = self.m
        n = m.n
        cohort = m.join_day[:n] // COHORT_DAYS
        months = m.active_month.shape[1]
        active: list[list[int]] = []
        sizes: list[int] = []
        for c in range(int(cohort.max()) + 1 if n else 0):
            mask = cohort == c
            sizes.append(int(mask.sum()))
            ages = (self.days - 1 - c * COHORT_DAYS) // COHORT_DAYS + 1
            row = m.active_month[:n][mask].sum(axis=0).tolist()[: min(ages, months)]
            active.append([int(x) for x in row])
        return active, sizes


def _draw(rng: np.random.Generator, a: AttributeSpec, size: int) -> np.ndarray:
    """`size` values of one attribute spec, rounded to whole numbers where it draws reals."""
    if a.dist == "constant":
        return np.full(size, a.value)
    if a.dist == "bernoulli":
        return (rng.random(size) < a.p).astype(np.float64)
    if a.dist == "lognormal":
        return np.round(a.median * np.exp(a.sigma * rng.standard_normal(size)))
    return np.round(rng.uniform(a.low, a.high, size))
