"""The activity pipeline's reactors.

Recording an activity validates it, evaluates the rules, posts the points, then hands the
recorded activity to each reactor in `REACTORS`, in order; each returns the events it
caused. A new feature (quests, campaigns, referrals) is a new reactor appended here, with
its state in repositories of its own: no reactor knows about another, and the pipeline
gains no branch per feature.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from domain import koc, levels, roles
from domain.commands import RecordActivity
from domain.earning import Plan
from domain.economy import Economy, ViralNotes
from domain.model import Event, Member
from domain.ports import UnitOfWork
from domain.services import contests, quests, seasons
from domain.services import referrals as referral_services
from domain.services import roles as role_services
from domain.services._support import grant_automatic


class Recorded(NamedTuple):
    """An activity once its points are posted: what every reactor gets. `member` is the
    locked member, whose state the reactors may move; it is saved after the last one."""

    member: Member
    command: RecordActivity
    activity_id: str
    plan: Plan
    points: int  # earned by the rules, available or pending

    @property
    def pending(self) -> bool:
        """Whether the points wait in the pending bucket (they count once confirmed)."""
        return self.plan.pending_days > 0

    @property
    def day(self) -> int:
        return self.plan.day

    @property
    def at(self) -> datetime:
        return self.command.occurred_at

    def accepted(self, economy: Economy) -> bool:
        """Whether the rules accepted the activity: one of them scored it (even for 0
        points after a cap), or no rule scores its kind (a KOC kind) so nothing refuses it."""
        return bool(self.plan.fires) or self.command.kind not in economy.rules_by_kind


Reactor = Callable[[UnitOfWork, Economy, Recorded], list[Event]]


SPEND_COUNTED = "spend:counted"
"""The subject mark of a purchase activity (its id as the subject) whose amount counted
toward spend: a reversal of exactly that activity takes it back."""


def spend_mark(kind: str) -> str:
    """The subject mark of an order (the purchase's subject) counted toward spend."""
    return f"spend:{kind}"


def levels_reactor(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> list[Event]:
    """Qualifying points grow with the points earned (pending points once confirmed, by
    upkeep); a purchase adds its amount to the window's spend, once per order; promotion
    happens at once."""
    points = 0 if recorded.pending else recorded.points
    if recorded.command.kind == economy.spend_kind and _count_purchase(uow, economy, recorded):
        amount = recorded.command.attributes[economy.level_review.amount_attribute]
        return list(levels.purchase(economy, recorded.member, amount, points, recorded.at))
    if points <= 0:
        return []
    return list(levels.earn(economy, recorded.member, points, recorded.at))


def _count_purchase(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> bool:
    """Whether this purchase counts toward spend: an amount above zero, for an order not
    counted before (a replay under a new key, or a resent order, counts nothing). Marks it."""
    cmd, member = recorded.command, recorded.member
    order = cmd.subject_id
    assert order is not None, "check_activity requires the order id of a counted purchase"
    if cmd.attributes.get(economy.level_review.amount_attribute, 0) <= 0:
        return False
    mark = spend_mark(cmd.kind)
    if uow.activities.subject_rewarded(member.id, mark, order):
        return False
    uow.activities.mark_subject(member.id, mark, order)
    uow.activities.mark_subject(member.id, SPEND_COUNTED, recorded.activity_id)
    return True


def koc_reactor(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> list[Event]:
    """KOC tiers: a published note may promote; a note's metrics may promote or review.
    The notes themselves live in `uow.notes`. Metrics also count, for the viral-note
    honors, the thresholds a note has just reached: once per note, ever, since a note's
    best figure only grows."""
    program = economy.koc
    cmd, member = recorded.command, recorded.member
    if program is None or cmd.subject_id is None:
        return []
    if cmd.kind in program.note_kinds:
        note_id, accepted = cmd.subject_id, recorded.accepted(economy)
        events = koc.note_published(
            economy, uow.notes, member, note_id, accepted, recorded.day, recorded.at
        )
        return list(events)
    if cmd.kind != program.metrics_kind:
        return []
    value = int(cmd.attributes.get(program.interactions_attribute, 0))
    note, before = koc.measured(uow.notes, member.id, cmd.subject_id, value)
    counts = member.progress.kind_counts
    for check in economy.honor_checks:
        trigger = check.trigger
        if isinstance(trigger, ViralNotes) and before < trigger.interactions <= value:
            counts[trigger.counter] = counts.get(trigger.counter, 0) + 1
    events = koc.note_measured(economy, uow.notes, member, note, before, recorded.day, recorded.at)
    return list(events)


def counted_mark(kind: str) -> str:
    """The subject mark (`ActivityRepository.mark_subject`, in place of a rule id) of a
    subject counted for `kind`; rule ids are `lower_snake_case`, so none looks like it."""
    return f"kind:{kind}"


def quests_reactor(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> list[Event]:
    """Quests with a step of this activity's kind advance (and may complete and pay)."""
    cmd = recorded.command
    matching = economy.quests_by_kind.get(cmd.kind)
    if not matching:
        return []
    if not recorded.plan.fires and cmd.kind in economy.rules_by_kind:
        return []  # the rules refused it (a repost, a limit reached): it counts for nothing
    return quests.on_activity(
        uow,
        economy,
        recorded.member,
        matching,
        cmd.kind,
        cmd.attributes,
        recorded.at,
        cmd.at,
        recorded.activity_id,
    )


def referrals_reactor(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> list[Event]:
    """An invitee's first qualifying action in time rewards the referrer and welcomes the
    invitee, once; a purchase pays commission up the chain (pending for the return window)
    and savings to a distributor. Only what the rules accepted counts."""
    program = economy.referrals
    cmd = recorded.command
    if program is None or not recorded.accepted(economy):
        return []
    if cmd.kind not in program.qualifying_kinds and cmd.kind != program.purchase_kind:
        return []
    amount = cmd.attributes.get(program.amount_attribute)
    return referral_services.on_activity(
        uow,
        economy,
        recorded.member,
        recorded.activity_id,
        cmd.kind,
        cmd.subject_id,
        amount,
        recorded.at,
    )


def honors_reactor(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> list[Event]:
    """Automatic honors whose next tier the member has just reached. First, the activity
    counts toward `activity_count` honors if its kind is counted, the rules accepted it,
    and its subject (if it has one) was not counted for its kind before: reposting one
    subject, or sending what the rules refused, farms nothing."""
    cmd, member = recorded.command, recorded.member
    if cmd.kind in economy.counted_kinds and recorded.accepted(economy):
        subject = cmd.subject_id
        mark = counted_mark(cmd.kind)
        if subject is None or not uow.activities.subject_rewarded(member.id, mark, subject):
            if subject is not None:
                uow.activities.mark_subject(member.id, mark, subject)
            counts = member.progress.kind_counts
            counts[cmd.kind] = counts.get(cmd.kind, 0) + 1
    return grant_automatic(uow, economy, member, recorded.at)


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


def mentors_reactor(uow: UnitOfWork, economy: Economy, recorded: Recorded) -> list[Event]:
    """A mentee whose points have just crossed a mentor role's declared level credits the
    mentor (once per mentee: the mentorship's conditional save). Only then is the
    mentorship looked up; a promotion by another path is credited by the review."""
    member = recorded.member
    if recorded.points <= 0 or not economy.roles:
        return []
    before = member.qualifying_points - recorded.points
    for role in economy.roles:
        level = economy.level(role.mentee_level or "")
        if level is None or not before < level.threshold <= member.qualifying_points:
            continue  # not crossed by this activity (the review credits other promotions)
        if roles.reached(economy, level.id, member):
            return role_services.credit_mentee(uow, economy, member, recorded.at)
    return []


REACTORS: tuple[Reactor, ...] = (
    levels_reactor,
    koc_reactor,
    quests_reactor,
    referrals_reactor,
    honors_reactor,
    contests_reactor,
    seasons_reactor,
    mentors_reactor,
)
"""In order: quests see the KOC tier the activity caused; honors come after, so they see
the level reached through the activity's points, its quests' rewards and a referral's
welcome."""


def _always(economy: Economy, kind: str) -> bool:
    return True


def _koc_kind(economy: Economy, kind: str) -> bool:
    program = economy.koc
    return program is not None and (kind in program.note_kinds or kind == program.metrics_kind)


def _referral_kind(economy: Economy, kind: str) -> bool:
    program = economy.referrals
    return program is not None and (
        kind in program.qualifying_kinds or kind == program.purchase_kind
    )


REACTS_TO: dict[Reactor, Callable[[Economy, str], bool]] = {
    levels_reactor: _always,
    koc_reactor: _koc_kind,
    quests_reactor: lambda economy, kind: kind in economy.quests_by_kind,
    referrals_reactor: _referral_kind,
    honors_reactor: _always,
    contests_reactor: lambda economy, kind: kind in economy.contests_by_kind,
    seasons_reactor: lambda economy, kind: economy.seasons is not None,
    mentors_reactor: lambda economy, kind: bool(economy.roles),
}
"""Per reactor, whether it can do anything at all for an activity of a kind in an economy
(it returns no events and moves nothing otherwise): a cheap test on the economy alone. A
reactor not named here is always called."""

# (id of the economy, kind) -> (that economy, the reactors for the kind): the reactors are
# chosen once per kind (the economy is held, so its id is not reused while the entry lives)
_chosen: dict[tuple[int, str], tuple[Economy, tuple[Reactor, ...]]] = {}
_chosen_kept_max = 10_000


def reactors_for(economy: Economy, kind: str) -> tuple[Reactor, ...]:
    """The reactors of `REACTORS`, in order, that can act on an activity of `kind`."""
    key = (id(economy), kind)
    kept = _chosen.get(key)
    if kept is None or kept[0] is not economy:
        chosen = tuple(r for r in REACTORS if REACTS_TO.get(r, _always)(economy, kind))
        kept = (economy, chosen)
        if len(_chosen) < _chosen_kept_max:
            _chosen[key] = kept
    return kept[1]
