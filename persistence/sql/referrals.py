"""Referrals in SQL: the code index, members' identities, one row per invitee (its key is
the store's own guard that a code is used once per invitee) and one commission row per
buyer's order (a unique key: an order pays once). Qualifying, an operator's decision and
a commission's confirmation or refund are conditional updates on the stored state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.referrals import (
    REWARDED,
    CommissionShare,
    CommissionState,
    PurchaseCommission,
    Referral,
    RewardOutcome,
)
from persistence.sql import tables as t
from persistence.sql.raw import select_list

if TYPE_CHECKING:
    from persistence.sql.uow import SqlUnitOfWork

Row = dict[str, Any]

REFERRALS = f"SELECT {select_list(t.referrals)} FROM referrals"
COMMISSIONS = f"SELECT {select_list(t.referral_commissions)} FROM referral_commissions"
CODE_INSERT = (
    "INSERT INTO referral_codes (code, member_id) VALUES (:code, :member_id) ON CONFLICT DO NOTHING"
)
IDENTITY_INSERT = (
    "INSERT INTO referral_identities (identity, member_id) VALUES (:identity, :member_id)"
    " ON CONFLICT DO NOTHING"
)
REFERRAL_INSERT = (
    "INSERT INTO referrals (invitee_id, referrer_id, joined_at, qualified_at, outcome,"
    " reward_transfer_id, qualifying_activity_id, welcome_transfer_id) VALUES (:invitee_id,"
    " :referrer_id, :joined_at, :qualified_at, :outcome, :reward_transfer_id,"
    " :qualifying_activity_id, :welcome_transfer_id) ON CONFLICT DO NOTHING"
    " RETURNING invitee_id"
)
REFERRAL_UPDATE = (
    "UPDATE referrals SET qualified_at = :qualified_at, outcome = :outcome,"
    " reward_transfer_id = :reward_transfer_id, qualifying_activity_id ="
    " :qualifying_activity_id, welcome_transfer_id = :welcome_transfer_id"
    " WHERE invitee_id = :invitee_id"
)
COMMISSION_INSERT = (
    "INSERT INTO referral_commissions (activity_id, buyer_id, order_id, amount, at, due_at,"
    " shares, transfer_id, state) VALUES (:activity_id, :buyer_id, :order_id, :amount, :at,"
    " :due_at, :shares, :transfer_id, :state) ON CONFLICT DO NOTHING RETURNING activity_id"
)
COMMISSION_UPDATE = (
    "UPDATE referral_commissions SET state = :state WHERE activity_id = :activity_id"
    " AND state = :was RETURNING activity_id"
)
TALLY = (
    "SELECT SUM(CASE WHEN qualified_at IS NOT NULL THEN 1 ELSE 0 END) AS qualified,"
    " SUM(CASE WHEN qualified_at IS NULL AND joined_at <= :joined_by THEN 1 ELSE 0 END)"
    " AS expired,"
    " SUM(CASE WHEN qualified_at IS NULL AND joined_at > :joined_by THEN 1 ELSE 0 END)"
    " AS waiting"
)


def referral_to_row(referral: Referral) -> Row:
    return {
        "invitee_id": referral.invitee_id,
        "referrer_id": referral.referrer_id,
        "joined_at": referral.joined_at,
        "qualified_at": referral.qualified_at,
        "outcome": referral.outcome.value if referral.outcome is not None else None,
        "reward_transfer_id": referral.reward_transfer_id,
        "qualifying_activity_id": referral.qualifying_activity_id,
        "welcome_transfer_id": referral.welcome_transfer_id,
    }


def referral_from_row(row: Row) -> Referral:
    outcome = RewardOutcome(row["outcome"]) if row["outcome"] is not None else None
    referral = Referral(
        row["invitee_id"],
        row["referrer_id"],
        row["joined_at"],
        row["qualified_at"],
        outcome,
        row["reward_transfer_id"],
        row["qualifying_activity_id"],
        row["welcome_transfer_id"],
    )
    assert (referral.qualified_at is None) == (referral.outcome is None), (
        f"referral of {referral.invitee_id}: an outcome exactly when qualified"
    )
    assert referral.invitee_id != referral.referrer_id, "a member never refers themselves"
    return referral


def commission_from_row(row: Row) -> PurchaseCommission:
    shares = tuple(CommissionShare(s["member_id"], int(s["level"]), int(s["points"]))
                   for s in row["shares"])  # fmt: skip
    commission = PurchaseCommission(
        row["activity_id"],
        row["buyer_id"],
        row["order_id"],
        int(row["amount"]),
        row["at"],
        row["due_at"],
        shares,
        row["transfer_id"],
        CommissionState(row["state"]),
    )
    assert (commission.transfer_id is None) == (not shares), (
        f"commission of {commission.activity_id}: a transfer exactly when it pays"
    )
    return commission


class SqlReferrals:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    def index_code(self, code: str, member_id: str) -> None:
        self.uow.run(CODE_INSERT, {"code": code, "member_id": member_id}, write=True)

    def by_code(self, code: str) -> str | None:
        found = self.uow.scalar(
            "SELECT member_id FROM referral_codes WHERE code = :code", {"code": code}
        )
        return str(found) if found is not None else None

    def add_identities(self, member_id: str, identities: Sequence[str]) -> None:
        for identity in dict.fromkeys(identities):
            self.uow.run(IDENTITY_INSERT, {"identity": identity, "member_id": member_id},
                         write=True)  # fmt: skip

    def identities(self, member_id: str) -> frozenset[str]:
        rows = self.uow.all(
            "SELECT identity FROM referral_identities WHERE member_id = :member_id",
            {"member_id": member_id},
        )
        return frozenset(r["identity"] for r in rows)

    def get(self, invitee_id: str) -> Referral | None:
        row = self.uow.one(f"{REFERRALS} WHERE invitee_id = :id", {"id": invitee_id})
        return referral_from_row(row) if row is not None else None

    def add(self, referral: Referral) -> bool:
        cursor = self.uow.run(REFERRAL_INSERT, referral_to_row(referral), write=True)
        return cursor.fetchone() is not None

    def update(self, referral: Referral, was: RewardOutcome | None) -> bool:
        condition = " AND outcome IS NULL" if was is None else " AND outcome = :was"
        params = {**referral_to_row(referral), "was": was.value if was is not None else None}
        sql = REFERRAL_UPDATE + condition + " RETURNING invitee_id"
        return self.uow.run(sql, params, write=True).fetchone() is not None

    def of_referrer(self, referrer_id: str, after_id: str | None, limit: int) -> list[Referral]:
        keyset = " AND invitee_id > :after_id" if after_id is not None else ""
        sql = (
            f"{REFERRALS} WHERE referrer_id = :referrer_id{keyset} ORDER BY invitee_id LIMIT :limit"
        )
        params = {"referrer_id": referrer_id, "after_id": after_id, "limit": limit}
        return [referral_from_row(r) for r in self.uow.all(sql, params)]

    def tally(self, referrer_id: str, joined_by: datetime) -> tuple[int, int, int]:
        sql = f"{TALLY} FROM referrals WHERE referrer_id = :referrer_id"
        row = self.uow.one(sql, {"referrer_id": referrer_id, "joined_by": joined_by})
        assert row is not None, "an aggregate returns one row"
        return int(row["qualified"] or 0), int(row["expired"] or 0), int(row["waiting"] or 0)

    def rewarded_since(self, referrer_id: str, since: datetime) -> int:
        names = ", ".join(f":o{n}" for n in range(len(REWARDED)))
        sql = (
            "SELECT COUNT(*) FROM referrals WHERE referrer_id = :referrer_id"
            f" AND qualified_at >= :since AND outcome IN ({names})"
        )
        params: dict[str, Any] = {f"o{n}": o.value for n, o in enumerate(REWARDED)}
        params |= {"referrer_id": referrer_id, "since": since}
        return int(self.uow.scalar(sql, params) or 0)

    def held(self, after_id: str | None, limit: int) -> list[Referral]:
        keyset = " AND invitee_id > :after_id" if after_id is not None else ""
        sql = f"{REFERRALS} WHERE outcome = :held{keyset} ORDER BY invitee_id LIMIT :limit"
        params = {"held": RewardOutcome.HELD.value, "after_id": after_id, "limit": limit}
        return [referral_from_row(r) for r in self.uow.all(sql, params)]

    def referrers(
        self, joined_by: datetime, min_decided: int, after_id: str | None, limit: int
    ) -> list[tuple[str, int, int, int]]:
        keyset = " WHERE referrer_id > :after_id" if after_id is not None else ""
        decided = (
            "SUM(CASE WHEN qualified_at IS NOT NULL OR joined_at <= :joined_by THEN 1 ELSE 0 END)"
        )
        sql = (
            f"SELECT referrer_id, {TALLY.removeprefix('SELECT ')} FROM referrals{keyset}"
            f" GROUP BY referrer_id HAVING {decided} >= :min_decided"
            " ORDER BY referrer_id LIMIT :limit"
        )
        params = {"joined_by": joined_by, "min_decided": min_decided, "after_id": after_id,
                  "limit": limit}  # fmt: skip
        return [
            (r["referrer_id"], int(r["qualified"]), int(r["expired"]), int(r["waiting"]))
            for r in self.uow.all(sql, params)
        ]

    def add_commission(self, commission: PurchaseCommission) -> bool:
        row = {
            "activity_id": commission.activity_id,
            "buyer_id": commission.buyer_id,
            "order_id": commission.order_id,
            "amount": commission.amount,
            "at": commission.at,
            "due_at": commission.due_at,
            "shares": [
                {"member_id": s.member_id, "level": s.level, "points": s.points}
                for s in commission.shares
            ],
            "transfer_id": commission.transfer_id,
            "state": commission.state.value,
        }
        return self.uow.run(COMMISSION_INSERT, row, write=True).fetchone() is not None

    def commission(self, activity_id: str) -> PurchaseCommission | None:
        row = self.uow.one(f"{COMMISSIONS} WHERE activity_id = :id", {"id": activity_id})
        return commission_from_row(row) if row is not None else None

    def update_commission(self, commission: PurchaseCommission, was: CommissionState) -> bool:
        params = {"state": commission.state.value, "activity_id": commission.activity_id,
                  "was": was.value}  # fmt: skip
        return self.uow.run(COMMISSION_UPDATE, params, write=True).fetchone() is not None

    def due_commissions(
        self, at: datetime, after_id: str | None, limit: int
    ) -> list[PurchaseCommission]:
        keyset = " AND activity_id > :after_id" if after_id is not None else ""
        sql = (
            f"{COMMISSIONS} WHERE state = :pending AND due_at <= :at{keyset}"
            " ORDER BY activity_id LIMIT :limit"
        )
        params = {"pending": CommissionState.PENDING.value, "at": at, "after_id": after_id,
                  "limit": limit}  # fmt: skip
        return [commission_from_row(r) for r in self.uow.all(sql, params)]
