"""Campaign selection as specifications: eligibility, the four orders, quotas, the seeded
lottery reproducible from its audit record, and waitlist promotion."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.campaigns import (
    Applicant,
    Eligibility,
    Ineligible,
    Room,
    SelectionMethod,
    Weights,
    applicants_digest,
    audit_from_json,
    audit_json,
    check_motivation,
    commitment,
    ineligibility,
    next_offer,
    next_offers,
    seed_matches,
    select,
    verify,
)
from domain.errors import InvalidInput

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SEED = "seed-committed-at-opening-0001"


def applicant(member_id: str, minutes: int = 0, **kw: Any) -> Applicant:
    return Applicant(member_id=member_id, applied_at=T0 + timedelta(minutes=minutes), **kw)


def crowd(n: int) -> list[Applicant]:
    return [applicant(f"m{i:03d}", minutes=i) for i in range(n)]


def test_a_member_below_the_minimum_level_may_not_apply() -> None:
    rules = Eligibility(level_rank_min=2)
    assert ineligibility(rules, applicant("a", level_rank=1), T0) is Ineligible.LEVEL_TOO_LOW
    assert ineligibility(rules, applicant("a", level_rank=2), T0) is None


def test_a_member_outside_the_koc_tiers_or_without_the_honors_may_not_apply() -> None:
    rules = Eligibility(koc_tiers=frozenset({"gold"}), honors=frozenset({"reviewer"}))
    assert ineligibility(rules, applicant("a"), T0) is Ineligible.KOC_TIER_MISSING
    gold = applicant("a", koc_tier="gold")
    assert ineligibility(rules, gold, T0) is Ineligible.HONOR_MISSING
    honored = applicant("a", koc_tier="gold", honors=frozenset({"reviewer", "x"}))
    assert ineligibility(rules, honored, T0) is None


def test_a_recent_winner_is_excluded_until_the_cooldown_has_passed() -> None:
    rules = Eligibility(cooldown_days=30)
    winner = applicant("a", last_selected_at=T0 - timedelta(days=29))
    assert ineligibility(rules, winner, T0) is Ineligible.RECENTLY_SELECTED
    assert ineligibility(rules, winner, T0 + timedelta(days=1)) is None


def test_first_come_takes_the_earliest_applications() -> None:
    picked = select(SelectionMethod.FIRST_COME, list(reversed(crowd(5))), 2)
    assert picked.chosen == ("m000", "m001")
    assert picked.waitlist == ("m002", "m003", "m004")
    assert picked.seed is None


def test_first_come_ties_on_time_go_by_member_id() -> None:
    picked = select(SelectionMethod.FIRST_COME, [applicant("b"), applicant("a")], 1)
    assert picked.chosen == ("a",)


def test_the_lottery_is_reproducible_from_its_audit_record() -> None:
    people = crowd(50)
    record = select(SelectionMethod.LOTTERY, people, 5, seed=SEED)
    assert record.seed == SEED
    assert len(record.chosen) == 5
    assert len(record.waitlist) == 45
    assert verify(record, list(reversed(people)), 5)


def test_a_different_seed_draws_differently() -> None:
    people = crowd(50)
    one = select(SelectionMethod.LOTTERY, people, 5, seed=SEED)
    other = select(SelectionMethod.LOTTERY, people, 5, seed=SEED + "x")
    assert one.chosen != other.chosen


def test_a_tampered_record_fails_verification() -> None:
    people = crowd(20)
    record = select(SelectionMethod.LOTTERY, people, 3, seed=SEED)
    swapped = record.waitlist[0]
    forged = type(record)(
        method=record.method,
        seed=record.seed,
        applicants_digest=record.applicants_digest,
        scores=record.scores,
        chosen=(swapped, *record.chosen[1:]),
        waitlist=(record.chosen[0], *record.waitlist[1:]),
    )
    assert not verify(forged, people, 3)
    assert not verify(record, people[:-1], 3)  # an applicant dropped changes the digest


def test_the_lottery_is_not_just_the_application_order() -> None:
    record = select(SelectionMethod.LOTTERY, crowd(50), 5, seed=SEED)
    assert record.chosen != ("m000", "m001", "m002", "m003", "m004")


def test_a_lottery_without_a_long_enough_seed_is_refused() -> None:
    with pytest.raises(InvalidInput):
        select(SelectionMethod.LOTTERY, crowd(3), 1)
    with pytest.raises(InvalidInput):
        select(SelectionMethod.LOTTERY, crowd(3), 1, seed="short")


def test_the_commitment_matches_only_its_seed() -> None:
    published = commitment(SEED)
    assert seed_matches(SEED, published)
    assert not seed_matches(SEED + "x", published)


def test_ranked_selection_orders_by_declared_score() -> None:
    weights = Weights(note_interactions=1, task_approval_percent=2, level_rank=10)
    people = [
        applicant("a", note_interactions=5),  # 5
        applicant("b", tasks_approved=1, tasks_reviewed=2, minutes=1),  # 100
        applicant("c", level_rank=3, minutes=2),  # 30
    ]
    record = select(SelectionMethod.RANKED, people, 2, weights=weights)
    assert record.chosen == ("b", "c")
    assert record.scores == {"a": 5, "b": 100, "c": 30}
    assert verify(record, people, 2, weights=weights)


def test_ranked_ties_go_to_the_earlier_application_then_member_id() -> None:
    weights = Weights(level_rank=1)
    people = [
        applicant("z", level_rank=1, minutes=0),
        applicant("b", level_rank=1, minutes=5),
        applicant("a", level_rank=1, minutes=5),
    ]
    record = select(SelectionMethod.RANKED, people, 3, weights=weights)
    assert record.chosen == ("z", "a", "b")


def test_quotas_cap_a_level_and_pass_the_place_to_the_next_group() -> None:
    people = [
        applicant("a", minutes=0, level_id="newcomer"),
        applicant("b", minutes=1, level_id="newcomer"),
        applicant("c", minutes=2, level_id="expert", koc_tier="gold"),
        applicant("d", minutes=3, level_id="expert", koc_tier="gold"),
    ]
    record = select(
        SelectionMethod.FIRST_COME,
        people,
        3,
        level_quotas={"newcomer": 1},
        koc_quotas={"gold": 1},
    )
    assert record.chosen == ("a", "c")
    assert record.waitlist == ("b", "d")


def test_the_operator_chooses_in_the_order_given_and_the_rest_wait() -> None:
    people = crowd(4)
    record = select(SelectionMethod.OPERATOR, people, 2, operator_order=["m003", "m001"])
    assert record.chosen == ("m003", "m001")
    assert record.waitlist == ("m000", "m002")
    assert verify(record, people, 2, operator_order=["m003", "m001"])


def test_the_operator_may_not_choose_someone_who_did_not_apply_or_twice() -> None:
    with pytest.raises(InvalidInput):
        select(SelectionMethod.OPERATOR, crowd(2), 1, operator_order=["stranger"])
    with pytest.raises(InvalidInput):
        select(SelectionMethod.OPERATOR, crowd(2), 1, operator_order=["m000", "m000"])


def test_a_declined_or_lapsed_place_goes_to_the_next_on_the_waitlist_in_order() -> None:
    waitlist = ("w1", "w2", "w3")
    assert next_offer(waitlist, frozenset()) == "w1"
    assert next_offer(waitlist, frozenset({"w1"})) == "w2"
    assert next_offer(waitlist, frozenset({"w1", "w2", "w3"})) is None


def test_the_next_offer_skips_those_whose_quota_has_no_room_counting_the_places_held() -> None:
    groups = {"w1": ("regular", "gold"), "w2": ("regular", None), "w3": ("legend", None)}
    held = [("regular", None), ("legend", "gold")]  # confirmed or offered, as selected
    room = Room.of({"regular": 2}, {"gold": 1}, held)

    assert next_offer(("w1", "w2", "w3"), frozenset(), groups=groups, room=room) == "w2"
    room.take(groups["w2"])
    assert next_offer(("w1", "w2", "w3"), frozenset({"w2"}), groups=groups, room=room) == "w3"
    room.take(groups["w3"])
    assert next_offer(("w1", "w2", "w3"), frozenset({"w2", "w3"}), groups=groups, room=room) is (
        None
    )


def test_free_places_are_offered_in_one_pass_each_to_the_next_who_fits() -> None:
    waitlist = ("w1", "w2", "w3", "w4", "w5")
    groups = {m: ("regular" if m in {"w1", "w2", "w4"} else "legend", None) for m in waitlist}
    room = Room.of({"regular": 1})

    offered = next_offers(waitlist, {"w1", "w2", "w3", "w4"}, 3, groups=groups, room=room)

    assert offered == ["w1", "w3"]  # w2 and w4 are over the regular quota; w5 not waiting
    assert next_offers(waitlist, set(waitlist), 2) == ["w1", "w2"]  # no quotas: in order


def test_the_selection_and_later_offers_count_quotas_alike() -> None:
    room = Room.of({"newcomer": 1}, {"gold": 1})
    assert room.fits(("newcomer", None))
    assert room.fits(("expert", "gold"))
    room.take(("newcomer", "gold"))
    assert not room.fits(("newcomer", None))
    assert not room.fits(("expert", "gold"))
    assert room.fits(("expert", "silver"))  # no quota on silver or expert: no cap


def test_the_digest_does_not_depend_on_the_order_applications_come_back_in() -> None:
    people = crowd(10)
    assert applicants_digest(people) == applicants_digest(list(reversed(people)))
    assert applicants_digest(people) != applicants_digest(people[:-1])


def test_never_more_chosen_than_places() -> None:
    record = select(SelectionMethod.LOTTERY, crowd(30), 7, seed=SEED)
    assert len(record.chosen) == 7
    assert set(record.chosen).isdisjoint(record.waitlist)
    assert set(record.chosen) | set(record.waitlist) == {f"m{i:03d}" for i in range(30)}


def test_a_too_long_motivation_is_refused() -> None:
    assert check_motivation("  I review gear  ") == "I review gear"
    with pytest.raises(InvalidInput):
        check_motivation("x" * 2_001)


def test_the_audit_record_survives_a_json_round_trip_and_still_verifies() -> None:
    people = crowd(12)
    record = select(SelectionMethod.LOTTERY, people, 4, seed=SEED)
    again = audit_from_json(audit_json(record))
    assert again == record
    assert verify(again, people, 4)


@pytest.mark.parametrize("text", ["", "[]", '{"method": "dice"}', '{"method": "lottery"}'])
def test_a_malformed_audit_record_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        audit_from_json(text)


def test_the_digest_does_not_depend_on_the_zone_a_store_returns_times_in() -> None:
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    people = [Applicant(f"m{i}", datetime(2026, 3, 2, 10, i, tzinfo=UTC)) for i in range(3)]
    shanghai = [replace(a, applied_at=a.applied_at.astimezone(ZoneInfo("Asia/Shanghai")))
                for a in people]  # fmt: skip
    assert applicants_digest(people) == applicants_digest(shanghai)
