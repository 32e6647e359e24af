"""`report.html`: one self-contained page a designer reads at a glance.

The economy's key parameters and the assertions come first, then the headline numbers,
the sources and sinks of points, and every metric over time as interactive plotly charts
(`simulation.charts`: the script is embedded, the page needs no network). Replications
appear as a mean line inside its 95% band, clipped to the metric's natural range. Names
are the economy's titles, each series keeps its colour on every chart, the x-axis shows
calendar dates, and each assertion about a metric is drawn on that metric's chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.economy import Economy
from domain.guide import level_criteria, money
from simulation.assertions import metric_names, parse_assertion
from simulation.charts import (
    SCALES,
    Band,
    Colours,
    Raw,
    Scale,
    Target,
    chart,
    dates,
    esc,
    number,
    page,
    plot_div,
    result,
    scale_of,
    table,
)
from simulation.engine import Run
from simulation.population import Population
from simulation.stats import mean_ci

FLOW_TITLES = {
    "issued": "Points issued",
    "spent": "Points spent",
    "expired": "Points expired",
    "outstanding": "Outstanding points",
}


def key_parameters(economies: Sequence[tuple[str, str, Economy]]) -> str:
    """The economies' key parameters side by side: (label, file, economy) each."""
    rows: list[list[object]] = []
    for label, source, e in economies:
        rules = ", ".join(f"{r.title} {r.points:,}" for r in e.rules[:6])
        more = f" (+{len(e.rules) - 6} more)" if len(e.rules) > 6 else ""
        levels = ", ".join(
            f"{lv.title} {level_criteria(e, lv) if e.spend_kind else f'{lv.threshold:,}'}"
            for lv in e.levels
        )
        prices = ", ".join(f"{r.title} {r.price:,}" for r in e.rewards[:6])
        more_rewards = f" (+{len(e.rewards) - 6} more)" if len(e.rewards) > 6 else ""
        expiry = f"{e.expiry.after_months} months" if e.expiry else "never"
        cap = f"{e.daily_cap:,}" if e.daily_cap else "none"
        rows.append([label, source, cap, rules + more, levels, prices + more_rewards, expiry])
    return table(
        ["economy", "file", "daily cap", "earning rules (points)", "levels (threshold)",
         "rewards (price)", "points expire after"],
        rows,
        7,
    )  # fmt: skip


def targets_for(economy: Economy, population: Population, metric: str) -> list[Target]:
    """The population's assertions about `metric`, as targets on its chart."""
    names = metric_names(economy)
    out: list[Target] = []
    for text in population.assertions:
        assertion = parse_assertion(text, economy, names)
        if assertion.form == "metric" and assertion.name == metric:
            b = assertion.bounds
            out.append(Target(assertion.day, b.low, b.high, text))
    return out


def mean_flows(runs: Sequence[Run]) -> dict[tuple[str, str, str], float]:
    """Each flow's mean over the replications (a flow absent from a run counts as 0)."""
    keys = sorted({k for run in runs for k in run.flows})
    return {k: mean_ci([float(run.flows.get(k, 0)) for run in runs])[0] for k in keys}


def _shares(groups: Mapping[str, int], titles: Mapping[str, str]) -> str:
    total = sum(groups.values())
    if not total:
        return "-"
    return ", ".join(f"{titles.get(g, g)} {100 * n / total:.0f}%" for g, n in groups.items())


def _campaigns_section(economy: Economy, c: Mapping[str, Any], count: Scale) -> str:
    """Oversubscription, who got the places by level and KOC tier, repeat winners."""
    title = {x.id: x.title for x in economy.campaigns}
    levels = {lv.id: lv.title for lv in economy.levels}
    tiers = {t.id: t.title for t in economy.koc.tiers} if economy.koc else {}
    tiers["none"] = "no KOC tier"
    parts = ["<h2>Campaigns</h2>"]
    parts.append(
        "<p>Per replication: applications (refused: not eligible, e.g. below the level or "
        "selected recently), applications per place, places chosen by the selection, the "
        "waitlist, places confirmed, declined, offered down the waitlist after a decline or "
        "a missed confirmation, and the points paid. Shares of the confirmed places are over "
        "every replication, by the level and KOC tier the selection read.</p>"
    )
    rows = [
        (title.get(k, k), v["places"], _ci(v["applied"], count), _ci(v["refused"], count),
         _ci(v["oversubscription"], SCALES["ratio"]), _ci(v["chosen"], count),
         _ci(v["waitlisted"], count), _ci(v["confirmed"], count), _ci(v["declined"], count),
         _ci(v["offered"], count), _shares(v["by_level_total"], levels),
         _shares(v["by_tier_total"], tiers))
        for k, v in c["campaigns"].items()
    ]  # fmt: skip
    parts.append(table(["campaign", "places", "applied", "refused", "per place", "chosen",
                        "waitlist", "confirmed", "declined", "offered", "places by level",
                        "places by KOC tier"], rows))  # fmt: skip
    parts.append(
        f"<p>Winners (confirmed a place): {_ci(c['winners'], count)}; repeat winners "
        f"(confirmed in more than one campaign): {_ci(c['repeat_winners'], count)}.</p>"
    )
    return "\n".join(parts)


def _ci(entry: Mapping[str, Any] | None, scale: Scale) -> str:
    if not entry:
        return "-"
    low, high = entry["ci95"]
    low = max(low, scale.low) if scale.low is not None else low
    high = min(high, scale.high) if scale.high is not None else high
    return f"{number(entry['mean'], scale)} ({number(low, scale)} .. {number(high, scale)})"


def _days(entry: Mapping[str, Any] | None) -> str:
    if not entry:
        return "-"
    low, high = entry["ci95"]
    return f"{entry['mean']:,.0f} ({max(low, 0):,.0f} .. {high:,.0f})"


def _heat(share: float | None) -> Raw:
    if share is None:
        return Raw("")
    alpha = max(0.0, min(1.0, share))
    return Raw(
        f'<span style="display:block;background:rgba(31,111,235,{alpha:.2f});'
        f'color:{"#fff" if alpha > 0.5 else "#1f2328"}">{share * 100:.1f}%</span>'
    )


PAYOUT_TITLES = {"task": "Assigned tasks", "contest": "Contest prizes", "team": "Team quests",
                 "help": "Help quests", "referral": "Referral rewards and welcomes",
                 "commission": "Commission and distributor savings",
                 "pending": "Pending (in a return window or held for review)"}  # fmt: skip


def _source_title(item: str, rule_title: Mapping[str, str], quest_title: Mapping[str, str]) -> str:
    """A source of points: an earning rule, `quest:ID` for a quest's rewards, or the
    payouts of tasks and contests."""
    kind, _, quest_id = item.partition(":")
    if kind == "quest" and quest_id:
        return f"Quest: {quest_title.get(quest_id, quest_id)}"
    if item in PAYOUT_TITLES:
        return PAYOUT_TITLES[item]
    return f"Rule: {rule_title.get(item, item)}"


def sources_and_sinks(
    flows: Mapping[tuple[str, str, str], float], economy: Economy, population: Population
) -> list[str]:
    """A Sankey of points (earning rules -> balances -> reward tiers, expiry, still held)
    and the same flows per archetype."""
    rule_title = {r.id: r.title for r in economy.rules}
    quest_title = {q.id: q.title for q in economy.quests}
    tier_title = {t.id: t.title for t in economy.reward_tiers}
    by_item: dict[tuple[str, str], float] = {}
    for (flow, item, _), points in flows.items():
        by_item[(flow, item)] = by_item.get((flow, item), 0.0) + points
    nodes = ["Members' balances"]
    links: list[tuple[int, int, float]] = []
    for (flow, item), points in by_item.items():
        if flow == "issued":
            nodes.append(_source_title(item, rule_title, quest_title))
            links.append((len(nodes) - 1, 0, points))
    for (flow, item), points in by_item.items():
        if flow == "spent":
            nodes.append(f"Spent on {tier_title.get(item, item)}")
        elif flow in ("expired", "outstanding"):
            nodes.append(FLOW_TITLES[flow])
        else:
            continue
        links.append((0, len(nodes) - 1, points))
    out = ["<h2>Sources and sinks of points</h2>"]
    if not links:
        return [*out, '<p class="note">No points moved.</p>']
    data = [
        {
            "type": "sankey",
            "node": {"label": nodes, "pad": 14},
            "link": {
                "source": [a for a, _, _ in links],
                "target": [b for _, b, _ in links],
                "value": [round(v, 1) for _, _, v in links],
            },
            "valueformat": ",.0f",
        }
    ]
    out.append(_plot("sankey", data, "Where points come from and where they go (means)", 420))
    # per archetype: the four flows, and issued per rule
    archs = [a.id for a in population.archetypes]
    totals: dict[tuple[str, str], float] = {}
    for (flow, _, arch), points in flows.items():
        totals[(flow, arch)] = totals.get((flow, arch), 0.0) + points
    points_scale = scale_of("issued")
    rows: list[list[object]] = [
        [arch, *[number(totals.get((f, arch), 0.0), points_scale) for f in FLOW_TITLES]]
        for arch in archs
    ]
    out.append("<h3>Per archetype (means over replications)</h3>")
    out.append(table(["archetype", *FLOW_TITLES.values()], rows))
    items = sorted({(f, i) for (f, i, _) in flows if f in ("issued", "spent")})
    rows2: list[list[object]] = []
    for flow, item in items:
        if flow == "issued":
            label = f"issued by {_source_title(item, rule_title, quest_title)}"
        else:
            label = f"spent on {tier_title.get(item, item)}"
        cells = [number(flows.get((flow, item, a), 0.0), points_scale) for a in archs]
        rows2.append([label, *cells, number(by_item[(flow, item)], points_scale)])
    out.append("<h3>Each earning rule and reward tier, per archetype</h3>")
    out.append(table(["flow", *archs, "all"], rows2))
    return out


def _plot(div_id: str, data: list[dict[str, Any]], title: str, height: int) -> str:
    layout = {"title": {"text": esc(title), "font": {"size": 15}}, "height": height,
              "margin": {"l": 20, "r": 20, "t": 50, "b": 20}}  # fmt: skip
    return plot_div(div_id, data, layout)


def render(
    summary: Mapping[str, Any],
    bands: Mapping[str, list[Band]],
    economy: Economy,
    population: Population,
    runs: Sequence[Run],
) -> str:
    """The whole page, from the run's summary, its daily bands and its runs."""
    s = summary
    x = dates(population.start_date, s["days"])
    colours = Colours()
    charts = iter(range(1_000))

    def draw(title: str, series: Sequence[tuple[str, str]], scale_metric: str = "") -> str:
        """A chart of (label, metric) series, with the assertions on those metrics."""
        metric = scale_metric or series[0][1]
        targets = [t for _, m in series for t in targets_for(economy, population, m)]
        return chart(f"c{next(charts)}", title, metric, x,
                     [(label, bands[m]) for label, m in series], colours, targets)  # fmt: skip

    title = f"Simulation of {economy.name or economy.id}"
    out: list[str] = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="note">{esc(economy.description)}</p>' if economy.description else "",
        f'<p class="note">Population <code>{esc(s["population_file"])}</code>, seed '
        f"{s['seed']}, {s['replications']} replications of {s['members_initial']:,} initial "
        f"members over {s['days']:,} days from {x[0]} ({s['member_days']:,} member-days, "
        f"{s['activities']:,} activities). Lines are means over the replications; shaded "
        "bands their 95% confidence interval.</p>",
        key_parameters([(economy.name or economy.id, s["economy_file"], economy)]),
    ]
    if s["assertions"]:
        rows: list[tuple[object, ...]] = [
            (a["text"], result(a["result"]), a["detail"]) for a in s["assertions"]
        ]
        out += ["<h2>Designers' assertions</h2>", table(["assertion", "result", "detail"], rows, 3)]
    final = s["final_day"]
    out.append("<h2>Headline (last day)</h2>")
    out.append(
        table(
            ["metric", "mean (95% CI)"],
            [
                (k, _ci(v, scale_of(k)))
                for k, v in final.items()
                if k != "day" and not k.startswith(("level_", "koc_", "redemption"))
            ],
        )
    )
    out += sources_and_sinks(mean_flows(runs), economy, population)
    out.append("<h2>Points over time</h2>")
    out.append(
        draw(
            "Points issued, spent, expired and outstanding (cumulative)",
            [("Issued", "issued"), ("Spent", "spent"), ("Expired", "expired"),
             ("Outstanding", "outstanding")],
        )
    )  # fmt: skip
    out.append(
        draw(
            "Points issued, spent and expired per day",
            [("Issued", "issued_today"), ("Spent", "spent_today"), ("Expired", "expired_today")],
        )
    )
    out.append(
        draw(
            "Earn-to-burn ratio (points issued per point spent)", [("Earn-to-burn", "earn_to_burn")]
        )
    )
    out.append(
        draw(
            "Breakage (points expired or stranded with members who left, share of issued)",
            [("Breakage", "breakage")],
        )
    )
    out.append(draw("Balance inequality (Gini of member balances)", [("Gini", "gini")]))
    out.append("<h2>Levels and KOC tiers</h2>")
    levels = [(lv.title, f"level_{lv.id}") for lv in economy.levels]
    out.append(draw("Members per level", levels))
    if len(levels) > 2:
        out.append(draw("Members per level, above the entry level (zoomed)", levels[1:]))
    if economy.koc is not None:
        tiers = [(t.title, f"koc_{t.id}") for t in economy.koc.tiers]
        out.append(draw("Members per KOC tier (members with no tier: koc_none in the CSV)", tiers))
    level_title = {lv.id: lv.title for lv in economy.levels}
    share = scale_of("breakage")
    rows2 = [
        (level_title.get(lv, lv), _days(info["median_days_to_reach"]),
         _ci(info["share_reached"], share))
        for lv, info in s["levels"].items()
    ]  # fmt: skip
    out.append(table(["level", "median days to reach", "share of members who reached it"], rows2))
    out.append("<h2>Activity and retention</h2>")
    out.append(
        draw(
            "Active members (daily, monthly) and members still around",
            [("Daily active", "dau"), ("Monthly active", "mau"), ("Still around", "alive"),
             ("Joined", "members")],
        )
    )  # fmt: skip
    out.append(draw("DAU / MAU", [("DAU / MAU", "dau_mau")]))
    cohorts = s["retention_by_cohort"]
    if cohorts:
        width = max(len(c["active_share_by_month"]) for c in cohorts)
        rows3: list[list[object]] = []
        for c in cohorts:
            shares = c["active_share_by_month"]
            start, end = c["joined_days"]
            cells: list[object] = [f"{x[min(start, len(x)) - 1]} .. day {end}", f"{c['size']:,.0f}"]
            cells += [_heat(shares[a]) if a < len(shares) else "" for a in range(width)]
            rows3.append(cells)
        out.append("<h3>Retention by cohort: share active in each month of membership</h3>")
        out.append(table(["cohort (joined from)", "size"] + [f"m{a + 1}" for a in range(width)],
                         rows3))  # fmt: skip
    out.append("<h2>Rewards</h2>")
    tiers2 = [(t.title, t.id) for t in economy.reward_tiers]
    out.append(
        draw("Redemptions per tier (cumulative)", [(t, f"redemptions_{i}") for t, i in tiers2])
    )
    out.append(
        draw(
            "Redemption rate per tier (share of members who redeemed)",
            [(t, f"redemption_rate_{i}") for t, i in tiers2],
        )
    )
    reward_title = {r.id: r.title for r in economy.rewards}
    tier_title = {t.id: t.title for t in economy.reward_tiers}
    rows4 = [
        (reward_title.get(r, r), tier_title.get(i["tier"], i["tier"]), _days(i["day"]),
         i["runs_out_in"])
        for r, i in s["stockouts"].items()
    ]  # fmt: skip
    out.append("<h3>Stock-out day of each reward</h3>")
    out.append(table(["reward", "tier", "day it ran out", "ran out in"], rows4, 2))
    count = scale_of("members")
    rows5 = [(reward_title.get(r, r), _ci(v, count)) for r, v in s["redemptions_by_reward"].items()]
    out.append(table(["reward", "redemptions"], rows5))
    out.append("<h2>Honors</h2>")
    out.append(draw("Honors awarded (cumulative)", [("Honors awarded", "honors_awarded")]))
    honor_title = {h.id: h.title for h in economy.honors}
    rows6 = [(honor_title.get(h, h), _ci(v, count)) for h, v in s["honors_awarded"].items()]
    out.append(table(["honor", "awarded"], rows6))
    if s.get("quests"):
        quest_title = {q.id: q.title for q in economy.quests}
        points_scale = scale_of("issued")
        out.append("<h2>Quests</h2>")
        out.append(
            "<p>Per replication (mean and 95% interval): members who joined an opt-in "
            "quest, periods completed, completions paid, completions after every place "
            "was taken, and the points the quest issued.</p>"
        )
        rows7 = [
            (quest_title.get(q, q), _ci(c["started"], count), _ci(c["completed"], count),
             _ci(c["paid"], count), _ci(c["full"], count), _ci(c["points"], points_scale))
            for q, c in s["quests"].items()
        ]  # fmt: skip
        out.append(table(["quest", "joined", "completed", "paid", "full", "points"], rows7))
    if s.get("tasks"):
        task_title = {task.id: task.title for task in economy.tasks}
        points_scale = scale_of("issued")
        out.append("<h2>Assigned tasks</h2>")
        out.append(
            "<p>Per replication: assignments offered, accepted, declined, submitted, "
            "approved and rejected, the approval rate of reviewed submissions, and the "
            "points the task issued.</p>"
        )
        rows8 = [
            (task_title.get(k, k), _ci(c["offered"], count), _ci(c["accepted"], count),
             _ci(c["declined"], count), _ci(c["submitted"], count), _ci(c["approved"], count),
             _ci(c["rejected"], count), _rate(c), _ci(c["points"], points_scale))
            for k, c in s["tasks"].items()
        ]  # fmt: skip
        out.append(table(["task", "offered", "accepted", "declined", "submitted", "approved",
                          "rejected", "approval rate", "points"], rows8))  # fmt: skip
    if s.get("contests"):
        contest_title = {contest.id: contest.title for contest in economy.contests}
        points_scale = scale_of("issued")
        out.append("<h2>Contests</h2>")
        out.append(
            "<p>Per replication: periods settled, members ranked, prize winners and the "
            "prize points paid.</p>"
        )
        rows9 = [
            (contest_title.get(k, k), _ci(v["periods"], count), _ci(v["ranked"], count),
             _ci(v["winners"], count), _ci(v["points"], points_scale))
            for k, v in s["contests"].items()
        ]  # fmt: skip
        out.append(table(["contest", "periods", "ranked", "winners", "points"], rows9))
    if s.get("roles"):
        role_title = {role.id: role.title for role in economy.roles}
        seats = {role.id: role.seats for role in economy.roles}
        out.append("<h2>Honor roles</h2>")
        out.append(
            "<p>Per replication: applications, nominations, terms started (of the seats), "
            "refusals (no seat or no longer eligible), terms ended, renewals, holders "
            "flagged below eligibility at the end, and the term days started.</p>"
        )
        rows10 = [
            (role_title.get(k, k), seats.get(k, "–"), _ci(c["applied"], count),
             _ci(c["nominated"], count), _ci(c["appointed"], count), _ci(c["refused"], count),
             _ci(c["ended"], count), _ci(c["renewed"], count), _ci(c["flagged"], count),
             _ci(c["terms_days"], count))
            for k, c in s["roles"].items()
        ]  # fmt: skip
        out.append(table(["role", "seats", "applied", "nominated", "terms started", "refused",
                          "ended", "renewed", "flagged", "term days"], rows10))  # fmt: skip
        mentors = s.get("mentors") or {}
        if mentors:
            out.append(
                f"<p>Mentors: {_ci(mentors['paired'], count)} newcomers paired, "
                f"{_ci(mentors['credited'], count)} credited to their mentor (mentees who "
                f"reached the mentor role's level), "
                f"{_ci(mentors['honor_tiers'], count)} mentor honor tiers granted.</p>"
            )
    if (s.get("campaigns") or {}).get("campaigns"):
        out.append(_campaigns_section(economy, s["campaigns"], count))
    if s.get("friends"):
        out.append(_friends_table(economy, s["friends"], count))
    paid = s.get("membership") or {}
    if paid:
        paid_title = economy.paid_tiers[0].title if economy.paid_tiers else "paid tier"
        out.append(f"<h2>Paid membership: {esc(paid_title)}</h2>")
        out.append(
            f"<p>Per replication: {_ci(paid['started'], count)} periods started, "
            f"{_ci(paid['renewed'], count)} renewed, {_ci(paid['expired'], count)} ended "
            f"unrenewed (recorded by the review), {_ci(paid['active'], count)} paid members "
            f"active at the end; the multiplier paid "
            f"{_ci(paid['extra_points'], scale_of('issued'))} extra points.</p>"
        )
        rows11 = [(day + 1, number(active, count)) for day, active in paid["over_time"]]
        out.append(table(["review day", "active paid members (mean)"], rows11))
    spend = s.get("spend") or {}
    if spend:
        out.append("<h2>Purchases and spend-driven levels</h2>")
        purchases = spend["purchases"]["mean"]
        refunded = spend["refunds"]["mean"] / purchases if purchases else 0.0
        out.append(
            f"<p>Per replication: {_ci(spend['purchases'], count)} purchases counted toward "
            f"levels, {money(round(spend['spend']['mean']))} spent in all (mean), "
            f"{_ci(spend['refunds'], count)} refunded ({refunded:.1%} of purchases, their "
            f"spend taken back), and {_ci(spend['demotions'], count)} demotions by the "
            "review. The levels' criteria:</p>"
        )
        rows12 = [(lv.title, level_criteria(economy, lv)) for lv in economy.levels]
        out.append(table(["level", "reached by"], rows12))
    if (s.get("referrals") or {}).get("invited", {}).get("mean"):
        out.append(_referrals_section(s["referrals"], count))
    if s["rejected_commands"]:
        out.append("<h2>Commands the services rejected</h2>")
        out.append(table(["error code", "count"], list(s["rejected_commands"].items())))
    return page(title, [part for part in out if part])


def _referrals_section(r: Mapping[str, Any], count: Scale) -> str:
    """The "Referrals" section: per replication, invitees, how many qualified (the
    conversion), the referrer's reward outcomes, invitees past their time limit, the
    referrers flagged for farming, and commission points by level and state."""
    points = SCALES["points"]
    intro = (
        "<h2>Referrals</h2><p>Per replication: "
        f"{_ci(r['invited'], count)} friends joined with a referral code, "
        f"{_ci(r['qualified'], count)} qualified (conversion "
        f"{_ci(r['conversion'], SCALES['ratio'])}), {_ci(r['expired'], count)} passed their "
        f"time limit without qualifying and {_ci(r['waiting'], count)} were still inside it at "
        f"the end. Referrers' rewards: {_ci(r['pay'], count)} paid, {_ci(r['held'], count)} "
        f"held for review, {_ci(r['capped'], count)} capped; "
        f"{_ci(r['flagged'], count)} referrers flagged for farming at the end.</p>"
    )
    rows = [
        (title, _ci(r[f"{key}_confirmed"], points), _ci(r[f"{key}_pending"], points),
         _ci(r[f"{key}_voided"], points))
        for key, title in (("level_1", "level 1 (the buyer's referrer)"),
                           ("level_2", "level 2 (their referrer)"),
                           ("savings", "distributor savings"))
    ]  # fmt: skip
    return intro + table(["commission", "confirmed", "pending at the end", "voided"], rows)


def _rate(counts: Mapping[str, Any]) -> str:
    """Approved over reviewed (approved and rejected), from the replications' means."""
    approved, rejected = counts["approved"]["mean"], counts["rejected"]["mean"]
    reviewed = approved + rejected
    return f"{approved / reviewed:.0%}" if reviewed else "–"


def _friends_table(economy: Economy, friends: Mapping[str, Any], count: Scale) -> str:
    """The "Team and help quests" section: per replication, instances started, filled
    (a team) or completed (a help instance), expired by the review, the success rate
    (filled over filled and expired, from the means), starts refused by a limit, joins
    or helps, those per member of the community, and the points paid."""
    teams = {q.id: q.title for q in economy.team_quests}
    helps = {q.id: q.title for q in economy.help_quests}
    rows = []
    for k, c in friends.items():
        filled, expired = c["filled"]["mean"], c["expired"]["mean"]
        rate = f"{filled / (filled + expired):.0%}" if filled + expired else "–"
        kind = "team" if k in teams else "help"
        rows.append(
            (teams.get(k) or helps.get(k, k), kind, _ci(c["started"], count),
             _ci(c["filled"], count), _ci(c["expired"], count), rate, _ci(c["refused"], count),
             _ci(c["joins"], count), _ci(c["per_member"], SCALES["ratio"]),
             _ci(c["points"], SCALES["points"]))
        )  # fmt: skip
    intro = (
        "<h2>Team and help quests</h2><p>Per replication: instances started, teams filled "
        "or help instances completed, instances expired by the review, the success rate "
        "(filled or completed over those and the expired), starts and joins refused by a "
        "limit, joins or helps, those per member, and the points paid.</p>"
    )
    return intro + table(["quest", "kind", "started", "filled / completed", "expired",
                          "success rate", "refused", "joins / helps", "per member",
                          "points"], rows)  # fmt: skip
