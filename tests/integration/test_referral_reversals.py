"""Reversing an invitee's qualifying activity takes the referral rewards back, on every
store (memory, SQLite, PostgreSQL): the referrer's reward (paid: taken back, the spent
part as debt; held: voided) and the invitee's welcome, once and audited; the invitee is
waiting again inside the time limit (a later qualifying action pays once more, once) or
expired after it; the cap and the farming signal count the referral as not qualified.
Reversing any other activity of the invitee leaves the referral alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import services
from domain.commands import AdjustPoints, ReverseActivity
from domain.errors import AlreadyReversed, InvalidTransition
from domain.model import ReferralRewardDecided
from domain.referrals import InviteeState, Referral, ReferralProgram, RewardOutcome
from tests.integration.conftest import StoreFactory
from tests.integration.test_referrals import ECONOMY, JAN, Referrals

_declared = ECONOMY.referrals
assert _declared is not None
PROGRAM: ReferralProgram = _declared


def _reverse(store: StoreFactory, activity_id: str, key: str, days: float = 3) -> ReverseActivity:
    at = JAN + timedelta(days=days)
    cmd = ReverseActivity(activity_id, "spam post", "op", key, at)
    services.reverse_activity(cmd, store(), ECONOMY)
    return cmd


def _referral(store: StoreFactory, invitee: str) -> Referral:
    found = services.referral_of(store(), invitee)
    assert found is not None
    return found


def test_reversing_the_qualifying_post_takes_both_rewards_back(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    post = r.act(ben, "post", JAN + timedelta(days=2))
    assert (r.available(ana), r.available(ben)) == (300, 110)
    at = JAN + timedelta(days=3)
    result = services.reverse_activity(
        ReverseActivity(post, "spam post", "op", "rv1", at), store(), ECONOMY
    )
    assert (r.available(ana), r.available(ben)) == (0, 0)
    assert services.get_member(ana, store()).progress.lifetime_earned == 0
    assert services.get_member(ben, store()).progress.lifetime_earned == 0
    found = _referral(store, ben)
    assert (found.qualified_at, found.outcome, found.reward_transfer_id) == (None, None, None)
    assert found.state(PROGRAM, at) is InviteeState.WAITING
    assert ReferralRewardDecided(ana, ben, "reversed", 300, at) in result.events
    with store() as uow:
        trail = [(e.action, e.detail) for e in uow.audit.list(ana, 10)]
    assert any(
        action == "reverse_referral_qualification" and "-300" in detail and "-100" in detail
        for action, detail in trail
    ), trail


def test_spent_rewards_are_owed_as_debt(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    post = r.act(ben, "post", JAN + timedelta(days=2))
    spent = AdjustPoints(ana, -250, "spent in the mall", "op", "a1", JAN + timedelta(days=2))
    services.adjust_points(spent, store(), ECONOMY)
    _reverse(store, post, "rv1")
    balances = services.balances(ana, store())
    assert (balances.available, balances.debt) == (0, 250)
    r.act(ana, "post", JAN + timedelta(days=4))  # later earnings repay the debt first
    balances = services.balances(ana, store())
    assert (balances.available, balances.debt) == (0, 240)


def test_a_held_reward_is_voided_and_no_longer_waits_for_a_decision(store: StoreFactory) -> None:
    r = Referrals(store)
    farmer = r.join("farmer")
    for n in range(3):
        r.invite(farmer, f"ghost{n}")  # never qualify
    late = JAN + timedelta(days=22)
    real = r.join("real", r.code(farmer), late)
    post = r.act(real, "post", late + timedelta(hours=1))
    assert r.outcome(real) is RewardOutcome.HELD
    assert (r.pending(farmer), r.available(real)) == (300, 110)
    _reverse(store, post, "rv1", days=23)
    assert (r.available(farmer), r.pending(farmer), r.available(real)) == (0, 0, 0)
    assert services.held_referrals(store()) == []
    with pytest.raises(InvalidTransition):
        r.decide(real, True, late + timedelta(days=2))
    assert r.pending(farmer) == 0


def test_a_confirmed_held_reward_is_taken_back(store: StoreFactory) -> None:
    r = Referrals(store)
    farmer = r.join("farmer")
    for n in range(3):
        r.invite(farmer, f"ghost{n}")
    late = JAN + timedelta(days=22)
    real = r.join("real", r.code(farmer), late)
    post = r.act(real, "post", late + timedelta(hours=1))
    r.decide(real, True, late + timedelta(days=1))
    assert r.available(farmer) == 300
    _reverse(store, post, "rv1", days=24)
    assert (r.available(farmer), r.pending(farmer)) == (0, 0)
    assert services.get_member(farmer, store()).progress.lifetime_earned == 0
    assert r.outcome(real) is None


def test_requalifying_inside_the_time_limit_pays_once_more_once(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    post = r.act(ben, "post", JAN + timedelta(days=2))
    _reverse(store, post, "rv1")
    again = r.act(ben, "post", JAN + timedelta(days=5))
    assert (r.available(ana), r.available(ben)) == (300, 110)
    r.act(ben, "post", JAN + timedelta(days=6))
    assert (r.available(ana), r.available(ben)) == (300, 120)  # once
    found = _referral(store, ben)
    assert (found.qualified_at, found.qualifying_activity_id) == (JAN + timedelta(days=5), again)
    assert found.outcome is RewardOutcome.PAY


def test_after_the_time_limit_the_invitee_stays_expired(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    post = r.act(ben, "post", JAN + timedelta(days=20))
    assert r.available(ana) == 300
    _reverse(store, post, "rv1", days=25)
    assert _referral(store, ben).state(PROGRAM, JAN + timedelta(days=25)) is InviteeState.EXPIRED
    r.act(ben, "post", JAN + timedelta(days=26))
    assert (r.available(ana), r.available(ben)) == (0, 10)
    assert _referral(store, ben).qualified_at is None


def test_reversing_another_activity_leaves_the_referral_alone(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    like = r.act(ben, "like", JAN + timedelta(days=1))
    r.act(ben, "post", JAN + timedelta(days=2))
    second = r.act(ben, "post", JAN + timedelta(days=2))  # the same instant, not the first
    before = _referral(store, ben)
    _reverse(store, like, "rv1")
    _reverse(store, second, "rv2")
    assert _referral(store, ben) == before
    assert (r.available(ana), r.available(ben)) == (300, 110)


def test_reversing_twice_changes_nothing_more(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    ben = r.invite(ana, "ben")
    post = r.act(ben, "post", JAN + timedelta(days=2))
    cmd = _reverse(store, post, "rv1")
    replay = services.reverse_activity(cmd, store(), ECONOMY)
    assert replay.replayed
    assert replay.events == ()
    with pytest.raises(AlreadyReversed):
        _reverse(store, post, "rv2")
    balances = services.balances(ana, store())
    assert (balances.available, balances.debt) == (0, 0)
    assert r.available(ben) == 0
    with store() as uow:
        actions = [e.action for e in uow.audit.list(ana, 10)]
    assert actions.count("reverse_referral_qualification") == 1


def test_the_cap_and_the_farming_signal_count_it_as_unqualified(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    invitees = [r.invite(ana, f"i{n}") for n in range(3)]
    posts = [r.act(i, "post", JAN + timedelta(days=1, hours=n)) for n, i in enumerate(invitees)]
    for n, post in enumerate(posts):
        _reverse(store, post, f"rv{n}", days=2)
    late = JAN + timedelta(days=22)  # all three past their time limit, never qualified
    flagged = services.flagged_referrers(store(), ECONOMY, late)
    assert [(f.member_id, f.qualified, f.expired) for f in flagged] == [(ana, 0, 3)]
    real = r.join("real", r.code(ana), late)
    r.act(real, "post", late + timedelta(hours=1))
    assert r.outcome(real) is RewardOutcome.HELD  # the farming signal holds the reward


def test_a_reversed_qualification_frees_its_place_under_the_cap(store: StoreFactory) -> None:
    r = Referrals(store)
    ana = r.join("ana")
    invitees = [r.invite(ana, f"i{n}") for n in range(4)]
    posts = [r.act(i, "post", JAN + timedelta(days=1, hours=n)) for n, i in enumerate(invitees[:3])]
    _reverse(store, posts[0], "rv1", days=2)
    r.act(invitees[3], "post", JAN + timedelta(days=3))
    assert r.outcome(invitees[3]) is RewardOutcome.PAY  # two rewarded in the window, cap 3
    assert r.available(ana) == 3 * 300
