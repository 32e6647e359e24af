"""A Hypothesis state machine drives random sequences of activities, redemptions,
fulfilments, cancellations, adjustments, expiry reviews, restocks and replays through
the real services and the real in-memory store, and checks the books after every step:

- the entries of every transfer sum to zero, and entries are never changed or removed;
- each cached balance equals the sum of its account's entries;
- no member account is ever below zero; held points are exactly the reserved redemptions;
- every settle or void names a hold of the same source, and each hold is named at most
  once (a reserved redemption's hold is open, a fulfilled or cancelled one's is closed);
  settling or voiding a closed hold again is refused and writes nothing;
- one transfer may pay several members (a referral pays both sides);
- stock is never below zero, and stock left + active quantity = initial + restocked;
- issued − spent − expired + adjusted = what members hold (available + held + pending −
  debt);
- lifetime earned points are exactly the member's earning entries, and spending or
  adjusting never moves a level; each automatic honor tier is granted once;
- no rule pays beyond its limits, and no member beyond the daily cap, in any local
  period, even when activities arrive late (stamped in an earlier period), counting the
  activities not reversed;
- pending points wait in the pending bucket and count toward lifetime only once a review
  confirms them; each pending earning is confirmed or voided at most once;
- a reversal takes an activity's points back (spent ones as debt, never above zero, that
  later earnings repay first), is refused twice and replays under its key without writes;
and explaining an activity always predicts exactly what recording it then awards.
"""

import itertools
from collections import defaultdict
from datetime import datetime, timedelta

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain import ledger, services
from domain.calendar import bucket, day_number
from domain.commands import AdjustPoints, RecordActivity, RedeemReward, Restock, ReverseActivity
from domain.errors import (
    AlreadyReversed,
    CouponPoolEmpty,
    IdempotencyKeyReused,
    InsufficientPoints,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    OutOfStock,
    RedemptionLimitReached,
    UnknownNote,
)
from domain.ledger import (
    ADJUSTMENT,
    EXPIRY,
    ISSUANCE,
    REDEMPTION,
    Account,
    Source,
    SourceKind,
    Transfer,
    TransferKind,
    available_account,
    debt_account,
    held_account,
    is_pending_earning,
    pending_account,
)
from domain.model import (
    RedemptionStatus,
)
from tests.unit.builders import World, economy_from, local

ECONOMY = economy_from(
    """
[rules.check_in]
kind = "check_in"
points = 5
limits = [{ period = "day", max_count = 1 }]
streak = { bonus_per_day = 1, max_bonus = 3, milestones = { 3 = 5 } }

[rules.post_with_photos]
kind = "post"
points = 20
when = ["photos >= 1"]
once_per_subject = true
cooldown_seconds = 600

[rules.post]
kind = "post"
points = 8
once_per_subject = true
cooldown_seconds = 600

[rules.like]
kind = "like"
points = 1
limits = [{ period = "day", max_count = 5 }]

[rules.article]
kind = "article"
points = 30
when = ["words >= 500"]
per_unit = { attribute = "words", size = 500, points = 5, max_units = 4 }
limits = [{ period = "week", max_count = 2 }]
exempt_from_daily_cap = true

[rules.featured]
kind = "featured"
points = 50
once_per_subject = true
exempt_from_daily_cap = true
limits = [{ period = "month", max_points = 120 }]

[rules.purchase]
kind = "purchase"
points = 12
pending_days = 3
exempt_from_daily_cap = true

[rules.viral]
kind = "note_metrics"
points = 60
when = ["interactions >= 1000"]
once_per_subject = true
exempt_from_daily_cap = true

[level_review]
window_days = 30
grace_days = 7

[koc]
note_kinds = ["post", "article"]

[[koc.tiers]]
id = "junior"
min_notes = 1

[[koc.tiers]]
id = "senior"
viral_interactions = 1000

[honors.writer]
trigger = "activity_count"
kinds = ["post", "article"]
tiers = [{ name = "bronze", at = 2 }, { name = "silver", at = 6 }]

[reward_tiers.merch]

[rewards.pin]
tier = "merch"
price = 15
per_member_limit = 4

[rewards.mug]
tier = "merch"
price = 40
stock = 3
per_member_limit = 2

[rewards.coupon]
tier = "merch"
price = 25
stock = 4
fulfilment = "coupon_code"

[rewards.vip]
tier = "merch"
price = 60
stock = 2
min_level = "seasoned"
""",
    daily_cap=60,
    expiry_months=1,
    levels="""
[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "regular"
threshold = 80

[[levels]]
id = "seasoned"
threshold = 150
keep = 40
""",
)
MEMBERS = ("alice", "bob", "carol")
KINDS = ("check_in", "post", "like", "article", "featured", "note_metrics", "purchase")
SUBJECTS = ("s1", "s2", "s3", "s4")
FINITE = {r.id: r.stock for r in ECONOMY.rewards if r.stock is not None}
REFUSALS = (InsufficientPoints, OutOfStock, RedemptionLimitReached, NotEligible)

attributes = st.dictionaries(
    st.sampled_from(["photos", "words", "interactions"]),
    st.sampled_from([0, 1, 499, 500, 1000, 2600, 5000]),
    max_size=2,
)
backdate_hours = st.sampled_from([0, 0, 0, 1, 30])  # mostly now, sometimes late
activity = st.tuples(
    st.sampled_from(range(len(MEMBERS))),
    st.sampled_from(KINDS),
    st.sampled_from((None, *SUBJECTS)),
    attributes,
    backdate_hours,
)
step_hours = st.one_of(st.integers(0, 30), st.sampled_from([24 * 9, 24 * 33]))


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = World(ECONOMY)
        self.members = [self.world.join(handle) for handle in MEMBERS]
        self.now = local(2026, 1, 5, 9)
        self.keys = itertools.count(1)
        self.activities: list[tuple[RecordActivity, str]] = []
        self.redemptions: list[tuple[RedeemReward, str]] = []
        self.adjustments: list[tuple[AdjustPoints, str]] = []
        self.reversals: list[tuple[ReverseActivity, str]] = []
        self.restocked: dict[str, int] = defaultdict(int)
        self.entries_seen: list[object] = []
        self.world.add_codes("coupon", "C-1", "C-2")
        for member_id in self.members:  # an opening grant, so that rewards are in reach
            cmd = AdjustPoints(member_id, 100, "welcome", "operator", self.key(), self.now)
            result = services.adjust_points(cmd, self.world.store(), ECONOMY)
            self.adjustments.append((cmd, result.transfer_id))

    def key(self) -> str:
        return f"k{next(self.keys)}"

    def levels(self) -> list[tuple[str, int]]:
        members = self.world.store.state.members
        return [(members[m].level_id, members[m].qualifying_points) for m in self.members]

    def at(self, backdate: int) -> datetime:
        return self.now - timedelta(hours=backdate)

    # --- time ----------------------------------------------------------------------------

    @rule(hours=step_hours)
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours, minutes=7)

    # --- activities ----------------------------------------------------------------------

    @rule(
        member=st.sampled_from(range(len(MEMBERS))),
        kind=st.sampled_from(KINDS),
        subject=st.sampled_from((None, *SUBJECTS)),
        attrs=attributes,
        backdate=backdate_hours,
    )
    def record_activity(
        self, member: int, kind: str, subject: str | None, attrs: dict[str, int], backdate: int
    ) -> None:
        cmd = RecordActivity(
            self.members[member],
            kind,
            self.at(backdate),
            self.key(),
            subject,
            dict(attrs),
            at=self.now,
        )
        try:
            explained = services.explain_activity(cmd, self.world.store(), ECONOMY)
            result = services.record_activity(cmd, self.world.store(), ECONOMY)
        except InvalidInput as error:
            assert error.field == "subjectId"  # noqa: PT017 - an allowed refusal: the only input this machine gets wrong
            event("activity: subjectId required")
            return
        except UnknownNote:
            assert kind == "note_metrics"  # or a note this member never published
            event("activity: metrics for an unknown note")
            return
        event(f"activity: {'earned' if result.points else 'earned nothing'}")
        assert not result.replayed
        assert result.record.lines == explained.lines  # explain is the real evaluation
        assert result.points == explained.points >= 0
        self.activities.append((cmd, result.record.id))

    @rule(items=st.lists(activity, min_size=1, max_size=8))
    def record_a_batch(self, items: list[tuple[int, str, str | None, dict[str, int], int]]) -> None:
        cmds = [
            RecordActivity(
                self.members[m], kind, self.at(back), self.key(), subject, dict(attrs), at=self.now
            )
            for m, kind, subject, attrs, back in items
        ]

        results = services.record_activities(cmds, self.world.store(), ECONOMY)

        for cmd, result in zip(cmds, results, strict=True):
            if isinstance(result, InvalidInput):
                assert result.field == "subjectId"
                continue
            if isinstance(result, UnknownNote):
                assert cmd.kind == "note_metrics"
                continue
            assert isinstance(result, services.ActivityResult)
            assert not result.replayed
            self.activities.append((cmd, result.record.id))
        event("batch: recorded")

    @precondition(lambda self: self.activities)
    @rule(data=st.data())
    def replay_activity(self, data: st.DataObject) -> None:
        cmd, record_id = data.draw(st.sampled_from(self.activities))
        writes = self.world.write_count()

        result = services.record_activity(cmd, self.world.store(), ECONOMY)

        assert result.replayed
        assert result.record.id == record_id
        assert self.world.write_count() == writes

    @precondition(lambda self: self.activities)
    @rule(data=st.data())
    def reuse_an_activity_key_for_another_payload(self, data: st.DataObject) -> None:
        cmd, _ = data.draw(st.sampled_from(self.activities))
        other = RecordActivity(
            cmd.member_id,
            "like",
            cmd.occurred_at + timedelta(seconds=1),
            cmd.idempotency_key,
            at=self.now,
        )
        writes = self.world.write_count()

        try:
            services.record_activity(other, self.world.store(), ECONOMY)
        except IdempotencyKeyReused:
            pass
        else:
            raise AssertionError("a reused key with another payload was accepted")
        assert self.world.write_count() == writes

    # --- reversals ----------------------------------------------------------------------

    @precondition(lambda self: self.activities)
    @rule(data=st.data(), spent_first=st.booleans())
    def reverse_an_activity(self, data: st.DataObject, spent_first: bool) -> None:
        _, activity_id = data.draw(st.sampled_from(self.activities))
        state = self.world.store.state
        member_id = state.activities[activity_id].member_id
        available = self.world.available(member_id)
        if spent_first and available > 0:  # the member has spent everything (taken away)
            take = AdjustPoints(member_id, -available, "spent", "operator", self.key(), self.now)
            result_ = services.adjust_points(take, self.world.store(), ECONOMY)
            self.adjustments.append((take, result_.transfer_id))
        cmd = ReverseActivity(activity_id, "fraud", "operator", self.key(), self.now)
        before = self.world.balances(member_id)
        already = activity_id in state.reversals
        writes = self.world.write_count()
        try:
            result = services.reverse_activity(cmd, self.world.store(), ECONOMY)
        except AlreadyReversed:
            assert already
            assert self.world.write_count() == writes
            event("reverse: AlreadyReversed")
            return
        assert not already
        done = result.reversal
        after = self.world.balances(member_id)
        taken = (before.available - after.available) + (before.pending - after.pending)
        assert taken + (after.debt - before.debt) == done.points
        assert after.debt - before.debt == done.debt
        event(f"reverse: {'into debt' if done.debt else 'reversed'}")
        self.reversals.append((cmd, activity_id))

    @precondition(lambda self: self.reversals)
    @rule(data=st.data())
    def replay_reversal(self, data: st.DataObject) -> None:
        cmd, activity_id = data.draw(st.sampled_from(self.reversals))
        writes = self.world.write_count()

        result = services.reverse_activity(cmd, self.world.store(), ECONOMY)

        assert result.replayed
        assert result.reversal.activity_id == activity_id
        assert self.world.write_count() == writes

    # --- rewards -------------------------------------------------------------------------

    @rule(
        member=st.sampled_from(range(len(MEMBERS))),
        reward=st.sampled_from([r.id for r in ECONOMY.rewards]),
        quantity=st.sampled_from([1, 1, 2, 3]),
    )
    def redeem(self, member: int, reward: str, quantity: int) -> None:
        member_id = self.members[member]
        cmd = RedeemReward(member_id, reward, quantity, self.key(), self.now)
        available, levels = self.world.available(member_id), self.levels()
        try:
            result = services.redeem_reward(cmd, self.world.store(), ECONOMY)
        except REFUSALS as error:
            event(f"redeem: {type(error).__name__}")
            if isinstance(error, InsufficientPoints):
                assert error.balance == available < error.required  # noqa: PT017 - a refusal is an allowed outcome here
            if isinstance(error, OutOfStock):
                left = self.world.stock(reward)
                assert left is not None
                assert error.available == left < quantity  # noqa: PT017 - a refusal is an allowed outcome here
            return
        event("redeem: reserved")
        assert result.redemption.status is RedemptionStatus.RESERVED
        assert self.levels() == levels  # spending never moves a level
        self.redemptions.append((cmd, result.redemption.id))

    @precondition(lambda self: self.redemptions)
    @rule(data=st.data())
    def replay_redemption(self, data: st.DataObject) -> None:
        cmd, redemption_id = data.draw(st.sampled_from(self.redemptions))
        writes = self.world.write_count()

        result = services.redeem_reward(cmd, self.world.store(), ECONOMY)

        assert result.replayed
        assert result.redemption.id == redemption_id
        assert self.world.write_count() == writes

    @precondition(lambda self: self.redemptions)
    @rule(data=st.data())
    def fulfil(self, data: st.DataObject) -> None:
        _, redemption_id = data.draw(st.sampled_from(self.redemptions))
        levels = self.levels()
        try:
            done = self.world.fulfil(redemption_id, self.now)
        except (InvalidTransition, CouponPoolEmpty) as error:
            event(f"fulfil: {type(error).__name__}")
            return
        event("fulfil: fulfilled")
        assert self.levels() == levels
        assert done.status is RedemptionStatus.FULFILLED

    @precondition(lambda self: self.redemptions)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        _, redemption_id = data.draw(st.sampled_from(self.redemptions))
        try:
            done = self.world.cancel(redemption_id, self.now)
        except InvalidTransition as error:
            assert error.state == "fulfilled"  # noqa: PT017 - a refusal is an allowed outcome here
            event("cancel: InvalidTransition")
            return
        event("cancel: cancelled")
        assert done.status is RedemptionStatus.CANCELLED

    @rule(reward=st.sampled_from(sorted(FINITE)), quantity=st.integers(1, 2))
    def restock(self, reward: str, quantity: int) -> None:
        services.restock(
            Restock(reward, quantity, "operator", self.now), self.world.store(), ECONOMY
        )
        self.restocked[reward] += quantity

    @rule()
    def add_a_coupon_code(self) -> None:
        assert self.world.add_codes("coupon", f"C-{self.key()}") == 1

    # --- the ledger directly: several members in one transfer, hold links ----------------

    @rule(
        referrer=st.sampled_from(range(len(MEMBERS))),
        referee=st.sampled_from(range(len(MEMBERS))),
        points=st.sampled_from([(10, 5), (1, 30)]),
    )
    def pay_a_referral(self, referrer: int, referee: int, points: tuple[int, int]) -> None:
        if referrer == referee:
            return
        payees = {self.members[referrer]: points[0], self.members[referee]: points[1]}
        before = {m: self.world.available(m) for m in payees}
        key = self.key()
        uow = self.world.store()
        with uow:
            transfer = ledger.earn(
                uow.next_id("trf"), payees, self.now, Source(SourceKind.REFERRAL, key), key
            )
            assert uow.ledger.post(transfer)
            uow.commit()
        event("referral: paid two members")
        assert transfer.member_ids == tuple(payees)
        assert {m: self.world.available(m) - before[m] for m in payees} == payees

    def hold_of(self, redemption_id: str) -> Transfer:
        source = Source(SourceKind.REDEMPTION, redemption_id)
        [found] = [
            t
            for t in self.world.store.state.transfers
            if t.kind is TransferKind.HOLD and t.source == source
        ]
        return found

    @precondition(lambda self: self.redemptions)
    @rule(data=st.data(), settle=st.booleans())
    def settle_or_void_a_hold_again(self, data: st.DataObject, settle: bool) -> None:
        _, redemption_id = data.draw(st.sampled_from(self.redemptions))
        redemption = self.world.store.state.redemptions[redemption_id]
        if redemption.status is RedemptionStatus.RESERVED:
            return  # still open: the services settle or void it
        hold = self.hold_of(redemption_id)
        writes = self.world.write_count()
        uow = self.world.store()
        with uow:
            move = ledger.spend if settle else ledger.release
            posted = uow.ledger.post(move(uow.next_id("trf"), hold, self.now))
        event(f"hold: {'settled' if settle else 'voided'} twice, refused")
        assert not posted
        assert self.world.write_count() == writes

    # --- operators and upkeep ------------------------------------------------------------

    @rule(
        member=st.sampled_from(range(len(MEMBERS))),
        amount=st.sampled_from([-80, -25, -5, 5, 25, 80]),
    )
    def adjust(self, member: int, amount: int) -> None:
        member_id = self.members[member]
        cmd = AdjustPoints(member_id, amount, "correction", "operator", self.key(), self.now)
        try:
            levels = self.levels()
            result = services.adjust_points(cmd, self.world.store(), ECONOMY)
            assert self.levels() == levels  # adjustments are not earnings
        except InsufficientPoints as error:
            assert amount < 0
            assert error.balance < error.required == -amount  # noqa: PT017 - a refusal is an allowed outcome here
            event("adjust: InsufficientPoints")
            return
        event("adjust: applied")
        self.adjustments.append((cmd, result.transfer_id))

    @precondition(lambda self: self.adjustments)
    @rule(data=st.data())
    def replay_adjustment(self, data: st.DataObject) -> None:
        cmd, transfer_id = data.draw(st.sampled_from(self.adjustments))
        writes = self.world.write_count()

        result = services.adjust_points(cmd, self.world.store(), ECONOMY)

        assert result.replayed
        assert result.transfer_id == transfer_id
        assert self.world.write_count() == writes

    @rule(member=st.sampled_from(range(len(MEMBERS))))
    def review(self, member: int) -> None:
        events = self.world.review(self.members[member], self.now)
        for happened in events:
            event(f"review: {type(happened).__name__}")

    # --- the books, after every step -----------------------------------------------------

    @invariant()
    def entries_of_every_transfer_sum_to_zero(self) -> None:
        state = self.world.store.state
        totals: dict[str, int] = defaultdict(int)
        for entry in state.entries:
            totals[entry.transfer_id] += entry.amount
        assert set(totals) == {t.id for t in state.transfers}
        assert all(total == 0 for total in totals.values()), totals

    @invariant()
    def entries_are_append_only(self) -> None:
        entries = self.world.store.state.entries
        assert entries[: len(self.entries_seen)] == self.entries_seen
        self.entries_seen = list(entries)

    @invariant()
    def cached_balances_equal_the_sum_of_entries(self) -> None:
        state = self.world.store.state
        totals: dict[Account, int] = defaultdict(int)
        for entry in state.entries:
            totals[entry.account] += entry.amount
        for account in set(totals) | set(state.balances):
            assert state.balances.get(account, 0) == totals.get(account, 0), account

    @invariant()
    def no_member_balance_is_below_zero(self) -> None:
        balances = self.world.store.state.balances
        for member_id in self.members:
            assert balances.get(available_account(member_id), 0) >= 0
            assert balances.get(held_account(member_id), 0) >= 0
            assert balances.get(pending_account(member_id), 0) >= 0
            assert balances.get(debt_account(member_id), 0) <= 0  # a debt, never a credit

    @invariant()
    def each_pending_earning_is_confirmed_or_voided_at_most_once(self) -> None:
        state = self.world.store.state
        pending = {t.id: t for t in state.transfers if is_pending_earning(t)}
        links = [t for t in state.transfers if t.kind in {TransferKind.CONFIRM, TransferKind.VOID}]
        assert len({t.pending_id for t in links}) == len(links)
        for link in links:
            assert link.pending_id in pending
            assert pending[link.pending_id].source == link.source
        closed = {t.pending_id for t in links}
        with self.world.store() as uow:
            for member_id in self.members:
                still = {t.id for t in uow.ledger.open_pending(member_id)}
                mine = {i for i, t in pending.items() if member_id in t.member_ids}
                assert still == mine - closed

    @invariant()
    def each_hold_is_settled_or_voided_once_by_a_transfer_naming_it(self) -> None:
        state = self.world.store.state
        holds = {t.id: t for t in state.transfers if t.kind is TransferKind.HOLD}
        links = [t for t in state.transfers if t.kind in {TransferKind.SPEND, TransferKind.RELEASE}]
        assert all(t.pending_id is not None for t in links)
        assert len({t.pending_id for t in links}) == len(links)
        for link in links:
            assert link.pending_id in holds
            assert holds[link.pending_id].source == link.source
        closed = {t.pending_id for t in links}
        with self.world.store() as uow:
            for redemption in state.redemptions.values():
                hold = self.hold_of(redemption.id)
                is_open = redemption.status is RedemptionStatus.RESERVED
                assert (hold.id not in closed) == is_open
                assert (uow.ledger.open_hold(hold.source) == hold) == is_open

    @invariant()
    def held_points_are_exactly_the_reserved_redemptions(self) -> None:
        state = self.world.store.state
        reserved: dict[str, int] = defaultdict(int)
        for redemption in state.redemptions.values():
            if redemption.status is RedemptionStatus.RESERVED:
                reserved[redemption.member_id] += redemption.points
        for member_id in self.members:
            assert state.balances.get(held_account(member_id), 0) == reserved[member_id]

    @invariant()
    def stock_is_conserved_and_never_below_zero(self) -> None:
        state = self.world.store.state
        for reward_id, initial in FINITE.items():
            left = state.stock[reward_id]
            assert left is not None
            assert left >= 0
            out = sum(
                r.quantity
                for r in state.redemptions.values()
                if r.reward_id == reward_id and r.status is not RedemptionStatus.CANCELLED
            )
            assert left + out == initial + self.restocked[reward_id]
        assert state.stock["pin"] is None

    @invariant()
    def issued_less_spent_less_expired_is_what_members_hold(self) -> None:
        books = self.world.store.state.balances
        issued = -books.get(ISSUANCE, 0)
        spent = books.get(REDEMPTION, 0)
        expired = books.get(EXPIRY, 0)
        adjusted = -books.get(ADJUSTMENT, 0)
        held = sum(
            books.get(available_account(m), 0)
            + books.get(held_account(m), 0)
            + books.get(pending_account(m), 0)
            + books.get(debt_account(m), 0)
            for m in self.members
        )
        assert issued - spent - expired + adjusted == held
        assert issued >= 0
        assert spent >= 0
        assert expired >= 0

    @invariant()
    def lifetime_earned_is_the_sum_of_earning_entries(self) -> None:
        state = self.world.store.state
        earned: dict[str, int] = defaultdict(int)
        for transfer in state.transfers:  # paid by the rules (referrals are not earnings yet)
            counts = (
                transfer.kind is TransferKind.EARN
                and transfer.source.kind is SourceKind.RULE
                and not is_pending_earning(transfer)  # counted once confirmed
            ) or transfer.kind is TransferKind.CONFIRM
            if counts:
                for posting in transfer.postings:
                    if posting.amount > 0:
                        earned[posting.account.owner_id] += posting.amount
            elif transfer.kind is TransferKind.REVERSE:  # taken back: available or as debt
                for posting in transfer.postings:
                    if posting.account.owner_kind is ledger.MEMBER:
                        earned[posting.account.owner_id] += posting.amount
        for member_id in self.members:
            lifetime = state.members[member_id].progress.lifetime_earned
            assert lifetime == earned[member_id]

    @invariant()
    def no_limit_nor_the_daily_cap_is_ever_exceeded(self) -> None:
        paid: dict[tuple[str, str, str, int], list[int]] = defaultdict(list)
        capped: dict[tuple[str, int], int] = defaultdict(int)
        reversed_ = self.world.store.state.reversals
        for record in self.world.store.state.activities.values():
            if record.id in reversed_:
                continue  # its counts were given back
            day = day_number(record.occurred_at, ECONOMY.timezone)
            for line in record.lines:
                rule = ECONOMY.rule(line.rule_id)
                assert rule is not None
                if line.points and not rule.exempt_from_daily_cap:
                    capped[(record.member_id, day)] += line.points
                for limit in rule.limits:
                    where = (record.member_id, rule.id, limit.period, bucket(limit.period, day))
                    if line.points:
                        paid[where].append(line.points)
        assert ECONOMY.daily_cap is not None
        assert all(total <= ECONOMY.daily_cap for total in capped.values()), capped
        for (_, rule_id, period, _), points in paid.items():
            rule = ECONOMY.rule(rule_id)
            assert rule is not None
            limit = next(lim for lim in rule.limits if lim.period == period)
            assert limit.max_count is None or len(points) <= limit.max_count, (rule_id, points)
            assert limit.max_points is None or sum(points) <= limit.max_points, (rule_id, points)

    @invariant()
    def each_automatic_honor_tier_is_held_once(self) -> None:
        granted = [
            (a.member_id, a.honor_id, a.tier)
            for a in self.world.store.state.honors.values()
            if a.granted_by is None and a.revoked_at is None  # a revoked tier may come back
        ]
        assert len(granted) == len(set(granted))

    @invariant()
    def every_coupon_code_is_handed_out_once(self) -> None:
        codes = [
            r.coupon_code
            for r in self.world.store.state.redemptions.values()
            if r.coupon_code is not None
        ]
        assert len(codes) == len(set(codes))


LedgerMachine.TestCase.settings = settings(max_examples=80, stateful_step_count=50)
TestLedgerStateMachine = LedgerMachine.TestCase
