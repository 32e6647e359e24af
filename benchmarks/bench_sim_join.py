"""The friend quests' join choice in instructions: the scan the engine made before
`simulation.friends_program.Joinable`, against the index (docs/simulation.md, sixth round).

    valgrind --tool=callgrind python -m benchmarks.bench_sim_join --open N --mode M

`--mode setup` opens N instances (half teams, half help quests) and chooses nothing;
`scan` and `index` then make 2,000 choices for joiners in turn, by the filter over every
open instance or through `Joinable`. A mode's count minus the setup's, over 2,000, is
the instructions per choice.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from domain.team_help import FriendQuestInstance, FriendQuestKind, InstanceState
from simulation.friends_program import Joinable

T0 = datetime(2027, 1, 1, tzinfo=UTC)
CHOICES = 2_000


def _drawing(seed: int) -> Callable[[int], int]:
    def draw(count: int) -> int:
        return seed % count

    return draw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--open", type=int, default=100)
    parser.add_argument("--mode", choices=("setup", "scan", "index"), default="index")
    args = parser.parse_args(argv)
    index = Joinable()
    plain: dict[str, FriendQuestInstance] = {}
    for k in range(args.open):
        team = k % 2 == 0
        instance = FriendQuestInstance(
            f"fq{k}",
            FriendQuestKind.TEAM if team else FriendQuestKind.HELP,
            "q",
            f"m{k}",
            f"c{k}",
            T0,
            T0 + timedelta(days=3),
            members=(f"m{k}",) if team else (),
        )
        index.put(instance)
        plain[instance.id] = instance
    chosen = 0
    if args.mode != "setup":
        for j in range(CHOICES):
            at, member = T0 + timedelta(seconds=j), f"m{j % args.open}"
            if args.mode == "scan":
                joinable = [
                    i
                    for i in plain.values()
                    if member not in i.participants
                    and i.deadline >= at
                    and i.state is InstanceState.OPEN
                ]
                found = joinable[j % len(joinable)] if joinable else None
            else:
                found = index.choose(member, at, _drawing(j))
            chosen += found is not None
    print(chosen)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
