"""Operator jobs on the SQL store: `honorloop review` (the daily level review and point
expiry for every member) and `honorloop rewards stock|restock|add-codes`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain import services
from domain.commands import OfferTask, RecordActivity, RegisterMember
from domain.economy import Economy
from domain.tasks import TaskState
from honorloop.cli import main
from persistence.sql import SqlStore

ECONOMY = "economies/koc_community.toml"
LONG_AGO = datetime(2024, 1, 10, 12, tzinfo=UTC)


def given_members_who_earned_long_ago(url: str, economy: Economy, count: int) -> list[str]:
    store = SqlStore(url)
    ids = []
    try:
        services.sync_rewards(store(), economy)
        for n in range(count):
            member = services.register_member(
                RegisterMember(f"old{n}", f"Old {n}", LONG_AGO, f"old-{n}"), store(), economy
            )
            services.record_activity(
                RecordActivity(
                    member.id, "event_attendance", LONG_AGO, f"k{n}", f"event-{n}", at=LONG_AGO
                ),
                store(),
                economy,
            )
            ids.append(member.id)
    finally:
        store.dispose()
    return ids


def available(url: str, member_id: str) -> int:
    store = SqlStore(url)
    try:
        return services.balances(member_id, store()).available
    finally:
        store.dispose()


def test_the_review_expires_old_points_of_every_member_once(
    sql_url: str, koc_economy: Economy, capsys: pytest.CaptureFixture[str]
) -> None:
    # given three members whose only points were earned almost three years ago
    ids = given_members_who_earned_long_ago(sql_url, koc_economy, 3)
    assert all(available(sql_url, m) == 50 for m in ids)

    # when the scheduled review runs twice for the same moment
    args = ["review", "--economy", ECONOMY, "--database-url", sql_url,
            "--as-of", "2026-11-23T09:00:00+08:00"]  # fmt: skip
    first = main(args)
    first_out = capsys.readouterr().out
    second = main(args)
    second_out = capsys.readouterr().out

    # then every member's points expired, once
    assert (first, second) == (0, 0)
    assert "reviewed 3 members" in first_out
    assert "150 points expired" in first_out
    assert "0 points expired" in second_out
    assert all(available(sql_url, m) == 0 for m in ids)


def test_the_review_expires_task_assignments_past_due_once(
    sql_url: str, koc_economy: Economy, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a member offered the sample's review task, due long ago
    ids = given_members_who_earned_long_ago(sql_url, koc_economy, 1)
    store = SqlStore(sql_url)
    try:
        due = LONG_AGO + timedelta(days=3)
        offer = OfferTask("product_review_note", (ids[0],), due, "op", "offer-1", LONG_AGO)
        assignment = services.offer_task(offer, store(), koc_economy)[0]

        # when the scheduled review runs twice
        args = ["review", "--economy", ECONOMY, "--database-url", sql_url,
                "--as-of", "2026-11-23T09:00:00+08:00"]  # fmt: skip
        first, second = main(args), main(args)
        out = capsys.readouterr().out

        # then the assignment expired, once
        assert (first, second) == (0, 0)
        assert "expired 1 task assignments past due" in out
        assert "expired 0 task assignments past due" in out
        expired = services.get_assignment(assignment.id, store())
        assert expired.state is TaskState.EXPIRED
    finally:
        store.dispose()


def test_the_review_confirms_commission_past_its_return_window_once(
    sql_url: str, koc_economy: Economy, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a referrer whose invitee bought for 100.00 long ago (the sample pays 5%)
    store = SqlStore(sql_url)
    key = b"operator-jobs-referral-key"
    try:
        ana = services.register_member(RegisterMember("ana", "Ana", LONG_AGO, "ana"), store(),
                                       koc_economy, key)  # fmt: skip
        code = services.referral_code_of(store(), ana.id, key)
        ben = services.register_member(RegisterMember("ben", "Ben", LONG_AGO, "ben", code),
                                       store(), koc_economy, key)  # fmt: skip
        bought = RecordActivity(ben.id, "purchase", LONG_AGO, "p1", "order-1", {"amount": 10_000},
                                at=LONG_AGO)  # fmt: skip
        services.record_activity(bought, store(), koc_economy)
        assert services.balances(ana.id, store()).pending == 5
    finally:
        store.dispose()

    # when the scheduled review runs twice
    args = ["review", "--economy", ECONOMY, "--database-url", sql_url,
            "--as-of", "2026-11-23T09:00:00+08:00"]  # fmt: skip
    first, second = main(args), main(args)
    out = capsys.readouterr().out

    # then the commission was confirmed, once
    assert (first, second) == (0, 0)
    assert "confirmed 1 commissions past their return window (5 points)" in out
    assert "confirmed 0 commissions past their return window (0 points)" in out
    store = SqlStore(sql_url)
    try:
        held = services.balances(ana.id, store())
        assert (held.pending, held.lifetime_earned) == (0, 300 + 5)  # and the reward, once
    finally:
        store.dispose()


def test_restock_and_coupon_codes_reach_the_shelf(
    sql_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a file of coupon codes, one of them listed twice
    codes = tmp_path / "codes.txt"
    codes.write_text("SVC-1\nSVC-2\n\nSVC-3\n")
    common = ["--economy", ECONOMY, "--database-url", sql_url]

    # when an operator adds them, restocks the key rings and lists the shelf
    assert main(["rewards", "add-codes", *common, "service_coupon", str(codes)]) == 0
    assert main(["rewards", "add-codes", *common, "service_coupon", str(codes)]) == 0
    assert main(["rewards", "restock", *common, "key_ring", "25"]) == 0
    assert main(["rewards", "stock", *common]) == 0
    out = capsys.readouterr().out

    # then the codes are counted once and the stock grew
    assert "service_coupon: 3 new codes added" in out
    assert "service_coupon: 0 new codes added (3 already known)" in out
    assert "key_ring: 2025 on the shelf" in out
    shelf = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert shelf["service_coupon"][-1] == "3"
    assert shelf["sticker_pack"][3] == "unlimited"


def test_restocking_an_unlimited_reward_is_refused_by_name(
    sql_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rewards", "restock", "--economy", ECONOMY, "--database-url", sql_url,
                 "sticker_pack", "5"])  # fmt: skip
    assert code == 1
    assert "sticker_pack" in capsys.readouterr().err
