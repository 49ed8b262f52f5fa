"""The native API: offers, code groups, codes, redemptions, redeem and check."""

import csv
import io

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from catalog.access import has_access
from catalog.models import Entitlement
from dialects.native.redemptions import RedemptionSerializer, attach_grants
from licensing.models import License
from redemptions import services
from redemptions.models import ActionType, Code, CodeGroup, Offer, Redemption
from tests.factories import CatalogItemFactory, ClientFactory, UserFactory
from tests.licensing.factories import LicenseFactory, SeatFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_api(learner):
    """A client holding the learner's own OAuth2 access token."""
    app = Application.objects.create(name="web", client_type="confidential",
                                     authorization_grant_type="password", user=None)
    AccessToken.objects.create(user=learner, application=app, token="learner-token-1",
                               expires=timezone.now() + timezone.timedelta(hours=1),
                               scope="read:own redeem")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer learner-token-1")
    return client


def errors(response):
    return [(e["code"], e["field"]) for e in response.json()["errors"]]


# offers

def test_create_an_offer_with_the_native_shape(api):
    course = CatalogItemFactory()
    response = api.post("/api/v1/offers", {
        "name": "Spring", "items": [str(course.pk)], "access_days": 30,
        "user_tags": ["spring"]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    for key in ("name", "items", "licenses", "access_days", "access_expiration_date",
                "action_type", "user_tags", "match_specification"):
        assert key in body
    assert body["action_type"] == "apply-offer"
    assert body["match_specification"] == {"all": [], "any": [], "excluded": []}


def test_an_offer_with_both_access_limits_is_a_400(api):
    response = api.post("/api/v1/offers", {"name": "X", "access_days": 3,
                                           "access_expiration_date": "2030-01-01T00:00:00Z"},
                        format="json")
    assert response.status_code == 400
    assert errors(response) == [("access_days_and_expiration", "access_days")]


def test_access_days_beyond_a_century_are_a_400_not_an_overflow(api):
    response = api.post("/api/v1/offers", {"name": "X", "access_days": 2_000_000_000},
                        format="json")
    assert response.status_code == 400
    assert errors(response) == [("invalid_access_days", "access_days")]


def test_a_malformed_match_specification_is_a_400(api):
    response = api.post("/api/v1/offers", {"name": "X", "action_type": "session-license-match",
                                           "match_specification": {"some": ["x"]}},
                        format="json")
    assert response.status_code == 400
    assert errors(response) == [("invalid_match_specification", "match_specification")]


def test_an_offer_may_name_a_license(api):
    license_ = License.objects.create(client=ClientFactory(), name="Seats")
    response = api.post("/api/v1/offers", {"name": "L", "licenses": [str(license_.pk)]},
                        format="json")
    assert response.status_code == 201
    assert response.json()["licenses"] == [str(license_.pk)]


def test_an_offer_in_use_cannot_be_deleted(api):
    code = CodeFactory()
    response = api.delete(f"/api/v1/offers/{code.offer_id}")
    assert response.status_code == 409


def test_patch_an_offer_keeps_the_rest(api):
    offer = OfferFactory(access_days=10)
    response = api.patch(f"/api/v1/offers/{offer.pk}", {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["access_days"] == 10
    assert len(response.json()["items"]) == 1


# code groups

def test_create_a_code_group_generates_codes(api):
    offer = OfferFactory()
    response = api.post("/api/v1/code-groups", {"label": "Fall", "offer": str(offer.pk),
                                                "count": 25, "alphabet": "digits"},
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total_codes_count"] == 25
    assert body["redeemed_codes_count"] == 0
    assert body["code_length"] == 8
    assert Code.objects.filter(group_id=body["id"]).count() == 25


def test_a_code_group_above_the_job_limit_is_a_400(api):
    response = api.post("/api/v1/code-groups", {"label": "Big", "offer": str(OfferFactory().pk),
                                                "count": 50_000_001}, format="json")
    assert response.status_code == 400
    assert errors(response)[0][1] == "count"


def test_a_too_short_code_length_is_a_400_naming_the_field(api):
    response = api.post("/api/v1/code-groups", {"label": "S", "offer": str(OfferFactory().pk),
                                                "count": 100, "code_length": 3},
                        format="json")
    assert response.status_code == 400
    assert errors(response) == [("code_space_too_small", "code_length")]


def test_patch_a_group_moves_its_expiry(api):
    group = CodeGroupFactory()
    response = api.patch(f"/api/v1/code-groups/{group.pk}",
                         {"expiration_date": "2030-01-01T00:00:00Z", "count": 99},
                         format="json")
    assert response.status_code == 200
    group.refresh_from_db()
    assert group.expiration_date.year == 2030
    assert group.total_codes_count == 0  # the count is the generator's, not editable


def test_group_codes_list_and_csv(api):
    group = CodeGroupFactory(label="Fall")
    code = CodeFactory(group=group)
    services.redeem(code.code, UserFactory(email="cy@example.com"))
    page = api.get(f"/api/v1/code-groups/{group.pk}/codes").json()
    assert page["pagination"]["count"] == 1
    assert page["results"][0]["redeemed_by"] == ["cy@example.com"]
    response = api.get(f"/api/v1/code-groups/{group.pk}/codes?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][:3] == [code.code, "true", "cy@example.com"]


def test_deleting_a_redeemed_group_is_a_409(api):
    code = CodeFactory(group=CodeGroupFactory())
    services.redeem(code.code, UserFactory())
    response = api.delete(f"/api/v1/code-groups/{code.group_id}")
    assert response.status_code == 409
    assert errors(response) == [("redeemed", None)]
    assert CodeGroup.objects.filter(pk=code.group_id).exists()


# codes

def test_create_a_code_by_hand_stores_it_canonical(api):
    offer = OfferFactory()
    response = api.post("/api/v1/codes", {"offer": str(offer.pk), "code": "half-price 24"},
                        format="json")
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "HALFPRICE24"


def test_a_duplicate_code_is_a_409(api):
    CodeFactory(code="HALFPRICE24")
    response = api.post("/api/v1/codes", {"offer": str(OfferFactory().pk),
                                          "code": "halfprice24"}, format="json")
    assert response.status_code == 409
    assert errors(response) == [("duplicate_code", "code")]


def test_a_code_added_to_a_group_counts_in_it(api):
    group = CodeGroupFactory(total_codes_count=0)
    response = api.post("/api/v1/codes", {"group": str(group.pk)}, format="json")
    assert response.status_code == 201
    assert response.json()["offer"] == str(group.offer_id)
    group.refresh_from_db()
    assert group.total_codes_count == 1


def test_codes_filter_by_code_in_any_case(api):
    code = CodeFactory(code="RQMJQJB5")
    CodeFactory()
    response = api.get("/api/v1/codes", {"code": "rqmj-qjb5"})
    assert [c["id"] for c in response.json()["results"]] == [code.pk]


def test_codes_id_filter_takes_integers(api):
    response = api.get("/api/v1/codes", {"id": "abc"})
    assert response.status_code == 400
    assert errors(response)[0][1] == "id"


def test_max_redemptions_cannot_go_below_the_uses(api):
    code = CodeFactory(max_redemptions=3)
    services.redeem(code.code, UserFactory())
    services.redeem(code.code, UserFactory())
    response = api.patch(f"/api/v1/codes/{code.pk}", {"max_redemptions": 1}, format="json")
    assert response.status_code == 400
    assert errors(response) == [("invalid_max_redemptions", "max_redemptions")]


def test_a_never_used_code_may_be_set_to_no_uses_as_tizra_may(api):
    code = CodeFactory(max_redemptions=3)
    response = api.patch(f"/api/v1/codes/{code.pk}", {"max_redemptions": 0}, format="json")
    assert response.status_code == 200
    code.refresh_from_db()
    assert code.max_redemptions == 0


def test_deactivating_a_code_makes_it_refused(api, learner):
    code = CodeFactory()
    assert api.patch(f"/api/v1/codes/{code.pk}", {"is_active": False},
                     format="json").status_code == 200
    response = api.post("/api/v1/redeem", {"code": code.code, "user": learner.email},
                        format="json")
    assert response.status_code == 422
    assert errors(response) == [("inactive", None)]


def test_a_redeemed_code_cannot_be_deleted(api):
    code = CodeFactory()
    services.redeem(code.code, UserFactory())
    assert api.delete(f"/api/v1/codes/{code.pk}").status_code == 409


def test_an_unredeemed_code_can_be_deleted(api):
    code = CodeFactory()
    assert api.delete(f"/api/v1/codes/{code.pk}").status_code == 204
    assert not Code.objects.filter(pk=code.pk).exists()


# redeem and check

def test_an_api_key_redeems_on_behalf_of_a_learner_named_by_email(api, learner):
    course = CatalogItemFactory()
    code = CodeFactory(offer=OfferFactory(items=[course]))
    response = api.post("/api/v1/redeem", {"code": code.code.lower(), "user": learner.email},
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "code", "user", "redeemed_at", "entitlements", "seats"}
    assert body["user"] == str(learner.pk)
    assert [e["item"] for e in body["entitlements"]] == [str(course.pk)]
    assert body["seats"] == []
    assert has_access(learner, course).has_access is True


def test_an_api_key_must_name_the_learner(api):
    response = api.post("/api/v1/redeem", {"code": CodeFactory().code}, format="json")
    assert response.status_code == 400
    assert errors(response) == [("required", "user")]


def test_an_unknown_learner_is_a_404_naming_user_as_on_every_entry_point(api):
    response = api.post("/api/v1/redeem", {"code": CodeFactory().code,
                                           "user": "ghost@example.com"}, format="json")
    assert response.status_code == 404
    assert errors(response) == [("user_not_found", "user")]


def test_a_learner_redeeming_for_someone_else_is_a_403(learner_api):
    response = learner_api.post("/api/v1/redeem", {"code": CodeFactory().code,
                                                   "user": UserFactory().email}, format="json")
    assert response.status_code == 403
    assert errors(response) == [("not_yourself", "user")]


def test_a_learner_redeems_for_themself_with_their_token(learner_api, learner):
    code = CodeFactory()
    response = learner_api.post("/api/v1/redeem", {"code": code.code}, format="json")
    assert response.status_code == 201, response.content
    assert Redemption.objects.get().user == learner


def test_a_learner_cannot_redeem_for_someone_else(learner_api):
    other = UserFactory()
    code = CodeFactory()
    response = learner_api.post("/api/v1/redeem", {"code": code.code, "user": other.email},
                                format="json")
    assert response.status_code == 403
    assert not Redemption.objects.exists()


def test_redeem_without_credentials_is_a_401(anon):
    response = anon.post("/api/v1/redeem", {"code": "X"}, format="json")
    assert response.status_code == 401
    assert "errors" in response.json()


@pytest.mark.parametrize(("setup", "status", "code"), [
    (lambda: "NOPE1234", 404, "not_found"),
    (lambda: CodeFactory(is_active=False).code, 422, "inactive"),
    (lambda: CodeFactory(expiration_date=timezone.now()).code, 422, "expired"),
    (lambda: CodeFactory(starts_at=timezone.now() + timezone.timedelta(days=1)).code, 422,
     "not_started"),
])
def test_refusals_render_in_the_native_envelope(api, learner, setup, status, code):
    response = api.post("/api/v1/redeem", {"code": setup(), "user": str(learner.pk)},
                        format="json")
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] == code
    assert not Entitlement.objects.exists()


def test_used_up_and_already_redeemed_are_422(api, learner):
    code = CodeFactory(max_redemptions=1)
    assert api.post("/api/v1/redeem", {"code": code.code, "user": learner.email},
                    format="json").status_code == 201
    again = api.post("/api/v1/redeem", {"code": code.code, "user": learner.email},
                     format="json")
    other = api.post("/api/v1/redeem", {"code": code.code, "user": UserFactory().email},
                     format="json")
    assert (again.status_code, errors(again)) == (422, [("already_redeemed", None)])
    assert (other.status_code, errors(other)) == (422, [("used_up", None)])


def test_redeeming_an_offer_with_a_license_answers_the_seat(api, learner):
    license_ = LicenseFactory(name="Seats", seats_limit=2)
    code = CodeFactory(offer=OfferFactory(licenses=[license_]))
    response = api.post("/api/v1/redeem", {"code": code.code, "user": learner.email},
                        format="json")
    assert response.status_code == 201, response.content
    assert len(response.json()["seats"]) == 1


def test_the_redeem_answer_is_what_the_redemption_serializer_renders(api, learner):
    license_ = LicenseFactory(name="Seats", seats_limit=2)
    offer = OfferFactory(items=[CatalogItemFactory(), CatalogItemFactory()],
                         licenses=[license_], access_days=30)
    code = CodeFactory(offer=offer, group=CodeGroupFactory(offer=offer))
    response = api.post("/api/v1/redeem", {"code": code.code, "user": learner.email,
                                           "transaction_id": "T-1"}, format="json",
                        REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 201, response.content
    redemption = Redemption.objects.get()
    rendered = JSONRenderer().render(RedemptionSerializer(attach_grants([redemption])[0]).data)
    assert response.content == rendered
    assert len(response.json()["entitlements"]) == 2 and len(response.json()["seats"]) == 1


def test_a_full_license_is_a_422_license_full(api, learner):
    license_ = LicenseFactory(name="Seats", seats_limit=1)
    SeatFactory(license=license_)
    code = CodeFactory(offer=OfferFactory(licenses=[license_]))
    response = api.post("/api/v1/redeem", {"code": code.code, "user": learner.email},
                        format="json")
    assert (response.status_code, errors(response)) == (422, [("license_full", None)])


def test_check_says_what_would_be_granted(api, learner):
    course = CatalogItemFactory(title="Algebra")
    code = CodeFactory(offer=OfferFactory(items=[course], user_tags=["math"]))
    response = api.post("/api/v1/redeem/check", {"code": code.code, "user": learner.email},
                        format="json")
    assert response.status_code == 200
    assert response.json() == {
        "redeemable": True, "refusal": None,
        "items": [{"id": str(course.pk), "kind": "course", "title": "Algebra"}],
        "licenses": [], "user_tags": ["math"], "expires_at": None}
    assert not Redemption.objects.exists()


def test_check_gives_the_refusal_with_a_200(learner_api):
    code = CodeFactory(is_active=False)
    body = learner_api.post("/api/v1/redeem/check", {"code": code.code}, format="json").json()
    assert body["redeemable"] is False
    assert body["refusal"]["code"] == "inactive"


# redemptions and rollback

def test_redemptions_list_with_their_grants(api):
    code = CodeFactory(offer=OfferFactory(items=[CatalogItemFactory(), CatalogItemFactory()]))
    redemption = services.redeem(code.code, UserFactory(email="di@example.com"))
    body = api.get("/api/v1/redemptions", {"user": "di@example.com"}).json()
    assert [r["id"] for r in body["results"]] == [redemption.pk]
    assert len(body["results"][0]["entitlements"]) == 2


def test_rollback_through_the_api(api):
    code = CodeFactory()
    redemption = services.redeem(code.code, UserFactory())
    response = api.post(f"/api/v1/redemptions/{redemption.pk}/rollback",
                        {"reason": "refund"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["rolled_back_at"] is not None
    assert body["rolled_back_reason"] == "refund"
    assert body["rolled_back_by"].startswith("API key")
    assert body["entitlements"][0]["revoked_at"] is not None
    again = api.post(f"/api/v1/redemptions/{redemption.pk}/rollback", {"reason": "x"},
                     format="json")
    assert again.status_code == 409


def test_rollback_needs_a_reason(api):
    redemption = services.redeem(CodeFactory().code, UserFactory())
    response = api.post(f"/api/v1/redemptions/{redemption.pk}/rollback", {}, format="json")
    assert response.status_code == 400
    assert errors(response)[0][1] == "reason"


def test_redemptions_cannot_be_deleted_through_the_api(api):
    redemption = services.redeem(CodeFactory().code, UserFactory())
    assert api.delete(f"/api/v1/redemptions/{redemption.pk}").status_code == 405


def test_filter_rolled_back_redemptions(api):
    kept = services.redeem(CodeFactory().code, UserFactory())
    services.rollback(services.redeem(CodeFactory().code, UserFactory()), "refund")
    body = api.get("/api/v1/redemptions", {"rolled_back": "false"}).json()
    assert [r["id"] for r in body["results"]] == [kept.pk]


def test_a_tag_offer_through_the_api(api, learner):
    offer = Offer.objects.create(name="Tags", action_type=ActionType.ADD_USER_TAG,
                                 user_tags=["vip"])
    code = CodeFactory(offer=offer)
    response = api.post("/api/v1/redeem", {"code": code.code, "user": learner.email},
                        format="json")
    assert response.status_code == 201
    assert list(learner.tags.values_list("tag", flat=True)) == ["vip"]
