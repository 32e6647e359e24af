"""Interactive charts for the simulator's pages, drawn by plotly.js.

The pages embed plotly's own bundled script (from the `plotly` package) once in their
head, so they open with no network; each chart is a `div` and a call to `Plotly.newPlot`
with data written here as JSON (no random ids, fixed number format: the same run gives
the same bytes). Hover shows values, a click on a legend entry toggles its series (line
and band together), dragging zooms.

How a metric reads decides its axis: shares in percent within [0, 1], counts and points
as whole numbers with thousands separators, never below zero. A band (the 95% interval of
the mean over replications) is clipped to that natural range: a negative count is an
artefact of the interval, not a possibility.
"""

from __future__ import annotations

import html
import importlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

Band = tuple[float, float, float]  # (mean, low, high)

PALETTE = (
    "#1f6feb",
    "#d1242f",
    "#1a7f37",
    "#9a6700",
    "#8250df",
    "#bf3989",
    "#0a3069",
    "#57606a",
    "#e16f24",
    "#116329",
)
SHARE_METRICS = ("dau_mau", "breakage", "gini")
SHARE_PREFIXES = ("redemption_rate_",)
RATIO_METRICS = ("earn_to_burn",)
POINT_METRICS = ("issued", "spent", "expired", "held", "outstanding")
POINT_PREFIXES = ("issued_", "spent_", "expired_", "outstanding_")
series_points_max = 400  # points per line drawn (the CSV has every day)


@dataclass(frozen=True, slots=True)
class Scale:
    """How a metric's values read: natural range, tick and hover formats (d3-format)."""

    kind: str  # "share" | "ratio" | "points" | "count"
    low: float | None
    high: float | None
    tickformat: str
    hoverformat: str


SCALES = {
    "share": Scale("share", 0.0, 1.0, ".0%", ".1%"),
    "ratio": Scale("ratio", 0.0, None, ",.2~f", ",.3~f"),
    "points": Scale("points", 0.0, None, ",.0f", ",.0f"),
    "count": Scale("count", 0.0, None, ",.0f", ",.0f"),
}


def scale_of(metric: str) -> Scale:
    if metric in SHARE_METRICS or metric.startswith(SHARE_PREFIXES):
        return SCALES["share"]
    if metric in RATIO_METRICS:
        return SCALES["ratio"]
    if metric in POINT_METRICS or metric.startswith(POINT_PREFIXES):
        return SCALES["points"]
    return SCALES["count"]


def clip(bands: Sequence[Band], scale: Scale) -> list[Band]:
    """Each band limited to the metric's natural range (the mean is left as it is)."""
    low_bound = -float("inf") if scale.low is None else scale.low
    high_bound = float("inf") if scale.high is None else scale.high
    return [
        (m, min(max(lo, low_bound), high_bound), max(min(hi, high_bound), low_bound))
        for m, lo, hi in bands
    ]


def number(value: float | None, scale: Scale) -> str:
    """A value as a table shows it: percent for shares, thousands separators otherwise."""
    if value is None:
        return "-"
    if scale.kind == "share":
        return f"{value * 100:.1f}%"
    if scale.kind == "ratio":
        return f"{value:,.2f}"
    if abs(value - round(value)) < 1e-9 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


class Colours:
    """One colour per series name, the same in every chart of a page."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self._by_name: dict[str, str] = {}
        for name in names:
            self[name]

    def __getitem__(self, name: str) -> str:
        if name not in self._by_name:
            self._by_name[name] = PALETTE[len(self._by_name) % len(PALETTE)]
        return self._by_name[name]


@dataclass(frozen=True, slots=True)
class Target:
    """An assertion drawn on its chart: at `day` (1-based), between `low` and `high`."""

    day: int
    low: float | None
    high: float | None
    label: str


def dates(start: date, days: int) -> list[str]:
    return [(start + timedelta(days=i)).isoformat() for i in range(days)]


def _num(value: float) -> float | int:
    if value == int(value) and abs(value) < 1e15:
        return int(value)
    return float(f"{value:.6g}")


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def chart(
    chart_id: str,
    title: str,
    metric: str,
    x: Sequence[str],
    series: Sequence[tuple[str, Sequence[Band]]],
    colours: Colours,
    targets: Sequence[Target] = (),
    scale: Scale | None = None,
) -> str:
    """One chart: each series a mean line inside its clipped 95% band, dates on x."""
    scale = scale or scale_of(metric)
    n = len(x)
    step = max(1, -(-n // series_points_max))
    idx = list(range(0, n, step))
    if idx and idx[-1] != n - 1:
        idx.append(n - 1)
    xs = [x[i] for i in idx]
    traces: list[dict[str, Any]] = []
    top = 0.0
    for name, raw in series:
        bands = clip(raw, scale)
        colour = colours[name]
        top = max([top] + [b[2] for b in bands] + [b[0] for b in bands])
        common = {"x": xs, "legendgroup": name, "type": "scatter", "mode": "lines"}
        traces.append(
            {
                **common,
                "y": [_num(bands[i][2]) for i in idx],
                "name": name,
                "line": {"width": 0},
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
        traces.append(
            {
                **common,
                "y": [_num(bands[i][1]) for i in idx],
                "name": name,
                "line": {"width": 0},
                "fill": "tonexty",
                "fillcolor": _rgba(colour, 0.18),
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
        traces.append(
            {
                **common,
                "y": [_num(bands[i][0]) for i in idx],
                "name": name,
                "line": {"color": colour, "width": 2},
            }
        )
    for target in targets:
        if not 1 <= target.day <= n:
            continue
        at = x[target.day - 1]
        ys = [v for v in (target.low, target.high) if v is not None]
        top = max([top, *ys])
        traces.append(
            {
                "x": [at] * len(ys),
                "y": [_num(v) for v in ys],
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"target: {target.label}",
                "line": {"color": "#000", "width": 3, "dash": "dot"},
                "marker": {"symbol": "line-ew-open", "size": 14, "color": "#000"},
            }
        )
    yaxis: dict[str, Any] = {
        "tickformat": scale.tickformat,
        "hoverformat": scale.hoverformat,
        "rangemode": "tozero",
        "gridcolor": "#eaeef2",
        "zeroline": True,
    }
    if scale.kind == "share":
        yaxis["range"] = [0, min(1.0, max(top * 1.05, 0.01))]
    elif scale.kind in ("count", "points") and top < 8:
        yaxis["dtick"] = 1  # whole members and points: no tick at 0.5
        yaxis["range"] = [0, max(top * 1.05, 1.0)]
    layout = {
        "title": {"text": html.escape(title), "font": {"size": 15}},
        "xaxis": {"type": "date", "tickformat": "%b %-d\n%Y", "gridcolor": "#eaeef2"},
        "yaxis": yaxis,
        "hovermode": "x unified",
        "height": 340,
        "margin": {"l": 70, "r": 20, "t": 50, "b": 50},
        "legend": {"orientation": "h", "y": -0.2},
        "plot_bgcolor": "#fff",
        "paper_bgcolor": "#fff",
    }
    return plot_div(chart_id, traces, layout)


def plot_div(div_id: str, data: list[dict[str, Any]], layout: Mapping[str, Any]) -> str:
    """A div and the script that draws `data` in it (JSON safe inside a script element)."""
    config = {"displaylogo": False, "responsive": True}
    payload = ", ".join(json.dumps(v, separators=(",", ":")) for v in (data, layout, config))
    payload = payload.replace("</", "<\\/")
    return (
        f'<div id="{div_id}" class="chart"></div>'
        f'<script>Plotly.newPlot("{div_id}", {payload});</script>'
    )


@cache
def plotly_js() -> str:
    """plotly.js as the installed `plotly` package bundles it."""
    offline: Any = importlib.import_module("plotly.offline")  # untyped; only pages need it
    text: str = offline.get_plotlyjs()
    return text.replace("</script", "<\\/script")


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2328;
max-width:1100px}h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid
#d0d7de;padding-bottom:4px}table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:right}th{background:#f6f8fa}
td.l,th.l{text-align:left}.pass{color:#1a7f37;font-weight:600}.fail{color:#d1242f;
font-weight:600}.na{color:#9a6700;font-weight:600}.note{color:#57606a;font-size:13px}
.chart{border:1px solid #d0d7de;margin:10px 0}.flag{background:#fff8c5}
"""


def page(title: str, body: Sequence[str]) -> str:
    """A whole self-contained page: plotly.js and the CSS inline, no network."""
    return "\n".join(
        [
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title><style>{CSS}</style>",
            f"<script>{plotly_js()}</script></head><body>",
            *body,
            "</body></html>\n",
        ]
    )


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


class Raw(str):
    """Trusted HTML for a table cell."""


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    left: int = 1,
    row_class: Mapping[int, str] | None = None,
) -> str:
    """An HTML table; the first `left` columns align left; cells are escaped unless Raw."""
    head = "".join(
        f'<th class="{"l" if i < left else ""}">{esc(h)}</th>' for i, h in enumerate(header)
    )
    body = []
    for r, row in enumerate(rows):
        cells = "".join(
            f'<td class="{"l" if i < left else ""}">'
            f"{cell if isinstance(cell, Raw) else esc(cell)}</td>"
            for i, cell in enumerate(row)
        )
        css = (row_class or {}).get(r)
        body.append(f'<tr class="{css}">{cells}</tr>' if css else f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def result(text: str) -> Raw:
    """An assertion's result, coloured."""
    css = {"pass": "pass", "fail": "fail"}.get(text, "na")
    return Raw(f'<span class="{css}">{esc(text.upper() if text == "fail" else text)}</span>')
