"""Contest scores, settlements and frozen standings in SQL: explicit mapping (checked on
load) and the repository. Settlement is a conditional insert on the period's key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.contests import ContestScore, Standing
from persistence.sql import tables as t
from persistence.sql.raw import insert_sql, select_list

if TYPE_CHECKING:
    from persistence.sql.uow import SqlUnitOfWork

Row = dict[str, Any]
PERIOD = "contest_id = :contest_id AND instance = :instance"
SCORES = f"SELECT {select_list(t.contest_scores)} FROM contest_scores"
SCORE_UPSERT = insert_sql(
    t.contest_scores,
    tail=" ON CONFLICT (contest_id, instance, member_id) DO UPDATE SET value = excluded.value,"
    " reached_at = excluded.reached_at, notes = excluded.notes",
)
SETTLE = (
    "INSERT INTO contest_settlements (contest_id, instance, settled_at)"
    " VALUES (:contest_id, :instance, :settled_at) ON CONFLICT DO NOTHING RETURNING instance"
)
RESULTS = f"SELECT {select_list(t.contest_results)} FROM contest_results"
RESULT_INSERT = insert_sql(t.contest_results)


def score_from_row(row: Row) -> ContestScore:
    notes = {str(k): int(v) for k, v in row["notes"].items()}
    assert all(v >= 0 for v in notes.values()), f"contest score {row} counts below zero"
    return ContestScore(
        row["contest_id"], int(row["instance"]), row["member_id"], int(row["value"]),
        row["reached_at"], notes,
    )  # fmt: skip


def standing_from_row(row: Row) -> Standing:
    standing = Standing(
        int(row["rank"]), row["member_id"], int(row["value"]), row["reached_at"], int(row["points"])
    )
    assert standing.rank >= 1, f"contest result {row} ranks below 1"
    assert standing.points >= 0, f"contest result {row} paid below zero"
    return standing


class SqlContests:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    def score(self, contest_id: str, instance: int, member_id: str) -> ContestScore | None:
        params = {"contest_id": contest_id, "instance": instance, "member_id": member_id}
        row = self.uow.one(f"{SCORES} WHERE {PERIOD} AND member_id = :member_id", params)
        return score_from_row(row) if row is not None else None

    def save_score(self, score: ContestScore) -> None:
        params = {
            "contest_id": score.contest_id,
            "instance": score.instance,
            "member_id": score.member_id,
            "value": score.value,
            "reached_at": score.reached_at,
            "notes": dict(score.notes),
        }
        self.uow.run(SCORE_UPSERT, params, write=True)

    def top(self, contest_id: str, instance: int, limit: int) -> list[ContestScore]:
        sql = (
            f"{SCORES} WHERE {PERIOD} AND value > 0"
            " ORDER BY value DESC, reached_at, member_id LIMIT :limit"
        )
        rows = self.uow.all(sql, {"contest_id": contest_id, "instance": instance, "limit": limit})
        return [score_from_row(r) for r in rows]

    def pending(self, contest_id: str) -> list[int]:
        sql = (
            "SELECT DISTINCT s.instance FROM contest_scores s WHERE s.contest_id = :contest_id"
            " AND NOT EXISTS (SELECT 1 FROM contest_settlements d"
            " WHERE d.contest_id = s.contest_id AND d.instance = s.instance)"
            " ORDER BY s.instance"
        )
        return [int(r["instance"]) for r in self.uow.all(sql, {"contest_id": contest_id})]

    def settle(self, contest_id: str, instance: int, at: datetime) -> bool:
        params = {"contest_id": contest_id, "instance": instance, "settled_at": at}
        return self.uow.run(SETTLE, params, write=True).fetchone() is not None

    def settled_at(self, contest_id: str, instance: int) -> datetime | None:
        sql = f"SELECT settled_at FROM contest_settlements WHERE {PERIOD}"
        row = self.uow.one(sql, {"contest_id": contest_id, "instance": instance})
        return row["settled_at"] if row is not None else None

    def add_results(self, contest_id: str, instance: int, standings: Sequence[Standing]) -> None:
        if not standings:
            return
        rows = [
            {
                "contest_id": contest_id,
                "instance": instance,
                "rank": s.rank,
                "member_id": s.member_id,
                "value": s.value,
                "reached_at": s.reached_at,
                "points": s.points,
            }
            for s in standings
        ]
        self.uow.run_many(RESULT_INSERT, rows)

    def results(self, contest_id: str, instance: int, limit: int) -> list[Standing]:
        sql = f"{RESULTS} WHERE {PERIOD} ORDER BY rank LIMIT :limit"
        rows = self.uow.all(sql, {"contest_id": contest_id, "instance": instance, "limit": limit})
        return [standing_from_row(r) for r in rows]
