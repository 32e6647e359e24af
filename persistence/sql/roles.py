"""Role holdings, role seats and mentorships in SQL: explicit mapping to and from rows
(re-checking invariants on load) and the repository. Holdings and mentorships are saved
by conditional updates on `version`; seats by a conditional update on the counted row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.roles import OPEN_STATES, Mentorship, RoleHolding, RoleState
from persistence.sql import tables as t
from persistence.sql.raw import insert_sql, select_list, update_sql

if TYPE_CHECKING:
    from persistence.sql.uow import SqlUnitOfWork

Row = dict[str, Any]

HOLDINGS = f"SELECT {select_list(t.role_holdings)} FROM role_holdings"
HOLDING_INSERT = insert_sql(t.role_holdings)
HOLDING_UPDATE = update_sql(
    t.role_holdings, ["id"], where=" AND version = :read_version RETURNING id"
)
MENTORSHIPS = f"SELECT {select_list(t.mentorships)} FROM mentorships"
MENTORSHIP_INSERT = insert_sql(t.mentorships)
MENTORSHIP_UPDATE = update_sql(
    t.mentorships, ["id"], where=" AND version = :read_version RETURNING id"
)
# A missing seats row is created from the active holdings it counts; concurrent creators
# conflict on the key and wait, then every taker runs the conditional update.
SEATS_ENSURE = (
    "INSERT INTO role_seats (role_id, holders)"
    " SELECT CAST(:role_id AS VARCHAR), COUNT(*) FROM role_holdings"
    " WHERE role_id = :role_id AND state = 'active'"
    " ON CONFLICT (role_id) DO NOTHING"
)
SEATS_TAKE = (
    "UPDATE role_seats SET holders = holders + 1"
    " WHERE role_id = :role_id AND holders < :seats RETURNING holders"
)
SEATS_RELEASE = (
    "UPDATE role_seats SET holders = holders - 1 WHERE role_id = :role_id AND holders > 0"
)
HOLDERS = "SELECT COUNT(*) FROM role_holdings WHERE role_id = :role_id AND state = 'active'"


def holding_to_row(holding: RoleHolding) -> Row:
    return {
        "id": holding.id,
        "role_id": holding.role_id,
        "member_id": holding.member_id,
        "state": holding.state.value,
        "entry": holding.entry,
        "proposed_by": holding.proposed_by,
        "proposed_at": holding.proposed_at,
        "version": holding.version,
        "started_at": holding.started_at,
        "ends_at": holding.ends_at,
        "ended_at": holding.ended_at,
        "ended_by": holding.ended_by,
        "end_reason": holding.end_reason,
        "renewals": holding.renewals,
        "flagged_at": holding.flagged_at,
        "flag_reason": holding.flag_reason,
    }


def holding_from_row(row: Row) -> RoleHolding:
    holding = RoleHolding(
        id=row["id"],
        role_id=row["role_id"],
        member_id=row["member_id"],
        state=RoleState(row["state"]),
        entry=row["entry"],
        proposed_by=row["proposed_by"],
        proposed_at=row["proposed_at"],
        version=int(row["version"]),
        started_at=row["started_at"],
        ends_at=row["ends_at"],
        ended_at=row["ended_at"],
        ended_by=row["ended_by"],
        end_reason=row["end_reason"],
        renewals=int(row["renewals"]),
        flagged_at=row["flagged_at"],
        flag_reason=row["flag_reason"],
    )
    assert (holding.state is RoleState.ACTIVE) <= (holding.ends_at is not None), (
        f"role holding {holding.id} is active without a term"
    )
    assert (holding.state is RoleState.ENDED) == (holding.ended_at is not None), (
        f"role holding {holding.id}: state and end time disagree"
    )
    return holding


def mentorship_to_row(mentorship: Mentorship) -> Row:
    return {
        "id": mentorship.id,
        "role_id": mentorship.role_id,
        "mentor_id": mentorship.mentor_id,
        "mentee_id": mentorship.mentee_id,
        "assigned_at": mentorship.assigned_at,
        "assigned_by": mentorship.assigned_by,
        "version": mentorship.version,
        "credited_at": mentorship.credited_at,
    }


def mentorship_from_row(row: Row) -> Mentorship:
    mentorship = Mentorship(
        id=row["id"],
        role_id=row["role_id"],
        mentor_id=row["mentor_id"],
        mentee_id=row["mentee_id"],
        assigned_at=row["assigned_at"],
        assigned_by=row["assigned_by"],
        version=int(row["version"]),
        credited_at=row["credited_at"],
    )
    assert mentorship.mentor_id != mentorship.mentee_id, f"mentorship {mentorship.id} is circular"
    return mentorship


class SqlRoles:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    def add(self, holding: RoleHolding) -> None:
        self.uow.run(HOLDING_INSERT, holding_to_row(holding), write=True)

    def get(self, holding_id: str) -> RoleHolding | None:
        row = self.uow.one(f"{HOLDINGS} WHERE id = :id", {"id": holding_id})
        return holding_from_row(row) if row is not None else None

    def save(self, holding: RoleHolding) -> bool:
        params = {**holding_to_row(holding), "version": holding.version + 1,
                  "read_version": holding.version}  # fmt: skip
        return self.uow.run(HOLDING_UPDATE, params, write=True).fetchone() is not None

    def open_for(self, member_id: str, role_id: str) -> RoleHolding | None:
        found = self.page(role_id, member_id, OPEN_STATES, None, 1)
        return found[0] if found else None

    def page(
        self,
        role_id: str | None,
        member_id: str | None,
        states: Sequence[RoleState],
        after_id: str | None,
        limit: int,
    ) -> list[RoleHolding]:
        conditions: list[str] = []
        params: dict[str, Any] = {"limit": limit}
        if role_id is not None:
            conditions.append("role_id = :role_id")
            params["role_id"] = role_id
        if member_id is not None:
            conditions.append("member_id = :member_id")
            params["member_id"] = member_id
        if states:
            names = [f":state{i}" for i in range(len(states))]
            conditions.append(f"state IN ({', '.join(names)})")
            params.update({f"state{i}": s.value for i, s in enumerate(states)})
        if after_id is not None:
            conditions.append("id > :after_id")
            params["after_id"] = after_id
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self.uow.all(f"{HOLDINGS}{where} ORDER BY id LIMIT :limit", params)
        return [holding_from_row(r) for r in rows]

    def due(self, at: datetime, after_id: str | None, limit: int) -> list[RoleHolding]:
        keyset = " AND id > :after_id" if after_id is not None else ""
        sql = (
            f"{HOLDINGS} WHERE state = 'active' AND ends_at <= :at{keyset} ORDER BY id LIMIT :limit"
        )
        params = {"at": at, "after_id": after_id, "limit": limit}
        return [holding_from_row(r) for r in self.uow.all(sql, params)]

    def take_seat(self, role_id: str, seats: int) -> bool:
        params = {"role_id": role_id, "seats": seats}
        self.uow.run(SEATS_ENSURE, params, write=True)
        return self.uow.run(SEATS_TAKE, params, write=True).fetchone() is not None

    def release_seat(self, role_id: str) -> None:
        self.uow.run(SEATS_RELEASE, {"role_id": role_id}, write=True)

    def holders(self, role_id: str) -> int:
        return int(self.uow.scalar(HOLDERS, {"role_id": role_id}))

    def add_mentorship(self, mentorship: Mentorship) -> None:
        self.uow.run(MENTORSHIP_INSERT, mentorship_to_row(mentorship), write=True)

    def mentorship(self, role_id: str, mentee_id: str) -> Mentorship | None:
        sql = f"{MENTORSHIPS} WHERE role_id = :role_id AND mentee_id = :mentee_id"
        row = self.uow.one(sql, {"role_id": role_id, "mentee_id": mentee_id})
        return mentorship_from_row(row) if row is not None else None

    def save_mentorship(self, mentorship: Mentorship) -> bool:
        params = {**mentorship_to_row(mentorship), "version": mentorship.version + 1,
                  "read_version": mentorship.version}  # fmt: skip
        return self.uow.run(MENTORSHIP_UPDATE, params, write=True).fetchone() is not None

    def mentorships_of(self, mentor_id: str, role_id: str) -> list[Mentorship]:
        sql = f"{MENTORSHIPS} WHERE mentor_id = :mentor_id AND role_id = :role_id ORDER BY id"
        rows = self.uow.all(sql, {"mentor_id": mentor_id, "role_id": role_id})
        return [mentorship_from_row(r) for r in rows]

    def mentorships_of_mentee(self, mentee_id: str) -> list[Mentorship]:
        rows = self.uow.all(f"{MENTORSHIPS} WHERE mentee_id = :mentee_id ORDER BY id",
                            {"mentee_id": mentee_id})  # fmt: skip
        return [mentorship_from_row(r) for r in rows]

    def uncredited(self, after_id: str | None, limit: int) -> list[Mentorship]:
        keyset = " AND id > :after_id" if after_id is not None else ""
        sql = f"{MENTORSHIPS} WHERE credited_at IS NULL{keyset} ORDER BY id LIMIT :limit"
        rows = self.uow.all(sql, {"after_id": after_id, "limit": limit})
        return [mentorship_from_row(r) for r in rows]
