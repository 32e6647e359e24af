"""The ledger audit (`honorloop ledger verify`, the load tests) passes a healthy ledger and
names each kind of damage."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from persistence.sql import SqlStore
from persistence.sql.verify import verify_ledger
from tests.integration.shop import Shop
from tests.integration.test_store_contract import SHOP


@pytest.fixture
def trading(sql_store: SqlStore) -> SqlStore:
    shop = Shop(sql_store, SHOP)
    alice = shop.join("alice")
    shop.earn(alice, "post")
    shop.redeem(alice, "mug")
    return sql_store


def damage(store: SqlStore, statement: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(sa.text(statement))


def test_a_healthy_ledger_passes_the_audit(trading: SqlStore, sql_url: str) -> None:
    report = verify_ledger(sql_url)

    assert report.consistent
    assert (report.transfers, report.entries, report.issued) == (2, 4, 100)


@pytest.mark.parametrize(
    ("statement", "finding"),
    [
        (
            "UPDATE accounts SET balance = balance + 1",
            "cached balances that differ from the sum of their entries",
        ),
        (
            "DELETE FROM ledger_entries WHERE amount < 0"
            " AND transfer_id IN (SELECT id FROM transfers WHERE kind = 'hold')",
            "transfers that do not sum to zero",
        ),
        (
            "UPDATE ledger_entries SET owner_id = 'ghost' WHERE owner_kind = 'member'",
            "member accounts of unknown members",
        ),
        ("DELETE FROM activities", "idempotency records without their result"),
        ("DELETE FROM idempotency_keys", "activities without an idempotency record"),
    ],
)
def test_the_audit_names_the_damage(
    trading: SqlStore, sql_url: str, statement: str, finding: str
) -> None:
    damage(trading, statement)

    report = verify_ledger(sql_url)

    assert finding in report.violations
