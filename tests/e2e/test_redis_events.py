"""With HONORLOOP_REDIS_URL, two server processes' worth of apps share events: a member
subscribed on one server hears an activity recorded through the other. Needs
HONORLOOP_TEST_REDIS_URL (skipped otherwise; failed instead when HONORLOOP_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import get_args

import httpx
import pytest

from api.events import decode, encode
from domain import model
from domain.model import RedemptionStatus
from tests.e2e.conftest import REQUIRE_ENV, Api, e2e_settings, live_server
from tests.e2e.test_subscriptions import _first_message_after_acting, subscribed

REDIS_ENV = "HONORLOOP_TEST_REDIS_URL"
AT = datetime(2026, 11, 23, 10, tzinfo=UTC)


def _redis_url() -> str:
    url = os.environ.get(REDIS_ENV, "")
    if not url:
        reason = f"shared events need {REDIS_ENV} (e.g. redis://127.0.0.1:6379)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 forbids skipping", pytrace=False)
        pytest.skip(reason)
    return url


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Api]]:
    """Two servers over one database and one Redis, like two workers."""
    redis_url = _redis_url()
    directory = tmp_path_factory.mktemp("redis")
    database = f"sqlite:///{directory / 'shared.db'}"
    settings = e2e_settings(directory, database, redis_url=redis_url)
    with (
        live_server(settings) as first,
        live_server(settings) as second,
        httpx.Client(timeout=30) as client,
    ):
        yield Api(first.base_url, client), Api(second.base_url, client)


async def test_an_event_committed_on_one_server_reaches_a_subscriber_on_the_other(
    two_servers: tuple[Api, Api],
) -> None:
    listening, acting = two_servers
    alice = acting.register("alice")

    async with subscribed(listening, listening.member_token(alice)) as ws:
        message, activities = await _first_message_after_acting(acting, ws, alice)

    event = message["payload"]["data"]["memberEvents"]
    assert event["__typename"] == "PointsAwarded"
    assert event["activityId"] in activities


EVENTS: list[model.Event] = [
    model.PointsAwarded("m1", "act_1", 5, AT),
    model.PointsAdjusted("m1", -3, "fix", AT),
    model.LevelChanged("m1", "newcomer", "regular", AT, "promoted"),
    model.LevelWarning("m1", "regular", AT, AT),
    model.KocTierChanged("m1", None, "junior", AT),
    model.HonorGranted("m1", "mentor", None, AT),
    model.HonorRevoked("m1", "mentor", AT),
    model.RedemptionUpdated("m1", "red_1", RedemptionStatus.FULFILLED, AT),
    model.PointsExpired("m1", 7, AT),
    model.QuestProgressed("m1", "daily_warm_up", 739587, (1, 2), AT),
    model.QuestCompleted("m1", "daily_warm_up", 739587, True, 5, AT),
    model.TaskOffered("m1", "asg_1", "product_review", AT, AT),
    model.TaskReviewed("m1", "asg_1", "product_review", True, "good", 70, None, AT),
    model.ContestSettled("m1", "most_interactions", 24322, 1, 4200, 500, AT),
    model.RoleGranted("m1", "moderator", "rol_1", AT, 1, AT),
    model.RoleEnded("m1", "moderator", "rol_1", "term ended", AT),
    model.RoleFlagged("m1", "moderator", "rol_1", "needs level 'seasoned'", AT),
    model.MentorCredited("m1", "mentor", "m2", 3, AT),
    model.TeamFilled("m1", "frq_1", "team_buy", 50, AT),
    model.TeamExpired("m1", "frq_1", "team_buy", AT),
    model.HelpReceived("m1", "frq_2", "bargain", "m2", 1, 3, AT),
    model.HelpCompleted("m1", "frq_2", "bargain", 40, AT),
    model.MembershipStarted("m1", "fan_club", AT, AT),
    model.MembershipRenewed("m1", "fan_club", AT, AT),
    model.MembershipExpired("m1", "fan_club", AT, AT),
    model.ReferralQualified("m1", "m2", "held", 300, 100, AT),
    model.ReferralRewardDecided("m1", "m2", "confirmed", 300, AT),
    model.ApplicationReceived("m1", "product_trial", AT),
    model.SelectedForCampaign("m1", "product_trial", AT, AT),
    model.Waitlisted("m1", "product_trial", 3, AT),
    model.PlaceOffered("m1", "product_trial", AT, AT),
]


@pytest.mark.parametrize(
    "event",
    EVENTS,
    ids=lambda e: type(e).__name__,
)
def test_every_event_survives_the_trip_through_redis_unchanged(event: model.Event) -> None:
    assert decode(encode(event)) == event


def test_every_kind_of_event_has_a_trip_through_redis_spec() -> None:
    assert {type(e) for e in EVENTS} == set(get_args(model.Event))
