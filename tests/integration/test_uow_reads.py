"""Units of work that only read, and reads before writes. On PostgreSQL reads run without
a transaction (READ COMMITTED gives each statement its own snapshot either way); these
specify that the pooled connection still keeps nothing a unit of work did not commit."""

from __future__ import annotations

from domain.model import Member
from persistence.sql import SqlStore
from tests.integration.shop import DEFAULT_AT


def ghost() -> Member:
    return Member("m1", "ghost", "Ghost", DEFAULT_AT, "newcomer")


def test_after_a_unit_of_work_that_only_read_uncommitted_writes_are_still_dropped(
    sql_store: SqlStore,
) -> None:
    with sql_store() as uow:
        assert uow.members.get("m1") is None  # a read only: the connection goes back

    with sql_store() as uow:  # the same pooled connection
        uow.members.add(ghost())  # never committed

    with sql_store() as uow:
        assert uow.members.get("m1") is None


def test_writes_after_reads_in_one_unit_of_work_are_dropped_unless_committed(
    sql_store: SqlStore,
) -> None:
    with sql_store() as uow:
        assert uow.members.get_by_handle("ghost") is None
        uow.members.add(ghost())

    with sql_store() as uow:
        assert uow.members.get_by_handle("ghost") is None


def test_writes_after_reads_in_one_unit_of_work_are_kept_when_committed(
    sql_store: SqlStore,
) -> None:
    with sql_store() as uow:
        assert uow.members.get_by_handle("ghost") is None
        uow.members.add(ghost())
        uow.commit()

    with sql_store() as uow:
        found = uow.members.get("m1")
        assert found is not None
        assert found.handle == "ghost"
