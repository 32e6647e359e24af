"""The `[[paid_tiers]]` of an economy file: memberships bought for a period, with the
rules whose points they multiply and the rewards they reserve."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.economy.model import PaidTier, Reward, Rule

if TYPE_CHECKING:
    from domain.economy.reader import _Reader

paid_tiers_max = 20
multiplier_percent_max = 1000
period_days_limit = 3660
PAID_TIER_FIELDS = {"id", "title", "multiplier_percent", "rules", "rewards", "period_days_max"}


def read_paid_tiers(
    r: _Reader, raw: Any, rules: tuple[Rule, ...], rewards: tuple[Reward, ...]
) -> tuple[PaidTier, ...]:
    if not isinstance(raw, list):
        r.problem("paid_tiers", "", "must be an array of tables ([[paid_tiers]])")
        return ()
    if len(raw) > paid_tiers_max:
        r.problem("paid_tiers", "", f"at most {paid_tiers_max} paid tiers are allowed")
    rule_ids, reward_ids = {x.id for x in rules}, {x.id for x in rewards}
    out: list[PaidTier] = []
    for index, item in enumerate(raw):
        table = f"paid_tiers[{index}]"
        if not isinstance(item, dict):
            r.problem(table, "", "each paid tier must be a table")
            continue
        r.known(item, table, PAID_TIER_FIELDS)
        tier_id = r.string(item, table, "id")
        r.ident(table, "id", tier_id)
        if any(t.id == tier_id for t in out):
            r.problem(table, "id", f"paid tier {tier_id!r} is declared twice")
        tier_rules = r.strings(item, table, "rules")
        for rule_id in tier_rules:
            if rule_id not in rule_ids:
                r.problem(table, "rules", f"unknown rule {rule_id!r}")
        tier_rewards = r.strings(item, table, "rewards")
        for reward_id in tier_rewards:
            if reward_id not in reward_ids:
                r.problem(table, "rewards", f"unknown reward {reward_id!r}")
        days_max = r.integer(item, table, "period_days_max", 366, 1, period_days_limit)
        multiplier = r.integer(item, table, "multiplier_percent", 100, 100, multiplier_percent_max)
        if multiplier != 100 and not tier_rules:
            r.problem(table, "rules", "a multiplier needs the rules whose points it multiplies")
        out.append(
            PaidTier(
                id=tier_id,
                title=r.string(item, table, "title", tier_id.replace("_", " ").capitalize()),
                multiplier_percent=multiplier,
                rules=tier_rules,
                rewards=tier_rewards,
                period_days_max=days_max,
            )
        )
    return tuple(out)
