"""`honorloop db`: upgrade to head, current, history, downgrade and upgrade again, on a
SQLite file, through the real command."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from honorloop.cli import main
from persistence.sql.migrate import head_revisions


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_current_downgrade_and_upgrade_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    (head,) = head_revisions()

    assert main(["db", "upgrade", "--database-url", url]) == 0
    assert main(["db", "current", "--database-url", url]) == 0
    assert f"{head} (head)" in capsys.readouterr().out
    assert "members" in _tables(url)

    assert main(["db", "downgrade", "base", "--database-url", url]) == 0
    assert main(["db", "current", "--database-url", url]) == 0
    assert head not in capsys.readouterr().out
    assert "members" not in _tables(url)

    assert main(["db", "upgrade", head, "--database-url", url]) == 0
    assert "members" in _tables(url)


def test_history_lists_the_migrations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "history", "--database-url", f"sqlite:///{tmp_path / 'h.sqlite'}"]) == 0

    (head,) = head_revisions()
    out = capsys.readouterr().out
    assert f"-> {head} (head)" in out
    assert "<base> -> 0001_initial" in out


def test_an_unknown_revision_fails_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'u.sqlite'}"

    assert main(["db", "upgrade", "nosuchrevision", "--database-url", url]) == 1
    assert "nosuchrevision" in capsys.readouterr().err
