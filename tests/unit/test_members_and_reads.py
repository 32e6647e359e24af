"""Members joining, and the public reads: balances, the member's ledger page by page,
and leaderboards over local days, weeks and months."""

from datetime import timedelta

import pytest

from domain import services
from domain.commands import RegisterMember
from domain.errors import AlreadyExists, InvalidInput, NotFound
from domain.ledger import Balances, available_account
from tests.unit.builders import World, economy_from, local

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 40

[rules.like]
kind = "like"
points = 10
"""
)
MONDAY = local(2026, 3, 2, 12)


@pytest.fixture
def world() -> World:
    return World(ECONOMY)


def register(world: World, handle: str, name: str = "Someone", member_id: str | None = None) -> str:
    cmd = RegisterMember(handle, name, MONDAY, member_id)
    return services.register_member(cmd, world.store(), ECONOMY).id


# --- joining ---------------------------------------------------------------------------


def test_a_new_member_starts_with_nothing_at_the_first_level(world: World) -> None:
    alice = register(world, "alice")

    member = world.member(alice)
    assert world.balances(alice) == Balances(0, 0, 0)
    assert (member.level_id, member.koc_tier, member.qualifying_points) == ("newcomer", None, 0)


def test_a_handle_is_unique(world: World) -> None:
    register(world, "alice")

    with pytest.raises(AlreadyExists) as raised:
        register(world, "alice")

    assert raised.value.ident == "alice"


def test_a_chosen_member_id_is_unique(world: World) -> None:
    register(world, "alice", member_id="m-1")

    with pytest.raises(AlreadyExists):
        register(world, "bob", member_id="m-1")


@pytest.mark.parametrize("handle", ["", "   ", "has space", "x" * 41, "emoji🙂"])
def test_a_handle_outside_the_allowed_shape_is_rejected(world: World, handle: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        register(world, handle)

    assert raised.value.field == "handle"


def test_a_display_name_is_required(world: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        register(world, "alice", name="  ")

    assert raised.value.field == "displayName"


def test_balances_of_an_unknown_member_are_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.balances("mem_nobody")


# --- the member's ledger ---------------------------------------------------------------


def test_a_members_ledger_reads_newest_first_page_by_page(world: World) -> None:
    alice = register(world, "alice")
    bob = register(world, "bob")
    for hour in (9, 10, 11):
        world.earn(alice, "like", MONDAY.replace(hour=hour))
        world.earn(bob, "post", MONDAY.replace(hour=hour))

    first = services.ledger_entries(alice, world.store(), first=2)
    rest = services.ledger_entries(alice, world.store(), after_seq=first[-1].seq, first=2)

    assert [e.at.hour for e in first + rest] == [11, 10, 9]
    assert {(e.account, e.amount) for e in first + rest} == {(available_account(alice), 10)}


# --- leaderboards ----------------------------------------------------------------------


def test_leaderboards_count_earnings_since_the_start_of_the_local_period(world: World) -> None:
    alice, bob = register(world, "alice"), register(world, "bob")
    world.earn(alice, "post", local(2026, 3, 1, 23, 30))  # Sunday night, last week
    world.earn(bob, "like", local(2026, 3, 2, 0, 30))  # Monday, just after midnight
    as_of = local(2026, 3, 2, 9)

    def board(period: str) -> list[tuple[str, int]]:
        rows = services.leaderboard(world.store(), ECONOMY, period, as_of)
        return [(m.handle, points) for m, points in rows]

    assert board("day") == [("bob", 10)]
    assert board("week") == [("bob", 10)]
    assert board("month") == [("alice", 40), ("bob", 10)]
    assert board("all_time") == [("alice", 40), ("bob", 10)]


def test_spending_and_adjustments_do_not_move_the_leaderboard(world: World) -> None:
    alice = register(world, "alice")
    world.earn(alice, "post", MONDAY)
    world.adjust(alice, 500, MONDAY)
    world.adjust(alice, -30, MONDAY + timedelta(hours=1))

    rows = services.leaderboard(world.store(), ECONOMY, "all_time", MONDAY)

    assert [(m.handle, points) for m, points in rows] == [("alice", 40)]


def test_an_unknown_leaderboard_period_is_rejected_naming_the_field(world: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.leaderboard(world.store(), ECONOMY, "decade", MONDAY)

    assert raised.value.field == "period"


def test_member_ids_page_in_ascending_order_for_batch_jobs(world: World) -> None:
    # given five members registered in an order unlike their ids
    for n in (3, 1, 5, 2, 4):
        register(world, f"m{n}", member_id=f"m-{n}")

    # when a batch job reads them two at a time
    pages, after = [], None
    while page := services.member_ids(world.store(), after, 2):
        pages.append(page)
        after = page[-1]

    # then every member comes once, in id order
    assert pages == [["m-1", "m-2"], ["m-3", "m-4"], ["m-5"]]
