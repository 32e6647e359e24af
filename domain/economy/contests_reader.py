"""The `[[contests]]` tables of an economy file: ranked competitions with prizes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.economy.model import (
    CONTEST_METRICS,
    CONTEST_PERIODS,
    Contest,
    ContestMetric,
    ContestPrize,
    Honor,
    KocProgram,
    Reward,
    Rule,
    recorded_kinds,
)

if TYPE_CHECKING:
    from domain.economy.reader import _Reader

CONTEST_FIELDS = {"id", "title", "guideline", "period", "metric", "rules", "kind", "starts",
                  "ends", "eligibility", "prizes"}  # fmt: skip
contests_max = 50
contest_prizes_max = 20
contest_rank_max = 1000  # ranks a prize may name; standings are stored at least this deep


def read_contests(
    r: _Reader,
    raw: Any,
    rules: tuple[Rule, ...],
    koc: KocProgram | None,
    honors: tuple[Honor, ...],
    rewards: tuple[Reward, ...],
    level_ids: set[str],
) -> tuple[Contest, ...]:
    if not isinstance(raw, list):
        r.problem("contests", "", "must be an array of tables ([[contests]])")
        return ()
    if len(raw) > contests_max:
        r.problem("contests", "", f"at most {contests_max} contests are allowed")
    kinds = recorded_kinds(rules, koc)
    rule_ids = {rule.id for rule in rules}
    out: list[Contest] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        table = f"contests[{index}]"
        if not isinstance(item, dict):
            r.problem(table, "", "each contest must be a table")
            continue
        r.known(item, table, CONTEST_FIELDS)
        contest_id = r.string(item, table, "id")
        r.ident(table, "id", contest_id)
        if contest_id in seen:
            r.problem(table, "id", f"contest {contest_id!r} is declared twice")
        seen.add(contest_id)
        period = _choice(r, item, table, "period", CONTEST_PERIODS, "once")
        metric = _choice(r, item, table, "metric", CONTEST_METRICS, None)
        starts, ends = r.when(item, table, "starts"), r.when(item, table, "ends")
        if starts is not None and ends is not None and ends <= starts:
            r.problem(table, "ends", "must be later than starts")
        if period == "once" and (starts is None or ends is None):
            r.problem(table, "ends" if starts else "starts",
                      "a contest held once needs its window: starts and ends")  # fmt: skip
        chosen = r.strings(item, table, "rules")
        kind = r.opt_string(item, table, "kind")
        _check_metric(r, table, metric, chosen, kind, rule_ids, kinds, koc)
        eligibility = r.table(item, table, "eligibility")
        et = f"{table}.eligibility"
        r.known(eligibility, et, {"min_level", "koc_tier"})
        min_level = r.opt_string(eligibility, et, "min_level")
        if min_level is not None and min_level not in level_ids:
            r.problem(et, "min_level", f"names unknown level {min_level!r}")
        koc_tier = r.opt_string(eligibility, et, "koc_tier")
        if koc_tier is not None and (koc is None or koc_tier not in {t.id for t in koc.tiers}):
            r.problem(et, "koc_tier", f"names unknown KOC tier {koc_tier!r}")
        out.append(
            Contest(
                id=contest_id,
                title=r.string(item, table, "title", contest_id.replace("_", " ").capitalize()),
                guideline=r.string(item, table, "guideline", ""),
                period=period,
                metric=metric,
                prizes=_prizes(r, item.get("prizes"), table, honors, rewards),
                rules=chosen,
                kind=kind,
                starts=starts,
                ends=ends,
                min_level=min_level,
                koc_tier=koc_tier,
            )
        )
    return tuple(out)


def _choice(
    r: _Reader,
    item: dict[str, Any],
    table: str,
    key: str,
    allowed: tuple[Any, ...],
    default: str | None,
) -> Any:
    value = r.string(item, table, key, default)
    if value in allowed:
        return value
    if value:
        r.problem(table, key, f"{value!r} must be one of {', '.join(allowed)}")
    return allowed[0]


def _check_metric(
    r: _Reader,
    table: str,
    metric: ContestMetric,
    chosen: tuple[str, ...],
    kind: str | None,
    rule_ids: set[str],
    kinds: set[str],
    koc: KocProgram | None,
) -> None:
    if metric == "points":
        if not chosen:
            r.problem(table, "rules", "a points contest names the rules whose points count")
        for rule_id in chosen:
            if rule_id not in rule_ids:
                r.problem(table, "rules", f"names unknown rule {rule_id!r}")
    elif chosen:
        r.problem(table, "rules", f"only a points contest counts rules (metric is {metric!r})")
    if metric == "count":
        if kind is None:
            r.problem(table, "kind", "a count contest names the activity kind it counts")
        elif kind not in kinds:
            r.problem(table, "kind", f"no rule or KOC program knows activity kind {kind!r}")
    elif kind is not None:
        r.problem(table, "kind", f"only a count contest counts a kind (metric is {metric!r})")
    if metric == "interactions" and koc is None:
        r.problem(table, "metric", "an interactions contest needs the [koc] program's notes")


def _prizes(
    r: _Reader,
    raw: Any,
    table: str,
    honors: tuple[Honor, ...],
    rewards: tuple[Reward, ...],
) -> tuple[ContestPrize, ...]:
    if not isinstance(raw, list) or not raw:
        r.problem(table, "prizes", "a contest needs at least one prize ([[contests.prizes]])")
        return ()
    if len(raw) > contest_prizes_max:
        r.problem(table, "prizes", f"at most {contest_prizes_max} prizes are allowed")
    manual = {h.id for h in honors if h.manual}
    coupons = {w.id for w in rewards if w.fulfilment == "coupon_code"}
    prizes: list[ContestPrize] = []
    for index, item in enumerate(raw):
        pt = f"{table}.prizes[{index}]"
        if not isinstance(item, dict):
            r.problem(pt, "", "each prize must be a table like {ranks = [1, 3], points = 500}")
            continue
        r.known(item, pt, {"ranks", "points", "honor", "coupon"})
        ranks = item.get("ranks")
        if (
            not isinstance(ranks, list)
            or len(ranks) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in ranks)
        ):
            r.problem(pt, "ranks", "must be [first, last], e.g. [1, 1] or [2, 10]")
            continue
        first, last = ranks
        if not 1 <= first <= contest_rank_max or not 1 <= last <= contest_rank_max:
            r.problem(pt, "ranks", f"ranks run from 1 to {contest_rank_max}")
            continue
        if last < first:
            r.problem(pt, "ranks", f"[{first}, {last}] is empty: the last rank is before the first")
            continue
        prize = ContestPrize(
            first,
            last,
            points=r.integer(item, pt, "points", 0),
            honor=r.opt_string(item, pt, "honor"),
            coupon=r.opt_string(item, pt, "coupon"),
        )
        if prize.honor is not None and prize.honor not in manual:
            r.problem(pt, "honor", f"{prize.honor!r} must name a manual honor")
        if prize.coupon is not None and prize.coupon not in coupons:
            r.problem(pt, "coupon", f"{prize.coupon!r} must name a reward fulfilled by coupon_code")
        if not prize.points and prize.honor is None and prize.coupon is None:
            r.problem(pt, "", "a prize must pay something: points, an honor or a coupon")
        overlapping = next(
            (p for p in prizes if p.first_rank <= last and first <= p.last_rank), None
        )
        if overlapping is not None:
            r.problem(pt, "ranks", f"[{first}, {last}] overlaps the prize for ranks "
                      f"[{overlapping.first_rank}, {overlapping.last_rank}]")  # fmt: skip
        prizes.append(prize)
    return tuple(prizes)
