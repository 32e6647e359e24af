"""Designers' assertions: expectations written in the population file, checked over the
replications of a run. Four sentence forms (see docs/simulation.md):

    <metric> at day <N> between <A> and <B>        (or: <metric> at day <N> >= <X>, ...)
    no [<tier>] reward runs out before day <N>
    median time to level '<level>' between <A> and <B> days   (or: ... <= <X> days)
    campaign '<campaign>' oversubscribed >= <X> times    (applications per place)

A numeric assertion is checked on the mean over the replications; a stock-out assertion
must hold in every replication. An assertion the run cannot decide (about a day after its
last, a stock-out before a day after it, or a time to a level longer than the run) is "not
applicable": it fails only when the designer asks for `--strict`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from domain.economy import Economy
from simulation.engine import Run
from simulation.stats import fmt, mean_ci, median

_NUM = r"(-?\d+(?:\.\d+)?)"
_RANGE = rf"(?:between\s+{_NUM}\s+and\s+{_NUM}|(>=|<=|>|<)\s*{_NUM})"
METRIC_RE = re.compile(rf"^\s*([a-z][a-z0-9_]*)\s+at\s+day\s+(\d+)\s+{_RANGE}\s*$")
STOCKOUT_RE = re.compile(
    r"^\s*no\s+(?:([a-z][a-z0-9_]*)\s+)?reward\s+runs\s+out\s+before\s+day\s+(\d+)\s*$"
)
LEVEL_RE = re.compile(
    rf"^\s*median\s+time\s+to\s+level\s+'([a-z][a-z0-9_]*)'\s+{_RANGE}\s+days?\s*$"
)
CAMPAIGN_RE = re.compile(
    rf"^\s*campaign\s+'([a-z][a-z0-9_]*)'\s+oversubscribed\s+{_RANGE}\s+times?\s*$"
)


class AssertionInvalid(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Bounds:
    low: float | None
    high: float | None
    strict_low: bool = False
    strict_high: bool = False

    def holds(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.strict_low else value < self.low):
            return False
        return not (
            self.high is not None
            and (value >= self.high if self.strict_high else value > self.high)
        )

    def __str__(self) -> str:
        if self.low is not None and self.high is not None:
            return f"between {fmt(self.low)} and {fmt(self.high)}"
        if self.low is not None:
            return f"{'>' if self.strict_low else '>='} {fmt(self.low)}"
        return f"{'<' if self.strict_high else '<='} {fmt(self.high)}"


def _bounds(
    between_low: str | None, between_high: str | None, op: str | None, x: str | None
) -> Bounds:
    if between_low is not None and between_high is not None:
        low, high = float(between_low), float(between_high)
        if high < low:
            raise AssertionInvalid(f"the range {low:g}..{high:g} is empty")
        return Bounds(low, high)
    assert op is not None, "the grammar pairs a comparison with its operand"
    assert x is not None, "the grammar pairs a comparison with its operand"
    value = float(x)
    if op in (">=", ">"):
        return Bounds(value, None, strict_low=op == ">")
    return Bounds(None, value, strict_high=op == "<")


@dataclass(frozen=True, slots=True)
class Assertion:
    text: str
    form: str  # "metric" | "stockout" | "level" | "campaign"
    name: str = ""  # metric, tier ("" = any), level id or campaign id
    day: int = 0
    bounds: Bounds = Bounds(None, None)


PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not applicable"


@dataclass(frozen=True, slots=True)
class Outcome:
    text: str
    passed: bool
    detail: str
    applicable: bool = True

    @property
    def result(self) -> str:
        if not self.applicable:
            return NOT_APPLICABLE
        return PASS if self.passed else FAIL

    def fails(self, strict: bool = False) -> bool:
        """Whether this outcome fails the run (not applicable ones only when strict)."""
        return not self.passed if self.applicable else strict


def failures(outcomes: Sequence[Outcome], strict: bool = False) -> list[Outcome]:
    return [o for o in outcomes if o.fails(strict)]


def metric_names(economy: Economy) -> list[str]:
    """The per-day metrics a run of `economy` reports (`Run.daily`'s keys, in order), known
    before the run so that assertions are checked before it starts."""
    names = list(BASE_METRICS)
    names += [f"level_{level.id}" for level in economy.levels]
    if economy.koc is not None:
        names += ["koc_none"] + [f"koc_{tier.id}" for tier in economy.koc.tiers]
    for tier in economy.reward_tiers:
        names += [f"redemptions_{tier.id}", f"redemption_rate_{tier.id}"]
    return names


BASE_METRICS = (
    "day",
    "members",
    "alive",
    "dau",
    "mau",
    "dau_mau",
    "issued",
    "spent",
    "expired",
    "held",
    "outstanding",
    "issued_today",
    "spent_today",
    "expired_today",
    "earn_to_burn",
    "breakage",
    "gini",
    "honors_awarded",
)


def parse_assertion(text: str, economy: Economy, metrics: Sequence[str]) -> Assertion:
    """Parse one sentence, checking the names it uses against the economy and metrics."""
    if match := METRIC_RE.match(text):
        metric, day = match[1], int(match[2])
        if metric not in metrics:
            raise AssertionInvalid(
                f"{text!r}: unknown metric {metric!r} (known: {', '.join(sorted(metrics))})"
            )
        if day < 1:
            raise AssertionInvalid(f"{text!r}: days count from 1")
        return Assertion(text, "metric", metric, day, _bounds(*match.groups()[2:]))
    if match := STOCKOUT_RE.match(text):
        tier = match[1] or ""
        if tier and economy.reward_tier(tier) is None:
            known = ", ".join(t.id for t in economy.reward_tiers)
            raise AssertionInvalid(f"{text!r}: unknown reward tier {tier!r} (known: {known})")
        return Assertion(text, "stockout", tier, int(match[2]))
    if match := LEVEL_RE.match(text):
        level = match[1]
        if economy.level(level) is None:
            known = ", ".join(lv.id for lv in economy.levels)
            raise AssertionInvalid(f"{text!r}: unknown level {level!r} (known: {known})")
        return Assertion(text, "level", level, 0, _bounds(*match.groups()[1:]))
    if match := CAMPAIGN_RE.match(text):
        campaign = match[1]
        if economy.campaign(campaign) is None:
            known = ", ".join(c.id for c in economy.campaigns) or "none"
            raise AssertionInvalid(f"{text!r}: unknown campaign {campaign!r} (known: {known})")
        return Assertion(text, "campaign", campaign, 0, _bounds(*match.groups()[1:]))
    raise AssertionInvalid(
        f"{text!r} is not an assertion; write e.g. 'breakage at day 365 between 0.15 and 0.3', "
        "'no ultimate reward runs out before day 60' or "
        "\"median time to level 'seasoned' between 30 and 90 days\""
    )


def check(assertion: Assertion, runs: Sequence[Run], economy: Economy) -> Outcome:
    text = assertion.text
    if assertion.form == "metric":
        days = runs[0].days
        if assertion.day > days:
            detail = f"the run lasts {days} days, fewer than {assertion.day}"
            return Outcome(text, False, detail, applicable=False)
        values = [run.daily[assertion.name][assertion.day - 1] for run in runs]
        mean, low, high = mean_ci(values)
        ok = assertion.bounds.holds(mean)
        return Outcome(
            text,
            ok,
            f"mean {fmt(mean)} (95% CI {fmt(low)}..{fmt(high)}), wanted {assertion.bounds}",
        )
    if assertion.form == "stockout":
        rewards = [r for r in economy.rewards if not assertion.name or r.tier == assertion.name]
        early: list[str] = []
        for i, run in enumerate(runs, start=1):
            for reward in rewards:
                day = run.stockout_day.get(reward.id)
                if day is not None and day + 1 < assertion.day:
                    early.append(f"{reward.id} on day {day + 1} (replication {i})")
        if early:
            return Outcome(text, False, "ran out: " + ", ".join(early[:10]))
        if runs[0].days + 1 < assertion.day:
            detail = (
                f"no stock-out in the {runs[0].days} days the run lasts, "
                f"which end before day {assertion.day}"
            )
            return Outcome(text, False, detail, applicable=False)
        return Outcome(text, True, f"no stock-out before day {assertion.day} in {len(runs)} runs")
    if assertion.form == "campaign":
        return _check_campaign(assertion, runs)
    named = max(b for b in (assertion.bounds.low, assertion.bounds.high) if b is not None)
    if runs[0].days < named:  # members who need longer are cut off: the median is unknown
        detail = f"the run lasts {runs[0].days} days, fewer than the {fmt(named)} it names"
        return Outcome(text, False, detail, applicable=False)
    medians: list[float] = []
    for i, run in enumerate(runs, start=1):
        value = median(run.days_to_level.get(assertion.name, []))
        if value is None:
            return Outcome(text, False, f"no member reached {assertion.name!r} in replication {i}")
        medians.append(value)
    mean, low, high = mean_ci(medians)
    ok = assertion.bounds.holds(mean)
    return Outcome(
        text,
        ok,
        f"median {fmt(mean)} days (95% CI {fmt(low)}..{fmt(high)}), wanted {assertion.bounds}",
    )


def _check_campaign(assertion: Assertion, runs: Sequence[Run]) -> Outcome:
    """Applications per place, once the campaign's selection ran in every replication."""
    text = assertion.text
    found = [run.campaigns.get("campaigns", {}).get(assertion.name) for run in runs]
    if any(c is None or (not c["chosen"] and not c["waitlisted"]) for c in found):
        detail = f"campaign {assertion.name!r} made no selection within the run"
        return Outcome(text, False, detail, applicable=False)
    values = [float(c["oversubscription"]) for c in found if c is not None]
    mean, low, high = mean_ci(values)
    ok = assertion.bounds.holds(mean)
    return Outcome(
        text,
        ok,
        f"{fmt(mean)} applications per place (95% CI {fmt(low)}..{fmt(high)}), "
        f"wanted {assertion.bounds}",
    )
