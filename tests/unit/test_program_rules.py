"""The pure rules under tasks, contests and seasons: submission bounds, review inputs,
expiry, contest windows clipped to the contest's, and the cadences' names."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from domain import contests, seasons, tasks
from domain.economy import Contest, ContestPrize, Season, Seasons, Task
from domain.errors import InvalidInput, InvalidTransition
from domain.tasks import Decision, TaskAssignment, TaskState
from tests.unit.builders import local

SHANGHAI = ZoneInfo("Asia/Shanghai")
TASK = Task("video", "Video", "", 100, (("good", 20),), True, 1, 7)
OFFERED_AT = local(2026, 3, 2, 10)


def assignment(state: TaskState = TaskState.SUBMITTED) -> TaskAssignment:
    submitted = state is TaskState.SUBMITTED
    return TaskAssignment(
        "tsk_1", "video", "mem_1", state, OFFERED_AT, "op", OFFERED_AT + timedelta(days=7),
        submissions=1 if submitted else 0, submitted_at=OFFERED_AT if submitted else None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("url", "note", "field"),
    [("  ", "", "submission.url"), ("u" * 2001, "", "submission.url"),
     ("https://x", "n" * 2001, "submission.note")],
)  # fmt: skip
def test_a_submission_without_a_link_or_too_long_is_refused(
    url: str, note: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        tasks.check_submission(url, note)

    assert refused.value.field == field


def test_a_review_reason_beyond_its_limit_or_a_tier_on_a_rejection_is_refused() -> None:
    with pytest.raises(InvalidInput) as long_reason:
        tasks.review(TASK, assignment(), Decision.REJECT, None, "r" * 501, "op", OFFERED_AT)
    with pytest.raises(InvalidInput) as tier_on_reject:
        tasks.review(TASK, assignment(), Decision.REJECT, "good", "blurry", "op", OFFERED_AT)

    assert (long_reason.value.field, tier_on_reject.value.field) == ("reason", "qualityTier")


def test_work_waiting_for_review_or_approved_never_expires() -> None:
    late = OFFERED_AT + timedelta(days=30)

    for state in (TaskState.SUBMITTED, TaskState.APPROVED, TaskState.DECLINED):
        with pytest.raises(InvalidTransition):
            tasks.expire(TASK, assignment(state), late)


def test_a_final_rejection_does_not_expire_but_a_resubmittable_one_does() -> None:
    late = OFFERED_AT + timedelta(days=30)
    final = assignment(TaskState.REJECTED)
    final.submissions = 2
    open_again = assignment(TaskState.REJECTED)
    open_again.submissions = 1

    assert not tasks.can_expire(TASK, final, late)
    assert tasks.can_expire(TASK, open_again, late)
    assert not tasks.can_expire(None, open_again, late)  # a task the economy dropped


def test_a_weekly_contest_period_is_clipped_to_the_contest_window() -> None:
    contest = Contest(
        "sprint", "Sprint", "", "weekly", "count", (ContestPrize(1, 1, 10),), kind="post",
        starts=local(2026, 3, 4, 0), ends=local(2026, 3, 6, 0),
    )  # fmt: skip
    monday = local(2026, 3, 2, 0).date().toordinal()

    start, end = contests.window(contest, monday, SHANGHAI)

    assert (start, end) == (local(2026, 3, 4, 0), local(2026, 3, 6, 0))
    assert not contests.is_open(contest, local(2026, 3, 6, 0))


def test_monthly_and_yearly_cadences_and_offset_quarters_are_named() -> None:
    months = Seasons("month", local(2026, 11, 1, 0))
    years = Seasons("year", local(2026, 1, 1, 0))
    offset = Seasons("quarter", local(2026, 2, 1, 0))
    at = local(2027, 1, 15, 9)

    assert [s.id for s in seasons.started_by(months, SHANGHAI, at)] == ["2026-11", "2026-12",
                                                                        "2027-01"]  # fmt: skip
    assert [s.title for s in seasons.started_by(years, SHANGHAI, at)] == ["2026", "2027"]
    first = seasons.started_by(offset, SHANGHAI, at)[0]
    assert (first.id, first.title) == ("2026-02-quarter", "Quarter from February 2026")
    assert first.ends == local(2026, 5, 1, 0)


def test_named_seasons_are_found_by_id_once_started() -> None:
    launch = Season("launch", "Launch", local(2026, 1, 1, 0), local(2026, 3, 1, 0))
    plan = Seasons(periods=(launch,))

    assert seasons.by_id(plan, SHANGHAI, "launch", local(2026, 2, 1, 0)) == launch
    assert seasons.by_id(plan, SHANGHAI, "launch", local(2025, 12, 1, 0)) is None
    assert seasons.season_at(plan, SHANGHAI, local(2026, 3, 1, 0)) is None
