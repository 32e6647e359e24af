"""Season points and snapshots in SQL: the snapshot's JSON documents mapped explicitly
to and from the domain (checked on load); a snapshot is a conditional insert."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.model import HonorAward
from domain.seasons import FameRow, LeaderRow, SeasonSnapshot
from persistence.sql import tables as t
from persistence.sql.raw import SummedUpsert

if TYPE_CHECKING:
    from persistence.sql.uow import SqlUnitOfWork

# Points are added with the unit of work's buffered writes, summed per member (a batch of
# activities sends one statement, not one per activity); reads flush them first.
POINTS_SUMMED = SummedUpsert(t.season_points, ["season_id", "member_id"], "points")
TOP = (
    "SELECT member_id, points FROM season_points WHERE season_id = :season_id AND points > 0"
    " ORDER BY points DESC, member_id LIMIT :limit"
)
SNAPSHOT = (
    "SELECT season_id, taken_at, leaderboard, hall_of_fame FROM season_snapshots"
    " WHERE season_id = :season_id"
)
SNAPSHOT_INSERT = (
    "INSERT INTO season_snapshots (season_id, taken_at, leaderboard, hall_of_fame)"
    " VALUES (:season_id, :taken_at, :leaderboard, :hall_of_fame)"
    " ON CONFLICT DO NOTHING RETURNING season_id"
)


def _award(award: HonorAward) -> dict[str, Any]:
    return {"id": award.id, "honor_id": award.honor_id, "tier": award.tier,
            "granted_at": award.granted_at.isoformat(), "granted_by": award.granted_by,
            "reason": award.reason}  # fmt: skip


def snapshot_to_row(snapshot: SeasonSnapshot) -> dict[str, Any]:
    return {
        "season_id": snapshot.season_id,
        "taken_at": snapshot.taken_at,
        "leaderboard": [
            {"rank": r.rank, "member_id": r.member_id, "points": r.points}
            for r in snapshot.leaderboard
        ],
        "hall_of_fame": [
            {
                "member_id": f.member_id,
                "level_id": f.level_id,
                "honors": [_award(a) for a in f.honors],
            }
            for f in snapshot.hall_of_fame
        ],
    }


def snapshot_from_row(row: dict[str, Any]) -> SeasonSnapshot:
    leaders = tuple(
        LeaderRow(int(r["rank"]), r["member_id"], int(r["points"])) for r in row["leaderboard"]
    )
    assert [r.rank for r in leaders] == list(range(1, len(leaders) + 1)), (
        f"season {row['season_id']}: leaderboard ranks are not 1..n"
    )
    fame = tuple(
        FameRow(
            f["member_id"],
            f["level_id"],
            tuple(
                HonorAward(
                    a["id"],
                    f["member_id"],
                    a["honor_id"],
                    a["tier"],
                    datetime.fromisoformat(a["granted_at"]),
                    a["granted_by"],
                    a["reason"],
                )
                for a in f["honors"]
            ),
        )
        for f in row["hall_of_fame"]
    )
    return SeasonSnapshot(row["season_id"], row["taken_at"], leaders, fame)


class SqlSeasons:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    def add_points(self, season_id: str, member_id: str, points: int) -> None:
        self.uow.add_to(POINTS_SUMMED, (season_id, member_id), points)

    def top(self, season_id: str, limit: int) -> list[tuple[str, int]]:
        rows = self.uow.all(TOP, {"season_id": season_id, "limit": limit})
        return [(r["member_id"], int(r["points"])) for r in rows]

    def add_snapshot(self, snapshot: SeasonSnapshot) -> bool:
        cursor = self.uow.run(SNAPSHOT_INSERT, snapshot_to_row(snapshot), write=True)
        return cursor.fetchone() is not None

    def snapshot(self, season_id: str) -> SeasonSnapshot | None:
        row = self.uow.one(SNAPSHOT, {"season_id": season_id})
        return snapshot_from_row(row) if row is not None else None
