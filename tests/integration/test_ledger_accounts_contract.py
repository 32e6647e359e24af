"""The typed ledger through the port, identical on the memory store, SQLite and
PostgreSQL: a transfer paying two members, a hold settled or voided once only, and
accounts that may not go negative refusing a debit while system accounts go below zero."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import ledger
from domain.economy import Economy
from domain.ledger import (
    ISSUANCE,
    REDEMPTION,
    Source,
    SourceKind,
    TransferKind,
    available_account,
    held_account,
)
from tests.integration.checks import assert_consistent
from tests.integration.conftest import StoreFactory
from tests.integration.shop import Shop

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
REFERRAL = Source(SourceKind.REFERRAL, "ref_1")
REDEEMED = Source(SourceKind.REDEMPTION, "red_1")


@pytest.fixture
def members(store: StoreFactory, koc_economy: Economy) -> tuple[str, str]:
    shop = Shop(store, koc_economy)
    return shop.join("alice"), shop.join("bob")


def test_one_transfer_pays_a_referrer_and_a_referee(
    store: StoreFactory, members: tuple[str, str]
) -> None:
    alice, bob = members
    with store() as uow:
        paid = ledger.earn(uow.next_id("trf"), {alice: 50, bob: 20}, AT, REFERRAL, "ref_1")
        assert uow.ledger.post(paid)
        uow.commit()

    with store() as uow:
        balances = uow.ledger.balances([available_account(alice), available_account(bob)])
        issued = uow.ledger.balance(ISSUANCE)
        mine, theirs = uow.ledger.entries(alice, None, 10), uow.ledger.entries(bob, None, 10)
        top = uow.ledger.top_earners(None, 5)

    assert list(balances.values()) == [50, 20]
    assert issued == -70
    assert [(e.transfer_id, e.account, e.amount) for e in mine] == [
        (paid.id, available_account(alice), 50)
    ]
    assert [(e.transfer_id, e.account, e.amount) for e in theirs] == [
        (paid.id, available_account(bob), 20)
    ]
    assert top == [(alice, 50), (bob, 20)]
    assert_consistent(store)


def test_a_hold_is_settled_or_voided_once_only(
    store: StoreFactory, members: tuple[str, str]
) -> None:
    alice, _ = members
    with store() as uow:
        earned = ledger.earn(uow.next_id("trf"), {alice: 50}, AT, REFERRAL, "ref_1")
        hold = ledger.hold(uow.next_id("trf"), alice, 40, AT, REDEEMED, "red_1", "mug")
        assert uow.ledger.post(earned)
        assert uow.ledger.post(hold)
        uow.commit()

    with store() as uow:
        found = uow.ledger.open_hold(REDEEMED)
        assert found == hold
        assert uow.ledger.post(ledger.spend(uow.next_id("trf"), found, AT, "mug"))
        uow.commit()
    with store() as uow:
        settled_again = uow.ledger.post(ledger.spend(uow.next_id("trf"), hold, AT))
        voided_after = uow.ledger.post(ledger.release(uow.next_id("trf"), hold, AT))
        still_open = uow.ledger.open_hold(REDEEMED)
        balances = uow.ledger.balances([available_account(alice), held_account(alice)])
        spent = uow.ledger.balance(REDEMPTION)
        kinds = [e.kind for e in uow.ledger.entries(alice, None, 10)]

    assert (settled_again, voided_after, still_open) == (False, False, None)
    assert list(balances.values()) == [10, 0]
    assert spent == 40
    assert kinds == [TransferKind.SPEND, TransferKind.HOLD, TransferKind.HOLD, TransferKind.EARN]
    assert_consistent(store)


def test_a_member_account_refuses_to_go_negative_and_writes_nothing(
    store: StoreFactory, members: tuple[str, str]
) -> None:
    alice, bob = members
    with store() as uow:
        assert uow.ledger.post(ledger.earn(uow.next_id("trf"), {alice: 10}, AT, REFERRAL, "r"))
        uow.commit()

    with store() as uow:
        refused = uow.ledger.post(ledger.adjust(uow.next_id("trf"), alice, -11, AT, "op", "k", ""))
        both = ledger.earn(uow.next_id("trf"), {alice: 5, bob: 5}, AT, REFERRAL, "r2")
        undone = uow.ledger.post(ledger.reverse(uow.next_id("trf"), both, AT, REFERRAL, "x"))
        uow.commit()
    with store() as uow:
        balances = uow.ledger.balances([available_account(alice), available_account(bob)])
        entries = uow.ledger.entries(alice, None, 10)

    assert (refused, undone) == (False, False)
    assert list(balances.values()) == [10, 0]
    assert len(entries) == 1
    assert_consistent(store)
