"""The `[[campaigns]]` tables of an economy file: oversubscribed campaigns whose places are
filled by an auditable selection (issue 9)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.campaign_places import Window
from domain.campaigns import places_max
from domain.economy.model import (
    CAMPAIGN_METHODS,
    Campaign,
    Honor,
    KocProgram,
    Reward,
    Task,
)
from domain.errors import InvalidInput

if TYPE_CHECKING:
    from domain.economy.reader import _Reader

CAMPAIGN_FIELDS = {"id", "title", "description", "opens", "closes", "places", "selection",
                   "confirm_days", "eligibility", "quotas", "weights", "gives",
                   "task"}  # fmt: skip
ELIGIBILITY_FIELDS = {"min_level", "koc_tiers", "honors", "not_selected_days"}
QUOTA_FIELDS = {"levels", "koc_tiers"}
WEIGHT_FIELDS = ("note_interactions", "task_approval_percent", "level_rank")
GIVES_FIELDS = {"points", "reward", "coupon"}
campaigns_max = 100
campaign_confirm_days_max = 60
campaign_cooldown_days_max = 3_660
campaign_weight_max = 1_000


def read_campaigns(
    r: _Reader,
    raw: Any,
    *,
    zone: str,
    level_ids: set[str],
    koc: KocProgram | None,
    honors: tuple[Honor, ...],
    rewards: tuple[Reward, ...],
    tasks: tuple[Task, ...],
) -> tuple[Campaign, ...]:
    if not isinstance(raw, list):
        r.problem("campaigns", "", "must be an array of tables ([[campaigns]])")
        return ()
    if len(raw) > campaigns_max:
        r.problem("campaigns", "", f"at most {campaigns_max} campaigns are allowed")
    known = _Known(level_ids, koc, honors, rewards, tasks)
    out: list[Campaign] = []
    for index, item in enumerate(raw):
        table = f"campaigns[{index}]"
        if not isinstance(item, dict):
            r.problem(table, "", "each campaign must be a table")
            continue
        campaign = _campaign(r, table, item, zone, known)
        if any(c.id == campaign.id for c in out):
            r.problem(table, "id", f"campaign {campaign.id!r} is declared twice")
        out.append(campaign)
    return tuple(out)


class _Known:
    """What a campaign may name: levels, KOC tiers, honors, rewards, tasks."""

    def __init__(
        self,
        level_ids: set[str],
        koc: KocProgram | None,
        honors: tuple[Honor, ...],
        rewards: tuple[Reward, ...],
        tasks: tuple[Task, ...],
    ) -> None:
        self.levels = level_ids
        self.koc_tiers = {t.id for t in koc.tiers} if koc else set()
        self.honors = {h.id for h in honors}
        self.rewards = {w.id: w for w in rewards}
        self.tasks = {t.id for t in tasks}


def _campaign(r: _Reader, table: str, item: dict[str, Any], zone: str, known: _Known) -> Campaign:
    r.known(item, table, CAMPAIGN_FIELDS)
    campaign_id = r.string(item, table, "id")
    r.ident(table, "id", campaign_id)
    method = r.string(item, table, "selection", "first_come")
    if method not in CAMPAIGN_METHODS:
        r.problem(table, "selection", f"{method!r} must be one of {', '.join(CAMPAIGN_METHODS)}")
    opens = _local(r, item, table, "opens")
    closes = _local(r, item, table, "closes")
    if opens and closes:
        try:
            Window(opens, closes, zone).bounds()
        except InvalidInput as bad:
            r.problem(table, bad.field, bad.reason)
    et = f"{table}.eligibility"
    eligibility = r.table(item, table, "eligibility")
    r.known(eligibility, et, ELIGIBILITY_FIELDS)
    gt = f"{table}.gives"
    gives = r.table(item, table, "gives")
    r.known(gives, gt, GIVES_FIELDS)
    campaign = Campaign(
        id=campaign_id,
        title=r.string(item, table, "title", campaign_id.replace("_", " ").capitalize()),
        description=r.string(item, table, "description", ""),
        opens=opens,
        closes=closes,
        places=r.integer(item, table, "places", None, 1, places_max),
        method=method,
        confirm_days=r.integer(item, table, "confirm_days", 3, 1, campaign_confirm_days_max),
        min_level=r.opt_string(eligibility, et, "min_level"),
        koc_tiers=r.strings(eligibility, et, "koc_tiers"),
        honors=r.strings(eligibility, et, "honors"),
        cooldown_days=r.integer(
            eligibility, et, "not_selected_days", 0, 0, campaign_cooldown_days_max
        ),
        level_quotas=_quotas(r, item, table, "levels", known.levels, "level"),
        koc_quotas=_quotas(r, item, table, "koc_tiers", known.koc_tiers, "KOC tier"),
        weights=_weights(r, item, table, method),
        points=r.integer(gives, gt, "points", 0),
        reward=r.opt_string(gives, gt, "reward"),
        coupon=r.opt_string(gives, gt, "coupon"),
        task=r.opt_string(item, table, "task"),
    )
    _check(r, table, campaign, known)
    return campaign


def _check(r: _Reader, table: str, campaign: Campaign, known: _Known) -> None:
    et, gt = f"{table}.eligibility", f"{table}.gives"
    if not campaign.description.strip():
        r.problem(table, "description", "a campaign tells members what it is")
    if campaign.min_level is not None and campaign.min_level not in known.levels:
        r.problem(et, "min_level", f"names unknown level {campaign.min_level!r}")
    for tier in campaign.koc_tiers:
        if tier not in known.koc_tiers:
            r.problem(et, "koc_tiers", f"names unknown KOC tier {tier!r}")
    for honor_id in campaign.honors:
        if honor_id not in known.honors:
            r.problem(et, "honors", f"names unknown honor {honor_id!r}")
    reward = known.rewards.get(campaign.reward or "")
    if campaign.reward is not None and reward is None:
        r.problem(gt, "reward", f"names unknown reward {campaign.reward!r}")
    elif reward is not None and reward.fulfilment == "coupon_code":
        r.problem(gt, "reward", f"{reward.id!r} is a coupon: give it as `coupon`")
    coupon = known.rewards.get(campaign.coupon or "")
    if campaign.coupon is not None and (coupon is None or coupon.fulfilment != "coupon_code"):
        r.problem(gt, "coupon", f"{campaign.coupon!r} must name a reward fulfilled by coupon_code")
    if campaign.task is not None and campaign.task not in known.tasks:
        r.problem(table, "task", f"names unknown task {campaign.task!r}")
    for key, quotas in (("levels", campaign.level_quotas), ("koc_tiers", campaign.koc_quotas)):
        for group, cap in quotas:
            if cap > campaign.places:
                r.problem(f"{table}.quotas", key, f"{group!r} allows {cap} places, more than "
                          f"the campaign's {campaign.places}")  # fmt: skip


def _local(r: _Reader, item: dict[str, Any], table: str, key: str) -> str:
    """A window bound: a TOML local date-time (2026-12-01T09:00:00) or a string like
    "2026-12-01T09:00", read in the economy's zone; an offset is refused."""
    value = item.get(key)
    if value is None:
        r.problem(table, key, "is required (a local date-time like 2026-12-01T09:00:00)")
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            r.problem(table, key, "is read in the economy's time zone: give no offset")
            return ""
        return value.isoformat(timespec="minutes")
    if not isinstance(value, str):
        r.problem(table, key, f"must be a local date-time like 2026-12-01T09:00:00, got {value!r}")
        return ""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        r.problem(table, key, "must be a date and time like 2026-12-01T09:00")
        return ""
    if parsed.tzinfo is not None:
        r.problem(table, key, "is read in the economy's time zone: give no offset")
        return ""
    return parsed.isoformat(timespec="minutes")


def _quotas(
    r: _Reader, item: dict[str, Any], table: str, key: str, known: set[str], noun: str
) -> tuple[tuple[str, int], ...]:
    qt = f"{table}.quotas"
    quotas = r.table(item, table, "quotas")
    if key == "levels":
        r.known(quotas, qt, QUOTA_FIELDS)
    raw = r.table(quotas, qt, key)
    out: list[tuple[str, int]] = []
    for group in raw:
        if group not in known:
            r.problem(qt, key, f"names unknown {noun} {group!r}")
            continue
        out.append((group, r.integer(raw, f"{qt}.{key}", group, None, 0, places_max)))
    return tuple(sorted(out))


def _weights(r: _Reader, item: dict[str, Any], table: str, method: str) -> tuple[int, int, int]:
    wt = f"{table}.weights"
    raw = r.table(item, table, "weights")
    if raw and method != "ranked":
        r.problem(table, "weights", "only a ranked selection declares weights")
    r.known(raw, wt, set(WEIGHT_FIELDS))
    a, b, c = (r.integer(raw, wt, key, 0, 0, campaign_weight_max) for key in WEIGHT_FIELDS)
    if method == "ranked" and not (a or b or c):
        r.problem(table, "weights", "a ranked selection weighs at least one of "
                  f"{', '.join(WEIGHT_FIELDS)}")  # fmt: skip
    return a, b, c
