"""Each bad input of Tizra's POST and PUT: a clear 4xx `{"error"}` naming the field, and
nothing changes."""

import uuid

import pytest

from redemptions.models import ActionType, Code, CodeGroup, Offer
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory

pytestmark = pytest.mark.django_db

URL = "/admin-api/redemptions"
SPEC = {"all": [], "any": ["Title:Algebra"], "excluded": []}


@pytest.fixture
def offer():
    return OfferFactory()


def apply(offer, **fields):
    return {"batch": "b", "action-type": "apply-offer", "access-control-id": str(offer.pk),
            **fields}


def refused(api, body, *, url=URL, status=400, raw=None, content_type=None):
    """POST `body`; assert the refusal and that no code, group or offer was made."""
    offers = Offer.objects.count()
    if raw is not None:
        response = api.post(url, raw, content_type=content_type or "application/json")
    else:
        response = api.post(url, body, format="json")
    assert response.status_code == status, response.content
    assert list(response.json()) == ["error"]
    assert not Code.objects.exists() and not CodeGroup.objects.exists()
    assert Offer.objects.count() == offers
    return response.json()["error"]


# --- POST: each field ---------------------------------------------------------------------------

@pytest.mark.parametrize("body, field", [
    ({"action-type": "apply-offer"}, "batch: is required"),
    ({"batch": "", "action-type": "apply-offer"}, "batch: is required"),
    ({"batch": 12, "action-type": "apply-offer"}, "batch: must be a string"),
    ({"batch": "a/b", "action-type": "apply-offer"}, "batch: cannot contain"),
    ({"batch": " ", "action-type": "add-user-tag", "user-tags": "a"}, "batch: A batch needs"),
    ({"batch": "x" * 201, "action-type": "add-user-tag", "user-tags": "a"}, "batch: A batch"),
    ({"batch": "b"}, "action-type: is required"),
    ({"batch": "b", "action-type": "give-everything"}, "action-type: must be one of"),
    ({"batch": "b", "action-type": "apply-offer"}, "access-control-id: is required"),
    ({"batch": "b", "action-type": "session-license-match", "match-specification": SPEC},
     "access-control-id: is required"),
    ({"batch": "b", "action-type": "apply-offer", "access-control-id": str(uuid.uuid4())},
     "access-control-id: There is no offer"),
    ({"batch": "b", "action-type": "apply-offer", "access-control-id": 118226},
     "access-control-id: There is no offer 118226"),
    ({"batch": "b", "action-type": "apply-offer", "access-control-id": True},
     "access-control-id: must be a string"),
    ({"batch": "b", "action-type": "add-user-tag"}, "user-tags: is required"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": ""}, "user-tags: is required"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": ";;"},
     "user-tags: An add-user-tag code needs at least one"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": [1, 2]},
     "user-tags: Each user tag must be a string"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": 7},
     "user-tags must be a list"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a",
      "match-specification": SPEC}, "match-specification: Only session-license-match"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "remaining-redemptions": -1},
     "remaining-redemptions: A code allows from 0"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a",
      "remaining-redemptions": "many"}, "remaining-redemptions: must be a whole number"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "is-valid": "maybe"},
     "is-valid: must be true or false"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "expiration-date": "soon"},
     "expiration-date: must be an ISO 8601"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "access-code": "ab!c"},
     "access-code: A code is made of"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "access-code": "x" * 65},
     "access-code: A code has at most 64"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "access-code": ["a"]},
     "access-code: must be a string"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "count": 0},
     "count: Make at least one code"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "count": 10_001},
     "count: At most 10,000 codes"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "count": "x"},
     "count: must be a whole number"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "count": 2,
      "access-code": "ABC"}, "count: A code given by hand is one code"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "code-length": 12,
      "access-code": "ABC"}, "code-length is for generated codes"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "code-length": 65},
     "code-length: The code length must be from 1 to 64"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "code-length": 4,
      "count": 10}, "code-length: A code length of 4 gives 65,536 possible codes"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "colour": "red"},
     "colour: is not a field here"),
    ({"batch": "b", "action-type": "add-user-tag", "user-tags": "a", "used-date": "x"},
     "used-date: is read-only"),
])
def test_a_bad_code_object_is_a_400_naming_its_field(api, body, field):
    assert refused(api, body).startswith(field)


@pytest.mark.parametrize("spec", [
    "all=Algebra", ["Algebra"], {"all": "Algebra"}, {"all": [1]}, {"every": ["Algebra"]},
    {"all": [], "any": [], "excluded": ["Teacher"]},
])
def test_a_malformed_match_specification_is_a_400(api, offer, spec):
    error = refused(api, apply(offer, **{"action-type": "session-license-match",
                                         "match-specification": spec}))
    assert error.startswith("match-specification")


def test_a_match_code_on_an_offer_without_a_specification_needs_one(api, offer):
    error = refused(api, apply(offer, **{"action-type": "session-license-match"}))
    assert error == ("match-specification: A session-license-match code needs a match "
                     "specification (its offer has none).")


def test_an_apply_offer_code_needs_an_apply_offer_offer(api):
    tags = OfferFactory(action_type=ActionType.ADD_USER_TAG, user_tags=["a"])
    error = refused(api, apply(tags))
    assert error.startswith(f"access-control-id: Offer {tags.pk} is a add-user-tag offer")


@pytest.mark.parametrize("extra, field", [({"user-tags": "a"}, "user-tags"),
                                          ({"match-specification": SPEC},
                                           "match-specification")])
def test_an_apply_offer_code_takes_no_fields_of_other_actions(api, offer, extra, field):
    assert refused(api, apply(offer, **extra)).startswith(f"{field}: Only ")


def test_an_add_user_tag_code_names_no_offer(api, offer):
    error = refused(api, {"batch": "b", "action-type": "add-user-tag", "user-tags": "a",
                          "access-control-id": str(offer.pk)})
    assert error.startswith("access-control-id: An add-user-tag code adds its user tags")


def test_a_body_batch_other_than_the_urls_is_a_400(api, offer):
    error = refused(api, apply(offer, batch="a"), url=f"{URL}/b")
    assert error == "batch: names batch 'a' but the URL names 'b'."


# --- POST: duplicates are conflicts -------------------------------------------------------------

def test_an_access_code_that_exists_is_a_409(api, offer):
    CodeFactory(code="CAFE42")
    before = Code.objects.count()
    response = api.post(URL, apply(offer, **{"access-code": "cafe42"}), format="json")
    assert response.status_code == 409
    assert response.json()["error"].startswith("access-code: This code exists already")
    assert Code.objects.count() == before


def test_the_same_access_code_twice_in_one_array_is_a_409_and_makes_neither(api, offer):
    error = refused(api, [apply(offer, **{"access-code": "CAFE42"}),
                          apply(offer, **{"access-code": "ca-fe-42"})], status=409)
    assert error.startswith("[1].access-code: This code exists already")


# --- POST: the body as a whole ------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["{not json", "", "batch=b&action-type=apply-offer"])
def test_a_body_that_is_not_json_is_a_400(api, raw):
    refused(api, None, raw=raw)


def test_a_form_encoded_body_is_a_400_not_a_415(api):
    refused(api, None, raw="batch=b", content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("body", ['"codes"', "12", "null", "true"])
def test_a_body_that_is_not_an_object_or_array_is_a_400(api, body):
    error = refused(api, None, raw=body)
    assert error == "The body must be a JSON code object or an array of them."


def test_an_empty_array_is_a_400(api):
    assert refused(api, []) == "The array is empty: give at least one code object."


def test_an_array_of_non_objects_is_a_400_naming_the_element(api, offer):
    assert refused(api, [apply(offer), "CAFE"]) == "[1]: Each code must be a JSON object."


def test_one_bad_element_makes_nothing_of_the_array(api, offer):
    error = refused(api, [apply(offer, count=3), apply(offer),
                          apply(offer, **{"access-control-id": str(uuid.uuid4())})])
    assert error.startswith("[2].access-control-id: There is no offer")


def test_a_refusal_found_after_codes_were_made_undoes_them(api, offer):
    """The code space check of element 1 runs after element 0's codes were inserted."""
    error = refused(api, [apply(offer, count=2, **{"code-length": 8}),
                          apply(offer, count=10, **{"code-length": 4})])
    assert error.startswith("[1].code-length: A code length of 4")


def test_more_than_ten_thousand_codes_in_one_array_is_a_400(api, offer):
    error = refused(api, [apply(offer, count=6000), apply(offer, count=6000)])
    assert error.startswith("count: At most 10,000 codes")


def test_post_is_refused_for_another_site(api, offer):
    refused(api, apply(offer), url="/admin-api/other/redemptions", status=404)


# --- PUT ----------------------------------------------------------------------------------------

@pytest.fixture
def code():
    return CodeFactory(group=CodeGroupFactory(label="b"), code="ABC", max_redemptions=2)


def put_refused(api, code, body, *, status=400, raw=None):
    before = Code.objects.filter(pk=code.pk).values().get()
    if raw is not None:
        response = api.put("/admin-api/redemptions/b/abc", raw, content_type="application/json")
    else:
        response = api.put("/admin-api/redemptions/b/abc", body, format="json")
    assert response.status_code == status, response.content
    assert Code.objects.filter(pk=code.pk).values().get() == before
    return response.json()["error"]


@pytest.mark.parametrize("body, error", [
    ({"remaining-redemptions": -1}, "remaining-redemptions: Remaining redemptions must be a "
                                    "whole number from 0"),
    ({"remaining-redemptions": "x"}, "remaining-redemptions: must be a whole number"),
    ({"remaining-redemptions": None}, "remaining-redemptions: must be a whole number from 0"),
    ({"remaining-redemptions": 10**10}, "remaining-redemptions: Remaining redemptions must"),
    ({"is-valid": "maybe"}, "is-valid: must be true or false"),
    ({"is-valid": None}, "is-valid: must be true or false"),
    ({"expiration-date": "soon"}, "expiration-date: must be an ISO 8601"),
    ({"user-tags": "a;b"}, "user-tags: Only add-user-tag codes have user tags"),
    ({"access-code": "DEF"}, "access-code: is not a field here"),
    ({"batch": "other"}, "batch: is not a field here"),
    ({"redeemed-users": []}, "redeemed-users: is read-only"),
    ({}, "Give at least one of is-valid, remaining-redemptions, expiration-date, user-tags."),
    ([{"is-valid": False}], "The body must be a JSON object."),
    ({"is-valid": False, "remaining-redemptions": -1}, "remaining-redemptions: "),
])
def test_a_bad_change_is_a_400_naming_its_field_and_changes_nothing(api, code, body, error):
    assert put_refused(api, code, body).startswith(error)


def test_empty_user_tags_on_an_add_user_tag_code_is_a_400(api):
    tags = OfferFactory(action_type=ActionType.ADD_USER_TAG, user_tags=["a"])
    code = CodeFactory(group=CodeGroupFactory(label="b"), code="ABC", offer=tags)
    assert put_refused(api, code, {"user-tags": ""}).startswith(
        "user-tags: An add-user-tag code needs at least one user tag.")


def test_a_put_body_that_is_not_json_is_a_400(api, code):
    put_refused(api, code, None, raw="{nope")


# --- GET: target-url ----------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["https://evil.example/welcome", "//evil.example/x",
                                    "javascript:alert(1)", ""])
def test_a_target_url_off_this_site_is_a_400(api, code, target):
    for path in ("/admin-api/redemptions/b", "/admin-api/redemptions/b/abc"):
        response = api.get(path, {"target-url": target})
        assert response.status_code == 400
        assert response.json()["error"].startswith("target-url: must be a path on this site")


def test_a_target_url_on_this_sites_host_is_kept(api, code, settings):
    settings.SITE_URL = "https://learn.example.com"
    response = api.get("/admin-api/redemptions/b/abc",
                       {"target-url": "https://learn.example.com/done"})
    assert response.status_code == 200
    assert response.json()["redemption-url"] == (
        "https://learn.example.com/redeem/entitle?redemptionCode=ABC"
        "&successUrl=https%3A%2F%2Flearn.example.com%2Fdone")


def test_a_target_url_on_a_redirect_host_is_kept(api, code, settings):
    settings.REDIRECT_HOSTS = ["shop.example.com"]
    response = api.get("/admin-api/redemptions/b/abc",
                       {"target-url": "http://shop.example.com/thanks"})
    assert response.status_code == 200
    assert response.json()["redemption-url"].endswith(
        "&successUrl=http%3A%2F%2Fshop.example.com%2Fthanks")
