"""Oversubscribed campaigns (issue 9): who may apply, and an auditable selection of the
applicants for a campaign's places.

Pure and deterministic: no clock, no randomness. A lottery is keyed by a seed that comes
in from the edge when the campaign opens; only its SHA-256 commitment is published then,
and the selection stores the seed itself, so anyone holding the audit record can re-run
the draw (`verify`) and check the seed against the commitment (`seed_matches`). The draw
ranks applicants by SHA-256(seed, member id): the operator cannot pick the order without
finding a seed whose hash is the commitment published before the window closed.

Orders, each total (ties are broken, never left to the store's row order):

- first_come: by application time, then member id;
- lottery: by SHA-256(seed || 0x00 || member id) as hex, then member id;
- ranked: by declared score descending, then application time, then member id;
- operator: the operator's list, in the order given.

Places are filled walking the order; an applicant whose level or KOC tier quota is full
is passed over (waitlisted, in order) so a later applicant of another group can take the
place. Everyone not chosen is on the waitlist, in the order walked. A place freed later
goes to the first on the waitlist whose quotas still have room (`Room`, `next_offers`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from domain.errors import InvalidInput

seed_length_min = 16  # characters: a short seed could be found from its commitment
seed_length_max = 200
applicants_max = 100_000
places_max = 10_000
motivation_length_max = 2_000


class SelectionMethod(StrEnum):
    FIRST_COME = "first_come"
    LOTTERY = "lottery"
    RANKED = "ranked"
    OPERATOR = "operator"


class Ineligible(StrEnum):
    LEVEL_TOO_LOW = "level_too_low"
    KOC_TIER_MISSING = "koc_tier_missing"
    HONOR_MISSING = "honor_missing"
    RECENTLY_SELECTED = "recently_selected"


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who may apply: a minimum level rank, one of the KOC tiers (none listed: any), every
    honor listed, and no selection by any campaign within the last `cooldown` days."""

    level_rank_min: int = 0
    koc_tiers: frozenset[str] = frozenset()
    honors: frozenset[str] = frozenset()
    cooldown_days: int = 0


@dataclass(frozen=True, slots=True)
class Weights:
    """The declared score of a ranked selection, in integer points per unit."""

    note_interactions: int = 0
    task_approval_percent: int = 0
    level_rank: int = 0


@dataclass(frozen=True, slots=True)
class Applicant:
    """An application with the applicant's record as it stood when the window closed."""

    member_id: str
    applied_at: datetime
    level_rank: int = 0
    level_id: str = ""
    koc_tier: str | None = None
    honors: frozenset[str] = frozenset()
    last_selected_at: datetime | None = None
    note_interactions: int = 0
    tasks_approved: int = 0
    tasks_reviewed: int = 0


@dataclass(frozen=True, slots=True)
class Selection:
    """The audit record: enough to re-run the draw and compare."""

    method: SelectionMethod
    seed: str | None
    applicants_digest: str
    scores: Mapping[str, int]
    chosen: tuple[str, ...]
    waitlist: tuple[str, ...]


Group = tuple[str, str | None]  # an applicant's level id and KOC tier, as the selection read them


def group_of(who: Applicant) -> Group:
    return who.level_id, who.koc_tier


@dataclass(slots=True)
class Room:
    """Places left under the level and KOC tier quotas; a level or tier without a quota
    has no cap. The selection and every later offer count with the same rule."""

    level_left: dict[str, int]
    koc_left: dict[str, int]

    @classmethod
    def of(
        cls,
        level_quotas: Mapping[str, int] | None = None,
        koc_quotas: Mapping[str, int] | None = None,
        held: Iterable[Group] = (),
    ) -> Room:
        """The room left once the places `held` (by their holders' groups) are counted."""
        room = cls(dict(level_quotas or {}), dict(koc_quotas or {}))
        for group in held:
            room.take(group)
        return room

    def fits(self, group: Group) -> bool:
        level, tier = group
        level_full = self.level_left.get(level, 1) <= 0
        tier_full = tier is not None and self.koc_left.get(tier, 1) <= 0
        return not (level_full or tier_full)

    def take(self, group: Group) -> None:
        level, tier = group
        if level in self.level_left:
            self.level_left[level] -= 1
        if tier is not None and tier in self.koc_left:
            self.koc_left[tier] -= 1


def ineligibility(rules: Eligibility, who: Applicant, at: datetime) -> Ineligible | None:
    """Why `who` may not apply at `at`, or None when they may."""
    if who.level_rank < rules.level_rank_min:
        return Ineligible.LEVEL_TOO_LOW
    if rules.koc_tiers and who.koc_tier not in rules.koc_tiers:
        return Ineligible.KOC_TIER_MISSING
    if not rules.honors <= who.honors:
        return Ineligible.HONOR_MISSING
    recent = who.last_selected_at
    cooldown = timedelta(days=rules.cooldown_days)
    if rules.cooldown_days and recent is not None and at - recent < cooldown:
        return Ineligible.RECENTLY_SELECTED
    return None


def commitment(seed: str) -> str:
    """The hash published when the campaign opens; the seed stays secret until selection."""
    check_seed(seed)
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def seed_matches(seed: str, published: str) -> bool:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest() == published


def check_seed(seed: str) -> None:
    if not seed_length_min <= len(seed) <= seed_length_max:
        raise InvalidInput(
            "seed", f"must be {seed_length_min} to {seed_length_max} characters long"
        )


def applicants_digest(applicants: Sequence[Applicant]) -> str:
    """SHA-256 over the applicants and what the selection reads of them, in member id order,
    times in UTC: the same applications give the same digest whatever order (and time zone)
    a store returns them in."""
    lines = sorted(
        "\x1f".join(
            (
                a.member_id,
                a.applied_at.astimezone(UTC).isoformat(),
                str(a.level_rank),
                a.level_id,
                a.koc_tier or "",
                str(a.note_interactions),
                str(a.tasks_approved),
                str(a.tasks_reviewed),
            )
        )
        for a in applicants
    )
    return hashlib.sha256("\x1e".join(lines).encode("utf-8")).hexdigest()


def score(weights: Weights, who: Applicant) -> int:
    """Declared score: weighted note interactions, task approval percent (floored; 0 with
    no task reviewed) and level rank. Integers only, so every store computes the same."""
    approval = who.tasks_approved * 100 // who.tasks_reviewed if who.tasks_reviewed else 0
    return (
        weights.note_interactions * who.note_interactions
        + weights.task_approval_percent * approval
        + weights.level_rank * who.level_rank
    )


def lottery_key(seed: str, member_id: str) -> str:
    return hashlib.sha256(f"{seed}\x00{member_id}".encode()).hexdigest()


def order(
    method: SelectionMethod,
    applicants: Sequence[Applicant],
    *,
    seed: str | None = None,
    weights: Weights = Weights(),
    operator_order: Sequence[str] = (),
) -> tuple[list[str], dict[str, int]]:
    """The applicants' member ids in selection order, and the scores of a ranked one."""
    by_id = {a.member_id: a for a in applicants}
    assert len(by_id) == len(applicants), "one application per member and campaign"
    scores: dict[str, int] = {}
    if method is SelectionMethod.FIRST_COME:
        ranked = sorted(applicants, key=lambda a: (a.applied_at, a.member_id))
    elif method is SelectionMethod.LOTTERY:
        if seed is None:
            raise InvalidInput("seed", "a lottery needs the seed committed at opening")
        check_seed(seed)
        ranked = sorted(applicants, key=lambda a: (lottery_key(seed, a.member_id), a.member_id))
    elif method is SelectionMethod.RANKED:
        scores = {a.member_id: score(weights, a) for a in applicants}
        ranked = sorted(applicants, key=lambda a: (-scores[a.member_id], a.applied_at, a.member_id))
    else:
        if len(set(operator_order)) != len(operator_order):
            raise InvalidInput("memberIds", "lists a member twice")
        unknown = [m for m in operator_order if m not in by_id]
        if unknown:
            raise InvalidInput("memberIds", f"{unknown[0]!r} did not apply")
        return list(operator_order), scores
    return [a.member_id for a in ranked], scores


def fill(
    ordered: Sequence[str],
    applicants: Sequence[Applicant],
    places: int,
    *,
    level_quotas: Mapping[str, int] | None = None,
    koc_quotas: Mapping[str, int] | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Chosen and waitlist: walk the order, taking each applicant whose groups have room."""
    if not 0 <= places <= places_max:
        raise InvalidInput("places", f"must be 0 to {places_max}")
    by_id = {a.member_id: a for a in applicants}
    room = Room.of(level_quotas, koc_quotas)
    chosen: list[str] = []
    waitlist: list[str] = []
    for member_id in ordered:
        group = group_of(by_id[member_id])
        if len(chosen) >= places or not room.fits(group):
            waitlist.append(member_id)
            continue
        chosen.append(member_id)
        room.take(group)
    assert len(chosen) <= places, "never more chosen than places"
    return tuple(chosen), tuple(waitlist)


def select(
    method: SelectionMethod,
    applicants: Sequence[Applicant],
    places: int,
    *,
    seed: str | None = None,
    weights: Weights = Weights(),
    operator_order: Sequence[str] = (),
    level_quotas: Mapping[str, int] | None = None,
    koc_quotas: Mapping[str, int] | None = None,
) -> Selection:
    """Run the selection once and return its audit record."""
    if len(applicants) > applicants_max:
        raise InvalidInput("applicants", f"at most {applicants_max}")
    ordered, scores = order(
        method, applicants, seed=seed, weights=weights, operator_order=operator_order
    )
    if method is SelectionMethod.OPERATOR:
        listed = set(ordered)
        ordered += sorted(a.member_id for a in applicants if a.member_id not in listed)
    chosen, waitlist = fill(
        ordered, applicants, places, level_quotas=level_quotas, koc_quotas=koc_quotas
    )
    return Selection(
        method=method,
        seed=seed if method is SelectionMethod.LOTTERY else None,
        applicants_digest=applicants_digest(applicants),
        scores=scores,
        chosen=chosen,
        waitlist=waitlist,
    )


def verify(
    record: Selection,
    applicants: Sequence[Applicant],
    places: int,
    *,
    weights: Weights = Weights(),
    operator_order: Sequence[str] = (),
    level_quotas: Mapping[str, int] | None = None,
    koc_quotas: Mapping[str, int] | None = None,
) -> bool:
    """Re-run the draw from the audit record: True when the applicants digest, the scores,
    the chosen and the waitlist all come out as recorded."""
    again = select(
        record.method,
        applicants,
        places,
        seed=record.seed,
        weights=weights,
        operator_order=operator_order,
        level_quotas=level_quotas,
        koc_quotas=koc_quotas,
    )
    return (
        again.applicants_digest == record.applicants_digest
        and dict(again.scores) == dict(record.scores)
        and again.chosen == record.chosen
        and again.waitlist == record.waitlist
    )


def next_offers(
    waitlist: Sequence[str],
    waiting: AbstractSet[str],
    free: int,
    *,
    groups: Mapping[str, Group] | None = None,
    room: Room | None = None,
) -> list[str]:
    """Who is offered `free` freed places: walking the waitlist in order, each member still
    `waiting` whose level and KOC tier quotas have `room` (by their `groups` as the
    selection read them), taking it. One passed over for a full quota stays on the
    waitlist for a later place; places nobody fits stay free. One pass, in order."""
    offered: list[str] = []
    for member_id in waitlist:
        if len(offered) >= free:
            break
        if member_id not in waiting:
            continue
        if room is not None:
            group = (groups or {}).get(member_id)
            assert group is not None, f"no group recorded for waitlisted {member_id!r}"
            if not room.fits(group):
                continue
            room.take(group)
        offered.append(member_id)
    return offered


def next_offer(
    waitlist: Sequence[str],
    passed: frozenset[str],
    *,
    groups: Mapping[str, Group] | None = None,
    room: Room | None = None,
) -> str | None:
    """The first on the waitlist not yet offered a place (declined, lapsed or offered)
    whose quotas have `room` (left as it is)."""
    left = None if room is None else Room(dict(room.level_left), dict(room.koc_left))
    found = next_offers(waitlist, set(waitlist) - passed, 1, groups=groups, room=left)
    return found[0] if found else None


def check_motivation(text: str) -> str:
    cleaned = text.strip()
    if len(cleaned) > motivation_length_max:
        raise InvalidInput("motivation", f"at most {motivation_length_max} characters")
    return cleaned


def audit_json(record: Selection) -> str:
    """The audit record as canonical JSON (sorted keys), to store and publish."""
    return json.dumps(
        {
            "method": record.method.value,
            "seed": record.seed,
            "applicants_digest": record.applicants_digest,
            "scores": dict(record.scores),
            "chosen": list(record.chosen),
            "waitlist": list(record.waitlist),
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def audit_from_json(text: str) -> Selection:
    """Read an audit record back; a malformed one is refused, not guessed at."""
    try:
        raw = json.loads(text)
        record = Selection(
            method=SelectionMethod(raw["method"]),
            seed=None if raw["seed"] is None else str(raw["seed"]),
            applicants_digest=str(raw["applicants_digest"]),
            scores={str(k): int(v) for k, v in raw["scores"].items()},
            chosen=tuple(str(m) for m in raw["chosen"]),
            waitlist=tuple(str(m) for m in raw["waitlist"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput("audit", f"not a selection audit record ({exc})") from None
    return record


def applicants_json(applicants: Sequence[Applicant]) -> str:
    """The applicants' records as the selection read them, as canonical JSON (in member id
    order), stored with the audit record so that the draw can be re-run from the store."""
    rows = [
        {
            "member_id": a.member_id,
            "applied_at": a.applied_at.astimezone(UTC).isoformat(),
            "level_rank": a.level_rank,
            "level_id": a.level_id,
            "koc_tier": a.koc_tier,
            "honors": sorted(a.honors),
            "last_selected_at": (
                a.last_selected_at.astimezone(UTC).isoformat() if a.last_selected_at else None
            ),
            "note_interactions": a.note_interactions,
            "tasks_approved": a.tasks_approved,
            "tasks_reviewed": a.tasks_reviewed,
        }
        for a in sorted(applicants, key=lambda a: a.member_id)
    ]
    return json.dumps(rows, sort_keys=True, separators=(",", ":"))


def applicants_from_json(text: str) -> list[Applicant]:
    """Read stored applicants back; a malformed list is refused, not guessed at."""
    try:
        rows = json.loads(text)
        out = [
            Applicant(
                member_id=str(row["member_id"]),
                applied_at=datetime.fromisoformat(row["applied_at"]),
                level_rank=int(row["level_rank"]),
                level_id=str(row["level_id"]),
                koc_tier=None if row["koc_tier"] is None else str(row["koc_tier"]),
                honors=frozenset(str(h) for h in row["honors"]),
                last_selected_at=(
                    None
                    if row["last_selected_at"] is None
                    else datetime.fromisoformat(row["last_selected_at"])
                ),
                note_interactions=int(row["note_interactions"]),
                tasks_approved=int(row["tasks_approved"]),
                tasks_reviewed=int(row["tasks_reviewed"]),
            )
            for row in rows
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput("applicants", f"not a stored applicant list ({exc})") from None
    return out
