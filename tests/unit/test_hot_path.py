"""The lean activity pipeline (issue 11): what it derives once from the economy, and keeps
per local day, decides exactly what the full reading would. Which contests an activity
kind can move, the season a moment falls in, the reactors an activity goes through and
the quests it can advance; the per-activity value objects stay immutable values with the
same fields."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import datetime, timedelta

import pytest

from domain import earning, seasons
from domain import quests as dq
from domain.commands import RecordActivity
from domain.earning import Plan
from domain.economy import Economy, Seasons, parse_economy
from domain.ledger import debt_account
from domain.model import ActivityRecord, AwardLine, Evaluation, Member
from domain.services import pipeline
from domain.services.activities import ActivityResult
from tests.unit.builders import SHANGHAI, UTC, World, economy_from, local

CONTESTS = """
[rules.post]
kind = "post"
points = 5

[rules.photo_post]
kind = "post"
points = 8
group = "photo"

[rules.answer]
kind = "answer"
points = 3

[rules.share]
kind = "share"
points = 1

[[contests]]
id = "posts_counted"
title = "Most posts"
metric = "count"
kind = "post"
period = "weekly"
starts = 2026-01-05T00:00:00+08:00
prizes = [{ ranks = [1, 1], points = 5 }]

[[contests]]
id = "answer_points"
title = "Most answer points"
metric = "points"
rules = ["answer", "photo_post"]
period = "weekly"
starts = 2026-01-05T00:00:00+08:00
prizes = [{ ranks = [1, 1], points = 5 }]
"""


def reference_concerns(economy: Economy, metric: str, contest_kind: str | None,
                       rules: tuple[str, ...], kind: str) -> bool:  # fmt: skip
    """Whether a contest can move on an activity of `kind`, read from its definition."""
    if metric == "count":
        return kind == contest_kind
    if metric == "points":
        return any((r := economy.rule(i)) is not None and r.kind == kind for i in rules)
    koc = economy.koc
    return koc is not None and (kind in koc.note_kinds or kind == koc.metrics_kind)


@pytest.mark.parametrize("which", ["contests", "sample"])
def test_each_kind_lists_exactly_the_contests_its_activities_can_move(
    which: str, koc_economy: Economy
) -> None:
    economy = economy_from(CONTESTS) if which == "contests" else koc_economy
    assert economy.contests, "the economy under test has contests"
    kinds = {*economy.activity_kinds, "unknown_kind"}

    for kind in sorted(kinds):
        expected = tuple(
            c
            for c in economy.contests
            if reference_concerns(economy, c.metric, c.kind, c.rules, kind)
        )
        assert economy.contests_by_kind.get(kind, ()) == expected, kind


def test_a_points_contest_concerns_the_kinds_of_its_rules_only() -> None:
    economy = economy_from(CONTESTS)

    assert [c.id for c in economy.contests_by_kind["post"]] == ["posts_counted", "answer_points"]
    assert [c.id for c in economy.contests_by_kind["answer"]] == ["answer_points"]
    assert "share" not in economy.contests_by_kind


def test_an_activity_no_contest_counts_leaves_the_scores_alone() -> None:
    world = World(economy_from(CONTESTS))
    alice = world.join("alice")
    monday = local(2026, 3, 2, 10)

    world.record(alice, "share", monday)
    world.record(alice, "answer", monday + timedelta(hours=1))

    with world.store() as uow:
        week = monday.date().toordinal()
        assert uow.contests.score("posts_counted", week, alice) is None
        answered = uow.contests.score("answer_points", week, alice)
    assert answered is not None
    assert answered.value == 3


CADENCE = Seasons(every="month", starts=datetime(2026, 1, 1, tzinfo=SHANGHAI))


def test_the_season_of_a_moment_is_its_local_month_on_either_side_of_midnight() -> None:
    last_of_january = datetime(2026, 1, 31, 23, 59, 59, tzinfo=SHANGHAI)
    first_of_february = datetime(2026, 2, 1, tzinfo=SHANGHAI)

    found = [seasons.season_at(CADENCE, SHANGHAI, at) for at in
             (last_of_january, first_of_february, last_of_january, first_of_february)]  # fmt: skip

    assert [s.id if s else None for s in found] == ["2026-01", "2026-02", "2026-01", "2026-02"]


def test_the_same_day_asked_of_other_seasons_or_another_zone_gets_their_own_answer() -> None:
    quarters = Seasons(every="quarter", starts=datetime(2026, 1, 1, tzinfo=SHANGHAI))
    at = datetime(2026, 5, 31, 20, tzinfo=UTC)  # June 1st, 04:00 in Shanghai

    in_shanghai = seasons.season_at(CADENCE, SHANGHAI, at)
    in_utc = seasons.season_at(CADENCE, UTC, at)
    by_quarter = seasons.season_at(quarters, SHANGHAI, at)
    again = seasons.season_at(CADENCE, SHANGHAI, at)

    assert in_shanghai is not None
    assert in_utc is not None
    assert by_quarter is not None
    assert (in_shanghai.id, in_utc.id, by_quarter.id) == ("2026-06", "2026-05", "2026-q2")
    assert again == in_shanghai


def test_before_the_first_season_no_season_holds_the_moment() -> None:
    before = datetime(2025, 12, 31, 23, tzinfo=SHANGHAI)

    assert seasons.season_at(CADENCE, SHANGHAI, before) is None
    assert seasons.season_at(CADENCE, SHANGHAI, before) is None  # asked again, kept


def test_the_reactors_of_a_kind_keep_the_pipeline_order(koc_economy: Economy) -> None:
    for kind in koc_economy.activity_kinds:
        chosen = pipeline.reactors_for(koc_economy, kind)
        order = [pipeline.REACTORS.index(r) for r in chosen]

        assert order == sorted(order), kind
        assert pipeline.levels_reactor in chosen
        assert pipeline.honors_reactor in chosen
        assert (pipeline.quests_reactor in chosen) == (kind in koc_economy.quests_by_kind)
        assert (pipeline.contests_reactor in chosen) == (kind in koc_economy.contests_by_kind)


def test_an_economy_without_programs_runs_only_the_levels_and_honors_reactors() -> None:
    plain = economy_from('[rules.post]\nkind = "post"\npoints = 5\n')

    assert pipeline.reactors_for(plain, "post") == (
        pipeline.levels_reactor,
        pipeline.honors_reactor,
    )


def test_the_reactors_are_chosen_for_each_economy_on_its_own() -> None:
    plain = economy_from('[rules.post]\nkind = "post"\npoints = 5\n')
    seasonal = economy_from(
        '[rules.post]\nkind = "post"\npoints = 5\n'
        '[seasons]\nevery = "month"\nstarts = 2026-01-01T00:00:00+08:00\n'
    )

    assert pipeline.seasons_reactor not in pipeline.reactors_for(plain, "post")
    assert pipeline.seasons_reactor in pipeline.reactors_for(seasonal, "post")


def test_a_reactor_skipped_for_a_kind_would_have_done_nothing(koc_economy: Economy) -> None:
    """Each reactor's own early exits agree with its test: a reactor left out for a kind
    returns no events and moves nothing when called anyway."""
    world = World(koc_economy)
    alice = world.join("alice")
    at = local(2026, 3, 2, 10)
    cmd = world.activity(alice, "check_in", at)
    result = world.record(alice, "check_in", at)
    skipped = [
        r for r in pipeline.REACTORS if r not in pipeline.reactors_for(koc_economy, "check_in")
    ]
    assert skipped, "check_in skips some reactors in the sample economy"

    with world.store() as uow:
        member = uow.members.get_for_update(alice)
        assert member is not None
        before = (member.qualifying_points, dict(member.progress.kind_counts))
        plan = _plan_of(koc_economy, member, cmd)
        recorded = pipeline.Recorded(member, cmd, result.record.id, plan, 0)
        for reactor in skipped:
            assert reactor(uow, koc_economy, recorded) == [], reactor.__name__
        assert (member.qualifying_points, dict(member.progress.kind_counts)) == before


def _plan_of(economy: Economy, member: Member, cmd: RecordActivity) -> Plan:
    """The rules' judgement of `cmd`, no subject rewarded before."""
    return earning.evaluate(
        economy, member.progress, cmd.kind, cmd.occurred_at, cmd.subject_id, cmd.attributes,
        lambda rule, subject: False, at=cmd.at,
    )  # fmt: skip


def test_a_quest_whose_steps_the_activity_cannot_match_is_not_advanced(
    koc_economy: Economy,
) -> None:
    weekly = koc_economy.quest("weekly_creator")
    assert weekly is not None

    assert dq.may_advance(weekly, "post", {"photos": 2})
    assert not dq.may_advance(weekly, "post", {"photos": 0})
    assert not dq.may_advance(weekly, "post", {})
    assert not dq.may_advance(weekly, "check_in", {})


def test_a_post_without_photos_starts_no_photo_quest(koc_world: World) -> None:
    alice = koc_world.join("alice")
    at = local(2026, 3, 2, 10)

    koc_world.record(alice, "post", at, "p1", photos=0)
    koc_world.record(alice, "post", at + timedelta(hours=1), "p2", photos=1)

    with koc_world.store() as uow:
        week = at.date().toordinal()
        progress = uow.quests.get(alice, "weekly_creator", week)
    assert progress is not None
    assert progress.done == (1,)


def test_pending_days_are_the_longest_of_the_rules_that_paid() -> None:
    economy = economy_from(
        '[rules.buy]\nkind = "purchase"\npoints = 8\npending_days = 14\n'
        '[rules.buy_extra]\nkind = "purchase"\npoints = 2\npending_days = 7\ngroup = "c"\n'
        '[rules.buy_bonus]\nkind = "purchase"\npoints = 5\npending_days = 30\ngroup = "b"\n',
        daily_cap=10,
    )
    world = World(economy)
    alice = world.join("alice")
    cmd = world.activity(alice, "purchase", local(2026, 3, 2, 10), "o1")

    with world.store() as uow:
        member = uow.members.get(alice)
        assert member is not None
        plan = _plan_of(economy, member, cmd)

    assert [(f.rule.id, f.points) for f in plan.fires] == [
        ("buy", 8),
        ("buy_extra", 2),
        ("buy_bonus", 0),  # clipped to nothing by the daily cap
    ]
    assert plan.pending_days == 14  # the rule that paid nothing does not make points wait


def test_the_activity_values_are_immutable_and_keep_their_fields() -> None:
    line = AwardLine("post", 5, 0, 5, "awarded")
    record = ActivityRecord(
        id="act_1", member_id="mem_1", kind="post", occurred_at=local(2026, 3, 2),
        subject_id=None, attributes={}, points=5, lines=(line,), transfer_id="trf_1",
    )  # fmt: skip
    result = ActivityResult(record, ())

    assert line.streak_length == 0
    assert Evaluation((line,), ()).points == 5
    assert (result.points, result.replayed) == (5, False)
    assert ActivityResult(record=record, events=(), replayed=True).replayed
    with pytest.raises(AttributeError):
        record.points = 6  # type: ignore[misc]
    with pytest.raises((AttributeError, FrozenInstanceError)):
        line.points = 6  # type: ignore[misc]


def test_a_members_debt_account_is_the_same_value_however_often_it_is_built() -> None:
    first, again = debt_account("mem_1"), debt_account("mem_1")

    assert first == again
    assert first is again
    assert debt_account("mem_2") != first


def test_the_economy_parsed_twice_gets_its_own_reactor_choice() -> None:
    text = '[economy]\nid = "t"\ntimezone = "UTC"\n[rules.post]\nkind = "post"\npoints = 1\n'
    text += '[[levels]]\nid = "newcomer"\nthreshold = 0\n'
    one, two = parse_economy(text, "a.toml"), parse_economy(text, "b.toml")

    assert pipeline.reactors_for(one, "post") == pipeline.reactors_for(two, "post")
