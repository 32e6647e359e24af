"""Campaigns and their applications in SQL: explicit mapping to and from rows (re-checking
invariants on load) and the repository. A campaign's record is locked with `FOR UPDATE`
(changes of its places) or `FOR SHARE` (applications, so none slips into a pool being
drawn) on PostgreSQL, and saved by a conditional update on `version`; a CHECK keeps the
places taken within the campaign's places. An application is inserted once per member
and campaign (the key)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.campaign_places import HOLDING, Application, ApplicationState, CampaignRecord
from persistence.sql import tables as t
from persistence.sql.raw import insert_sql, select_list, update_sql

if TYPE_CHECKING:
    from persistence.sql.uow import SqlUnitOfWork

Row = dict[str, Any]

RUNS = f"SELECT {select_list(t.campaign_runs)} FROM campaign_runs"
RUN_INSERT = insert_sql(
    t.campaign_runs, tail=" ON CONFLICT (campaign_id) DO NOTHING RETURNING campaign_id"
)
RUN_UPDATE = update_sql(
    t.campaign_runs, ["campaign_id"], where=" AND version = :read_version RETURNING campaign_id"
)
APPLICATIONS = f"SELECT {select_list(t.campaign_applications)} FROM campaign_applications"
APPLICATION_INSERT = insert_sql(
    t.campaign_applications,
    tail=" ON CONFLICT (campaign_id, member_id) DO NOTHING RETURNING member_id",
)
APPLICATION_UPDATE = (
    "UPDATE campaign_applications SET state = :state, offered_at = :offered_at"
    " WHERE campaign_id = :campaign_id AND member_id = :member_id"
)
SELECTED = tuple(s.value for s in (*sorted(HOLDING), ApplicationState.CONFIRMED))


def record_to_row(record: CampaignRecord) -> Row:
    return {
        "campaign_id": record.id,
        "places": record.places,
        "opened_at": record.opened_at,
        "commitment": record.commitment,
        "seed": record.seed,
        "selected_at": record.selected_at,
        "audit": record.audit,
        "applicants": record.applicants,
        "operator_order": list(record.operator_order),
        "closed": record.closed,
        "taken": record.taken,
        "version": record.version,
    }


def record_from_row(row: Row) -> CampaignRecord:
    record = CampaignRecord(
        id=row["campaign_id"],
        places=int(row["places"]),
        opened_at=row["opened_at"],
        commitment=row["commitment"],
        seed=row["seed"],
        selected_at=row["selected_at"],
        audit=row["audit"],
        applicants=row["applicants"],
        operator_order=tuple(str(m) for m in row["operator_order"]),
        closed=bool(row["closed"]),
        taken=int(row["taken"]),
        version=int(row["version"]),
    )
    assert 0 <= record.taken <= record.places, f"campaign {record.id} holds too many places"
    assert (record.audit is None) == (record.selected_at is None), (
        f"campaign {record.id}: selection time and audit record disagree"
    )
    return record


def application_to_row(campaign_id: str, application: Application) -> Row:
    return {
        "campaign_id": campaign_id,
        "member_id": application.member_id,
        "applied_at": application.applied_at,
        "motivation": application.motivation,
        "state": application.state.value,
        "offered_at": application.offered_at,
    }


def application_from_row(row: Row) -> Application:
    application = Application(
        member_id=row["member_id"],
        applied_at=row["applied_at"],
        motivation=row["motivation"],
        state=ApplicationState(row["state"]),
        offered_at=row["offered_at"],
    )
    assert (application.state in HOLDING) <= (application.offered_at is not None), (
        f"application {row['campaign_id']}/{application.member_id} holds a place unoffered"
    )
    return application


class SqlCampaigns:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    def get(self, campaign_id: str) -> CampaignRecord | None:
        row = self.uow.one(f"{RUNS} WHERE campaign_id = :id", {"id": campaign_id})
        return record_from_row(row) if row is not None else None

    def lock(self, campaign_id: str, *, shared: bool = False) -> CampaignRecord | None:
        uow = self.uow
        uow._begin(write=True)  # SQLite: ends a read snapshot and takes the write lock
        lock = "" if uow.dialect.sqlite else (" FOR SHARE" if shared else " FOR UPDATE")
        row = uow.one(f"{RUNS} WHERE campaign_id = :id{lock}", {"id": campaign_id}, write=True)
        return record_from_row(row) if row is not None else None

    def add(self, record: CampaignRecord) -> bool:
        cursor = self.uow.run(RUN_INSERT, record_to_row(record), write=True)
        return cursor.fetchone() is not None

    def save(self, record: CampaignRecord) -> bool:
        params = {**record_to_row(record), "version": record.version + 1,
                  "read_version": record.version}  # fmt: skip
        return self.uow.run(RUN_UPDATE, params, write=True).fetchone() is not None

    def add_application(self, campaign_id: str, application: Application) -> bool:
        row = application_to_row(campaign_id, application)
        return self.uow.run(APPLICATION_INSERT, row, write=True).fetchone() is not None

    def application(self, campaign_id: str, member_id: str) -> Application | None:
        sql = f"{APPLICATIONS} WHERE campaign_id = :campaign_id AND member_id = :member_id"
        row = self.uow.one(sql, {"campaign_id": campaign_id, "member_id": member_id})
        return application_from_row(row) if row is not None else None

    def applications(self, campaign_id: str) -> list[Application]:
        sql = f"{APPLICATIONS} WHERE campaign_id = :campaign_id ORDER BY member_id"
        return [application_from_row(r) for r in self.uow.all(sql, {"campaign_id": campaign_id})]

    def save_applications(self, campaign_id: str, applications: Sequence[Application]) -> None:
        if applications:
            rows = [application_to_row(campaign_id, a) for a in applications]
            self.uow.run_many(APPLICATION_UPDATE, rows)

    def _states(self, states: Sequence[ApplicationState]) -> tuple[str, dict[str, Any]]:
        if not states:
            return "", {}
        names = [f":state{i}" for i in range(len(states))]
        params = {f"state{i}": s.value for i, s in enumerate(states)}
        return f" AND state IN ({', '.join(names)})", params

    def page(
        self,
        campaign_id: str,
        states: Sequence[ApplicationState],
        after_member_id: str | None,
        limit: int,
    ) -> list[Application]:
        condition, params = self._states(states)
        if after_member_id is not None:
            condition += " AND member_id > :after"
            params["after"] = after_member_id
        sql = (f"{APPLICATIONS} WHERE campaign_id = :campaign_id{condition}"
               " ORDER BY member_id LIMIT :limit")  # fmt: skip
        rows = self.uow.all(sql, {**params, "campaign_id": campaign_id, "limit": limit})
        return [application_from_row(r) for r in rows]

    def count(self, campaign_id: str, states: Sequence[ApplicationState]) -> int:
        condition, params = self._states(states)
        sql = f"SELECT COUNT(*) FROM campaign_applications WHERE campaign_id = :c{condition}"
        return int(self.uow.scalar(sql, {**params, "c": campaign_id}))

    def last_selected(self, member_id: str) -> datetime | None:
        names = ", ".join(f"'{s}'" for s in SELECTED)
        sql = ("SELECT offered_at FROM campaign_applications WHERE member_id = :member_id"
               f" AND state IN ({names}) AND offered_at IS NOT NULL"
               " ORDER BY offered_at DESC LIMIT 1")  # fmt: skip
        row = self.uow.one(sql, {"member_id": member_id})
        return row["offered_at"] if row is not None else None

    def of_member(self, member_id: str) -> list[tuple[str, Application]]:
        sql = f"{APPLICATIONS} WHERE member_id = :member_id ORDER BY campaign_id"
        rows = self.uow.all(sql, {"member_id": member_id})
        return [(r["campaign_id"], application_from_row(r)) for r in rows]
