"""Campaigns on every store: windows in the economy's time zone, eligibility, recent
winners excluded, idempotent applications, withdrawal, a lottery selected once and
verifiable from its stored audit record, confirmation paying once through the ledger
(a CAMPAIGN source) with the assigned task and the mall reward, waitlist promotion after
a decline and after a missed confirmation, and the abuse paths (applying twice, after
the window, confirming someone else's place, withdrawing after selection, re-running
the selection). A freed place keeps the level quota: it goes to the first waitlisted
whose group has room. On PostgreSQL: places, quotas and the single selection under
concurrency."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import pytest

from domain import services
from domain.campaign_places import ApplicationState, CampaignState
from domain.campaigns import Selection
from domain.commands import (
    AnswerTask,
    ApplyToCampaign,
    ConfirmParticipation,
    DeclineParticipation,
    LockLevel,
    OfferTask,
    OpenCampaign,
    RegisterMember,
    ReviewTask,
    SelectCampaignParticipants,
    SubmitTask,
    WithdrawApplication,
)
from domain.economy import Economy
from domain.errors import (
    AlreadyExists,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    NotFound,
)
from domain.ledger import SourceKind, available_account
from domain.model import ApplicationReceived, PlaceOffered, SelectedForCampaign, Waitlisted
from domain.services import campaigns
from domain.tasks import TaskState
from persistence.sql import SqlStore
from tests.integration.conftest import StoreFactory
from tests.integration.test_concurrency import in_parallel
from tests.unit.builders import economy_from, local

LEVELS = """
[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "regular"
threshold = 20

[[levels]]
id = "star"
threshold = 100
"""
ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 10

[reward_tiers.merch]
title = "Merch"

[rewards.organiser]
title = "Travel organiser"
tier = "merch"
price = 500
stock = 50
fulfilment = "shipping"

[[tasks]]
id = "review_note"
guideline = "Review the product with photos."
points = 300
due_days = 14

[[campaigns]]
id = "trial"
description = "Try the organiser."
opens = 2026-03-02T10:00:00
closes = 2026-03-09T10:00:00
places = 2
selection = "lottery"
confirm_days = 2
eligibility = { min_level = "regular", not_selected_days = 30 }
gives = { points = 50, reward = "organiser" }
task = "review_note"

[[campaigns]]
id = "second"
description = "Another trial, the week after."
opens = 2026-03-10T10:00:00
closes = 2026-03-12T10:00:00
places = 5
selection = "first_come"
eligibility = { not_selected_days = 30 }

[[campaigns]]
id = "ranked"
description = "The most reliable reviewers."
opens = 2026-03-02T10:00:00
closes = 2026-03-09T10:00:00
places = 2
selection = "ranked"
eligibility = { not_selected_days = 30 }
weights = { task_approval_percent = 1, level_rank = 100 }
quotas = { levels = { star = 1 } }

[[campaigns]]
id = "picked"
description = "The team picks."
opens = 2026-03-02T10:00:00
closes = 2026-03-09T10:00:00
places = 1
selection = "operator"
""",
    levels=LEVELS,
)
OPENS = local(2026, 3, 2, 10)  # Asia/Shanghai: 02:00 UTC
CLOSES = local(2026, 3, 9, 10)
SEED = "a-seed-the-edge-drew-with-secrets"
OP = "op:ana"


class Campaigns:
    """The real services on one store, with short verbs."""

    def __init__(self, store: StoreFactory, economy: Economy = ECONOMY) -> None:
        self.store = store
        self.economy = economy
        self._keys = itertools.count(1)
        self._seeds = itertools.count(1)
        services.sync_rewards(store(), self.economy)

    def join(self, handle: str, level: str | None = "regular") -> str:
        member = services.register_member(RegisterMember(handle, handle, OPENS), self.store(),
                                          self.economy)  # fmt: skip
        if level is not None:
            cmd = LockLevel(member.id, level, "test setup", OP, OPENS)
            services.lock_level(cmd, self.store(), self.economy)
        return member.id

    def open(self, campaign: str = "trial", seed: str = SEED) -> str | None:
        cmd = OpenCampaign(campaign, seed, OPENS)
        return campaigns.open_campaign(cmd, self.store(), self.economy).commitment

    def apply(
        self, member: str, campaign: str = "trial", at: datetime = OPENS, key: str | None = None
    ) -> ApplicationState:
        cmd = ApplyToCampaign(member, campaign, "I travel a lot", key or f"k{next(self._keys)}",
                              at)  # fmt: skip
        return campaigns.apply_to_campaign(cmd, self.store(), self.economy).state

    def withdraw(self, member: str, campaign: str = "trial", at: datetime = OPENS) -> None:
        cmd = WithdrawApplication(member, campaign, at)
        campaigns.withdraw_application(cmd, self.store(), self.economy)

    def select(
        self, campaign: str = "trial", at: datetime = CLOSES, members: tuple[str, ...] = ()
    ) -> Selection:
        cmd = SelectCampaignParticipants(campaign, OP, at, members)
        return campaigns.select_campaign_participants(cmd, self.store(), self.economy)

    def confirm(self, member: str, campaign: str = "trial", at: datetime = CLOSES) -> None:
        cmd = ConfirmParticipation(member, campaign, at)
        campaigns.confirm_participation(cmd, self.store(), self.economy)

    def decline(self, member: str, campaign: str = "trial", at: datetime = CLOSES) -> None:
        cmd = DeclineParticipation(member, campaign, at)
        campaigns.decline_participation(cmd, self.store(), self.economy)

    def review(self, at: datetime) -> campaigns.CampaignReview:
        def seed() -> str:
            return f"review-seed-number-{next(self._seeds):04d}"

        return campaigns.review_campaigns(self.store, self.economy, at, seed)

    def state(self, member: str, campaign: str = "trial") -> ApplicationState | None:
        found = campaigns.application_of(campaign, member, self.store(), self.economy)
        return found.state if found is not None else None

    def view(self, campaign: str = "trial", at: datetime = CLOSES) -> campaigns.CampaignView:
        return campaigns.campaign_view(campaign, self.store(), self.economy, at)

    def balance(self, member: str) -> int:
        with self.store() as uow:
            return uow.ledger.balance(available_account(member))

    def crowd(self, n: int) -> list[str]:
        members = [self.join(f"m{i:02d}") for i in range(n)]
        self.open()
        for member in members:
            self.apply(member)
        return members


@pytest.fixture
def world(store: StoreFactory) -> Campaigns:
    return Campaigns(store)


def test_opening_publishes_the_seeds_sha256_and_keeps_the_first_seed(world: Campaigns) -> None:
    first = world.open()
    again = world.open(seed="another-seed-entirely-0000")

    assert first == hashlib.sha256(SEED.encode()).hexdigest()
    assert again == first
    assert world.open("second") is None  # only a lottery commits to a seed


def test_the_window_is_read_in_the_economys_time_zone(world: Campaigns) -> None:
    early, on_time, late, last = (world.join(h) for h in ("early", "ontime", "late", "last"))
    world.open()

    with pytest.raises(InvalidTransition, match="not open yet"):
        world.apply(early, at=OPENS - timedelta(minutes=1))  # 01:59 UTC is 09:59 in Shanghai
    assert world.apply(on_time, at=datetime.fromisoformat("2026-03-02T02:00+00:00")) is (
        ApplicationState.APPLIED
    )
    assert world.apply(last, at=CLOSES - timedelta(seconds=1)) is ApplicationState.APPLIED
    with pytest.raises(InvalidTransition, match="selecting"):
        world.apply(late, at=CLOSES)  # the window closes exclusive


def test_applying_is_idempotent_and_once_per_member(world: Campaigns) -> None:
    alice = world.join("alice")
    world.open()
    with world.store() as uow:
        before = len(uow.events)

    world.apply(alice, key="apply-1")
    assert world.apply(alice, key="apply-1") is ApplicationState.APPLIED  # a replay

    with pytest.raises(AlreadyExists):
        world.apply(alice, key="apply-2")
    cmd = ApplyToCampaign(alice, "trial", "other words", "apply-1", OPENS)
    with pytest.raises(IdempotencyKeyReused):
        campaigns.apply_to_campaign(cmd, world.store(), ECONOMY)
    assert world.view(at=OPENS).applications == 1
    assert before == 0


def test_the_application_event_is_emitted(store: StoreFactory) -> None:
    world = Campaigns(store)
    alice = world.join("alice")
    world.open()
    uow = store()
    cmd = ApplyToCampaign(alice, "trial", "hello", "k", OPENS)
    campaigns.apply_to_campaign(cmd, uow, ECONOMY)
    assert ApplicationReceived(alice, "trial", OPENS) in uow.events


def test_eligibility_needs_the_level(world: Campaigns) -> None:
    newbie = world.join("newbie", level=None)
    world.open()
    with pytest.raises(NotEligible, match="level_too_low"):
        world.apply(newbie)


def test_a_motivation_too_long_is_refused_naming_the_field(world: Campaigns) -> None:
    alice = world.join("alice")
    world.open()
    cmd = ApplyToCampaign(alice, "trial", "x" * 2001, "k", OPENS)
    with pytest.raises(InvalidInput) as bad:
        campaigns.apply_to_campaign(cmd, world.store(), ECONOMY)
    assert bad.value.field == "motivation"


def test_a_withdrawn_application_is_out_of_the_draw_and_withdrawal_ends_at_selection(
    world: Campaigns,
) -> None:
    members = world.crowd(4)
    world.withdraw(members[0])

    selection = world.select()

    assert members[0] not in (*selection.chosen, *selection.waitlist)
    assert world.state(members[0]) is ApplicationState.WITHDRAWN
    with pytest.raises(InvalidTransition):
        world.withdraw(members[1], at=CLOSES)


def test_the_lottery_is_stored_once_and_verifies_from_its_audit_record(world: Campaigns) -> None:
    members = world.crowd(6)

    with pytest.raises(InvalidTransition, match="open"):
        world.select(at=CLOSES - timedelta(minutes=1))  # the window is still open
    selection = world.select()

    assert len(selection.chosen) == 2
    assert len(selection.waitlist) == 4
    assert sorted((*selection.chosen, *selection.waitlist)) == sorted(members)
    assert selection.seed == SEED
    with pytest.raises(InvalidTransition, match="select again"):
        world.select(at=CLOSES + timedelta(days=1))  # an operator re-running the draw
    verified = campaigns.verify_campaign("trial", world.store(), ECONOMY)
    assert verified.ok, verified.message
    assert verified.selection == selection
    view = world.view()
    assert (view.state, view.places_left, view.applications) == (CampaignState.RUNNING, 0, 6)
    assert view.oversubscription == 3.0


def test_a_tampered_audit_record_does_not_verify(world: Campaigns) -> None:
    world.crowd(5)
    selection = world.select()
    with world.store() as uow:
        record = uow.campaigns.get("trial")
        assert record is not None
        assert record.audit is not None
        swapped = (
            record.audit.replace(selection.chosen[0], "zz")
            .replace(selection.waitlist[0], selection.chosen[0])
            .replace("zz", selection.waitlist[0])
        )
        record.audit = swapped
        assert uow.campaigns.save(record)
        uow.commit()

    verified = campaigns.verify_campaign("trial", world.store(), ECONOMY)

    assert not verified.ok
    assert "another result" in verified.message


def test_confirming_pays_once_through_the_ledger_with_the_task_and_the_reward(
    world: Campaigns,
) -> None:
    world.crowd(4)
    chosen = world.select().chosen[0]

    world.confirm(chosen)
    world.confirm(chosen)  # a retry pays nothing more

    assert world.balance(chosen) == 50
    assert world.state(chosen) is ApplicationState.CONFIRMED
    with world.store() as uow:
        entries = uow.ledger.entries(chosen, None, 10)
        transfers = [uow.ledger.transfer(e.transfer_id) for e in entries]
        tasks = uow.tasks.page(None, chosen, None, 10)
        redemptions = uow.redemptions.list_for_member(chosen, None, 10)
    assert [(e.amount, e.reference) for e in entries] == [(50, "campaign:trial")]
    assert [t.source.kind if t else None for t in transfers] == [SourceKind.CAMPAIGN]
    assert [(t.task_id, t.state, t.due_at) for t in tasks] == [
        ("review_note", TaskState.ACCEPTED, CLOSES + timedelta(days=14))
    ]
    assert [(r.reward_id, r.points) for r in redemptions] == [("organiser", 0)]


def test_only_a_member_holding_a_place_confirms_it(world: Campaigns) -> None:
    members = world.crowd(4)
    selection = world.select()
    outsider = world.join("outsider")

    with pytest.raises(NotFound):
        world.confirm(outsider)  # someone else's place is as unknown as none
    with pytest.raises(InvalidTransition):
        world.confirm(selection.waitlist[0])
    with pytest.raises(NotEligible, match="deadline"):
        world.confirm(selection.chosen[0], at=CLOSES + timedelta(days=2))
    assert world.balance(selection.waitlist[0]) == 0
    assert len(members) == 4


def test_a_declined_place_goes_to_the_first_on_the_waitlist(store: StoreFactory) -> None:
    world = Campaigns(store)
    world.crowd(5)
    selection = world.select()
    later = CLOSES + timedelta(hours=5)

    uow = store()
    cmd = DeclineParticipation(selection.chosen[0], "trial", later)
    campaigns.decline_participation(cmd, uow, ECONOMY)

    first = selection.waitlist[0]
    assert world.state(selection.chosen[0]) is ApplicationState.DECLINED
    assert world.state(first) is ApplicationState.OFFERED
    assert PlaceOffered(first, "trial", later + timedelta(days=2), later) in uow.events
    with pytest.raises(InvalidTransition):
        world.decline(selection.chosen[0], at=later)  # declining twice
    world.confirm(first, at=later + timedelta(days=1))
    assert world.balance(first) == 50
    assert world.view().places_left == 0


def test_missed_confirmations_lapse_to_the_waitlist_in_order_at_the_review(
    world: Campaigns,
) -> None:
    world.crowd(5)
    selection = world.select()
    world.confirm(selection.chosen[1])

    nothing = world.review(CLOSES + timedelta(days=1))
    done = world.review(CLOSES + timedelta(days=2))

    assert nothing.offered == 0
    assert done.offered == 1
    assert world.state(selection.chosen[0]) is ApplicationState.LAPSED
    assert world.state(selection.waitlist[0]) is ApplicationState.OFFERED
    assert world.state(selection.waitlist[1]) is ApplicationState.WAITLISTED
    world.review(CLOSES + timedelta(days=4))  # the offer lapses too: the next one
    assert world.state(selection.waitlist[0]) is ApplicationState.LAPSED
    assert world.state(selection.waitlist[1]) is ApplicationState.OFFERED


def test_the_review_opens_selects_when_due_and_closes_when_every_place_is_settled(
    store: StoreFactory,
) -> None:
    world = Campaigns(store)
    members = [world.join(f"m{i}") for i in range(3)]

    opened = world.review(OPENS - timedelta(days=1))  # commits a seed before the window
    for member in members:
        world.apply(member)
    selected = world.review(CLOSES)
    again = world.review(CLOSES)

    assert (opened.opened, opened.selected) == (4, 0)
    assert selected.selected == 2  # lottery and ranked; "second" is open, "picked" waits
    assert again.selected == 0
    view = world.view()
    assert view.selection is not None
    assert view.selection.seed == "review-seed-number-0001"
    verified = campaigns.verify_campaign("trial", world.store(), ECONOMY)
    assert verified.ok, verified.message
    for member in view.selection.chosen:
        world.confirm(member)
    world.review(CLOSES + timedelta(days=3))
    assert world.view(at=CLOSES + timedelta(days=3)).state is CampaignState.CLOSED


def test_the_selection_emits_selected_and_waitlisted_with_positions(store: StoreFactory) -> None:
    world = Campaigns(store)
    world.crowd(4)
    uow = store()
    selection = campaigns.select_campaign_participants(
        SelectCampaignParticipants("trial", OP, CLOSES), uow, ECONOMY
    )
    confirm_by = CLOSES + timedelta(days=2)
    assert [e for e in uow.events if isinstance(e, SelectedForCampaign)] == [
        SelectedForCampaign(m, "trial", confirm_by, CLOSES) for m in selection.chosen
    ]
    assert [e for e in uow.events if isinstance(e, Waitlisted)] == [
        Waitlisted(m, "trial", i, CLOSES) for i, m in enumerate(selection.waitlist, 1)
    ]


def test_recent_winners_are_excluded_from_the_next_campaign(world: Campaigns) -> None:
    world.crowd(3)
    selection = world.select()
    world.confirm(selection.chosen[0])
    loser = selection.waitlist[0]
    world.open("second")
    second_opens = local(2026, 3, 10, 10)

    with pytest.raises(NotEligible, match="recently_selected"):
        world.apply(selection.chosen[0], "second", at=second_opens)
    assert world.apply(loser, "second", at=second_opens) is ApplicationState.APPLIED


def test_a_member_selected_elsewhere_meanwhile_is_left_out_of_the_draw(world: Campaigns) -> None:
    a, b, c = world.join("a"), world.join("b"), world.join("c")
    world.open()
    world.open("ranked")
    for member in (a, b):
        world.apply(member)
        world.apply(member, "ranked")
    world.apply(c, "ranked")
    trial = world.select()  # two places, two applicants: both chosen

    ranked = world.select("ranked", at=CLOSES + timedelta(minutes=1))

    assert set(trial.chosen) == {a, b}
    assert (ranked.chosen, ranked.waitlist) == ((c,), ())
    assert world.state(a, "ranked") is ApplicationState.INELIGIBLE
    assert world.view("ranked").applications == 3
    verified = campaigns.verify_campaign("ranked", world.store(), ECONOMY)
    assert verified.ok, verified.message


def test_an_operator_selection_takes_the_operators_list(world: Campaigns) -> None:
    a, b = world.join("a"), world.join("b")
    world.open("picked")
    world.apply(a, "picked")
    world.apply(b, "picked")

    with pytest.raises(InvalidInput) as empty:
        world.select("picked")
    with pytest.raises(InvalidInput) as stranger:
        world.select("picked", members=("nobody",))
    with pytest.raises(InvalidInput):
        world.select("trial", members=(a,))  # a lottery takes no list
    selection = world.select("picked", members=(b,))

    assert (empty.value.field, stranger.value.field) == ("memberIds", "memberIds")
    assert (selection.chosen, selection.waitlist) == ((b,), (a,))
    verified = campaigns.verify_campaign("picked", world.store(), ECONOMY)
    assert verified.ok, verified.message


def test_a_ranked_selection_scores_the_stored_record_breaks_ties_and_keeps_quotas(
    world: Campaigns,
) -> None:
    early = OPENS - timedelta(days=1)
    star1, star2 = world.join("star1", "star"), world.join("star2", "star")
    reviewer, plain = world.join("reviewer"), world.join("plain")
    offer = OfferTask("review_note", (reviewer,), None, OP, "offer-1", early)
    (assignment,) = services.offer_task(offer, world.store(), ECONOMY)
    answer = AnswerTask(reviewer, assignment.id, True, early)
    services.answer_task(answer, world.store(), ECONOMY)
    submit = SubmitTask(reviewer, assignment.id, "https://notes.example/1", "", None, "s-1",
                        early)  # fmt: skip
    services.submit_task(submit, world.store(), ECONOMY)
    review = ReviewTask(assignment.id, True, None, "", OP, "r-1", early)
    services.review_task(review, world.store(), ECONOMY)
    world.open("ranked")
    for n, member in enumerate((star1, star2, reviewer, plain)):
        world.apply(member, "ranked", at=OPENS + timedelta(minutes=n))

    selection = world.select("ranked")

    # star: level rank 2 x 100; the reviewer: rank 1 x 100 + 100 % approved; plain: 100
    assert dict(selection.scores) == {star1: 200, star2: 200, reviewer: 200, plain: 100}
    # three tie at 200: the earlier applications first; the second star is over the quota
    assert (selection.chosen, selection.waitlist) == ((star1, reviewer), (star2, plain))
    verified = campaigns.verify_campaign("ranked", world.store(), ECONOMY)
    assert verified.ok, verified.message


def test_a_different_seed_draws_differently_and_the_same_seed_the_same(
    store: StoreFactory,
) -> None:
    def draw(seed: str) -> tuple[str, ...]:
        from domain.campaigns import Applicant, SelectionMethod, select

        applicants = [Applicant(f"m{i:02d}", OPENS) for i in range(30)]
        picked = select(SelectionMethod.LOTTERY, applicants, 5, seed=seed)
        return picked.chosen

    assert draw(SEED) == draw(SEED)
    assert draw(SEED) != draw("a-different-seed-of-length")


def test_parallel_selections_run_once(sql_store: SqlStore) -> None:
    world = Campaigns(sql_store)
    world.crowd(6)

    results = in_parallel([partial(world.select) for _ in range(8)])

    done = [r for r in results if isinstance(r, Selection)]
    refused = [r for r in results if isinstance(r, InvalidTransition)]
    assert (len(done), len(refused)) == (1, 7)
    verified = campaigns.verify_campaign("trial", sql_store(), ECONOMY)
    assert verified.ok, verified.message


def test_parallel_confirms_and_declines_never_exceed_the_places(sql_store: SqlStore) -> None:
    world = Campaigns(sql_store)
    world.crowd(12)
    selection = world.select()
    later = CLOSES + timedelta(hours=1)
    holders = list(selection.chosen)

    calls: list[Callable[[], None]] = [
        partial(world.decline, holders[0], at=later),
        partial(world.confirm, holders[1]),
    ]
    calls += [partial(world.confirm, m, at=later) for m in selection.waitlist]
    in_parallel(calls)

    with sql_store() as uow:
        held = uow.campaigns.count(
            "trial",
            (ApplicationState.SELECTED, ApplicationState.OFFERED, ApplicationState.CONFIRMED),
        )
        record = uow.campaigns.get("trial")
    assert record is not None
    assert held == record.taken <= 2
    assert world.balance(holders[1]) == 50
    assert sum(world.balance(m) for m in selection.waitlist) <= 50


def test_parallel_applications_are_each_taken_once(sql_store: SqlStore) -> None:
    world = Campaigns(sql_store)
    members = [world.join(f"p{i:02d}") for i in range(20)]
    world.open()

    calls: list[Callable[[], ApplicationState]] = [
        partial(world.apply, m, key="same") for m in members
    ]
    calls.append(partial(world.apply, members[0], key="again"))
    results = in_parallel(calls)

    assert sum(1 for r in results if r is ApplicationState.APPLIED) == 20
    assert sum(1 for r in results if isinstance(r, AlreadyExists)) == 1
    assert world.view(at=OPENS).applications == 20


QUOTA_ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 10

[[campaigns]]
id = "mix"
description = "Not only regulars."
opens = 2026-03-02T10:00:00
closes = 2026-03-09T10:00:00
places = 3
selection = "first_come"
confirm_days = 2
quotas = { levels = { regular = 2 } }
""",
    levels=LEVELS,
)


def mixed(store: StoreFactory, *people: tuple[str, str]) -> tuple[Campaigns, dict[str, str]]:
    """The `mix` campaign with `people` (handle, level) applying in that order, selected:
    first come, at most two regulars among the three places."""
    world = Campaigns(store, QUOTA_ECONOMY)
    ids = {handle: world.join(handle, level) for handle, level in people}
    world.open("mix")
    for n, member in enumerate(ids.values()):
        world.apply(member, "mix", at=OPENS + timedelta(minutes=n))
    world.select("mix")
    return world, ids


FIVE = (("r1", "regular"), ("r2", "regular"), ("s1", "star"), ("r3", "regular"), ("s2", "star"))


def test_a_declined_place_goes_to_the_first_waitlisted_whose_level_quota_has_room(
    store: StoreFactory,
) -> None:
    world, m = mixed(store, *FIVE)
    later = CLOSES + timedelta(hours=5)
    uow = store()

    campaigns.decline_participation(DeclineParticipation(m["s1"], "mix", later), uow,
                                    QUOTA_ECONOMY)  # fmt: skip

    assert world.state(m["r3"], "mix") is ApplicationState.WAITLISTED  # a third regular
    assert world.state(m["s2"], "mix") is ApplicationState.OFFERED
    assert [e for e in uow.events if isinstance(e, PlaceOffered)] == [
        PlaceOffered(m["s2"], "mix", later + timedelta(days=2), later)
    ]
    world.decline(m["r1"], "mix", at=later)  # a regular place comes free: the skipped one
    assert world.state(m["r3"], "mix") is ApplicationState.OFFERED
    assert world.view("mix").places_left == 0
    verified = campaigns.verify_campaign("mix", world.store(), QUOTA_ECONOMY)
    assert verified.ok, verified.message


def test_a_lapsed_place_keeps_the_level_quota_at_the_review(store: StoreFactory) -> None:
    world, m = mixed(store, *FIVE)
    world.confirm(m["r1"], "mix")
    world.confirm(m["r2"], "mix")

    done = world.review(CLOSES + timedelta(days=2))

    assert done.offered == 1
    assert world.state(m["s1"], "mix") is ApplicationState.LAPSED
    assert world.state(m["s2"], "mix") is ApplicationState.OFFERED
    assert world.state(m["r3"], "mix") is ApplicationState.WAITLISTED


def test_a_place_nobody_waitlisted_fits_stays_free(store: StoreFactory) -> None:
    world, m = mixed(store, ("r1", "regular"), ("r2", "regular"), ("s1", "star"),
                     ("r3", "regular"), ("r4", "regular"))  # fmt: skip

    world.decline(m["s1"], "mix")

    assert world.state(m["r3"], "mix") is ApplicationState.WAITLISTED
    assert world.state(m["r4"], "mix") is ApplicationState.WAITLISTED
    assert world.view("mix").places_left == 1
    world.confirm(m["r1"], "mix")
    world.confirm(m["r2"], "mix")
    view = world.view("mix")
    assert (view.state, view.places_left) == (CampaignState.CLOSED, 1)


def test_parallel_declines_and_confirms_never_break_the_level_quota(sql_store: SqlStore) -> None:
    people = [(f"r{i}", "regular") for i in range(2)] + [("s0", "star")]
    people += [(f"w{i}", "regular" if i < 4 else "star") for i in range(8)]  # regulars first
    world, m = mixed(sql_store, *people)
    later = CLOSES + timedelta(hours=1)
    waitlisted = [m[h] for h, _ in people[3:]]

    calls: list[Callable[[], None]] = [
        partial(world.decline, m["s0"], "mix", later),
        partial(world.decline, m["r0"], "mix", later),
    ]
    calls += [partial(world.confirm, w, "mix", later) for w in waitlisted]
    in_parallel(calls)

    held = (ApplicationState.SELECTED, ApplicationState.OFFERED, ApplicationState.CONFIRMED)
    regulars = {m[h] for h, level in people if level == "regular"}
    with sql_store() as uow:
        taking = [a.member_id for a in uow.campaigns.applications("mix") if a.state in held]
        record = uow.campaigns.get("mix")
    assert record is not None
    assert len(taking) == record.taken <= 3
    assert sum(1 for t in taking if t in regulars) <= 2
    assert m["r1"] in taking
