"""`report.html`: one self-contained page (inline SVG and CSS, no script, no network) that
a designer reads at a glance. Replications appear as a mean line inside a 95% band."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from simulation.stats import fmt

Band = tuple[float, float, float]
PALETTE = (
    "#1f6feb",
    "#d1242f",
    "#1a7f37",
    "#9a6700",
    "#8250df",
    "#bf3989",
    "#0a3069",
    "#57606a",
    "#cf222e",
    "#116329",
)
WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 760, 260, 64, 150, 16, 32

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2328;
max-width:1000px}h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid
#d0d7de;padding-bottom:4px}table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:right}th{background:#f6f8fa}
td.l,th.l{text-align:left}.pass{color:#1a7f37;font-weight:600}.fail{color:#d1242f;
font-weight:600}svg{background:#fff;border:1px solid #d0d7de}.note{color:#57606a;font-size:13px}
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def line_chart(title: str, series: Sequence[tuple[str, Sequence[Band]]], y_label: str = "") -> str:
    """An SVG line chart: each series a mean line inside its shaded 95% band."""
    if not series or not series[0][1]:
        return ""
    n = len(series[0][1])
    y_max = max((hi for _, bands in series for _, _, hi in bands), default=1.0)
    y_min = min((lo for _, bands in series for _, lo, _ in bands), default=0.0)
    if all(mean >= 0 for _, bands in series for mean, _, _ in bands):
        y_min = 0.0  # a band below zero of a quantity that cannot be is the interval's artefact
    y_min = min(y_min, 0.0)
    if y_max <= y_min:
        y_max = y_min + 1.0
    plot_w = WIDTH - PAD_L - PAD_R
    plot_h = HEIGHT - PAD_T - PAD_B

    def x(i: int) -> float:
        return PAD_L + (plot_w * i / (n - 1) if n > 1 else 0.0)

    def y(v: float) -> float:
        return PAD_T + plot_h * (1.0 - (max(v, y_min) - y_min) / (y_max - y_min))

    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{_esc(title)}">'
    ]
    for k in range(5):
        v = y_min + (y_max - y_min) * k / 4
        yy = y(v)
        parts.append(
            f'<line x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{yy:.1f}" y2="{yy:.1f}" '
            'stroke="#eaeef2"/>'
        )
        parts.append(
            f'<text x="{PAD_L - 6}" y="{yy + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#57606a">{_esc(fmt(_nice(v)))}</text>'
        )
    for k in range(6):
        i = round((n - 1) * k / 5)
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - 10}" font-size="11" '
            f'text-anchor="middle" fill="#57606a">day {i + 1}</text>'
        )
    step = max(1, n // 400)  # at most ~400 points per line
    idx = list(range(0, n, step))
    if idx[-1] != n - 1:
        idx.append(n - 1)
    for s, (name, bands) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        upper = " ".join(f"{x(i):.1f},{y(bands[i][2]):.1f}" for i in idx)
        lower = " ".join(f"{x(i):.1f},{y(bands[i][1]):.1f}" for i in reversed(idx))
        parts.append(
            f'<polygon points="{upper} {lower}" fill="{colour}" fill-opacity="0.15" stroke="none"/>'
        )
        mean = " ".join(f"{x(i):.1f},{y(bands[i][0]):.1f}" for i in idx)
        parts.append(
            f'<polyline points="{mean}" fill="none" stroke="{colour}" stroke-width="1.6"/>'
        )
        ly = PAD_T + 14 + 16 * s
        parts.append(
            f'<rect x="{WIDTH - PAD_R + 10}" y="{ly - 9}" width="10" height="10" '
            f'fill="{colour}"/><text x="{WIDTH - PAD_R + 24}" y="{ly}" font-size="12">'
            f"{_esc(name)}</text>"
        )
    if y_label:
        parts.append(
            f'<text x="12" y="{PAD_T + plot_h / 2:.1f}" font-size="11" fill="#57606a" '
            f'transform="rotate(-90 12 {PAD_T + plot_h / 2:.1f})" '
            f'text-anchor="middle">{_esc(y_label)}</text>'
        )
    parts.append("</svg>")
    return f"<h3>{_esc(title)}</h3>" + "".join(parts)


def _nice(v: float) -> float:
    return float(f"{v:.3g}")


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], left: int = 1) -> str:
    head = "".join(
        f'<th class="{"l" if i < left else ""}">{_esc(h)}</th>' for i, h in enumerate(header)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="{"l" if i < left else ""}">{_cell(cell)}</td>'
            for i, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


class _Raw(str):
    """Trusted HTML for a table cell."""


def _cell(cell: object) -> str:
    return cell if isinstance(cell, _Raw) else _esc(cell)


def _heat(share: float | None) -> _Raw:
    if share is None:
        return _Raw("")
    alpha = max(0.0, min(1.0, share))
    return _Raw(
        f'<span style="display:block;background:rgba(31,111,235,{alpha:.2f});'
        f'color:{"#fff" if alpha > 0.5 else "#1f2328"}">{share * 100:.1f}%</span>'
    )


def _ci(entry: Mapping[str, Any] | None) -> str:
    if not entry:
        return "-"
    low, high = entry["ci95"]
    return f"{fmt(entry['mean'])} ({fmt(low)}..{fmt(high)})"


def render(
    summary: Mapping[str, Any],
    bands: Mapping[str, list[Band]],
    level_ids: Sequence[str],
    koc_ids: Sequence[str],
    tier_ids: Sequence[str],
) -> str:
    """The whole page, from the run's summary and its daily bands."""
    s = summary
    out: list[str] = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>Honorloop simulation: {_esc(s['economy'])}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Simulation of {_esc(s['economy'])}</h1>",
        f'<p class="note">Economy <code>{_esc(s["economy_file"])}</code>, population '
        f"<code>{_esc(s['population_file'])}</code>, seed {s['seed']}, {s['replications']} "
        f"replications of {s['members_initial']} initial members over {s['days']} days "
        f"({s['member_days']} member-days, {s['activities']} activities). Lines are means "
        "over the replications; shaded bands their 95% confidence interval.</p>",
    ]
    if s["assertions"]:
        rows: list[tuple[object, ...]] = [
            (
                a["text"],
                _Raw(
                    f'<span class="{"pass" if a["passed"] else "fail"}">'
                    f"{'pass' if a['passed'] else 'FAIL'}</span>"
                ),
                a["detail"],
            )
            for a in s["assertions"]
        ]
        out += [
            "<h2>Designers' assertions</h2>",
            _table(["assertion", "result", "detail"], rows, 3),
        ]
    final = s["final_day"]
    out.append("<h2>Headline (last day)</h2>")
    out.append(
        _table(
            ["metric", "mean (95% CI)"],
            [
                (k, _ci(v))
                for k, v in final.items()
                if not k.startswith(("level_", "koc_", "redemption"))
            ],
        )
    )
    out.append("<h2>Points</h2>")
    out.append(
        line_chart(
            "Points issued, spent, expired and outstanding (cumulative)",
            [(k, bands[k]) for k in ("issued", "spent", "expired", "outstanding")],
            "points",
        )
    )
    out.append(
        line_chart(
            "Points issued and spent per day",
            [(k, bands[k]) for k in ("issued_today", "spent_today", "expired_today")],
            "points / day",
        )
    )
    out.append(
        line_chart(
            "Earn-to-burn ratio (points issued per point spent)",
            [("earn_to_burn", bands["earn_to_burn"])],
            "ratio",
        )
    )
    out.append(
        line_chart(
            "Breakage (points expired or stranded with members who left)",
            [("breakage", bands["breakage"])],
            "share of issued",
        )
    )
    out.append(
        line_chart("Balance inequality (Gini of member balances)", [("gini", bands["gini"])])
    )
    out.append("<h2>Levels and KOC tiers</h2>")
    out.append(
        line_chart("Members per level", [(lv, bands[f"level_{lv}"]) for lv in level_ids], "members")
    )
    if len(level_ids) > 2:
        out.append(
            line_chart(
                "Members per level, above the entry level (zoomed)",
                [(lv, bands[f"level_{lv}"]) for lv in level_ids[1:]],
                "members",
            )
        )
    if koc_ids:
        out.append(
            line_chart(
                "Members per KOC tier (members with no tier are in the CSV: koc_none)",
                [(k, bands[f"koc_{k}"]) for k in koc_ids],
                "members",
            )
        )
    rows = [
        (lv, _ci(info["median_days_to_reach"]), _ci(info["share_reached"]))
        for lv, info in s["levels"].items()
    ]
    out.append(_table(["level", "median days to reach", "share of members who reached it"], rows))
    out.append("<h2>Activity and retention</h2>")
    out.append(
        line_chart(
            "Active members (daily, monthly) and members still around",
            [(k, bands[k]) for k in ("dau", "mau", "alive", "members")],
            "members",
        )
    )
    out.append(line_chart("DAU / MAU", [("dau_mau", bands["dau_mau"])], "ratio"))
    cohorts = s["retention_by_cohort"]
    if cohorts:
        width = max(len(c["active_share_by_month"]) for c in cohorts)
        rows2: list[list[object]] = []
        for c in cohorts:
            shares = c["active_share_by_month"]
            cells: list[object] = [
                f"days {c['joined_days'][0]}-{c['joined_days'][1]}",
                fmt(c["size"]),
            ]
            cells += [_heat(shares[a]) if a < len(shares) else "" for a in range(width)]
            rows2.append(cells)
        out.append("<h3>Retention by cohort: share active in each month of membership</h3>")
        out.append(_table(["cohort (joined)", "size"] + [f"m{a + 1}" for a in range(width)], rows2))
    out.append("<h2>Rewards</h2>")
    out.append(
        line_chart(
            "Redemptions per tier (cumulative)",
            [(t, bands[f"redemptions_{t}"]) for t in tier_ids],
            "redemptions",
        )
    )
    out.append(
        line_chart(
            "Redemption rate per tier (share of members who redeemed)",
            [(t, bands[f"redemption_rate_{t}"]) for t in tier_ids],
            "share",
        )
    )
    rows3 = [(r, i["tier"], _ci(i["day"]), i["runs_out_in"]) for r, i in s["stockouts"].items()]
    out.append("<h3>Stock-out day of each reward</h3>")
    out.append(_table(["reward", "tier", "day it ran out", "ran out in"], rows3, 2))
    rows4 = [(r, _ci(v)) for r, v in s["redemptions_by_reward"].items()]
    out.append(_table(["reward", "redemptions"], rows4))
    out.append("<h2>Honors</h2>")
    out.append(
        line_chart("Honors awarded (cumulative)", [("honors_awarded", bands["honors_awarded"])])
    )
    out.append(_table(["honor", "awarded"], [(h, _ci(v)) for h, v in s["honors_awarded"].items()]))
    if s.get("quests"):
        out.append("<h2>Quests</h2>")
        out.append(
            "<p>Per replication (mean and 95% interval): members who joined an opt-in "
            "quest, periods completed, completions paid, completions after every place "
            "was taken, and the points the quest issued.</p>"
        )
        rows5 = [
            (q, _ci(c["started"]), _ci(c["completed"]), _ci(c["paid"]), _ci(c["full"]),
             _ci(c["points"]))
            for q, c in s["quests"].items()
        ]  # fmt: skip
        out.append(_table(["quest", "joined", "completed", "paid", "full", "points"], rows5))
    if s.get("tasks"):
        out.append("<h2>Assigned tasks</h2>")
        out.append(
            "<p>Per replication: assignments offered, accepted, declined, submitted, "
            "approved and rejected, the approval rate of reviewed submissions, and the "
            "points the task issued.</p>"
        )
        rows6 = [
            (t, _ci(c["offered"]), _ci(c["accepted"]), _ci(c["declined"]), _ci(c["submitted"]),
             _ci(c["approved"]), _ci(c["rejected"]), _rate(c), _ci(c["points"]))
            for t, c in s["tasks"].items()
        ]  # fmt: skip
        out.append(_table(["task", "offered", "accepted", "declined", "submitted", "approved",
                           "rejected", "approval rate", "points"], rows6))  # fmt: skip
    if s.get("contests"):
        out.append("<h2>Contests</h2>")
        out.append(
            "<p>Per replication: periods settled, members ranked, prize winners and the "
            "prize points paid.</p>"
        )
        rows7 = [
            (c, _ci(v["periods"]), _ci(v["ranked"]), _ci(v["winners"]), _ci(v["points"]))
            for c, v in s["contests"].items()
        ]
        out.append(_table(["contest", "periods", "ranked", "winners", "points"], rows7))
    if s["rejected_commands"]:
        out.append("<h2>Commands the services rejected</h2>")
        out.append(_table(["error code", "count"], list(s["rejected_commands"].items())))
    out.append("</body></html>\n")
    return "\n".join(out)


def _rate(counts: Mapping[str, Any]) -> str:
    """Approved over reviewed (approved and rejected), from the replications' means."""
    approved, rejected = counts["approved"]["mean"], counts["rejected"]["mean"]
    reviewed = approved + rejected
    return f"{approved / reviewed:.0%}" if reviewed else "–"


def render_sweep(title: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """The comparison page of a sweep: one row per variant, headline metrics side by side."""
    out = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        '<p class="note">One row per variant; numbers are means over the replications on '
        "the last simulated day (days to a level: median over members, mean over "
        "replications).</p>",
    ]
    if rows:
        columns = list(rows[0])
        body: list[list[object]] = []
        for row in rows:
            cells: list[object] = []
            for c in columns:
                v = row[c]
                if c == "assertions_failed":
                    cells.append(
                        _Raw('<span class="pass">all pass</span>')
                        if not v
                        else _Raw('<span class="fail">' + _esc("; ".join(v)) + "</span>")
                    )
                elif isinstance(v, bool) or not isinstance(v, int | float):
                    cells.append("-" if v is None else str(v))
                else:
                    cells.append(fmt(v))
            body.append(cells)
        out.append(_table(columns, body, 1))
    out.append("</body></html>\n")
    return "\n".join(out)
