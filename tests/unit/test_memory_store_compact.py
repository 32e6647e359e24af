"""The simulator's store holds what the rules read for ever in compact form (issue 11,
bounded memory): subject marks as 64-bit ints in sorted arrays, and no quest progress
of closed periods.
Compact must never mean wrong: every mark answers as a plain set of triples would, and
a read of a dropped quest period is refused by name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.quests import QuestProgress, QuestState
from persistence.memory import HistoryNotKept, MemoryStore, SubjectMarks

AT = datetime(2026, 3, 2, 12, tzinfo=UTC)


def test_marks_that_differ_only_in_leading_zeros_rule_or_member_stay_apart() -> None:
    marks = SubjectMarks()
    marks.add("m1", "post", "act_00000042")

    assert marks.has("m1", "post", "act_00000042")
    for member, rule, subject in [
        ("m1", "post", "act_0000042"),
        ("m1", "post", "act_000000042"),
        ("m1", "post", "act_42"),
        ("m1", "post", "act_00000043"),
        ("m1", "like", "act_00000042"),
        ("m2", "post", "act_00000042"),
        ("m1", "post", "bct_00000042"),
    ]:
        assert not marks.has(member, rule, subject), (member, rule, subject)
    assert len(marks) == 1


def test_subjects_without_a_number_or_with_a_huge_one_are_kept_as_they_are() -> None:
    marks = SubjectMarks()
    huge = "n" + "9" * 30
    for subject in ("", "0", "00", "note", huge, "like:7", "ä١٢"):
        marks.add("m1", "r", subject)
        marks.add("m1", "r", subject)  # twice: counted once

    assert len(marks) == 7
    assert ("m1", "r", huge) in marks
    assert not marks.has("m1", "r", "n" + "9" * 29)
    assert not marks.has("m1", "r", "000")
    assert "m1" not in marks  # not a mark at all


_TEXT = st.text(alphabet="ab_:0123456789", max_size=8)


@given(st.sets(st.tuples(st.sampled_from(["m1", "m2"]), st.sampled_from(["r", "s"]), _TEXT)),
       st.lists(st.tuples(st.sampled_from(["m1", "m2", "m3"]), st.sampled_from(["r", "s", "t"]),
                          _TEXT)))  # fmt: skip
def test_marks_answer_exactly_as_a_set_of_triples(
    added: set[tuple[str, str, str]], asked: list[tuple[str, str, str]]
) -> None:
    marks = SubjectMarks()
    marks.update(added)

    assert len(marks) == len(added)
    for mark in [*added, *asked]:
        assert (mark in marks) == (mark in added), mark


_MARK = st.tuples(st.sampled_from(["m1", "m2"]), st.sampled_from(["r", "s"]), _TEXT)


@given(st.lists(st.tuples(st.sampled_from(["has", "add", "update"]), st.lists(_MARK, max_size=4))))
def test_marks_checked_then_committed_answer_as_a_set(
    steps: list[tuple[str, list[tuple[str, str, str]]]],
) -> None:
    """As the store uses them: `has` while a batch records (its subjects' splits kept for
    the commit), `update` on commit (which drops them), `add` alone; the answers stay
    those of a set of triples whatever the order."""
    marks = SubjectMarks()
    plain: set[tuple[str, str, str]] = set()
    for step, batch in steps:
        if step == "has":
            for mark in batch:
                assert marks.has(*mark) == (mark in plain), mark
        elif step == "add":
            for mark in batch:
                marks.add(*mark)
                plain.add(mark)
        else:
            marks.update(batch)
            plain.update(batch)
        assert len(marks) == len(plain)
    for mark in plain:
        assert mark in marks


def _progress(member_id: str, quest_id: str, instance: int) -> QuestProgress:
    return QuestProgress(member_id, quest_id, instance, (1,), QuestState.ACTIVE, AT)


def _store_with_two_periods() -> MemoryStore:
    store = MemoryStore(keep_history=False)
    with store() as uow:
        for member_id in ("alice", "bob"):
            uow.quests.add(_progress(member_id, "daily", 10))
            uow.quests.add(_progress(member_id, "daily", 11))
        uow.commit()
    return store


def test_a_forgotten_quest_period_is_dropped_and_its_reads_refused() -> None:
    store = _store_with_two_periods()

    dropped = store.forget_quest_periods(lambda quest_id, instance: instance < 11)

    assert dropped == 2
    assert list(store.state.quests) == [("daily", 11)]
    with store() as uow:
        assert uow.quests.get("alice", "daily", 11) == _progress("alice", "daily", 11)
        assert uow.quests.get("alice", "daily", 12) is None  # not started: none, rightly
        with pytest.raises(HistoryNotKept, match="daily@10, a closed period"):
            uow.quests.get("alice", "daily", 10)
        with pytest.raises(HistoryNotKept, match="quest history of alice"):
            uow.quests.list_for_member("alice", None, 10)


def test_forgetting_nothing_keeps_every_period_readable() -> None:
    store = _store_with_two_periods()

    assert store.forget_quest_periods(lambda quest_id, instance: False) == 0

    with store() as uow:
        listed = uow.quests.list_for_member("bob", None, 10)
    assert [(p.quest_id, p.instance) for p in listed] == [("daily", 11), ("daily", 10)]


def test_a_store_keeping_its_history_refuses_to_forget_quest_periods() -> None:
    store = MemoryStore()

    with pytest.raises(ValueError, match="keeps every quest period"):
        store.forget_quest_periods(lambda quest_id, instance: True)
