"""Handles in any script, unique whatever their case; display names that show something;
external ids that are bounded and never empty. The same answers from every store."""

from __future__ import annotations

import pytest

from domain import services
from domain.commands import RegisterMember
from domain.economy import Economy
from domain.errors import AlreadyExists, InvalidInput
from domain.model import Member
from tests.integration.conftest import StoreFactory
from tests.integration.shop import DEFAULT_AT


def register(
    store: StoreFactory,
    economy: Economy,
    handle: str,
    display_name: str = "Someone",
    external_id: str | None = None,
) -> Member:
    cmd = RegisterMember(handle, display_name, DEFAULT_AT, external_id)
    return services.register_member(cmd, store(), economy)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("小明", "小明"), ("émile", "émile"), ("e\u0301mile", "émile"), ("１２３", "123")],
)
def test_a_handle_in_any_script_is_accepted_in_its_normal_form(
    store: StoreFactory, koc_economy: Economy, given: str, stored: str
) -> None:
    member = register(store, koc_economy, given)

    assert member.handle == stored
    with store() as uow:
        found = uow.members.get_by_handle(stored)
    assert found is not None
    assert found.id == member.id


@pytest.mark.parametrize("other", ["Alice", "ALICE", "ａｌｉｃｅ"])
def test_a_handle_differing_only_in_case_is_already_taken(
    store: StoreFactory, koc_economy: Economy, other: str
) -> None:
    alice = register(store, koc_economy, "alice")

    with pytest.raises(AlreadyExists):
        register(store, koc_economy, other)

    with store() as uow:
        found = uow.members.get_by_handle(other)
    assert found is not None
    assert found.id == alice.id


@pytest.mark.parametrize(
    "handle",
    ["", "   ", "\u200b\u200b", "\u3164\u3164", "al ice", "al\u200bice", "a@b", "___", "x" * 41],
)
def test_a_handle_that_is_not_letters_and_digits_is_invalid(
    store: StoreFactory, koc_economy: Economy, handle: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        register(store, koc_economy, handle)

    assert raised.value.field == "handle"
    with store() as uow:
        assert uow.members.ids(None, 10) == []


@pytest.mark.parametrize("display_name", ["", "   ", "\u200b\u200d", "\u3164", "\u2800 \u2800"])
def test_a_display_name_of_invisible_characters_only_is_invalid(
    store: StoreFactory, koc_economy: Economy, display_name: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        register(store, koc_economy, "alice", display_name)

    assert raised.value.field == "displayName"


@pytest.mark.parametrize("external_id", ["", " ", " padded", "x" * 101])
def test_an_empty_blank_or_overlong_external_id_is_invalid(
    store: StoreFactory, koc_economy: Economy, external_id: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        register(store, koc_economy, "alice", external_id=external_id)

    assert raised.value.field == "externalId"
    with store() as uow:
        assert uow.members.ids(None, 10) == []


def test_an_external_id_of_the_maximum_length_is_kept_exactly(
    store: StoreFactory, koc_economy: Economy
) -> None:
    member = register(store, koc_economy, "alice", external_id="Ext-" + "x" * 96)

    assert member.id == "Ext-" + "x" * 96
