"""The generated pages open in headless Chromium with no network and log nothing to the
console (no script error, no failed load), and plotly draws their charts."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from honorloop.cli import main
from tests.simulation.builders import SAMPLE_ECONOMY, economy_text

CHROMIUM = shutil.which("chromium")
NO_NETWORK = [
    "--proxy-server=127.0.0.1:9",  # nothing listens there: any request fails
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=5000",
]


def _open(page: Path, profile: Path) -> tuple[str, list[str]]:
    """The page's DOM after load, and every console message Chromium logged."""
    if CHROMIUM is None:
        if os.environ.get("HONORLOOP_REQUIRE_SERVICES"):
            pytest.fail("chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed")
    done = subprocess.run(
        [CHROMIUM, *FLAGS, *NO_NETWORK, f"--user-data-dir={profile}", "--dump-dom",
         page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def test_the_console_check_sees_a_script_error(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>notAFunction();</script></body></html>")
    _, console = _open(page, tmp_path / "profile")
    assert any("notAFunction" in line for line in console)


def test_the_report_compare_and_sweep_pages_open_offline_without_console_errors(
    tmp_path: Path,
) -> None:
    # given a report, a comparison and a sweep of small runs
    richer = tmp_path / "richer.toml"
    richer.write_text(economy_text(rules__daily_check_in__points=20))
    small = ["--members", "40", "--days", "8", "--replications", "2"]
    assert main(["simulate", str(SAMPLE_ECONOMY), *small, "--out", str(tmp_path / "s")]) == 0
    assert main(["compare", str(SAMPLE_ECONOMY), str(richer), *small,
                 "--out", str(tmp_path / "c")]) == 0  # fmt: skip
    assert main(["sweep", str(SAMPLE_ECONOMY), "--set", "rules.daily_check_in.points=2,20",
                 *small, "--jobs", "1", "--out", str(tmp_path / "w")]) == 0  # fmt: skip

    # when each opens in a browser with no network
    for i, page in enumerate(
        [tmp_path / "s/report.html", tmp_path / "c/compare.html", tmp_path / "w/sweep.html"]
    ):
        dom, console = _open(page, tmp_path / f"profile-{i}")
        # then nothing reaches the console, and the charts are drawn
        assert console == [], page.name
        if page.name != "report.html":
            assert "main-svg" in dom, page.name
