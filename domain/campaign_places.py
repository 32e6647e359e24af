"""A campaign's applications and places, as a state machine (issue 9):

    UPCOMING -> OPEN (window open: apply, withdraw) -> SELECTING (window closed) ->
    RUNNING (selected: confirm, decline; lapsed or declined places offered down the
    waitlist, to the first whose level and KOC tier quotas have room) -> CLOSED.

Applications: APPLIED -> WITHDRAWN (before selection only) | INELIGIBLE (no longer
eligible when the selection runs) | SELECTED | WAITLISTED;
SELECTED -> CONFIRMED | DECLINED | LAPSED (confirmation deadline passed);
WAITLISTED -> OFFERED (a place came free) -> CONFIRMED | DECLINED | LAPSED.

The window is given in the economy's time zone and compared on aware instants. Selection
happens once: a second run is refused, so a lottery cannot be re-drawn. Pure: the caller
passes the time; `version` counts the writes for a conditional save."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.campaigns import (
    Applicant,
    Group,
    Room,
    Selection,
    check_motivation,
    group_of,
    next_offers,
)
from domain.errors import AlreadyExists, InvalidInput, InvalidTransition, NotEligible


class CampaignState(StrEnum):
    UPCOMING = "upcoming"  # the window has not opened yet
    OPEN = "open"
    SELECTING = "selecting"
    RUNNING = "running"
    CLOSED = "closed"


class ApplicationState(StrEnum):
    APPLIED = "applied"
    WITHDRAWN = "withdrawn"
    SELECTED = "selected"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    LAPSED = "lapsed"
    INELIGIBLE = "ineligible"  # no longer eligible when the selection ran: not drawn


HOLDING = frozenset({ApplicationState.SELECTED, ApplicationState.OFFERED})
TAKEN = HOLDING | {ApplicationState.CONFIRMED}  # a place held, offered or confirmed
PASSED = frozenset({ApplicationState.DECLINED, ApplicationState.LAPSED})


@dataclass(frozen=True, slots=True)
class Window:
    """Opening and closing wall-clock times in the economy's zone, as the economy file
    writes them ("2026-12-01T09:00", no offset); closes is exclusive."""

    opens_local: str
    closes_local: str
    zone: str

    def bounds(self) -> tuple[datetime, datetime]:
        tz = ZoneInfo(self.zone)
        opens = _local("opens", self.opens_local).replace(tzinfo=tz)
        closes = _local("closes", self.closes_local).replace(tzinfo=tz)
        if closes <= opens:
            raise InvalidInput("closes", "must be after the window opens")
        return opens, closes

    def is_open(self, at: datetime) -> bool:
        opens, closes = self.bounds()
        return opens <= at < closes


@dataclass(slots=True)
class Application:
    member_id: str
    applied_at: datetime
    motivation: str
    state: ApplicationState = ApplicationState.APPLIED
    offered_at: datetime | None = None


@dataclass(slots=True)
class CampaignRecord:
    """What a store keeps of one campaign besides its applications. The seed stays
    secret (never served) until the selection stores it in the audit record; `taken`
    counts held and confirmed places, moved only under the campaign's lock."""

    id: str
    places: int
    opened_at: datetime
    commitment: str | None  # SHA-256 of the seed, published from opening on
    seed: str | None  # a lottery's seed; secret until the selection
    selected_at: datetime | None = None
    audit: str | None = None  # the selection's audit record (`campaigns.audit_json`)
    applicants: str | None = None  # the applicants as the selection read them (JSON)
    operator_order: tuple[str, ...] = ()  # an operator selection's list
    closed: bool = False
    taken: int = 0
    version: int = 0


@dataclass(slots=True)
class CampaignRun:
    id: str
    places: int
    window: Window
    confirm_days: int
    commitment: str | None = None  # SHA-256 of the lottery seed, published at opening
    applications: dict[str, Application] = field(default_factory=dict)
    selection: Selection | None = None
    level_quotas: dict[str, int] = field(default_factory=dict)  # at most N places per level
    koc_quotas: dict[str, int] = field(default_factory=dict)  # at most N per KOC tier
    groups: dict[str, Group] = field(default_factory=dict)  # as the selection read them
    closed: bool = False
    version: int = 0

    def state(self, at: datetime) -> CampaignState:
        if self.closed:
            return CampaignState.CLOSED
        if self.selection is not None:
            return CampaignState.RUNNING
        opens, closes = self.window.bounds()
        if at < opens:
            return CampaignState.UPCOMING
        return CampaignState.OPEN if at < closes else CampaignState.SELECTING

    def apply(self, member_id: str, motivation: str, at: datetime) -> Application:
        if not self.window.is_open(at):
            raise InvalidTransition("campaign", self.id, self.state(at).value, "apply")
        if member_id in self.applications:
            raise AlreadyExists("application", f"{self.id}/{member_id}")
        made = Application(member_id, at, check_motivation(motivation))
        self.applications[member_id] = made
        self.version += 1
        return made

    def withdraw(self, member_id: str, at: datetime) -> Application:
        made = self._own(member_id)
        if self.selection is not None or made.state is not ApplicationState.APPLIED:
            raise InvalidTransition("application", member_id, made.state.value, "withdraw")
        made.state = ApplicationState.WITHDRAWN
        self.version += 1
        return made

    def exclude(self, member_id: str) -> Application:
        """Leave an applicant who is no longer eligible out of the draw (before it runs)."""
        made = self._own(member_id)
        if self.selection is not None or made.state is not ApplicationState.APPLIED:
            raise InvalidTransition("application", member_id, made.state.value, "exclude")
        made.state = ApplicationState.INELIGIBLE
        self.version += 1
        return made

    def pool(self) -> list[Application]:
        """The applications the selection draws from (withdrawn ones are out)."""
        return [a for a in self.applications.values() if a.state is ApplicationState.APPLIED]

    def record_selection(
        self, selection: Selection, at: datetime, applicants: Sequence[Applicant] = ()
    ) -> None:
        """Record the selection of the pool; `applicants` are the records it read, whose
        groups the quotas of later offers count by."""
        if self.selection is not None:
            raise InvalidTransition("campaign", self.id, "running", "select again")
        if self.state(at) is not CampaignState.SELECTING:
            raise InvalidTransition("campaign", self.id, self.state(at).value, "select")
        assert len(selection.chosen) <= self.places, "no more chosen than places"
        assert {a.member_id for a in self.pool()} == set(selection.chosen) | set(
            selection.waitlist
        ), "the selection covers exactly the pool"
        self.selection = selection
        self.groups = {a.member_id: group_of(a) for a in applicants}
        for member_id in selection.chosen:
            self.applications[member_id].state = ApplicationState.SELECTED
            self.applications[member_id].offered_at = at
        for member_id in selection.waitlist:
            self.applications[member_id].state = ApplicationState.WAITLISTED
        self.version += 1

    def confirm(self, member_id: str, at: datetime) -> Application:
        made = self._own(member_id)
        if made.state not in HOLDING:
            raise InvalidTransition("application", member_id, made.state.value, "confirm")
        if self._deadline(made) <= at:
            raise NotEligible("the confirmation deadline has passed")
        made.state = ApplicationState.CONFIRMED
        self.version += 1
        return made

    def decline(self, member_id: str, at: datetime) -> list[str]:
        """Decline a held place; returns the members offered a free place now (usually
        the one next on the waitlist whose quotas have room; none when nobody fits)."""
        made = self._own(member_id)
        if made.state not in HOLDING:
            raise InvalidTransition("application", member_id, made.state.value, "decline")
        made.state = ApplicationState.DECLINED
        self.version += 1
        return self._offer_free(at)

    def lapse_due(self, at: datetime) -> list[str]:
        """Places held past their deadline lapse and go down the waitlist; returns the
        members newly offered a place, in waitlist order."""
        lapsed = False
        for made in self.applications.values():
            if made.state in HOLDING and self._deadline(made) <= at:
                made.state = ApplicationState.LAPSED
                self.version += 1
                lapsed = True
        return self._offer_free(at) if lapsed else []

    def taken(self) -> int:
        """Places held or confirmed: never more than `places`."""
        count = sum(1 for a in self.applications.values() if a.state in TAKEN)
        assert count <= self.places, "a campaign never holds more places than it has"
        return count

    def places_left(self) -> int:
        return self.places - self.taken()

    def room(self) -> Room | None:
        """What the quotas leave, counting the places held, offered or confirmed by their
        holders' groups as the selection read them; None without quotas."""
        if not self.level_quotas and not self.koc_quotas:
            return None
        held = [self._group(m) for m, a in self.applications.items() if a.state in TAKEN]
        return Room.of(self.level_quotas, self.koc_quotas, held)

    def _offer_free(self, at: datetime) -> list[str]:
        """Offer every free place, each to the first still waitlisted whose quotas have
        room; one passed over stays waitlisted for a later place of their group, and a
        place nobody fits stays free."""
        assert self.selection is not None
        waiting = {
            m for m, a in self.applications.items() if a.state is ApplicationState.WAITLISTED
        }
        offered = next_offers(self.selection.waitlist, waiting, self.places_left(),
                              groups=self.groups, room=self.room())  # fmt: skip
        for member_id in offered:
            self.applications[member_id].state = ApplicationState.OFFERED
            self.applications[member_id].offered_at = at
        return offered

    def _group(self, member_id: str) -> Group:
        group = self.groups.get(member_id)
        assert group is not None, f"no group recorded for {member_id!r} at the selection"
        return group

    def _deadline(self, made: Application) -> datetime:
        assert made.offered_at is not None, "a held place has an offer time"
        return made.offered_at + timedelta(days=self.confirm_days)

    def _own(self, member_id: str) -> Application:
        made = self.applications.get(member_id)
        if made is None:
            raise InvalidInput("campaignId", f"{member_id!r} has not applied")
        return made


def _local(field_name: str, text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(field_name, "must be a date and time like 2026-12-01T09:00") from None
    if value.tzinfo is not None:
        raise InvalidInput(field_name, "is read in the economy's time zone: give no offset")
    return value
