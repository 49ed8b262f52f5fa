"""Tizra's `/admin-api/<site>/redemptions`: wire format against seed 003, sites, credentials,
lists, filters, POST, PUT and DELETE that succeed (refusals: test_bad_input.py)."""

import base64
import json

import pytest
from django.utils import timezone

from dialects.tizra import batches
from redemptions import services
from redemptions.models import ActionType, Code, CodeGroup, Redemption
from tests.factories import CatalogItemFactory, UserFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory

pytestmark = pytest.mark.django_db

SEED_SITE, SEED_SITE_URL = "9p2", "https://secure.autotest.com:8090"
MATCH_TITLE = "Title:111Gateways to  Science, Grade 5, Unit 2, Matter and Energy, Lesson 1"
# Seed 003's two examples, as the seed prints them.
SEED_TEST_BATCH = json.loads("""[
  {"access-code": "08ab3362418d22ea", "access-control-id": 118226,
   "action-type": "apply-offer", "batch": "test batch", "is-valid": true,
   "redeemed-users": ["[email protected]"], "remaining-redemptions": 0,
   "used-date": "2014-09-11 22:30:59.114"},
  {"access-code": "a4efe57ef94ed379", "access-control-id": 118226,
   "action-type": "apply-offer", "batch": "test batch", "is-valid": true,
   "redeemed-users": [], "remaining-redemptions": 1},
  {"access-code": "06940f24c2bdce08", "access-control-id": 118226,
   "action-type": "session-license-match", "batch": "test batch", "is-valid": true,
   "match-specification": {"all": [], "any": [
     "Title:111Gateways to  Science, Grade 5, Unit 2, Matter and Energy, Lesson 1"],
     "excluded": []},
   "redeemed-users": [], "remaining-redemptions": 2, "used-date": "2014-09-11 23:10:23.233"},
  {"access-code": "a0107f66370afe72", "access-control-id": 118226,
   "action-type": "session-license-match", "batch": "test batch", "is-valid": true,
   "match-specification": {"all": [], "any": [
     "Title:111Gateways to  Science, Grade 5, Unit 2, Matter and Energy, Lesson 1"],
     "excluded": []},
   "redeemed-users": [], "remaining-redemptions": 4}
]""")
SEED_MORE = json.loads("""[
  {"access-code": "45cf6f1c492ee668", "action-type": "add-user-tag", "batch": "more",
   "is-valid": false, "redeemed-users": [],
   "redemption-url": "https://secure.autotest.com:8090/redeem/9p2?redemptionCode=45cf6f1c492ee668&successUrl=%2Ftime",
   "remaining-redemptions": 0, "used-date": "2013-04-24 17:55:07.874", "user-tags": "code;teg"},
  {"access-code": "b2a747e3bf42413d", "action-type": "add-user-tag", "batch": "more",
   "is-valid": false, "redeemed-users": [],
   "redemption-url": "https://secure.autotest.com:8090/redeem/9p2?redemptionCode=b2a747e3bf42413d&successUrl=%2Ftime",
   "remaining-redemptions": 0, "used-date": "2013-04-24 19:18:45.043", "user-tags": "code;teg"}
]""")


@pytest.fixture
def seed_site(settings):
    settings.SITE_SLUG, settings.SITE_URL = SEED_SITE, SEED_SITE_URL
    return SEED_SITE


def post(api, path, body):
    return api.post(path, body, format="json")


def make_test_batch(api, learner):
    """Seed 003's first example, made through the API and used as the seed's codes were."""
    offer = OfferFactory()
    CatalogItemFactory(title=MATCH_TITLE.removeprefix("Title:"))
    spec = {"all": [], "any": [MATCH_TITLE], "excluded": []}
    response = post(api, "/admin-api/redemptions", [
        {"batch": "test batch", "action-type": "apply-offer", "access-code": "08ab3362418d22ea",
         "access-control-id": str(offer.pk)},
        {"batch": "test batch", "action-type": "apply-offer", "access-code": "a4efe57ef94ed379",
         "access-control-id": str(offer.pk)},
        {"batch": "test batch", "action-type": "session-license-match",
         "access-code": "06940f24c2bdce08", "access-control-id": str(offer.pk),
         "match-specification": spec, "remaining-redemptions": 2},
        {"batch": "test batch", "action-type": "session-license-match",
         "access-code": "a0107f66370afe72", "access-control-id": str(offer.pk),
         "match-specification": spec, "remaining-redemptions": 4},
    ])
    assert response.status_code == 201, response.content
    services.redeem("08ab3362418d22ea", learner)
    services.rollback(services.redeem("06940f24c2bdce08", UserFactory()), "refund")
    return offer


def make_more_batch(api, site):
    """Seed 003's second example: add-user-tag codes, used, then made invalid and used up."""
    response = post(api, f"/admin-api/{site}/redemptions/more", [
        {"action-type": "add-user-tag", "access-code": code, "user-tags": "code;teg"}
        for code in ("45cf6f1c492ee668", "b2a747e3bf42413d")])
    assert response.status_code == 201, response.content
    for code in response.json():
        services.rollback(services.redeem(code, UserFactory()), "test")
        changed = api.put(f"/admin-api/{site}/redemptions/more/{code}",
                          {"is-valid": False, "remaining-redemptions": 0}, format="json")
        assert changed.status_code == 200, changed.content


# --- seed 003, key for key ----------------------------------------------------------------------

def test_a_batch_reproduces_the_seeds_first_example_key_for_key(api, learner):
    offer = make_test_batch(api, learner)
    response = api.get("/admin-api/redemptions/test%20batch")
    assert response.status_code == 200
    body = json.loads(b"".join(response.streaming_content))
    assert [list(record) for record in body] == [list(record) for record in SEED_TEST_BATCH]
    assert [{k: v for k, v in r.items() if k not in ("access-control-id", "redeemed-users",
                                                       "used-date")} for r in body] == \
        [{k: v for k, v in r.items() if k not in ("access-control-id", "redeemed-users",
                                                    "used-date")} for r in SEED_TEST_BATCH]
    assert {r["access-control-id"] for r in body} == {str(offer.pk)}
    assert body[0]["redeemed-users"] == [learner.email]


def test_the_batch_list_gives_each_batch_its_url_with_the_name_quoted(api, learner, seed_site):
    make_test_batch(api, learner)
    make_more_batch(api, seed_site)
    response = api.get(f"/admin-api/{seed_site}/redemptions")
    assert response.status_code == 200
    assert response.json() == [
        {"batch": "more", "url": "/admin-api/9p2/redemptions/more"},
        {"batch": "test batch", "url": "/admin-api/9p2/redemptions/test%20batch"},
    ]


def test_a_batch_with_target_url_reproduces_the_seeds_second_example(api, seed_site):
    make_more_batch(api, seed_site)
    response = api.get(f"/admin-api/{seed_site}/redemptions/more?target-url=/time")
    assert response.status_code == 200
    body = json.loads(b"".join(response.streaming_content))
    assert [list(record) for record in body] == [list(record) for record in SEED_MORE]
    assert [{k: v for k, v in r.items() if k != "used-date"} for r in body] == \
        [{k: v for k, v in r.items() if k != "used-date"} for r in SEED_MORE]


def test_used_date_is_the_last_redemption_in_tizras_format(api, learner):
    make_test_batch(api, learner)
    used = Code.objects.get(code="08AB3362418D22EA").last_redeemed_at
    body = json.loads(b"".join(api.get("/admin-api/redemptions/test%20batch")
                               .streaming_content))
    expected = used.strftime("%Y-%m-%d %H:%M:%S.") + f"{used.microsecond // 1000:03d}"
    assert body[0]["used-date"] == expected


def test_codes_show_as_lower_case_hex_and_are_stored_canonical(api):
    offer = OfferFactory()
    response = post(api, "/admin-api/redemptions", {
        "batch": "b", "action-type": "apply-offer", "access-control-id": str(offer.pk),
        "count": 3})
    assert response.status_code == 201
    codes = response.json()
    assert len(codes) == 3 and all(c == c.lower() and len(c) == 16 for c in codes)
    assert all(int(c, 16) >= 0 for c in codes)
    assert set(Code.objects.values_list("code", flat=True)) == {c.upper() for c in codes}


def test_a_target_url_with_a_query_is_quoted_whole(api):
    CodeFactory(group=CodeGroupFactory(label="b"), code="ABC123")
    response = api.get("/admin-api/redemptions/b", {"target-url": "/a b?x=1&y=2"})
    body = json.loads(b"".join(response.streaming_content))
    assert body[0]["redemption-url"].endswith(
        "/redeem/entitle?redemptionCode=ABC123&successUrl=%2Fa%20b%3Fx%3D1%26y%3D2")


def test_an_expiry_shows_only_on_codes_that_have_one(api):
    group = CodeGroupFactory(label="b")
    CodeFactory(group=group, code="AAA1")
    CodeFactory(group=group, code="AAA2", expiration_date="2030-01-02T03:04:05.678Z")
    body = json.loads(b"".join(api.get("/admin-api/redemptions/b").streaming_content))
    assert "expiration-date" not in body[0]
    assert body[1]["expiration-date"] == "2030-01-02 03:04:05.678"


# --- sites, credentials, unknown batches -------------------------------------------------------

def test_the_site_slug_and_no_site_answer_the_same(api, settings):
    CodeGroupFactory(label="one")
    with_site = api.get(f"/admin-api/{settings.SITE_SLUG}/redemptions")
    without = api.get("/admin-api/redemptions/")
    assert with_site.status_code == without.status_code == 200
    assert with_site.json() == without.json() == [
        {"batch": "one", "url": f"/admin-api/{settings.SITE_SLUG}/redemptions/one"}]


@pytest.mark.parametrize("path", ["/admin-api/other/redemptions",
                                  "/admin-api/other/redemptions/one",
                                  "/admin-api/other/redemptions/one/ABC"])
def test_another_site_is_not_found_in_tizras_envelope(api, path):
    CodeGroupFactory(label="one")
    response = api.get(path)
    assert response.status_code == 404
    assert list(response.json()) == ["error"] and "other" in response.json()["error"]


def test_an_unknown_batch_is_not_found(api):
    response = api.get("/admin-api/redemptions/nothing%20here")
    assert response.status_code == 404
    assert response.json() == {"error": "There is no batch 'nothing here'."}


def test_an_unknown_code_of_a_batch_is_not_found(api):
    CodeFactory(group=CodeGroupFactory(label="one"), code="ABC")
    CodeFactory(group=CodeGroupFactory(label="two"), code="DEF")
    assert api.get("/admin-api/redemptions/one/abc").status_code == 200
    assert api.get("/admin-api/redemptions/one/def").status_code == 404
    assert api.put("/admin-api/redemptions/one/def", {"is-valid": False},
                   format="json").status_code == 404


def test_without_credentials_the_answer_is_401_in_tizras_envelope(anon):
    response = anon.get("/admin-api/redemptions")
    assert response.status_code == 401
    assert list(response.json()) == ["error"]


def test_a_staff_user_may_use_http_basic(anon, staff_user):
    token = base64.b64encode(f"{staff_user.email}:secret-pass-123".encode()).decode()
    anon.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    assert anon.get("/admin-api/redemptions").status_code == 200


def test_a_learner_may_not_use_http_basic(anon, learner):
    token = base64.b64encode(f"{learner.email}:secret-pass-123".encode()).decode()
    anon.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    assert anon.get("/admin-api/redemptions").status_code == 401


# --- filters and pages --------------------------------------------------------------------------

def test_batches_filter_by_name_and_keyword(api):
    for label in ("spring promo", "summer promo", "staff"):
        CodeGroupFactory(label=label)
    assert [b["batch"] for b in api.get("/admin-api/redemptions?q=promo").json()] == \
        ["spring promo", "summer promo"]
    assert [b["batch"] for b in api.get("/admin-api/redemptions?batch=staff").json()] == \
        ["staff"]


def test_two_groups_with_one_label_are_one_batch(api):
    CodeFactory(group=CodeGroupFactory(label="twice"), code="AAA1")
    CodeFactory(group=CodeGroupFactory(label="twice"), code="AAA2")
    assert api.get("/admin-api/redemptions").json() == [
        {"batch": "twice", "url": "/admin-api/entitle/redemptions/twice"}]
    body = json.loads(b"".join(api.get("/admin-api/redemptions/twice").streaming_content))
    assert [r["access-code"] for r in body] == ["AAA1", "AAA2"]


def test_codes_filter_by_validity_action_type_and_use(api, learner):
    make_test_batch(api, learner)
    batches.amend_code(Code.objects.get(code="A4EFE57EF94ED379"), is_active=False)

    def codes(query):
        response = api.get(f"/admin-api/redemptions/test%20batch?{query}")
        assert response.status_code == 200, response.content
        return [r["access-code"] for r in json.loads(b"".join(response.streaming_content))]

    assert codes("is-valid=false") == ["a4efe57ef94ed379"]
    assert codes("action-type=session-license-match") == ["06940f24c2bdce08",
                                                          "a0107f66370afe72"]
    assert codes("used-date.gte=2000-01-01") == ["08ab3362418d22ea", "06940f24c2bdce08"]
    assert codes("access-code=06940F24-C2BDCE08") == ["06940f24c2bdce08"]


def test_a_bad_filter_value_is_a_400_naming_it(api):
    CodeGroupFactory(label="b")
    response = api.get("/admin-api/redemptions/b?used-date.gt=yesterday")
    assert response.status_code == 400
    assert response.json()["error"].startswith("used-date.gt")


def test_page_and_per_page_give_one_page_with_the_total(api):
    group = CodeGroupFactory(label="b")
    for n in range(5):
        CodeFactory(group=group, code=f"AB{n}")
    response = api.get("/admin-api/redemptions/b?page=2&per_page=2")
    assert response.status_code == 200
    assert [r["access-code"] for r in response.json()] == ["AB2", "AB3"]
    assert response["X-Total-Count"] == "5"


def test_listing_a_batch_costs_the_same_queries_for_one_code_or_many(
        api, django_assert_max_num_queries):
    group = CodeGroupFactory(label="b")
    for n in range(30):
        code = CodeFactory(group=group, code=f"AB{n}", max_redemptions=2)
        Redemption.objects.create(code=code, user=UserFactory())
    with django_assert_max_num_queries(8):
        response = api.get("/admin-api/redemptions/b?target-url=/x")
        body = json.loads(b"".join(response.streaming_content))
    assert len(body) == 30 and all(len(r["redeemed-users"]) == 1 for r in body)


# --- POST, PUT, DELETE --------------------------------------------------------------------------

def test_post_one_object_answers_201_with_an_array_of_the_code(api):
    offer = OfferFactory()
    response = post(api, "/admin-api/redemptions", {
        "batch": "new", "action-type": "apply-offer", "access-control-id": str(offer.pk),
        "access-code": "CAFE-F00D"})
    assert response.status_code == 201
    assert response.json() == ["cafef00d"]
    code = Code.objects.get(code="CAFEF00D")
    assert (code.group.label, code.offer, code.max_redemptions, code.is_active) == \
        ("new", offer, 1, True)


def test_post_takes_the_batch_from_the_url_and_reuses_an_existing_batch(api):
    offer = OfferFactory()
    first = post(api, "/admin-api/redemptions/test%20batch", {
        "action-type": "apply-offer", "access-control-id": str(offer.pk)})
    second = post(api, "/admin-api/entitle/redemptions/test%20batch", {
        "action-type": "apply-offer", "access-control-id": str(offer.pk), "count": 2,
        "code-length": 20})
    assert first.status_code == second.status_code == 201
    group = CodeGroup.objects.get()
    assert (group.label, group.total_codes_count) == ("test batch", 3)
    assert [len(c) for c in second.json()] == [20, 20]


def test_post_sets_uses_validity_and_expiry(api):
    offer = OfferFactory()
    response = post(api, "/admin-api/redemptions", {
        "batch": "b", "action-type": "apply-offer", "access-control-id": str(offer.pk),
        "remaining-redemptions": 5, "is-valid": False, "expiration-date": "2031-01-01"})
    assert response.status_code == 201
    code = Code.objects.get()
    assert (code.max_redemptions, code.is_active, code.expiration_date.isoformat()) == \
        (5, False, "2031-01-01T23:59:59.999999+00:00")


def test_a_code_expiring_today_by_date_redeems_today(api):
    offer = OfferFactory()
    response = post(api, "/admin-api/redemptions", {
        "batch": "b", "action-type": "apply-offer", "access-control-id": str(offer.pk),
        "expiration-date": timezone.now().date().isoformat()})
    (text,) = response.json()
    assert services.redeem(text, UserFactory()).code.code == text.upper()


def test_post_accepts_json_whatever_the_content_type_says(api):
    offer = OfferFactory()
    body = json.dumps({"batch": "b", "action-type": "apply-offer",
                       "access-control-id": str(offer.pk)})
    response = api.post("/admin-api/redemptions", body,
                        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201, response.content


def test_post_of_user_tags_as_a_list_stores_them_like_a_string(api):
    response = post(api, "/admin-api/redemptions/b", [
        {"action-type": "add-user-tag", "user-tags": ["code", "teg"]},
        {"action-type": "add-user-tag", "user-tags": "code;teg"}])
    assert response.status_code == 201
    offers = {code.offer for code in Code.objects.all()}
    assert len(offers) == 1 and offers.pop().user_tags == ["code", "teg"]


def test_put_answers_the_changed_record(api):
    CodeFactory(group=CodeGroupFactory(label="b"), code="ABC", max_redemptions=1)
    response = api.put("/admin-api/redemptions/b/abc", {
        "is-valid": False, "remaining-redemptions": 3, "expiration-date": "2030-01-01"},
        format="json")
    assert response.status_code == 200
    assert (response.json()["is-valid"], response.json()["remaining-redemptions"],
            response.json()["expiration-date"]) == (False, 3, "2030-01-01 23:59:59.999")


def test_put_remaining_redemptions_counts_from_the_uses_so_far(api):
    code = CodeFactory(group=CodeGroupFactory(label="b"), code="ABC", max_redemptions=5)
    services.redeem("ABC", UserFactory())
    services.redeem("ABC", UserFactory())
    response = api.put("/admin-api/redemptions/b/ABC", {"remaining-redemptions": 1},
                       format="json")
    assert response.json()["remaining-redemptions"] == 1
    assert Code.objects.get(pk=code.pk).max_redemptions == 3


def test_put_expiration_date_null_clears_it(api):
    CodeFactory(group=CodeGroupFactory(label="b"), code="ABC",
                expiration_date="2030-01-01T00:00:00Z")
    response = api.put("/admin-api/redemptions/b/ABC", {"expiration-date": None},
                       format="json")
    assert response.status_code == 200 and "expiration-date" not in response.json()


def test_put_user_tags_moves_only_that_code_to_the_new_tags(api):
    post(api, "/admin-api/redemptions/b", [
        {"action-type": "add-user-tag", "access-code": c, "user-tags": "code;teg"}
        for c in ("AAAA01", "AAAA02")])
    response = api.put("/admin-api/redemptions/b/AAAA01", {"user-tags": "gold;2024"},
                       format="json")
    assert response.status_code == 200 and response.json()["user-tags"] == "gold;2024"
    assert Code.objects.get(code="AAAA02").offer.user_tags == ["code", "teg"]


def test_delete_removes_a_batch_nobody_redeemed_and_keeps_its_offers(api):
    offer = OfferFactory()
    post(api, "/admin-api/redemptions/gone", {"action-type": "apply-offer",
                                              "access-control-id": str(offer.pk), "count": 3})
    response = api.delete("/admin-api/redemptions/gone")
    assert response.status_code == 204
    assert not CodeGroup.objects.exists() and not Code.objects.exists()
    offer.refresh_from_db()


def test_delete_of_a_batch_with_a_redeemed_code_is_409_and_keeps_everything(api):
    group = CodeGroupFactory(label="kept")
    CodeFactory(group=group, code="AAA1")
    CodeFactory(group=group, code="AAA2")
    services.rollback(services.redeem("AAA1", UserFactory()), "even rolled back")
    response = api.delete("/admin-api/redemptions/kept")
    assert response.status_code == 409
    assert list(response.json()) == ["error"]
    assert Code.objects.filter(group=group).count() == 2


def test_delete_of_an_unknown_batch_is_404(api):
    assert api.delete("/admin-api/redemptions/none").status_code == 404


def test_an_action_type_shown_is_the_codes_own(api):
    tags = OfferFactory(action_type=ActionType.ADD_USER_TAG, user_tags=["a"])
    CodeFactory(group=CodeGroupFactory(label="b"), code="ABC", offer=tags)
    body = api.get("/admin-api/redemptions/b/abc").json()
    assert (body["action-type"], body["user-tags"]) == ("add-user-tag", "a")
    assert "access-control-id" not in body
