"""Referrals and commission on every store (memory, SQLite, PostgreSQL): the referrer is
rewarded only on the invitee's first qualifying action within the time limit, once; the
guards (own code, same identity, a second code, a cycle) refuse with the field; the cap;
commission two levels up and never three, pending through the return window, confirmed
by the review, voided at both levels by a refund; an order pays once; the farming hold
and the operator's confirm or reverse; parallel qualifying actions pay once."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from domain import services
from domain.commands import RecordActivity, RegisterMember, ReverseActivity, ReviewMember
from domain.economy import Economy
from domain.errors import DomainError, InvalidInput, InvalidTransition, ReferralRefused
from domain.model import ReferralQualified
from domain.referrals import CommissionState, InviteeState, RewardOutcome, referral_code
from domain.services import ApplyReferralCode, DecideReferralReward
from tests.integration.conftest import StoreFactory
from tests.unit.builders import economy_from, local

KEY = b"test-referral-key"
PROGRAM = """
[rules.post]
kind = "post"
points = 10

[rules.like]
kind = "like"
points = 1

[referrals]
qualifying_kinds = ["purchase", "post"]
within_days = 21
referrer_points = 300
welcome_points = 100
commission = [500, 200]
minor_units_per_point = 100
commission_pending_days = 14
cap = 3
cap_period_days = 30
farming_min_invitees = 3
farming_unqualified_percent = 60
"""
ECONOMY = economy_from(PROGRAM)
JAN = local(2026, 1, 1, 9)
SQL_STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class Referrals:
    def __init__(self, store: StoreFactory, economy: Economy = ECONOMY) -> None:
        self.store, self.economy = store, economy
        self._keys = itertools.count(1)

    def join(
        self,
        handle: str,
        code: str | None = None,
        at: datetime = JAN,
        identities: tuple[str, ...] = (),
    ) -> str:
        cmd = RegisterMember(handle, handle, at, None, code, identities)
        return services.register_member(cmd, self.store(), self.economy, KEY).id

    def code(self, member: str) -> str:
        return services.referral_code_of(self.store(), member, KEY)

    def invite(self, referrer: str, handle: str, at: datetime = JAN) -> str:
        return self.join(handle, self.code(referrer), at)

    def act(
        self, member: str, kind: str, at: datetime, *, subject: str | None = None,
        amount: int | None = None, key: str | None = None,
    ) -> str:  # fmt: skip
        key = key or f"k{next(self._keys)}"
        attributes = {"amount": amount} if amount is not None else {}
        cmd = RecordActivity(member, kind, at, key, subject or key, attributes, at=at)
        return services.record_activity(cmd, self.store(), self.economy).record.id

    def buy(self, member: str, amount: int, at: datetime, order: str | None = None) -> str:
        return self.act(member, "purchase", at, subject=order or f"o{next(self._keys)}",
                        amount=amount)  # fmt: skip

    def refund(self, activity_id: str, at: datetime) -> None:
        cmd = ReverseActivity(activity_id, "refunded", "op", f"r{next(self._keys)}", at)
        services.reverse_activity(cmd, self.store(), self.economy)

    def review(self, member: str, at: datetime) -> None:
        services.review_member(ReviewMember(member, at), self.store(), self.economy)

    def available(self, member: str) -> int:
        return services.balances(member, self.store()).available

    def pending(self, member: str) -> int:
        return services.balances(member, self.store()).pending

    def outcome(self, invitee: str) -> RewardOutcome | None:
        found = services.referral_of(self.store(), invitee)
        assert found is not None
        return found.outcome

    def decide(self, invitee: str, confirm: bool, at: datetime, key: str = "d1") -> None:
        cmd = DecideReferralReward(invitee, confirm, "checked the invitees", "op", key, at)
        services.decide_referral_reward(cmd, self.store(), self.economy)


# --- Codes and the guards ---------------------------------------------------------------


def test_a_member_s_code_is_theirs_and_links_an_invitee(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    code = r.code(ana)
    assert code == referral_code(ana, KEY)
    ben = r.join("ben", code.lower()[:5] + "-" + code[5:])  # read case-insensitively
    linked = services.referral_of(store(), ben)
    assert linked is not None
    assert (linked.referrer_id, linked.joined_at, linked.qualified_at) == (ana, JAN, None)
    assert [x.invitee_id for x in services.referrals_of(store(), ana)] == [ben]
    assert r.available(ana) == 0  # never at sign-up
    assert r.available(ben) == 0


def test_an_unknown_code_is_refused_naming_the_field(store: StoreFactory) -> None:
    r = Referrals(store)
    with pytest.raises(InvalidInput) as refused:
        r.join("ben", "AAAAAAAAAA")
    assert refused.value.field == "referralCode"
    with pytest.raises(InvalidInput) as malformed:
        r.join("ben", "short")
    assert malformed.value.field == "referralCode"
    assert services.member_ids(store(), None, 10) == []  # the registration rolled back


def test_a_referrer_with_the_same_identity_is_refused(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana", identities=("phone:+86138000",))
    with pytest.raises(ReferralRefused) as refused:
        r.join("ana2", r.code(ana), identities=("Phone:+86138000",))
    assert (refused.value.reason, refused.value.field) == ("same_identity", "referralCode")
    bad = RegisterMember("cai", "cai", JAN, None, None, ("no-provider",))
    with pytest.raises(InvalidInput) as malformed:
        services.register_member(bad, store(), ECONOMY, KEY)
    assert malformed.value.field == "identities"


def test_a_code_is_used_once_and_never_the_member_s_own(store: StoreFactory) -> None:
    r = Referrals(store)
    ana, cai = r.join("ana"), r.join("cai")
    ben = r.invite(ana, "ben")
    later = JAN + timedelta(days=1)
    again = services.apply_referral_code(ApplyReferralCode(ben, r.code(ana), later), store(),
                                         ECONOMY)  # fmt: skip
    assert again.joined_at == JAN  # the same code again changes nothing
    with pytest.raises(ReferralRefused) as second:
        services.apply_referral_code(ApplyReferralCode(ben, r.code(cai), later), store(), ECONOMY)
    assert second.value.reason == "already_referred"
    with pytest.raises(ReferralRefused) as own:
        services.apply_referral_code(ApplyReferralCode(cai, r.code(cai), later), store(), ECONOMY)
    assert own.value.reason == "self_referral"


def test_a_referral_cycle_is_refused(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    cai = r.invite(ben, "cai")
    with pytest.raises(ReferralRefused) as refused:  # ana may not be referred by her invitee's
        services.apply_referral_code(ApplyReferralCode(ana, r.code(cai), JAN + timedelta(1)),
                                     store(), ECONOMY)  # fmt: skip
    assert refused.value.reason == "cycle"


def test_a_code_is_entered_after_joining_only_within_the_time_limit(store: StoreFactory) -> None:
    r = Referrals(store)
    ana, ben = r.join("ana"), r.join("ben")
    late = ApplyReferralCode(ben, r.code(ana), JAN + timedelta(days=21))
    with pytest.raises(InvalidInput) as refused:
        services.apply_referral_code(late, store(), ECONOMY)
    assert refused.value.field == "referralCode"
    assert services.referral_of(store(), ben) is None


# --- Qualifying ----------------------------------------------------------------------------


def test_only_the_qualifying_action_rewards_the_referrer_once(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    r.act(ben, "like", JAN + timedelta(hours=1))  # not a qualifying kind
    assert r.available(ana) == 0
    r.act(ben, "post", JAN + timedelta(days=2))
    assert r.available(ana) == 300
    assert r.available(ben) == 1 + 10 + 100  # the like, the post, the welcome
    r.act(ben, "post", JAN + timedelta(days=3))
    assert r.available(ana) == 300  # once
    assert r.outcome(ben) is RewardOutcome.PAY
    found = services.referral_of(store(), ben)
    assert found is not None
    assert found.state(ECONOMY.referrals, JAN + timedelta(days=99)) is InviteeState.QUALIFIED  # type: ignore[arg-type]
    assert services.get_member(ana, store()).progress.lifetime_earned == 300


def test_a_qualifying_action_after_the_time_limit_pays_nothing(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    r.act(ben, "post", JAN + timedelta(days=21))  # the limit is [joined, joined + 21 days)
    assert r.available(ana) == 0
    found = services.referral_of(store(), ben)
    assert found is not None
    assert found.qualified_at is None
    assert found.state(ECONOMY.referrals, JAN + timedelta(days=21)) is InviteeState.EXPIRED  # type: ignore[arg-type]


def test_the_cap_stops_rewards_in_the_period_but_welcomes_stand(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    invitees = [r.invite(ana, f"i{n}") for n in range(4)]
    for n, invitee in enumerate(invitees):
        r.act(invitee, "post", JAN + timedelta(days=1, hours=n))
    assert r.available(ana) == 3 * 300
    assert [r.outcome(i) for i in invitees] == [RewardOutcome.PAY] * 3 + [RewardOutcome.CAPPED]
    assert r.available(invitees[3]) == 10 + 100
    late = r.join("late", r.code(ana), JAN + timedelta(days=30))
    r.act(late, "post", JAN + timedelta(days=32))  # the window rolled past the first rewards
    assert r.outcome(late) is RewardOutcome.PAY


# --- Commission --------------------------------------------------------------------------


def test_commission_pays_two_levels_and_never_three(store: StoreFactory) -> None:
    r = Referrals(store)
    top = r.join("top")
    ana = r.invite(top, "ana")
    ben = r.invite(ana, "ben")
    cai = r.invite(ben, "cai")
    r.buy(cai, 100_000, JAN + timedelta(days=1))  # 1000.00: 5% = 50, 2% = 20 points
    assert r.pending(ben) == 50
    assert r.pending(ana) == 20
    assert r.pending(top) == 0  # a third level is never paid
    assert r.available(ben) == 300  # cai's purchase qualified cai: ben's referral reward
    r.review(ben, JAN + timedelta(days=14))  # a member's review leaves commission alone
    assert r.pending(ben) == 50


def test_the_review_confirms_commission_after_the_return_window(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    cai = r.invite(ben, "cai")
    bought = JAN + timedelta(days=1)
    activity = r.buy(cai, 100_000, bought)
    assert services.confirm_commissions(store, ECONOMY, bought + timedelta(days=13)) == []
    confirmed = services.confirm_commissions(store, ECONOMY, bought + timedelta(days=14))
    assert [c.commission.activity_id for c in confirmed] == [activity]
    assert (r.pending(ben), r.available(ben)) == (0, 300 + 50)
    assert (r.pending(ana), r.available(ana)) == (0, 20)  # ben never qualified himself
    assert services.confirm_commissions(store, ECONOMY, bought + timedelta(days=30)) == []
    assert services.get_member(ana, store()).progress.lifetime_earned == 20
    r.refund(activity, bought + timedelta(days=20))  # after the window the commission stands
    assert r.available(ben) == 50  # ... but the purchase qualified cai: ben's reward goes back


def test_a_refund_voids_commission_at_both_levels(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    cai = r.invite(ben, "cai")
    activity = r.buy(cai, 100_000, JAN + timedelta(days=1))
    r.refund(activity, JAN + timedelta(days=3))
    assert (r.pending(ben), r.pending(ana)) == (0, 0)
    commission = services.commission_of(store(), activity)
    assert commission is not None
    assert commission.state is CommissionState.VOIDED
    assert services.confirm_commissions(store, ECONOMY, JAN + timedelta(days=40)) == []
    assert (r.available(ben), r.available(ana)) == (0, 0)  # no commission, no reward either:
    assert r.outcome(cai) is None  # the refunded purchase was what qualified cai


def test_the_same_order_reported_twice_pays_once(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    at = JAN + timedelta(days=1)
    r.buy(ben, 50_000, at, order="order-1")
    r.act(ben, "purchase", at, subject="order-1", amount=50_000, key="k-replay")
    r.act(ben, "purchase", at, subject="order-1", amount=50_000, key="k-replay")  # same key
    assert r.pending(ana) == 25


def test_a_purchase_names_its_order_and_amount(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    cmd = RecordActivity(ana, "purchase", JAN, "k", None, {"amount": 100}, at=JAN)
    with pytest.raises(InvalidInput) as no_order:
        services.record_activity(cmd, store(), ECONOMY)
    assert no_order.value.field == "subjectId"
    cmd = RecordActivity(ana, "purchase", JAN, "k", "o1", {}, at=JAN)
    with pytest.raises(InvalidInput) as no_amount:
        services.record_activity(cmd, store(), ECONOMY)
    assert no_amount.value.field == "attributes.amount"


SENIOR = """
[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "senior"
threshold = 10
"""
DISTRIBUTORS = economy_from(
    PROGRAM + 'distributor_levels = ["senior"]\ndistributor_share = 300\n', levels=SENIOR
)


def test_a_distributor_saves_on_their_own_purchases(store: StoreFactory) -> None:
    r = Referrals(store, DISTRIBUTORS)
    ana, ben = r.join("ana"), r.join("ben")
    r.act(ana, "post", JAN)  # 10 points: senior
    r.buy(ana, 100_000, JAN + timedelta(hours=1))
    r.buy(ben, 100_000, JAN + timedelta(hours=1))
    assert r.pending(ana) == 30  # 3% back, through the return window like commission
    assert r.pending(ben) == 0


# --- Farming ------------------------------------------------------------------------------


def test_a_farming_referrer_is_held_then_confirmed_by_an_operator(store: StoreFactory) -> None:
    r = Referrals(store)
    farmer = r.join("farmer")
    for n in range(3):
        r.invite(farmer, f"ghost{n}")  # never qualify
    late = JAN + timedelta(days=22)
    real = r.join("real", r.code(farmer), late)
    assert [f.member_id for f in services.flagged_referrers(store(), ECONOMY, late)] == [farmer]
    r.act(real, "post", late + timedelta(hours=1))
    assert r.outcome(real) is RewardOutcome.HELD
    assert (r.available(farmer), r.pending(farmer)) == (0, 300)
    assert r.available(real) == 110  # the invitee's welcome is paid
    assert [h.invitee_id for h in services.held_referrals(store())] == [real]
    r.review(farmer, late + timedelta(days=60))  # the review never confirms a held reward
    assert r.pending(farmer) == 300
    r.decide(real, True, late + timedelta(days=2))
    r.decide(real, True, late + timedelta(days=2))  # the same key replays the decision
    assert (r.available(farmer), r.pending(farmer)) == (300, 0)
    assert r.outcome(real) is RewardOutcome.CONFIRMED
    assert services.held_referrals(store()) == []
    with pytest.raises(InvalidTransition):
        r.decide(real, False, late + timedelta(days=3), key="d2")


def test_a_held_reward_reversed_by_an_operator_never_pays(store: StoreFactory) -> None:
    r = Referrals(store)
    farmer = r.join("farmer")
    for n in range(3):
        r.invite(farmer, f"ghost{n}")
    late = JAN + timedelta(days=22)
    real = r.join("real", r.code(farmer), late)
    r.act(real, "purchase", late + timedelta(hours=1), subject="o1", amount=10_000)
    assert r.outcome(real) is RewardOutcome.HELD
    r.decide(real, False, late + timedelta(days=2))
    assert (r.available(farmer), r.pending(farmer)) == (0, 5)  # the commission stays pending
    assert r.outcome(real) is RewardOutcome.REVERSED
    assert services.get_member(farmer, store()).progress.lifetime_earned == 0


def test_an_honest_referrer_is_not_flagged(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    invitees = [r.invite(ana, f"i{n}") for n in range(3)]
    r.act(invitees[0], "post", JAN + timedelta(days=1))
    r.act(invitees[1], "post", JAN + timedelta(days=1))
    assert services.flagged_referrers(store(), ECONOMY, JAN + timedelta(days=30)) == []


# --- Concurrency --------------------------------------------------------------------------


def _parallel(calls: list[Callable[[], object]]) -> list[str]:
    outcomes: list[str] = []
    barrier = threading.Barrier(len(calls))
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            call()
            outcome = "ok"
        except DomainError as error:
            outcome = type(error).__name__
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.parametrize("store", SQL_STORES, indirect=True)
def test_parallel_qualifying_actions_pay_the_referrer_once(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    at = JAN + timedelta(days=1)

    def posting(n: int) -> Callable[[], object]:
        return lambda: r.act(ben, "post", at + timedelta(minutes=n), key=f"p{n}")

    calls = [posting(n) for n in range(8)]
    assert _parallel(calls) == ["ok"] * 8
    assert r.available(ana) == 300
    assert r.available(ben) == 8 * 10 + 100


@pytest.mark.parametrize("store", SQL_STORES, indirect=True)
def test_parallel_invitees_never_exceed_the_referrer_s_cap(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    invitees = [r.invite(ana, f"i{n}") for n in range(6)]
    at = JAN + timedelta(days=1)

    def posting(invitee: str) -> Callable[[], object]:
        return lambda: r.act(invitee, "post", at, key=f"p-{invitee}")

    calls = [posting(i) for i in invitees]
    assert _parallel(calls) == ["ok"] * 6
    assert r.available(ana) == 3 * 300
    outcomes = sorted(str(r.outcome(i)) for i in invitees)
    assert outcomes == ["capped"] * 3 + ["pay"] * 3


def test_a_qualification_is_announced_to_the_referrer(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    cmd = RecordActivity(ben, "post", JAN + timedelta(days=1), "k", "n1", at=JAN + timedelta(1))
    events = services.record_activity(cmd, store(), ECONOMY).events
    qualified = [e for e in events if isinstance(e, ReferralQualified)]
    assert qualified == [ReferralQualified(ana, ben, "pay", 300, 100, JAN + timedelta(days=1))]


@pytest.mark.parametrize("store", SQL_STORES, indirect=True)
def test_a_refund_racing_the_review_either_voids_or_confirms_never_both(
    store: StoreFactory,
) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    bought = JAN + timedelta(days=1)
    activities = [r.buy(ben, 100_000, bought + timedelta(minutes=n)) for n in range(6)]
    window_closed = bought + timedelta(days=15)
    calls: list[Callable[[], object]] = [
        lambda: services.confirm_commissions(store, ECONOMY, window_closed)
    ]

    def refunding(n: int, activity: str) -> Callable[[], object]:
        cmd = ReverseActivity(activity, "refunded", "op", f"race-{n}", window_closed)
        return lambda: services.reverse_activity(cmd, store(), ECONOMY)

    calls += [refunding(n, activity) for n, activity in enumerate(activities)]
    assert _parallel(calls) == ["ok"] * 7
    states = [services.commission_of(store(), a) for a in activities]
    confirmed = sum(1 for c in states if c is not None and c.state is CommissionState.CONFIRMED)
    voided = sum(1 for c in states if c is not None and c.state is CommissionState.VOIDED)
    assert confirmed + voided == 6
    assert r.pending(ana) == 0
    # each confirmed share; the reward went back with the first purchase, which qualified ben
    assert r.available(ana) == 50 * confirmed
    assert services.balances(ana, store()).debt == 0


def test_qualifying_and_purchase_kinds_are_recorded_without_a_rule(store: StoreFactory) -> None:
    economy = economy_from(
        '[rules.post]\nkind = "post"\npoints = 10\n\n[referrals]\n'
        'qualifying_kinds = ["survey"]\nreferrer_points = 40\npurchase_kind = "order"\n'
        'amount_attribute = "cents"\ncommission = [1000]\n'
    )
    assert {"survey", "order"} <= set(economy.activity_kinds)
    r = Referrals(store, economy)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    r.act(ben, "survey", JAN + timedelta(hours=2))  # no rule scores it: still recorded
    assert r.available(ana) == 40
    cmd = RecordActivity(ben, "order", JAN, "o", "order-9", {"cents": 5_000}, at=JAN)
    assert services.record_activity(cmd, store(), economy).record.points == 0
    assert r.pending(ana) == 5  # 10% of 50.00
