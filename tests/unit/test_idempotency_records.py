"""Idempotency records keep the first command's payload as a digest or as the command
itself (issue 11, the lazy fingerprint): the in-memory store keeps the command and hashes
nothing on the hot path, a replay of an equal command compares no digest, and a retry
that differs only in what is no part of the payload (its arrival time) still replays
through the digests, as it always has."""

from __future__ import annotations

from datetime import timedelta

import pytest

import domain.commands
from domain import services
from domain.commands import RecordActivity, RedeemReward, fingerprint
from domain.errors import IdempotencyKeyReused
from domain.model import IdempotencyRecord
from tests.unit.builders import World, local, sample_economy

MONDAY = local(2026, 3, 2, 12)


@pytest.fixture
def digests(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every command `domain.commands.fingerprint` is asked to digest."""
    asked: list[object] = []
    real = domain.commands.fingerprint

    def counting(command: object) -> str:
        asked.append(command)
        return real(command)

    monkeypatch.setattr(domain.commands, "fingerprint", counting)
    return asked


def test_recording_and_replaying_an_equal_command_on_the_memory_store_hashes_nothing(
    digests: list[object],
) -> None:
    world = World(sample_economy())
    alice = world.join("alice")
    cmd = world.activity(alice, "post", MONDAY, "note-1", "k1", photos=2)

    first = services.record_activity(cmd, world.store(), world.economy)
    replay = services.record_activity(cmd, world.store(), world.economy)

    assert replay.replayed
    assert replay.record == first.record
    assert digests == []


def test_a_retry_arriving_later_is_compared_by_digest_and_replays(digests: list[object]) -> None:
    world = World(sample_economy())
    alice = world.join("alice")
    cmd = world.activity(alice, "post", MONDAY, "note-1", "k1", photos=2)
    services.record_activity(cmd, world.store(), world.economy)
    retry = world.activity(
        alice, "post", MONDAY, "note-1", "k1", received=MONDAY + timedelta(minutes=3), photos=2
    )

    replay = services.record_activity(retry, world.store(), world.economy)

    assert replay.replayed
    assert digests == [cmd, retry]  # the first command's digest, then the retry's


def test_another_payload_under_the_same_key_is_refused_on_the_memory_store() -> None:
    world = World(sample_economy())
    alice = world.join("alice")
    services.record_activity(
        world.activity(alice, "post", MONDAY, "note-1", "k1", photos=2),
        world.store(),
        world.economy,
    )

    with pytest.raises(IdempotencyKeyReused):
        services.record_activity(
            world.activity(alice, "post", MONDAY, "note-2", "k1", photos=2),
            world.store(),
            world.economy,
        )


def test_a_record_kept_with_its_command_reads_the_digest_a_store_persists() -> None:
    cmd = RecordActivity("mem_1", "post", MONDAY, "k1", "note-1", {"photos": 2}, at=MONDAY)

    kept = IdempotencyRecord("s", "k1", None, "activity", "act_1", command=cmd)
    stored = IdempotencyRecord("s", "k1", fingerprint(cmd), "activity", "act_1")

    assert kept.fingerprint == fingerprint(cmd)
    assert kept == stored
    assert hash(kept) == hash(stored)
    assert repr(kept) == repr(stored)
    assert "fingerprint='" in repr(stored)


def test_a_stored_digest_decides_for_a_record_without_its_command() -> None:
    cmd = RedeemReward("mem_1", "mug", 1, "k1", MONDAY)
    stored = IdempotencyRecord("s", "k1", fingerprint(cmd), "redemption", "red_1")

    assert stored.same_payload(RedeemReward("mem_1", "mug", 1, "k1", MONDAY + timedelta(hours=1)))
    assert not stored.same_payload(RedeemReward("mem_1", "mug", 2, "k1", MONDAY))
    assert not stored.same_payload(RecordActivity("mem_1", "mug", MONDAY, "k1", at=MONDAY))


def test_a_kept_command_of_another_type_is_never_the_same_payload() -> None:
    first = RedeemReward("mem_1", "mug", 1, "k1", MONDAY)
    kept = IdempotencyRecord("s", "k1", None, "redemption", "red_1", command=first)

    assert kept.same_payload(first)
    assert not kept.same_payload(RecordActivity("mem_1", "mug", MONDAY, "k1", at=MONDAY))


def test_a_record_needs_a_digest_or_a_command() -> None:
    with pytest.raises(AssertionError, match="payload"):
        IdempotencyRecord("s", "k1", None, "activity", "act_1")
