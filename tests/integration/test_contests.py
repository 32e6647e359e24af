"""Contests on every store: scores move with the activity stream inside the window,
standings rank by value then earlier reaching then member id, a closed period settles
exactly once (frozen standings, prizes paid, ContestSettled events)."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta

import pytest

from domain import services
from domain.commands import RecordActivity, RegisterMember
from domain.contests import ContestState, Standing
from domain.economy import Economy
from domain.model import ContestSettled, RedemptionStatus
from domain.services import ContestView
from tests.integration.conftest import StoreFactory
from tests.unit.builders import economy_from, local

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 5

[rules.like]
kind = "interaction"
points = 1

[rules.check_in]
kind = "check_in"
points = 2

[koc]
note_kinds = ["post"]
metrics_kind = "note_metrics"
interactions_attribute = "interactions"

[[koc.tiers]]
id = "rising"
min_notes = 50

[honors.champion]
title = "Champion of the month"
manual = true

[reward_tiers.perks]

[rewards.coupon]
tier = "perks"
price = 100
fulfilment = "coupon_code"

[[contests]]
id = "monthly_buzz"
title = "Most interactions of the month"
period = "monthly"
metric = "interactions"
starts = 2026-01-01T00:00:00+08:00

[[contests.prizes]]
ranks = [1, 1]
points = 500
honor = "champion"

[[contests.prizes]]
ranks = [2, 3]
points = 100
coupon = "coupon"

[[contests]]
id = "post_sprint"
period = "once"
metric = "count"
kind = "post"
starts = 2026-02-02T00:00:00+08:00
ends = 2026-02-09T00:00:00+08:00

[[contests.prizes]]
ranks = [1, 2]
points = 50

[[contests]]
id = "like_week"
period = "weekly"
metric = "points"
rules = ["like"]

[[contests.prizes]]
ranks = [1, 1]
points = 10
"""
)
JAN = local(2026, 1, 10, 12)
FEB_1 = local(2026, 2, 1, 0)
JAN_PERIOD = 2026 * 12  # the month index of January 2026


class Contests:
    """The real services on one store, with short verbs."""

    def __init__(self, store: StoreFactory, economy: Economy = ECONOMY) -> None:
        self.store, self.economy = store, economy
        self._keys = itertools.count(1)
        services.sync_rewards(store(), economy)

    def key(self) -> str:
        return f"k{next(self._keys)}"

    def join(self, handle: str) -> str:
        cmd = RegisterMember(handle, handle, local(2025, 12, 1, 8))
        return services.register_member(cmd, self.store(), self.economy).id

    def record(
        self,
        member: str,
        kind: str,
        at: datetime,
        subject: str | None = None,
        key: str | None = None,
        **attributes: int,
    ) -> services.ActivityResult:
        cmd = RecordActivity(member, kind, at, key or self.key(), subject, dict(attributes), at=at)
        return services.record_activity(cmd, self.store(), self.economy)

    def note(self, member: str, note: str, at: datetime, interactions: int) -> None:
        self.record(member, "post", at, note)
        self.record(member, "note_metrics", at + timedelta(hours=1), note,
                    interactions=interactions)  # fmt: skip

    def view(self, contest: str, at: datetime, period_at: datetime | None = None) -> ContestView:
        return services.contest_view(contest, self.store(), self.economy, at, 10, period_at)

    def standings(self, contest: str, at: datetime) -> list[tuple[str, int]]:
        return [(s.member_id, s.value) for s in self.view(contest, at).standings]

    def settle(self, as_of: datetime) -> list[services.Settlement]:
        return services.settle_contests(self.store, self.economy, as_of)

    def available(self, member: str) -> int:
        return services.balances(member, self.store()).available


@pytest.fixture
def contests(store: StoreFactory) -> Contests:
    return Contests(store)


def test_interactions_on_notes_published_in_the_month_rank_the_members(
    contests: Contests,
) -> None:
    ann, bob = contests.join("ann"), contests.join("bob")

    contests.note(ann, "n1", JAN, 120)
    contests.note(bob, "n2", JAN, 80)
    contests.record(bob, "note_metrics", JAN + timedelta(days=1), "n2", interactions=150)

    assert contests.standings("monthly_buzz", JAN + timedelta(days=2)) == [(bob, 150), (ann, 120)]
    view = contests.view("monthly_buzz", JAN + timedelta(days=2))
    assert view.state is ContestState.OPEN
    assert (view.starts, view.ends) == (local(2026, 1, 1, 0), FEB_1)


def test_a_note_published_before_the_month_earns_no_interactions_in_it(
    contests: Contests,
) -> None:
    ann = contests.join("ann")
    contests.record(ann, "post", local(2026, 1, 31, 23, 30), "old")

    contests.record(ann, "note_metrics", local(2026, 2, 3, 9), "old", interactions=500)

    assert contests.standings("monthly_buzz", local(2026, 2, 3, 10)) == []


def test_a_replayed_activity_scores_once(contests: Contests) -> None:
    ann = contests.join("ann")
    sprint = local(2026, 2, 3, 9)

    contests.record(ann, "post", sprint, "p1", key="post-1")
    contests.record(ann, "post", sprint, "p1", key="post-1")

    assert contests.standings("post_sprint", sprint) == [(ann, 1)]


def test_a_window_counts_from_its_start_up_to_but_not_including_its_end(
    contests: Contests,
) -> None:
    ann = contests.join("ann")
    start, end = local(2026, 2, 2, 0), local(2026, 2, 9, 0)

    contests.record(ann, "post", start - timedelta(seconds=1), "before")
    contests.record(ann, "post", start, "first")
    contests.record(ann, "post", end - timedelta(seconds=1), "last")
    contests.record(ann, "post", end, "after")

    assert contests.standings("post_sprint", start) == [(ann, 2)]
    assert contests.view("post_sprint", end).state is ContestState.CLOSED
    assert contests.view("post_sprint", start - timedelta(days=1)).state is ContestState.UPCOMING


def test_a_points_contest_counts_only_the_points_of_its_rules(contests: Contests) -> None:
    ann = contests.join("ann")
    monday = local(2026, 3, 2, 9)

    contests.record(ann, "interaction", monday)
    contests.record(ann, "interaction", monday + timedelta(minutes=1))
    contests.record(ann, "check_in", monday)

    assert contests.standings("like_week", monday) == [(ann, 2)]
    assert contests.view("like_week", monday).starts == local(2026, 3, 2, 0)


def test_equal_values_rank_who_reached_it_first_then_the_smaller_member_id(
    contests: Contests,
) -> None:
    first, second, third = (contests.join(h) for h in ("cy", "di", "ed"))
    sprint = local(2026, 2, 3, 9)

    contests.record(second, "post", sprint, "s1")
    contests.record(first, "post", sprint, "f1")
    contests.record(third, "post", sprint + timedelta(minutes=5), "t1")

    earliest = sorted([first, second])
    assert [m for m, _ in contests.standings("post_sprint", sprint)] == [*earliest, third]


def test_a_closed_month_settles_once_paying_each_rank_range(store: StoreFactory) -> None:
    contests = Contests(store)
    ann, bob, cy, di = (contests.join(h) for h in ("ann", "bob", "cy", "di"))
    for n, (member, interactions) in enumerate([(ann, 300), (bob, 200), (cy, 100), (di, 50)]):
        contests.note(member, f"n{n}", JAN, interactions)
    before = {m: contests.available(m) for m in (ann, bob, cy, di)}

    early = contests.settle(FEB_1 - timedelta(seconds=1))
    settled = contests.settle(FEB_1)
    again = contests.settle(FEB_1 + timedelta(days=1))

    assert early == []
    assert [(s.contest_id, s.ranked, s.winners, s.points) for s in settled] == [
        ("monthly_buzz", 4, 3, 700)
    ]
    assert again == []
    gained = {m: contests.available(m) - before[m] for m in before}
    assert gained == {ann: 500, bob: 100, cy: 100, di: 0}
    assert ("champion", None) in [(a.honor_id, a.tier) for a in services.honors_of(ann, store())]
    coupons = services.redemptions_for(bob, store())
    assert [(r.reward_id, r.status) for r in coupons] == [("coupon", RedemptionStatus.RESERVED)]
    final = contests.view("monthly_buzz", FEB_1, period_at=JAN)
    assert final.state is ContestState.SETTLED
    assert [(s.rank, s.member_id, s.value, s.points) for s in final.standings] == [
        (1, ann, 300, 500),
        (2, bob, 200, 100),
        (3, cy, 100, 100),
        (4, di, 50, 0),
    ]


def test_settling_sends_contest_settled_to_each_prize_winner(store: StoreFactory) -> None:
    contests = Contests(store)
    ann = contests.join("ann")
    contests.note(ann, "n1", JAN, 10)
    uow = store()

    services.settle_period(uow, ECONOMY, ECONOMY.contests[0], JAN_PERIOD, FEB_1)

    assert ContestSettled(ann, "monthly_buzz", JAN_PERIOD, 1, 10, 500, FEB_1) in uow.events


def test_final_standings_stay_frozen_when_a_late_activity_arrives(contests: Contests) -> None:
    ann, bob = contests.join("ann"), contests.join("bob")
    contests.note(ann, "n1", JAN, 100)
    contests.note(bob, "n2", JAN, 50)
    contests.settle(FEB_1)

    contests.record(bob, "note_metrics", local(2026, 1, 31, 23), "n2", interactions=900)

    final = contests.view("monthly_buzz", FEB_1, period_at=JAN).standings
    assert [(s.member_id, s.value) for s in final] == [(ann, 100), (bob, 50)]


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)  # fmt: skip
def test_concurrent_settlements_pay_the_prizes_once(store: StoreFactory) -> None:
    contests = Contests(store)
    ann = contests.join("ann")
    contests.note(ann, "n1", JAN, 10)
    before = contests.available(ann)
    results: list[services.Settlement | None] = []
    start = threading.Barrier(3)

    def settle() -> None:
        start.wait()
        contest = ECONOMY.contests[0]
        results.append(services.settle_period(store(), ECONOMY, contest, JAN_PERIOD, FEB_1))

    threads = [threading.Thread(target=settle) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r is not None for r in results) == [False, False, True]
    assert contests.available(ann) - before == 500


def test_standings_show_at_most_the_page_asked_for(contests: Contests) -> None:
    members = [contests.join(f"m{n}") for n in range(3)]
    sprint = local(2026, 2, 3, 9)
    for n, member in enumerate(members):
        contests.record(member, "post", sprint + timedelta(minutes=n), f"p{n}")

    page = services.contest_view("post_sprint", contests.store(), ECONOMY, sprint, 2).standings

    assert [s.rank for s in page] == [1, 2]
    assert all(isinstance(s, Standing) for s in page)
