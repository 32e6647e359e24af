"""The memory store answers its per-member reads (a member's open pending earnings, a
member's redemptions, honors and friend quests, an honor's holders, a member's helps on a
day) from indexes it keeps on commit, so that a read about one member costs what that
member has, not what the whole store has (issue 11: the simulator makes these reads every
day, and a scan of every record made the cost per member-day grow with the population).

An index must never change an answer: random sequences of writes, committed or rolled
back, are read through the store and through a plain scan of everything committed and
staged (what the store answered before the indexes), and must agree, read inside the unit
of work (staged writes visible) and after it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import ledger
from domain.ledger import Source, SourceKind, Transfer, TransferKind, is_pending_earning
from domain.model import HonorAward, Redemption, RedemptionStatus
from domain.team_help import (
    FriendQuestInstance,
    FriendQuestKind,
    InstanceState,
    Participation,
)
from persistence.memory import MemoryStore, MemoryUnitOfWork

AT = datetime(2026, 3, 2, 12, tzinfo=UTC)
MEMBERS = ("m1", "m2", "m3")
SOURCES = ("a1", "a2", "a3", "a4")
IDS = ("x1", "x2", "x3", "x4")

_op = st.one_of(
    st.tuples(st.just("earn"), st.sampled_from(MEMBERS), st.sampled_from(SOURCES)),
    st.tuples(st.just("confirm"), st.sampled_from(SOURCES), st.booleans()),
    st.tuples(
        st.just("redeem"),
        st.sampled_from(IDS),
        st.sampled_from(MEMBERS),
        st.sampled_from(["r1", "r2"]),
        st.integers(1, 3),
    ),
    st.tuples(st.just("cancel"), st.sampled_from(IDS)),
    st.tuples(
        st.just("grant"),
        st.sampled_from(IDS),
        st.sampled_from(MEMBERS),
        st.sampled_from(["h1", "h2"]),
    ),
    st.tuples(st.just("revoke"), st.sampled_from(IDS)),
    st.tuples(st.just("start"), st.sampled_from(IDS), st.sampled_from(MEMBERS)),
    st.tuples(st.just("join"), st.sampled_from(IDS), st.sampled_from(MEMBERS), st.integers(0, 2)),
    st.just(("commit",)),
    st.just(("rollback",)),
)


def _pending_by_scan(uow: MemoryUnitOfWork, member_id: str) -> list[Transfer]:
    opened = {**uow.state.holds, **uow.staged.holds}
    found = [
        t
        for t in opened.values()
        if t is not None and is_pending_earning(t) and member_id in t.member_ids
    ]
    return sorted(found, key=lambda t: t.id)


def _check(uow: MemoryUnitOfWork) -> None:
    s, staged = uow.state, uow.staged
    redemptions = {**s.redemptions, **staged.redemptions}
    honors = {**s.honors, **staged.honors}
    friend_quests = {**s.friend_quests, **staged.friend_quests}
    participations = [*s.participations, *staged.participations]
    for member in MEMBERS:
        assert uow.ledger.open_pending(member) == _pending_by_scan(uow, member)
        for reward in ("r1", "r2"):
            assert uow.redemptions.active_quantity(member, reward) == sum(
                r.quantity
                for r in redemptions.values()
                if r.member_id == member
                and r.reward_id == reward
                and r.status is not RedemptionStatus.CANCELLED
            )
        mine = sorted(
            (r for r in redemptions.values() if r.member_id == member),
            key=lambda r: r.id,
            reverse=True,
        )
        assert uow.redemptions.list_for_member(member, None, 10) == mine
        assert (
            uow.redemptions.list_for_member(member, "x3", 1) == [r for r in mine if r.id < "x3"][:1]
        )
        for honor in ("h1", "h2"):
            assert uow.honors.active(member, honor) == next(
                (
                    a
                    for a in honors.values()
                    if a.member_id == member and a.honor_id == honor and a.active
                ),
                None,
            )
        assert uow.honors.list_for_member(member) == sorted(
            (a for a in honors.values() if a.member_id == member), key=lambda a: a.id
        )
        in_quests = sorted(
            (i for i in friend_quests.values() if i.starter_id == member or member in i.members),
            key=lambda i: i.id,
        )
        assert uow.friend_quests.for_member(member, None, 10) == in_quests
        for started in (True, False):
            assert uow.friend_quests.count_for_member(
                member, "q", (InstanceState.OPEN,), started, AT
            ) == sum(1 for i in in_quests if i.starter_id == member or not started)
        for day in range(3):
            assert uow.friend_quests.helps_on_day(member, day) == sum(
                1
                for p in participations
                if p.member_id == member and p.day == day and p.kind is FriendQuestKind.HELP
            )
    for honor in ("h1", "h2"):
        assert uow.honors.holders(honor) == len(
            {a.member_id for a in honors.values() if a.honor_id == honor and a.active}
        )


def _apply(uow: MemoryUnitOfWork, op: tuple[object, ...], n: int) -> None:
    match op:
        case ("earn", str(member), str(source_id)):
            source = Source(SourceKind.RULE, source_id)
            if all(source not in {t.source for t in uow.ledger.open_pending(m)} for m in MEMBERS):
                earn = ledger.earn(
                    f"t{n:04d}", {member: 5}, AT, source, source_id, "post", pending=True
                )
                assert uow.ledger.post(earn)
        case ("confirm", str(source_id), bool(confirm)):
            source = Source(SourceKind.RULE, source_id)
            pending = next(
                (t for m in MEMBERS for t in uow.ledger.open_pending(m) if t.source == source), None
            )
            if pending is not None:
                settle = (
                    ledger.confirm_pending(f"t{n:04d}", pending, AT, "ok", None)
                    if confirm
                    else ledger.void_pending(f"t{n:04d}", pending, AT, "void")
                )
                assert uow.ledger.post(settle)
        case ("redeem", str(ident), str(member), str(reward), int(quantity)):
            if uow.redemptions.get(ident) is None:
                uow.redemptions.add(
                    Redemption(
                        ident, member, reward, quantity, 10, RedemptionStatus.RESERVED, AT, AT
                    )
                )
        case ("cancel", str(ident)):
            found = uow.redemptions.get(ident)
            if found is not None:
                uow.redemptions.save(replace(found, status=RedemptionStatus.CANCELLED))
        case ("grant", str(ident), str(member), str(honor)):
            if ident not in uow.state.honors and ident not in uow.staged.honors:
                uow.honors.add(HonorAward(ident, member, honor, None, AT, None, "test"))
        case ("revoke", str(ident)):
            award = uow.staged.honors.get(ident) or uow.state.honors.get(ident)
            if award is not None and award.active:
                uow.honors.save(replace(award, revoked_at=AT, revoked_by="op"))
        case ("start", str(ident), str(member)):
            if uow.friend_quests.get(ident) is None:
                uow.friend_quests.add(
                    FriendQuestInstance(
                        ident,
                        FriendQuestKind.HELP,
                        "q",
                        member,
                        f"code-{ident}",
                        AT,
                        AT + timedelta(days=1),
                    )
                )
        case ("join", str(ident), str(member), int(day)):
            instance = uow.friend_quests.get(ident)
            if instance is not None and member not in instance.participants:
                assert uow.friend_quests.save(
                    replace(instance, members=(*instance.members, member))
                )
                uow.friend_quests.add_participation(
                    Participation(
                        ident, member, FriendQuestKind.HELP, "q", len(instance.members), day, AT
                    )
                )
        case ("commit",):
            uow.commit()
        case ("rollback",):
            uow.rollback()


@settings(max_examples=300, deadline=None)
@given(st.lists(_op, max_size=40), st.booleans())
def test_indexed_reads_answer_as_a_scan_of_everything_committed_and_staged(
    ops: list[tuple[object, ...]], keep_history: bool
) -> None:
    store = MemoryStore(keep_history=keep_history)
    uow = store()
    with uow:
        for n, op in enumerate(ops):
            _apply(uow, op, n)
            _check(uow)
    _check(store())  # after the last unit of work: only what was committed


def test_an_honor_held_twice_by_one_member_counts_one_holder_until_both_are_revoked() -> None:
    store = MemoryStore()
    uow = store()
    with uow:
        uow.honors.add(HonorAward("x1", "m1", "h1", "bronze", AT, None, "auto"))
        uow.honors.add(HonorAward("x2", "m1", "h1", "silver", AT, None, "auto"))
        uow.honors.add(HonorAward("x3", "m2", "h1", None, AT, None, "auto"))
        assert uow.honors.holders("h1") == 2
        uow.commit()
        uow.honors.save(replace(uow.state.honors["x1"], revoked_at=AT))
        assert uow.honors.holders("h1") == 2
        uow.honors.save(replace(uow.state.honors["x2"], revoked_at=AT))
        assert uow.honors.holders("h1") == 1
        uow.rollback()
    assert store().honors.holders("h1") == 2
    assert store().honors.active("m1", "h1") == store.state.honors["x1"]  # the first granted


def test_a_pending_earning_settled_in_a_rolled_back_unit_of_work_stays_open() -> None:
    store = MemoryStore(keep_history=False)
    uow = store()
    source = Source(SourceKind.RULE, "act_1")
    with uow:
        earn = ledger.earn("t1", {"m1": 5}, AT, source, "act_1", "purchase", pending=True)
        assert uow.ledger.post(earn)
        uow.commit()
        assert [t.id for t in uow.ledger.open_pending("m1")] == ["t1"]
        assert uow.ledger.post(ledger.confirm_pending("t2", earn, AT, "ok", None))
        assert uow.ledger.open_pending("m1") == []  # staged: settled
    assert [t.id for t in store().ledger.open_pending("m1")] == ["t1"]  # rolled back
    with store() as uow:
        assert uow.ledger.post(ledger.confirm_pending("t3", earn, AT, "ok", None))
        uow.commit()
    assert store().ledger.open_pending("m1") == []
    assert store.state.pending_by_member == {}  # nothing left behind in the index
    assert store.state.holds == {}
    assert TransferKind.EARN in store.state.transfer_kinds()
