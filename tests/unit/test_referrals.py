"""Referrals and commission, the pure rules and the `[referrals]` table: codes derived from
the member with a key, the guards (self-referral, same identity, code reuse, cycles), the
reward only on a qualifying action within the time limit, caps, the farming signal,
commission two levels up and never three, and distributors' self-purchase savings."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from domain.economy import parse_economy
from domain.errors import EconomyInvalid
from domain.ledger import Bucket, SourceKind, Transfer, TransferKind, confirm_pending
from domain.referrals import (
    CommissionShare,
    InviteeState,
    Party,
    Referral,
    ReferralProgram,
    ReferralRefusal,
    RewardOutcome,
    RewardTakeBack,
    check_referral,
    commission,
    commission_due,
    commission_transfer,
    farming_flagged,
    invitee_state,
    normalise_code,
    qualified_by,
    qualifies,
    qualify,
    qualifying_rewards,
    referral_code,
    refund_commission,
    reward_outcome,
    reward_take_back,
    self_purchase_savings,
    unqualify,
    upline,
)

JOINED = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
PROGRAM = ReferralProgram(
    qualifying_kinds=("purchase", "note_with_photos"),
    within_days=30,
    referrer_points=200,
    welcome_points=50,
    commission=(500, 200),
    minor_units_per_point=100,
    cap=3,
    farming_min_invitees=4,
    farming_unqualified_percent=75,
    distributor_levels=("gold", "distributor"),
    distributor_share=300,
)

# --- codes ------------------------------------------------------------------------------


def test_a_code_is_deterministic_for_member_and_key_and_unrelated_between_neighbours() -> None:
    key = b"edge-secret"
    assert referral_code("m-1", key) == referral_code("m-1", key)
    codes = {referral_code(f"m-{n}", key) for n in range(1000)}
    assert len(codes) == 1000  # no collisions among neighbours
    assert referral_code("m-1", key) != referral_code("m-1", b"other-key")
    a, b = referral_code("m-1", key), referral_code("m-2", key)
    assert sum(x == y for x, y in zip(a, b, strict=True)) < len(a) // 2  # not sequential
    assert len(a) == 10
    assert a.isalnum()
    assert a.isupper()


def test_a_code_is_the_first_fifty_bits_of_the_member_ids_hmac_in_base32() -> None:
    """The code as first specified (the HMAC object's whole digest, all of it in base32,
    cut to ten characters), against the one-shot digest of ten bytes the module uses."""
    for key in (b"edge-secret", b"", bytes(range(64))):
        for member_id in ("m-1", "m0000001", "ana", "人", *(f"m{n}" for n in range(300))):
            digest = hmac.new(key, member_id.encode(), hashlib.sha256).digest()
            assert referral_code(member_id, key) == base64.b32encode(digest).decode()[:10]


def test_codes_are_read_case_insensitively_without_spaces_or_dashes() -> None:
    code = referral_code("m-1", b"k")
    assert normalise_code(f"  {code[:5].lower()}-{code[5:]} ") == code


# --- guards -----------------------------------------------------------------------------


def test_self_referral_is_refused_by_member_and_by_external_identity() -> None:
    alice = Party("alice", frozenset({"wechat:123"}))
    assert check_referral(alice, alice, (), False) is ReferralRefusal.SELF_REFERRAL
    alt = Party("alice-2", frozenset({"wechat:123", "phone:1"}))
    assert check_referral(alt, alice, (), False) is ReferralRefusal.SAME_IDENTITY
    bob = Party("bob", frozenset({"wechat:456"}))
    assert check_referral(bob, alice, (), False) is None


def test_a_code_is_used_once_per_invitee() -> None:
    assert (
        check_referral(Party("bob"), Party("alice"), (), already_referred=True)
        is ReferralRefusal.ALREADY_REFERRED
    )


def test_a_cycle_is_refused() -> None:
    # alice referred bob, bob referred carol: carol cannot refer alice.
    assert check_referral(Party("alice"), Party("carol"), ("bob", "alice"), False) is (
        ReferralRefusal.CYCLE
    )
    assert check_referral(Party("dave"), Party("carol"), ("bob", "alice"), False) is None


# --- qualifying within the time limit ---------------------------------------------------


def test_only_a_qualifying_action_within_the_time_limit_counts() -> None:
    assert qualifies(PROGRAM, JOINED, "purchase", JOINED + timedelta(days=29))
    assert qualifies(PROGRAM, JOINED, "note_with_photos", JOINED)
    assert not qualifies(PROGRAM, JOINED, "post", JOINED + timedelta(days=1))  # not declared
    assert not qualifies(PROGRAM, JOINED, "purchase", JOINED + timedelta(days=30))  # too late
    assert not qualifies(PROGRAM, JOINED, "purchase", JOINED - timedelta(seconds=1))


def test_invitee_states() -> None:
    day = timedelta(days=1)
    assert invitee_state(PROGRAM, JOINED, None, JOINED + day) is InviteeState.WAITING
    assert invitee_state(PROGRAM, JOINED, None, JOINED + 30 * day) is InviteeState.EXPIRED
    assert invitee_state(PROGRAM, JOINED, JOINED + day, JOINED + 90 * day) is (
        InviteeState.QUALIFIED
    )


# --- caps and the farming signal --------------------------------------------------------


def test_the_cap_per_period_stops_rewards_and_a_flagged_referrer_is_held() -> None:
    assert reward_outcome(PROGRAM, 2, flagged=False) is RewardOutcome.PAY
    assert reward_outcome(PROGRAM, 3, flagged=False) is RewardOutcome.CAPPED
    assert reward_outcome(PROGRAM, 0, flagged=True) is RewardOutcome.HELD
    uncapped = ReferralProgram(("purchase",), 30, 10)
    assert reward_outcome(uncapped, 10_000, flagged=False) is RewardOutcome.PAY


def test_farming_signal_judges_only_decided_invitees_against_the_threshold() -> None:
    q, e, w = InviteeState.QUALIFIED, InviteeState.EXPIRED, InviteeState.WAITING
    assert not farming_flagged(PROGRAM, [e, e, e])  # too few decided to judge
    assert not farming_flagged(PROGRAM, [e, e, e, w, w, w])  # waiting ones are not judged
    assert farming_flagged(PROGRAM, [e, e, e, q])  # 75% never qualified
    assert not farming_flagged(PROGRAM, [e, e, q, q])  # 50%
    assert farming_flagged(PROGRAM, [e, e, e, e, w])


# --- commission -------------------------------------------------------------------------


def test_commission_pays_two_levels_up_and_never_a_third() -> None:
    # 12345.67 in cents: 5% is 617.28 -> 617 points, 2% is 246.91 -> 246 points.
    shares = commission(PROGRAM, 1_234_567, ("bob", "alice", "zoe"))
    assert shares == (CommissionShare("bob", 1, 617), CommissionShare("alice", 2, 246))
    assert commission(PROGRAM, 1_234_567, ("bob",)) == (CommissionShare("bob", 1, 617),)
    assert commission(PROGRAM, 1_234_567, ()) == ()
    one_level = ReferralProgram(("purchase",), 30, 0, commission=(500,))
    assert commission(one_level, 10_000, ("bob", "alice")) == (CommissionShare("bob", 1, 5),)


def test_a_share_rounding_to_nothing_is_left_out() -> None:
    assert commission(PROGRAM, 1_999, ("bob", "alice")) == ()  # 0.9995 and 0.3998 points
    assert commission(PROGRAM, 2_000, ("bob", "alice")) == (CommissionShare("bob", 1, 1),)


def test_distributors_save_a_share_of_their_own_purchases() -> None:
    assert self_purchase_savings(PROGRAM, 100_000, "gold", None) == 30
    assert self_purchase_savings(PROGRAM, 100_000, "newcomer", "distributor") == 30
    assert self_purchase_savings(PROGRAM, 100_000, "newcomer", None) == 0


# --- a referral and the chain ----------------------------------------------------------


def test_the_upline_stops_at_the_depth_and_never_loops() -> None:
    chain = {
        "carol": Referral("carol", "bob", JOINED),
        "bob": Referral("bob", "alice", JOINED),
        "alice": Referral("alice", "zoe", JOINED),
    }
    assert upline(chain, "carol", PROGRAM.levels) == ("bob", "alice")
    assert upline(chain, "carol") == ("bob", "alice", "zoe")
    assert upline(chain, "zoe") == ()
    looped = {"a": Referral("a", "b", JOINED), "b": Referral("b", "a", JOINED)}
    assert upline(looped, "a") == ("b",)


def test_an_invitee_qualifies_once_within_the_time_limit() -> None:
    referral = Referral("bob", "alice", JOINED)
    at = JOINED + timedelta(days=3)
    assert qualify(PROGRAM, referral, "post", at, 0, False) is None  # not a qualifying kind
    late = JOINED + timedelta(days=30)
    assert qualify(PROGRAM, referral, "purchase", late, 0, False) is None
    done = qualify(PROGRAM, referral, "purchase", at, 0, False)
    assert done == Referral("bob", "alice", JOINED, at, RewardOutcome.PAY)
    assert done.state(PROGRAM, JOINED + timedelta(days=99)) is InviteeState.QUALIFIED
    assert qualify(PROGRAM, done, "purchase", at + timedelta(days=1), 0, False) is None
    held = qualify(PROGRAM, referral, "purchase", at, 0, True)
    assert held is not None
    assert held.outcome is RewardOutcome.HELD
    capped = qualify(PROGRAM, referral, "purchase", at, 3, False)
    assert capped is not None
    assert capped.outcome is RewardOutcome.CAPPED
    assert referral.state(PROGRAM, late) is InviteeState.EXPIRED


# --- ledger movements ------------------------------------------------------------------


def balances(*transfers: Transfer) -> dict[tuple[str, Bucket], int]:
    out: dict[tuple[str, Bucket], int] = {}
    for transfer in transfers:
        for p in transfer.postings:
            key = (p.account.owner_id, p.account.bucket)
            out[key] = out.get(key, 0) + p.amount
    return {k: v for k, v in out.items() if v}


def test_one_commission_transfer_pays_both_levels_pending_then_confirms() -> None:
    at = JOINED + timedelta(days=2)
    pending = commission_transfer(PROGRAM, "t1", "order-9", 1_234_567, ("bob", "alice"), at)
    assert pending is not None
    assert pending.kind is TransferKind.EARN
    assert pending.source.kind is SourceKind.REFERRAL
    assert pending.source.id == "order-9"
    assert balances(pending) == {
        ("issuance", Bucket.MAIN): -863,
        ("bob", Bucket.PENDING): 617,
        ("alice", Bucket.PENDING): 246,
    }
    assert commission_due(PROGRAM, pending) == at + timedelta(days=14)
    confirmed = confirm_pending("t2", pending, commission_due(PROGRAM, pending))
    assert balances(pending, confirmed) == {
        ("issuance", Bucket.MAIN): -863,
        ("bob", Bucket.AVAILABLE): 617,
        ("alice", Bucket.AVAILABLE): 246,
    }
    assert commission_transfer(PROGRAM, "t3", "order-10", 1_999, ("bob", "alice"), at) is None


def test_a_refund_voids_the_commission_at_every_level() -> None:
    at = JOINED + timedelta(days=2)
    pending = commission_transfer(PROGRAM, "t1", "order-9", 1_234_567, ("bob", "alice"), at)
    assert pending is not None
    voided = refund_commission("t2", pending, at + timedelta(days=3))
    assert voided.kind is TransferKind.VOID
    assert voided.pending_id == "t1"
    assert balances(pending, voided) == {}


def test_the_qualifying_activity_is_the_one_kept_or_the_one_at_the_qualifying_instant() -> None:
    at = JOINED + timedelta(days=3)
    done = qualify(PROGRAM, Referral("bob", "alice", JOINED), "purchase", at, 0, False, "act1")
    assert done is not None
    assert done.qualifying_activity_id == "act1"
    assert qualified_by(PROGRAM, done, "act1", "purchase", at)
    assert not qualified_by(PROGRAM, done, "act2", "purchase", at)  # same instant, not it
    legacy = Referral("bob", "alice", JOINED, at, RewardOutcome.PAY, "trf1")  # kept no activity
    assert qualified_by(PROGRAM, legacy, "any", "purchase", at)
    assert not qualified_by(PROGRAM, legacy, "any", "purchase", at + timedelta(seconds=1))
    assert not qualified_by(PROGRAM, legacy, "any", "post", at)  # not a qualifying kind
    assert not qualified_by(PROGRAM, Referral("bob", "alice", JOINED), "act1", "purchase", at)


@pytest.mark.parametrize(
    ("outcome", "transfer", "expected"),
    [
        (RewardOutcome.PAY, "trf1", RewardTakeBack.REVERSE),
        (RewardOutcome.CONFIRMED, "trf1", RewardTakeBack.REVERSE),
        (RewardOutcome.HELD, "trf1", RewardTakeBack.VOID),
        (RewardOutcome.REVERSED, "trf1", RewardTakeBack.NOTHING),  # an operator voided it
        (RewardOutcome.CAPPED, None, RewardTakeBack.NOTHING),
        (RewardOutcome.PAY, None, RewardTakeBack.NOTHING),  # the program pays no referrer
    ],
)
def test_reversing_the_qualifying_activity_takes_back_what_the_reward_became(
    outcome: RewardOutcome, transfer: str | None, expected: RewardTakeBack
) -> None:
    at = JOINED + timedelta(days=3)
    referral = Referral("bob", "alice", JOINED, at, outcome, transfer, "act1", "trf2")
    assert reward_take_back(referral) is expected
    back = unqualify(referral)
    assert back == Referral("bob", "alice", JOINED)  # waiting again: qualifies again once
    assert back.state(PROGRAM, at) is InviteeState.WAITING
    assert back.state(PROGRAM, JOINED + timedelta(days=30)) is InviteeState.EXPIRED


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (RewardOutcome.PAY, {("alice", Bucket.AVAILABLE): 200, ("bob", Bucket.AVAILABLE): 50}),
        (RewardOutcome.HELD, {("alice", Bucket.PENDING): 200, ("bob", Bucket.AVAILABLE): 50}),
        (RewardOutcome.CAPPED, {("bob", Bucket.AVAILABLE): 50}),
    ],
)
def test_qualifying_rewards_follow_the_outcome(
    outcome: RewardOutcome, expected: dict[tuple[str, Bucket], int]
) -> None:
    transfers = qualifying_rewards(PROGRAM, ("t1", "t2"), "alice", "bob", outcome, JOINED)
    assert all(t.source.kind is SourceKind.REFERRAL for t in transfers)
    got = balances(*transfers)
    got.pop(("issuance", Bucket.MAIN))
    assert got == expected


# --- the economy file -------------------------------------------------------------------

BASE = """[economy]
id = "r"
timezone = "Asia/Shanghai"

[rules.post]
kind = "post"
points = 5

[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "gold"
threshold = 1000
"""

GOOD = """
[referrals]
qualifying_kinds = ["purchase", "post"]
within_days = 14
referrer_points = 300
welcome_points = 50
commission = [500, 200]
commission_pending_days = 7
cap = 20
cap_period_days = 30
farming_min_invitees = 5
farming_unqualified_percent = 80
distributor_levels = ["gold"]
distributor_share = 300
"""


def issues(referrals: str) -> list[tuple[str, str, int | None]]:
    with pytest.raises(EconomyInvalid) as raised:
        parse_economy(BASE + referrals, "r.toml")
    assert all(i.source == "r.toml" for i in raised.value.issues)
    return [(i.table, i.field, i.line) for i in raised.value.issues]


def test_the_referrals_table_is_read() -> None:
    program = parse_economy(BASE + GOOD, "r.toml").referrals
    assert program == ReferralProgram(
        qualifying_kinds=("purchase", "post"),
        within_days=14,
        referrer_points=300,
        welcome_points=50,
        commission=(500, 200),
        commission_pending_days=7,
        cap=20,
        cap_period_days=30,
        farming_min_invitees=5,
        farming_unqualified_percent=80,
        distributor_levels=("gold",),
        distributor_share=300,
    )
    assert program.levels == 2
    assert parse_economy(BASE, "r.toml").referrals is None


def test_three_commission_levels_are_refused_naming_file_line_table_and_field() -> None:
    text = GOOD.replace("commission = [500, 200]", "commission = [500, 200, 100]")
    line = (BASE + text).splitlines().index("commission = [500, 200, 100]") + 1
    assert issues(text) == [("referrals", "commission", line)]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ('qualifying_kinds = ["purchase", "post"]', "qualifying_kinds"),
        ("commission = [500, 20000]", "commission"),
        ('commission = ["five"]', "commission"),
        ('distributor_levels = ["platinum"]', "distributor_levels"),
        ("within_days = 0", "within_days"),
        ("farming_unqualified_percent = 101", "farming_unqualified_percent"),
        ("cap = 0", "cap"),
        ("bonus = 1", "bonus"),
    ],
)
def test_bad_referral_settings_are_refused_with_their_field(change: str, key: str) -> None:
    if key == "qualifying_kinds":
        text = GOOD.replace(change, "qualifying_kinds = []")
    elif key == "bonus":
        text = GOOD + change + "\n"
    else:
        field = change.split(" = ", maxsplit=1)[0]
        original = next(x for x in GOOD.splitlines() if x.startswith(field + " ="))
        text = GOOD.replace(original, change)
    assert key in {k for _, k, _ in issues(text)}


def test_referrals_must_pay_something() -> None:
    text = '\n[referrals]\nqualifying_kinds = ["purchase"]\n'
    assert ("referrals", "referrer_points") in {(t, k) for t, k, _ in issues(text)}


def test_the_guide_says_what_referrals_earn_in_every_format() -> None:
    from domain.guide import build_guide
    from honorloop.guide_render import render_markdown, render_text

    guide = build_guide(parse_economy(BASE + GOOD, "r.toml"))
    assert guide.referrals is not None
    for said in ("within 14 days", "you earn 300 points", "they earn 50 points",
                 "5% of your invitees' purchases", "2% of the purchases of their invitees",
                 "7-day return window", "At most 20",
                 "Members of gold get 3%"):  # fmt: skip
        assert said in guide.referrals
    assert "REFERRALS" in render_text(guide)
    assert "## Referrals" in render_markdown(guide)
    assert build_guide(parse_economy(BASE, "r.toml")).referrals is None
