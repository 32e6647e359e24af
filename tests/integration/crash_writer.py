"""A child process for the crash specification: writes activities, redemptions,
cancellations and adjustments to the store at URL from two threads, printing one line per
command (`wrote KEY` once its transaction committed, `refused KEY` for a domain error,
which writes nothing), until it is killed.

    python -m tests.integration.crash_writer URL
"""

from __future__ import annotations

import itertools
import sys
import threading
from datetime import timedelta

from domain import services
from domain.commands import (
    AdjustPoints,
    CancelRedemption,
    RecordActivity,
    RedeemReward,
    RegisterMember,
)
from domain.errors import DomainError
from persistence.sql import SqlStore
from tests.integration.shop import DEFAULT_AT
from tests.unit.builders import economy_from

ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 10

[reward_tiers.merch]

[rewards.sticker]
tier = "merch"
price = 15

[rewards.scarce]
tier = "merch"
price = 5
stock = 100000
"""
)
members_count = 8
_print_lock = threading.Lock()


def report(line: str) -> None:
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def writer(store: SqlStore, name: str, members: list[str]) -> None:
    for n in itertools.count():
        member = members[n % len(members)]
        at = DEFAULT_AT + timedelta(minutes=n)
        key = f"{name}-{n}"
        try:
            if n % 5 == 4:
                reward = "scarce" if n % 2 else "sticker"
                cmd = RedeemReward(member, reward, 1, key, at)
                redemption = services.redeem_reward(cmd, store(), ECONOMY).redemption
                if n % 3 == 0:
                    cancel = CancelRedemption(redemption.id, "crash-test", at, "changed mind")
                    services.cancel_redemption(cancel, store(), ECONOMY)
            elif n % 7 == 6:
                adjust = AdjustPoints(member, -3, "correction", "crash-test", key, at)
                services.adjust_points(adjust, store(), ECONOMY)
            else:
                activity = RecordActivity(member, "post", at, key, at=at)
                services.record_activity(activity, store(), ECONOMY)
        except DomainError:
            report(f"refused {key}")  # e.g. not enough points yet
        else:
            report(f"wrote {key}")


def main(url: str) -> None:
    store = SqlStore(url)
    services.sync_rewards(store(), ECONOMY)
    members = [
        services.register_member(RegisterMember(f"crash{i}", f"Crash {i}", DEFAULT_AT), store(),
                                 ECONOMY).id
        for i in range(members_count)
    ]  # fmt: skip
    report("ready")
    threads = [
        threading.Thread(target=writer, args=(store, f"w{i}", members), daemon=True)
        for i in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main(sys.argv[1])
