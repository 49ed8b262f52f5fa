"""The outbox: every state change writes its event in its own transaction, so an event
exists exactly when the change committed; a worker's fan-out then makes a delivery for each
subscribed endpoint."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import ItemKind
from catalog.services import grant_entitlement, revoke_entitlement
from coupons import services as coupons
from events import services as events_services
from events.models import Delivery, DeliveryStatus, Event, EventKind
from licensing import services as licensing
from redemptions import services as redemptions
from redemptions.codes import Alphabet
from redemptions.errors import CodeUsedUp
from tests.coupons.factories import CouponFactory, CouponUsageFactory, SessionFactory
from tests.events.factories import WebhookEndpointFactory
from tests.factories import CatalogItemFactory, UserFactory
from tests.licensing.factories import LicenseFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def kinds() -> list[str]:
    return list(Event.objects.order_by("id").values_list("kind", flat=True))


def test_a_redemption_writes_one_code_redeemed_event_naming_the_learner_and_group(learner):
    group = CodeGroupFactory()
    code = CodeFactory(group=group)
    redemption = redemptions.redeem(code.code, learner)
    event = Event.objects.get(kind=EventKind.CODE_REDEEMED)
    assert (event.user, event.object_type, event.object_id, event.group_id) == (
        learner, "redemption", str(redemption.pk), group.pk)
    assert event.data["code"] == code.display_code()
    assert event.data["entitlements"] == [str(e.pk) for e in redemption.entitlements]


def test_a_redemption_also_writes_the_grants_it_made(learner):
    code = CodeFactory(offer=OfferFactory(items=[CatalogItemFactory(), CatalogItemFactory()]))
    redemptions.redeem(code.code, learner)
    assert sorted(kinds()) == sorted([EventKind.ENTITLEMENT_GRANTED] * 2
                                     + [EventKind.CODE_REDEEMED])


def test_a_refused_redemption_writes_no_event(learner):
    code = CodeFactory(max_redemptions=1)
    redemptions.redeem(code.code, UserFactory())
    before = Event.objects.count()
    with pytest.raises(CodeUsedUp):
        redemptions.redeem(code.code, learner)
    assert Event.objects.count() == before


def test_a_rolled_back_transaction_leaves_neither_event_nor_delivery(learner):
    WebhookEndpointFactory()
    code = CodeFactory()
    with pytest.raises(Boom), transaction.atomic():
        redemptions.redeem(code.code, learner)
        assert Event.objects.filter(kind=EventKind.CODE_REDEEMED).exists()
        raise Boom
    assert not Event.objects.exists()
    assert not Delivery.objects.exists()


def test_each_active_endpoint_that_wants_the_kind_gets_one_delivery(learner):
    every = WebhookEndpointFactory()
    redeemed_only = WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED])
    WebhookEndpointFactory(kinds=[EventKind.SEAT_ASSIGNED])
    WebhookEndpointFactory(is_active=False)
    redemptions.redeem(CodeFactory().code, learner)
    events_services.fan_out()
    redeemed = Event.objects.get(kind=EventKind.CODE_REDEEMED)
    assert {d.endpoint for d in redeemed.deliveries.all()} == {every, redeemed_only}
    granted = Event.objects.get(kind=EventKind.ENTITLEMENT_GRANTED)
    assert {d.endpoint for d in granted.deliveries.all()} == {every}


def test_a_delivery_starts_pending_and_due_when_its_event_occurred(learner):
    WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED])
    redemptions.redeem(CodeFactory().code, learner)
    events_services.fan_out()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.leased_until, delivery.last_error) == (
        DeliveryStatus.PENDING, 0, None, "")
    assert delivery.next_attempt_at == delivery.event.occurred_at
    assert delivery.created_at is not None and delivery.updated_at is not None


def test_an_events_deliveries_follow_the_endpoints_in_the_order_they_were_made(learner):
    first, second = WebhookEndpointFactory(), WebhookEndpointFactory()
    redemptions.redeem(CodeFactory().code, learner)
    events_services.fan_out()
    made = Delivery.objects.filter(event__kind=EventKind.CODE_REDEEMED).order_by("id")
    assert [d.endpoint for d in made] == sorted([first, second],
                                                key=lambda e: (e.created_at, e.pk))


def test_subscribers_cost_a_redemption_no_statement_and_no_delivery_row(learner):
    # The endpoints are read with or without subscribers (sent with the redemption's writes)
    # and the event's mark goes in its INSERT: the deliveries are the workers' to make.
    codes, other = [CodeFactory().code for _ in range(4)], UserFactory()
    redemptions.redeem(codes[0], other)  # warm
    with CaptureQueriesContext(connection) as without:
        redemptions.redeem(codes[1], other)
    WebhookEndpointFactory(), WebhookEndpointFactory()
    redemptions.redeem(codes[2], other)  # the first after a change of endpoints corrects marks
    with CaptureQueriesContext(connection) as hooked:
        redemptions.redeem(codes[3], learner)
    assert len(hooked) == len(without)
    assert not any("events_delivery" in q["sql"] for q in [*hooked, *without])
    assert not Delivery.objects.exists()
    assert events_services.fan_out() == 2 * 2  # code.redeemed and entitlement.granted, twice
    assert Delivery.objects.count() == 2 * 2 * 2  # each to both endpoints


def test_the_workers_are_nudged_only_once_the_change_commits(learner, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    # Run the commit callbacks by hand (the metrics count on commit too): the workers are
    # nudged by exactly one of them, and not before.
    WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED])
    queued = []
    monkeypatch.setattr(events_services, "nudge", lambda: queued.append(True))
    with django_capture_on_commit_callbacks() as callbacks:
        redemptions.redeem(CodeFactory().code, learner)
    assert queued == []
    for callback in callbacks:
        callback()
    assert len(queued) == 1


def test_event_ids_grow_with_each_change(learner):
    for _ in range(3):
        redemptions.redeem(CodeFactory().code, UserFactory())
    ids = list(Event.objects.filter(kind=EventKind.CODE_REDEEMED).values_list("id", flat=True))
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_a_rollback_writes_its_event_and_the_revocations(learner):
    redemption = redemptions.redeem(CodeFactory().code, learner)
    redemptions.rollback(redemption, "refund")
    event = Event.objects.get(kind=EventKind.REDEMPTION_ROLLED_BACK)
    assert event.data["rolled_back_reason"] == "refund"
    assert Event.objects.filter(kind=EventKind.ENTITLEMENT_REVOKED, user=learner).count() == 1


def test_seats_write_assigned_revoked_and_the_license_full_when_the_last_one_goes(learner):
    license = LicenseFactory(seats_limit=2)
    seat = licensing.assign_seat(license=license, user=learner)
    assert kinds() == [EventKind.SEAT_ASSIGNED]
    licensing.assign_seat(license=license, user=UserFactory())
    assert kinds()[1:] == [EventKind.SEAT_ASSIGNED, EventKind.LICENSE_FULL]
    licensing.revoke_seat(seat=seat)
    assert kinds()[3:] == [EventKind.SEAT_REVOKED]
    assert Event.objects.get(kind=EventKind.LICENSE_FULL).object_id == str(license.pk)


def test_a_parent_license_filled_through_its_child_is_full_too(learner):
    parent = LicenseFactory(seats_limit=1)
    child = LicenseFactory(parent=parent)
    licensing.assign_seat(license=child, user=learner)
    full = Event.objects.get(kind=EventKind.LICENSE_FULL)
    assert full.object_id == str(parent.pk)


def test_a_coupon_applied_and_approved_writes_each_step_and_the_grant(learner, staff_user):
    coupon = CouponFactory(require_approval=True)
    usage = coupons.apply_coupon(coupon=coupon, user=learner, item=SessionFactory())
    coupons.approve_usage(usage=usage, by=staff_user)
    assert kinds() == [EventKind.COUPON_APPLIED, EventKind.ENTITLEMENT_GRANTED,
                       EventKind.COUPON_USAGE_APPROVED]


def test_a_rejected_coupon_usage_is_an_event(staff_user):
    usage = CouponUsageFactory()
    coupons.reject_usage(usage=usage, by=staff_user, reason="no")
    event = Event.objects.get()
    assert (event.kind, event.user, event.data["reason"]) == (
        EventKind.COUPON_USAGE_REJECTED, usage.user, "no")


def test_a_manual_grant_and_its_revocation_are_events(learner):
    grant = grant_entitlement(user=learner, item=CatalogItemFactory(kind=ItemKind.COURSE))
    revoke_entitlement(grant, reason="mistake")
    revoke_entitlement(grant, reason="again")  # changes nothing, so no second event
    assert kinds() == [EventKind.ENTITLEMENT_GRANTED, EventKind.ENTITLEMENT_REVOKED]
    assert Event.objects.last().data["revoked_reason"] == "mistake"


def test_a_generated_code_group_is_an_event_naming_itself_as_the_group():
    group = redemptions.create_code_group(offer=OfferFactory(), label="Spring", count=3,
                                          code_length=10, alphabet=Alphabet.UNAMBIGUOUS)
    event = Event.objects.get(kind=EventKind.CODE_GROUP_CREATED)
    assert (event.object_id, event.group_id, event.data["total_codes_count"]) == (
        str(group.pk), group.pk, 3)
