"""Issue 7 section 3, the last of it: a reversal also takes back what a note's publication
or metrics caused (its count toward KOC tiers, its best figure, viral-note honors, a tier
the member's notes no longer bear) and contest scores of periods not yet settled; pending
points confirmed by the review reach their level honors. On every store alike."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import contests, services
from domain.calendar import day_number
from domain.model import HonorGranted, HonorRevoked, KocTierChanged
from tests.integration.checks import assert_consistent
from tests.integration.conftest import StoreFactory
from tests.integration.shop import Shop
from tests.unit.builders import economy_from, local

DAY0 = local(2026, 5, 4, 10)

NOTES = economy_from(
    """
[rules.post]
kind = "post"
points = 5
once_per_subject = true

[rules.like]
kind = "like"
points = 1

[koc]
note_kinds = ["post"]
review_recent_notes = 3
review_min_interactions = 10

[[koc.tiers]]
id = "junior"
min_notes = 1

[[koc.tiers]]
id = "steady"
min_notes = 3
within_days = 7

[[koc.tiers]]
id = "senior"
viral_interactions = 1000

[honors.viral]
trigger = "viral_note"
interactions = 1000
tiers = [{ name = "bronze", at = 1 }]

[[contests]]
id = "buzz"
period = "monthly"
metric = "interactions"
starts = 2026-01-01T00:00:00+08:00
prizes = [{ ranks = [1, 1], points = 10 }]

[[contests]]
id = "posts"
period = "monthly"
metric = "count"
kind = "post"
starts = 2026-01-01T00:00:00+08:00
prizes = [{ ranks = [1, 1], points = 10 }]

[[contests]]
id = "likes"
period = "monthly"
metric = "points"
rules = ["like"]
starts = 2026-01-01T00:00:00+08:00
prizes = [{ ranks = [1, 1], points = 10 }]
"""
)

PENDING = economy_from(
    """
[rules.purchase]
kind = "purchase"
points = 60
pending_days = 14

[honors.regular]
trigger = "level_reached"
level = "regular"
""",
    levels="""
[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "regular"
threshold = 50
""",
)


def day(n: int, hours: int = 0) -> datetime:
    return DAY0 + timedelta(days=n, hours=hours)


def tier(shop: Shop, member: str) -> str | None:
    return shop.member(member).koc_tier


def standings(shop: Shop, contest: str, at: datetime) -> list[tuple[str, int]]:
    view = services.contest_view(contest, shop.store(), shop.economy, at, 10)
    return [(s.member_id, s.value) for s in view.standings]


def test_reversing_the_only_note_takes_the_first_tier_back(store: StoreFactory) -> None:
    shop = Shop(store, NOTES)
    alice = shop.join("alice")
    post = shop.record(alice, "post", day(0), "n1")
    assert tier(shop, alice) == "junior"

    result = shop.reverse(post.record.id, day(0, 1))

    assert tier(shop, alice) is None
    assert KocTierChanged(alice, "junior", None, day(0, 1)) in result.events
    assert_consistent(shop.store)


def test_a_tier_reached_by_notes_in_a_span_steps_down_when_one_of_them_is_reversed(
    store: StoreFactory,
) -> None:
    shop = Shop(store, NOTES)
    alice = shop.join("alice")
    posts = [shop.record(alice, "post", day(n), f"n{n}") for n in range(3)]
    assert tier(shop, alice) == "steady"

    shop.reverse(posts[1].record.id, day(2, 1))

    assert tier(shop, alice) == "junior"
    # a third note in the span brings the tier back: the reversed note no longer counts
    shop.record(alice, "post", day(3), "n3")
    assert tier(shop, alice) == "steady"


def test_a_tier_the_other_notes_still_bear_stands(store: StoreFactory) -> None:
    shop = Shop(store, NOTES)
    alice = shop.join("alice")
    posts = [shop.record(alice, "post", day(n), f"n{n}") for n in range(4)]

    result = shop.reverse(posts[0].record.id, day(4))

    assert tier(shop, alice) == "steady"  # n1, n2, n3 lie inside one span of 7 days
    assert not [e for e in result.events if isinstance(e, KocTierChanged)]


def test_a_refused_repost_reversed_leaves_the_note_counted(store: StoreFactory) -> None:
    shop = Shop(store, NOTES)
    alice = shop.join("alice")
    shop.record(alice, "post", day(0), "n1")
    repost = shop.record(alice, "post", day(0, 1), "n1")
    assert repost.points == 0  # once per subject

    shop.reverse(repost.record.id, day(0, 2))

    assert tier(shop, alice) == "junior"


def test_an_inflated_report_reversed_takes_senior_and_the_viral_honor_back(
    store: StoreFactory,
) -> None:
    # given a note measured at 40, then an inflated 5,000 that made alice senior
    shop = Shop(store, NOTES)
    alice = shop.join("alice")
    shop.record(alice, "post", day(0), "n1")
    shop.record(alice, "note_metrics", day(1), "n1", interactions=40)
    inflated = shop.record(alice, "note_metrics", day(2), "n1", interactions=5000)
    assert tier(shop, alice) == "senior"
    assert ("viral", "bronze", True) in shop.honors(alice)

    # when the inflated report is reversed
    at = day(2, 1)
    result = shop.reverse(inflated.record.id, at)

    # then the note's best figure is 40 again, senior and the honor are gone
    assert tier(shop, alice) == "junior"
    assert KocTierChanged(alice, "senior", "junior", at) in result.events
    assert HonorRevoked(alice, "viral", at) in result.events
    assert ("viral", "bronze", False) in shop.honors(alice)
    with shop.store() as uow:
        note = uow.notes.get(alice, "n1")
    assert note is not None
    assert note.interactions == 40
    # and the note can go viral again, once, by a real report
    shop.record(alice, "note_metrics", day(3), "n1", interactions=1200)
    assert tier(shop, alice) == "senior"
    assert ("viral", "bronze", True) in shop.honors(alice)


def test_a_reversed_report_below_the_best_changes_nothing(store: StoreFactory) -> None:
    shop = Shop(store, NOTES)
    alice = shop.join("alice")
    shop.record(alice, "post", day(0), "n1")
    low = shop.record(alice, "note_metrics", day(1), "n1", interactions=40)
    shop.record(alice, "note_metrics", day(2), "n1", interactions=1500)

    result = shop.reverse(low.record.id, day(3))

    assert tier(shop, alice) == "senior"
    assert result.events == ()


def test_contest_scores_of_an_open_period_move_back(store: StoreFactory) -> None:
    shop = Shop(store, NOTES)
    alice, bob = shop.join("alice"), shop.join("bob")
    post = shop.record(alice, "post", day(0), "n1")
    shop.record(alice, "note_metrics", day(1), "n1", interactions=300)
    inflated = shop.record(alice, "note_metrics", day(2), "n1", interactions=900)
    like = shop.record(alice, "like", day(2), "x1")
    shop.record(bob, "post", day(0), "m1")
    shop.record(bob, "note_metrics", day(1), "m1", interactions=500)
    shop.record(bob, "like", day(2), "x2")
    at = day(3)
    assert standings(shop, "buzz", at) == [(alice, 900), (bob, 500)]

    shop.reverse(inflated.record.id, at)
    shop.reverse(like.record.id, at)

    assert standings(shop, "buzz", at) == [(bob, 500), (alice, 300)]
    assert standings(shop, "likes", at) == [(bob, 1)]
    assert standings(shop, "posts", at) == [(alice, 1), (bob, 1)]
    shop.reverse(post.record.id, at)
    assert standings(shop, "buzz", at) == [(bob, 500)]  # the note leaves the contest
    assert standings(shop, "posts", at) == [(bob, 1)]


def test_a_settled_contest_period_stands_after_a_reversal(store: StoreFactory) -> None:
    shop = Shop(store, NOTES)
    alice = shop.join("alice")
    posted = local(2026, 5, 30, 10)
    post = shop.record(alice, "post", posted, "n1", received=posted)
    june = local(2026, 6, 1, 1)
    services.settle_contests(shop.store, shop.economy, june)

    shop.reverse(post.record.id, june)

    assert standings(shop, "posts", posted + timedelta(hours=1)) == [(alice, 1)]
    contest = next(c for c in NOTES.contests if c.id == "posts")
    may = contests.instance_of(contest, day_number(posted, NOTES.timezone))
    with shop.store() as uow:
        kept = uow.contests.score("posts", may, alice)
    assert kept is not None
    assert kept.value == 1  # the score row behind the frozen standings is left alone too


def test_pending_points_confirmed_by_the_review_reach_their_level_honor(
    store: StoreFactory,
) -> None:
    shop = Shop(store, PENDING)
    alice = shop.join("alice")
    shop.record(alice, "purchase", day(0), "o1")
    assert shop.honors(alice) == []

    events = shop.review(alice, day(15))

    assert shop.member(alice).level_id == "regular"
    assert HonorGranted(alice, "regular", None, day(15)) in events
    assert shop.honors(alice) == [("regular", None, True)]
    assert shop.review(alice, day(16)) == []  # granted once
