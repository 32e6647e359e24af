"""Seasons on every store: rule points count toward the season they fall in (local
quarters), an ended season's leaderboard and hall of fame are snapshotted once and stay
as they were when the live boards move on."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from domain import services
from domain.commands import GrantHonor, RecordActivity, RegisterMember, ReverseActivity
from domain.economy import Economy
from domain.errors import NotFound
from domain.seasons import LeaderRow
from persistence.memory import MemoryStore
from tests.integration.conftest import StoreFactory
from tests.unit.builders import economy_from, local

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 10

[honors.star]
title = "Star"
manual = true
hall_of_fame = true

[seasons]
every = "quarter"
starts = 2026-01-01T00:00:00+08:00
"""
)
Q1_END = local(2026, 4, 1, 0)


class Seasons:
    def __init__(self, store: StoreFactory, economy: Economy = ECONOMY) -> None:
        self.store, self.economy = store, economy
        self._keys = itertools.count(1)

    def join(self, handle: str) -> str:
        cmd = RegisterMember(handle, handle, local(2025, 12, 1, 8))
        return services.register_member(cmd, self.store(), self.economy).id

    def post(self, member: str, at: datetime, times: int = 1) -> None:
        for n in range(times):
            key = f"k{next(self._keys)}"
            moment = at + timedelta(minutes=n)
            cmd = RecordActivity(member, "post", moment, key, None, {}, at=moment)
            services.record_activity(cmd, self.store(), self.economy)

    def snapshot(self, as_of: datetime) -> list[str]:
        return [s.season_id for s in services.snapshot_seasons(self.store, self.economy, as_of)]

    def view(self, season: str, at: datetime) -> services.SeasonView:
        return services.season_snapshot(season, self.store(), self.economy, at)


@pytest.fixture
def seasons(store: StoreFactory) -> Seasons:
    return Seasons(store)


def test_an_ended_quarter_keeps_its_leaderboard_once(seasons: Seasons) -> None:
    ann, bob = seasons.join("ann"), seasons.join("bob")
    seasons.post(ann, local(2026, 3, 31, 23, 50), times=1)
    seasons.post(bob, local(2026, 2, 1, 9), times=3)
    seasons.post(ann, Q1_END, times=5)  # the first minute of Q2: not Q1's

    early = seasons.snapshot(Q1_END - timedelta(seconds=1))
    taken = seasons.snapshot(Q1_END)
    again = seasons.snapshot(Q1_END + timedelta(days=1))

    assert (early, taken, again) == ([], ["2026-q1"], [])
    view = seasons.view("2026-q1", Q1_END)
    assert view.season.title == "Q1 2026"
    assert view.snapshot is not None
    assert view.snapshot.leaderboard == (LeaderRow(1, bob, 30), LeaderRow(2, ann, 10))


def test_a_snapshot_stays_as_it_was_when_the_live_board_moves_on(seasons: Seasons) -> None:
    ann, bob = seasons.join("ann"), seasons.join("bob")
    seasons.post(ann, local(2026, 2, 1, 9), times=2)
    services.grant_honor(
        GrantHonor(ann, "star", "creator of the season", "op", local(2026, 3, 1, 9)),
        seasons.store(),
        ECONOMY,
    )
    seasons.snapshot(Q1_END)

    seasons.post(bob, local(2026, 1, 15, 9), times=9)  # late: after the snapshot
    services.grant_honor(
        GrantHonor(bob, "star", "later star", "op", local(2026, 4, 2, 9)), seasons.store(), ECONOMY
    )

    kept = seasons.view("2026-q1", local(2026, 5, 1, 9)).snapshot
    assert kept is not None
    assert [(r.member_id, r.points) for r in kept.leaderboard] == [(ann, 20)]
    assert [(f.member_id, [a.honor_id for a in f.honors]) for f in kept.hall_of_fame] == [
        (ann, ["star"])
    ]


def test_seasons_are_listed_newest_first_with_their_snapshots(seasons: Seasons) -> None:
    seasons.snapshot(local(2026, 7, 2, 9))

    listed = services.seasons_of(seasons.store(), ECONOMY, local(2026, 7, 2, 9))

    assert [(v.season.id, v.snapshot is not None) for v in listed] == [
        ("2026-q3", False),
        ("2026-q2", True),
        ("2026-q1", True),
    ]


def test_a_season_not_started_or_unknown_is_not_found(seasons: Seasons) -> None:
    with pytest.raises(NotFound):
        seasons.view("2026-q3", local(2026, 5, 1, 9))
    with pytest.raises(NotFound):
        seasons.view("summer", local(2026, 5, 1, 9))


def test_a_reversed_activity_leaves_its_seasons_count(seasons: Seasons) -> None:
    ann, bob = seasons.join("ann"), seasons.join("bob")
    seasons.post(bob, local(2026, 2, 1, 9), times=2)
    at = local(2026, 2, 2, 9)
    cmd = RecordActivity(ann, "post", at, "ann-post", None, {}, at=at)
    activity = services.record_activity(cmd, seasons.store(), seasons.economy).record.id
    seasons.post(ann, local(2026, 2, 3, 9))

    reverse = ReverseActivity(activity, "spam", "op", "rev-1", local(2026, 2, 4, 9))
    services.reverse_activity(reverse, seasons.store(), seasons.economy)
    seasons.snapshot(Q1_END)

    kept = seasons.view("2026-q1", Q1_END).snapshot
    assert kept is not None
    assert kept.leaderboard == (LeaderRow(1, bob, 20), LeaderRow(2, ann, 10))


def _board(store: StoreFactory, season: str, ann: str) -> list[tuple[int, bool]]:
    with store() as uow:
        return [(points, member == ann) for member, points in uow.seasons.top(season, 10)]


def test_a_batch_counts_season_points_as_recording_one_by_one_does(store: StoreFactory) -> None:
    """The SQL store sums a transaction's season points per member and sends them with its
    buffered writes: the boards after a batch (members interleaved, a replay, a quarter's
    boundary inside it) are the boards after the same activities one by one."""
    boards = []
    for seasons in (Seasons(store), Seasons(MemoryStore())):
        ann, bob = seasons.join("ann"), seasons.join("bob")
        moments = [local(2026, 3, 31, 23, 50 + n) for n in range(5)] + [Q1_END]
        members = [ann, bob, ann, bob, ann, ann]
        cmds = [
            RecordActivity(member, "post", at, f"k{n}", None, {}, at=at)
            for n, (member, at) in enumerate(zip(members, moments, strict=True))
        ]
        cmds.append(cmds[0])  # a replay: no points
        if seasons.store is store:
            results = services.record_activities(cmds, store(), ECONOMY)
            assert all(isinstance(r, services.ActivityResult) for r in results)
        else:
            for cmd in cmds:
                services.record_activity(cmd, seasons.store(), ECONOMY)
        q1, q2 = (_board(seasons.store, season, ann) for season in ("2026-q1", "2026-q2"))
        boards.append((q1, q2))

    assert boards[0] == boards[1]
    assert boards[0] == ([(30, True), (20, False)], [(10, True)])


def test_season_points_added_in_a_unit_of_work_are_on_its_board(store: StoreFactory) -> None:
    seasons = Seasons(store)
    ann, bob = seasons.join("ann"), seasons.join("bob")
    with store() as uow:
        uow.seasons.add_points("2026-q1", ann, 5)
        uow.seasons.add_points("2026-q1", bob, 7)
        uow.seasons.add_points("2026-q1", ann, 4)
        inside = uow.seasons.top("2026-q1", 10)
        uow.commit()

    assert inside == [(ann, 9), (bob, 7)]
    assert _board(store, "2026-q1", ann) == [(9, True), (7, False)]
