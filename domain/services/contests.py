"""Use cases of contests: the contests reactor's work for each recorded activity (move
the member's score row), settling closed periods exactly once (freeze the standings, pay
the prizes), and reading live or final standings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from domain import contests
from domain.calendar import day_number, require_aware
from domain.contests import ContestScore, ContestState, Standing
from domain.earning import Fire
from domain.economy import Contest, Economy
from domain.economy.contests_reader import contest_rank_max
from domain.errors import NotFound
from domain.ledger import Source, SourceKind
from domain.model import Attributes, ContestSettled, Event, Member
from domain.ports import UnitOfWork
from domain.services._support import grant_automatic, member_for_update, page_size_max
from domain.services.payouts import grant_honor, hand_coupon, pay_points

UowFactory = Callable[[], UnitOfWork]
standings_kept_max = contest_rank_max  # final standings stored per period (prizes reach no deeper)


@dataclass(frozen=True, slots=True)
class ContestView:
    contest: Contest
    instance: int
    state: ContestState
    starts: datetime | None
    ends: datetime | None
    standings: list[Standing]
    settled_at: datetime | None


@dataclass(frozen=True, slots=True)
class Settlement:
    contest_id: str
    instance: int
    ranked: int
    winners: int
    points: int


def _eligible(economy: Economy, contest: Contest, member: Member) -> bool:
    if contest.min_level is not None:
        needed, level = economy.level(contest.min_level), economy.level(member.level_id)
        if needed is None or level is None or level.rank < needed.rank:
            return False
    if contest.koc_tier is not None:
        program = economy.koc
        needed_tier = economy.koc_tier(contest.koc_tier)
        held = economy.koc_tier(member.koc_tier) if member.koc_tier else None
        if program is None or needed_tier is None or held is None:
            return False
        return held.rank >= needed_tier.rank
    return True


def on_activity(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    kind: str,
    subject_id: str | None,
    attributes: Attributes,
    fires: Iterable[Fire],
    at: datetime,
) -> list[Event]:
    """Move the member's score in every open contest this activity concerns. Runs under
    the member's lock, so reading and writing the member's own score row is safe."""
    concerned = economy.contests_by_kind.get(kind)
    if not concerned:  # no contest counts this kind: nothing to read
        return []
    fired = tuple(fires)
    day = day_number(at, economy.timezone)
    for contest in concerned:
        if not contests.is_open(contest, at):
            continue
        if not _eligible(economy, contest, member):
            continue
        instance = contests.instance_of(contest, day)
        current = uow.contests.score(contest.id, instance, member.id)
        if current is None:
            current = ContestScore(contest.id, instance, member.id, 0, at)
        if contests.score(economy, contest, current, kind, subject_id, attributes, fired, at):
            uow.contests.save_score(current)
    return []  # scores are read, not announced: the settlement sends the events


def settle_contests(uow_factory: UowFactory, economy: Economy, as_of: datetime) -> list[Settlement]:
    """Settle every contest period that closed at or before `as_of`, each once, each in
    its own transaction. Settling again does nothing."""
    require_aware(as_of, "asOf")
    done: list[Settlement] = []
    for contest in economy.contests:
        with uow_factory() as uow:
            pending = uow.contests.pending(contest.id)
        for instance in pending:
            _, end = contests.window(contest, instance, economy.timezone)
            if end is None or end > as_of:
                continue
            settled = settle_period(uow_factory(), economy, contest, instance, as_of)
            if settled is not None:
                done.append(settled)
    return done


def settle_period(
    uow: UnitOfWork, economy: Economy, contest: Contest, instance: int, as_of: datetime
) -> Settlement | None:
    """Freeze one closed period's standings and pay its prizes; None if it was settled
    before (the settlement row is a conditional insert, taken before anything is paid)."""
    with uow:
        if not uow.contests.settle(contest.id, instance, as_of):
            return None
        standings = contests.ranked(uow.contests.top(contest.id, instance, standings_kept_max))
        winners = sorted(
            (s for s in standings if contest.prize_for(s.rank) is not None),
            key=lambda s: s.member_id,  # members are locked in id order
        )
        paid: dict[str, int] = {}
        for standing in winners:
            paid[standing.member_id] = _pay_prize(uow, economy, contest, instance, standing, as_of)
        final = [replace(s, points=paid.get(s.member_id, 0)) for s in standings]
        uow.contests.add_results(contest.id, instance, final)
        uow.commit()
    return Settlement(contest.id, instance, len(final), len(winners), sum(paid.values()))


def _pay_prize(
    uow: UnitOfWork,
    economy: Economy,
    contest: Contest,
    instance: int,
    standing: Standing,
    at: datetime,
) -> int:
    prize = contest.prize_for(standing.rank)
    assert prize is not None, "only prize ranks are paid"
    member = member_for_update(uow, standing.member_id)
    reference = f"contest:{contest.id}@{instance}"
    why = f"rank {standing.rank} in {contest.title}"
    events: list[Event] = []
    if prize.points:
        source = Source(SourceKind.CONTEST, f"{contest.id}@{instance}")
        events += pay_points(uow, economy, member, prize.points, at, reference, why, source)
    if prize.honor is not None:
        events += grant_honor(uow, economy, member, prize.honor, at, reference, why)
    if prize.coupon is not None:
        events += hand_coupon(uow, member, prize.coupon, at, f"prize of contest {contest.id}")
    events += grant_automatic(uow, economy, member, at)
    events.append(
        ContestSettled(
            member.id, contest.id, instance, standing.rank, standing.value, prize.points, at
        )
    )
    uow.members.save(member)
    uow.events.extend(events)
    return prize.points


def contest_view(
    contest_id: str,
    uow: UnitOfWork,
    economy: Economy,
    at: datetime,
    first: int = 20,
    period_at: datetime | None = None,
) -> ContestView:
    """The contest's period holding `period_at` (default `at`): live standings while it
    runs or waits for settlement, the frozen ones once settled."""
    require_aware(at, "at")
    contest = economy.contest(contest_id)
    if contest is None:
        raise NotFound("contest", contest_id)
    when = period_at or at
    instance = contests.instance_of(contest, day_number(when, economy.timezone))
    limit = min(max(first, 0), page_size_max)
    with uow:
        settled_at = uow.contests.settled_at(contest.id, instance)
        if settled_at is not None:
            standings = uow.contests.results(contest.id, instance, limit)
        else:
            standings = contests.ranked(uow.contests.top(contest.id, instance, limit))
    tz = economy.timezone
    starts, ends = contests.window(contest, instance, tz)
    state = contests.state_of(contest, instance, tz, at, settled_at is not None)
    return ContestView(contest, instance, state, starts, ends, standings, settled_at)
