"""Quests on every store: progress advances once per recorded activity, recurring quests
open a fresh instance each local period, windows and capacity hold, rewards pay once."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from domain import services
from domain.commands import (
    AddCouponCodes,
    ClaimQuestReward,
    RecordActivity,
    RegisterMember,
    StartQuest,
)
from domain.economy import Economy
from domain.errors import (
    IdempotencyKeyReused,
    InvalidInput,
    NotEligible,
    QuestClosed,
    QuestFull,
    QuestNotCompleted,
)
from domain.model import QuestCompleted, QuestProgressed, RedemptionStatus
from domain.quests import QuestProgress, QuestState
from tests.integration.conftest import StoreFactory
from tests.unit.builders import economy_from, local

ECONOMY = economy_from(
    """
[rules.check_in]
kind = "check_in"
points = 2
limits = [{ period = "day", max_count = 1 }]

[rules.like]
kind = "interaction"
points = 1

[rules.post]
kind = "post"
points = 5

[reward_tiers.perks]

[rewards.coupon]
tier = "perks"
price = 100
fulfilment = "coupon_code"

[honors.theme_star]
title = "Theme star"
manual = true

[[quests]]
id = "daily_warmup"
title = "Daily warm-up"
kind = "daily"
[[quests.steps]]
kind = "check_in"
count = 1
[[quests.steps]]
kind = "interaction"
count = 3
[quests.reward]
points = 10

[[quests]]
id = "photo_theme"
title = "Photo theme of the month"
kind = "monthly"
opt_in = true
claim = true
capacity = 2
starts = 2026-01-01T00:00:00+08:00
ends = 2026-03-01T00:00:00+08:00
[[quests.steps]]
kind = "post"
count = 2
when = ["photos >= 1"]
[quests.reward]
points = 50
honor = "theme_star"
coupon = "coupon"

[[quests]]
id = "first_steps"
title = "First steps"
ordered = true
[[quests.steps]]
kind = "post"
count = 1
[[quests.steps]]
kind = "check_in"
count = 1
[quests.reward]
points = 20
""",
    levels="""
[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "regular"
threshold = 30
""",
)


class Quests:
    """The real services on one store, with short verbs."""

    def __init__(self, store: StoreFactory, economy: Economy = ECONOMY) -> None:
        self.store, self.economy = store, economy
        self._keys = itertools.count(1)
        services.sync_rewards(store(), economy)

    def key(self) -> str:
        return f"k{next(self._keys)}"

    def join(self, handle: str) -> str:
        at = local(2026, 1, 1, 8)
        return services.register_member(
            RegisterMember(handle, handle, at), self.store(), ECONOMY
        ).id

    def record(
        self, member: str, kind: str, at: datetime, key: str | None = None, **attributes: int
    ) -> services.ActivityResult:
        cmd = RecordActivity(member, kind, at, key or self.key(), None, dict(attributes), at=at)
        return services.record_activity(cmd, self.store(), self.economy)

    def record_subject(
        self, member: str, kind: str, at: datetime, subject: str
    ) -> services.ActivityResult:
        cmd = RecordActivity(member, kind, at, self.key(), subject, at=at)
        return services.record_activity(cmd, self.store(), self.economy)

    def start(self, member: str, quest: str, at: datetime, key: str | None = None) -> QuestProgress:
        cmd = StartQuest(member, quest, key or self.key(), at)
        return services.start_quest(cmd, self.store(), self.economy)

    def claim(self, member: str, quest: str, at: datetime, key: str | None = None) -> QuestProgress:
        cmd = ClaimQuestReward(member, quest, key or self.key(), at)
        return services.claim_quest_reward(cmd, self.store(), self.economy)

    def progress(self, member: str, quest: str, at: datetime) -> QuestProgress | None:
        views = services.quests_for(member, self.store(), self.economy, at)
        return next(v.progress for v in views if v.quest.id == quest)

    def available(self, member: str) -> int:
        return services.balances(member, self.store()).available


@pytest.fixture
def quests(store: StoreFactory) -> Quests:
    return Quests(store)


def test_a_daily_quest_completes_and_pays_once_its_steps_are_done(quests: Quests) -> None:
    alice = quests.join("alice")
    morning = local(2026, 1, 5, 9)

    quests.record(alice, "check_in", morning)
    for minute in range(2):
        quests.record(alice, "interaction", morning + timedelta(minutes=minute + 1))
    before = quests.available(alice)
    last = quests.record(alice, "interaction", morning + timedelta(minutes=5))
    more = quests.record(alice, "interaction", morning + timedelta(minutes=6))

    progress = quests.progress(alice, "daily_warmup", morning)
    assert progress is not None
    assert (progress.state, progress.done) == (QuestState.COMPLETED, (1, 3))
    assert quests.available(alice) == before + 1 + 10 + 1  # the like, the quest, the next like
    assert (
        QuestCompleted(alice, "daily_warmup", progress.instance, True, 10, last.record.occurred_at)
        in last.events
    )
    assert not any(isinstance(e, QuestProgressed | QuestCompleted) for e in more.events)


def test_reposting_one_subject_advances_a_quest_once(store: StoreFactory) -> None:
    reposts = economy_from(
        """
[rules.post]
kind = "post"
points = 5
once_per_subject = true

[[quests]]
id = "three_posts"
[[quests.steps]]
kind = "post"
count = 3
[quests.reward]
points = 100
"""
    )
    world = Quests(store, reposts)
    alice = world.join("alice")
    at = local(2026, 1, 5, 9)

    first = world.record_subject(alice, "post", at, "note-1")
    reposts_of_it = [
        world.record_subject(alice, "post", at + timedelta(minutes=m), "note-1") for m in (1, 2)
    ]

    progress = world.progress(alice, "three_posts", at)
    assert progress is not None
    assert progress.done == (1,)
    assert any(isinstance(e, QuestProgressed) for e in first.events)
    assert [r.points for r in reposts_of_it] == [0, 0]
    assert world.available(alice) == 5


def test_a_replayed_activity_advances_a_quest_once(quests: Quests) -> None:
    alice = quests.join("alice")
    at = local(2026, 1, 5, 9)

    first = quests.record(alice, "interaction", at, key="like-1")
    again = quests.record(alice, "interaction", at, key="like-1")

    progress = quests.progress(alice, "daily_warmup", at)
    assert progress is not None
    assert progress.done == (0, 1)
    assert again.replayed
    assert again.events == ()
    assert any(isinstance(e, QuestProgressed) for e in first.events)


def test_an_activity_arriving_after_its_period_closed_advances_nothing(
    quests: Quests,
) -> None:
    alice = quests.join("alice")
    late_evening = local(2026, 1, 5, 23, 50)
    cmd = RecordActivity(
        alice, "check_in", late_evening, "late-1", at=late_evening + timedelta(hours=1)
    )

    result = services.record_activity(cmd, quests.store(), quests.economy)

    assert result.points == 2  # the rules judge it in its own day (a late arrival)
    assert quests.progress(alice, "daily_warmup", late_evening) is None
    assert not any(isinstance(e, QuestProgressed) for e in result.events)


def test_a_daily_quest_opens_a_fresh_instance_each_local_day(quests: Quests) -> None:
    alice = quests.join("alice")
    late_evening = local(2026, 1, 5, 23, 50)
    next_morning = local(2026, 1, 6, 0, 10)

    quests.record(alice, "check_in", late_evening)
    quests.record(alice, "check_in", next_morning)

    yesterday = quests.progress(alice, "daily_warmup", late_evening)
    today = quests.progress(alice, "daily_warmup", next_morning)
    assert yesterday is not None
    assert today is not None
    assert yesterday.instance != today.instance
    assert (yesterday.done, today.done) == ((1, 0), (1, 0))


def test_an_ordered_quest_counts_a_step_only_after_the_steps_before_it(quests: Quests) -> None:
    alice = quests.join("alice")
    at = local(2026, 1, 5, 9)

    quests.record(alice, "check_in", at)  # step 2 before step 1: does not count
    quests.record(alice, "post", at + timedelta(hours=1))
    early = quests.progress(alice, "first_steps", at)
    quests.record(alice, "check_in", at + timedelta(days=1))

    done = quests.progress(alice, "first_steps", at + timedelta(days=1))
    assert early is not None
    assert early.done == (1, 0)
    assert done is not None
    assert done.state is QuestState.COMPLETED


def test_an_opt_in_quest_advances_only_after_it_is_started(quests: Quests) -> None:
    alice = quests.join("alice")
    at = local(2026, 1, 10, 9)

    quests.record(alice, "post", at, photos=1)
    assert quests.progress(alice, "photo_theme", at) is None

    quests.start(alice, "photo_theme", at)
    quests.record(alice, "post", at + timedelta(hours=1), photos=2)
    quests.record(alice, "post", at + timedelta(hours=2))  # no photos: no step matches

    progress = quests.progress(alice, "photo_theme", at)
    assert progress is not None
    assert (progress.state, progress.done) == (QuestState.ACTIVE, (1,))


def test_a_claim_quest_pays_its_points_honor_and_coupon_once_on_claim(quests: Quests) -> None:
    alice = quests.join("alice")
    at = local(2026, 1, 10, 9)
    services.add_coupon_codes(
        AddCouponCodes("coupon", ("C-1",), "operator", at), quests.store(), ECONOMY
    )
    quests.start(alice, "photo_theme", at)
    quests.record(alice, "post", at + timedelta(hours=1), photos=1)
    quests.record(alice, "post", at + timedelta(hours=2), photos=1)
    before = quests.available(alice)

    claimed = quests.claim(alice, "photo_theme", at + timedelta(hours=3), key="claim-1")
    replay = quests.claim(alice, "photo_theme", at + timedelta(hours=3), key="claim-1")
    again = quests.claim(alice, "photo_theme", at + timedelta(hours=4))

    assert claimed.state is QuestState.CLAIMED
    assert replay == claimed
    assert again == claimed
    assert quests.available(alice) == before + 50
    honors = services.honors_of(alice, quests.store())
    assert [(h.honor_id, h.granted_by) for h in honors] == [
        ("theme_star", f"quest:photo_theme@{claimed.instance}")
    ]
    redemptions = services.redemptions_for(alice, quests.store())
    assert [(r.reward_id, r.points, r.status, r.coupon_code) for r in redemptions] == [
        ("coupon", 0, RedemptionStatus.FULFILLED, "C-1")
    ]


def test_claiming_an_unfinished_or_automatic_quest_is_refused(quests: Quests) -> None:
    alice = quests.join("alice")
    at = local(2026, 1, 10, 9)
    quests.start(alice, "photo_theme", at)

    with pytest.raises(QuestNotCompleted):
        quests.claim(alice, "photo_theme", at)
    with pytest.raises(InvalidInput) as raised:
        quests.claim(alice, "daily_warmup", at)
    assert raised.value.field == "questId"


def test_nothing_advances_and_no_claim_is_taken_after_the_window_closes(quests: Quests) -> None:
    alice = quests.join("alice")
    inside = local(2026, 2, 20, 9)
    after = local(2026, 3, 1, 0, 0)  # the window ends at midnight of 1 March, local time
    quests.start(alice, "photo_theme", inside)
    quests.record(alice, "post", inside, photos=1)
    quests.record(alice, "post", inside + timedelta(hours=1), photos=1)

    late = quests.record(alice, "post", after, photos=1)
    with pytest.raises(QuestClosed):
        quests.claim(alice, "photo_theme", after)
    with pytest.raises(QuestClosed):
        quests.start(alice, "photo_theme", after)
    assert not any(isinstance(e, QuestProgressed) for e in late.events)


def test_a_quest_window_opens_at_its_start_in_the_economy_time_zone(quests: Quests) -> None:
    alice = quests.join("alice")
    a_minute_early = local(2025, 12, 31, 23, 59)

    with pytest.raises(QuestClosed):
        quests.start(alice, "photo_theme", a_minute_early)
    assert quests.start(alice, "photo_theme", a_minute_early + timedelta(minutes=1)).state is (
        QuestState.ACTIVE
    )


def test_completers_past_the_capacity_finish_without_pay(quests: Quests) -> None:
    at = local(2026, 1, 10, 9)
    members = [quests.join(name) for name in ("ann", "bo", "cy")]
    for member in members:
        quests.start(member, "photo_theme", at)
        quests.record(member, "post", at, photos=1)
        quests.record(member, "post", at + timedelta(minutes=5), photos=1)

    states = [quests.progress(m, "photo_theme", at) for m in members]
    assert [s.state if s else None for s in states] == [
        QuestState.COMPLETED,
        QuestState.COMPLETED,
        QuestState.FULL,
    ]
    with pytest.raises(QuestFull):
        quests.claim(members[2], "photo_theme", at + timedelta(hours=1))


def test_the_next_month_opens_a_new_instance_with_its_own_places(quests: Quests) -> None:
    january, february = local(2026, 1, 10, 9), local(2026, 2, 10, 9)
    members = [quests.join(name) for name in ("ann", "bo", "cy")]
    for member in members[:2]:
        quests.start(member, "photo_theme", january)
        quests.record(member, "post", january, photos=1)
        quests.record(member, "post", january + timedelta(minutes=5), photos=1)

    quests.start(members[2], "photo_theme", february)
    quests.record(members[2], "post", february, photos=1)
    quests.record(members[2], "post", february + timedelta(minutes=5), photos=1)

    progress = quests.progress(members[2], "photo_theme", february)
    assert progress is not None
    assert progress.state is QuestState.COMPLETED


def test_a_quest_needing_a_level_is_not_started_below_it(store: StoreFactory) -> None:
    gated = economy_from(
        """
[rules.post]
kind = "post"
points = 5

[[quests]]
id = "veterans"
opt_in = true
eligibility = { min_level = "regular" }
[[quests.steps]]
kind = "post"
count = 1
[quests.reward]
points = 5
""",
        levels="""
[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "regular"
threshold = 10
""",
    )
    world = Quests(store, gated)
    alice = world.join("alice")
    at = local(2026, 1, 10, 9)

    with pytest.raises(NotEligible):
        world.start(alice, "veterans", at)
    world.record(alice, "post", at)
    world.record(alice, "post", at + timedelta(minutes=1))
    assert world.start(alice, "veterans", at + timedelta(minutes=2)).state is QuestState.ACTIVE


def test_a_start_key_reused_for_another_quest_is_refused(quests: Quests) -> None:
    alice = quests.join("alice")
    at = local(2026, 1, 10, 9)
    quests.start(alice, "photo_theme", at, key="start")

    with pytest.raises(IdempotencyKeyReused):
        quests.start(alice, "daily_warmup", at, key="start")


def test_quest_points_count_toward_levels(quests: Quests) -> None:
    alice = quests.join("alice")
    at = local(2026, 1, 5, 9)

    quests.record(alice, "post", at)  # 5 points, and step 1 of first_steps
    result = quests.record(alice, "check_in", at + timedelta(hours=1))  # 2 + warm-up step + 20

    member = services.get_member(alice, quests.store())
    assert member.qualifying_points == 5 + 2 + 20
    assert result.points == 2
    history = services.quest_history(alice, quests.store())
    assert [(p.quest_id, p.state) for p in history] == [
        ("daily_warmup", QuestState.ACTIVE),
        ("first_steps", QuestState.COMPLETED),
    ]
