"""Use cases of campaigns (issue 9): open a campaign with a committed seed, apply and
withdraw while the window is open, select once after it closes (the review, or an
operator), confirm or decline a place, lapse unconfirmed places down the waitlist, and
verify a selection from its stored audit record.

Every change of a campaign's places happens under the campaign's lock (a row lock on
PostgreSQL) and is saved by a conditional update on its version, so parallel confirms,
declines and selections never hold more places than the campaign has and a selection
runs once. Applications are inserted under a shared lock of the campaign (so none slips
into a pool being drawn) with the (campaign, member) pair as the key: one each. What a
participant gets is paid on confirming, once: the confirmation is that conditional
transition. The seed comes from the edge; this module has no randomness and no clock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain import campaigns, idempotency
from domain.calendar import require_aware
from domain.campaign_places import (
    HOLDING,
    Application,
    ApplicationState,
    CampaignRecord,
    CampaignRun,
    CampaignState,
    Window,
)
from domain.campaigns import Applicant, Eligibility, Selection, SelectionMethod, Weights
from domain.commands import (
    ApplyToCampaign,
    ConfirmParticipation,
    DeclineParticipation,
    OpenCampaign,
    SelectCampaignParticipants,
    WithdrawApplication,
)
from domain.economy import Campaign, Economy
from domain.errors import (
    AlreadyExists,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    NotFound,
    OutOfStock,
)
from domain.ledger import Source, SourceKind
from domain.model import (
    ApplicationReceived,
    Event,
    Member,
    PlaceOffered,
    Redemption,
    RedemptionStatus,
    RedemptionUpdated,
    SelectedForCampaign,
    TaskOffered,
    Waitlisted,
)
from domain.ports import UnitOfWork
from domain.services._support import (
    audit,
    check_key,
    grant_automatic,
    member_for_update,
    page_size_max,
    remember,
    replayed,
)
from domain.services.payouts import hand_coupon, pay_points
from domain.tasks import TaskAssignment, TaskState

UowFactory = Callable[[], UnitOfWork]
APPLY_TO_CAMPAIGN = "apply_to_campaign"
REVIEW_ACTOR = "review"
_task_page = 100


def campaign_of(economy: Economy, campaign_id: str) -> Campaign:
    campaign = economy.campaign(campaign_id)
    if campaign is None:
        raise NotFound("campaign", campaign_id)
    return campaign


def window_of(economy: Economy, campaign: Campaign) -> Window:
    return Window(campaign.opens, campaign.closes, economy.timezone.key)


def eligibility_of(economy: Economy, campaign: Campaign) -> Eligibility:
    level = economy.level(campaign.min_level or "")
    return Eligibility(
        level_rank_min=level.rank if level is not None else 0,
        koc_tiers=frozenset(campaign.koc_tiers),
        honors=frozenset(campaign.honors),
        cooldown_days=campaign.cooldown_days,
    )


def weights_of(campaign: Campaign) -> Weights:
    notes, approval, level = campaign.weights
    return Weights(notes, approval, level)


def run_of(
    economy: Economy,
    campaign: Campaign,
    record: CampaignRecord | None,
    applications: Sequence[Application],
    *,
    offers: bool = False,
) -> CampaignRun:
    """The campaign's state machine over what the store holds. For a change that may
    offer a freed place (`offers`) under quotas, with the groups of the applicants as the
    selection read them (stored with its audit record), which those quotas count by."""
    selection = None
    groups: dict[str, campaigns.Group] = {}
    if record is not None and record.audit is not None:
        selection = campaigns.audit_from_json(record.audit)
        quotas = campaign.level_quotas or campaign.koc_quotas
        if offers and quotas and record.applicants is not None:
            read = campaigns.applicants_from_json(record.applicants)
            groups = {a.member_id: campaigns.group_of(a) for a in read}
    return CampaignRun(
        campaign.id,
        campaign.places,
        window_of(economy, campaign),
        campaign.confirm_days,
        commitment=record.commitment if record is not None else None,
        applications={a.member_id: a for a in applications},
        selection=selection,
        closed=record.closed if record is not None else False,
        level_quotas=dict(campaign.level_quotas),
        koc_quotas=dict(campaign.koc_quotas),
        groups=groups,
    )


def state_of(
    economy: Economy, campaign: Campaign, record: CampaignRecord | None, at: datetime
) -> CampaignState:
    return run_of(economy, campaign, record, ()).state(at)


# --- opening ----------------------------------------------------------------------------


def _open(
    uow: UnitOfWork, campaign: Campaign, seed: str, at: datetime
) -> tuple[CampaignRecord, bool]:
    """The campaign's record, created now (True) unless it exists. Only a lottery keeps
    the seed; its commitment is public from here on."""
    found = uow.campaigns.get(campaign.id)
    if found is not None:
        return found, False
    lottery = campaign.method == SelectionMethod.LOTTERY.value
    campaigns.check_seed(seed)
    record = CampaignRecord(
        campaign.id,
        campaign.places,
        at,
        campaigns.commitment(seed) if lottery else None,
        seed if lottery else None,
    )
    if not uow.campaigns.add(record):  # opened in parallel: the first one stands
        found = uow.campaigns.get(campaign.id)
        assert found is not None, f"campaign {campaign.id} was opened and is gone"
        return found, False
    return record, True


def open_campaign(cmd: OpenCampaign, uow: UnitOfWork, economy: Economy) -> CampaignRecord:
    """Open the campaign (idempotent: an open campaign keeps its first seed)."""
    require_aware(cmd.at, "at")
    campaign = campaign_of(economy, cmd.campaign_id)
    with uow:
        record, created = _open(uow, campaign, cmd.seed, cmd.at)
        if created:
            uow.commit()
    return record


# --- applying ---------------------------------------------------------------------------


def _count_tasks(uow: UnitOfWork, member_id: str, state: TaskState) -> int:
    count, after = 0, None
    while True:
        page = uow.tasks.page(state, member_id, after, _task_page)
        count += len(page)
        if len(page) < _task_page:
            return count
        after = page[-1].id


def applicant_of(
    uow: UnitOfWork,
    economy: Economy,
    member: Member,
    applied_at: datetime,
    *,
    record: bool,
) -> Applicant:
    """The member's record as eligibility and selection read it (`record`: the note
    interactions and task approvals a ranked selection scores too)."""
    level = economy.level(member.level_id)
    interactions = approved = reviewed = 0
    if record:
        interactions = sum(n.interactions or 0 for n in uow.notes.for_member(member.id))
        approved = _count_tasks(uow, member.id, TaskState.APPROVED)
        reviewed = approved + _count_tasks(uow, member.id, TaskState.REJECTED)
    return Applicant(
        member_id=member.id,
        applied_at=applied_at,
        level_rank=level.rank if level is not None else 0,
        level_id=member.level_id,
        koc_tier=member.koc_tier,
        honors=frozenset(a.honor_id for a in uow.honors.list_for_member(member.id) if a.active),
        last_selected_at=uow.campaigns.last_selected(member.id),
        note_interactions=interactions,
        tasks_approved=approved,
        tasks_reviewed=reviewed,
    )


_INELIGIBLE_WORDS = {
    campaigns.Ineligible.LEVEL_TOO_LOW: "needs a higher level",
    campaigns.Ineligible.KOC_TIER_MISSING: "is open to other KOC tiers",
    campaigns.Ineligible.HONOR_MISSING: "needs honors the member does not hold",
    campaigns.Ineligible.RECENTLY_SELECTED: "is not open to members selected recently",
}


def apply_to_campaign(cmd: ApplyToCampaign, uow: UnitOfWork, economy: Economy) -> Application:
    """An eligible member applies while the window is open; once per campaign. A replayed
    key returns the first application."""
    require_aware(cmd.at, "at")
    check_key(cmd.idempotency_key)
    campaign = campaign_of(economy, cmd.campaign_id)
    motivation = campaigns.check_motivation(cmd.motivation)
    scope = idempotency.scope(idempotency.member_caller(cmd.member_id), APPLY_TO_CAMPAIGN,
                              cmd.member_id)  # fmt: skip
    with uow:
        member = member_for_update(uow, cmd.member_id)
        previous = replayed(uow, scope, cmd.idempotency_key, cmd)
        if previous is not None:
            first = uow.campaigns.application(campaign.id, member.id)
            assert first is not None, f"idempotency record points at missing {previous.result_id}"
            return first
        record = uow.campaigns.lock(campaign.id, shared=True)
        window = window_of(economy, campaign)
        if record is None or not window.is_open(cmd.at):
            state = state_of(economy, campaign, record, cmd.at)
            shown = "not open yet" if state is CampaignState.UPCOMING else state.value
            raise InvalidTransition("campaign", campaign.id, shown, "apply")
        if uow.campaigns.application(campaign.id, member.id) is not None:
            raise AlreadyExists("application", f"{campaign.id}/{member.id}")
        who = applicant_of(uow, economy, member, cmd.at, record=False)
        why = campaigns.ineligibility(eligibility_of(economy, campaign), who, cmd.at)
        if why is not None:
            raise NotEligible(f"campaign {campaign.id!r} {_INELIGIBLE_WORDS[why]} ({why.value})",
                              campaign.min_level)  # fmt: skip
        made = Application(member.id, cmd.at, motivation)
        if not uow.campaigns.add_application(campaign.id, made):
            raise AlreadyExists("application", f"{campaign.id}/{member.id}")
        remember(uow, scope, cmd.idempotency_key, cmd, "campaign_application",
                 f"{campaign.id}/{member.id}")  # fmt: skip
        uow.events.append(ApplicationReceived(member.id, campaign.id, cmd.at))
        uow.commit()
    return made


# --- changes under the campaign's lock --------------------------------------------------


@dataclass
class _Locked:
    record: CampaignRecord
    run: CampaignRun
    before: dict[str, tuple[ApplicationState, datetime | None]] = field(default_factory=dict)


def _lock(
    uow: UnitOfWork, economy: Economy, campaign: Campaign, *, offers: bool = False
) -> _Locked:
    """The campaign under its row lock; `offers` for a change that may offer a freed
    place (a decline, a lapse), which reads the groups the quotas count by."""
    record = uow.campaigns.lock(campaign.id)
    if record is None:
        raise InvalidTransition("campaign", campaign.id, "not open yet", "change")
    applications = uow.campaigns.applications(campaign.id)
    run = run_of(economy, campaign, record, applications, offers=offers)
    before = {m: (a.state, a.offered_at) for m, a in run.applications.items()}
    return _Locked(record, run, before)


def _save(uow: UnitOfWork, locked: _Locked, action: str) -> None:
    run, record = locked.run, locked.record
    if run.selection is not None and not any(a.state in HOLDING for a in run.applications.values()):
        run.closed = True  # every place confirmed, or nobody left to offer one to
    changed = [
        a for m, a in run.applications.items() if locked.before.get(m) != (a.state, a.offered_at)
    ]
    record.taken = run.taken()  # asserts the places are never exceeded
    record.closed = run.closed
    if not uow.campaigns.save(record):
        raise InvalidTransition("campaign", record.id, "changed meanwhile", action)
    record.version += 1
    uow.campaigns.save_applications(record.id, changed)


def _own(run: CampaignRun, campaign: Campaign, member_id: str) -> Application:
    made = run.applications.get(member_id)
    if made is None:  # another's place is as unknown as a missing one
        raise NotFound("application", f"{campaign.id}/{member_id}")
    return made


def withdraw_application(
    cmd: WithdrawApplication, uow: UnitOfWork, economy: Economy
) -> Application:
    """The applicant withdraws, only before the selection."""
    require_aware(cmd.at, "at")
    campaign = campaign_of(economy, cmd.campaign_id)
    with uow:
        locked = _lock(uow, economy, campaign)
        _own(locked.run, campaign, cmd.member_id)
        made = locked.run.withdraw(cmd.member_id, cmd.at)
        _save(uow, locked, "withdraw")
        uow.commit()
    return made


def _offered(campaign: Campaign, member_ids: Sequence[str], at: datetime) -> list[Event]:
    confirm_by = at + timedelta(days=campaign.confirm_days)
    return [PlaceOffered(m, campaign.id, confirm_by, at) for m in member_ids]


def select_campaign_participants(
    cmd: SelectCampaignParticipants, uow: UnitOfWork, economy: Economy
) -> Selection:
    """Run the selection of a campaign whose window has closed, once: a second run is
    refused (the audit record is stored with the seed and the applicants it read)."""
    require_aware(cmd.at, "at")
    campaign = campaign_of(economy, cmd.campaign_id)
    method = SelectionMethod(campaign.method)
    if cmd.member_ids and method is not SelectionMethod.OPERATOR:
        raise InvalidInput("memberIds", f"campaign {campaign.id!r} selects by {method.value}")
    if method is SelectionMethod.OPERATOR and not cmd.member_ids:
        raise InvalidInput("memberIds", "an operator selection names its participants")
    with uow:
        locked = _lock(uow, economy, campaign)
        run, record = locked.run, locked.record
        if run.selection is not None:
            raise InvalidTransition("campaign", campaign.id, "running", "select again")
        if run.state(cmd.at) is not CampaignState.SELECTING:
            raise InvalidTransition("campaign", campaign.id, run.state(cmd.at).value, "select")
        pool = sorted(run.pool(), key=lambda a: a.member_id)
        members = {m.id: m for m in uow.members.get_many([a.member_id for a in pool])}
        scored = method is SelectionMethod.RANKED
        rules = eligibility_of(economy, campaign)
        applicants: list[Applicant] = []
        for application in pool:
            member = members[application.member_id]
            who = applicant_of(uow, economy, member, application.applied_at, record=scored)
            if campaigns.ineligibility(rules, who, cmd.at) is not None:
                run.exclude(member.id)  # e.g. selected by another campaign meanwhile
            else:
                applicants.append(who)
        selection = campaigns.select(
            method,
            applicants,
            campaign.places,
            seed=record.seed,
            weights=weights_of(campaign),
            operator_order=cmd.member_ids,
            level_quotas=dict(campaign.level_quotas),
            koc_quotas=dict(campaign.koc_quotas),
        )
        run.record_selection(selection, cmd.at, applicants)
        record.selected_at = cmd.at
        record.audit = campaigns.audit_json(selection)
        record.applicants = campaigns.applicants_json(applicants)
        record.operator_order = tuple(cmd.member_ids)
        _save(uow, locked, "select")
        confirm_by = cmd.at + timedelta(days=campaign.confirm_days)
        uow.events.extend(
            SelectedForCampaign(m, campaign.id, confirm_by, cmd.at) for m in selection.chosen
        )
        uow.events.extend(
            Waitlisted(m, campaign.id, i, cmd.at) for i, m in enumerate(selection.waitlist, 1)
        )
        detail = (
            f"{method.value}: {len(selection.chosen)} chosen, {len(selection.waitlist)} "
            f"waitlisted of {len(applicants)}; applicants {selection.applicants_digest}"
        )
        audit(uow, cmd.actor, "select_campaign_participants", campaign.id, cmd.at, detail)
        uow.commit()
    return selection


def _give(
    uow: UnitOfWork, economy: Economy, campaign: Campaign, member: Member, at: datetime
) -> list[Event]:
    """What a participant gets on confirming (points, a mall reward and a coupon at no
    cost) and the task they owe, assigned to them at once."""
    events: list[Event] = []
    reference = f"campaign:{campaign.id}"
    why = f"place in {campaign.title}"
    if campaign.points:
        source = Source(SourceKind.CAMPAIGN, f"{campaign.id}/{member.id}")
        events += pay_points(uow, economy, member, campaign.points, at, reference, why, source)
    reward = economy.reward(campaign.reward or "")
    if reward is not None:
        if reward.stock is not None and not uow.stock.take(reward.id, 1):
            raise OutOfStock(reward.id, uow.stock.remaining(reward.id) or 0, 1)
        redemption = Redemption(uow.next_id("red"), member.id, reward.id, 1, 0,
                                RedemptionStatus.RESERVED, at, at,
                                note=f"campaign {campaign.id}")  # fmt: skip
        uow.redemptions.add(redemption)
        events.append(RedemptionUpdated(member.id, redemption.id, redemption.status, at))
    if campaign.coupon is not None:
        events += hand_coupon(uow, member, campaign.coupon, at, f"campaign {campaign.id}")
    task = economy.task(campaign.task or "")
    if task is not None:
        due_at = at + timedelta(days=task.due_days)
        assignment = TaskAssignment(uow.next_id("tsk"), task.id, member.id, TaskState.ACCEPTED,
                                    at, reference, due_at)  # fmt: skip
        uow.tasks.add(assignment)
        events.append(TaskOffered(member.id, assignment.id, task.id, due_at, at))
    events += grant_automatic(uow, economy, member, at)
    uow.members.save(member)
    return events


def confirm_participation(
    cmd: ConfirmParticipation, uow: UnitOfWork, economy: Economy
) -> Application:
    """A member holding a place confirms before the deadline and gets what the campaign
    gives, once (confirming again returns the confirmed place and pays nothing)."""
    require_aware(cmd.at, "at")
    campaign = campaign_of(economy, cmd.campaign_id)
    with uow:
        member = member_for_update(uow, cmd.member_id)
        locked = _lock(uow, economy, campaign)
        made = _own(locked.run, campaign, member.id)
        if made.state is ApplicationState.CONFIRMED:
            return made
        locked.run.confirm(member.id, cmd.at)
        events = _give(uow, economy, campaign, member, cmd.at)
        _save(uow, locked, "confirm")
        audit(uow, member.id, "confirm_participation", member.id, cmd.at, campaign.id)
        uow.events.extend(events)
        uow.commit()
    return made


def decline_participation(
    cmd: DeclineParticipation, uow: UnitOfWork, economy: Economy
) -> Application:
    """A member holding a place declines it; it goes to the first on the waitlist whose
    level and KOC tier quotas have room (or stays free when nobody fits)."""
    require_aware(cmd.at, "at")
    campaign = campaign_of(economy, cmd.campaign_id)
    with uow:
        locked = _lock(uow, economy, campaign, offers=True)
        made = _own(locked.run, campaign, cmd.member_id)
        offered = locked.run.decline(cmd.member_id, cmd.at)
        _save(uow, locked, "decline")
        uow.events.extend(_offered(campaign, offered, cmd.at))
        uow.commit()
    return made


def lapse_places(uow: UnitOfWork, economy: Economy, campaign: Campaign, at: datetime) -> int:
    """Places held past their deadline lapse and go down the waitlist (to those whose
    quotas have room); returns how many members were newly offered a place."""
    with uow:
        locked = _lock(uow, economy, campaign, offers=True)
        offered = locked.run.lapse_due(at)
        if locked.run.version == 0:  # nothing lapsed
            return 0
        _save(uow, locked, "lapse")
        uow.events.extend(_offered(campaign, offered, at))
        uow.commit()
    return len(offered)


# --- the review -------------------------------------------------------------------------


@dataclass
class CampaignReview:
    opened: int = 0
    selected: int = 0
    offered: int = 0


def review_campaigns(
    uow_factory: UowFactory, economy: Economy, as_of: datetime, new_seed: Callable[[], str]
) -> CampaignReview:
    """Open every campaign not opened yet (committing a seed the edge drew), run the
    selections that are due (not an operator's), lapse unconfirmed places. Each campaign
    in its own transactions; running it again does nothing new."""
    require_aware(as_of, "asOf")
    done = CampaignReview()
    for campaign in economy.campaigns:
        with uow_factory() as uow:
            record = uow.campaigns.get(campaign.id)
        if record is None:
            open_campaign(OpenCampaign(campaign.id, new_seed(), as_of), uow_factory(), economy)
            done.opened += 1
            with uow_factory() as uow:
                record = uow.campaigns.get(campaign.id)
            assert record is not None
        state = state_of(economy, campaign, record, as_of)
        if state is CampaignState.SELECTING and campaign.method != SelectionMethod.OPERATOR:
            cmd = SelectCampaignParticipants(campaign.id, REVIEW_ACTOR, as_of)
            try:
                select_campaign_participants(cmd, uow_factory(), economy)
                done.selected += 1
            except InvalidTransition:
                pass  # selected in parallel by another review
            state = CampaignState.RUNNING
        if state is CampaignState.RUNNING:
            done.offered += lapse_places(uow_factory(), economy, campaign, as_of)
    return done


# --- reading and verifying --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CampaignView:
    campaign: Campaign
    record: CampaignRecord | None
    state: CampaignState
    applications: int  # not withdrawn
    places_left: int
    selection: Selection | None
    opens_at: datetime  # the window, as instants in the economy's zone
    closes_at: datetime

    @property
    def oversubscription(self) -> float:
        """Applications per place."""
        return self.applications / self.campaign.places


# An application found ineligible at the selection still counts as one made.
_COUNTED = tuple(s for s in ApplicationState if s is not ApplicationState.WITHDRAWN)


def campaign_view(
    campaign_id: str, uow: UnitOfWork, economy: Economy, at: datetime
) -> CampaignView:
    campaign = campaign_of(economy, campaign_id)
    with uow:
        record = uow.campaigns.get(campaign.id)
        count = uow.campaigns.count(campaign.id, _COUNTED) if record is not None else 0
    selection = None
    if record is not None and record.audit is not None:
        selection = campaigns.audit_from_json(record.audit)
    taken = record.taken if record is not None else 0
    opens, closes = window_of(economy, campaign).bounds()
    return CampaignView(campaign, record, state_of(economy, campaign, record, at), count,
                        campaign.places - taken, selection, opens, closes)  # fmt: skip


def campaign_views(
    uow: UnitOfWork, economy: Economy, at: datetime, state: CampaignState | None = None
) -> list[CampaignView]:
    views = [campaign_view(c.id, uow, economy, at) for c in economy.campaigns]
    return [v for v in views if state is None or v.state is state]


def applications_page(
    campaign_id: str,
    uow: UnitOfWork,
    economy: Economy,
    after_member_id: str | None = None,
    first: int = 20,
) -> list[Application]:
    campaign = campaign_of(economy, campaign_id)
    with uow:
        return uow.campaigns.page(campaign.id, (), after_member_id,
                                  min(max(first, 0), page_size_max))  # fmt: skip


def application_of(
    campaign_id: str, member_id: str, uow: UnitOfWork, economy: Economy
) -> Application | None:
    campaign = campaign_of(economy, campaign_id)
    with uow:
        return uow.campaigns.application(campaign.id, member_id)


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    message: str
    selection: Selection | None = None


def verify_campaign(campaign_id: str, uow: UnitOfWork, economy: Economy) -> Verification:
    """Re-run the campaign's selection from its stored audit record and applicants: the
    seed must match the commitment published at opening, and the digest, scores, chosen
    and waitlist must all come out as recorded."""
    campaign = campaign_of(economy, campaign_id)
    with uow:
        record = uow.campaigns.get(campaign.id)
    if record is None or record.audit is None or record.applicants is None:
        return Verification(False, f"campaign {campaign.id!r} has no selection to verify")
    try:
        selection = campaigns.audit_from_json(record.audit)
        applicants = campaigns.applicants_from_json(record.applicants)
    except InvalidInput as bad:
        return Verification(False, f"the stored record is unreadable: {bad}")
    if selection.method is SelectionMethod.LOTTERY:
        if selection.seed is None or record.commitment is None:
            return Verification(False, "a lottery's record has no seed or no commitment", selection)
        if not campaigns.seed_matches(selection.seed, record.commitment):
            return Verification(False, "the seed does not match the commitment published at "
                                f"opening ({record.commitment})", selection)  # fmt: skip
    if campaigns.applicants_digest(applicants) != selection.applicants_digest:
        return Verification(False, "the stored applicants do not match the recorded digest",
                            selection)  # fmt: skip
    matches = campaigns.verify(
        selection,
        applicants,
        campaign.places,
        weights=weights_of(campaign),
        operator_order=record.operator_order,
        level_quotas=dict(campaign.level_quotas),
        koc_quotas=dict(campaign.koc_quotas),
    )
    if not matches:
        return Verification(False, "re-running the draw gives another result than recorded",
                            selection)  # fmt: skip
    return Verification(
        True,
        f"selection of {campaign.id!r} verified: {selection.method.value}, "
        f"{len(applicants)} applicants ({selection.applicants_digest}), "
        f"{len(selection.chosen)} chosen, {len(selection.waitlist)} on the waitlist",
        selection,
    )
