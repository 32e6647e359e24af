"""`simulation.friends_program.Joinable` chooses what the plain filter over the open
instances chooses (the one the engine used before the index): the same count is drawn
from and the same instance comes back, for any mix of starts, joins, fills, expiries and
a clock that moves on (or, once, back)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.team_help import FriendQuestInstance, FriendQuestKind, InstanceState
from simulation.friends_program import Joinable

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MEMBERS = [f"m{i}" for i in range(6)]


def reference(
    open_: dict[str, FriendQuestInstance], member: str, at: datetime
) -> list[FriendQuestInstance]:
    return [
        i
        for i in open_.values()
        if member not in i.participants and i.deadline >= at and i.state is InstanceState.OPEN
    ]


# (operation, a, b, c): start (starter, team if b, deadline hours), join (joiner, draw,
# fill if c == 0), expire (what ended before a hours ago), tick (the clock moves a hours)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("start"), st.integers(0, 5), st.integers(0, 1), st.integers(0, 40)),
        st.tuples(st.just("join"), st.integers(0, 5), st.integers(0, 1000), st.integers(0, 3)),
        st.tuples(st.just("expire"), st.integers(0, 20), st.just(0), st.just(0)),
        st.tuples(st.just("tick"), st.integers(-2, 6), st.just(0), st.just(0)),
    ),
    max_size=120,
)


def drawing(seed: int, counts: list[int]) -> Callable[[int], int]:
    def draw(count: int) -> int:
        counts.append(count)
        return seed % count

    return draw


@settings(max_examples=300, deadline=None)
@given(operations)
def test_choose_is_the_filter(ops: list[tuple[str, int, int, int]]) -> None:
    index = Joinable()
    plain: dict[str, FriendQuestInstance] = {}
    now = T0
    started = 0
    for op, a, b, c in ops:
        if op == "start":
            started += 1
            starter = MEMBERS[a]
            instance = FriendQuestInstance(
                f"fq{started}",
                FriendQuestKind.TEAM if b else FriendQuestKind.HELP,
                "q",
                starter,
                f"c{started}",
                now,
                now + timedelta(hours=c),
                members=(starter,) if b else (),
            )
            index.put(instance)
            plain[instance.id] = instance
        elif op == "tick":
            now += timedelta(hours=a)
        elif op == "expire":
            ended = now - timedelta(hours=a)
            for ident in [i.id for i in plain.values() if i.deadline < ended]:
                del plain[ident]
                assert index.remove(ident) is not None
        else:
            member = MEMBERS[a]
            wanted = reference(plain, member, now)
            counts: list[int] = []
            chosen = index.choose(member, now, drawing(b, counts))
            if not wanted:
                assert chosen is None
                assert counts == []
                continue
            assert counts == [len(wanted)]
            assert chosen is wanted[b % len(wanted)]
            done = replace(chosen, members=(*chosen.members, member), version=chosen.version + 1)
            if c == 0:
                done = replace(done, state=InstanceState.FILLED)
                del plain[done.id]
                index.remove(done.id)
            else:
                plain[done.id] = done
                index.put(done)
        assert len(index) == len(plain)
        assert list(index.instances) == list(plain)
