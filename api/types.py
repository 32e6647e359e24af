"""The member-facing object types: Member (a Relay node) and what hangs off it, Reward
and Redemption nodes, ledger entries. Relations go through the request's loaders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from graphql import FieldNode, Undefined, value_from_ast_untyped
from strawberry import relay

from api import ids
from api.connections import Connection, Edge, connection, page_size, page_size_default
from api.context import Info
from api.economy_types import GuideIndex, Honor, KocTier, Level, RewardTier
from api.fields import field
from api.loaders import LedgerPageKey
from api.permissions import IsSelfOrOperator, can_see
from api.quest_types import QuestProgress, member_quest_history
from domain import ledger, model
from domain import levels as domain_levels
from domain.calendar import day_number
from domain.earning import window_points
from domain.economy import Economy
from domain.economy import Reward as DomainReward
from domain.ledger import Bucket

if TYPE_CHECKING:
    from api.membership import PaidTierStatus
    from api.referrals import Referral
    from api.tasks import TaskAssignment, TaskState
    from api.team_help import FriendQuestInstance


@strawberry.enum
class LevelState(Enum):
    ACTIVE = "active"
    WARNING = "warning"


graphql_int_max = 2**31 - 1  # GraphQL's Int: a larger spend is shown as this


@strawberry.type(
    description="Where the member stands on the ladder's criteria: what they have, what "
    "the next level needs to be reached and what this level needs to be kept. Window "
    "figures cover the review window ending today (the economy's day); spend is in the "
    "currency's minor units (cents), counted once per order, refunds taken back."
)
class LevelProgress:
    window_days: int
    qualifying_points: int = strawberry.field(
        description="Lifetime qualifying points: what a level's threshold is compared with."
    )
    window_points: int = strawberry.field(description="Points earned in the window.")
    spend: int = strawberry.field(
        description=f"Spend in the window (shown as {graphql_int_max} when larger)."
    )
    purchases: int = strawberry.field(description="Purchases (orders) in the window.")
    next_threshold: int | None = strawberry.field(
        description="The next level's threshold; null at the top of the ladder."
    )
    next_spend: int | None = strawberry.field(
        description="Spend in the window the next level needs; null if it asks for none."
    )
    next_purchases: int | None = strawberry.field(
        description="Purchases in the window the next level needs; null if it asks for none."
    )
    keep_points: int = strawberry.field(description="Points per window to keep this level.")
    keep_spend: int = strawberry.field(description="Spend per window to keep this level.")
    keep_purchases: int = strawberry.field(description="Purchases per window to keep this level.")

    @classmethod
    def of(cls, economy: Economy, member: model.Member, day: int) -> LevelProgress:
        level = domain_levels.current_level(economy, member)
        upcoming = domain_levels.next_level(economy, level)
        spend = domain_levels.window_spend(economy, member.progress, day)
        return cls(
            window_days=economy.level_review.window_days,
            qualifying_points=member.qualifying_points,
            window_points=window_points(economy, member.progress, day),
            spend=min(spend.amount, graphql_int_max),
            purchases=spend.purchases,
            next_threshold=upcoming.threshold if upcoming else None,
            next_spend=(upcoming.spend_min or None) if upcoming else None,
            next_purchases=(upcoming.purchases_min or None) if upcoming else None,
            keep_points=level.keep,
            keep_spend=level.keep_spend,
            keep_purchases=level.keep_purchases,
        )


@strawberry.type(description="A member's standing on the level ladder.")
class MemberLevel:
    id: strawberry.ID
    title: str
    rank: int
    privileges: list[str]
    name_colour: str | None
    next_level: Level | None
    locked: bool
    owner_id: strawberry.Private[str]
    _state: strawberry.Private[model.LevelState]
    _demotion_due: strawberry.Private[datetime | None]
    _progress_to_next: strawberry.Private[float]
    _member: strawberry.Private[model.Member]
    _today: strawberry.Private[int]  # the economy's local day (ordinal) of the request

    @field(
        permissions=[IsSelfOrOperator],
        description="Fraction (0..1) of the way to the next level: from this level's "
        "threshold to the next one's, and toward the next level's spend and purchases in "
        "the window, whichever is least advanced. Private like `points`: with the public "
        "thresholds it would reveal lifetimeEarned.",
    )
    def progress_to_next(self) -> float | None:
        return self._progress_to_next

    @field(
        permissions=[IsSelfOrOperator],
        description="Points, spend and purchases against the next level's criteria and "
        "this level's keep marks. Private like `points`.",
    )
    def progress(self, info: Info) -> LevelProgress | None:
        return LevelProgress.of(info.context.runtime.economy, self._member, self._today)

    @field(permissions=[IsSelfOrOperator])
    def state(self) -> LevelState | None:
        return LevelState(self._state.value)

    @field(
        permissions=[IsSelfOrOperator],
        description="When a warned member is demoted unless they earn enough before.",
    )
    def demotion_due(self) -> datetime | None:
        return self._demotion_due


@strawberry.type
class Points:
    available: int
    reserved: int
    lifetime_earned: int
    pending: int = strawberry.field(
        description="Earned, waiting for confirmation (rules with pending_days); counts "
        "toward levels and lifetime once confirmed."
    )
    debt: int = strawberry.field(
        description="Owed after a reversal of points already spent; later earnings repay it "
        "before anything becomes available."
    )


@strawberry.type(description="Consecutive local days on which a streak rule awarded.")
class Streak:
    rule_id: strawberry.ID
    title: str
    length: int
    best: int
    last_day: date


@strawberry.type(description="An honor a member holds (or held, if revoked).")
class HonorAward:
    id: strawberry.ID
    honor: Honor
    tier: str | None
    granted_at: datetime
    revoked_at: datetime | None
    active: bool

    @classmethod
    def of(cls, guide: GuideIndex, award: model.HonorAward) -> HonorAward:
        return cls(
            id=strawberry.ID(award.id),
            honor=guide.honor(award.honor_id),
            tier=award.tier,
            granted_at=award.granted_at,
            revoked_at=award.revoked_at,
            active=award.active,
        )


@strawberry.enum
class TransferKind(Enum):
    EARN = "earn"
    HOLD = "hold"
    SPEND = "spend"
    RELEASE = "release"
    EXPIRE = "expire"
    ADJUST = "adjust"
    REVERSE = "reverse"
    CONFIRM = "confirm"


@strawberry.enum
class BalanceKind(Enum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    PENDING = "pending"


@strawberry.type(description="One posting on one of the member's accounts.")
class LedgerEntry:
    seq: int
    transfer_id: strawberry.ID
    kind: TransferKind
    balance: BalanceKind
    amount: int
    at: datetime
    reference: str
    memo: str


@strawberry.enum
class RedemptionStatus(Enum):
    RESERVED = "reserved"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


@strawberry.type(description="A reward in the points mall.")
class Reward(relay.Node):
    id: relay.NodeID[str]
    title: str
    description: str
    tier: RewardTier
    price: int
    stock: int | None = strawberry.field(description="Initial stock; null means unlimited.")
    per_member_limit: int | None
    min_level: Level | None
    available_from: datetime | None
    available_until: datetime | None
    fulfilment: str

    @field(description="Items left now; null means unlimited.")
    async def remaining(self, info: Info) -> int | None:
        return await info.context.loaders.stock.load(self.id)

    @classmethod
    def of(cls, guide: GuideIndex, reward: DomainReward) -> Reward:
        return cls(
            id=reward.id,
            title=reward.title,
            description=reward.description,
            tier=guide.reward_tiers[reward.tier],
            price=reward.price,
            stock=reward.stock,
            per_member_limit=reward.per_member_limit,
            min_level=guide.level(reward.min_level) if reward.min_level else None,
            available_from=reward.available_from,
            available_until=reward.available_until,
            fulfilment=reward.fulfilment,
        )

    @classmethod
    def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        runtime = info.context.runtime
        found = [runtime.economy.reward(i) for i in node_ids]
        return [cls.of(runtime.guide, r) if r else None for r in found]  # type: ignore[misc]


@strawberry.type(description="A member's redemption: reserved, then fulfilled or cancelled.")
class Redemption(relay.Node):
    id: relay.NodeID[str]
    quantity: int
    points: int
    status: RedemptionStatus
    created_at: datetime
    updated_at: datetime
    coupon_code: str | None
    note: str
    owner_id: strawberry.Private[str]
    reward_id: strawberry.Private[str]

    @strawberry.field
    def reward(self, info: Info) -> Reward:
        runtime = info.context.runtime
        reward = runtime.economy.reward(self.reward_id)
        assert reward is not None, f"redemption {self.id} of unknown reward {self.reward_id}"
        return Reward.of(runtime.guide, reward)

    @strawberry.field
    async def member(self, info: Info) -> Member:
        found = await info.context.loaders.members.load(self.owner_id)
        assert found is not None, f"redemption {self.id} of unknown member {self.owner_id}"
        return Member.of(found)

    @classmethod
    def of(cls, r: model.Redemption) -> Redemption:
        return cls(
            id=r.id,
            quantity=r.quantity,
            points=r.points,
            status=RedemptionStatus(r.status.value),
            created_at=r.created_at,
            updated_at=r.updated_at,
            coupon_code=r.coupon_code,
            note=r.note,
            owner_id=r.member_id,
            reward_id=r.reward_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        found = await info.context.loaders.redemptions.load_many(list(node_ids))
        viewer = info.context.viewer
        return [
            cls.of(r) if r is not None and can_see(viewer, r.member_id) else None  # type: ignore[misc]
            for r in found
        ]


@strawberry.type(description="A community member: public profile, private points and history.")
class Member(relay.Node):
    id: relay.NodeID[str]
    handle: str
    display_name: str
    joined_at: datetime
    owner_id: strawberry.Private[str]
    _member: strawberry.Private[model.Member]

    @classmethod
    def of(cls, member: model.Member) -> Member:
        return cls(
            id=member.id,
            handle=member.handle,
            display_name=member.display_name,
            joined_at=member.joined_at,
            owner_id=member.id,
            _member=member,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        found = await info.context.loaders.members.load_many(list(node_ids))
        return [cls.of(m) if m is not None else None for m in found]  # type: ignore[misc]

    @strawberry.field
    def level(self, info: Info) -> MemberLevel:
        runtime = info.context.runtime
        economy = runtime.economy
        member = self._member
        level = domain_levels.current_level(economy, member)
        upcoming = domain_levels.next_level(economy, level)
        today = day_number(runtime.clock(), economy.timezone)
        return MemberLevel(
            id=strawberry.ID(level.id),
            title=level.title,
            rank=level.rank,
            privileges=list(level.privileges),
            name_colour=level.name_colour,
            next_level=runtime.guide.level(upcoming.id) if upcoming else None,
            locked=member.level_locked,
            owner_id=member.id,
            _state=member.level_state,
            _demotion_due=member.demotion_due,
            _progress_to_next=domain_levels.progress_to_next(economy, member, today),
            _member=member,
            _today=today,
        )

    @strawberry.field
    def koc_tier(self, info: Info) -> KocTier | None:
        tier_id = self._member.koc_tier
        return info.context.runtime.guide.koc_tiers.get(tier_id) if tier_id else None

    @field(description="Honors held now (revoked ones are left out).")
    async def honors(self, info: Info) -> list[HonorAward]:
        guide = info.context.runtime.guide
        awards = await info.context.loaders.honors.load(self.owner_id)
        return [HonorAward.of(guide, a) for a in awards if a.active and a.honor_id in guide.honors]

    @field(permissions=[IsSelfOrOperator])
    async def points(self, info: Info) -> Points | None:
        held = await info.context.loaders.balances.load(self.owner_id)
        return Points(
            available=held.available,
            reserved=held.reserved,
            lifetime_earned=self._member.progress.lifetime_earned,
            pending=held.pending,
            debt=held.debt,
        )

    @field(permissions=[IsSelfOrOperator])
    def streaks(self, info: Info) -> list[Streak] | None:
        economy = info.context.runtime.economy
        progress = self._member.progress
        found: list[Streak] = []
        for rule_id, (length, day) in sorted(progress.streaks.items()):
            rule = economy.rule(rule_id)
            found.append(
                Streak(
                    rule_id=strawberry.ID(rule_id),
                    title=rule.title if rule else rule_id,
                    length=length,
                    best=max(progress.best_streaks.get(rule_id, 0), length),
                    last_day=date.fromordinal(day),
                )
            )
        return found

    @field(permissions=[IsSelfOrOperator], description="Newest first; keyset pagination.")
    async def ledger_entries(
        self, info: Info, first: int = page_size_default, after: str | None = None
    ) -> Connection[LedgerEntry] | None:
        limit = page_size(first)
        after_seq = ids.decode_int_cursor("ledger", after)
        rows = await info.context.loaders.ledger_pages.load((self.owner_id, after_seq, limit + 1))
        page = rows[:limit]
        edges = [Edge(cursor=ids.encode_cursor("ledger", e.seq), node=_entry(e)) for e in page]
        return connection(edges, len(rows) > limit, after)

    @field(permissions=[IsSelfOrOperator], description="Newest first; keyset pagination.")
    async def redemptions(
        self, info: Info, first: int = page_size_default, after: str | None = None
    ) -> Connection[Redemption] | None:
        limit = page_size(first)
        after_id = ids.decode_cursor("redemption", after)
        rows = await info.context.loaders.redemption_pages.load(
            (self.owner_id, after_id, limit + 1)
        )
        page = rows[:limit]
        edges = [
            Edge(cursor=ids.encode_cursor("redemption", r.id), node=Redemption.of(r)) for r in page
        ]
        return connection(edges, len(rows) > limit, after)

    @field(
        permissions=[IsSelfOrOperator],
        description="The member's progress on quests, by quest id, newest period first.",
    )
    async def quests(
        self, info: Info, first: int = page_size_default, after: str | None = None
    ) -> Connection[QuestProgress] | None:
        return await member_quest_history(info, self.owner_id, first, after)

    @field(permissions=[IsSelfOrOperator], description="Tasks offered to the member, by id.")
    async def task_assignments(
        self,
        info: Info,
        state: Annotated[TaskState, strawberry.lazy("api.tasks")] | None = None,
        first: int = page_size_default,
        after: str | None = None,
    ) -> Connection[Annotated[TaskAssignment, strawberry.lazy("api.tasks")]] | None:
        from api.tasks import assignments_page  # api.tasks builds on this module

        return await assignments_page(info, self.owner_id, state, first, after)

    @field(
        permissions=[IsSelfOrOperator],
        description="Team and help instances the member started, joined or helped, by id.",
    )
    async def friend_quests(
        self, info: Info, first: int = page_size_default, after: str | None = None
    ) -> Connection[Annotated[FriendQuestInstance, strawberry.lazy("api.team_help")]] | None:
        from api.team_help import friend_quests_page  # api.team_help builds on this module

        return await friend_quests_page(info, self.owner_id, first, after)

    @field(
        permissions=[IsSelfOrOperator],
        description="The member's paid tier: the current (or last) period; null if none.",
    )
    async def paid_tier(
        self, info: Info
    ) -> Annotated[PaidTierStatus, strawberry.lazy("api.membership")] | None:
        from api.membership import paid_tier_of  # api.membership builds on this module

        return await paid_tier_of(info, self.owner_id)

    @field(
        permissions=[IsSelfOrOperator],
        description="The member's referral code to share (null without a referral program).",
    )
    async def referral_code(self, info: Info) -> str | None:
        from api.referrals import referral_code_of  # api.referrals builds on this module

        return await referral_code_of(info, self.owner_id)

    @field(
        permissions=[IsSelfOrOperator],
        description="Who referred the member, and how far they got (null if nobody).",
    )
    async def referred_by(
        self, info: Info
    ) -> Annotated[Referral, strawberry.lazy("api.referrals")] | None:
        from api.referrals import referred_by

        return await referred_by(info, self.owner_id)

    @field(
        permissions=[IsSelfOrOperator],
        description="The members this member invited, each with their state, by invitee id.",
    )
    async def referrals(
        self, info: Info, first: int = page_size_default, after: str | None = None
    ) -> Connection[Annotated[Referral, strawberry.lazy("api.referrals")]] | None:
        from api.referrals import referrals_page

        return await referrals_page(info, self.owner_id, first, after)


def member_reads(info: Info, member_id: str) -> tuple[bool, list[LedgerPageKey]]:
    """What the Member fields selected right under this field will load: whether its
    honors, and the keys of its ledger pages as `ledgerEntries` computes them (so they can
    be read with the member in one unit of work, `Loaders.member_with`). Only a guess that
    saves a hop: fields inside fragments, or with arguments the field will refuse, are
    left to their own loads."""
    honors = False
    pages: list[LedgerPageKey] = []
    for node in info._raw_info.field_nodes:
        for selection in node.selection_set.selections if node.selection_set else ():
            if not isinstance(selection, FieldNode):
                continue
            name = selection.name.value
            if name == "honors":
                honors = True
            elif name == "ledgerEntries":
                key = _ledger_page_key(selection, member_id, info.variable_values)
                if key is not None:
                    pages.append(key)
    return honors, pages


def _ledger_page_key(
    node: FieldNode, member_id: str, variables: dict[str, object]
) -> LedgerPageKey | None:
    given = {a.name.value: value_from_ast_untyped(a.value, variables) for a in node.arguments or ()}
    first = given.get("first", page_size_default)
    after = given.get("after")
    first = page_size_default if first is Undefined else first
    after = None if after is Undefined else after
    if not isinstance(first, int) or isinstance(first, bool) or not isinstance(after, str | None):
        return None
    try:
        return member_id, ids.decode_int_cursor("ledger", after), page_size(first) + 1
    except Exception:  # the field itself answers with the error
        return None


BUCKET_BALANCE = {
    Bucket.AVAILABLE: BalanceKind.AVAILABLE,
    Bucket.HELD: BalanceKind.RESERVED,
    Bucket.PENDING: BalanceKind.PENDING,
}


# The schema's kind of each domain kind it has, looked up once (an Enum call by value per
# entry was a measurable part of a page of 20); another kind fails as it always did.
TRANSFER_KINDS = {
    kind: TransferKind(kind.value)
    for kind in ledger.TransferKind
    if kind.value in {shown.value for shown in TransferKind}
}


def _entry(entry: ledger.LedgerEntry) -> LedgerEntry:
    return LedgerEntry(
        seq=entry.seq,
        transfer_id=strawberry.ID(entry.transfer_id),
        kind=TRANSFER_KINDS.get(entry.kind) or TransferKind(entry.kind.value),
        balance=BUCKET_BALANCE[entry.account.bucket],
        amount=entry.amount,
        at=entry.at,
        reference=entry.reference,
        memo=entry.memo,
    )
