"""Paid memberships in SQL: one row per member, replaced by an upsert (the member's row
is locked by the command first, so two purchases of one member do not interleave)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.membership import Membership

if TYPE_CHECKING:
    from persistence.sql.uow import SqlUnitOfWork

COLUMNS = "member_id, tier_id, paid_since, paid_until, purchases, paid_total, expired"
GET = f"SELECT {COLUMNS} FROM memberships WHERE member_id = :member_id"
SAVE = (
    f"INSERT INTO memberships ({COLUMNS})"
    " VALUES (:member_id, :tier_id, :paid_since, :paid_until, :purchases, :paid_total, :expired)"
    " ON CONFLICT (member_id) DO UPDATE SET tier_id = excluded.tier_id,"
    " paid_since = excluded.paid_since, paid_until = excluded.paid_until,"
    " purchases = excluded.purchases, paid_total = excluded.paid_total,"
    " expired = excluded.expired"
)
DUE = (
    f"SELECT {COLUMNS} FROM memberships WHERE expired = :no AND paid_until <= :at"
    " AND member_id > :after ORDER BY member_id LIMIT :limit"
)


def membership_from_row(row: dict[str, Any]) -> Membership:
    return Membership(
        row["member_id"],
        row["tier_id"],
        row["paid_since"],
        row["paid_until"],
        int(row["purchases"]),
        int(row["paid_total"]),
        bool(row["expired"]),
    )


class SqlMemberships:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    def get(self, member_id: str) -> Membership | None:
        row = self.uow.one(GET, {"member_id": member_id})
        return membership_from_row(row) if row is not None else None

    def save(self, membership: Membership) -> None:
        params = {
            "member_id": membership.member_id,
            "tier_id": membership.tier_id,
            "paid_since": membership.since,
            "paid_until": membership.until,
            "purchases": membership.purchases,
            "paid_total": membership.paid_total,
            "expired": membership.expired,
        }
        self.uow.run(SAVE, params, write=True)

    def due(self, at: datetime, after_id: str | None, limit: int) -> list[Membership]:
        params = {"no": False, "at": at, "after": after_id or "", "limit": limit}
        return [membership_from_row(r) for r in self.uow.all(DUE, params)]
