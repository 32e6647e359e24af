"""The in-process store: real production code for the simulator and the unit tests.

Transactions are copy-on-write at the level of the objects the domain mutates: a unit
of work stages its writes and applies them only on commit, so a rolled-back use case
leaves nothing behind. Single-threaded by design (one simulator run, one test).

`MemoryStore(keep_history=False)` is the simulator's store, whose memory grows with the
members and not with the history: on commit it keeps the state the services go on
reading (members, balances, open holds and pending earnings, subjects already rewarded,
quests, notes, ...) but not the history nobody reads again in a run: the ledger's postings
are folded into per-account totals (which the end-of-run ledger check compares with the
balances), and activity records (except those of open pending earnings, which their
confirmation reads) and idempotency records are dropped. Such a store trusts its caller
never to reuse an idempotency key after the unit of work that used it (the simulator
numbers its keys), and refuses the reads of dropped history (`HistoryNotKept`): entries,
transfers, leaderboards over transfers, activities (reversals, task evidence). Its caller
may also drop the quest progress of closed periods (`MemoryStore.forget_quest_periods`),
whose reads are refused the same way. Subject marks, which both stores keep for ever,
are held compactly (`SubjectMarks`)."""

from __future__ import annotations

import copy
import heapq
import itertools
from array import array
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar, overload

from domain.campaign_places import HOLDING, Application, ApplicationState, CampaignRecord
from domain.contests import ContestScore, Standing, rank_key
from domain.handles import handle_key
from domain.ledger import (
    ISSUANCE,
    Account,
    LedgerEntry,
    OwnerKind,
    Posting,
    Source,
    SourceKind,
    Transfer,
    TransferKind,
    available_account,
    held_account,
    is_pending_earning,
)
from domain.membership import Membership
from domain.model import (
    ActivityRecord,
    AuditEntry,
    Event,
    HonorAward,
    IdempotencyRecord,
    Member,
    Note,
    Progress,
    Redemption,
    RedemptionStatus,
)
from domain.quests import QuestProgress
from domain.referrals import (
    REWARDED,
    CommissionState,
    PurchaseCommission,
    Referral,
    RewardOutcome,
)
from domain.reversal import Reversal
from domain.roles import OPEN_STATES, Mentorship, RoleHolding, RoleState
from domain.seasons import SeasonSnapshot
from domain.tasks import TaskAssignment, TaskState
from domain.team_help import (
    FriendQuestInstance,
    FriendQuestKind,
    InstanceState,
    Participation,
)

MEMBER = OwnerKind.MEMBER
_R = TypeVar("_R")  # a record kind read through a per-member index


class HistoryNotKept(LookupError):
    """A read of history a store without history (`MemoryStore(keep_history=False)`)
    dropped on commit: a use of that store it does not serve."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what}: this in-memory store keeps no history (keep_history=False, the "
            "simulator's store); use MemoryStore() to read it"
        )


class LedgerEntries(Sequence[LedgerEntry]):
    """The ledger's postings in commit order, read as `LedgerEntry` (seq = position + 1).

    Kept as (transfer, posting) pairs and turned into entries when read: the simulator
    commits millions of postings and reads back only a few."""

    def __init__(self) -> None:
        self._postings: list[tuple[Transfer, Posting]] = []

    def _entry(self, index: int) -> LedgerEntry:
        transfer, posting = self._postings[index]
        return LedgerEntry(
            index + 1,
            transfer.id,
            transfer.kind,
            posting.account,
            posting.amount,
            transfer.at,
            transfer.reference,
            transfer.memo,
        )

    def __len__(self) -> int:
        return len(self._postings)

    @overload
    def __getitem__(self, index: int) -> LedgerEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[LedgerEntry]: ...

    def __getitem__(self, index: int | slice) -> LedgerEntry | list[LedgerEntry]:
        if isinstance(index, slice):
            return [self._entry(i) for i in range(len(self._postings))[index]]
        return self._entry(range(len(self._postings))[index])  # negative, out of range

    def __iter__(self) -> Iterator[LedgerEntry]:
        return (self._entry(i) for i in range(len(self._postings)))

    def postings(self) -> Iterator[Posting]:
        """The postings in order, without building entries (for whole-ledger checks)."""
        return (posting for _, posting in self._postings)

    def append(self, transfer: Transfer, posting: Posting) -> int:
        """Add one posting; its entry's seq."""
        self._postings.append((transfer, posting))
        return len(self._postings)


_DIGITS = "0123456789"
_NUMBER_BITS = 40  # a subject's trailing number below 2**40 goes in a mark's int
_CODES_MAX = 1 << 23  # codes below this keep a mark inside a signed 64-bit int
_SPLITS_KEPT = 4096  # subjects split by `has` kept for the next `update` (a batch's worth)


class SubjectMarks:
    """The (member, rule, subject) marks of subjects already rewarded or counted, which
    "once per subject" reads for ever: compact, since a run makes millions of them.

    Per member, a sorted array of 64-bit ints: a subject ending in a number (`n123`,
    `act_00000042`, `like:7`, what the simulator and the services make) is its number
    plus a small code of (rule, the text before the number), an exact encoding (the
    code's text followed by the number's digits gives the subject back). Any other
    subject stays a (member, rule, subject) triple in a set. About 9 bytes a mark, against
    some 170 for a tuple of three strings in one set."""

    __slots__ = ("_by_member", "_codes", "_count", "_others", "_split_seen")

    def __init__(self) -> None:
        self._by_member: dict[str, array[int]] = {}
        self._codes: dict[tuple[str, str], int] = {}  # (rule, text before the number)
        self._others: set[tuple[str, str, str]] = set()
        self._count = 0
        # subjects `has` split since the last `update`: a subject is checked while its
        # activity is recorded and marked when the batch commits, split once for both
        self._split_seen: dict[str, tuple[str, int] | None] = {}

    def _split(self, subject_id: str) -> tuple[str, int] | None:
        """(the text before the number, the number), or None if the subject has none
        that fits a mark."""
        head = subject_id.rstrip(_DIGITS)
        tail = subject_id[len(head) :]
        if len(tail) > 1 and tail[0] == "0":  # leading zeros belong to the text
            number = tail.lstrip("0") or "0"
            head, tail = subject_id[: len(subject_id) - len(number)], number
        if not tail or len(tail) > 12:
            return None
        value = int(tail)
        if value >> _NUMBER_BITS:
            return None
        return head, value

    def _key(self, rule_id: str, subject_id: str, create: bool) -> int | None:
        """The mark's int, or None: not encodable, or (`create` false) a code not made."""
        seen = self._split_seen
        if subject_id in seen:
            split = seen[subject_id]
        else:
            split = self._split(subject_id)
            if not create:
                if len(seen) >= _SPLITS_KEPT:
                    seen.clear()
                seen[subject_id] = split
        if split is None:
            return None
        head, value = split
        code = self._codes.get((rule_id, head))
        if code is None:
            if not create or len(self._codes) >= _CODES_MAX:
                return None
            code = self._codes[(rule_id, head)] = len(self._codes)
        return (code << _NUMBER_BITS) | value

    def has(self, member_id: str, rule_id: str, subject_id: str) -> bool:
        key = self._key(rule_id, subject_id, create=False)
        if key is None:
            return (member_id, rule_id, subject_id) in self._others
        mine = self._by_member.get(member_id)
        if mine is None:
            return False
        at = bisect_left(mine, key)
        return at < len(mine) and mine[at] == key

    def add(self, member_id: str, rule_id: str, subject_id: str) -> None:
        key = self._key(rule_id, subject_id, create=True)
        if key is None:
            mark = (member_id, rule_id, subject_id)
            if mark not in self._others:
                self._others.add(mark)
                self._count += 1
            return
        mine = self._by_member.get(member_id)
        if mine is None:
            self._by_member[member_id] = array("q", (key,))
            self._count += 1
            return
        if not mine or mine[-1] < key:
            mine.append(key)  # the usual case: numbers grow as a run goes on
        else:
            at = bisect_left(mine, key)
            if at < len(mine) and mine[at] == key:
                return
            mine.insert(at, key)
        self._count += 1

    def update(self, marks: Iterable[tuple[str, str, str]]) -> None:
        for member_id, rule_id, subject_id in marks:
            self.add(member_id, rule_id, subject_id)
        self._split_seen.clear()

    def __contains__(self, mark: object) -> bool:
        if not isinstance(mark, tuple) or len(mark) != 3:
            return False
        member_id, rule_id, subject_id = mark
        return self.has(member_id, rule_id, subject_id)

    def __len__(self) -> int:
        return self._count


class NoteBook:
    """One member's committed notes, with the orders the reads need kept sorted."""

    __slots__ = ("counted_days", "notes", "order")

    def __init__(self) -> None:
        self.notes: dict[str, Note] = {}
        self.order: list[tuple[datetime, str]] = []  # (published at, note id), ascending
        self.counted_days: list[int] = []  # ascending

    def put(self, note: Note) -> None:
        old = self.notes.get(note.note_id)
        if old is None:
            key = (note.published_at, note.note_id)
            if not self.order or self.order[-1] < key:
                self.order.append(key)  # the usual case: notes arrive in order
            else:
                insort(self.order, key)
        else:
            assert (old.published_day, old.published_at) == (
                note.published_day, note.published_at), f"note {note} was republished"  # fmt: skip
            assert note.counted_day in (None, old.counted_day) or old.counted_day is None, (
                f"note {note} was recounted"
            )
            if old.counted_day is not None and note.counted_day is None:  # a reversal
                del self.counted_days[bisect_left(self.counted_days, old.counted_day)]
        if note.counted_day is not None and (old is None or old.counted_day is None):
            insort(self.counted_days, note.counted_day)
        self.notes[note.note_id] = note


@dataclass
class MemoryState:
    """Everything committed. Shared by every unit of work made from one store."""

    members: dict[str, Member] = field(default_factory=dict)
    handles: dict[str, str] = field(default_factory=dict)  # handle key -> member id
    balances: dict[Account, int] = field(default_factory=dict)
    transfers: list[Transfer] = field(default_factory=list)
    holds: dict[Source, Transfer] = field(default_factory=dict)  # open: not settled or voided
    entries: LedgerEntries = field(default_factory=LedgerEntries)
    entries_by_member: dict[str, list[int]] = field(default_factory=dict)  # member -> seqs
    activities: dict[str, ActivityRecord] = field(default_factory=dict)
    subjects: SubjectMarks = field(default_factory=SubjectMarks)
    notes: dict[str, NoteBook] = field(default_factory=dict)  # member -> notes
    stock: dict[str, int | None] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)
    claimed_codes: dict[str, str] = field(default_factory=dict)
    redemptions: dict[str, Redemption] = field(default_factory=dict)
    honors: dict[str, HonorAward] = field(default_factory=dict)
    # (quest, instance) -> member -> progress: a closed period goes in one step
    quests: dict[tuple[str, int], dict[str, QuestProgress]] = field(default_factory=dict)
    quest_places: dict[tuple[str, int], int] = field(default_factory=dict)
    tasks: dict[str, TaskAssignment] = field(default_factory=dict)
    contest_scores: dict[tuple[str, int, str], ContestScore] = field(default_factory=dict)
    contest_settled: dict[tuple[str, int], datetime] = field(default_factory=dict)
    contest_results: dict[tuple[str, int], list[Standing]] = field(default_factory=dict)
    season_points: dict[tuple[str, str], int] = field(default_factory=dict)
    season_snapshots: dict[str, SeasonSnapshot] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    reversals: dict[str, Reversal] = field(default_factory=dict)  # activity id -> reversal
    friend_quests: dict[str, FriendQuestInstance] = field(default_factory=dict)
    friend_codes: dict[str, str] = field(default_factory=dict)  # share code -> instance id
    participations: list[Participation] = field(default_factory=list)
    undone: set[str] = field(default_factory=set)  # transfers a reversal or a void undid
    role_holdings: dict[str, RoleHolding] = field(default_factory=dict)
    mentorships: dict[str, Mentorship] = field(default_factory=dict)
    memberships: dict[str, Membership] = field(default_factory=dict)  # member -> paid tier
    referral_codes: dict[str, str] = field(default_factory=dict)  # code -> member
    identities: dict[str, frozenset[str]] = field(default_factory=dict)  # member -> identities
    referrals: dict[str, Referral] = field(default_factory=dict)  # invitee -> referral
    invitees: dict[str, list[str]] = field(default_factory=dict)  # referrer -> invitees
    commissions: dict[str, PurchaseCommission] = field(default_factory=dict)  # activity -> it
    commission_orders: set[tuple[str, str]] = field(default_factory=set)  # (buyer, order)
    campaigns: dict[str, CampaignRecord] = field(default_factory=dict)
    applications: dict[tuple[str, str], Application] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Without history (see the module's docstring): postings folded per account, and what
    # the ledger check needs of the transfers no longer kept.
    keep_history: bool = True
    folded: dict[Account, int] = field(default_factory=dict)  # account -> sum of postings
    folded_transfers: int = 0
    folded_kinds: set[TransferKind] = field(default_factory=set)
    unbalanced: list[str] = field(default_factory=list)  # ids of transfers not summing to 0
    forgotten_quests: set[tuple[str, int]] = field(default_factory=set)  # (quest, instance)
    # Indexes kept on commit, so that a read about one member costs what that member has,
    # not what the whole store has (the simulator makes these reads every day):
    pending_by_member: dict[str, dict[Source, Transfer]] = field(default_factory=dict)
    redemptions_by_member: dict[str, list[str]] = field(default_factory=dict)  # -> ids
    honors_by_member: dict[str, list[str]] = field(default_factory=dict)  # -> award ids
    honor_holders: dict[str, dict[str, int]] = field(default_factory=dict)  # -> member -> active
    friend_quests_by_member: dict[str, set[str]] = field(default_factory=dict)  # -> ids
    helps: dict[tuple[str, int], int] = field(default_factory=dict)  # (member, day) -> helps

    def entry_totals(self) -> dict[Account, int]:
        """The sum of every account's entries (folded ones included)."""
        totals = dict(self.folded)
        for posting in self.entries.postings():
            account = posting.account
            totals[account] = totals.get(account, 0) + posting.amount
        return totals

    def transfer_kinds(self) -> set[TransferKind]:
        """The kinds of every transfer committed (folded ones included)."""
        return self.folded_kinds | {t.kind for t in self.transfers}

    def transfer_count(self) -> int:
        return self.folded_transfers + len(self.transfers)


class _Staged:
    """The writes of one unit of work, applied to the state on commit."""

    def __init__(self, state: MemoryState) -> None:
        self.state = state
        self.members: dict[str, Member] = {}
        self.balances: dict[Account, int] = {}
        self.transfers: list[Transfer] = []
        self.holds: dict[Source, Transfer | None] = {}  # None: closed in this unit of work
        self.activities: dict[str, ActivityRecord] = {}
        self.subjects: set[tuple[str, str, str]] = set()
        self.notes: dict[str, dict[str, Note]] = {}  # member -> note id -> note
        self.stock: dict[str, int | None] = {}
        self.codes_added: dict[str, list[str]] = {}
        self.claims: dict[str, tuple[str, str]] = {}  # redemption -> (reward, code)
        self.redemptions: dict[str, Redemption] = {}
        self.honors: dict[str, HonorAward] = {}
        self.quests: dict[tuple[str, str, int], QuestProgress] = {}
        self.quest_places: dict[tuple[str, int], int] = {}
        self.tasks: dict[str, TaskAssignment] = {}
        self.contest_scores: dict[tuple[str, int, str], ContestScore] = {}
        self.contest_settled: dict[tuple[str, int], datetime] = {}
        self.contest_results: dict[tuple[str, int], list[Standing]] = {}
        self.season_points: dict[tuple[str, str], int] = {}
        self.season_snapshots: dict[str, SeasonSnapshot] = {}
        self.idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self.audit: list[AuditEntry] = []
        self.reversals: dict[str, Reversal] = {}
        self.role_holdings: dict[str, RoleHolding] = {}
        self.mentorships: dict[str, Mentorship] = {}
        self.friend_quests: dict[str, FriendQuestInstance] = {}
        self.participations: list[Participation] = []
        self.memberships: dict[str, Membership] = {}
        self.referral_codes: dict[str, str] = {}
        self.identities: dict[str, frozenset[str]] = {}
        self.referrals: dict[str, Referral] = {}
        self.commissions: dict[str, PurchaseCommission] = {}
        self.campaigns: dict[str, CampaignRecord] = {}
        self.applications: dict[tuple[str, str], Application] = {}

    def untouched(self) -> bool:
        """Nothing staged yet: such a stage can serve the next transaction as it is
        (`MemoryUnitOfWork` reuses it instead of making a new one). Every container
        above is named here; tests/unit/test_memory_uow_reuse.py fails if one is not."""
        return not (
            self.members
            or self.balances
            or self.transfers
            or self.holds
            or self.activities
            or self.subjects
            or self.notes
            or self.stock
            or self.codes_added
            or self.claims
            or self.redemptions
            or self.honors
            or self.quests
            or self.quest_places
            or self.tasks
            or self.contest_scores
            or self.contest_settled
            or self.contest_results
            or self.season_points
            or self.season_snapshots
            or self.idempotency
            or self.audit
            or self.reversals
            or self.role_holdings
            or self.mentorships
            or self.friend_quests
            or self.participations
            or self.memberships
            or self.referral_codes
            or self.identities
            or self.referrals
            or self.commissions
            or self.campaigns
            or self.applications
        )

    def balance(self, account: Account) -> int:
        found = self.balances.get(account)  # one hash of the account, not two
        if found is not None:
            return found
        return self.state.balances.get(account, 0)

    def stock_of(self, reward_id: str) -> int | None:
        if reward_id in self.stock:
            return self.stock[reward_id]
        return self.state.stock.get(reward_id)

    def _apply_state(self) -> None:
        s = self.state
        members, handles = s.members, s.handles
        for member in self.members.values():
            if member.id not in members:  # a handle never changes once registered
                handles[handle_key(member.handle)] = member.id
            members[member.id] = member
        s.balances.update(self.balances)
        if s.keep_history:
            self._append_history()
        else:
            self._fold()
        if self.holds:
            holds, by_member = s.holds, s.pending_by_member
            for source, hold in self.holds.items():
                old = holds.pop(source, None)
                if old is not None and is_pending_earning(old):
                    for member_id in old.member_ids:
                        mine = by_member[member_id]
                        del mine[source]
                        if not mine:
                            del by_member[member_id]
                if hold is not None:
                    holds[source] = hold
                    if is_pending_earning(hold):
                        for member_id in hold.member_ids:
                            by_member.setdefault(member_id, {})[source] = hold

    def _append_history(self) -> None:
        s = self.state
        entries, by_member = s.entries, s.entries_by_member
        s.transfers.extend(self.transfers)
        for transfer in self.transfers:
            for posting in transfer.postings:
                seq = entries.append(transfer, posting)
                account = posting.account
                if account.owner_kind is MEMBER:
                    mine = by_member.get(account.owner_id)
                    if mine is None:
                        by_member[account.owner_id] = [seq]
                    else:
                        mine.append(seq)
        s.activities.update(self.activities)
        s.idempotency.update(self.idempotency)

    def _fold(self) -> None:
        """The ledger's postings go into per-account totals, not kept one by one; of the
        activity records, only those an open pending earning names stay (its
        confirmation reads them); idempotency records go."""
        s = self.state
        folded = s.folded
        for transfer in self.transfers:
            total = 0
            for posting in transfer.postings:
                account, amount = posting.account, posting.amount
                folded[account] = folded.get(account, 0) + amount
                total += amount
            if total != 0:
                s.unbalanced.append(transfer.id)
            s.folded_kinds.add(transfer.kind)
        s.folded_transfers += len(self.transfers)
        if self.holds and self.activities:
            for source, hold in self.holds.items():
                if hold is not None and source.kind is SourceKind.RULE:
                    record = self.activities.get(source.id)
                    if record is not None:
                        s.activities[record.id] = record

    def _apply_redemptions(self) -> None:
        s = self.state
        redemptions, by_member = s.redemptions, s.redemptions_by_member
        for redemption_id, redemption in self.redemptions.items():
            if redemption_id not in redemptions:
                by_member.setdefault(redemption.member_id, []).append(redemption_id)
            redemptions[redemption_id] = redemption

    def _apply_honors(self) -> None:
        s = self.state
        honors, by_member, holders = s.honors, s.honors_by_member, s.honor_holders
        for award_id, award in self.honors.items():
            old = honors.get(award_id)
            if old is None:
                by_member.setdefault(award.member_id, []).append(award_id)
            elif old.active:
                counts = holders[old.honor_id]
                counts[old.member_id] -= 1
                if not counts[old.member_id]:
                    del counts[old.member_id]
            if award.active:
                counts = holders.setdefault(award.honor_id, {})
                counts[award.member_id] = counts.get(award.member_id, 0) + 1
            honors[award_id] = award

    def apply(self) -> None:
        s = self.state
        self._apply_state()
        if self.subjects:
            s.subjects.update(self.subjects)
        for member_id, notes in self.notes.items():
            book = s.notes.get(member_id)
            if book is None:
                book = s.notes[member_id] = NoteBook()
            for note in notes.values():
                book.put(note)
        s.stock.update(self.stock)
        for reward_id, codes in self.codes_added.items():
            s.codes.setdefault(reward_id, []).extend(codes)
        for redemption_id, (reward_id, code) in self.claims.items():
            s.codes[reward_id].remove(code)
            s.claimed_codes[redemption_id] = code
        if self.redemptions:
            self._apply_redemptions()
        if self.honors:
            self._apply_honors()
        if self.quests:
            periods = s.quests
            for (member_id, quest_id, instance), progress in self.quests.items():
                period = periods.get((quest_id, instance))
                if period is None:
                    period = periods[(quest_id, instance)] = {}
                period[member_id] = progress
            s.quest_places.update(self.quest_places)
        s.tasks.update(self.tasks)
        if self.contest_scores or self.contest_settled:
            s.contest_scores.update(self.contest_scores)
            s.contest_settled.update(self.contest_settled)
            s.contest_results.update(self.contest_results)
        if self.season_points or self.season_snapshots:
            s.season_points.update(self.season_points)
            s.season_snapshots.update(self.season_snapshots)
        s.audit.extend(self.audit)
        if self.reversals:
            s.reversals.update(self.reversals)
        s.role_holdings.update(self.role_holdings)
        s.mentorships.update(self.mentorships)
        if self.friend_quests or self.participations:
            s.friend_quests.update(self.friend_quests)
            s.friend_codes.update({i.code: i.id for i in self.friend_quests.values()})
            s.participations.extend(self.participations)
            by_member, helps = s.friend_quests_by_member, s.helps
            for friend_quest in self.friend_quests.values():
                for member_id in (friend_quest.starter_id, *friend_quest.members):
                    by_member.setdefault(member_id, set()).add(friend_quest.id)
            for p in self.participations:
                if p.kind is FriendQuestKind.HELP:
                    helps[(p.member_id, p.day)] = helps.get((p.member_id, p.day), 0) + 1
        for transfer in self.transfers:
            if transfer.kind is TransferKind.REVERSE:
                s.undone.add(transfer.reference)
            elif transfer.kind is TransferKind.VOID and transfer.pending_id is not None:
                s.undone.add(transfer.pending_id)
        if self.memberships:
            s.memberships.update(self.memberships)
        if self.referral_codes or self.identities or self.referrals or self.commissions:
            s.referral_codes.update(self.referral_codes)
            s.identities.update(self.identities)
            for invitee, referral in self.referrals.items():
                if invitee not in s.referrals:
                    s.invitees.setdefault(referral.referrer_id, []).append(invitee)
            s.referrals.update(self.referrals)
            s.commissions.update(self.commissions)
            s.commission_orders.update((c.buyer_id, c.order_id) for c in self.commissions.values())
        if self.campaigns or self.applications:
            s.campaigns.update(self.campaigns)
            s.applications.update(self.applications)


class MemoryStore:
    """Factory of units of work over one shared in-memory state; `keep_history=False`
    keeps no history (the simulator's store, see the module's docstring)."""

    def __init__(self, *, keep_history: bool = True) -> None:
        self.state = MemoryState(keep_history=keep_history)

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.state)

    def forget_quest_periods(self, closed: Callable[[str, int], bool]) -> int:
        """Drop the quest progress of every period (quest id, instance) that `closed`
        says is over, so closed periods stop holding memory: no rule reads them again (an
        activity advances only the period open when it arrives, a claim only the current
        one), and a later read of one (a reversal's step back, a member's quest history)
        raises `HistoryNotKept`. Only for a store without history; the caller (the
        simulator, which knows the clock) decides what is closed. Returns the records
        dropped."""
        s = self.state
        if s.keep_history:
            raise ValueError("a store keeping its history keeps every quest period")
        gone = [period for period in s.quests if closed(*period)]
        dropped = 0
        for period in gone:
            dropped += len(s.quests.pop(period))
            s.forgotten_quests.add(period)
        return dropped


class _Transaction:
    """Holds the current writes of one unit of work; its repositories read them through
    it. (Repositories never point back at the unit of work: no reference cycle, so a
    finished unit of work is freed at once instead of waiting for the garbage collector.)"""

    __slots__ = ("staged",)

    def __init__(self, staged: _Staged) -> None:
        self.staged = staged


class MemoryUnitOfWork:
    def __init__(self, state: MemoryState) -> None:
        self.state = state
        self._tx = _Transaction(_Staged(state))
        self.events: list[Event] = []
        self.members = _Members(self)
        self.ledger = _Ledger(self)
        self.activities = _Activities(self)
        self.notes = _Notes(self)
        self.stock = _Stock(self)
        self.redemptions = _Redemptions(self)
        self.honors = _Honors(self)
        self.quests = _Quests(self)
        self.tasks = _Tasks(self)
        self.contests = _Contests(self)
        self.seasons = _Seasons(self)
        self.idempotency = _Idempotency(self)
        self.audit = _Audit(self)
        self.reversals = _Reversals(self)
        self.roles = _Roles(self)
        self.campaigns = _Campaigns(self)
        self.friend_quests = _FriendQuests(self)
        self.memberships = _Memberships(self)
        self.referrals = _Referrals(self)

    @property
    def staged(self) -> _Staged:
        return self._tx.staged

    def next_id(self, prefix: str) -> str:
        # `zfill` spells `:08d` for the counter's positive ints at about half the cost
        # of a format spec (two ids per activity recorded)
        return prefix + "_" + str(next(self.state.ids)).zfill(8)

    def __enter__(self) -> Self:
        self._fresh_stage()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        self._tx.staged.apply()
        self._tx.staged = _Staged(self.state)

    def rollback(self) -> None:
        self._fresh_stage()

    def _fresh_stage(self) -> None:
        """An empty stage for what comes next. The one in place serves if nothing was
        staged in it (the usual `with uow: ...; uow.commit()` makes one stage on entry
        and one on commit, then leaves with it empty): a new `_Staged` is some thirty
        containers made and freed, four times per unit of work before."""
        if not self._tx.staged.untouched():
            self._tx.staged = _Staged(self.state)


class _Repo:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self.tx = uow._tx
        self.state: MemoryState = uow.state  # one store's state for the uow's whole life

    @property
    def staged(self) -> _Staged:
        """The current transaction's writes (renewed on enter and commit). The methods
        below read `self.tx.staged` themselves: a property call on each of the thirty
        or so reads and writes of an activity was about 1% of a run."""
        return self.tx.staged


_MEMBER_FIELDS = tuple(f.name for f in fields(Member))
_PROGRESS_FIELDS = tuple(f.name for f in fields(Progress))
_KNOWN_PROGRESS = ("counters", "daily_total", "last_award", "streaks", "best_streaks",
                   "kind_counts", "earned_by_day", "earned_by_month", "lifetime_earned",
                   "consumed", "expired", "honor_tiers", "last_active_day", "earlier_counters",
                   "earlier_daily_totals", "spend_by_day")  # fmt: skip
_KNOWN_MEMBER = ("id", "handle", "display_name", "joined_at", "level_id", "qualifying_points",
                 "level_locked", "level_state", "demotion_due", "koc_tier", "progress",
                 "version")  # fmt: skip
_FAST_CLONE = _PROGRESS_FIELDS == _KNOWN_PROGRESS and _MEMBER_FIELDS == _KNOWN_MEMBER


def _through_index(
    staged: dict[str, _R],
    committed: dict[str, _R],
    indexed: Iterable[str],
    is_mine: Callable[[_R], bool],
) -> list[_R]:
    """Records as a unit of work sees them through a per-member index of committed ids:
    those the index names (a staged version first), in its order, then the staged records
    new in this unit of work (the index cannot know them yet) that `is_mine` accepts."""
    found = [staged.get(i) or committed[i] for i in indexed]
    found.extend(r for i, r in staged.items() if i not in committed and is_mine(r))
    return found


def _clone_known(member: Member) -> Member:
    """The fast path for the fields this module knows: every container in `Progress`
    holds immutable values (ints, strings, tuples of ints), so shallow copies isolate."""
    p = member.progress
    progress = Progress(
        dict(p.counters),
        p.daily_total,
        dict(p.last_award),
        dict(p.streaks),
        dict(p.best_streaks),
        dict(p.kind_counts),
        dict(p.earned_by_day),
        dict(p.earned_by_month),
        p.lifetime_earned,
        p.consumed,
        p.expired,
        dict(p.honor_tiers),
        p.last_active_day,
        dict(p.earlier_counters),
        p.earlier_daily_totals,
        dict(p.spend_by_day),
    )
    return Member(
        member.id,
        member.handle,
        member.display_name,
        member.joined_at,
        member.level_id,
        member.qualifying_points,
        member.level_locked,
        member.level_state,
        member.demotion_due,
        member.koc_tier,
        progress,
        member.version,
    )


def clone_member(member: Member) -> Member:
    """An independent copy of a member: what `copy.deepcopy` gives, several times faster.
    If `Member` or `Progress` gain fields this module does not know, it falls back to
    `copy.deepcopy`, so a new field is never shared between units of work."""
    if _FAST_CLONE:
        return _clone_known(member)
    return copy.deepcopy(member)


class _Members(_Repo):
    def add(self, member: Member) -> None:
        self.tx.staged.members[member.id] = member

    def get(self, member_id: str) -> Member | None:
        staged = self.tx.staged.members.get(member_id)
        if staged is not None:
            return staged
        found = self.state.members.get(member_id)
        return clone_member(found) if found is not None else None

    def get_for_update(self, member_id: str) -> Member | None:
        member = self.get(member_id)
        if member is not None:
            self.tx.staged.members[member_id] = member
        return member

    def get_many_for_update(self, member_ids: Sequence[str]) -> list[Member]:
        return [m for m in (self.get_for_update(i) for i in member_ids) if m is not None]

    def get_many(self, member_ids: Sequence[str]) -> list[Member]:
        return [m for m in (self.get(i) for i in member_ids) if m is not None]

    def get_by_handle(self, handle: str) -> Member | None:
        key = handle_key(handle)
        for member in self.tx.staged.members.values():
            if handle_key(member.handle) == key:
                return member
        member_id = self.state.handles.get(key)
        return self.get(member_id) if member_id else None

    def save(self, member: Member) -> None:
        member.version += 1
        self.tx.staged.members[member.id] = member

    def at_levels(self, level_ids: Sequence[str], limit: int) -> list[Member]:
        wanted = set(level_ids)
        found = [m for m in self.state.members.values() if m.level_id in wanted]
        return [clone_member(m) for m in sorted(found, key=lambda m: m.id)[:limit]]

    def ids(self, after_id: str | None, limit: int) -> list[str]:
        known = sorted(self.state.members.keys() | self.tx.staged.members.keys())
        return [i for i in known if after_id is None or i > after_id][:limit]


class _Ledger(_Repo):
    def post(self, transfer: Transfer) -> bool:
        staged = self.tx.staged
        after: dict[Account, int] = {}
        for posting in transfer.postings:
            after[posting.account] = staged.balance(posting.account) + posting.amount
        for account, value in after.items():
            if value < 0 and not account.may_go_negative:
                return False
        if transfer.pending_id is not None:
            pending = self._open(transfer.source)
            if pending is None or pending.id != transfer.pending_id:
                return False  # a hold (or a pending earning) is settled or voided once
            staged.holds[transfer.source] = None
        elif transfer.kind is TransferKind.HOLD or is_pending_earning(transfer):
            assert self._open(transfer.source) is None, f"{transfer.source} holds already"
            staged.holds[transfer.source] = transfer
        staged.balances.update(after)
        staged.transfers.append(transfer)
        return True

    def balance(self, account: Account) -> int:
        return self.tx.staged.balance(account)

    def balances(self, accounts: Sequence[Account]) -> dict[Account, int]:
        return {a: self.tx.staged.balance(a) for a in accounts}

    def _open(self, source: Source) -> Transfer | None:
        """The open hold or pending earning of `source` (neither settled nor voided)."""
        staged = self.tx.staged.holds
        if source in staged:
            return staged[source]
        return self.state.holds.get(source)

    def open_hold(self, source: Source) -> Transfer | None:
        found = self._open(source)
        return found if found is not None and found.kind is TransferKind.HOLD else None

    def transfer(self, transfer_id: str) -> Transfer | None:
        for transfer in (*self.tx.staged.transfers, *reversed(self.state.transfers)):
            if transfer.id == transfer_id:
                return transfer
        if not self.state.keep_history:  # an open hold or pending earning is still kept
            for held in (*self.tx.staged.holds.values(), *self.state.holds.values()):
                if held is not None and held.id == transfer_id:
                    return held
            raise HistoryNotKept(f"transfer {transfer_id}")
        return None

    def reversed_ids(self, transfer_ids: Sequence[str]) -> set[str]:
        return {i for i in transfer_ids if i in self.state.undone}

    def open_pending(self, member_id: str) -> list[Transfer]:
        """The member's open pending earnings: the committed ones from the index, as this
        unit of work left them (closed, or opened)."""
        opened = dict(self.state.pending_by_member.get(member_id, {}))
        for source, t in self.tx.staged.holds.items():
            if t is None or not is_pending_earning(t) or member_id not in t.member_ids:
                opened.pop(source, None)
            else:
                opened[source] = t
        return sorted(opened.values(), key=lambda t: t.id)

    def entries(self, member_id: str, after_seq: int | None, limit: int) -> list[LedgerEntry]:
        if not self.state.keep_history:
            raise HistoryNotKept(f"the ledger entries of {member_id}")
        seqs = self.state.entries_by_member.get(member_id, [])
        newest_first = [s for s in reversed(seqs) if after_seq is None or s < after_seq]
        entries = self.state.entries
        return [entries[seq - 1] for seq in newest_first[:limit]]

    def top_earners(self, since: datetime | None, limit: int) -> list[tuple[str, int]]:
        if not self.state.keep_history:
            raise HistoryNotKept("the earnings of every transfer (leaderboards)")
        totals: dict[str, int] = {}
        undone = self.state.undone
        for transfer in self.state.transfers:
            if (
                transfer.kind is TransferKind.EARN
                and (since is None or transfer.at >= since)
                and transfer.id not in undone
            ):
                for posting in transfer.postings:
                    account = posting.account
                    if account.owner_kind is MEMBER and posting.amount > 0:
                        totals[account.owner_id] = totals.get(account.owner_id, 0) + posting.amount
        return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


class _Activities(_Repo):
    def add(self, record: ActivityRecord) -> None:
        self.tx.staged.activities[record.id] = record

    def get(self, activity_id: str) -> ActivityRecord | None:
        found = self.tx.staged.activities.get(activity_id) or self.state.activities.get(activity_id)
        if found is None and not self.state.keep_history and activity_id.startswith("act_"):
            # one of the activity ids this store issued (`next_id("act")`), dropped on
            # commit; any other id (a purchase a commission names) never was an activity
            raise HistoryNotKept(f"activity {activity_id}")
        return found

    def subject_rewarded(self, member_id: str, rule_id: str, subject_id: str) -> bool:
        if (member_id, rule_id, subject_id) in self.tx.staged.subjects:
            return True
        return self.state.subjects.has(member_id, rule_id, subject_id)

    def mark_subject(self, member_id: str, rule_id: str, subject_id: str) -> None:
        self.tx.staged.subjects.add((member_id, rule_id, subject_id))

    def for_subject(self, member_id: str, kind: str, subject_id: str) -> list[ActivityRecord]:
        """A scan: only reversals of notes read this; the simulator reverses none."""
        if not self.state.keep_history:
            raise HistoryNotKept(f"the activities of {member_id} on {subject_id}")
        found = {
            r.id: r
            for records in (self.state.activities, self.tx.staged.activities)
            for r in records.values()
            if r.member_id == member_id and r.kind == kind and r.subject_id == subject_id
        }
        return sorted(found.values(), key=lambda r: (r.occurred_at, r.id))


class _Notes(_Repo):
    def get(self, member_id: str, note_id: str) -> Note | None:
        staged = self.tx.staged.notes.get(member_id)
        if staged is not None and note_id in staged:
            return staged[note_id]
        book = self.state.notes.get(member_id)
        return book.notes.get(note_id) if book is not None else None

    def add(self, note: Note) -> None:
        assert self.get(note.member_id, note.note_id) is None, f"note {note} added twice"
        self.save(note)

    def save(self, note: Note) -> None:
        staged = self.tx.staged.notes.get(note.member_id)
        if staged is None:
            staged = self.tx.staged.notes[note.member_id] = {}
        staged[note.note_id] = note

    def counted(self, member_id: str, first_day: int | None, last_day: int) -> int:
        def inside(day: int | None) -> bool:
            return day is not None and (first_day is None or day >= first_day) and day <= last_day

        book = self.state.notes.get(member_id)
        found = 0
        if book is not None:
            days = book.counted_days
            start = 0 if first_day is None else bisect_left(days, first_day)
            found = bisect_right(days, last_day) - start
        for note in self.tx.staged.notes.get(member_id, {}).values():
            old = book.notes.get(note.note_id) if book is not None else None
            was = old.counted_day if old is not None else None
            if was != note.counted_day:
                found += inside(note.counted_day) - inside(was)
        return found

    def latest_measured(self, member_id: str, limit: int) -> list[Note]:
        book = self.state.notes.get(member_id)
        staged = self.tx.staged.notes.get(member_id, {})
        committed = book.notes if book is not None else {}
        order: Iterator[tuple[datetime, str]] = reversed(book.order) if book else iter(())
        if staged:
            fresh = sorted(((n.published_at, n.note_id) for n in staged.values()
                            if n.note_id not in committed), reverse=True)  # fmt: skip
            order = heapq.merge(order, fresh, reverse=True)
        found: list[Note] = []
        for _, note_id in order:
            if len(found) >= limit:
                break
            note = staged.get(note_id) or committed[note_id]
            if note.interactions is not None:
                found.append(note)
        return found

    def for_member(self, member_id: str) -> list[Note]:
        book = self.state.notes.get(member_id)
        notes = dict(book.notes) if book is not None else {}
        notes.update(self.tx.staged.notes.get(member_id, {}))
        return sorted(notes.values(), key=lambda n: (n.published_at, n.note_id))


class _Stock(_Repo):
    def ensure(self, reward_id: str, stock: int | None) -> None:
        if reward_id not in self.state.stock and reward_id not in self.tx.staged.stock:
            self.tx.staged.stock[reward_id] = stock

    def remaining(self, reward_id: str) -> int | None:
        return self.tx.staged.stock_of(reward_id)

    def take(self, reward_id: str, quantity: int) -> bool:
        left = self.tx.staged.stock_of(reward_id)
        if left is None:
            return reward_id in self.state.stock or reward_id in self.tx.staged.stock
        if left < quantity:
            return False
        self.tx.staged.stock[reward_id] = left - quantity
        return True

    def put_back(self, reward_id: str, quantity: int) -> None:
        left = self.tx.staged.stock_of(reward_id)
        if left is not None:
            self.tx.staged.stock[reward_id] = left + quantity

    def restock(self, reward_id: str, quantity: int) -> None:
        self.put_back(reward_id, quantity)

    def _available_codes(self, reward_id: str) -> list[str]:
        claimed = {code for r, code in self.tx.staged.claims.values() if r == reward_id}
        pool = self.state.codes.get(reward_id, []) + self.tx.staged.codes_added.get(reward_id, [])
        return [c for c in pool if c not in claimed]

    def add_codes(self, reward_id: str, codes: Sequence[str]) -> int:
        known = set(self.state.codes.get(reward_id, [])) | set(self.state.claimed_codes.values())
        fresh = [c for c in codes if c not in known]
        self.tx.staged.codes_added.setdefault(reward_id, []).extend(fresh)
        return len(fresh)

    def claim_code(self, reward_id: str, redemption_id: str) -> str | None:
        available = self._available_codes(reward_id)
        if not available:
            return None
        self.tx.staged.claims[redemption_id] = (reward_id, available[0])
        return available[0]

    def codes_left(self, reward_id: str) -> int:
        return len(self._available_codes(reward_id))


class _Redemptions(_Repo):
    def add(self, redemption: Redemption) -> None:
        self.tx.staged.redemptions[redemption.id] = redemption

    def get(self, redemption_id: str) -> Redemption | None:
        return self.tx.staged.redemptions.get(redemption_id) or self.state.redemptions.get(
            redemption_id
        )

    def save(self, redemption: Redemption) -> None:
        self.tx.staged.redemptions[redemption.id] = redemption

    def _mine(self, member_id: str) -> list[Redemption]:
        """The member's redemptions as this unit of work sees them (through the index)."""
        return _through_index(
            self.tx.staged.redemptions,
            self.state.redemptions,
            self.state.redemptions_by_member.get(member_id, ()),
            lambda r: r.member_id == member_id,
        )

    def active_quantity(self, member_id: str, reward_id: str) -> int:
        return sum(
            r.quantity
            for r in self._mine(member_id)
            if r.reward_id == reward_id and r.status is not RedemptionStatus.CANCELLED
        )

    def list_for_member(self, member_id: str, after_id: str | None, limit: int) -> list[Redemption]:
        mine = sorted(self._mine(member_id), key=lambda r: r.id, reverse=True)
        return [r for r in mine if after_id is None or r.id < after_id][:limit]


class _Honors(_Repo):
    def _all(self) -> dict[str, HonorAward]:
        return {**self.state.honors, **self.tx.staged.honors}

    def add(self, award: HonorAward) -> None:
        self.tx.staged.honors[award.id] = award

    def save(self, award: HonorAward) -> None:
        self.tx.staged.honors[award.id] = award

    def _mine(self, member_id: str) -> list[HonorAward]:
        """The member's awards in commit order, then the new ones of this unit of work
        (the order of the store's merged view), through the index."""
        return _through_index(
            self.tx.staged.honors,
            self.state.honors,
            self.state.honors_by_member.get(member_id, ()),
            lambda a: a.member_id == member_id,
        )

    def active(self, member_id: str, honor_id: str) -> HonorAward | None:
        return next((a for a in self._mine(member_id) if a.honor_id == honor_id and a.active), None)

    def list_for_member(self, member_id: str) -> list[HonorAward]:
        return sorted(self._mine(member_id), key=lambda a: a.id)

    def holders(self, honor_id: str) -> int:
        """Members holding the honor: the committed count, moved by this unit of work's
        awards of it (granted, revoked)."""
        counts = self.state.honor_holders.get(honor_id, {})
        change: dict[str, int] = {}
        for award_id, award in self.tx.staged.honors.items():
            if award.honor_id != honor_id:
                continue
            old = self.state.honors.get(award_id)
            moved = award.active - (old is not None and old.active)
            change[award.member_id] = change.get(award.member_id, 0) + moved
        held = len(counts)
        for member_id, moved in change.items():
            before = counts.get(member_id, 0)
            held += (before + moved > 0) - (before > 0)
        return held

    def take_seat(self, honor_id: str, seats: int | None) -> bool:
        # One unit of work at a time runs on this store, so counting the holders is the
        # conditional update; the SQL store keeps a counted row instead.
        return seats is None or self.holders(honor_id) < seats

    def release_seat(self, honor_id: str) -> None:
        return None

    def active_for_honors(self, honor_ids: Sequence[str], limit: int) -> list[HonorAward]:
        wanted = set(honor_ids)
        found = [a for a in self._all().values() if a.honor_id in wanted and a.active]
        return sorted(found, key=lambda a: (a.granted_at, a.id))[:limit]


class _Quests(_Repo):
    def get(self, member_id: str, quest_id: str, instance: int) -> QuestProgress | None:
        key = (member_id, quest_id, instance)
        staged = self.tx.staged.quests.get(key)
        if staged is not None:
            return staged
        period = self.state.quests.get((quest_id, instance))
        if period is None:
            if (quest_id, instance) in self.state.forgotten_quests:
                raise HistoryNotKept(f"quest progress of {quest_id}@{instance}, a closed period")
            return None
        found = period.get(member_id)
        return replace(found) if found is not None else None  # a copy: rollback drops edits

    def add(self, progress: QuestProgress) -> None:
        key = (progress.member_id, progress.quest_id, progress.instance)
        assert self.get(*key) is None, f"quest progress {key} exists already"
        self.tx.staged.quests[key] = progress

    def save(self, progress: QuestProgress) -> None:
        self.tx.staged.quests[(progress.member_id, progress.quest_id, progress.instance)] = progress

    def list_for_member(
        self, member_id: str, after: tuple[str, int] | None, limit: int
    ) -> list[QuestProgress]:
        if self.state.forgotten_quests:
            raise HistoryNotKept(f"the quest history of {member_id}")
        mine = {
            (member_id, quest_id, instance): period[member_id]
            for (quest_id, instance), period in self.state.quests.items()
            if member_id in period
        }
        mine.update({k: v for k, v in self.tx.staged.quests.items() if k[0] == member_id})
        keys = sorted(mine, key=lambda k: (k[1], -k[2]))
        if after is not None:
            keys = [k for k in keys if (k[1], -k[2]) > (after[0], -after[1])]
        return [replace(mine[k]) for k in keys[:limit]]

    def take_place(self, quest_id: str, instance: int, capacity: int) -> bool:
        taken = self.completions(quest_id, instance)
        if taken >= capacity:
            return False
        self.tx.staged.quest_places[(quest_id, instance)] = taken + 1
        return True

    def completions(self, quest_id: str, instance: int) -> int:
        key = (quest_id, instance)
        staged = self.tx.staged.quest_places.get(key)
        return staged if staged is not None else self.state.quest_places.get(key, 0)


_DUE = (TaskState.OFFERED, TaskState.ACCEPTED, TaskState.REJECTED)


class _Tasks(_Repo):
    def _read(self, assignment_id: str) -> TaskAssignment | None:
        return self.tx.staged.tasks.get(assignment_id) or self.state.tasks.get(assignment_id)

    def add(self, assignment: TaskAssignment) -> None:
        assert self._read(assignment.id) is None, f"task assignment {assignment.id} exists"
        self.tx.staged.tasks[assignment.id] = replace(assignment)

    def get(self, assignment_id: str) -> TaskAssignment | None:
        found = self._read(assignment_id)
        return replace(found) if found is not None else None  # a copy: rollback drops edits

    def save(self, assignment: TaskAssignment) -> bool:
        stored = self._read(assignment.id)
        if stored is None or stored.version != assignment.version:
            return False
        self.tx.staged.tasks[assignment.id] = replace(assignment, version=assignment.version + 1)
        return True

    def _all(self) -> dict[str, TaskAssignment]:
        return {**self.state.tasks, **self.tx.staged.tasks}

    def page(
        self, state: TaskState | None, member_id: str | None, after_id: str | None, limit: int
    ) -> list[TaskAssignment]:
        found = [
            a
            for a in self._all().values()
            if (state is None or a.state is state)
            and (member_id is None or a.member_id == member_id)
            and (after_id is None or a.id > after_id)
        ]
        return [replace(a) for a in sorted(found, key=lambda a: a.id)[:limit]]

    def due(self, at: datetime, after_id: str | None, limit: int) -> list[TaskAssignment]:
        found = [
            a
            for a in self._all().values()
            if a.state in _DUE and a.due_at <= at and (after_id is None or a.id > after_id)
        ]
        return [replace(a) for a in sorted(found, key=lambda a: a.id)[:limit]]


class _Contests(_Repo):
    def score(self, contest_id: str, instance: int, member_id: str) -> ContestScore | None:
        key = (contest_id, instance, member_id)
        found = self.tx.staged.contest_scores.get(key) or self.state.contest_scores.get(key)
        return replace(found, notes=dict(found.notes)) if found is not None else None

    def save_score(self, score: ContestScore) -> None:
        key = (score.contest_id, score.instance, score.member_id)
        self.tx.staged.contest_scores[key] = replace(score, notes=dict(score.notes))

    def _scores(self, contest_id: str, instance: int) -> list[ContestScore]:
        every = {**self.state.contest_scores, **self.tx.staged.contest_scores}
        return [v for k, v in every.items() if k[0] == contest_id and k[1] == instance]

    def top(self, contest_id: str, instance: int, limit: int) -> list[ContestScore]:
        ranked = sorted((s for s in self._scores(contest_id, instance) if s.value > 0),
                        key=rank_key)  # fmt: skip
        return [replace(s, notes=dict(s.notes)) for s in ranked[:limit]]

    def pending(self, contest_id: str) -> list[int]:
        every = {**self.state.contest_scores, **self.tx.staged.contest_scores}
        found = {k[1] for k in every if k[0] == contest_id}
        return sorted(i for i in found if self.settled_at(contest_id, i) is None)

    def settle(self, contest_id: str, instance: int, at: datetime) -> bool:
        if self.settled_at(contest_id, instance) is not None:
            return False
        self.tx.staged.contest_settled[(contest_id, instance)] = at
        return True

    def settled_at(self, contest_id: str, instance: int) -> datetime | None:
        key = (contest_id, instance)
        return self.tx.staged.contest_settled.get(key) or self.state.contest_settled.get(key)

    def add_results(self, contest_id: str, instance: int, standings: Sequence[Standing]) -> None:
        self.tx.staged.contest_results[(contest_id, instance)] = list(standings)

    def results(self, contest_id: str, instance: int, limit: int) -> list[Standing]:
        key = (contest_id, instance)
        found = self.tx.staged.contest_results.get(key) or self.state.contest_results.get(key, [])
        return found[:limit]


class _Seasons(_Repo):
    def add_points(self, season_id: str, member_id: str, points: int) -> None:
        key = (season_id, member_id)
        staged = self.tx.staged.season_points.get(key)
        now = staged if staged is not None else self.state.season_points.get(key, 0)
        self.tx.staged.season_points[key] = now + points

    def top(self, season_id: str, limit: int) -> list[tuple[str, int]]:
        every = {**self.state.season_points, **self.tx.staged.season_points}
        found = [(k[1], v) for k, v in every.items() if k[0] == season_id and v > 0]
        return sorted(found, key=lambda row: (-row[1], row[0]))[:limit]

    def add_snapshot(self, snapshot: SeasonSnapshot) -> bool:
        if self.snapshot(snapshot.season_id) is not None:
            return False
        self.tx.staged.season_snapshots[snapshot.season_id] = snapshot
        return True

    def snapshot(self, season_id: str) -> SeasonSnapshot | None:
        found = self.tx.staged.season_snapshots.get(season_id)
        return found if found is not None else self.state.season_snapshots.get(season_id)


class _Idempotency(_Repo):
    # Three reads per activity recorded (the batch's prefetch, the replay check, the
    # uniqueness assertion), so each builds its (scope, key) pair once.
    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        pair = (scope, key)
        return self.tx.staged.idempotency.get(pair) or self.state.idempotency.get(pair)

    def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], IdempotencyRecord]:
        staged, committed = self.tx.staged.idempotency, self.state.idempotency
        found: dict[tuple[str, str], IdempotencyRecord] = {}
        for pair in keys:
            record = staged.get(pair) or committed.get(pair)
            if record is not None:
                found[pair] = record
        return found

    def add(self, record: IdempotencyRecord) -> None:
        pair = (record.scope, record.key)
        staged = self.tx.staged.idempotency
        assert pair not in staged, "idempotency keys are unique"
        assert pair not in self.state.idempotency, "idempotency keys are unique"
        staged[pair] = record


class _Reversals(_Repo):
    def add(self, reversal: Reversal) -> None:
        assert self.get(reversal.activity_id) is None, "an activity is reversed once"
        self.tx.staged.reversals[reversal.activity_id] = reversal

    def get(self, activity_id: str) -> Reversal | None:
        return self.tx.staged.reversals.get(activity_id) or self.state.reversals.get(activity_id)


class _Audit(_Repo):
    def add(self, entry: AuditEntry) -> None:
        self.tx.staged.audit.append(entry)

    def list(self, target: str | None, limit: int) -> list[AuditEntry]:
        found = [e for e in reversed(self.state.audit) if target is None or e.target == target]
        return found[:limit]


class _Memberships(_Repo):
    def get(self, member_id: str) -> Membership | None:
        found = self.tx.staged.memberships.get(member_id)
        return found if found is not None else self.state.memberships.get(member_id)

    def save(self, membership: Membership) -> None:
        self.tx.staged.memberships[membership.member_id] = membership

    def due(self, at: datetime, after_id: str | None, limit: int) -> list[Membership]:
        every = {**self.state.memberships, **self.tx.staged.memberships}
        found = [
            m
            for member_id, m in sorted(every.items())
            if (after_id is None or member_id > after_id) and not m.expired and m.until <= at
        ]
        return found[:limit]


class _Referrals(_Repo):
    def index_code(self, code: str, member_id: str) -> None:
        if self.by_code(code) is None:
            self.tx.staged.referral_codes[code] = member_id

    def by_code(self, code: str) -> str | None:
        return self.tx.staged.referral_codes.get(code) or self.state.referral_codes.get(code)

    def add_identities(self, member_id: str, identities: Sequence[str]) -> None:
        self.tx.staged.identities[member_id] = self.identities(member_id) | frozenset(identities)

    def identities(self, member_id: str) -> frozenset[str]:
        found = self.tx.staged.identities.get(member_id)
        return found if found is not None else self.state.identities.get(member_id, frozenset())

    def get(self, invitee_id: str) -> Referral | None:
        return self.tx.staged.referrals.get(invitee_id) or self.state.referrals.get(invitee_id)

    def add(self, referral: Referral) -> bool:
        if self.get(referral.invitee_id) is not None:
            return False
        self.tx.staged.referrals[referral.invitee_id] = referral
        return True

    def update(self, referral: Referral, was: RewardOutcome | None) -> bool:
        stored = self.get(referral.invitee_id)
        if stored is None or stored.outcome is not was:
            return False
        self.tx.staged.referrals[referral.invitee_id] = referral
        return True

    def _all(self) -> dict[str, Referral]:
        return {**self.state.referrals, **self.tx.staged.referrals}

    def _mine(self, referrer_id: str) -> list[Referral]:
        """The referrer's invitees, committed (through the index) and staged."""
        ids = set(self.state.invitees.get(referrer_id, ()))
        ids.update(i for i, r in self.tx.staged.referrals.items() if r.referrer_id == referrer_id)
        found = (self.get(i) for i in sorted(ids))
        return [r for r in found if r is not None]

    def of_referrer(self, referrer_id: str, after_id: str | None, limit: int) -> list[Referral]:
        found = [r for r in self._mine(referrer_id) if after_id is None or r.invitee_id > after_id]
        return found[:limit]

    def tally(self, referrer_id: str, joined_by: datetime) -> tuple[int, int, int]:
        return _tally(self._mine(referrer_id), joined_by)

    def rewarded_since(self, referrer_id: str, since: datetime) -> int:
        return sum(
            1
            for r in self._mine(referrer_id)
            if r.qualified_at is not None and r.qualified_at >= since and r.outcome in REWARDED
        )

    def held(self, after_id: str | None, limit: int) -> list[Referral]:
        found = [
            r
            for invitee, r in sorted(self._all().items())
            if r.outcome is RewardOutcome.HELD and (after_id is None or invitee > after_id)
        ]
        return found[:limit]

    def referrers(
        self, joined_by: datetime, min_decided: int, after_id: str | None, limit: int
    ) -> list[tuple[str, int, int, int]]:
        by_referrer: dict[str, list[Referral]] = {}
        for r in self._all().values():
            if after_id is None or r.referrer_id > after_id:
                by_referrer.setdefault(r.referrer_id, []).append(r)
        out: list[tuple[str, int, int, int]] = []
        for referrer_id in sorted(by_referrer):
            qualified, expired, waiting = _tally(by_referrer[referrer_id], joined_by)
            if qualified + expired >= min_decided:
                out.append((referrer_id, qualified, expired, waiting))
        return out[:limit]

    def add_commission(self, commission: PurchaseCommission) -> bool:
        order = (commission.buyer_id, commission.order_id)
        staged = self.tx.staged.commissions.values()
        if order in self.state.commission_orders or any(
            (c.buyer_id, c.order_id) == order for c in staged
        ):
            return False
        self.tx.staged.commissions[commission.activity_id] = commission
        return True

    def commission(self, activity_id: str) -> PurchaseCommission | None:
        found = self.tx.staged.commissions.get(activity_id)
        return found if found is not None else self.state.commissions.get(activity_id)

    def update_commission(self, commission: PurchaseCommission, was: CommissionState) -> bool:
        stored = self.commission(commission.activity_id)
        if stored is None or stored.state is not was:
            return False
        self.tx.staged.commissions[commission.activity_id] = commission
        return True

    def due_commissions(
        self, at: datetime, after_id: str | None, limit: int
    ) -> list[PurchaseCommission]:
        every = {**self.state.commissions, **self.tx.staged.commissions}
        found = [
            c
            for activity_id, c in sorted(every.items())
            if (after_id is None or activity_id > after_id)
            and c.state is CommissionState.PENDING
            and c.due_at <= at
        ]
        return found[:limit]


def _tally(referrals: Iterable[Referral], joined_by: datetime) -> tuple[int, int, int]:
    qualified = expired = waiting = 0
    for r in referrals:
        if r.qualified_at is not None:
            qualified += 1
        elif r.joined_at <= joined_by:
            expired += 1
        else:
            waiting += 1
    return qualified, expired, waiting


def member_balances(state: MemoryState, member_id: str) -> tuple[int, int]:
    return (
        state.balances.get(available_account(member_id), 0),
        state.balances.get(held_account(member_id), 0),
    )


def issued_total(state: MemoryState) -> int:
    return -state.balances.get(ISSUANCE, 0)


class _Roles(_Repo):
    def _read(self, holding_id: str) -> RoleHolding | None:
        return self.tx.staged.role_holdings.get(holding_id) or self.state.role_holdings.get(
            holding_id
        )

    def _all(self) -> dict[str, RoleHolding]:
        return {**self.state.role_holdings, **self.tx.staged.role_holdings}

    def add(self, holding: RoleHolding) -> None:
        assert self._read(holding.id) is None, f"role holding {holding.id} exists"
        self.tx.staged.role_holdings[holding.id] = replace(holding)

    def get(self, holding_id: str) -> RoleHolding | None:
        found = self._read(holding_id)
        return replace(found) if found is not None else None  # a copy: rollback drops edits

    def save(self, holding: RoleHolding) -> bool:
        stored = self._read(holding.id)
        if stored is None or stored.version != holding.version:
            return False
        self.tx.staged.role_holdings[holding.id] = replace(holding, version=holding.version + 1)
        return True

    def open_for(self, member_id: str, role_id: str) -> RoleHolding | None:
        found = self.page(role_id, member_id, OPEN_STATES, None, 1)
        return found[0] if found else None

    def page(
        self,
        role_id: str | None,
        member_id: str | None,
        states: Sequence[RoleState],
        after_id: str | None,
        limit: int,
    ) -> list[RoleHolding]:
        found = [
            h
            for h in self._all().values()
            if (role_id is None or h.role_id == role_id)
            and (member_id is None or h.member_id == member_id)
            and (not states or h.state in states)
            and (after_id is None or h.id > after_id)
        ]
        return [replace(h) for h in sorted(found, key=lambda h: h.id)[:limit]]

    def due(self, at: datetime, after_id: str | None, limit: int) -> list[RoleHolding]:
        found = [
            h
            for h in self.page(None, None, (RoleState.ACTIVE,), after_id, len(self._all()))
            if h.ends_at is not None and h.ends_at <= at
        ]
        return found[:limit]

    def holders(self, role_id: str) -> int:
        return sum(
            1 for h in self._all().values() if h.role_id == role_id and h.state is RoleState.ACTIVE
        )

    def take_seat(self, role_id: str, seats: int) -> bool:
        # One unit of work at a time runs on this store (see _Honors.take_seat); the seat
        # is counted by the holding saved ACTIVE in the same unit of work.
        return self.holders(role_id) < seats

    def release_seat(self, role_id: str) -> None:
        return None

    def _mentorships(self) -> dict[str, Mentorship]:
        return {**self.state.mentorships, **self.tx.staged.mentorships}

    def add_mentorship(self, mentorship: Mentorship) -> None:
        assert self.mentorship(mentorship.role_id, mentorship.mentee_id) is None, (
            f"mentee {mentorship.mentee_id} has a mentor in {mentorship.role_id} already"
        )
        self.tx.staged.mentorships[mentorship.id] = replace(mentorship)

    def mentorship(self, role_id: str, mentee_id: str) -> Mentorship | None:
        found = next(
            (
                m
                for m in self._mentorships().values()
                if m.role_id == role_id and m.mentee_id == mentee_id
            ),
            None,
        )
        return replace(found) if found is not None else None

    def save_mentorship(self, mentorship: Mentorship) -> bool:
        stored = self._mentorships().get(mentorship.id)
        if stored is None or stored.version != mentorship.version:
            return False
        self.tx.staged.mentorships[mentorship.id] = replace(
            mentorship, version=mentorship.version + 1
        )
        return True

    def mentorships_of(self, mentor_id: str, role_id: str) -> list[Mentorship]:
        found = [
            m
            for m in self._mentorships().values()
            if m.mentor_id == mentor_id and m.role_id == role_id
        ]
        return [replace(m) for m in sorted(found, key=lambda m: m.id)]

    def mentorships_of_mentee(self, mentee_id: str) -> list[Mentorship]:
        found = [m for m in self._mentorships().values() if m.mentee_id == mentee_id]
        return [replace(m) for m in sorted(found, key=lambda m: m.id)]

    def uncredited(self, after_id: str | None, limit: int) -> list[Mentorship]:
        found = [
            m
            for m in self._mentorships().values()
            if m.credited_at is None and (after_id is None or m.id > after_id)
        ]
        return [replace(m) for m in sorted(found, key=lambda m: m.id)[:limit]]


_SELECTED = HOLDING | {ApplicationState.CONFIRMED}


class _Campaigns(_Repo):
    # One unit of work at a time runs on this store: `lock` needs to lock nothing.
    def _read(self, campaign_id: str) -> CampaignRecord | None:
        return self.tx.staged.campaigns.get(campaign_id) or self.state.campaigns.get(campaign_id)

    def get(self, campaign_id: str) -> CampaignRecord | None:
        found = self._read(campaign_id)
        return replace(found) if found is not None else None

    def lock(self, campaign_id: str, *, shared: bool = False) -> CampaignRecord | None:
        return self.get(campaign_id)

    def add(self, record: CampaignRecord) -> bool:
        if self._read(record.id) is not None:
            return False
        self.tx.staged.campaigns[record.id] = replace(record)
        return True

    def save(self, record: CampaignRecord) -> bool:
        stored = self._read(record.id)
        if stored is None or stored.version != record.version:
            return False
        assert 0 <= record.taken <= record.places, f"campaign {record.id} over its places"
        self.tx.staged.campaigns[record.id] = replace(record, version=record.version + 1)
        return True

    def _app(self, key: tuple[str, str]) -> Application | None:
        return self.tx.staged.applications.get(key) or self.state.applications.get(key)

    def _all(self, campaign_id: str | None = None) -> list[tuple[str, Application]]:
        merged = {**self.state.applications, **self.tx.staged.applications}
        return sorted(
            ((c, a) for (c, _), a in merged.items() if campaign_id is None or c == campaign_id),
            key=lambda pair: (pair[0], pair[1].member_id),
        )

    def add_application(self, campaign_id: str, application: Application) -> bool:
        key = (campaign_id, application.member_id)
        if self._app(key) is not None:
            return False
        self.tx.staged.applications[key] = replace(application)
        return True

    def application(self, campaign_id: str, member_id: str) -> Application | None:
        found = self._app((campaign_id, member_id))
        return replace(found) if found is not None else None

    def applications(self, campaign_id: str) -> list[Application]:
        return [replace(a) for _, a in self._all(campaign_id)]

    def save_applications(self, campaign_id: str, applications: Sequence[Application]) -> None:
        for application in applications:
            key = (campaign_id, application.member_id)
            assert self._app(key) is not None, f"application {key} was never made"
            self.tx.staged.applications[key] = replace(application)

    def page(
        self,
        campaign_id: str,
        states: Sequence[ApplicationState],
        after_member_id: str | None,
        limit: int,
    ) -> list[Application]:
        found = [
            a
            for _, a in self._all(campaign_id)
            if (not states or a.state in states)
            and (after_member_id is None or a.member_id > after_member_id)
        ]
        return [replace(a) for a in found[:limit]]

    def count(self, campaign_id: str, states: Sequence[ApplicationState]) -> int:
        return sum(1 for _, a in self._all(campaign_id) if not states or a.state in states)

    def last_selected(self, member_id: str) -> datetime | None:
        merged = {**self.state.applications, **self.tx.staged.applications}
        times = [
            a.offered_at
            for (_, m), a in merged.items()
            if m == member_id and a.state in _SELECTED and a.offered_at is not None
        ]
        return max(times, default=None)

    def of_member(self, member_id: str) -> list[tuple[str, Application]]:
        return [(c, replace(a)) for c, a in self._all() if a.member_id == member_id]


class _FriendQuests(_Repo):
    def _read(self, instance_id: str) -> FriendQuestInstance | None:
        return self.tx.staged.friend_quests.get(instance_id) or self.state.friend_quests.get(
            instance_id
        )

    def _all(self) -> dict[str, FriendQuestInstance]:
        return {**self.state.friend_quests, **self.tx.staged.friend_quests}

    def _mine(self, member_id: str) -> list[FriendQuestInstance]:
        """The instances the member started or is in, as this unit of work sees them: the
        committed ones through the index (which names every instance the member was ever
        in), the staged ones by a scan."""
        staged, committed = self.tx.staged.friend_quests, self.state.friend_quests
        ids = set(self.state.friend_quests_by_member.get(member_id, ()))
        ids.update(staged)
        found = (staged.get(i) or committed[i] for i in ids)
        return [i for i in found if i.starter_id == member_id or member_id in i.members]

    def add(self, instance: FriendQuestInstance) -> None:
        assert self._read(instance.id) is None, f"instance {instance.id} exists"
        assert self.by_code(instance.code) is None, f"share code {instance.code} is taken"
        self.tx.staged.friend_quests[instance.id] = replace(instance)

    def get(self, instance_id: str) -> FriendQuestInstance | None:
        found = self._read(instance_id)
        return replace(found) if found is not None else None

    def by_code(self, code: str) -> FriendQuestInstance | None:
        ident = self.state.friend_codes.get(code)
        if ident is None:
            ident = next((i.id for i in self.tx.staged.friend_quests.values() if i.code == code),
                         None)  # fmt: skip
        return self.get(ident) if ident is not None else None

    def save(self, instance: FriendQuestInstance) -> bool:
        stored = self._read(instance.id)
        if stored is None or stored.version != instance.version:
            return False
        self.tx.staged.friend_quests[instance.id] = replace(instance, version=instance.version + 1)
        return True

    def add_participation(self, participation: Participation) -> None:
        self.tx.staged.participations.append(participation)

    def count_for_member(
        self,
        member_id: str,
        quest_id: str,
        states: tuple[InstanceState, ...],
        started: bool,
        at: datetime,
    ) -> int:
        return sum(
            1
            for i in self._mine(member_id)
            if i.quest_id == quest_id
            and i.state in states
            and not (i.state is InstanceState.OPEN and i.deadline < at)
            and (i.starter_id == member_id or (not started and member_id in i.members))
        )

    def helps_on_day(self, member_id: str, day: int) -> int:
        staged = sum(
            1
            for p in self.tx.staged.participations
            if p.member_id == member_id and p.day == day and p.kind is FriendQuestKind.HELP
        )
        return self.state.helps.get((member_id, day), 0) + staged

    def for_member(
        self, member_id: str, after_id: str | None, limit: int
    ) -> list[FriendQuestInstance]:
        found = [i for i in self._mine(member_id) if after_id is None or i.id > after_id]
        return [replace(i) for i in sorted(found, key=lambda i: i.id)[:limit]]

    def due(self, at: datetime, after_id: str | None, limit: int) -> list[FriendQuestInstance]:
        found = [
            i
            for i in self._all().values()
            if i.state is InstanceState.OPEN
            and i.deadline < at
            and (after_id is None or i.id > after_id)
        ]
        return [replace(i) for i in sorted(found, key=lambda i: i.id)[:limit]]
