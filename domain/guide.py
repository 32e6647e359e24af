"""The public contribution-value guide: what each contribution earns and within which
limits, the level ladder, KOC tiers, honors and the points mall — as data.

`build_guide(economy)` returns frozen values that the CLI prints (as text or markdown, in
`honorloop.guide_render`; `guide_data` gives JSON) and the GraphQL `economy` query exposes. Each
item carries its structured fields plus a short English `summary` a client can show as is.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any

from domain.economy import (
    Campaign,
    Contest,
    Economy,
    Honor,
    KocProgram,
    KocTier,
    Level,
    Limit,
    PaidTier,
    Quest,
    Reward,
    Role,
    Rule,
    Streak,
    Task,
)

PERIOD_WORDS = {"day": "a day", "week": "a week", "month": "a month", "lifetime": "in total"}
FULFILMENT_WORDS = {
    "shipping": "shipped to your address",
    "coupon_code": "a coupon code, shown once fulfilled",
    "digital": "delivered digitally",
    "manual": "arranged with you by the community team",
}
text_width = 88


# ---------------------------------------------------------------------------------------
# The guide as data


@dataclass(frozen=True, slots=True)
class GuideLimit:
    period: str  # day | week | month | lifetime
    max_count: int | None
    max_points: int | None
    summary: str


@dataclass(frozen=True, slots=True)
class GuidePerUnit:
    attribute: str
    size: int  # one unit is this much of the attribute
    points: int  # per whole unit
    max_units: int | None
    max_points: int | None  # points * max_units, None when unbounded
    summary: str


@dataclass(frozen=True, slots=True)
class GuideMilestone:
    day: int  # length of the streak, in consecutive days
    points: int  # one-off bonus on that day


@dataclass(frozen=True, slots=True)
class GuideStreak:
    bonus_per_day: int
    max_bonus: int
    max_bonus_from_day: int | None  # first streak day that earns max_bonus
    milestones: tuple[GuideMilestone, ...]
    summary: str


@dataclass(frozen=True, slots=True)
class GuideRule:
    id: str
    title: str
    description: str
    kind: str  # the activity kind it matches
    group: str  # exclusive group: one rule per group and activity, the first that matches
    points: int  # fixed points for a match
    conditions: tuple[str, ...]  # all must hold, e.g. "photos >= 1"
    per_unit: GuidePerUnit | None
    streak: GuideStreak | None
    limits: tuple[GuideLimit, ...]
    cooldown_seconds: int
    once_per_subject: bool
    exempt_from_daily_cap: bool
    exclusive_with: tuple[str, ...]  # other rules of the same kind and group, file order
    max_points_per_activity: int | None  # before limits and the daily cap; None: unbounded
    earns: str  # e.g. "50 points + 10 per 500 words (up to +100)"
    restrictions: tuple[str, ...]  # conditions, limits, cooldown, ... in words


@dataclass(frozen=True, slots=True)
class GuideDailyCap:
    points: int | None  # None: no cap
    exempt_rules: tuple[str, ...]
    summary: str


@dataclass(frozen=True, slots=True)
class GuideLevel:
    id: str
    rank: int  # 0 is the entry level
    title: str
    threshold: int  # lifetime earned points that reach it
    keep: int  # points to earn per review window to keep it; 0: kept for good
    next_threshold: int | None
    privileges: tuple[str, ...]
    name_colour: str | None
    hall_of_fame: bool
    spend_min: int  # spend in the review window (minor units) that reaches it; 0: none
    purchases_min: int  # purchases in the review window that reach it; 0: none
    keep_spend: int  # spend per review window to keep it; 0: none
    keep_purchases: int  # purchases per review window to keep it; 0: none
    reached_by: str  # every criterion, in words
    kept_by: str  # every keep mark, in words ("" when it is kept for good)


@dataclass(frozen=True, slots=True)
class GuideLevelReview:
    window_days: int
    grace_days: int
    floor: str | None  # level id nobody above it is demoted below
    floor_title: str | None
    summary: str


@dataclass(frozen=True, slots=True)
class GuideKocTier:
    id: str
    rank: int
    title: str
    min_notes: int
    within_days: int | None
    viral_interactions: int | None
    privileges: tuple[str, ...]
    criteria: str


@dataclass(frozen=True, slots=True)
class GuideKoc:
    note_kinds: tuple[str, ...]
    metrics_kind: str
    interactions_attribute: str
    review_recent_notes: int
    review_min_interactions: int
    tiers: tuple[GuideKocTier, ...]
    summary: str


@dataclass(frozen=True, slots=True)
class GuideHonorTier:
    name: str
    at: int


@dataclass(frozen=True, slots=True)
class GuideHonor:
    id: str
    title: str
    description: str
    manual: bool
    trigger: str | None  # activity_count | streak | viral_note | level_reached; None if manual
    kinds: tuple[str, ...]
    rule: str | None
    level: str | None
    interactions: int | None
    tiers: tuple[GuideHonorTier, ...]
    hall_of_fame: bool
    max_holders: int | None
    criteria: str


@dataclass(frozen=True, slots=True)
class GuideReward:
    id: str
    title: str
    description: str
    tier: str
    price: int
    stock: int | None  # stock at launch (restocks add to it); None: unlimited
    per_member_limit: int | None
    min_level: str | None
    min_level_title: str | None
    available_from: datetime | None
    available_until: datetime | None
    fulfilment: str
    fulfilment_summary: str


@dataclass(frozen=True, slots=True)
class GuideRewardTier:
    id: str
    rank: int
    title: str
    description: str
    rewards: tuple[GuideReward, ...]


@dataclass(frozen=True, slots=True)
class GuideExpiry:
    after_months: int
    summary: str


@dataclass(frozen=True, slots=True)
class GuideQuest:
    id: str
    title: str
    guideline: str
    kind: str  # one_off | daily | weekly | monthly
    starts: datetime | None
    ends: datetime | None
    opt_in: bool
    claim: bool
    capacity: int | None
    steps: tuple[str, ...]  # each step in words, e.g. "3 post (photos >= 1)"
    reward_points: int
    reward_honor: str | None
    reward_coupon: str | None
    eligibility: str  # who may take it, in words ("" for everyone)
    summary: str


@dataclass(frozen=True, slots=True)
class GuideTask:
    id: str
    title: str
    guideline: str
    points: int
    bonus: tuple[str, ...]  # each quality tier in words, e.g. "good: +20 points"
    review: bool
    max_resubmissions: int
    due_days: int
    summary: str


@dataclass(frozen=True, slots=True)
class GuideContest:
    id: str
    title: str
    guideline: str
    period: str  # once | weekly | monthly
    metric: str  # points | interactions | count
    starts: datetime | None
    ends: datetime | None
    prizes: tuple[str, ...]  # each rank range and what it wins, in words
    summary: str


@dataclass(frozen=True, slots=True)
class GuideRole:
    id: str
    title: str
    guideline: str  # the role's duties
    seats: int
    term_days: int
    summary: str  # who may hold it, how one gets in, the term and what it shows


@dataclass(frozen=True, slots=True)
class GuideCampaign:
    id: str
    title: str
    guideline: str  # the campaign's description
    opens: str  # local wall-clock time in the economy's zone
    closes: str
    places: int
    method: str
    summary: str  # the window, who may apply, how places are filled, what it gives and asks


@dataclass(frozen=True, slots=True)
class GuideFriendQuest:
    """A team quest (friends join) or a help quest (friends help), in words."""

    id: str
    title: str
    kind: str  # team | help
    guideline: str  # how it works
    summary: str  # what it pays and its limits


@dataclass(frozen=True, slots=True)
class Guide:
    economy_id: str
    name: str
    description: str
    currency: str
    timezone: str
    calendar: str  # how days, weeks and months are counted
    daily_cap: GuideDailyCap
    rules: tuple[GuideRule, ...]
    levels: tuple[GuideLevel, ...]
    level_review: GuideLevelReview
    koc: GuideKoc | None
    honors: tuple[GuideHonor, ...]
    reward_tiers: tuple[GuideRewardTier, ...]
    expiry: GuideExpiry | None
    quests: tuple[GuideQuest, ...] = ()
    tasks: tuple[GuideTask, ...] = ()
    contests: tuple[GuideContest, ...] = ()
    seasons: str | None = None  # how seasons run and what they keep, in words
    roles: tuple[GuideRole, ...] = ()
    friend_quests: tuple[GuideFriendQuest, ...] = ()
    paid_tiers: tuple[str, ...] = ()  # each paid tier and what it gives while active
    referrals: str | None = None  # what inviting members earns, in words
    campaigns: tuple[GuideCampaign, ...] = ()


def build_guide(economy: Economy) -> Guide:
    currency = economy.currency
    exempt = tuple(r.id for r in economy.rules if r.exempt_from_daily_cap)
    if economy.daily_cap is None:
        cap_summary = "No daily cap."
    else:
        cap_summary = f"At most {points(economy.daily_cap, currency)} a day from all rules"
        titles = [r.title for r in economy.rules if r.exempt_from_daily_cap]
        cap_summary += f" except {join(titles)}." if titles else "."
    tz = economy.timezone.key
    return Guide(
        economy_id=economy.id,
        name=economy.name,
        description=economy.description,
        currency=currency,
        timezone=tz,
        calendar=(
            f"Days, weeks (Monday to Sunday) and months follow the {tz} calendar: "
            "a new day starts at local midnight."
        ),
        daily_cap=GuideDailyCap(economy.daily_cap, exempt, cap_summary),
        rules=tuple(_rule(economy, rule) for rule in economy.rules),
        levels=tuple(_level(economy, level) for level in economy.levels),
        level_review=_review(economy),
        koc=_koc(economy.koc) if economy.koc else None,
        honors=tuple(_honor(economy, honor) for honor in economy.honors),
        reward_tiers=tuple(
            GuideRewardTier(
                tier.id,
                tier.rank,
                tier.title,
                tier.description,
                tuple(_reward(economy, r) for r in economy.rewards if r.tier == tier.id),
            )
            for tier in economy.reward_tiers
        ),
        expiry=_expiry(economy.expiry.after_months) if economy.expiry else None,
        quests=tuple(_quest(economy, quest) for quest in economy.quests),
        tasks=tuple(_task(economy, task) for task in economy.tasks),
        contests=tuple(_contest(economy, contest) for contest in economy.contests),
        seasons=_seasons(economy),
        roles=tuple(_role(economy, role) for role in economy.roles),
        friend_quests=_friend_quests(economy),
        paid_tiers=tuple(_paid_tier(economy, tier) for tier in economy.paid_tiers),
        referrals=_referrals(economy),
        campaigns=tuple(_campaign(economy, campaign) for campaign in economy.campaigns),
    )


_ENTRY_WORDS = {
    "application": "Members apply; the team appoints",
    "nomination": "By nomination",
    "appointment": "Appointed by the team",
}


def _role(economy: Economy, role: Role) -> GuideRole:
    """A role in words: eligibility, the way in, seats, the term, what it shows."""
    needs: list[str] = []
    if role.min_level is not None:
        level = economy.level(role.min_level)
        needs.append(f"level {level.title if level else role.min_level} or above")
    for honor_id in role.honors:
        honor = economy.honor(honor_id)
        needs.append(f"the {honor.title if honor else honor_id} honor")
    way = _ENTRY_WORDS.get(role.entry, role.entry)
    if role.entry == "nomination":
        nominators = [getattr(economy.role(r), "title", r) for r in role.nominated_by]
        way += f" (the team{', or holders of ' + join(nominators) if nominators else ''})"
        way += "; the nominee accepts"
    summary = f"{way}. Needs {join(needs)}." if needs else f"{way}. Open to every member."
    summary += (
        f" {number(role.seats)} seat(s); a term lasts {number(role.term_days)} days, ends by "
        "itself and may be renewed. A holder who falls below the requirements is flagged "
        "to the team, not removed."
    )
    honor = economy.honor(role.honor or "")
    if honor is not None:
        summary += f" Holders show the {honor.title} honor."
    if role.mentees:
        level = economy.level(role.mentee_level or "")
        summary += (
            f" Each mentor guides up to {number(role.mentees)} newcomers at a time; a "
            f"newcomer reaching {level.title if level else role.mentee_level} counts once "
            "for their mentor"
        )
        tiered = economy.honor(role.mentor_honor or "")
        summary += f" toward the {tiered.title} honor." if tiered else "."
    return GuideRole(role.id, role.title, role.duties, role.seats, role.term_days, summary)


_METHOD_WORDS = {
    "first_come": "Places go to the first applicants, in the order they applied",
    "lottery": (
        "Places are drawn by lot after the window closes. The draw's seed is fixed and its "
        "SHA-256 published when the window opens, so the draw cannot be re-run; anyone can "
        "check it with the published audit record"
    ),
    "ranked": "Places go to the highest declared scores ({weights}); ties go to who applied first",
    "operator": "The team chooses the participants; the choice is published with the waitlist",
}


def _campaign(economy: Economy, campaign: Campaign) -> GuideCampaign:
    """A campaign in words: the window, eligibility, the selection, what it gives and asks."""
    currency = economy.currency
    tz = economy.timezone.key
    opens, closes = (t.replace("T", " ") for t in (campaign.opens, campaign.closes))
    summary = f"Apply from {opens} to {closes} ({tz} time) for {number(campaign.places)} place(s)."
    needs: list[str] = []
    if campaign.min_level is not None:
        level = economy.level(campaign.min_level)
        needs.append(f"level {level.title if level else campaign.min_level} or above")
    if campaign.koc_tiers:
        titles = [getattr(economy.koc_tier(t), "title", t) for t in campaign.koc_tiers]
        needs.append(f"a KOC tier among {join(titles, 'or')}")
    for honor_id in campaign.honors:
        honor = economy.honor(honor_id)
        needs.append(f"the {honor.title if honor else honor_id} honor")
    if campaign.cooldown_days:
        needs.append(f"no campaign place in the last {number(campaign.cooldown_days)} days")
    summary += f" Needs {join(needs)}." if needs else " Open to every member."
    weights = ", ".join(
        f"{name.replace('_', ' ')} x{weight}"
        for name, weight in zip(
            ("note interactions", "task approval percent", "level rank"),
            campaign.weights,
            strict=True,
        )
        if weight
    )
    summary += " " + _METHOD_WORDS[campaign.method].format(weights=weights) + "."
    caps = [
        f"{getattr(economy.level(g), 'title', g)}: {number(n)}" for g, n in campaign.level_quotas
    ] + [f"{getattr(economy.koc_tier(g), 'title', g)}: {number(n)}" for g, n in campaign.koc_quotas]
    if caps:
        summary += f" Places are capped per group ({join(caps)})."
    summary += (
        f" The selected confirm within {number(campaign.confirm_days)} day(s), or the place "
        "goes to the next on the waitlist."
    )
    gives: list[str] = []
    if campaign.points:
        gives.append(points(campaign.points, currency))
    for reward_id in (campaign.reward, campaign.coupon):
        reward = economy.reward(reward_id or "")
        if reward is not None:
            gives.append(f"{reward.title} at no cost")
    if gives:
        summary += f" Participants get {join(gives)}."
    task = economy.task(campaign.task or "")
    if task is not None:
        due = number(task.due_days)
        summary += f" Each participant owes the task {task.title!r} (due in {due} days)."
    return GuideCampaign(campaign.id, campaign.title, campaign.description, campaign.opens,
                         campaign.closes, campaign.places, campaign.method, summary)  # fmt: skip


def _friend_quests(economy: Economy) -> tuple[GuideFriendQuest, ...]:
    currency = economy.currency
    found = [
        GuideFriendQuest(
            team.id,
            team.title,
            "team",
            f"Start a team and share its code: {number(team.size - 1)} friend(s) join within "
            f"{number(team.hours)} hours.",
            f"A full team pays each member {points(team.points, currency)}; a team short at "
            f"its deadline pays nobody. You may be in {number(team.teams_per_member)} open or "
            "full team(s) of it at a time, never twice in one.",
        )
        for team in economy.team_quests
    ]
    for helped in economy.help_quests:
        helpers = (
            f", each helper {points(helped.helper_points, currency)}"
            if helped.helper_points
            else ""
        )
        found.append(
            GuideFriendQuest(
                helped.id,
                helped.title,
                "help",
                f"Start and share its code: {number(helped.helps)} friend(s) help within "
                f"{number(helped.hours)} hours.",
                f"Completed, it pays you {points(helped.points, currency)}{helpers}. A friend "
                f"helps one instance once and at most {number(helped.helps_per_day)} a day, "
                "never their own.",
            )
        )
    return tuple(found)


def _seasons(economy: Economy) -> str | None:
    plan = economy.seasons
    if plan is None:
        return None
    if plan.every is not None:
        first = plan.starts.date().isoformat() if plan.starts else ""
        when = f"Seasons run every {plan.every} from {first}"
    else:
        when = "Seasons: " + join(f"{s.title} ({s.starts.date()} to {s.ends.date()})"
                                  for s in plan.periods)  # fmt: skip
    return (
        f"{when}. When a season ends, its leaderboard (points earned from the rules in the "
        "season) and the hall of fame are kept, so its winners stay visible."
    )


def _paid_tier(economy: Economy, tier: PaidTier) -> str:
    gives: list[str] = []
    if tier.multiplier_percent != 100:
        titles = [r.title for r in economy.rules if r.id in tier.rules]
        gives.append(f"{tier.multiplier_percent} % of the points of {join(titles)}")
    if tier.rewards:
        titles = [r.title for r in economy.rewards if r.id in tier.rewards]
        gives.append(f"access to {join(titles)}")
    what = f" gives {join(gives)}" if gives else " is a tier other programs may ask for"
    return (
        f"{tier.title}: bought for up to {tier.period_days_max} days at a time;{what} while "
        "it is active. Renewing before it ends extends it from its end."
    )


CONTEST_PERIODS = {"once": "Once", "weekly": "Every week", "monthly": "Every month"}
TIE_BREAK = "Equal scores go to whoever reached the score first (then by member id)."


def _contest(economy: Economy, contest: Contest) -> GuideContest:
    currency = economy.currency
    prizes: list[str] = []
    for prize in contest.prizes:
        ranks = (
            f"rank {prize.first_rank}"
            if prize.first_rank == prize.last_rank
            else f"ranks {prize.first_rank} to {prize.last_rank}"
        )
        wins: list[str] = [points(prize.points, currency)] if prize.points else []
        honor = economy.honor(prize.honor) if prize.honor else None
        if prize.honor:
            wins.append(f"the {honor.title if honor else prize.honor} honor")
        reward = economy.reward(prize.coupon) if prize.coupon else None
        if prize.coupon:
            wins.append(f"one {reward.title if reward else prize.coupon}")
        prizes.append(f"{ranks}: {join(wins)}")
    if contest.metric == "count":
        measure = f"most {contest.kind} activities"
    elif contest.metric == "points":
        found = [(economy.rule(r), r) for r in contest.rules]
        measure = f"most points from {join(rule.title if rule else r for rule, r in found)}"
    else:
        measure = "most interactions on notes published in the period"
    summary = f"{CONTEST_PERIODS[contest.period]}: the {measure} win ({'; '.join(prizes)})."
    who: list[str] = []
    if contest.min_level:
        level = economy.level(contest.min_level)
        who.append(f"level {level.title if level else contest.min_level} or above")
    if contest.koc_tier:
        tier = economy.koc_tier(contest.koc_tier)
        who.append(f"KOC tier {tier.title if tier else contest.koc_tier} or above")
    if who:
        summary += f" Open to {join(who)}."
    return GuideContest(
        id=contest.id,
        title=contest.title,
        guideline=contest.guideline,
        period=contest.period,
        metric=contest.metric,
        starts=contest.starts,
        ends=contest.ends,
        prizes=tuple(prizes),
        summary=f"{summary} {TIE_BREAK}",
    )


def _task(economy: Economy, task: Task) -> GuideTask:
    currency = economy.currency
    bonus = tuple(f"{tier}: +{points(extra, currency)}" for tier, extra in task.bonus)
    summary = (
        f"Offered by the team to named members, due {number(task.due_days)} days after the offer"
    )
    summary += f"; pays {points(task.points, currency)}" if task.points else ""
    if task.review:
        summary += " once a reviewer approves the work"
        if bonus:
            summary += f", plus a quality bonus ({join(list(bonus))})"
        if task.max_resubmissions:
            summary += (
                f". A rejected submission may be handed in again "
                f"{number(task.max_resubmissions)} time(s)"
            )
    else:
        summary += " on submission (no review)"
    return GuideTask(
        id=task.id,
        title=task.title,
        guideline=task.guideline,
        points=task.points,
        bonus=bonus,
        review=task.review,
        max_resubmissions=task.max_resubmissions,
        due_days=task.due_days,
        summary=summary + ".",
    )


QUEST_PERIODS = {"one_off": "once", "daily": "every day", "weekly": "every week",
                 "monthly": "every month"}  # fmt: skip


def _quest(economy: Economy, quest: Quest) -> GuideQuest:
    steps = tuple(
        f"{number(s.count)} × {s.kind.replace('_', ' ')}"
        + (f" with {join([str(c) for c in s.conditions])}" if s.conditions else "")
        for s in quest.steps
    )
    pays: list[str] = []
    if quest.reward.points:
        pays.append(points(quest.reward.points, economy.currency))
    honor = economy.honor(quest.reward.honor) if quest.reward.honor else None
    if honor is not None:
        pays.append(f"the {honor.title} honor")
    coupon = economy.reward(quest.reward.coupon) if quest.reward.coupon else None
    if coupon is not None:
        pays.append(f"a {coupon.title} code")
    who: list[str] = []
    if quest.min_level:
        level = economy.level(quest.min_level)
        who.append(f"level {level.title if level else quest.min_level} or above")
    if quest.koc_tier:
        tier = economy.koc_tier(quest.koc_tier)
        who.append(f"KOC tier {tier.title if tier else quest.koc_tier} or above")
    if quest.honor:
        needed = economy.honor(quest.honor)
        who.append(f"holders of {needed.title if needed else quest.honor}")
    eligibility = f"Open to {join(who)}." if who else ""
    order = " in this order" if quest.ordered else ""
    summary = f"{QUEST_PERIODS[quest.kind].capitalize()}: {join(steps)}{order}, for {join(pays)}."
    if quest.opt_in:
        summary += " Join first."
    if quest.claim:
        summary += " Claim the reward before the period ends."
    if quest.capacity is not None:
        summary += f" The first {number(quest.capacity)} finishers are paid."
    if eligibility:
        summary += f" {eligibility}"
    return GuideQuest(
        id=quest.id,
        title=quest.title,
        guideline=quest.guideline,
        kind=quest.kind,
        starts=quest.starts,
        ends=quest.ends,
        opt_in=quest.opt_in,
        claim=quest.claim,
        capacity=quest.capacity,
        steps=steps,
        reward_points=quest.reward.points,
        reward_honor=quest.reward.honor,
        reward_coupon=quest.reward.coupon,
        eligibility=eligibility,
        summary=summary,
    )


def _rule(economy: Economy, rule: Rule) -> GuideRule:
    currency = economy.currency
    per_unit = None
    if rule.per_unit is not None:
        pu = rule.per_unit
        cap = pu.points * pu.max_units if pu.max_units is not None else None
        unit = f"unit of {pu.attribute}" if pu.size == 1 else f"{number(pu.size)} {pu.attribute}"
        if rule.points:
            pu_text = f"{number(pu.points)} per {unit}"
            pu_text += f" (up to +{number(cap)})" if cap is not None else ""
        else:
            pu_text = f"{points(pu.points, currency)} per {unit}"
            pu_text += f" (up to {number(cap)})" if cap is not None else ""
        per_unit = GuidePerUnit(pu.attribute, pu.size, pu.points, pu.max_units, cap, pu_text)
    streak = None
    if rule.streak is not None:
        st = rule.streak
        from_day = None
        if st.bonus_per_day and st.max_bonus:
            from_day = 1 + math.ceil(st.max_bonus / st.bonus_per_day)
        milestones = tuple(GuideMilestone(day, pts) for day, pts in st.milestones)
        streak = GuideStreak(
            st.bonus_per_day, st.max_bonus, from_day, milestones, _streak_text(st, from_day)
        )
    earns = points(rule.points, currency) if rule.points else ""
    if per_unit is not None:
        earns = f"{earns} + {per_unit.summary}" if earns else per_unit.summary
    if streak is not None and (streak.max_bonus or streak.milestones):
        earns += ", plus a streak bonus"
    best: int | None = rule.points
    if per_unit is not None:
        best = None if per_unit.max_points is None else rule.points + per_unit.max_points
    if best is not None and rule.streak is not None:
        best += rule.streak.max_bonus + max((p for _, p in rule.streak.milestones), default=0)
    exclusive = tuple(
        other.id
        for other in economy.rules_by_kind.get(rule.kind, ())
        if other.group == rule.group and other.id != rule.id
    )
    return GuideRule(
        id=rule.id,
        title=rule.title,
        description=rule.description,
        kind=rule.kind,
        group=rule.group,
        points=rule.points,
        conditions=tuple(str(c) for c in rule.conditions),
        per_unit=per_unit,
        streak=streak,
        limits=tuple(_limit(limit, currency) for limit in rule.limits),
        cooldown_seconds=rule.cooldown_seconds,
        once_per_subject=rule.once_per_subject,
        exempt_from_daily_cap=rule.exempt_from_daily_cap,
        exclusive_with=exclusive,
        max_points_per_activity=best,
        earns=earns,
        restrictions=_restrictions(economy, rule, exclusive),
    )


def _streak_text(streak: Streak, from_day: int | None) -> str:
    parts: list[str] = []
    if from_day is not None:
        parts.append(
            f"+{number(streak.bonus_per_day)} for each consecutive day after the first, "
            f"up to +{number(streak.max_bonus)} (from day {from_day})"
        )
    parts.extend(f"+{number(pts)} once on day {day} in a row" for day, pts in streak.milestones)
    if not parts:
        return "Consecutive days are counted (for honors), no bonus."
    return "Streak bonus: " + "; ".join(parts) + ". Missing a day starts again at day 1."


def _limit(limit: Limit, currency: str) -> GuideLimit:
    per = PERIOD_WORDS[limit.period]
    if limit.max_count is not None and limit.max_points is not None:
        text = f"at most {times(limit.max_count)} and {points(limit.max_points, currency)} {per}"
    elif limit.max_count is not None:
        text = (
            f"{times(limit.max_count)} {per}"
            if limit.max_count == 1
            else (f"at most {times(limit.max_count)} {per}")
        )
    else:
        assert limit.max_points is not None, "a limit has max_count or max_points"
        text = f"up to {points(limit.max_points, currency)} {per}"
    return GuideLimit(limit.period, limit.max_count, limit.max_points, text)


def _restrictions(economy: Economy, rule: Rule, exclusive: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    if rule.conditions:
        out.append("Only when " + " and ".join(str(c) for c in rule.conditions) + ".")
    limits = [_limit(limit, economy.currency).summary for limit in rule.limits]
    if limits:
        out.append("Limit: " + "; ".join(limits) + ".")
    if rule.once_per_subject:
        out.append("Once per piece of content (subject).")
    if rule.cooldown_seconds:
        out.append(f"Wait {duration(rule.cooldown_seconds)} between awards.")
    if economy.daily_cap is not None and rule.exempt_from_daily_cap:
        out.append("Not counted toward the daily cap.")
    if exclusive:
        titles = [r.title for r in economy.rules_by_kind[rule.kind] if r.group == rule.group]
        out.append(f"Only one of {join(titles, 'or')} pays per activity: the first that applies.")
    return tuple(out)


def _level(economy: Economy, level: Level) -> GuideLevel:
    following = economy.levels[level.rank + 1] if level.rank + 1 < len(economy.levels) else None
    return GuideLevel(
        id=level.id,
        rank=level.rank,
        title=level.title,
        threshold=level.threshold,
        keep=level.keep,
        next_threshold=following.threshold if following else None,
        privileges=level.privileges,
        name_colour=level.name_colour,
        hall_of_fame=level.hall_of_fame,
        spend_min=level.spend_min,
        purchases_min=level.purchases_min,
        keep_spend=level.keep_spend,
        keep_purchases=level.keep_purchases,
        reached_by=level_criteria(economy, level),
        kept_by=_criteria(economy, level.keep, level.keep_spend, level.keep_purchases, "")
        if level.keep or level.keep_spend or level.keep_purchases
        else "",
    )


def level_criteria(economy: Economy, level: Level) -> str:
    """What reaches `level`, in words ("5,000.00 spent and 3 purchases in 90 days")."""
    return _criteria(economy, level.threshold, level.spend_min, level.purchases_min)


def money(minor: int) -> str:
    """A spend amount in minor units (cents), written in major units: 123456 as 1,234.56."""
    return f"{minor // 100:,}.{minor % 100:02d}"


def _criteria(economy: Economy, points_needed: int, spend: int, purchases: int,
              nothing: str = "joining") -> str:  # fmt: skip
    """Criteria in words: "1,000 points, 500.00 spent and 3 purchases in 90 days"."""
    words = [points(points_needed, economy.currency)] if points_needed else []
    window = [f"{money(spend)} spent"] if spend else []
    if purchases:
        window.append(f"{number(purchases)} {'purchase' if purchases == 1 else 'purchases'}")
    if window:
        words.append(f"{join(window)} in {economy.level_review.window_days} days")
    return "; ".join(words) if words else nothing


def _review(economy: Economy) -> GuideLevelReview:
    review = economy.level_review
    floor = economy.level(review.floor) if review.floor else None
    text = (
        f"Levels follow lifetime earned {economy.currency}: spending never lowers a level, and "
        "a new level applies at once. A level with a keep mark is reviewed over the last "
        f"{review.window_days} days: earn at least the keep mark to hold it. Below it you are "
        f"warned, and after {review.grace_days} days of grace you move down to the highest "
        "level whose keep mark you met."
    )
    if economy.spend_kind is not None:
        text = (
            f"A level is reached when all its criteria hold: lifetime earned {economy.currency}, "
            f"and spend and purchases over the last {review.window_days} days (each order "
            "counts once; a refund takes its amount back). A new level applies at once. A level "
            "with keep marks is reviewed over the same window: below one you are warned, and "
            f"after {review.grace_days} days of grace you move down to the highest level whose "
            "keep marks you met."
        )
    if floor is not None:
        text += f" Nobody who has passed {floor.title} falls below it."
    return GuideLevelReview(
        review.window_days,
        review.grace_days,
        floor.id if floor else None,
        floor.title if floor else None,
        text,
    )


def _koc_criteria(tier: KocTier, koc: KocProgram) -> str:
    if tier.viral_interactions is not None:
        return f"A note reaching {number(tier.viral_interactions)}+ interactions."
    notes = "1 note" if tier.min_notes == 1 else f"{number(tier.min_notes)} notes"
    if tier.within_days is not None:
        return f"{notes} published within {number(tier.within_days)} days."
    return f"{notes} published."


def _koc(koc: KocProgram) -> GuideKoc:
    tiers = tuple(
        GuideKocTier(
            t.id,
            t.rank,
            t.title,
            t.min_notes,
            t.within_days,
            t.viral_interactions,
            t.privileges,
            _koc_criteria(t, koc),
        )
        for t in koc.tiers
    )
    text = f"Notes are activities of kind {join(koc.note_kinds, 'or')}."
    viral = [t for t in koc.tiers if t.viral_interactions is not None]
    if viral:
        text += (
            f" A {join([t.title for t in viral], 'or')} whose last {koc.review_recent_notes} "
            f"measured notes all stay under {number(koc.review_min_interactions)} interactions "
            "moves back to the highest other tier they qualify for."
        )
    return GuideKoc(
        koc.note_kinds,
        koc.metrics_kind,
        koc.interactions_attribute,
        koc.review_recent_notes,
        koc.review_min_interactions,
        tiers,
        text,
    )


def _honor(economy: Economy, honor: Honor) -> GuideHonor:
    tiers = tuple(GuideHonorTier(t.name, t.at) for t in honor.tiers)
    steps = ", ".join(f"{t.name} at {number(t.at)}" for t in honor.tiers)
    if honor.manual:
        criteria = "Granted by the community team"
        if honor.max_holders is not None:
            criteria += f" to at most {number(honor.max_holders)} members"
        criteria += "."
    elif honor.trigger == "activity_count":
        criteria = f"Counts your {join(honor.kinds, 'and')} activities: {steps}."
    elif honor.trigger == "streak":
        rule = economy.rule(honor.rule or "")
        title = rule.title if rule else honor.rule
        criteria = f"Longest run of consecutive days of {title}: {steps}."
    elif honor.trigger == "viral_note":
        criteria = f"Notes reaching {number(honor.interactions or 0)}+ interactions: {steps}."
    else:
        level = economy.level(honor.level or "")
        criteria = f"Reaching the {level.title if level else honor.level} level."
    if honor.hall_of_fame:
        criteria += " Listed in the Hall of Fame."
    return GuideHonor(
        id=honor.id,
        title=honor.title,
        description=honor.description,
        manual=honor.manual,
        trigger=honor.trigger,
        kinds=honor.kinds,
        rule=honor.rule,
        level=honor.level,
        interactions=honor.interactions,
        tiers=tiers,
        hall_of_fame=honor.hall_of_fame,
        max_holders=honor.max_holders,
        criteria=criteria,
    )


def _reward(economy: Economy, reward: Reward) -> GuideReward:
    gate = economy.level(reward.min_level) if reward.min_level else None
    return GuideReward(
        id=reward.id,
        title=reward.title,
        description=reward.description,
        tier=reward.tier,
        price=reward.price,
        stock=reward.stock,
        per_member_limit=reward.per_member_limit,
        min_level=reward.min_level,
        min_level_title=gate.title if gate else None,
        available_from=reward.available_from,
        available_until=reward.available_until,
        fulfilment=reward.fulfilment,
        fulfilment_summary=FULFILMENT_WORDS.get(reward.fulfilment, reward.fulfilment),
    )


def _expiry(after_months: int) -> GuideExpiry:
    months = "month" if after_months == 1 else f"{after_months} months"
    return GuideExpiry(
        after_months,
        f"Points expire {months} after the month they were earned, when that month ends "
        "(earned in March, with 12 months: gone after next March). Spending and expiry "
        "use the oldest points first.",
    )


# ---------------------------------------------------------------------------------------
# JSON-ready data


def guide_data(guide: Guide) -> dict[str, Any]:
    """The guide as plain JSON values (datetimes as ISO 8601 text)."""
    data = _plain(guide)
    assert isinstance(data, dict)
    return data


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# ---------------------------------------------------------------------------------------
# Wording shared by the summaries and the renderers


def number(value: int) -> str:
    return f"{value:,}"


def points(value: int, currency: str) -> str:
    unit = currency[:-1] if value == 1 and currency.endswith("s") else currency
    return f"{number(value)} {unit}"


def times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{number(count)} times")


def join(items: Iterable[str], word: str = "and") -> str:
    names = list(items)
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {word} {names[-1]}"


def duration(seconds: int) -> str:
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" + ("s" if count != 1 else "")
    return f"{seconds} seconds"


def _percent(basis_points: int) -> str:
    return f"{basis_points / 100:g}%"


def _referrals(economy: Economy) -> str | None:
    """The referral program in words (issue 10): when a referrer earns, the commission by
    level, its return window, the caps and distributors' savings."""
    plan = economy.referrals
    if plan is None:
        return None
    currency = economy.currency
    kinds = join(plan.qualifying_kinds, "or")
    out = [
        "Invite members with your referral code. Nothing is paid at sign-up: "
        f"when your invitee's first {kinds} comes within {number(plan.within_days)} days "
        "of joining"
        + (f", you earn {points(plan.referrer_points, currency)}" if plan.referrer_points else "")
        + (f" and they earn {points(plan.welcome_points, currency)}" if plan.welcome_points else "")
        + f". A code is entered on joining or within {number(plan.within_days)} days of it, "
        "once."
    ]
    if plan.commission:
        levels = ["your invitees' purchases", "the purchases of their invitees"]
        shares = [
            f"{_percent(bp)} of {who}" for bp, who in zip(plan.commission, levels, strict=False)
        ]
        out.append(
            f"Commission: {join(shares)}, {points(1, currency)} "
            f"per {number(plan.minor_units_per_point)} of the amount (minor units), pending "
            f"for the {number(plan.commission_pending_days)}-day return window; a refund "
            "takes it back."
        )
    if plan.cap is not None:
        out.append(
            f"At most {number(plan.cap)} rewarded referrals in any "
            f"{number(plan.cap_period_days)} days."
        )
    out.append(
        "Your own code, another account of yours, a second code or a referral loop is "
        f"refused; when {number(plan.farming_unqualified_percent)}% or more of at least "
        f"{number(plan.farming_min_invitees)} invitees never qualify, your referral rewards "
        "wait for a review by the team."
    )
    if plan.distributor_share:
        out.append(
            f"Members of {join(plan.distributor_levels, 'or')} get "
            f"{_percent(plan.distributor_share)} of their own purchases back."
        )
    return " ".join(out)
