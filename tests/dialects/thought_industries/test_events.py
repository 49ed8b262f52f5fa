"""Thought Industries' event feed: the documented shape, its cursor, each filter."""

import datetime as dt

import pytest
from django.utils import timezone

from events.models import Event
from redemptions import services
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory

pytestmark = pytest.mark.django_db

URL = "/incoming/v2/events/redemptionCodeRedeem"


def redeem(group=None, user=None):
    return services.redeem(CodeFactory(group=group or CodeGroupFactory()).code,
                           user or UserFactory())


def feed(api, **params) -> dict:
    response = api.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()["data"]["APIEvents"]


def test_the_feed_answers_the_documented_shape(api, learner):
    group = CodeGroupFactory()
    redemption = redeem(group, learner)
    page = feed(api)
    assert page["pageInfo"] == {"perPage": 50, "cursor": None, "total": 1, "hasMore": False}
    [event] = page["events"]
    assert {"id", "kind", "createdAt", "userId", "notifiableId", "redemptionCode",
            "redemptionCodeGroupId"} <= event.keys()
    assert (event["kind"], event["userId"], event["notifiableId"],
            event["redemptionCodeGroupId"], event["redemptionCode"]) == (
        "redemptionCodeRedeem", str(learner.pk), str(group.pk), str(group.pk),
        redemption.code.display_code())
    assert event["createdAt"].endswith("Z")


def test_the_feed_lists_only_redemptions_unless_kind_asks_for_more(api):
    redeem()  # also writes entitlement events, which this feed leaves out
    assert [e["kind"] for e in feed(api)["events"]] == ["redemptionCodeRedeem"]


def test_the_cursor_walks_every_event_once_in_order(api):
    for _ in range(5):
        redeem()
    seen, cursor = [], None
    while True:
        page = feed(api, per_page=2, **({"cursor": cursor} if cursor else {}))
        seen += [e["id"] for e in page["events"]]
        cursor = page["pageInfo"]["cursor"]
        if not page["pageInfo"]["hasMore"]:
            break
    assert seen == [str(pk) for pk in Event.objects.filter(kind="code.redeemed")
                    .order_by("id").values_list("id", flat=True)]


def test_user_id_keeps_one_learners_events(api, learner):
    redeem(user=learner)
    redeem()
    assert [e["userId"] for e in feed(api, userId=str(learner.pk))["events"]] == [
        str(learner.pk)]


def test_notifiable_id_keeps_one_code_groups_events(api):
    group = CodeGroupFactory()
    redeem(group)
    redeem()
    assert [e["notifiableId"] for e in feed(api, notifiableId=str(group.pk))["events"]] == [
        str(group.pk)]


def test_start_and_end_date_bound_the_time(api):
    redeem()
    Event.objects.update(occurred_at=timezone.now() - dt.timedelta(days=3))
    redeem()
    yesterday = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert feed(api, startDate=yesterday)["pageInfo"]["total"] == 1
    assert feed(api, endDate=yesterday)["pageInfo"]["total"] == 1


def test_kind_picks_the_rollbacks(api):
    redemption = redeem()
    services.rollback(redemption, "refund")
    assert [e["kind"] for e in feed(api, kind="redemptionCodeRollback")["events"]] == [
        "redemptionCodeRollback"]
    assert feed(api, kind="redemptionCodeRedeem,redemptionCodeRollback")["pageInfo"][
        "total"] == 2


@pytest.mark.parametrize("params", [{"kind": "seatAssigned"}, {"startDate": "soon"},
                                    {"userId": "nobody"}, {"cursor": "garbage!"}])
def test_bad_parameters_are_a_400_in_the_dialects_envelope(api, params):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert isinstance(response.json()["errors"], list)


def test_the_feed_needs_credentials(anon):
    assert anon.get(URL).status_code == 401


def test_a_learner_may_not_read_the_feed(learner):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(learner)
    assert client.get(URL).status_code == 403
