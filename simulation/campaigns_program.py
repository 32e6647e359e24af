"""The simulator's side of campaigns, through the same domain services as the API.

At each scheduled review: every campaign not opened yet is opened with a seed the
simulator draws from its own random stream (so a run is reproducible; the production
edge draws with `secrets`), then the campaigns review runs (due selections, lapses down
the waitlist). Living members of archetypes with a `campaign_interest` apply to each open
campaign with that chance per review (the service refuses the ineligible: counted);
members holding a place confirm with the population's `campaign_confirm` chance, decline
with `campaign_decline`, or let it lapse. Only commands that succeeded are logged, so a
replay issues them again. The summary shows, per campaign, the applications and the
oversubscription, who got the places by level and KOC tier, and the repeat winners."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from domain.campaign_places import HOLDING, ApplicationState, CampaignState
from domain.campaigns import applicants_from_json, audit_from_json
from domain.commands import (
    ApplyToCampaign,
    ConfirmParticipation,
    DeclineParticipation,
    OpenCampaign,
)
from domain.economy import Campaign, Economy
from domain.errors import DomainError
from domain.model import Event
from domain.ports import UnitOfWork
from domain.services import campaigns as services

CAMPAIGN_COUNTS = ("applied", "refused", "chosen", "waitlisted", "confirmed", "declined",
                   "points")  # fmt: skip
LogFn = Callable[[str, Any], None]
seed_alphabet = "0123456789abcdef"
seed_length = 64


def _no_seed() -> str:
    raise AssertionError("every campaign is opened by the program before the review")


@dataclass
class CampaignsProgram:
    """What the campaigns did in one run."""

    economy: Economy
    store: Callable[[], UnitOfWork]
    log: LogFn
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = {c.id: dict.fromkeys(CAMPAIGN_COUNTS, 0) for c in self.economy.campaigns}

    def _run(self, kind: str, service: Callable[..., Any], cmd: Any) -> list[Event] | None:
        """Issue one command; None if refused, else the events it committed (logged)."""
        uow = self.store()
        try:
            service(cmd, uow, self.economy)
        except DomainError:
            return None
        self.log(kind, cmd)
        return list(uow.events)

    def _seed(self, rng: np.random.Generator) -> str:
        return "".join(seed_alphabet[int(i)] for i in rng.integers(0, 16, seed_length))

    def round(
        self,
        as_of: datetime,
        candidates: list[str],
        interest: Callable[[str], float],
        confirm: float,
        decline: float,
        rng: np.random.Generator,
    ) -> list[Event]:
        """One review's worth of campaign activity; returns the events of the payouts."""
        for campaign in self.economy.campaigns:
            with self.store() as uow:
                opened = uow.campaigns.get(campaign.id) is not None
            if not opened:
                cmd = OpenCampaign(campaign.id, self._seed(rng), as_of)
                self._run("campaign_open", services.open_campaign, cmd)
        self.log("review_campaigns", as_of)
        services.review_campaigns(self.store, self.economy, as_of, _no_seed)
        paid: list[Event] = []
        for campaign in self.economy.campaigns:
            view = services.campaign_view(campaign.id, self.store(), self.economy, as_of)
            counts = self.counts[campaign.id]
            if view.state is CampaignState.OPEN:
                self._apply(campaign, as_of, candidates, interest, rng)
            elif view.state is CampaignState.RUNNING:
                paid += self._answer(campaign, as_of + timedelta(hours=1), confirm, decline, rng)
            if view.selection is not None:
                counts["chosen"] = len(view.selection.chosen)
                counts["waitlisted"] = len(view.selection.waitlist)
        return paid

    def _apply(
        self,
        campaign: Campaign,
        at: datetime,
        candidates: list[str],
        interest: Callable[[str], float],
        rng: np.random.Generator,
    ) -> None:
        counts = self.counts[campaign.id]
        with self.store() as uow:
            applied = {a.member_id for a in uow.campaigns.applications(campaign.id)}
        for n, member in enumerate(candidates):
            if member in applied or rng.random() >= interest(member):
                continue
            key = f"campaign-{campaign.id}-{member}"
            cmd = ApplyToCampaign(member, campaign.id, "I would love to try it", key,
                                  at + timedelta(seconds=n))  # fmt: skip
            if self._run("campaign_apply", services.apply_to_campaign, cmd) is None:
                counts["refused"] += 1
            else:
                counts["applied"] += 1

    def _answer(
        self,
        campaign: Campaign,
        at: datetime,
        confirm: float,
        decline: float,
        rng: np.random.Generator,
    ) -> list[Event]:
        """Members holding a place confirm, decline (the next is offered) or let it lapse."""
        counts = self.counts[campaign.id]
        paid: list[Event] = []
        answered: set[str] = set()
        while True:
            with self.store() as uow:
                holding = [a.member_id for a in uow.campaigns.page(campaign.id, tuple(HOLDING),
                                                                    None, 10_000)]  # fmt: skip
            waiting = [m for m in holding if m not in answered]
            if not waiting:
                return paid
            for member in waiting:
                answered.add(member)
                roll = rng.random()
                if roll < confirm:
                    done = self._run("campaign_confirm", services.confirm_participation,
                                     ConfirmParticipation(member, campaign.id, at))  # fmt: skip
                    if done is not None:
                        counts["confirmed"] += 1
                        counts["points"] += campaign.points
                        paid += done
                elif roll < confirm + decline:
                    cmd = DeclineParticipation(member, campaign.id, at)
                    if self._run("campaign_decline", services.decline_participation, cmd):
                        counts["declined"] += 1

    def summary(self) -> dict[str, Any]:
        """Per campaign: applications, oversubscription, places by level and KOC tier (as
        the selection read the chosen), and members confirmed in more than one campaign."""
        out: dict[str, Any] = {}
        winners: Counter[str] = Counter()
        for campaign in self.economy.campaigns:
            with self.store() as uow:
                record = uow.campaigns.get(campaign.id)
                confirmed = [a.member_id for a in uow.campaigns.page(
                    campaign.id, (ApplicationState.CONFIRMED,), None, 10_000)]  # fmt: skip
                waitlist = set(campaigns_waitlist(record))
                offered = sum(1 for a in uow.campaigns.applications(campaign.id)
                              if a.member_id in waitlist
                              and a.state is not ApplicationState.WAITLISTED)  # fmt: skip
            winners.update(confirmed)
            by_level: Counter[str] = Counter()
            by_tier: Counter[str] = Counter()
            if record is not None and record.applicants is not None:
                people = {a.member_id: a for a in applicants_from_json(record.applicants)}
                for member in confirmed:
                    who = people.get(member)
                    if who is not None:
                        by_level[who.level_id] += 1
                        by_tier[who.koc_tier or "none"] += 1
            counts = self.counts[campaign.id]
            applications = counts["applied"]
            out[campaign.id] = {
                **counts,
                "offered": offered,
                "places": campaign.places,
                "oversubscription": applications / campaign.places,
                "by_level": dict(sorted(by_level.items())),
                "by_tier": dict(sorted(by_tier.items())),
            }
        repeat = sum(1 for n in winners.values() if n > 1)
        return {"campaigns": out, "repeat_winners": repeat, "winners": len(winners)}


def campaigns_waitlist(record: Any) -> tuple[str, ...]:
    """The waitlist of a stored selection, in order (none before the selection)."""
    if record is None or record.audit is None:
        return ()
    return audit_from_json(record.audit).waitlist


REPLAYED: dict[str, Callable[[Any, UnitOfWork, Economy], Any]] = {
    "campaign_open": services.open_campaign,
    "campaign_apply": services.apply_to_campaign,
    "campaign_confirm": services.confirm_participation,
    "campaign_decline": services.decline_participation,
}


def replay_campaigns(
    kind: str, payload: Any, uow: Callable[[], UnitOfWork], economy: Economy
) -> bool:
    """Replay one campaigns entry (True if `kind` is one)."""
    if kind == "review_campaigns":
        assert isinstance(payload, datetime)
        services.review_campaigns(uow, economy, payload, _no_seed)
        return True
    service = REPLAYED.get(kind)
    if service is None:
        return False
    service(payload, uow(), economy)
    return True
