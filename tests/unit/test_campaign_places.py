"""A campaign's applications and places as specifications: the window in the economy's
zone, withdrawal, one application each, selection once, confirmation, and the waitlist
taking declined and lapsed places in order, each to the first whose level and KOC tier
quotas have room."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from domain.campaign_places import ApplicationState, CampaignRun, CampaignState, Window
from domain.campaigns import Applicant as Record
from domain.campaigns import SelectionMethod, select
from domain.errors import AlreadyExists, InvalidInput, InvalidTransition, NotEligible

# 09:00 to 18:00 in Shanghai (UTC+8) is 01:00 to 10:00 UTC.
WINDOW = Window("2026-12-01T09:00", "2026-12-01T18:00", "Asia/Shanghai")
OPEN_AT = datetime(2026, 12, 1, 2, tzinfo=UTC)
CLOSED_AT = datetime(2026, 12, 1, 10, tzinfo=UTC)


def campaign(places: int = 2) -> CampaignRun:
    return CampaignRun(id="trial", places=places, window=WINDOW, confirm_days=3)


def selected(run: CampaignRun, applicants: int) -> CampaignRun:
    for i in range(applicants):
        run.apply(f"m{i}", "", OPEN_AT + timedelta(minutes=i))
    pool = [Record(a.member_id, a.applied_at) for a in run.pool()]
    run.record_selection(select(SelectionMethod.FIRST_COME, pool, run.places), CLOSED_AT)
    return run


def test_the_window_is_read_in_the_economys_time_zone() -> None:
    assert not WINDOW.is_open(datetime(2026, 12, 1, 0, 59, tzinfo=UTC))
    assert WINDOW.is_open(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    assert WINDOW.is_open(datetime(2026, 12, 1, 9, 59, tzinfo=UTC))
    assert not WINDOW.is_open(CLOSED_AT)


def test_a_window_that_closes_before_it_opens_is_invalid() -> None:
    bad = Window("2026-12-02T00:00", "2026-12-01T00:00", "UTC")
    with pytest.raises(InvalidInput):
        bad.bounds()


@pytest.mark.parametrize("text", ["tomorrow", "2026-12-01T09:00+08:00"])
def test_a_window_time_must_be_a_local_date_and_time(text: str) -> None:
    with pytest.raises(InvalidInput):
        Window(text, "2026-12-09T00:00", "UTC").bounds()


def test_applying_twice_is_refused() -> None:
    run = campaign()
    run.apply("m", "pick me", OPEN_AT)
    with pytest.raises(AlreadyExists):
        run.apply("m", "pick me", OPEN_AT)


def test_applying_after_the_window_is_refused() -> None:
    run = campaign()
    with pytest.raises(InvalidTransition):
        run.apply("m", "", CLOSED_AT)
    assert run.state(CLOSED_AT) is CampaignState.SELECTING


def test_a_withdrawn_application_is_left_out_of_the_selection() -> None:
    run = campaign()
    run.apply("a", "", OPEN_AT)
    run.apply("b", "", OPEN_AT)
    run.withdraw("a", OPEN_AT)
    assert [a.member_id for a in run.pool()] == ["b"]


def test_withdrawing_after_selection_is_refused() -> None:
    run = selected(campaign(), 3)
    with pytest.raises(InvalidTransition):
        run.withdraw("m0", CLOSED_AT)


def test_withdrawing_without_applying_is_refused() -> None:
    with pytest.raises(InvalidInput):
        campaign().withdraw("stranger", OPEN_AT)


def test_selection_runs_once() -> None:
    run = selected(campaign(), 3)
    assert run.state(CLOSED_AT) is CampaignState.RUNNING
    again = select(SelectionMethod.FIRST_COME, [Record("m0", OPEN_AT)], 1)
    with pytest.raises(InvalidTransition):
        run.record_selection(again, CLOSED_AT)


def test_selection_before_the_window_closes_is_refused() -> None:
    run = campaign()
    run.apply("a", "", OPEN_AT)
    record = select(SelectionMethod.FIRST_COME, [Record("a", OPEN_AT)], 1)
    with pytest.raises(InvalidTransition):
        run.record_selection(record, OPEN_AT)


def test_a_declined_place_goes_to_the_first_on_the_waitlist() -> None:
    run = selected(campaign(places=2), 5)
    assert run.decline("m0", CLOSED_AT) == ["m2"]
    assert run.applications["m2"].state is ApplicationState.OFFERED
    assert run.decline("m2", CLOSED_AT) == ["m3"]
    assert run.places_left() == 0


def test_a_missed_confirmation_lapses_and_the_next_is_offered() -> None:
    run = selected(campaign(places=2), 4)
    run.confirm("m1", CLOSED_AT + timedelta(days=1))
    with pytest.raises(NotEligible):  # past the deadline, before the review lapses it
        run.confirm("m0", CLOSED_AT + timedelta(days=3))
    offered = run.lapse_due(CLOSED_AT + timedelta(days=3))
    assert offered == ["m2"]
    assert run.applications["m0"].state is ApplicationState.LAPSED
    assert run.applications["m1"].state is ApplicationState.CONFIRMED
    with pytest.raises(InvalidTransition):
        run.confirm("m0", CLOSED_AT + timedelta(days=3))


def test_a_waitlisted_member_cannot_confirm_until_offered() -> None:
    run = selected(campaign(places=1), 2)
    with pytest.raises(InvalidTransition):
        run.confirm("m1", CLOSED_AT)


def test_confirming_twice_is_refused_and_places_are_never_exceeded() -> None:
    run = selected(campaign(places=2), 6)
    run.confirm("m0", CLOSED_AT)
    with pytest.raises(InvalidTransition):
        run.confirm("m0", CLOSED_AT)
    run.decline("m1", CLOSED_AT)
    run.confirm("m2", CLOSED_AT)
    assert run.taken() == 2
    assert run.lapse_due(CLOSED_AT + timedelta(days=10)) == []


def test_an_exhausted_waitlist_leaves_the_place_free() -> None:
    run = selected(campaign(places=2), 2)
    assert run.decline("m0", CLOSED_AT) == []
    assert run.places_left() == 1


def test_a_campaign_is_upcoming_until_its_window_opens_in_the_economys_zone() -> None:
    run = CampaignRun("c", 2, Window("2026-12-01T09:00", "2026-12-08T09:00", "Asia/Shanghai"), 3)
    opens = datetime(2026, 12, 1, 1, tzinfo=UTC)  # 09:00 in Shanghai
    assert run.state(opens - timedelta(seconds=1)) is CampaignState.UPCOMING
    assert run.state(opens) is CampaignState.OPEN


def test_an_applicant_no_longer_eligible_is_left_out_of_the_draw_before_it_runs() -> None:
    run = campaign()
    run.apply("a", "", OPEN_AT)
    run.apply("b", "", OPEN_AT)
    run.exclude("a")
    assert [a.member_id for a in run.pool()] == ["b"]
    assert run.applications["a"].state is ApplicationState.INELIGIBLE
    with pytest.raises(InvalidTransition):
        run.exclude("a")
    after = selected(campaign(), 2)
    with pytest.raises(InvalidTransition):
        after.exclude("m0")


Person = tuple[str, str, str | None]  # member, level, KOC tier


def quota_run(
    places: int,
    people: Sequence[Person],
    level_quotas: dict[str, int] | None = None,
    koc_quotas: dict[str, int] | None = None,
) -> CampaignRun:
    """A first-come campaign selected from `people` in order, under the quotas."""
    run = CampaignRun("trial", places, WINDOW, 3, level_quotas=level_quotas or {},
                      koc_quotas=koc_quotas or {})  # fmt: skip
    for i, (member, _, _) in enumerate(people):
        run.apply(member, "", OPEN_AT + timedelta(minutes=i))
    applied = {a.member_id: a.applied_at for a in run.pool()}
    pool = [Record(m, applied[m], level_id=lv, koc_tier=t) for m, lv, t in people]
    record = select(SelectionMethod.FIRST_COME, pool, places, level_quotas=run.level_quotas,
                    koc_quotas=run.koc_quotas)  # fmt: skip
    run.record_selection(record, CLOSED_AT, pool)
    return run


REGULARS_AND_LEGENDS: list[Person] = [
    ("r1", "regular", None),
    ("r2", "regular", None),
    ("l1", "legend", None),
    ("r3", "regular", None),
    ("l2", "legend", None),
]


def test_a_declined_place_skips_a_waitlisted_member_whose_level_quota_is_full() -> None:
    run = quota_run(3, REGULARS_AND_LEGENDS, level_quotas={"regular": 2})
    assert run.selection is not None
    assert (run.selection.chosen, run.selection.waitlist) == (("r1", "r2", "l1"), ("r3", "l2"))

    assert run.decline("l1", CLOSED_AT) == ["l2"]  # r3 would be a third regular

    assert run.applications["r3"].state is ApplicationState.WAITLISTED
    assert run.places_left() == 0


def test_a_skipped_member_gets_a_later_place_of_their_own_group() -> None:
    run = quota_run(3, REGULARS_AND_LEGENDS, level_quotas={"regular": 2})
    run.decline("l1", CLOSED_AT)

    assert run.decline("r1", CLOSED_AT) == ["r3"]
    assert run.applications["r3"].state is ApplicationState.OFFERED


def test_a_lapsed_place_skips_a_waitlisted_member_whose_quota_is_full() -> None:
    run = quota_run(3, REGULARS_AND_LEGENDS, level_quotas={"regular": 2})
    run.confirm("r1", CLOSED_AT)
    run.confirm("r2", CLOSED_AT)

    assert run.lapse_due(CLOSED_AT + timedelta(days=3)) == ["l2"]
    assert run.applications["l1"].state is ApplicationState.LAPSED
    assert run.applications["r3"].state is ApplicationState.WAITLISTED


def test_a_place_nobody_on_the_waitlist_fits_stays_free() -> None:
    people: list[Person] = [
        ("r1", "regular", None),
        ("r2", "regular", None),
        ("l1", "legend", None),
        ("r3", "regular", None),
        ("r4", "regular", None),
    ]
    run = quota_run(3, people, level_quotas={"regular": 2})

    assert run.decline("l1", CLOSED_AT) == []
    assert run.places_left() == 1
    assert run.applications["r3"].state is ApplicationState.WAITLISTED
    assert run.decline("r2", CLOSED_AT) == ["r3"]  # one regular place back, not two
    assert run.places_left() == 1
    assert run.applications["r4"].state is ApplicationState.WAITLISTED


def test_a_pending_offer_counts_against_its_quota() -> None:
    people: list[Person] = [
        ("r1", "regular", None),
        ("l1", "legend", None),
        ("l2", "legend", None),
        ("r2", "regular", None),
        ("r3", "regular", None),
    ]
    run = quota_run(3, people, level_quotas={"regular": 2})
    assert run.decline("l1", CLOSED_AT) == ["r2"]

    assert run.decline("l2", CLOSED_AT) == []  # r1 holds, r2 is offered: regular is full
    assert run.applications["r3"].state is ApplicationState.WAITLISTED


def test_the_koc_tier_quota_is_kept_on_a_freed_place() -> None:
    people: list[Person] = [
        ("a", "regular", "gold"),
        ("b", "legend", None),
        ("c", "legend", "gold"),
        ("d", "legend", "silver"),
    ]
    run = quota_run(2, people, koc_quotas={"gold": 1})

    assert run.decline("b", CLOSED_AT) == ["d"]  # c would be a second gold
    assert run.applications["c"].state is ApplicationState.WAITLISTED


def test_places_left_free_are_offered_once_a_holder_frees_both_quotas() -> None:
    people: list[Person] = [
        ("a", "regular", "gold"),
        ("b", "legend", None),
        ("c", "regular", None),
        ("d", "legend", "gold"),
    ]
    run = quota_run(2, people, level_quotas={"regular": 1}, koc_quotas={"gold": 1})

    assert run.decline("b", CLOSED_AT) == []  # c: regular is full; d: gold is full
    assert run.decline("a", CLOSED_AT) == ["c", "d"]  # both places, in waitlist order
    assert run.places_left() == 0
