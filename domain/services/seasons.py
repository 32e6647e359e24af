"""Use cases of seasons: the seasons reactor's work (count the points an activity earned
in its season), snapshotting each ended season's leaderboard and hall of fame once, and
reading the seasons and their snapshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain import seasons as ds
from domain.calendar import require_aware
from domain.economy import Economy, Season
from domain.errors import NotFound
from domain.ports import UnitOfWork
from domain.seasons import FameRow, SeasonSnapshot
from domain.services.reads import hall_of_fame

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True, slots=True)
class SeasonView:
    season: Season
    snapshot: SeasonSnapshot | None


def on_activity(
    uow: UnitOfWork, economy: Economy, member_id: str, points: int, at: datetime
) -> None:
    """Count the rule points of one recorded activity toward its season."""
    if economy.seasons is None or points <= 0:
        return
    season = ds.season_at(economy.seasons, economy.timezone, at)
    if season is not None:
        uow.seasons.add_points(season.id, member_id, points)


def take_back(uow: UnitOfWork, economy: Economy, member_id: str, points: int, at: datetime) -> None:
    """A reversed activity's rule points leave its season's count (a season already kept
    keeps its snapshot: history is not rewritten)."""
    if economy.seasons is None or points <= 0:
        return
    season = ds.season_at(economy.seasons, economy.timezone, at)
    if season is not None:
        uow.seasons.add_points(season.id, member_id, -points)


def snapshot_seasons(
    uow_factory: UowFactory, economy: Economy, as_of: datetime
) -> list[SeasonSnapshot]:
    """Keep the leaderboard and hall of fame of every season ended by `as_of`, once each.
    The hall of fame is the one standing when the snapshot is taken."""
    require_aware(as_of, "asOf")
    if economy.seasons is None:
        return []
    taken: list[SeasonSnapshot] = []
    for season in ds.started_by(economy.seasons, economy.timezone, as_of):
        if season.ends > as_of:
            continue
        with uow_factory() as uow:
            kept = uow.seasons.snapshot(season.id) is not None
        if kept:
            continue
        fame = hall_of_fame(uow_factory(), economy, ds.snapshot_size_max)
        with uow_factory() as uow:
            top = uow.seasons.top(season.id, ds.snapshot_size_max)
            snapshot = SeasonSnapshot(
                season.id,
                as_of,
                ds.leader_rows(top),
                tuple(FameRow(e.member.id, e.level_id, e.honors) for e in fame),
            )
            if uow.seasons.add_snapshot(snapshot):
                uow.commit()
                taken.append(snapshot)
    return taken


def seasons_of(uow: UnitOfWork, economy: Economy, at: datetime) -> list[SeasonView]:
    """Every season started by `at`, newest first, with its snapshot once kept."""
    require_aware(at, "at")
    if economy.seasons is None:
        return []
    started = ds.started_by(economy.seasons, economy.timezone, at)
    with uow:
        return [SeasonView(s, uow.seasons.snapshot(s.id)) for s in reversed(started)]


def season_snapshot(season_id: str, uow: UnitOfWork, economy: Economy, at: datetime) -> SeasonView:
    """A season and its snapshot (None while it runs or before `honorloop review` ran)."""
    season = ds.by_id(economy.seasons, economy.timezone, season_id, at) if economy.seasons else None
    if season is None:
        raise NotFound("season", season_id)
    with uow:
        return SeasonView(season, uow.seasons.snapshot(season.id))
