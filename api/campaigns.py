"""Campaigns at the edge: the campaigns of the economy with their state, places left and
oversubscription, their applications, the selection's audit record, and the mutations
(apply, withdraw, select, confirm, decline). Resolvers only translate to
`domain.services.campaigns`; the lottery seed is drawn here, with `secrets`, when a
campaign is first opened (the domain has no randomness).

Who sees what: anyone signed in sees the campaigns, the selection's method, seed (once
drawn), commitment and applicants digest, and the numbers chosen and waitlisted; a member
sees their own application, whether they were chosen and their waitlist position, never
the others' or their scores; operators see every application, the chosen, the waitlist
and the scores."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated, TypeVar, cast

import strawberry
from strawberry import relay

from api import ids
from api.auth import Role
from api.commanding import actor, attempt, viewer_member
from api.connections import Connection, Edge, connection, page_size
from api.context import Info
from api.errors import (
    AlreadyExists,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    NotFound,
    OutOfStock,
)
from api.fields import field, mutation
from api.permissions import IsAuthenticated, IsMember, IsOperator
from api.types import Member
from domain import campaign_places as dp
from domain import commands as c
from domain.campaigns import Selection
from domain.economy import Economy
from domain.errors import DomainError
from domain.ports import UnitOfWork
from domain.services import campaigns as services


@strawberry.enum(description="Where a campaign stands.")
class CampaignState(Enum):
    UPCOMING = "upcoming"
    OPEN = "open"
    SELECTING = "selecting"
    RUNNING = "running"
    CLOSED = "closed"


@strawberry.enum(description="Where an application stands.")
class CampaignApplicationState(Enum):
    APPLIED = "applied"
    WITHDRAWN = "withdrawn"
    SELECTED = "selected"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    LAPSED = "lapsed"
    INELIGIBLE = "ineligible"


def _is_operator(info: Info) -> bool:
    viewer = info.context.viewer
    return viewer is not None and viewer.role is Role.OPERATOR


def _viewer_member(info: Info) -> str | None:
    viewer = info.context.viewer
    return viewer.member_id if viewer is not None else None


@strawberry.type(description="One member's application to a campaign, and its place.")
class CampaignApplication:
    state: CampaignApplicationState
    applied_at: datetime
    motivation: str
    offered_at: datetime | None = strawberry.field(
        description="When the place was given (selection) or offered (from the waitlist)."
    )
    confirm_by: datetime | None = strawberry.field(
        description="A held place lapses to the waitlist unless confirmed before this."
    )
    owner_id: strawberry.Private[str]

    @strawberry.field
    async def member(self, info: Info) -> Member:
        found = await info.context.loaders.members.load(self.owner_id)
        assert found is not None, f"application of unknown member {self.owner_id}"
        return Member.of(found)

    @classmethod
    def of(cls, application: dp.Application, confirm_days: int) -> CampaignApplication:
        held = application.state in dp.HOLDING and application.offered_at is not None
        return cls(
            state=CampaignApplicationState(application.state.value),
            applied_at=application.applied_at,
            motivation=application.motivation,
            offered_at=application.offered_at,
            confirm_by=(
                application.offered_at + timedelta(days=confirm_days)
                if held and application.offered_at is not None
                else None
            ),
            owner_id=application.member_id,
        )


@strawberry.type(description="A ranked selection's declared score of one applicant.")
class ApplicantScore:
    member_id: relay.GlobalID
    score: int


@strawberry.type(
    description="The selection's audit record: anyone holding it can re-run the draw "
    "(`honorloop campaign verify`). Members see whether they were chosen and their "
    "waitlist position, not the others' places or scores; operators see everything."
)
class CampaignSelection:
    method: str = strawberry.field(description="first_come, lottery, ranked or operator.")
    seed: str | None = strawberry.field(
        description="A lottery's seed; SHA-256(seed) is the commitment published at opening."
    )
    applicants_digest: str = strawberry.field(
        description="SHA-256 over the applicants and the record the selection read of them."
    )
    chosen_count: int
    waitlist_count: int
    chosen: list[relay.GlobalID] = strawberry.field(
        description="Operators: everyone chosen, in order. A member: themselves, if chosen."
    )
    waitlist: list[relay.GlobalID] = strawberry.field(
        description="Operators: the waitlist in order. A member: themselves, if on it."
    )
    scores: list[ApplicantScore] = strawberry.field(
        description="A ranked selection's scores (operators only; empty for members)."
    )
    viewer_chosen: bool | None = strawberry.field(
        description="Whether the signed-in member was chosen (null: not an applicant)."
    )
    viewer_waitlist_position: int | None = strawberry.field(
        description="The signed-in member's waitlist position, 1 first (null: not on it)."
    )

    @classmethod
    def of(cls, selection: Selection, operator: bool, member_id: str | None) -> CampaignSelection:
        def gid(member: str) -> relay.GlobalID:
            return relay.GlobalID("Member", member)

        mine = member_id is not None and member_id in (*selection.chosen, *selection.waitlist)
        position = (
            selection.waitlist.index(member_id) + 1
            if member_id is not None and member_id in selection.waitlist
            else None
        )
        return cls(
            method=selection.method.value,
            seed=selection.seed,
            applicants_digest=selection.applicants_digest,
            chosen_count=len(selection.chosen),
            waitlist_count=len(selection.waitlist),
            chosen=[gid(m) for m in selection.chosen if operator or m == member_id],
            waitlist=[gid(m) for m in selection.waitlist if operator or m == member_id],
            scores=[
                ApplicantScore(member_id=gid(m), score=s)
                for m, s in sorted(selection.scores.items())
                if operator
            ],
            viewer_chosen=(member_id in selection.chosen) if mine else None,
            viewer_waitlist_position=position,
        )


@strawberry.type(description="A campaign: members apply in a window; a selection fills its places.")
class Campaign:
    id: strawberry.ID
    title: str
    description: str
    opens_at: datetime
    closes_at: datetime = strawberry.field(description="Exclusive: the window has closed then.")
    places: int
    selection_method: str
    confirm_days: int
    state: CampaignState
    places_left: int = strawberry.field(description="Places neither held nor confirmed.")
    applications_count: int = strawberry.field(description="Applications not withdrawn.")
    oversubscription: float = strawberry.field(description="Applications per place.")
    commitment: str | None = strawberry.field(
        description="SHA-256 of the lottery seed, published when the campaign opened."
    )
    min_level: strawberry.ID | None
    koc_tiers: list[strawberry.ID]
    honors: list[strawberry.ID]
    not_selected_days: int
    points: int = strawberry.field(description="Earned by each participant on confirming.")
    reward_id: strawberry.ID | None = strawberry.field(description="A mall reward, at no cost.")
    coupon_id: strawberry.ID | None
    task_id: strawberry.ID | None = strawberry.field(description="The task each participant owes.")
    view: strawberry.Private[services.CampaignView]

    @field(description="The selection's audit record, once it ran.")
    def selection(self, info: Info) -> CampaignSelection | None:
        if self.view.selection is None:
            return None
        return CampaignSelection.of(self.view.selection, _is_operator(info), _viewer_member(info))

    @field(description="Operators: every application. A member: their own.")
    async def applications(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[CampaignApplication]:
        limit = page_size(first)
        runtime = info.context.runtime
        campaign = self.view.campaign
        after_id = ids.decode_cursor("campaignApplication", after)
        if _is_operator(info):
            rows = await runtime.read(
                lambda uow: services.applications_page(
                    campaign.id, uow, runtime.economy, after_id, limit + 1
                )
            )
        else:
            member_id = _viewer_member(info)
            own = None
            if member_id is not None and (after_id is None or member_id > after_id):
                own = await runtime.read(
                    lambda uow: services.application_of(
                        campaign.id, member_id, uow, runtime.economy
                    )
                )
            rows = [own] if own is not None and limit else []
        edges = [
            Edge(
                cursor=ids.encode_cursor("campaignApplication", row.member_id),
                node=CampaignApplication.of(row, campaign.confirm_days),
            )
            for row in rows[:limit]
        ]
        return connection(edges, len(rows) > limit, after)

    @field(description="The signed-in member's application, if any.")
    async def viewer_application(self, info: Info) -> CampaignApplication | None:
        member_id = _viewer_member(info)
        if member_id is None:
            return None
        runtime = info.context.runtime
        campaign = self.view.campaign
        own = await runtime.read(
            lambda uow: services.application_of(campaign.id, member_id, uow, runtime.economy)
        )
        return CampaignApplication.of(own, campaign.confirm_days) if own is not None else None

    @classmethod
    def of(cls, view: services.CampaignView) -> Campaign:
        campaign = view.campaign
        opens, closes = view.opens_at, view.closes_at

        def opt(value: str | None) -> strawberry.ID | None:
            return strawberry.ID(value) if value is not None else None

        return cls(
            id=strawberry.ID(campaign.id),
            title=campaign.title,
            description=campaign.description,
            opens_at=opens,
            closes_at=closes,
            places=campaign.places,
            selection_method=campaign.method,
            confirm_days=campaign.confirm_days,
            state=CampaignState(view.state.value),
            places_left=view.places_left,
            applications_count=view.applications,
            oversubscription=view.oversubscription,
            commitment=view.record.commitment if view.record is not None else None,
            min_level=opt(campaign.min_level),
            koc_tiers=[strawberry.ID(t) for t in campaign.koc_tiers],
            honors=[strawberry.ID(h) for h in campaign.honors],
            not_selected_days=campaign.cooldown_days,
            points=campaign.points,
            reward_id=opt(campaign.reward),
            coupon_id=opt(campaign.coupon),
            task_id=opt(campaign.task),
            view=view,
        )


# --- inputs, payloads, results ----------------------------------------------------------


@strawberry.input
class ApplyToCampaignInput:
    campaign_id: strawberry.ID
    motivation: str = strawberry.field(description="Why you: at most 2,000 characters.")
    idempotency_key: str


@strawberry.input
class CampaignInput:
    campaign_id: strawberry.ID


@strawberry.input
class SelectCampaignParticipantsInput:
    campaign_id: strawberry.ID
    member_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="An operator selection's participants, in order."
    )


@strawberry.type
class CampaignApplicationPayload:
    application: CampaignApplication
    campaign: Campaign


@strawberry.type
class CampaignSelectionPayload:
    selection: CampaignSelection
    campaign: Campaign


CampaignApplicationResult = Annotated[
    CampaignApplicationPayload
    | NotFound
    | NotEligible
    | AlreadyExists
    | IdempotencyKeyReused
    | InvalidTransition
    | OutOfStock
    | InvalidInput,
    strawberry.union("CampaignApplicationResult"),
]
CampaignSelectionResult = Annotated[
    CampaignSelectionPayload | NotFound | InvalidTransition | InvalidInput,
    strawberry.union("CampaignSelectionResult"),
]


async def _view(info: Info, campaign_id: str) -> Campaign:
    runtime = info.context.runtime
    at = info.context.runtime.clock()
    view = await runtime.read(
        lambda uow: services.campaign_view(campaign_id, uow, runtime.economy, at)
    )
    return Campaign.of(view)


async def _open(info: Info, campaign_id: str) -> None:
    """Open the campaign if nobody did yet, committing a seed drawn here."""
    cmd = c.OpenCampaign(campaign_id, secrets.token_urlsafe(32), info.context.runtime.clock())
    await info.context.runtime.command(services.open_campaign, cmd)


async def _application(
    info: Info, campaign_id: str, application: dp.Application
) -> CampaignApplicationPayload:
    campaign = await _view(info, campaign_id)
    return CampaignApplicationPayload(
        application=CampaignApplication.of(application, campaign.confirm_days), campaign=campaign
    )


@strawberry.type
class CampaignQueries:
    @field(
        permissions=[IsAuthenticated],
        description="The campaigns of the economy, optionally in one state, by id.",
    )
    async def campaigns(
        self,
        info: Info,
        state: CampaignState | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Campaign]:
        limit = page_size(first)
        runtime = info.context.runtime
        after_id = ids.decode_cursor("campaign", after)
        wanted = dp.CampaignState(state.value) if state is not None else None
        at = info.context.runtime.clock()
        views = await runtime.read(
            lambda uow: services.campaign_views(uow, runtime.economy, at, wanted)
        )
        rows = sorted((v for v in views if after_id is None or v.campaign.id > after_id),
                      key=lambda v: v.campaign.id)  # fmt: skip
        edges = [
            Edge(cursor=ids.encode_cursor("campaign", v.campaign.id), node=Campaign.of(v))
            for v in rows[:limit]
        ]
        return connection(edges, len(rows) > limit, after)

    @field(permissions=[IsAuthenticated], description="One campaign, or null if unknown.")
    async def campaign(self, info: Info, id: strawberry.ID) -> Campaign | None:
        try:
            return await _view(info, str(id))
        except DomainError:
            return None


# the commands a member gives about their own application or place
OwnPlace = TypeVar(
    "OwnPlace", c.WithdrawApplication, c.ConfirmParticipation, c.DeclineParticipation
)


async def _own_place(
    info: Info,
    input: CampaignInput,
    command: Callable[[str, str, datetime], OwnPlace],
    service: Callable[[OwnPlace, UnitOfWork, Economy], dp.Application],
) -> CampaignApplicationResult:
    """The viewer acts on their own application or place (withdraw, confirm, decline)."""

    async def act() -> CampaignApplicationPayload:
        campaign_id = str(input.campaign_id)
        cmd = command(viewer_member(info), campaign_id, info.context.runtime.clock())
        made = await info.context.runtime.command(service, cmd)
        return await _application(info, campaign_id, made)

    return cast(CampaignApplicationResult, await attempt(info, act))


@strawberry.type
class CampaignMutations:
    @mutation(permissions=[IsMember], description="Apply to a campaign while its window is open.")
    async def apply_to_campaign(
        self, info: Info, input: ApplyToCampaignInput
    ) -> CampaignApplicationResult:
        async def act() -> CampaignApplicationPayload:
            campaign_id = str(input.campaign_id)
            await _open(info, campaign_id)
            at = info.context.runtime.clock()
            cmd = c.ApplyToCampaign(viewer_member(info), campaign_id, input.motivation,
                                    input.idempotency_key, at)  # fmt: skip
            made = await info.context.runtime.command(services.apply_to_campaign, cmd)
            return await _application(info, campaign_id, made)

        return cast(CampaignApplicationResult, await attempt(info, act))

    @mutation(permissions=[IsMember], description="Withdraw one's application before selection.")
    async def withdraw_application(
        self, info: Info, input: CampaignInput
    ) -> CampaignApplicationResult:
        return await _own_place(info, input, c.WithdrawApplication, services.withdraw_application)

    @mutation(
        permissions=[IsOperator],
        description="Run a closed campaign's selection, once (operators).",
    )
    async def select_campaign_participants(
        self, info: Info, input: SelectCampaignParticipantsInput
    ) -> CampaignSelectionResult:
        async def act() -> CampaignSelectionPayload:
            campaign_id = str(input.campaign_id)
            members = tuple(ids.node_id(m, "Member", "memberIds") for m in (input.member_ids or []))
            await _open(info, campaign_id)
            cmd = c.SelectCampaignParticipants(
                campaign_id, actor(info), info.context.runtime.clock(), members
            )
            selection = await info.context.runtime.command(
                services.select_campaign_participants, cmd
            )
            return CampaignSelectionPayload(
                selection=CampaignSelection.of(selection, True, None),
                campaign=await _view(info, campaign_id),
            )

        return cast(CampaignSelectionResult, await attempt(info, act))

    @mutation(permissions=[IsMember], description="Confirm one's place before the deadline.")
    async def confirm_participation(
        self, info: Info, input: CampaignInput
    ) -> CampaignApplicationResult:
        return await _own_place(info, input, c.ConfirmParticipation, services.confirm_participation)

    @mutation(permissions=[IsMember], description="Decline one's place: the waitlist moves up.")
    async def decline_participation(
        self, info: Info, input: CampaignInput
    ) -> CampaignApplicationResult:
        return await _own_place(info, input, c.DeclineParticipation, services.decline_participation)
