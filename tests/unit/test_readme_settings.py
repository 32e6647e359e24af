"""The README's settings table names every environment variable the server reads."""

from __future__ import annotations

from pathlib import Path

from api.settings import ENV_NAMES

README = Path(__file__).resolve().parents[2] / "README.md"


def _settings_table() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Settings")
    return text[start : text.index("<!-- /section: api -->", start)]


def test_the_readme_settings_table_lists_every_variable() -> None:
    table = _settings_table()
    missing = [
        name
        for name in ENV_NAMES.values()
        # the limits share a row: `HONORLOOP_QUERY_DEPTH_MAX` / `_TOKENS_MAX` / ...
        if f"`{name}`" not in table and f"`_{name.removeprefix('HONORLOOP_QUERY_')}`" not in table
    ]

    assert missing == []
