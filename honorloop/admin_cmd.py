"""Operator jobs on the production store: the scheduled member review (level demotion
review and point expiry) and the reward shelf (restock, coupon-code pools, stock report).

`honorloop review` is meant for a daily scheduler (cron, a Kubernetes CronJob): each member
is reviewed in its own short transaction, and running it twice for the same moment
changes nothing the second time.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.settings import Settings, SettingsError
from domain.errors import DomainError, EconomyInvalid

if TYPE_CHECKING:  # the store and the services are imported by the handlers that run
    from domain.economy import Economy
    from persistence.sql import SqlStore

review_page_size = 500
operator_name = "cli"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--economy", metavar="FILE", help="economy file (HONORLOOP_ECONOMY)")
    parser.add_argument("--database-url", metavar="URL", help="database (DATABASE_URL)")


def register(subparsers: Any) -> None:
    review = subparsers.add_parser(
        "review",
        help="run the scheduled review of every member: level demotion review and expiry",
        description="Review every member as of a moment (default now): warn, demote after "
        "the grace period, expire points past the horizon. Idempotent; run it daily.",
    )
    _common(review)
    review.add_argument("--as-of", help="ISO date-time with offset (default: now)")
    review.set_defaults(handler=review_command)

    rewards = subparsers.add_parser("rewards", help="the reward shelf: stock and coupon codes")
    actions = rewards.add_subparsers(dest="rewards_command", metavar="ACTION")
    stock = actions.add_parser("stock", help="list every reward with its stock and codes left")
    _common(stock)
    stock.set_defaults(handler=stock_command)
    restock = actions.add_parser("restock", help="put QUANTITY more of REWARD on the shelf")
    _common(restock)
    restock.add_argument("reward")
    restock.add_argument("quantity", type=int)
    restock.set_defaults(handler=restock_command)
    codes = actions.add_parser("add-codes", help="add coupon codes (one per line) to a reward")
    _common(codes)
    codes.add_argument("reward")
    codes.add_argument("file", help="text file with one code per line ('-' for stdin)")
    codes.set_defaults(handler=add_codes_command)

    campaign = subparsers.add_parser("campaign", help="campaigns: verify a selection")
    campaign_actions = campaign.add_subparsers(dest="campaign_command", metavar="ACTION")
    verify = campaign_actions.add_parser(
        "verify",
        help="re-run CAMPAIGN_ID's selection from its stored audit record",
        description="Re-run a campaign's selection from the audit record stored with it (the "
        "method, the seed, the applicants and their digest) and check that the seed matches "
        "the commitment published at opening. Exit 0 when everything matches, 1 when not.",
    )
    _common(verify)
    verify.add_argument("campaign_id", metavar="CAMPAIGN_ID")
    verify.set_defaults(handler=campaign_verify_command)


def _open(args: argparse.Namespace) -> tuple[Economy, SqlStore]:
    from api.app import load_economy
    from domain import services
    from persistence.sql import SqlStore, migrate

    settings = (
        Settings.from_env()
        .with_overrides(economy_path=args.economy, database_url=args.database_url)
        .validated()
    )
    economy = load_economy(settings.economy_path)
    migrate(settings.database_url)
    store = SqlStore(settings.database_url)
    services.sync_rewards(store(), economy)
    return economy, store


def _run(args: argparse.Namespace, job: Any) -> int:
    try:
        economy, store = _open(args)
    except (SettingsError, EconomyInvalid, OSError) as error:
        print(f"honorloop {args.command}: {error}", file=sys.stderr)
        return 2
    try:
        code: int = job(economy, store)
        return code
    except DomainError as error:
        print(f"honorloop {args.command}: {error.message}", file=sys.stderr)
        return 1
    finally:
        store.dispose()


def review_command(args: argparse.Namespace) -> int:
    from domain import services
    from domain.commands import ReviewMember
    from domain.model import LevelChanged, LevelWarning, PointsExpired

    try:
        as_of = datetime.fromisoformat(args.as_of) if args.as_of else datetime.now(UTC)
    except ValueError:
        print(f"honorloop review: --as-of {args.as_of!r} is not an ISO date-time", file=sys.stderr)
        return 2
    if as_of.tzinfo is None:
        print("honorloop review: --as-of needs a UTC offset, e.g. +08:00", file=sys.stderr)
        return 2

    def job(economy: Economy, store: SqlStore) -> int:
        reviewed = warned = changed = expired = 0
        after: str | None = None
        while page := services.member_ids(store(), after, review_page_size):
            for member_id in page:
                events = services.review_member(ReviewMember(member_id, as_of), store(), economy)
                reviewed += 1
                warned += sum(isinstance(e, LevelWarning) for e in events)
                changed += sum(isinstance(e, LevelChanged) for e in events)
                expired += sum(e.points for e in events if isinstance(e, PointsExpired))
            after = page[-1]
        print(f"reviewed {reviewed} members as of {as_of.isoformat()}: {warned} warned, "
              f"{changed} demoted, {expired} points expired")  # fmt: skip
        print(f"expired {_expire_tasks(economy, store, as_of)} task assignments past due")
        print(f"expired {_expire_friend_quests(economy, store, as_of)} team and help "
              "instances past their deadline")  # fmt: skip
        for settled in services.settle_contests(store, economy, as_of):
            print(f"settled contest {settled.contest_id} (period {settled.instance}): "
                  f"{settled.ranked} ranked, {settled.winners} prizes, "
                  f"{settled.points} points paid")  # fmt: skip
        from domain.services.roles import review_roles

        roles = review_roles(store, economy, as_of)
        print(f"roles: {roles.ended} terms ended, {roles.flagged} holders flagged below "
              f"eligibility ({roles.cleared} cleared), {roles.credited} mentors credited, "
              f"{roles.mentor_tiers} mentor honor tiers")  # fmt: skip
        for kept in services.snapshot_seasons(store, economy, as_of):
            print(f"kept season {kept.season_id}: {len(kept.leaderboard)} on the leaderboard, "
                  f"{len(kept.hall_of_fame)} in the hall of fame")  # fmt: skip
        ended = services.expire_memberships(store, economy, as_of)
        print(f"expired {len(ended)} paid memberships ended by {as_of.isoformat()}")
        if economy.referrals is not None:
            confirmed = services.confirm_commissions(store, economy, as_of)
            points = sum(s.points for c in confirmed for s in c.commission.shares)
            print(f"confirmed {len(confirmed)} commissions past their return window "
                  f"({points} points)")  # fmt: skip
        from domain.services.campaigns import review_campaigns

        done = review_campaigns(store, economy, as_of, _new_seed)
        print(f"campaigns: {done.opened} opened (seed committed), {done.selected} selections "
              f"run, {done.offered} places offered down the waitlist")  # fmt: skip
        return 0

    return _run(args, job)


def campaign_verify_command(args: argparse.Namespace) -> int:
    def job(economy: Economy, store: SqlStore) -> int:
        from domain.services.campaigns import verify_campaign

        checked = verify_campaign(args.campaign_id, store(), economy)
        if not checked.ok:
            print(f"honorloop campaign verify: {args.campaign_id}: DOES NOT MATCH: "
                  f"{checked.message}", file=sys.stderr)  # fmt: skip
            return 1
        selection = checked.selection
        assert selection is not None
        print(f"OK: {checked.message}")
        if selection.seed is not None:
            print(f"seed: {selection.seed}")
        print(f"chosen: {', '.join(selection.chosen) or '(none)'}")
        print(f"waitlist: {', '.join(selection.waitlist) or '(none)'}")
        return 0

    return _run(args, job)


def _new_seed() -> str:
    """A lottery seed, drawn here at the edge: the domain has no randomness."""
    import secrets

    return secrets.token_urlsafe(32)


def _expire_tasks(economy: Economy, store: SqlStore, as_of: datetime) -> int:
    from domain import services

    expired, cursor = services.expire_tasks(store(), economy, as_of)
    count = len(expired)
    while cursor is not None:
        expired, cursor = services.expire_tasks(store(), economy, as_of, cursor)
        count += len(expired)
    return count


def _expire_friend_quests(economy: Economy, store: SqlStore, as_of: datetime) -> int:
    from domain import services

    expired, cursor = services.expire_friend_quests(store(), economy, as_of)
    count = len(expired)
    while cursor is not None:
        expired, cursor = services.expire_friend_quests(store(), economy, as_of, cursor)
        count += len(expired)
    return count


def stock_command(args: argparse.Namespace) -> int:

    def job(economy: Economy, store: SqlStore) -> int:
        print(f"{'reward':<26} {'tier':<11} {'price':>7} {'stock':>9} {'codes left':>10}")
        for reward in economy.rewards:
            uow = store()
            with uow:
                left = uow.stock.remaining(reward.id)
                codes = uow.stock.codes_left(reward.id)
            shown = "unlimited" if left is None else str(left)
            code_text = str(codes) if reward.fulfilment == "coupon_code" else "-"
            print(f"{reward.id:<26} {reward.tier:<11} {reward.price:>7} {shown:>9} {code_text:>10}")
        return 0

    return _run(args, job)


def restock_command(args: argparse.Namespace) -> int:
    from domain import services
    from domain.commands import Restock

    def job(economy: Economy, store: SqlStore) -> int:
        command = Restock(args.reward, args.quantity, operator_name, datetime.now(UTC))
        left = services.restock(command, store(), economy)
        print(f"{args.reward}: {left} on the shelf")
        return 0

    return _run(args, job)


def add_codes_command(args: argparse.Namespace) -> int:
    from domain import services
    from domain.commands import AddCouponCodes

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except OSError as error:
        print(f"honorloop rewards add-codes: cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    codes = tuple(line.strip() for line in text.splitlines() if line.strip())

    def job(economy: Economy, store: SqlStore) -> int:
        command = AddCouponCodes(args.reward, codes, operator_name, datetime.now(UTC))
        added = services.add_coupon_codes(command, store(), economy)
        print(f"{args.reward}: {added} new codes added ({len(codes) - added} already known)")
        return 0

    return _run(args, job)
