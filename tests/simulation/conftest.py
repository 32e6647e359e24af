"""Fixtures shared by the simulation specs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from persistence.sql import migrate
from tests.integration.databases import migrated_sqlite, postgres_schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new migrated database a simulated run is replayed into: a SQLite file, or a
    PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield migrated_sqlite(tmp_path)
        return
    with postgres_schema() as url:
        migrate(url)
        yield url
