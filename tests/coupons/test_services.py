"""Coupon rules: what each entity type serves, validity, approval and what a use grants."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Membership
from catalog.models import Entitlement, ItemKind
from core.codes import Alphabet
from coupons import services
from coupons.errors import (
    AmountNotApplicable,
    AmountRequired,
    CouponConflict,
    CouponInvalid,
    CouponNotAllowed,
    CouponRefused,
    PercentNotApplicable,
    PercentRequired,
    UnknownEntityType,
)
from coupons.models import (
    Coupon,
    CouponStatus,
    CouponType,
    CouponUsage,
    EntityType,
    GroupOffering,
    UsageStatus,
)
from coupons.selectors import served_items, serves
from tests.coupons.factories import CouponFactory, GroupOfferingFactory, SessionFactory
from tests.factories import (
    CatalogItemFactory,
    LearnerGroupFactory,
    MembershipFactory,
    UserFactory,
)

NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return SessionFactory(price_cents=4900)


def _refusal(exc_info):
    return exc_info.value.code


# --- what each entity type serves ---------------------------------------------------------

def test_a_site_coupon_serves_paid_items_not_excluded_ones():
    paid = CatalogItemFactory(price_cents=100)
    free = CatalogItemFactory(price_cents=0)
    excluded = CatalogItemFactory(price_cents=100, excluded_from_site_coupons=True)
    inactive = CatalogItemFactory(price_cents=100, is_active=False)
    coupon = CouponFactory(entity_type=EntityType.SITE)
    assert [serves(coupon, i) for i in (paid, free, excluded, inactive)] == [
        True, False, False, False]
    assert set(served_items(coupon)) == {paid}


def test_a_program_session_coupon_serves_it_and_its_course_sessions():
    part = SessionFactory()
    other = SessionFactory()
    event = CatalogItemFactory(kind=ItemKind.EVENT)
    program = CatalogItemFactory(kind=ItemKind.PROGRAM_SESSION, includes=[part, event])
    coupon = CouponFactory(entity_type=EntityType.PROGRAM_SESSION, item=program)
    assert [serves(coupon, i) for i in (program, part, other, event)] == [
        True, True, False, False]
    assert set(served_items(coupon)) == {program, part}


@pytest.mark.parametrize("entity_type", [EntityType.COURSE_SESSION, EntityType.EVENT])
def test_a_course_session_or_event_coupon_serves_that_item_only(entity_type):
    kind = ItemKind.COURSE_SESSION if entity_type == EntityType.COURSE_SESSION else ItemKind.EVENT
    target = CatalogItemFactory(kind=kind)
    other = CatalogItemFactory(kind=kind)
    coupon = CouponFactory(entity_type=entity_type, item=target)
    assert serves(coupon, target) and not serves(coupon, other)
    assert list(served_items(coupon)) == [target]


def test_a_group_coupon_serves_what_the_group_offers_and_what_that_includes():
    group = LearnerGroupFactory()
    part = SessionFactory()
    program = CatalogItemFactory(kind=ItemKind.PROGRAM_SESSION, includes=[part])
    GroupOfferingFactory(group=group, item=program)
    offered_elsewhere = GroupOfferingFactory().item
    coupon = CouponFactory(entity_type=EntityType.GROUP, group=group)
    assert serves(coupon, program) and serves(coupon, part)
    assert not serves(coupon, offered_elsewhere)
    assert set(served_items(coupon)) == {program, part}


def test_a_coupon_is_refused_for_an_item_it_does_not_serve(learner, session):
    coupon = CouponFactory(entity_type=EntityType.EVENT,
                           item=CatalogItemFactory(kind=ItemKind.EVENT))
    with pytest.raises(CouponRefused) as err:
        services.apply_coupon(coupon=coupon, user=learner, item=session)
    assert _refusal(err) == "coupon_not_for_item"
    assert not CouponUsage.objects.exists()


# --- validity ------------------------------------------------------------------------------

def test_an_inactive_coupon_is_refused(learner, session):
    coupon = CouponFactory(status=CouponStatus.INACTIVE)
    with pytest.raises(CouponRefused) as err:
        services.quote(coupon=coupon, user=learner, item=session)
    assert _refusal(err) == "coupon_inactive"


def test_a_coupon_is_usable_from_the_very_start_instant(learner, session):
    coupon = CouponFactory(start_date=NOW, exp_date=NOW + dt.timedelta(days=1))
    assert services.quote(coupon=coupon, user=learner, item=session, at=NOW).discount_cents == 4900


def test_a_coupon_is_refused_just_before_its_start(learner, session):
    coupon = CouponFactory(start_date=NOW)
    with pytest.raises(CouponRefused) as err:
        services.quote(coupon=coupon, user=learner, item=session,
                       at=NOW - dt.timedelta(microseconds=1))
    assert _refusal(err) == "coupon_not_started"


def test_a_coupon_is_usable_until_just_before_its_expiry(learner, session):
    coupon = CouponFactory(exp_date=NOW)
    usage = services.apply_coupon(coupon=coupon, user=learner, item=session,
                                  at=NOW - dt.timedelta(microseconds=1))
    assert usage.status == UsageStatus.APPROVED


def test_a_coupon_is_expired_at_its_expiry_instant(learner, session):
    coupon = CouponFactory(exp_date=NOW)
    with pytest.raises(CouponRefused) as err:
        services.apply_coupon(coupon=coupon, user=learner, item=session, at=NOW)
    assert _refusal(err) == "coupon_expired"
    assert not CouponUsage.objects.exists()


def test_value_count_counts_pending_and_approved_uses_not_rejected_ones(session, staff_user):
    coupon = CouponFactory(value_count=2, require_approval=True)
    first = services.apply_coupon(coupon=coupon, user=UserFactory(), item=session)
    services.apply_coupon(coupon=coupon, user=UserFactory(), item=session)
    with pytest.raises(CouponRefused) as err:
        services.apply_coupon(coupon=coupon, user=UserFactory(), item=session)
    assert _refusal(err) == "coupon_used_up"
    services.reject_usage(usage=first, by=staff_user, reason="not eligible")
    assert services.apply_coupon(coupon=coupon, user=UserFactory(), item=session).pk


def test_a_learner_uses_a_coupon_once_per_item(learner, session):
    coupon = CouponFactory()
    services.apply_coupon(coupon=coupon, user=learner, item=session)
    with pytest.raises(CouponConflict) as err:
        services.apply_coupon(coupon=coupon, user=learner, item=session)
    assert err.value.http_status == 409
    assert services.apply_coupon(coupon=coupon, user=learner, item=SessionFactory()).pk


def test_a_non_member_of_the_owner_group_is_refused(learner, session):
    coupon = CouponFactory(owner_group=LearnerGroupFactory())
    with pytest.raises(CouponRefused) as err:
        services.apply_coupon(coupon=coupon, user=learner, item=session)
    assert _refusal(err) == "not_in_coupon_group"


def test_an_expired_membership_does_not_count(learner, session):
    group = LearnerGroupFactory()
    MembershipFactory(user=learner, group=group, expires_at=timezone.now() - dt.timedelta(days=1))
    coupon = CouponFactory(owner_group=group)
    with pytest.raises(CouponRefused):
        services.apply_coupon(coupon=coupon, user=learner, item=session)


def test_a_member_of_the_owner_group_may_use_it(learner, session):
    group = LearnerGroupFactory()
    MembershipFactory(user=learner, group=group)
    coupon = CouponFactory(owner_group=group)
    assert services.apply_coupon(coupon=coupon, user=learner, item=session).pk


def test_add_user_to_coupons_group_lets_a_non_member_in_and_adds_them(learner, session):
    group = LearnerGroupFactory()
    coupon = CouponFactory(owner_group=group, add_user_to_coupons_group=True)
    services.apply_coupon(coupon=coupon, user=learner, item=session)
    membership = Membership.objects.get(user=learner, group=group)
    assert membership.expires_at is None and not membership.is_admin


def test_set_membership_expiration_sets_the_expiry_to_the_coupons(learner, session):
    group = LearnerGroupFactory()
    MembershipFactory(user=learner, group=group, is_admin=True)
    exp = timezone.now() + dt.timedelta(days=30)
    coupon = CouponFactory(owner_group=group, set_membership_expiration=True, exp_date=exp)
    services.apply_coupon(coupon=coupon, user=learner, item=session)
    membership = Membership.objects.get(user=learner, group=group)
    assert membership.expires_at == exp and membership.is_admin


def test_without_set_membership_expiration_an_existing_expiry_is_kept(learner, session):
    group = LearnerGroupFactory()
    later = timezone.now() + dt.timedelta(days=90)
    MembershipFactory(user=learner, group=group, expires_at=later)
    coupon = CouponFactory(owner_group=group, add_user_to_coupons_group=True,
                           exp_date=timezone.now() + dt.timedelta(days=30))
    services.apply_coupon(coupon=coupon, user=learner, item=session)
    assert Membership.objects.get(user=learner, group=group).expires_at == later


# --- discounts through the service --------------------------------------------------------

def test_quote_changes_nothing(learner, session):
    coupon = CouponFactory(type=CouponType.PERCENT, value_percent=Decimal("12.5"))
    quote = services.quote(coupon=coupon, user=learner, item=session)
    assert (quote.price_cents, quote.discount_cents, quote.final_price_cents) == (4900, 613, 4287)
    assert not CouponUsage.objects.exists() and not Entitlement.objects.exists()


def test_an_amount_coupon_records_price_discount_and_final_price(learner, session):
    coupon = CouponFactory(type=CouponType.AMOUNT, value_amount_cents=10_000)
    usage = services.apply_coupon(coupon=coupon, user=learner, item=session)
    assert (usage.price_cents, usage.discount_cents, usage.final_price_cents) == (4900, 4900, 0)


def test_a_total_amount_balance_is_drawn_down_across_uses(session):
    coupon = CouponFactory(type=CouponType.TOTAL_AMOUNT, value_amount_cents=6000)
    first = services.apply_coupon(coupon=coupon, user=UserFactory(), item=session)
    second = services.apply_coupon(coupon=coupon, user=UserFactory(), item=session)
    assert (first.discount_cents, second.discount_cents) == (4900, 1100)
    assert second.final_price_cents == 3800
    with pytest.raises(CouponRefused) as err:
        services.apply_coupon(coupon=coupon, user=UserFactory(), item=session)
    assert _refusal(err) == "coupon_balance_spent"


# --- what a use grants, and approval -------------------------------------------------------

def test_a_use_without_approval_grants_access_at_once(learner, session):
    usage = services.apply_coupon(coupon=CouponFactory(), user=learner, item=session)
    grant = Entitlement.objects.get(user=learner, item=session)
    assert (grant.source, grant.source_ref) == ("coupon", str(usage.pk))
    assert grant.expires_at is None and not grant.preview_only


def test_preview_access_only_grants_a_short_preview(learner, session):
    coupon = CouponFactory(preview_access_only=True)
    services.apply_coupon(coupon=coupon, user=learner, item=session, at=NOW)
    grant = Entitlement.objects.get(user=learner, item=session)
    assert grant.preview_only
    assert grant.expires_at == NOW + dt.timedelta(days=services.PREVIEW_DAYS)


def test_a_use_needing_approval_is_pending_and_grants_nothing_yet(learner, session):
    group = LearnerGroupFactory()
    coupon = CouponFactory(require_approval=True, owner_group=group,
                           add_user_to_coupons_group=True)
    usage = services.apply_coupon(coupon=coupon, user=learner, item=session)
    assert usage.status == UsageStatus.PENDING
    assert not Entitlement.objects.exists()
    assert not Membership.objects.filter(user=learner, group=group).exists()


def test_an_owner_group_admin_approves_and_the_learner_gets_access_and_membership(
        learner, session):
    group = LearnerGroupFactory()
    admin = MembershipFactory(group=group, is_admin=True).user
    coupon = CouponFactory(require_approval=True, owner_group=group,
                           add_user_to_coupons_group=True)
    usage = services.apply_coupon(coupon=coupon, user=learner, item=session)
    approved = services.approve_usage(usage=usage, by=admin)
    assert approved.status == UsageStatus.APPROVED and approved.decided_by == admin.email
    assert Entitlement.objects.from_source("coupon", usage.pk).get().user == learner
    assert Membership.objects.filter(user=learner, group=group).exists()


def test_a_plain_member_of_the_owner_group_cannot_approve(learner, session):
    group = LearnerGroupFactory()
    member = MembershipFactory(group=group).user
    MembershipFactory(user=learner, group=group)
    usage = services.apply_coupon(coupon=CouponFactory(require_approval=True, owner_group=group),
                                  user=learner, item=session)
    with pytest.raises(CouponNotAllowed):
        services.approve_usage(usage=usage, by=member)
    assert CouponUsage.objects.get(pk=usage.pk).status == UsageStatus.PENDING


def test_a_decided_usage_cannot_be_decided_again(learner, session, staff_user):
    usage = services.apply_coupon(coupon=CouponFactory(require_approval=True), user=learner,
                                  item=session)
    services.approve_usage(usage=usage, by=staff_user)
    with pytest.raises(CouponConflict) as err:
        services.reject_usage(usage=usage, by=staff_user)
    assert _refusal(err) == "usage_not_pending"
    assert Entitlement.objects.count() == 1


def test_rejection_grants_nothing(learner, session, staff_user):
    usage = services.apply_coupon(coupon=CouponFactory(require_approval=True), user=learner,
                                  item=session)
    rejected = services.reject_usage(usage=usage, by=staff_user, reason="Wrong company")
    assert (rejected.status, rejected.reason) == (UsageStatus.REJECTED, "Wrong company")
    assert not Entitlement.objects.exists()


# --- terms, update, delete -----------------------------------------------------------------

@pytest.mark.parametrize(("fields", "field"), [
    ({"type": CouponType.AMOUNT}, "value_amount_cents"),
    ({"type": CouponType.PERCENT, "value_percent": Decimal("100.01")}, "value_percent"),
    ({"type": CouponType.USAGE, "value_percent": Decimal(10)}, "value_percent"),
    ({"exp_date": NOW, "start_date": NOW}, "exp_date"),
    ({"entity_type": EntityType.GROUP}, "group"),
    ({"entity_type": "COURSE"}, "entity_type"),
])
def test_terms_that_do_not_hold_together_are_refused(fields, field):
    base = {"type": CouponType.USAGE, "entity_type": EntityType.SITE}
    with pytest.raises(CouponInvalid) as err:
        services.create_coupon(**{**base, **fields})
    assert err.value.field == field
    assert not Coupon.objects.exists()


def test_an_item_of_the_wrong_kind_is_refused_for_its_entity_type():
    with pytest.raises(CouponInvalid):
        services.create_coupon(type=CouponType.USAGE, entity_type=EntityType.EVENT,
                               item=SessionFactory())


def test_a_code_is_generated_when_none_is_given_and_codes_are_unique_in_any_case():
    generated = services.create_coupon(type=CouponType.USAGE, entity_type=EntityType.SITE)
    assert len(generated.code) == services.CODE_LENGTH
    services.create_coupon(code="partner1-free", type=CouponType.USAGE,
                           entity_type=EntityType.SITE)
    with pytest.raises(CouponConflict):
        services.create_coupon(code="PARTNER1-FREE", type=CouponType.USAGE,
                               entity_type=EntityType.SITE)


def test_a_generated_code_is_drawn_from_the_shared_unambiguous_alphabet():
    generated = services.create_coupon(type=CouponType.USAGE, entity_type=EntityType.SITE)
    assert set(generated.code) <= set(Alphabet.UNAMBIGUOUS.characters)


def test_a_generated_code_already_taken_is_drawn_again_by_the_unique_constraint(monkeypatch):
    CouponFactory(code="TAKENCODE1")
    draws = iter(["TAKENCODE1", "FRESHCODE2"])
    monkeypatch.setattr(services, "generate_code", lambda: next(draws))
    coupon = services.create_coupon(type=CouponType.USAGE, entity_type=EntityType.SITE)
    assert coupon.code == "FRESHCODE2"
    assert Coupon.objects.filter(code__in=["TAKENCODE1", "FRESHCODE2"]).count() == 2


def test_value_count_cannot_go_below_the_uses_so_far(session):
    coupon = CouponFactory(value_count=5)
    for _ in range(2):
        services.apply_coupon(coupon=coupon, user=UserFactory(), item=session)
    with pytest.raises(CouponRefused) as err:
        services.update_coupon(coupon, value_count=1)
    assert _refusal(err) == "value_count_below_uses"
    assert services.update_coupon(coupon, value_count=2).value_count == 2


def test_a_used_coupon_cannot_be_deleted_but_an_unused_one_can(learner, session):
    used = CouponFactory()
    services.apply_coupon(coupon=used, user=learner, item=session)
    with pytest.raises(CouponConflict) as err:
        services.delete_coupon(used)
    assert "INACTIVE" in err.value.message
    unused = CouponFactory()
    services.delete_coupon(unused)
    assert list(Coupon.objects.all()) == [used]



def test_remove_offering_deletes_it():
    offering = GroupOfferingFactory()
    services.remove_offering(offering)
    assert not GroupOffering.objects.filter(pk=offering.pk).exists()


@pytest.mark.parametrize(("terms", "refusal", "words"), [
    ({"type": CouponType.AMOUNT}, AmountRequired, "A AMOUNT coupon needs an amount."),
    ({"type": CouponType.USAGE, "value_amount_cents": 100}, AmountNotApplicable,
     "An amount is only for AMOUNT and TOTAL_AMOUNT coupons."),
    ({"type": CouponType.PERCENT}, PercentRequired, "A PERCENT coupon needs a percentage."),
    ({"type": CouponType.USAGE, "value_percent": Decimal(5)}, PercentNotApplicable,
     "A percentage is only for PERCENT coupons."),
])
def test_inconsistent_terms_are_refused_each_by_its_class_in_the_domains_words(
        terms, refusal, words):
    with pytest.raises(refusal) as refused:
        services.create_coupon(entity_type=EntityType.SITE, **terms)
    assert refused.value.message == words and refused.value.code == "coupon_invalid"


def test_an_unknown_entity_type_is_refused_naming_the_domains_field():
    with pytest.raises(UnknownEntityType) as refused:
        services.create_coupon(type=CouponType.USAGE, entity_type="PLANET")
    assert refused.value.field == "entity_type"
    assert refused.value.message.startswith("entity_type must be one of SITE, ")
