"""Coupons through /api/v1/: CRUD, quote, apply by id or code, usages, group offerings."""

import pytest
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from catalog.models import Entitlement, ItemKind
from coupons import services
from coupons.models import Coupon, CouponUsage, GroupOffering, UsageStatus
from tests.coupons.factories import CouponFactory, SessionFactory
from tests.factories import (
    CatalogItemFactory,
    LearnerGroupFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _token_client(user):
    import datetime as dt

    from django.utils import timezone

    token = AccessToken.objects.create(user=user, token=f"tok-{user.pk.hex}",
                                       expires=timezone.now() + dt.timedelta(hours=1),
                                       scope="read:own redeem")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    return client


def test_create_a_coupon_with_an_owner_group_path(api):
    group = LearnerGroupFactory(name="Training", code="TRN")
    response = api.post("/api/v1/coupons", {
        "code": "spring-10", "type": "PERCENT", "value_percent": "10", "entity_type": "SITE",
        "owner_group": '{code: "TRN"}'}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner_group"] == str(group.pk) and body["uses"] == 0
    assert body["value_percent"] == "10.00"


def test_inconsistent_terms_are_a_400_naming_the_field(api):
    response = api.post("/api/v1/coupons", {"type": "AMOUNT", "entity_type": "SITE"},
                        format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "value_amount_cents"
    assert not Coupon.objects.exists()


def test_an_ambiguous_owner_group_path_is_a_400(api):
    top = LearnerGroupFactory(name="Top")
    LearnerGroupFactory(parent=top)
    LearnerGroupFactory(parent=top)
    response = api.post("/api/v1/coupons", {"type": "USAGE", "entity_type": "SITE",
                                            "owner_group": '{name: "Top"}/*'}, format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "owner_group" and error["message"].startswith("2 groups match")


def test_patch_changes_terms_but_not_the_entity(api):
    coupon = CouponFactory()
    ok = api.patch(f"/api/v1/coupons/{coupon.pk}", {"status": "INACTIVE", "value_count": 5},
                   format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "INACTIVE"
    refused = api.patch(f"/api/v1/coupons/{coupon.pk}", {"entity_type": "EVENT"},
                        format="json")
    assert refused.status_code == 400


def test_delete_a_used_coupon_is_a_409(api, learner):
    coupon = CouponFactory()
    services.apply_coupon(coupon=coupon, user=learner, item=SessionFactory())
    response = api.delete(f"/api/v1/coupons/{coupon.pk}")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "coupon_used"
    assert Coupon.objects.filter(pk=coupon.pk).exists()


def test_quote_by_code_changes_nothing(api, learner):
    item = SessionFactory(price_cents=999)
    CouponFactory(code="THIRD", type="PERCENT", value_percent="33.33")
    response = api.post("/api/v1/coupons/third/quote", {"item": str(item.pk),
                                                         "user": learner.email}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["price_cents"], body["discount_cents"], body["final_price_cents"]) == (
        999, 333, 666)
    assert not CouponUsage.objects.exists()


def test_apply_with_an_api_key_needs_the_learner(api):
    coupon = CouponFactory()
    response = api.post(f"/api/v1/coupons/{coupon.pk}/apply",
                        {"item": str(SessionFactory().pk)}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "user"


def test_a_learner_applies_a_coupon_for_themselves(learner):
    item = SessionFactory(external_id="CS-9")
    CouponFactory(code="FREE")
    client = _token_client(learner)
    response = client.post("/api/v1/coupons/FREE/apply", {"item": "CS-9"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == UsageStatus.APPROVED
    assert Entitlement.objects.filter(user=learner, item=item).exists()


def test_a_coupon_is_shown_canonical_and_as_written_and_found_however_typed(api):
    created = api.post("/api/v1/coupons", {"code": "spring-10", "type": "USAGE",
                                           "entity_type": "SITE"}, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["code"], created.json()["display_code"]) == ("SPRING10", "spring-10")
    assert api.get("/api/v1/coupons/Spring 10").json()["id"] == created.json()["id"]
    listed = api.get("/api/v1/coupons", {"code": "spring-10"}).json()["results"]
    assert [c["id"] for c in listed] == [created.json()["id"]]


def test_a_learner_cannot_apply_for_someone_else_nor_administer(learner):
    CouponFactory(code="FREE")
    client = _token_client(learner)
    other = client.post("/api/v1/coupons/FREE/apply",
                        {"item": str(SessionFactory().pk), "user": UserFactory().email},
                        format="json")
    assert other.status_code == 403
    assert client.get("/api/v1/coupons").status_code == 403


def test_a_refused_apply_is_a_422_with_its_code(api, learner):
    CouponFactory(code="EVT", entity_type="EVENT", item=CatalogItemFactory(kind=ItemKind.EVENT))
    response = api.post("/api/v1/coupons/EVT/apply", {"item": str(SessionFactory().pk),
                                                      "user": learner.email}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "coupon_not_for_item"


def test_an_unknown_coupon_is_a_404(api, learner):
    body = {"item": str(SessionFactory().pk), "user": learner.email}
    assert api.post("/api/v1/coupons/NOPE/quote", body, format="json").status_code == 404


def test_unknown_coupon_codes_are_throttled_with_the_redeem_failures(settings, learner):
    settings.REDEEM_FAILURES_PER_LEARNER = 2
    client = APIClient()
    client.force_authenticate(learner)
    body = {"item": str(SessionFactory().pk)}
    for guess in ("GUESS1", "GUESS2"):
        assert client.post(f"/api/v1/coupons/{guess}/apply", body,
                           format="json").status_code == 404
    CouponFactory(code="REAL")
    response = client.post("/api/v1/coupons/REAL/quote", body, format="json")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["errors"][0]["code"] == "throttled"


def test_usages_list_filters_and_an_owner_admin_approves(api, learner):
    group = LearnerGroupFactory()
    admin = MembershipFactory(group=group, is_admin=True).user
    MembershipFactory(user=learner, group=group)
    coupon = CouponFactory(owner_group=group, require_approval=True)
    usage = services.apply_coupon(coupon=coupon, user=learner, item=SessionFactory())
    listed = api.get("/api/v1/coupon-usages", {"status": "pending", "user": learner.email})
    assert [u["id"] for u in listed.json()["results"]] == [str(usage.pk)]
    response = _token_client(admin).post(f"/api/v1/coupon-usages/{usage.pk}/approve")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    again = api.post(f"/api/v1/coupon-usages/{usage.pk}/reject", {"reason": "late"},
                     format="json")
    assert again.status_code == 409


def test_a_learner_who_is_not_a_group_admin_cannot_reject(learner):
    usage = services.apply_coupon(coupon=CouponFactory(require_approval=True),
                                  user=UserFactory(), item=SessionFactory())
    response = _token_client(learner).post(f"/api/v1/coupon-usages/{usage.pk}/reject")
    assert response.status_code == 403
    assert CouponUsage.objects.get().status == UsageStatus.PENDING


def test_usages_cannot_be_deleted_through_the_api(api):
    usage = services.apply_coupon(coupon=CouponFactory(), user=UserFactory(),
                                  item=SessionFactory())
    assert api.delete(f"/api/v1/coupon-usages/{usage.pk}").status_code == 405


def test_group_offerings_make_a_group_coupon_serve_the_item(api, learner):
    group = LearnerGroupFactory(name="Partners")
    item = SessionFactory()
    response = api.post("/api/v1/group-offerings", {"group": '{name: "Partners"}',
                                                    "item": str(item.pk)}, format="json")
    assert response.status_code == 201, response.content
    again = api.post("/api/v1/group-offerings", {"group": str(group.pk), "item": str(item.pk)},
                     format="json")
    assert again.status_code == 201 and GroupOffering.objects.count() == 1
    coupon = CouponFactory(entity_type="GROUP", group=group)
    quote = api.post(f"/api/v1/coupons/{coupon.pk}/quote",
                     {"item": str(item.pk), "user": learner.email}, format="json")
    assert quote.status_code == 200


def test_nul_characters_in_the_item_or_the_learner_are_a_400_not_a_crash(api):
    coupon = CouponFactory()
    item = SessionFactory()
    for body in ({"item": "a\x00b", "user": "x@example.com"},
                 {"item": str(item.pk), "user": "a\x00@example.com"}):
        response = api.post(f"/api/v1/coupons/{coupon.pk}/quote", body, format="json")
        assert response.status_code == 400, body


def test_delete_a_group_offering(api):
    offering = services.offer_item(group=LearnerGroupFactory(), item=SessionFactory())
    assert api.delete(f"/api/v1/group-offerings/{offering.pk}").status_code == 204
    assert not GroupOffering.objects.filter(pk=offering.pk).exists()
