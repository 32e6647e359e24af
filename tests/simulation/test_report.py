"""The report is one self-contained page: it opens with no network."""

from __future__ import annotations

import re
from pathlib import Path

from honorloop.cli import main
from simulation.charts import plotly_js
from tests.simulation.builders import SAMPLE_ECONOMY

EXTERNAL = re.compile(
    r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|<script[^>]+src=|<link[^>]+href=|@import|url\(", re.I
)


def test_the_report_has_every_chart_and_no_external_reference(tmp_path: Path) -> None:
    # when a small simulation writes its report
    main(["simulate", str(SAMPLE_ECONOMY), "--members", "60", "--days", "20",
          "--replications", "2", "--out", str(tmp_path)])  # fmt: skip
    page = (tmp_path / "report.html").read_text()

    # then nothing in it but plotly's own bundled script (whose text names web sites it
    # never loads here: the browser spec opens the page with no network) points outside it
    script = plotly_js()
    assert script in page
    mine = page.replace(script, "")
    assert EXTERNAL.search(mine) is None, EXTERNAL.search(mine)
    # and it carries the charts a designer reads
    for title in ("Points issued, spent, expired and outstanding", "Members per level",
                  "Members per KOC tier", "Active members", "Retention by cohort",
                  "Redemptions per tier", "Stock-out day of each reward",
                  "Balance inequality (Gini", "Sources and sinks"):  # fmt: skip
        assert title in page, title
    assert page.count("Plotly.newPlot(") >= 12
    assert page.count('"fill":"tonexty"') >= 12  # every series has its 95% band
