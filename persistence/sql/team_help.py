"""Team and help instances in SQL: an instance row and one row per member or helper
(its seat). The member rows' key (instance, member) and unique seat are the store's own
guard that nobody joins twice and no seat is taken twice; saves of an instance are
conditional updates on `version`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.team_help import FriendQuestInstance, FriendQuestKind, InstanceState, Participation
from persistence.sql import tables as t
from persistence.sql.raw import insert_sql, select_list, update_sql

if TYPE_CHECKING:
    from persistence.sql.uow import SqlUnitOfWork

Row = dict[str, Any]

INSTANCES = f"SELECT {select_list(t.friend_quest_instances)} FROM friend_quest_instances"
INSTANCE_INSERT = insert_sql(t.friend_quest_instances)
INSTANCE_UPDATE = update_sql(
    t.friend_quest_instances, ["id"], where=" AND version = :read_version RETURNING id"
)
MEMBER_INSERT = insert_sql(t.friend_quest_members)


def instance_to_row(instance: FriendQuestInstance) -> Row:
    return {
        "id": instance.id,
        "kind": instance.kind.value,
        "quest_id": instance.quest_id,
        "starter_id": instance.starter_id,
        "code": instance.code,
        "started_at": instance.started_at,
        "deadline": instance.deadline,
        "state": instance.state.value,
        "closed_at": instance.closed_at,
        "points": instance.points,
        "helper_points": instance.helper_points,
        "version": instance.version,
    }


def instance_from_row(row: Row, members: tuple[str, ...]) -> FriendQuestInstance:
    instance = FriendQuestInstance(
        id=row["id"],
        kind=FriendQuestKind(row["kind"]),
        quest_id=row["quest_id"],
        starter_id=row["starter_id"],
        code=row["code"],
        started_at=row["started_at"],
        deadline=row["deadline"],
        state=InstanceState(row["state"]),
        members=members,
        closed_at=row["closed_at"],
        points=int(row["points"]),
        helper_points=int(row["helper_points"]),
        version=int(row["version"]),
    )
    assert (instance.closed_at is None) == (instance.state is InstanceState.OPEN), (
        f"instance {instance.id} is {instance.state} but its closing time disagrees"
    )
    return instance


class SqlFriendQuests:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    def _members(self, ids: list[str]) -> dict[str, tuple[str, ...]]:
        if not ids:
            return {}
        names = ", ".join(f":i{n}" for n in range(len(ids)))
        rows = self.uow.all(
            f"SELECT instance_id, member_id FROM friend_quest_members "
            f"WHERE instance_id IN ({names}) ORDER BY instance_id, seat",
            {f"i{n}": ident for n, ident in enumerate(ids)},
        )
        found: dict[str, tuple[str, ...]] = dict.fromkeys(ids, ())
        for row in rows:
            found[row["instance_id"]] = (*found[row["instance_id"]], row["member_id"])
        return found

    def _load(self, rows: list[Row]) -> list[FriendQuestInstance]:
        members = self._members([r["id"] for r in rows])
        return [instance_from_row(r, members[r["id"]]) for r in rows]

    def add(self, instance: FriendQuestInstance) -> None:
        self.uow.run(INSTANCE_INSERT, instance_to_row(instance), write=True)

    def get(self, instance_id: str) -> FriendQuestInstance | None:
        row = self.uow.one(f"{INSTANCES} WHERE id = :id", {"id": instance_id})
        return self._load([row])[0] if row is not None else None

    def by_code(self, code: str) -> FriendQuestInstance | None:
        row = self.uow.one(f"{INSTANCES} WHERE code = :code", {"code": code})
        return self._load([row])[0] if row is not None else None

    def save(self, instance: FriendQuestInstance) -> bool:
        params = {
            **instance_to_row(instance),
            "version": instance.version + 1,
            "read_version": instance.version,
        }
        return self.uow.run(INSTANCE_UPDATE, params, write=True).fetchone() is not None

    def add_participation(self, participation: Participation) -> None:
        row = {
            "instance_id": participation.instance_id,
            "member_id": participation.member_id,
            "kind": participation.kind.value,
            "quest_id": participation.quest_id,
            "seat": participation.seat,
            "day": participation.day,
            "at": participation.at,
        }
        self.uow.run(MEMBER_INSERT, row, write=True)

    def count_for_member(
        self,
        member_id: str,
        quest_id: str,
        states: tuple[InstanceState, ...],
        started: bool,
        at: datetime,
    ) -> int:
        names = ", ".join(f":s{n}" for n in range(len(states)))
        params: dict[str, Any] = {f"s{n}": s.value for n, s in enumerate(states)}
        params |= {"member_id": member_id, "quest_id": quest_id, "at": at,
                   "open": InstanceState.OPEN.value}  # fmt: skip
        joined = (
            ""
            if started
            else " OR id IN (SELECT instance_id FROM friend_quest_members "
            "WHERE member_id = :member_id AND quest_id = :quest_id)"
        )
        sql = (
            f"SELECT COUNT(*) FROM friend_quest_instances WHERE quest_id = :quest_id "
            f"AND state IN ({names}) AND (state <> :open OR deadline >= :at) "
            f"AND (starter_id = :member_id{joined})"
        )
        return int(self.uow.scalar(sql, params) or 0)

    def helps_on_day(self, member_id: str, day: int) -> int:
        sql = (
            "SELECT COUNT(*) FROM friend_quest_members "
            "WHERE member_id = :member_id AND kind = :kind AND day = :day"
        )
        params = {"member_id": member_id, "kind": FriendQuestKind.HELP.value, "day": day}
        return int(self.uow.scalar(sql, params) or 0)

    def for_member(
        self, member_id: str, after_id: str | None, limit: int
    ) -> list[FriendQuestInstance]:
        keyset = " AND id > :after_id" if after_id is not None else ""
        sql = (
            f"{INSTANCES} WHERE (starter_id = :member_id OR id IN (SELECT instance_id FROM "
            f"friend_quest_members WHERE member_id = :member_id)){keyset} ORDER BY id LIMIT :limit"
        )
        params = {"member_id": member_id, "after_id": after_id, "limit": limit}
        return self._load(self.uow.all(sql, params))

    def due(self, at: datetime, after_id: str | None, limit: int) -> list[FriendQuestInstance]:
        keyset = " AND id > :after_id" if after_id is not None else ""
        sql = f"{INSTANCES} WHERE state = :open AND deadline < :at{keyset} ORDER BY id LIMIT :limit"
        params = {"open": InstanceState.OPEN.value, "at": at, "after_id": after_id,
                  "limit": limit}  # fmt: skip
        return self._load(self.uow.all(sql, params))
