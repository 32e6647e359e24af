"""Honor roles with terms on every store: eligibility, the ways in (application,
nomination by an operator or a holder, appointment), seats, terms ending by themselves,
renewal, flagging below eligibility, mentors credited once per mentee, and the abuse
paths (self-nomination, a non-holder nominating, accepting twice, a mentor over seats, a
mentee as their own mentor)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from functools import partial

import pytest

from domain import services
from domain.commands import (
    AcceptRole,
    ApplyForRole,
    AppointToRole,
    AssignMentee,
    EndRole,
    GrantHonor,
    LockLevel,
    NominateForRole,
    RecordActivity,
    RegisterMember,
    RenewRole,
)
from domain.errors import (
    AlreadyExists,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    NotFound,
    RoleSeatsTaken,
)
from domain.model import HonorRevoked, MentorCredited, RoleEnded, RoleFlagged
from domain.roles import Mentorship, RoleHolding, RoleState
from domain.services import roles
from persistence.sql import SqlStore
from tests.integration.conftest import StoreFactory
from tests.integration.test_concurrency import in_parallel
from tests.unit.builders import economy_from, local

LEVELS = """
[[levels]]
id = "newcomer"
threshold = 0

[[levels]]
id = "regular"
threshold = 20

[[levels]]
id = "star"
threshold = 100
"""
ECONOMY = economy_from(
    """
[rules.post]
kind = "post"
points = 10

[honors.moderator_badge]
title = "Honorary moderator"
manual = true
hall_of_fame = true

[honors.verified]
title = "Verified creator"
manual = true

[honors.guide]
title = "Newcomer guide"
manual = true
tiers = [{ name = "bronze", at = 1 }, { name = "silver", at = 2 }]

[[roles]]
id = "moderator"
title = "Honorary moderator"
duties = "Keep the boards friendly; answer reports within a day."
entry = "application"
seats = 2
term_days = 30
min_level = "star"
honor = "moderator_badge"

[[roles]]
id = "mentor"
duties = "Welcome newcomers and answer their questions."
entry = "appointment"
seats = 3
term_days = 60
min_level = "star"
mentees = 2
mentee_level = "regular"
mentor_honor = "guide"

[[roles]]
id = "council"
title = "Advisory council"
duties = "Meet the brand team monthly."
entry = "nomination"
nominated_by = ["moderator"]
seats = 1
term_days = 90
min_level = "star"
honors = ["verified"]
""",
    levels=LEVELS,
)
START = local(2026, 3, 2, 10)
OP = "op:ana"


class Roles:
    """The real services on one store, with short verbs."""

    def __init__(self, store: StoreFactory) -> None:
        self.store = store
        self._keys = itertools.count(1)

    def join(self, handle: str, level: str | None = "star") -> str:
        member = services.register_member(RegisterMember(handle, handle, START), self.store(),
                                          ECONOMY)  # fmt: skip
        if level is not None:
            self.level(member.id, level)
        return member.id

    def level(self, member: str, level: str) -> None:
        cmd = LockLevel(member, level, "test setup", OP, START)
        services.lock_level(cmd, self.store(), ECONOMY)

    def honor(self, member: str, honor: str) -> None:
        services.grant_honor(GrantHonor(member, honor, "test", OP, START), self.store(), ECONOMY)

    def apply(self, member: str, role: str = "moderator", at: datetime = START) -> RoleHolding:
        return roles.apply_for_role(ApplyForRole(member, role, at), self.store(), ECONOMY)

    def appoint(self, member: str, role: str = "moderator", at: datetime = START) -> RoleHolding:
        return roles.appoint_to_role(AppointToRole(member, role, OP, at), self.store(), ECONOMY)

    def nominate(
        self, member: str, by: str | None, role: str = "council", at: datetime = START
    ) -> RoleHolding:
        cmd = NominateForRole(member, role, by, by or OP, at)
        return roles.nominate_for_role(cmd, self.store(), ECONOMY)

    def accept(self, member: str, holding: str, at: datetime = START) -> RoleHolding:
        return roles.accept_role(AcceptRole(member, holding, at), self.store(), ECONOMY)

    def end(
        self, holding: str, member: str | None = None, reason: str = "steps down"
    ) -> RoleHolding:
        cmd = EndRole(holding, member, reason, member or OP, START + timedelta(days=1))
        return roles.end_role(cmd, self.store(), ECONOMY)

    def renew(self, holding: str, at: datetime) -> RoleHolding:
        return roles.renew_role(RenewRole(holding, OP, at), self.store(), ECONOMY)

    def pair(self, mentor: str, mentee: str, by: str | None = None) -> Mentorship:
        cmd = AssignMentee("mentor", mentor, mentee, by, by or OP, START)
        return roles.assign_mentee(cmd, self.store(), ECONOMY)

    def post(self, member: str, n: int) -> None:
        key = f"post-{next(self._keys)}"
        cmd = RecordActivity(member, "post", START + timedelta(hours=n), key, key, {},
                             at=START + timedelta(hours=n))  # fmt: skip
        services.record_activity(cmd, self.store(), ECONOMY)

    def holding(self, holding: str) -> RoleHolding:
        return roles.get_holding(holding, self.store())

    def active_honors(self, member: str) -> set[tuple[str, str | None]]:
        with self.store() as uow:
            return {(a.honor_id, a.tier) for a in uow.honors.list_for_member(member) if a.active}


@pytest.fixture
def world(store: StoreFactory) -> Roles:
    return Roles(store)


def test_an_application_waits_for_an_operator_whose_appointment_starts_a_term(
    world: Roles,
) -> None:
    alice = world.join("alice")

    applied = world.apply(alice)
    appointed = world.appoint(alice)

    assert applied.state is RoleState.APPLIED
    assert (appointed.id, appointed.state, appointed.entry) == (
        applied.id, RoleState.ACTIVE, "application")  # fmt: skip
    assert appointed.started_at == START
    assert appointed.ends_at == START + timedelta(days=30)
    assert ("moderator_badge", None) in world.active_honors(alice)


def test_eligibility_needs_the_level_and_the_honors(world: Roles) -> None:
    newcomer = world.join("newbie", level=None)
    star = world.join("star")

    with pytest.raises(NotEligible) as low:
        world.apply(newcomer)
    with pytest.raises(NotEligible) as unhonored:
        world.nominate(star, None)
    world.honor(star, "verified")
    nominated = world.nominate(star, None)

    assert "needs level 'star'" in low.value.reason
    assert "verified" in unhonored.value.reason
    assert nominated.state is RoleState.NOMINATED


def test_a_role_is_entered_only_its_own_way(world: Roles) -> None:
    alice = world.join("alice")
    with pytest.raises(NotEligible):
        world.apply(alice, "council")  # by nomination
    with pytest.raises(NotEligible):
        world.nominate(alice, None, "moderator")  # by application
    with pytest.raises(NotFound):
        world.apply(alice, "astronaut")


def test_a_holder_of_the_nominating_role_nominates_and_the_nominee_accepts(
    world: Roles,
) -> None:
    moderator, nominee = world.join("mod"), world.join("nominee")
    world.honor(nominee, "verified")
    world.appoint(moderator)

    nominated = world.nominate(nominee, moderator)
    started = world.accept(nominee, nominated.id)

    assert nominated.proposed_by == moderator
    assert started.state is RoleState.ACTIVE
    assert started.ends_at == START + timedelta(days=90)


def test_abuse_self_nomination_and_a_non_holder_nominating_are_refused(world: Roles) -> None:
    moderator, outsider, nominee = world.join("mod"), world.join("out"), world.join("nom")
    world.honor(moderator, "verified")
    world.honor(nominee, "verified")
    world.appoint(moderator)

    with pytest.raises(InvalidInput) as own:
        world.nominate(moderator, moderator)
    with pytest.raises(NotEligible) as not_holder:
        world.nominate(nominee, outsider)

    assert own.value.field == "memberId"
    assert "only holders of moderator" in not_holder.value.reason
    assert roles.role_holdings(world.store(), role_id="council") == []


def test_abuse_accepting_twice_and_accepting_another_members_nomination(world: Roles) -> None:
    nominee, other = world.join("nom"), world.join("other")
    world.honor(nominee, "verified")
    nominated = world.nominate(nominee, None)
    world.accept(nominee, nominated.id)

    with pytest.raises(InvalidTransition) as twice:
        world.accept(nominee, nominated.id)
    with pytest.raises(NotFound):
        world.accept(other, nominated.id)

    assert twice.value.state == "active"
    with world.store() as uow:
        assert uow.roles.holders("council") == 1


def test_one_open_holding_per_member_and_role(world: Roles) -> None:
    alice = world.join("alice")
    world.apply(alice)
    with pytest.raises(AlreadyExists):
        world.apply(alice)
    world.appoint(alice)
    with pytest.raises(AlreadyExists):
        world.appoint(alice)


def test_seats_are_never_exceeded_and_ending_a_term_frees_one(world: Roles) -> None:
    a, b, c = world.join("a"), world.join("b"), world.join("c")
    first = world.appoint(a)
    world.appoint(b)

    with pytest.raises(RoleSeatsTaken) as full:
        world.appoint(c)
    ended = world.end(first.id, a)
    third = world.appoint(c)

    assert full.value.seats == 2
    assert (ended.state, ended.end_reason, ended.ended_by) == (RoleState.ENDED, "steps down", a)
    assert third.state is RoleState.ACTIVE
    assert ("moderator_badge", None) not in world.active_honors(a)
    with world.store() as uow:
        assert uow.roles.holders("moderator") == 2
    with pytest.raises(InvalidTransition):
        world.end(first.id, a)


def test_an_application_can_be_withdrawn_without_taking_a_seat(world: Roles) -> None:
    alice = world.join("alice")
    applied = world.apply(alice)
    withdrawn = world.end(applied.id, alice, "changed my mind")
    again = world.apply(alice)
    assert withdrawn.state is RoleState.ENDED
    assert again.state is RoleState.APPLIED


def test_a_term_ends_by_itself_at_the_review_once(world: Roles) -> None:
    alice = world.join("alice")
    held = world.appoint(alice)
    end_at = START + timedelta(days=30)

    early = roles.review_roles(world.store, ECONOMY, end_at - timedelta(seconds=1))
    uow = world.store()
    ended, following = roles.end_terms(uow, ECONOMY, end_at)
    again = roles.review_roles(world.store, ECONOMY, end_at + timedelta(days=1))

    assert (early.ended, again.ended, following) == (0, 0, None)
    assert [h.id for h in ended] == [held.id]
    assert RoleEnded(alice, "moderator", held.id, roles.TERM_ENDED, end_at) in uow.events
    assert HonorRevoked(alice, "moderator_badge", end_at) in uow.events
    assert world.holding(held.id).state is RoleState.ENDED
    assert ("moderator_badge", None) not in world.active_honors(alice)


def test_a_renewed_term_runs_one_more_term_from_its_end(world: Roles) -> None:
    alice = world.join("alice")
    held = world.appoint(alice)

    renewed = world.renew(held.id, START + timedelta(days=20))
    review = roles.review_roles(world.store, ECONOMY, START + timedelta(days=31))

    assert (renewed.ends_at, renewed.renewals) == (START + timedelta(days=60), 1)
    assert review.ended == 0
    with pytest.raises(InvalidTransition):
        world.renew(held.id, START + timedelta(days=61))  # over: the review ends it


def test_a_holder_below_eligibility_is_flagged_once_not_removed(world: Roles) -> None:
    alice = world.join("alice")
    held = world.appoint(alice)
    world.level(alice, "regular")
    at = START + timedelta(days=2)

    uow = world.store()
    up, down, _ = roles.flag_holders(uow, ECONOMY, at)
    again = roles.review_roles(world.store, ECONOMY, at + timedelta(hours=1))
    flagged = roles.flagged_holders(world.store())

    assert (up, down, again.flagged) == (1, 0, 0)
    reason = "role 'moderator' needs level 'star' (is 'regular')"
    assert RoleFlagged(alice, "moderator", held.id, reason, at) in uow.events
    assert [(h.id, h.state, h.flag_reason) for h in flagged] == [
        (held.id, RoleState.ACTIVE, reason)]  # fmt: skip
    with pytest.raises(NotEligible):
        world.renew(held.id, at)
    world.level(alice, "star")
    cleared = roles.review_roles(world.store, ECONOMY, at + timedelta(hours=2))
    assert cleared.cleared == 1
    assert roles.flagged_holders(world.store()) == []


def test_a_mentee_reaching_the_level_credits_the_mentor_once(world: Roles) -> None:
    mentor, mentee = world.join("mentor"), world.join("newbie", level=None)
    world.appoint(mentor, "mentor")
    world.pair(mentor, mentee, by=mentee)  # the mentee picks the mentor

    world.post(mentee, 1)
    world.post(mentee, 2)  # 20 points: regular
    world.post(mentee, 3)
    review = roles.review_roles(world.store, ECONOMY, START + timedelta(days=1))
    again = roles.review_roles(world.store, ECONOMY, START + timedelta(days=2))

    (credited,) = roles.mentorships_of(world.store(), mentor, "mentor")
    assert credited.credited_at == START + timedelta(hours=2)
    assert (review.credited, review.mentor_tiers, again.mentor_tiers) == (0, 1, 0)
    assert world.active_honors(mentor) >= {("guide", "bronze")}


def test_a_promotion_outside_an_activity_is_credited_by_the_review(world: Roles) -> None:
    mentor, mentee = world.join("mentor"), world.join("newbie", level=None)
    world.appoint(mentor, "mentor")
    world.pair(mentor, mentee)
    world.level(mentee, "regular")

    uow = world.store()
    count, _ = roles.credit_mentors(uow, ECONOMY, START + timedelta(days=1))
    again, _ = roles.credit_mentors(world.store(), ECONOMY, START + timedelta(days=2))

    assert (count, again) == (1, 0)
    assert MentorCredited(mentor, "mentor", mentee, 1, START + timedelta(days=1)) in uow.events


def test_abuse_mentor_seats_self_mentoring_and_non_mentors(world: Roles) -> None:
    mentor = world.join("mentor")
    outsider = world.join("outsider")
    a, b, c = (world.join(h, level=None) for h in ("a", "b", "c"))
    world.appoint(mentor, "mentor")
    world.pair(mentor, a)
    world.pair(mentor, b)

    with pytest.raises(RoleSeatsTaken):
        world.pair(mentor, c)
    with pytest.raises(InvalidInput) as own:
        world.pair(mentor, mentor, by=mentor)
    with pytest.raises(InvalidInput):
        world.pair(mentor, c, by=a)  # a member pairs only themselves
    with pytest.raises(NotEligible):
        world.pair(outsider, c)
    with pytest.raises(AlreadyExists):
        world.pair(mentor, a)

    assert own.value.field == "menteeId"
    world.level(a, "regular")
    roles.review_roles(world.store, ECONOMY, START + timedelta(days=1))
    world.pair(mentor, c)  # a's credit frees a mentee seat
    assert len(roles.mentorships_of(world.store(), mentor, "mentor")) == 3


def test_the_role_hall_of_fame_shows_current_and_past_terms(world: Roles) -> None:
    a, b = world.join("a"), world.join("b")
    first = world.appoint(a)
    world.end(first.id, None, "moved abroad")
    second = world.appoint(b, at=START + timedelta(days=2))
    world.apply(world.join("c"))  # an application is no term

    fame = roles.role_hall_of_fame(world.store(), ECONOMY)

    assert [(h.id, h.state) for h in fame] == [
        (second.id, RoleState.ACTIVE), (first.id, RoleState.ENDED)]  # fmt: skip


def test_an_operator_change_without_a_reason_is_refused(world: Roles) -> None:
    alice = world.join("alice")
    held = world.appoint(alice)
    with pytest.raises(InvalidInput):
        world.end(held.id, None, " ")


contenders = 20


def test_twenty_parallel_appointments_for_the_last_seat_make_one_holder(
    sql_store: SqlStore,
) -> None:
    world = Roles(sql_store)
    world.appoint(world.join("early"))
    hopefuls = [world.join(f"hopeful{i}") for i in range(contenders)]

    results = in_parallel([partial(world.appoint, m) for m in hopefuls])

    won = [r for r in results if isinstance(r, RoleHolding)]
    refused = [r for r in results if isinstance(r, RoleSeatsTaken)]
    assert (len(won), len(refused)) == (1, contenders - 1)
    with sql_store() as uow:
        assert uow.roles.holders("moderator") == 2
        assert len(uow.roles.page("moderator", None, (RoleState.ACTIVE,), None, 50)) == 2


def test_parallel_credits_of_one_mentee_count_once(sql_store: SqlStore) -> None:
    world = Roles(sql_store)
    mentor, mentee = world.join("mentor"), world.join("newbie", level=None)
    world.appoint(mentor, "mentor")
    world.pair(mentor, mentee)
    world.level(mentee, "regular")

    def credit() -> int:
        return roles.credit_mentors(sql_store(), ECONOMY, START + timedelta(days=1))[0]

    results = in_parallel([credit for _ in range(6)])

    assert sum(r for r in results if isinstance(r, int)) == 1
