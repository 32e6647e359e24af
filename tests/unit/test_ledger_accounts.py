"""Typed ledger accounts and the named movements (`domain.ledger`): every constructor
builds a balanced transfer with its source, a settle or void names its hold, and one
transfer may pay several members."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import ledger
from domain.ledger import (
    ADJUSTMENT,
    EXPIRY,
    ISSUANCE,
    REDEMPTION,
    Account,
    Bucket,
    OwnerKind,
    Posting,
    Source,
    SourceKind,
    Transfer,
    TransferKind,
    available_account,
    held_account,
    pending_account,
)
from persistence.memory import MemoryStore

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
REDEEMED = Source(SourceKind.REDEMPTION, "red_1")


def postings(transfer: Transfer) -> list[tuple[Account, int]]:
    return [(p.account, p.amount) for p in transfer.postings]


def test_member_accounts_may_not_go_negative_and_system_accounts_may() -> None:
    member = [available_account("alice"), held_account("alice"), pending_account("alice")]
    others = [
        Account(OwnerKind.CAMPAIGN, "spring", Bucket.MAIN),
        Account(OwnerKind.TEAM, "t1", Bucket.MAIN),
    ]

    assert [a.may_go_negative for a in member + others] == [False] * 5
    assert all(a.may_go_negative for a in (ISSUANCE, ADJUSTMENT, REDEMPTION, EXPIRY))
    assert [a.member_id for a in member] == ["alice"] * 3
    assert ISSUANCE.member_id is None


def test_an_account_is_a_value_and_a_members_accounts_are_interned() -> None:
    built = Account(OwnerKind.MEMBER, "alice", Bucket.AVAILABLE)

    assert available_account("alice") == built
    assert hash(available_account("alice")) == hash(built)
    assert available_account("alice") is available_account("alice")
    assert available_account("alice") != held_account("alice")
    assert str(built) == "member:alice:available"


def test_a_full_account_cache_starts_again_and_keeps_interning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past `_interned_max` members the cache is emptied, not frozen: the members read
    since are interned again (at a million members, 90% were built afresh on each read),
    and it never holds more than the cap."""
    monkeypatch.setattr(ledger, "_interned_max", 3)
    monkeypatch.setattr(ledger, "_available", {})
    first = [available_account(f"m{i}") for i in range(3)]
    assert all(available_account(f"m{i}") is first[i] for i in range(3))

    late = available_account("m3")  # the cache was full: it starts again with m3

    assert available_account("m3") is late
    assert len(ledger._available) == 1
    for i in range(10):
        available_account(f"n{i}")
        assert len(ledger._available) <= 3
    assert available_account("n9") is available_account("n9")
    assert available_account("m0") == first[0]  # a value all the same


def test_earning_issues_points_to_the_members_available_bucket() -> None:
    source = Source(SourceKind.RULE, "act_1")

    earned = ledger.earn("trf_1", {"alice": 15}, AT, source, "act_1", "post")

    assert earned.kind is TransferKind.EARN
    assert earned.source == source
    assert postings(earned) == [(ISSUANCE, -15), (available_account("alice"), 15)]
    assert (earned.amount, earned.member_ids, earned.pending_id) == (15, ("alice",), None)


def test_one_transfer_pays_a_referrer_and_a_referee() -> None:
    source = Source(SourceKind.REFERRAL, "ref_1")

    paid = ledger.earn("trf_1", {"alice": 50, "bob": 20}, AT, source, "ref_1")

    assert postings(paid) == [
        (ISSUANCE, -70),
        (available_account("alice"), 50),
        (available_account("bob"), 20),
    ]
    assert paid.member_ids == ("alice", "bob")


def test_pending_points_wait_in_the_pending_bucket_until_confirmed() -> None:
    source = Source(SourceKind.RULE, "act_1")

    earned = ledger.earn("trf_1", {"alice": 30}, AT, source, "act_1", pending=True)
    confirmed = ledger.confirm_pending("trf_2", earned, AT)

    assert postings(earned) == [(ISSUANCE, -30), (pending_account("alice"), 30)]
    assert postings(confirmed) == [
        (pending_account("alice"), -30),
        (available_account("alice"), 30),
    ]
    assert confirmed.kind is TransferKind.CONFIRM
    assert confirmed.pending_id == "trf_1"


def test_a_spend_settles_its_hold_and_a_release_voids_it() -> None:
    hold = ledger.hold("trf_1", "alice", 40, AT, REDEEMED, "red_1", "mug")

    spend = ledger.spend("trf_2", hold, AT, "mug")
    release = ledger.release("trf_3", hold, AT, "mug")

    assert postings(hold) == [(available_account("alice"), -40), (held_account("alice"), 40)]
    assert postings(spend) == [(held_account("alice"), -40), (REDEMPTION, 40)]
    assert postings(release) == [(held_account("alice"), -40), (available_account("alice"), 40)]
    assert (spend.pending_id, release.pending_id) == ("trf_1", "trf_1")
    assert spend.source == release.source == hold.source
    assert hold.pending_id is None


def test_only_a_hold_is_settled_or_voided() -> None:
    earned = ledger.earn("trf_1", {"alice": 15}, AT, Source(SourceKind.RULE, "a"), "a")

    with pytest.raises(AssertionError, match="only a hold"):
        ledger.spend("trf_2", earned, AT)
    with pytest.raises(AssertionError, match="only a hold"):
        ledger.release("trf_2", earned, AT)


def test_a_reversal_mirrors_any_earlier_transfer() -> None:
    paid = ledger.earn("trf_1", {"alice": 50, "bob": 20}, AT, Source(SourceKind.REFERRAL, "r"), "r")
    operator = Source(SourceKind.OPERATOR, "op-eve")

    reversed_ = ledger.reverse("trf_2", paid, AT, operator, "fraud")

    assert postings(reversed_) == [(a, -amount) for a, amount in postings(paid)]
    assert (reversed_.kind, reversed_.reference, reversed_.source) == (
        TransferKind.REVERSE,
        "trf_1",
        operator,
    )


def test_expiry_and_adjustment_name_their_source() -> None:
    expired = ledger.expire("trf_1", "alice", 10, AT, "expiry", "past the horizon")
    adjusted = ledger.adjust("trf_2", "alice", -5, AT, "op-eve", "key-1", "typo")

    assert postings(expired) == [(available_account("alice"), -10), (EXPIRY, 10)]
    assert expired.source == Source(SourceKind.EXPIRY, "expiry")
    assert postings(adjusted) == [(ADJUSTMENT, 5), (available_account("alice"), -5)]
    assert adjusted.source == Source(SourceKind.OPERATOR, "op-eve")


@pytest.mark.parametrize(
    "amounts",
    [(-15, 10), (0, 0), ()],
    ids=["unbalanced", "zero posting", "no posting"],
)
def test_a_transfer_that_is_unbalanced_or_has_a_zero_posting_is_refused(
    amounts: tuple[int, ...],
) -> None:
    accounts = (ISSUANCE, available_account("alice"))
    with pytest.raises(AssertionError):
        Transfer(
            "trf_1",
            TransferKind.EARN,
            tuple(Posting(a, n) for a, n in zip(accounts, amounts, strict=False)),
            AT,
            Source(SourceKind.RULE, "a"),
            "a",
        )


def test_a_hold_is_settled_or_voided_once_in_the_memory_store() -> None:
    store = MemoryStore()
    with store() as uow:
        earn = ledger.earn("trf_1", {"alice": 50}, AT, Source(SourceKind.RULE, "a"), "a")
        hold = ledger.hold("trf_2", "alice", 40, AT, REDEEMED, "red_1")
        assert uow.ledger.post(earn)
        assert uow.ledger.post(hold)
        assert uow.ledger.open_hold(REDEEMED) == hold
        assert uow.ledger.post(ledger.spend("trf_3", hold, AT))
        assert not uow.ledger.post(ledger.release("trf_4", hold, AT))
        assert not uow.ledger.post(ledger.spend("trf_5", hold, AT))
        uow.commit()

    with store() as uow:
        assert uow.ledger.open_hold(REDEEMED) is None
        assert not uow.ledger.post(ledger.release("trf_6", hold, AT))
        balances = uow.ledger.balances([available_account("alice"), held_account("alice")])
    assert list(balances.values()) == [10, 0]
