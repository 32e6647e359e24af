"""The activity pipeline's reactors.

Recording an activity validates it, evaluates the rules, posts the points, then hands the
recorded activity to each reactor in `REACTORS`, in order; each returns the events it
caused. A new feature (quests, campaigns, referrals) is a new reactor appended here, with
its state in repositories of its own: no reactor knows about another, and the pipeline
gains no branch per feature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain import koc, levels
from domain.commands import RecordActivity
from domain.earning import Plan
from domain.economy import Economy, viral_counter
from domain.model import Event, Member
from domain.ports import UnitOfWork
from domain.services import contests, quests, seasons
from domain.services._support import grant_automatic


@dataclass(frozen=True, slots=True)
class Recorded:
    """An activity once its points are posted: what every reactor gets. `member` is the
    locked member, whose state the reactors may move; it is saved after the last one."""

    member: Member
    command: RecordActivity
    activity_id: str
    plan: Plan
    points: int

    @property
    def day(self) -> int:
        return self.plan.day

    @property
    def at(self) -> datetime:
        return self.command.occurred_at


Reactor = Callable[[UnitOfWork, Economy, Recorded], list[Event]]


def levels_reactor(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> list[Event]:
    """Qualifying points grow with the points earned; promotion happens at once."""
    if recorded.points <= 0:
        return []
    return list(levels.earn(economy, recorded.member, recorded.points, recorded.at))


def koc_reactor(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> list[Event]:
    """KOC tiers: a published note may promote; a note's metrics may promote or review."""
    program = economy.koc
    if program is None:
        return []
    cmd, member = recorded.command, recorded.member
    if cmd.kind in program.note_kinds:
        note_id = cmd.subject_id or cmd.idempotency_key
        return list(koc.note_published(economy, member, note_id, recorded.day, recorded.at))
    if cmd.kind == program.metrics_kind and cmd.subject_id is not None:
        value = int(cmd.attributes.get(program.interactions_attribute, 0))
        before = member.progress.note_interactions.get(cmd.subject_id, 0)
        for honor in economy.honors:
            threshold = honor.interactions
            if honor.trigger == "viral_note" and threshold and before < threshold <= value:
                counter = viral_counter(threshold)
                counts = member.progress.kind_counts
                counts[counter] = counts.get(counter, 0) + 1
        return list(koc.note_measured(economy, member, cmd.subject_id, value, recorded.at))
    return []


def quests_reactor(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> list[Event]:
    """Quests with a step of this activity's kind advance (and may complete and pay)."""
    cmd = recorded.command
    matching = economy.quests_by_kind.get(cmd.kind)
    if not matching:
        return []
    return quests.on_activity(
        uow,
        economy,
        recorded.member,
        matching,
        cmd.kind,
        cmd.attributes,
        recorded.at,
        recorded.activity_id,
    )


def honors_reactor(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> list[Event]:
    """Automatic honors whose next tier the member has just reached."""
    return grant_automatic(uow, economy, recorded.member, recorded.at)


def contests_reactor(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> list[Event]:
    """Open contests this activity concerns move the member's score row."""
    if not economy.contests:
        return []
    cmd = recorded.command
    return contests.on_activity(
        uow,
        economy,
        recorded.member,
        cmd.kind,
        cmd.subject_id,
        cmd.attributes,
        recorded.plan.fires,
        recorded.at,
    )


def seasons_reactor(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> list[Event]:
    """The activity's rule points count toward the season it falls in."""
    if economy.seasons is not None:
        seasons.on_activity(uow, economy, recorded.member.id, recorded.points, recorded.at)
    return []


REACTORS: tuple[Reactor, ...] = (
    levels_reactor,
    koc_reactor,
    quests_reactor,
    honors_reactor,
    contests_reactor,
    seasons_reactor,
)
"""In order: quests see the KOC tier the activity caused; honors come last, so they see
the level reached through the activity's points and its quests' rewards."""
