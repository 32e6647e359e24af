"""The SQL schema as SQLModel table classes. Rows are not domain objects: `mapping`
converts between the two explicitly. The migration in `persistence/migrations` creates
exactly these tables (a test compares them).

Ledger tables are append-only (`transfers`, and `ledger_entries`: one row per posting,
the account as typed columns owner kind, owner id, bucket) plus one cached balance per
account that may not go negative (`accounts`); system accounts (issuance, redemption, ...)
have no cached row — their balance is the sum of their entries, so no transaction updates
a shared hot row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.ledger import NEGATIVE_ALLOWED as NEGATIVE_ALLOWED_KINDS
from persistence.sql.types import UtcDateTime, big_id

FREE_CODE = sa.text("redemption_id IS NULL")
MEMBER_DEBT = sa.text("owner_kind = 'member' AND bucket = 'debt'")
NEGATIVE_ALLOWED = sorted(NEGATIVE_ALLOWED_KINDS)
NON_NEGATIVE = (  # the CHECK on the accounts that may not go negative
    "balance >= 0 OR owner_kind IN (" + ", ".join(f"'{k}'" for k in NEGATIVE_ALLOWED) + ")"
)


def _text(
    *, primary_key: bool = False, nullable: bool = False, foreign_key: str | None = None
) -> Any:
    refs = (sa.ForeignKey(foreign_key),) if foreign_key else ()
    column = sa.Column(sa.String(), *refs, primary_key=primary_key, nullable=nullable)
    return Field(sa_column=column)


def _instant(*, nullable: bool = False) -> Any:
    return Field(sa_column=sa.Column(UtcDateTime(), nullable=nullable))


def _int(*, nullable: bool = False, big: bool = True) -> Any:
    kind = sa.BigInteger() if big else sa.Integer()
    return Field(sa_column=sa.Column(kind, nullable=nullable))


def _json() -> Any:
    return Field(sa_column=sa.Column(sa.JSON(), nullable=False))


def _member_ref(*, primary_key: bool = False) -> Any:
    return Field(
        sa_column=sa.Column(
            sa.String(), sa.ForeignKey("members.id"), primary_key=primary_key, nullable=False
        )
    )


class MemberRow(SQLModel, table=True):
    __tablename__ = "members"
    __table_args__ = (
        sa.UniqueConstraint("handle", name="uq_members_handle"),
        sa.Index("uq_members_handle_key", "handle_key", unique=True),
        sa.Index("ix_members_level", "level_id", "id"),
        sa.CheckConstraint("qualifying_points >= 0", name="ck_members_qualifying_points"),
    )

    id: str = _text(primary_key=True)
    handle: str = _text()
    handle_key: str = _text()  # casefolded handle: uniqueness ignores case
    display_name: str = _text()
    joined_at: datetime = _instant()
    level_id: str = _text()
    qualifying_points: int = _int()
    level_locked: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    level_state: str = _text()
    demotion_due: datetime | None = _instant(nullable=True)
    koc_tier: str | None = _text(nullable=True)
    progress: dict[str, Any] = _json()
    version: int = _int(big=False)


class AccountRow(SQLModel, table=True):
    """Cached balance of one account that may not go negative (a member's available, held
    or pending bucket, ...), moved only by conditional updates."""

    __tablename__ = "accounts"
    __table_args__ = (sa.CheckConstraint(NON_NEGATIVE, name="ck_accounts_balance"),)

    owner_kind: str = _text(primary_key=True)
    owner_id: str = _text(primary_key=True)
    bucket: str = _text(primary_key=True)
    balance: int = _int()


class TransferRow(SQLModel, table=True):
    """One transfer: its kind, source and, for a settle or a void, the hold it names (a
    hold is named once: unique). Append-only: never updated, never deleted."""

    __tablename__ = "transfers"
    __table_args__ = (
        sa.UniqueConstraint("pending_id", name="uq_transfers_pending_id"),
        sa.Index("ix_transfers_source", "source_kind", "source_id"),
        sa.Index("ix_transfers_kind_at", "kind", "at"),
        sa.Index("ix_transfers_reference", "reference"),  # the reversal of a transfer
    )

    id: str = _text(primary_key=True)
    kind: str = _text()
    source_kind: str = _text()
    source_id: str = _text()
    pending_id: str | None = _text(nullable=True, foreign_key="transfers.id")
    at: datetime = _instant()
    reference: str = _text()
    memo: str = _text()


class LedgerEntryRow(SQLModel, table=True):
    """One posting on one account. Append-only: never updated, never deleted."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.Index("ix_ledger_entries_owner", "owner_kind", "owner_id", "seq"),
        sa.Index("ix_ledger_entries_transfer", "transfer_id"),
        sa.Index(
            "ix_ledger_entries_debt",
            "owner_id",
            sqlite_where=MEMBER_DEBT,
            postgresql_where=MEMBER_DEBT,
        ),
        sa.CheckConstraint("amount <> 0", name="ck_ledger_entries_amount"),
    )

    seq: int | None = Field(
        default=None, sa_column=sa.Column(big_id(), primary_key=True, autoincrement=True)
    )
    transfer_id: str = _text(foreign_key="transfers.id")
    owner_kind: str = _text()
    owner_id: str = _text()
    bucket: str = _text()
    amount: int = _int()


class ActivityRow(SQLModel, table=True):
    __tablename__ = "activities"
    __table_args__ = (  # a reversal reads the other activities naming its subject
        sa.Index("ix_activities_member_subject", "member_id", "subject_id"),
    )

    id: str = _text(primary_key=True)
    member_id: str = _member_ref()
    kind: str = _text()
    occurred_at: datetime = _instant()
    subject_id: str | None = _text(nullable=True)
    attributes: dict[str, Any] = _json()
    points: int = _int()
    lines: list[Any] = _json()
    transfer_id: str | None = _text(nullable=True)


class RewardedSubjectRow(SQLModel, table=True):
    """A (member, rule, subject) that a once-per-subject rule has already paid."""

    __tablename__ = "rewarded_subjects"

    member_id: str = _member_ref(primary_key=True)
    rule_id: str = _text(primary_key=True)
    subject_id: str = _text(primary_key=True)


class NoteRow(SQLModel, table=True):
    """A note a member published, and its best reported interactions (see `domain.koc`)."""

    __tablename__ = "notes"
    __table_args__ = (
        sa.Index("ix_notes_member_counted", "member_id", "counted_day"),
        sa.Index("ix_notes_member_published", "member_id", "published_at", "note_id"),
        sa.CheckConstraint("interactions >= 0", name="ck_notes_interactions"),
    )

    member_id: str = _member_ref(primary_key=True)
    note_id: str = _text(primary_key=True)
    published_day: int = _int(big=False)
    published_at: datetime = _instant()
    counted_day: int | None = _int(nullable=True, big=False)
    interactions: int | None = _int(nullable=True)


class StockRow(SQLModel, table=True):
    """Remaining stock of a reward (NULL: unlimited), moved only by conditional updates."""

    __tablename__ = "stock"
    __table_args__ = (sa.CheckConstraint("remaining >= 0", name="ck_stock_remaining"),)

    reward_id: str = _text(primary_key=True)
    remaining: int | None = _int(nullable=True)


class CouponCodeRow(SQLModel, table=True):
    __tablename__ = "coupon_codes"
    __table_args__ = (
        sa.UniqueConstraint("reward_id", "code", name="uq_coupon_codes_reward_code"),
        sa.UniqueConstraint("redemption_id", name="uq_coupon_codes_redemption"),
        sa.Index(
            "ix_coupon_codes_free",
            "reward_id",
            "id",
            sqlite_where=FREE_CODE,
            postgresql_where=FREE_CODE,
        ),
    )

    id: int | None = Field(
        default=None, sa_column=sa.Column(big_id(), primary_key=True, autoincrement=True)
    )
    reward_id: str = _text()
    code: str = _text()
    redemption_id: str | None = _text(nullable=True)


class RedemptionRow(SQLModel, table=True):
    __tablename__ = "redemptions"
    __table_args__ = (
        sa.Index("ix_redemptions_member", "member_id", "id"),
        sa.Index("ix_redemptions_member_reward", "member_id", "reward_id"),
        sa.CheckConstraint("quantity > 0", name="ck_redemptions_quantity"),
        sa.CheckConstraint("points >= 0", name="ck_redemptions_points"),
    )

    id: str = _text(primary_key=True)
    member_id: str = _member_ref()
    reward_id: str = _text()
    quantity: int = _int(big=False)
    points: int = _int()
    status: str = _text()
    created_at: datetime = _instant()
    updated_at: datetime = _instant()
    coupon_code: str | None = _text(nullable=True)
    note: str = _text()


class HonorAwardRow(SQLModel, table=True):
    __tablename__ = "honor_awards"
    __table_args__ = (
        sa.Index("ix_honor_awards_member", "member_id", "honor_id"),
        sa.Index("ix_honor_awards_honor", "honor_id", "granted_at"),
    )

    id: str = _text(primary_key=True)
    member_id: str = _member_ref()
    honor_id: str = _text()
    tier: str | None = _text(nullable=True)
    granted_at: datetime = _instant()
    granted_by: str | None = _text(nullable=True)
    reason: str = _text()
    revoked_at: datetime | None = _instant(nullable=True)
    revoked_by: str | None = _text(nullable=True)
    revoke_reason: str | None = _text(nullable=True)


class HonorSeatsRow(SQLModel, table=True):
    """Holders of a manual honor, moved only by conditional updates so that concurrent
    grants never exceed its `max_holders`."""

    __tablename__ = "honor_seats"
    __table_args__ = (sa.CheckConstraint("holders >= 0", name="ck_honor_seats_holders"),)

    honor_id: str = _text(primary_key=True)
    holders: int = _int()


class QuestProgressRow(SQLModel, table=True):
    """One member's progress on one instance of a quest (instance: local day ordinal,
    Monday of the week, month index, or 0 for a one-off quest)."""

    __tablename__ = "quest_progress"

    member_id: str = _member_ref(primary_key=True)
    quest_id: str = _text(primary_key=True)
    instance: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True))
    done: list[Any] = _json()
    state: str = _text()
    started_at: datetime = _instant()
    completed_at: datetime | None = _instant(nullable=True)
    completed_by: str | None = _text(nullable=True)
    claimed_at: datetime | None = _instant(nullable=True)


class QuestPlacesRow(SQLModel, table=True):
    """Completers of a quest instance with a capacity, moved only by conditional updates."""

    __tablename__ = "quest_places"
    __table_args__ = (sa.CheckConstraint("completed >= 0", name="ck_quest_places_completed"),)

    quest_id: str = _text(primary_key=True)
    instance: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True))
    completed: int = _int()


class TaskAssignmentRow(SQLModel, table=True):
    """One offer of a task to one member; `version` makes every transition a conditional
    update (`... WHERE id = :id AND version = :read_version`)."""

    __tablename__ = "task_assignments"
    __table_args__ = (
        sa.Index("ix_task_assignments_state", "state", "id"),
        sa.Index("ix_task_assignments_member", "member_id", "id"),
        sa.CheckConstraint("version >= 0", name="ck_task_assignments_version"),
        sa.CheckConstraint("points >= 0", name="ck_task_assignments_points"),
    )

    id: str = _text(primary_key=True)
    task_id: str = _text()
    member_id: str = _member_ref()
    state: str = _text()
    offered_at: datetime = _instant()
    offered_by: str = _text()
    due_at: datetime = _instant()
    version: int = _int()
    submissions: int = _int(big=False)
    submission_url: str | None = _text(nullable=True)
    submission_note: str | None = _text(nullable=True)
    activity_id: str | None = _text(nullable=True)
    submitted_at: datetime | None = _instant(nullable=True)
    reviewed_at: datetime | None = _instant(nullable=True)
    reviewed_by: str | None = _text(nullable=True)
    quality_tier: str | None = _text(nullable=True)
    reason: str | None = _text(nullable=True)
    points: int = _int()


class ContestScoreRow(SQLModel, table=True):
    """One member's score in one contest period, written under the member's lock; the
    index serves the live standings in ranking order."""

    __tablename__ = "contest_scores"
    __table_args__ = (
        sa.Index("ix_contest_scores_rank", "contest_id", "instance", "value", "reached_at"),
    )

    contest_id: str = _text(primary_key=True)
    instance: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True))
    member_id: str = _member_ref(primary_key=True)
    value: int = _int()
    reached_at: datetime = _instant()
    notes: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))


class ContestSettlementRow(SQLModel, table=True):
    """A settled contest period: the primary key makes settlement happen once."""

    __tablename__ = "contest_settlements"

    contest_id: str = _text(primary_key=True)
    instance: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True))
    settled_at: datetime = _instant()


class ContestResultRow(SQLModel, table=True):
    """The frozen standings of a settled period, with the prize points paid."""

    __tablename__ = "contest_results"

    contest_id: str = _text(primary_key=True)
    instance: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True))
    rank: int = Field(sa_column=sa.Column(sa.Integer(), primary_key=True))
    member_id: str = _member_ref()
    value: int = _int()
    reached_at: datetime = _instant()
    points: int = _int()


class SeasonPointsRow(SQLModel, table=True):
    """Points a member earned from rules in a season, incremented by the seasons reactor."""

    __tablename__ = "season_points"
    __table_args__ = (sa.Index("ix_season_points_rank", "season_id", "points"),)

    season_id: str = _text(primary_key=True)
    member_id: str = _member_ref(primary_key=True)
    points: int = _int()


class SeasonSnapshotRow(SQLModel, table=True):
    """An ended season's leaderboard and hall of fame, kept once (JSON documents:
    `leaderboard` [{rank, member_id, points}], `hall_of_fame` [{member_id, level_id,
    honors: [{id, honor_id, tier, granted_at, granted_by, reason}]}])."""

    __tablename__ = "season_snapshots"

    season_id: str = _text(primary_key=True)
    taken_at: datetime = _instant()
    leaderboard: list[Any] = _json()
    hall_of_fame: list[Any] = _json()


class IdempotencyRow(SQLModel, table=True):
    """First result of an idempotency key; the primary key makes the key unique."""

    __tablename__ = "idempotency_keys"

    scope: str = _text(primary_key=True)
    key: str = _text(primary_key=True)
    fingerprint: str = _text()
    result_kind: str = _text()
    result_id: str = _text()


class ReversalRow(SQLModel, table=True):
    """A reversed activity (once: the activity is the key), with what was taken back."""

    __tablename__ = "reversals"
    __table_args__ = (sa.Index("ix_reversals_member", "member_id"),)

    activity_id: str = _text(primary_key=True, foreign_key="activities.id")
    member_id: str = _text(foreign_key="members.id")
    reason: str = _text()
    actor: str = _text()
    at: datetime = _instant()
    transfer_id: str | None = _text(nullable=True, foreign_key="transfers.id")
    points: int = _int()
    debt: int = _int()


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.UniqueConstraint("id", name="uq_audit_entries_id"),
        sa.Index("ix_audit_entries_target", "target", "seq"),
    )

    seq: int | None = Field(
        default=None, sa_column=sa.Column(big_id(), primary_key=True, autoincrement=True)
    )
    id: str = _text()
    actor: str = _text()
    action: str = _text()
    target: str = _text()
    at: datetime = _instant()
    detail: str = _text()


class RoleHoldingRow(SQLModel, table=True):
    """One member's holding of a role (applied, nominated, active, ended); `version`
    makes every transition a conditional update."""

    __tablename__ = "role_holdings"
    __table_args__ = (
        sa.Index("ix_role_holdings_member", "member_id", "role_id", "id"),
        sa.Index("ix_role_holdings_state", "state", "ends_at", "id"),
        sa.CheckConstraint("version >= 0", name="ck_role_holdings_version"),
        sa.CheckConstraint("renewals >= 0", name="ck_role_holdings_renewals"),
    )

    id: str = _text(primary_key=True)
    role_id: str = _text()
    member_id: str = _member_ref()
    state: str = _text()
    entry: str = _text()
    proposed_by: str = _text()
    proposed_at: datetime = _instant()
    version: int = _int()
    started_at: datetime | None = _instant(nullable=True)
    ends_at: datetime | None = _instant(nullable=True)
    ended_at: datetime | None = _instant(nullable=True)
    ended_by: str | None = _text(nullable=True)
    end_reason: str | None = _text(nullable=True)
    renewals: int = _int(big=False)
    flagged_at: datetime | None = _instant(nullable=True)
    flag_reason: str | None = _text(nullable=True)


class RoleSeatsRow(SQLModel, table=True):
    """Active holders of a role, moved only by conditional updates so that concurrent
    appointments never exceed its seats."""

    __tablename__ = "role_seats"
    __table_args__ = (sa.CheckConstraint("holders >= 0", name="ck_role_seats_holders"),)

    role_id: str = _text(primary_key=True)
    holders: int = _int()


class MentorshipRow(SQLModel, table=True):
    """A mentee paired with a mentor in a mentor role: once per mentee and role (the
    unique key), credited once (`credited_at`, a conditional update on `version`)."""

    __tablename__ = "mentorships"
    __table_args__ = (
        sa.UniqueConstraint("role_id", "mentee_id", name="uq_mentorships_mentee"),
        sa.Index("ix_mentorships_mentor", "mentor_id", "role_id", "id"),
        sa.CheckConstraint("version >= 0", name="ck_mentorships_version"),
    )

    id: str = _text(primary_key=True)
    role_id: str = _text()
    mentor_id: str = _text(foreign_key="members.id")
    mentee_id: str = _text(foreign_key="members.id")
    assigned_at: datetime = _instant()
    assigned_by: str = _text()
    version: int = _int()
    credited_at: datetime | None = _instant(nullable=True)


class CampaignRunRow(SQLModel, table=True):
    """One opened campaign: its seed commitment (the seed itself stays secret until the
    selection), the selection's audit record and the applicants it read, and the places
    taken, which a CHECK keeps within `places`; `version` makes changes conditional."""

    __tablename__ = "campaign_runs"
    __table_args__ = (
        sa.CheckConstraint("taken >= 0 AND taken <= places", name="ck_campaign_runs_taken"),
        sa.CheckConstraint("version >= 0", name="ck_campaign_runs_version"),
    )

    campaign_id: str = _text(primary_key=True)
    places: int = _int()
    opened_at: datetime = _instant()
    commitment: str | None = _text(nullable=True)
    seed: str | None = _text(nullable=True)
    selected_at: datetime | None = _instant(nullable=True)
    audit: str | None = _text(nullable=True)
    applicants: str | None = _text(nullable=True)
    operator_order: list[str] = _json()
    closed: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    taken: int = _int()
    version: int = _int()


class CampaignApplicationRow(SQLModel, table=True):
    """One member's application to one campaign (the key: once each) and its place."""

    __tablename__ = "campaign_applications"
    __table_args__ = (
        sa.Index("ix_campaign_applications_member", "member_id", "state", "offered_at"),
    )

    campaign_id: str = _text(primary_key=True, foreign_key="campaign_runs.campaign_id")
    member_id: str = _member_ref(primary_key=True)
    applied_at: datetime = _instant()
    motivation: str = _text()
    state: str = _text()
    offered_at: datetime | None = _instant(nullable=True)


class FriendQuestInstanceRow(SQLModel, table=True):
    """One team or help instance (domain.team_help); its members are in
    `friend_quest_members`. `version` makes every change a conditional update."""

    __tablename__ = "friend_quest_instances"
    __table_args__ = (
        sa.Index("ix_friend_quest_instances_due", "state", "deadline", "id"),
        sa.Index("ix_friend_quest_instances_starter", "starter_id", "quest_id"),
        sa.UniqueConstraint("code", name="uq_friend_quest_instances_code"),
        sa.CheckConstraint("version >= 0", name="ck_friend_quest_instances_version"),
        sa.CheckConstraint(
            "points >= 0 AND helper_points >= 0", name="ck_friend_quest_instances_points"
        ),
    )

    id: str = _text(primary_key=True)
    kind: str = _text()
    quest_id: str = _text()
    starter_id: str = _member_ref()
    code: str = _text()
    started_at: datetime = _instant()
    deadline: datetime = _instant()
    state: str = _text()
    closed_at: datetime | None = _instant(nullable=True)
    points: int = _int()
    helper_points: int = _int()
    version: int = _int()


class FriendQuestMemberRow(SQLModel, table=True):
    """A member in a team or a helper of an instance: once per instance (the key), one
    member per seat (unique), helps counted per helper and local day."""

    __tablename__ = "friend_quest_members"
    __table_args__ = (
        sa.UniqueConstraint("instance_id", "seat", name="uq_friend_quest_members_seat"),
        sa.Index("ix_friend_quest_members_day", "member_id", "kind", "day"),
        sa.CheckConstraint("seat >= 0", name="ck_friend_quest_members_seat"),
    )

    instance_id: str = _text(primary_key=True, foreign_key="friend_quest_instances.id")
    member_id: str = _member_ref(primary_key=True)
    kind: str = _text()
    quest_id: str = _text()
    seat: int = _int(big=False)
    day: int = _int(big=False)
    at: datetime = _instant()


class MembershipRow(SQLModel, table=True):
    """A member's paid tier: its current (or last) continuous period, one row per member."""

    __tablename__ = "memberships"
    __table_args__ = (sa.Index("ix_memberships_due", "expired", "paid_until"),)

    member_id: str = _member_ref(primary_key=True)
    tier_id: str = _text()
    paid_since: datetime = _instant()
    paid_until: datetime = _instant()
    purchases: int = _int()
    paid_total: int = _int()
    expired: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))


class ReferralCodeRow(SQLModel, table=True):
    """Whose referral code this is (codes are derived from the member id with a key the
    edge holds; the index finds the member back)."""

    __tablename__ = "referral_codes"
    __table_args__ = (sa.UniqueConstraint("member_id", name="uq_referral_codes_member"),)

    code: str = _text(primary_key=True)
    member_id: str = _member_ref()


class ReferralIdentityRow(SQLModel, table=True):
    """A member's external identity (provider:subject): two members sharing one are the
    same person, who may not refer themselves."""

    __tablename__ = "referral_identities"
    __table_args__ = (sa.Index("ix_referral_identities_member", "member_id"),)

    identity: str = _text(primary_key=True)
    member_id: str = _member_ref(primary_key=True)


class ReferralRow(SQLModel, table=True):
    """An invitee's link to their referrer, one per invitee (the key: a code is used once),
    and whether and how they qualified."""

    __tablename__ = "referrals"
    __table_args__ = (
        sa.Index("ix_referrals_referrer", "referrer_id", "invitee_id"),
        sa.Index("ix_referrals_outcome", "outcome", "invitee_id"),
    )

    invitee_id: str = _member_ref(primary_key=True)
    referrer_id: str = _member_ref()
    joined_at: datetime = _instant()
    qualified_at: datetime | None = _instant(nullable=True)
    outcome: str | None = _text(nullable=True)
    reward_transfer_id: str | None = _text(nullable=True)
    qualifying_activity_id: str | None = _text(nullable=True)
    welcome_transfer_id: str | None = _text(nullable=True)


class ReferralCommissionRow(SQLModel, table=True):
    """What one purchase paid up the chain (one pending earning), one per buyer's order."""

    __tablename__ = "referral_commissions"
    __table_args__ = (
        sa.UniqueConstraint("buyer_id", "order_id", name="uq_referral_commissions_order"),
        sa.Index("ix_referral_commissions_due", "state", "due_at"),
    )

    activity_id: str = _text(primary_key=True)
    buyer_id: str = _member_ref()
    order_id: str = _text()
    amount: int = _int()
    at: datetime = _instant()
    due_at: datetime = _instant()
    shares: list[Any] = _json()
    transfer_id: str | None = _text(nullable=True)
    state: str = _text()


metadata = SQLModel.metadata

members = metadata.tables["members"]
accounts = metadata.tables["accounts"]
transfers = metadata.tables["transfers"]
ledger_entries = metadata.tables["ledger_entries"]
activities = metadata.tables["activities"]
rewarded_subjects = metadata.tables["rewarded_subjects"]
notes = metadata.tables["notes"]
stock = metadata.tables["stock"]
coupon_codes = metadata.tables["coupon_codes"]
redemptions = metadata.tables["redemptions"]
honor_awards = metadata.tables["honor_awards"]
honor_seats = metadata.tables["honor_seats"]
quest_progress = metadata.tables["quest_progress"]
quest_places = metadata.tables["quest_places"]
task_assignments = metadata.tables["task_assignments"]
contest_scores = metadata.tables["contest_scores"]
contest_settlements = metadata.tables["contest_settlements"]
contest_results = metadata.tables["contest_results"]
season_points = metadata.tables["season_points"]
season_snapshots = metadata.tables["season_snapshots"]
idempotency_keys = metadata.tables["idempotency_keys"]
audit_entries = metadata.tables["audit_entries"]
reversals = metadata.tables["reversals"]
role_holdings = metadata.tables["role_holdings"]
role_seats = metadata.tables["role_seats"]
mentorships = metadata.tables["mentorships"]
friend_quest_instances = metadata.tables["friend_quest_instances"]
friend_quest_members = metadata.tables["friend_quest_members"]
memberships = metadata.tables["memberships"]
referral_codes = metadata.tables["referral_codes"]
referral_identities = metadata.tables["referral_identities"]
referrals = metadata.tables["referrals"]
referral_commissions = metadata.tables["referral_commissions"]
campaign_runs = metadata.tables["campaign_runs"]
campaign_applications = metadata.tables["campaign_applications"]
