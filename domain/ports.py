"""The unit-of-work port the services run over; `persistence` implements it twice
(in memory for the simulator and unit tests, SQL for the API)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from domain.campaign_places import Application, ApplicationState, CampaignRecord
from domain.contests import ContestScore, Standing
from domain.ledger import Account, LedgerEntry, Source, Transfer
from domain.membership import Membership
from domain.model import (
    ActivityRecord,
    AuditEntry,
    Event,
    HonorAward,
    IdempotencyRecord,
    Member,
    Note,
    Redemption,
)
from domain.quests import QuestProgress
from domain.referrals import CommissionState, PurchaseCommission, Referral, RewardOutcome
from domain.reversal import Reversal
from domain.roles import Mentorship, RoleHolding, RoleState
from domain.seasons import SeasonSnapshot
from domain.tasks import TaskAssignment, TaskState
from domain.team_help import FriendQuestInstance, InstanceState, Participation


class MemberRepository(Protocol):
    def add(self, member: Member) -> None: ...
    def get(self, member_id: str) -> Member | None: ...
    def get_for_update(self, member_id: str) -> Member | None:
        """Load and lock: every ledger-writing use case on a member serializes here."""
        ...

    def get_many_for_update(self, member_ids: Sequence[str]) -> list[Member]:
        """Load and lock these members at once, in ascending id order (the one global
        order, so two batches never deadlock): those found, in the order asked."""
        ...

    def get_many(self, member_ids: Sequence[str]) -> list[Member]: ...
    def get_by_handle(self, handle: str) -> Member | None: ...
    def save(self, member: Member) -> None: ...
    def at_levels(self, level_ids: Sequence[str], limit: int) -> list[Member]: ...
    def ids(self, after_id: str | None, limit: int) -> list[str]:
        """Member ids in ascending order after `after_id` (keyset paging for batch jobs)."""
        ...


class LedgerRepository(Protocol):
    def post(self, transfer: Transfer) -> bool:
        """Append the transfer and move cached balances; refuse (False, nothing written)
        if an account that may not go negative would go below zero, or if the transfer
        settles or voids a hold that was already settled or voided."""
        ...

    def balance(self, account: Account) -> int: ...
    def balances(self, accounts: Sequence[Account]) -> dict[Account, int]: ...
    def entries(self, member_id: str, after_seq: int | None, limit: int) -> list[LedgerEntry]:
        """The member's entries across its accounts, newest first (keyset on `seq`)."""
        ...

    def open_hold(self, source: Source) -> Transfer | None:
        """The hold with this source that no transfer has settled or voided yet."""
        ...

    def transfer(self, transfer_id: str) -> Transfer | None: ...
    def reversed_ids(self, transfer_ids: Sequence[str]) -> set[str]:
        """Those of the transfers that a reversal or a void has undone."""
        ...

    def open_pending(self, member_id: str) -> list[Transfer]:
        """The member's pending earnings not yet confirmed or voided, oldest id first."""
        ...

    def top_earners(self, since: datetime | None, limit: int) -> list[tuple[str, int]]:
        """Members by points earned (from rules) since `since` (all time if None)."""
        ...


class ActivityRepository(Protocol):
    def add(self, record: ActivityRecord) -> None: ...
    def get(self, activity_id: str) -> ActivityRecord | None: ...
    def subject_rewarded(self, member_id: str, rule_id: str, subject_id: str) -> bool: ...
    def mark_subject(self, member_id: str, rule_id: str, subject_id: str) -> None: ...
    def for_subject(self, member_id: str, kind: str, subject_id: str) -> list[ActivityRecord]:
        """The member's activities of `kind` naming `subject_id`, oldest first (by time,
        then id): what a reversal reads to restore what the others alone had caused."""
        ...


class NoteRepository(Protocol):
    """Every note each member published, by (member, note id): unbounded, unlike anything
    kept in `Progress`, so a note is known (and viral once) however many notes follow."""

    def get(self, member_id: str, note_id: str) -> Note | None: ...
    def add(self, note: Note) -> None: ...
    def save(self, note: Note) -> None:
        """Store a changed note; its member, id and publication never change."""
        ...

    def counted(self, member_id: str, first_day: int | None, last_day: int) -> int:
        """How many of the member's notes were counted on local days `first_day` to
        `last_day` (inclusive; from the very first if `first_day` is None)."""
        ...

    def latest_measured(self, member_id: str, limit: int) -> list[Note]:
        """The member's `limit` latest-published notes that have interactions reported,
        latest first (by publication time, then note id)."""
        ...

    def for_member(self, member_id: str) -> list[Note]:
        """Every note of the member, in publication order (time, then note id)."""
        ...


class StockRepository(Protocol):
    def ensure(self, reward_id: str, stock: int | None) -> None:
        """Create the stock row from the economy file if the store has none yet."""
        ...

    def remaining(self, reward_id: str) -> int | None: ...
    def take(self, reward_id: str, quantity: int) -> bool:
        """Conditionally decrement; False (nothing written) if fewer than `quantity` remain."""
        ...

    def put_back(self, reward_id: str, quantity: int) -> None: ...
    def restock(self, reward_id: str, quantity: int) -> None: ...
    def add_codes(self, reward_id: str, codes: Sequence[str]) -> int: ...
    def claim_code(self, reward_id: str, redemption_id: str) -> str | None: ...
    def codes_left(self, reward_id: str) -> int: ...


class RedemptionRepository(Protocol):
    def add(self, redemption: Redemption) -> None: ...
    def get(self, redemption_id: str) -> Redemption | None: ...
    def save(self, redemption: Redemption) -> None: ...
    def active_quantity(self, member_id: str, reward_id: str) -> int: ...
    def list_for_member(
        self, member_id: str, after_id: str | None, limit: int
    ) -> list[Redemption]: ...


class HonorRepository(Protocol):
    def add(self, award: HonorAward) -> None: ...
    def save(self, award: HonorAward) -> None: ...
    def active(self, member_id: str, honor_id: str) -> HonorAward | None: ...
    def list_for_member(self, member_id: str) -> list[HonorAward]: ...
    def holders(self, honor_id: str) -> int: ...
    def take_seat(self, honor_id: str, seats: int | None) -> bool:
        """Count one more holder of a manual honor unless `seats` are all taken (False,
        nothing written). A conditional update: concurrent grants never exceed `seats`."""
        ...

    def release_seat(self, honor_id: str) -> None:
        """One holder fewer (the honor was revoked)."""
        ...

    def active_for_honors(self, honor_ids: Sequence[str], limit: int) -> list[HonorAward]: ...


class QuestRepository(Protocol):
    def get(self, member_id: str, quest_id: str, instance: int) -> QuestProgress | None: ...
    def add(self, progress: QuestProgress) -> None: ...
    def save(self, progress: QuestProgress) -> None: ...
    def list_for_member(
        self, member_id: str, after: tuple[str, int] | None, limit: int
    ) -> list[QuestProgress]:
        """The member's progress, newest instance first within each quest id order:
        keyset paging on (quest id, instance)."""
        ...

    def take_place(self, quest_id: str, instance: int, capacity: int) -> bool:
        """Count one more completer of the instance unless `capacity` are counted (False,
        nothing written). A conditional update: concurrent completions never exceed it."""
        ...

    def completions(self, quest_id: str, instance: int) -> int: ...


class TaskRepository(Protocol):
    def add(self, assignment: TaskAssignment) -> None: ...
    def get(self, assignment_id: str) -> TaskAssignment | None: ...
    def save(self, assignment: TaskAssignment) -> bool:
        """Write the assignment with its version moved on by one, only if the stored
        version is still the one it was read at (False, nothing written, otherwise): a
        conditional update, so two reviews of one submission never both succeed."""
        ...

    def page(
        self, state: TaskState | None, member_id: str | None, after_id: str | None, limit: int
    ) -> list[TaskAssignment]:
        """Assignments by id (keyset paging), optionally of one state or one member."""
        ...

    def due(self, at: datetime, after_id: str | None, limit: int) -> list[TaskAssignment]:
        """Offered, accepted or rejected assignments due at or before `at`, by id."""
        ...


class CampaignRepository(Protocol):
    """Campaigns as opened (their seed commitment), their applications and selections.
    Every change of a campaign's places happens under `lock` (a row lock on PostgreSQL),
    and `save` is conditional on the version read; applications are inserted under a
    shared lock, so none slips in while a selection reads the pool."""

    def get(self, campaign_id: str) -> CampaignRecord | None: ...
    def lock(self, campaign_id: str, *, shared: bool = False) -> CampaignRecord | None:
        """The campaign, locked for this transaction (shared: applications only)."""
        ...

    def add(self, record: CampaignRecord) -> bool:
        """Open a campaign unless it is open already (False, nothing written)."""
        ...

    def save(self, record: CampaignRecord) -> bool:
        """Write the record with its version moved on by one, only over the version it
        was read at (False, nothing written, otherwise)."""
        ...

    def add_application(self, campaign_id: str, application: Application) -> bool:
        """Insert an application unless the member applied already (False)."""
        ...

    def application(self, campaign_id: str, member_id: str) -> Application | None: ...
    def applications(self, campaign_id: str) -> list[Application]:
        """Every application of the campaign, by member id."""
        ...

    def save_applications(self, campaign_id: str, applications: Sequence[Application]) -> None:
        """Write the applications' states (the caller holds the campaign's lock)."""
        ...

    def page(
        self,
        campaign_id: str,
        states: Sequence[ApplicationState],
        after_member_id: str | None,
        limit: int,
    ) -> list[Application]:
        """Applications by member id (keyset paging), optionally of some states."""
        ...

    def count(self, campaign_id: str, states: Sequence[ApplicationState]) -> int: ...
    def last_selected(self, member_id: str) -> datetime | None:
        """When any campaign last gave the member a place they hold or confirmed."""
        ...

    def of_member(self, member_id: str) -> list[tuple[str, Application]]:
        """The member's applications, as (campaign id, application), by campaign id."""
        ...


class RoleRepository(Protocol):
    """Role holdings, their seats, and mentorships."""

    def add(self, holding: RoleHolding) -> None: ...
    def get(self, holding_id: str) -> RoleHolding | None: ...
    def save(self, holding: RoleHolding) -> bool:
        """Write the holding with its version moved on by one, only over the version it
        was read at (False, nothing written, otherwise): a conditional update."""
        ...

    def open_for(self, member_id: str, role_id: str) -> RoleHolding | None:
        """The member's applied, nominated or active holding of the role, if any."""
        ...

    def page(
        self,
        role_id: str | None,
        member_id: str | None,
        states: Sequence[RoleState],
        after_id: str | None,
        limit: int,
    ) -> list[RoleHolding]:
        """Holdings by id (keyset paging), optionally of one role, one member, some states."""
        ...

    def due(self, at: datetime, after_id: str | None, limit: int) -> list[RoleHolding]:
        """Active holdings whose term ends at or before `at`, by id."""
        ...

    def take_seat(self, role_id: str, seats: int) -> bool:
        """Count one more holder unless `seats` are all taken (False, nothing written). A
        conditional update: concurrent appointments never exceed `seats`."""
        ...

    def release_seat(self, role_id: str) -> None: ...
    def holders(self, role_id: str) -> int: ...
    def add_mentorship(self, mentorship: Mentorship) -> None: ...
    def mentorship(self, role_id: str, mentee_id: str) -> Mentorship | None:
        """The mentee's one mentorship in the role (a mentee is paired once per role)."""
        ...

    def save_mentorship(self, mentorship: Mentorship) -> bool:
        """Conditional on the version it was read at, like `save`."""
        ...

    def mentorships_of(self, mentor_id: str, role_id: str) -> list[Mentorship]: ...
    def mentorships_of_mentee(self, mentee_id: str) -> list[Mentorship]: ...
    def uncredited(self, after_id: str | None, limit: int) -> list[Mentorship]:
        """Mentorships not yet credited, by id."""
        ...


class ContestRepository(Protocol):
    def score(self, contest_id: str, instance: int, member_id: str) -> ContestScore | None: ...
    def save_score(self, score: ContestScore) -> None:
        """Insert or replace the member's score (written under the member's lock)."""
        ...

    def top(self, contest_id: str, instance: int, limit: int) -> list[ContestScore]:
        """Scores above zero in ranking order: value desc, reached_at, member id."""
        ...

    def pending(self, contest_id: str) -> list[int]:
        """Periods with scores and no settlement yet, ascending."""
        ...

    def settle(self, contest_id: str, instance: int, at: datetime) -> bool:
        """Record the period's settlement unless one is recorded (False, nothing written):
        a conditional insert, so concurrent settlements pay once."""
        ...

    def settled_at(self, contest_id: str, instance: int) -> datetime | None: ...
    def add_results(
        self, contest_id: str, instance: int, standings: Sequence[Standing]
    ) -> None: ...
    def results(self, contest_id: str, instance: int, limit: int) -> list[Standing]: ...


class SeasonRepository(Protocol):
    def add_points(self, season_id: str, member_id: str, points: int) -> None:
        """Count points earned in the season (an increment: no read on the hot path)."""
        ...

    def top(self, season_id: str, limit: int) -> list[tuple[str, int]]:
        """Members by points earned in the season, then member id."""
        ...

    def add_snapshot(self, snapshot: SeasonSnapshot) -> bool:
        """Keep the season's snapshot unless one is kept (False, nothing written)."""
        ...

    def snapshot(self, season_id: str) -> SeasonSnapshot | None: ...


class MembershipRepository(Protocol):
    def get(self, member_id: str) -> Membership | None: ...
    def save(self, membership: Membership) -> None:
        """Insert or replace the member's paid tier (one row per member)."""
        ...

    def due(self, at: datetime, after_id: str | None, limit: int) -> list[Membership]:
        """Memberships ended by `at` whose expiry is not recorded yet, by member id."""
        ...


class ReferralRepository(Protocol):
    """Referral codes, members' external identities, each invitee's referral and each
    purchase's commission (domain.referrals)."""

    def index_code(self, code: str, member_id: str) -> None:
        """Remember whose code this is (nothing written when it is known)."""
        ...

    def by_code(self, code: str) -> str | None:
        """The member whose referral code this is (a normalised code)."""
        ...

    def add_identities(self, member_id: str, identities: Sequence[str]) -> None: ...
    def identities(self, member_id: str) -> frozenset[str]: ...
    def get(self, invitee_id: str) -> Referral | None: ...
    def add(self, referral: Referral) -> bool:
        """Link the invitee unless they were referred already (False, nothing written):
        a code is used once per invitee, even under parallel requests."""
        ...

    def update(self, referral: Referral, was: RewardOutcome | None) -> bool:
        """Write the referral only if its stored outcome is still `was` (None: not
        qualified yet), else False and nothing written: a conditional update, so an
        invitee qualifies once and a held reward is decided once."""
        ...

    def of_referrer(self, referrer_id: str, after_id: str | None, limit: int) -> list[Referral]:
        """The referrer's invitees, by invitee id (keyset paging)."""
        ...

    def tally(self, referrer_id: str, joined_by: datetime) -> tuple[int, int, int]:
        """The referrer's invitees as (qualified, expired, waiting): an invitee not
        qualified is expired when they joined at or before `joined_by`."""
        ...

    def rewarded_since(self, referrer_id: str, since: datetime) -> int:
        """The referrer's invitees qualified at or after `since` with a reward paid or held."""
        ...

    def held(self, after_id: str | None, limit: int) -> list[Referral]:
        """Referrals whose reward is held for review, by invitee id."""
        ...

    def referrers(
        self, joined_by: datetime, min_decided: int, after_id: str | None, limit: int
    ) -> list[tuple[str, int, int, int]]:
        """Referrers with at least `min_decided` decided invitees, by id, each with its
        `tally` (qualified, expired, waiting)."""
        ...

    def add_commission(self, commission: PurchaseCommission) -> bool:
        """Keep a purchase's commission unless the buyer's order paid one already (False,
        nothing written): a purchase reported twice pays once."""
        ...

    def commission(self, activity_id: str) -> PurchaseCommission | None: ...
    def update_commission(self, commission: PurchaseCommission, was: CommissionState) -> bool:
        """Write the commission only if its stored state is still `was` (conditional)."""
        ...

    def due_commissions(
        self, at: datetime, after_id: str | None, limit: int
    ) -> list[PurchaseCommission]:
        """Pending commissions whose return window closed by `at`, by activity id."""
        ...


class ReversalRepository(Protocol):
    def add(self, reversal: Reversal) -> None: ...
    def get(self, activity_id: str) -> Reversal | None: ...


class FriendQuestRepository(Protocol):
    """Team and help instances with who joined or helped each (domain.team_help)."""

    def add(self, instance: FriendQuestInstance) -> None: ...
    def get(self, instance_id: str) -> FriendQuestInstance | None: ...
    def by_code(self, code: str) -> FriendQuestInstance | None: ...
    def save(self, instance: FriendQuestInstance) -> bool:
        """Write the instance with its version moved on by one, only if the stored version
        is still the one it was read at (False, nothing written): a conditional update."""
        ...

    def add_participation(self, participation: Participation) -> None: ...
    def count_for_member(
        self,
        member_id: str,
        quest_id: str,
        states: tuple[InstanceState, ...],
        started: bool,
        at: datetime,
    ) -> int:
        """Instances of the quest in one of `states` the member started (`started`), or
        started or joined; an open one past its deadline as of `at` is not counted (it is
        over, whether or not the review has expired it yet)."""
        ...

    def helps_on_day(self, member_id: str, day: int) -> int:
        """Instances the member helped on local day `day`."""
        ...

    def for_member(
        self, member_id: str, after_id: str | None, limit: int
    ) -> list[FriendQuestInstance]:
        """Instances the member started, joined or helped, by id (keyset paging)."""
        ...

    def due(self, at: datetime, after_id: str | None, limit: int) -> list[FriendQuestInstance]:
        """Open instances whose deadline is before `at`, by id."""
        ...


class IdempotencyRepository(Protocol):
    def get(self, scope: str, key: str) -> IdempotencyRecord | None: ...
    def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], IdempotencyRecord]:
        """The records of those (scope, key) pairs that were used. The unit of work may
        answer later `get`s of these pairs from what it read (keys unused then are unused
        until it adds them): call it only under the lock of the scopes' members."""
        ...

    def add(self, record: IdempotencyRecord) -> None: ...


class AuditRepository(Protocol):
    def add(self, entry: AuditEntry) -> None: ...
    def list(self, target: str | None, limit: int) -> list[AuditEntry]: ...


class UnitOfWork(Protocol):
    """One transaction. Rolls back on exit unless `commit()` was called.

    The repositories are read-only members so that an implementation may hold its own
    repository classes (a mutable protocol attribute would demand the exact type)."""

    @property
    def members(self) -> MemberRepository: ...
    @property
    def ledger(self) -> LedgerRepository: ...
    @property
    def activities(self) -> ActivityRepository: ...
    @property
    def notes(self) -> NoteRepository: ...
    @property
    def stock(self) -> StockRepository: ...
    @property
    def redemptions(self) -> RedemptionRepository: ...
    @property
    def honors(self) -> HonorRepository: ...
    @property
    def quests(self) -> QuestRepository: ...
    @property
    def tasks(self) -> TaskRepository: ...
    @property
    def contests(self) -> ContestRepository: ...
    @property
    def seasons(self) -> SeasonRepository: ...
    @property
    def roles(self) -> RoleRepository: ...
    @property
    def campaigns(self) -> CampaignRepository: ...
    @property
    def friend_quests(self) -> FriendQuestRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def reversals(self) -> ReversalRepository: ...
    @property
    def audit(self) -> AuditRepository: ...
    @property
    def memberships(self) -> MembershipRepository: ...
    @property
    def referrals(self) -> ReferralRepository: ...

    events: list[Event]

    def next_id(self, prefix: str) -> str: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
