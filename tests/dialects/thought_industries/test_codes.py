"""Thought Industries' `/incoming/v2/redemptionCodes`: wire format against seed 000."""

import base64
import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from catalog.models import ItemKind
from core.time import iso_millis_z
from dialects.thought_industries.errors import REFUSALS
from licensing.models import License
from redemptions import services
from redemptions.errors import AccessTermsExclusive, TooManyCodes
from redemptions.models import Code, CodeGroup, Offer
from tests.factories import CatalogItemFactory, ClientFactory, UserFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory

pytestmark = pytest.mark.django_db

URL = "/incoming/v2/redemptionCodes"
SEED_RESPONSE_KEYS = ["id", "label", "redeemedCodesCount", "totalCodesCount", "expirationDate",
                      "accessDays", "accessExpirationDate", "client", "courses",
                      "learningPaths", "bundles", "licenses"]


def create(api, **body):
    return api.post(URL, body, format="json")


def make_group(api, **extra):
    course = CatalogItemFactory(title="Onboarding Essentials")
    body = {"label": "Spring Promo", "codeLength": 8, "totalCodesCount": 100,
            "courses": [str(course.pk)], **extra}
    response = create(api, **body)
    assert response.status_code == 201, response.content
    return response.json()


def test_the_seed_example_request_returns_the_seed_response_shape(api):
    course = CatalogItemFactory(title="Onboarding Essentials")
    response = create(api, label="Spring Promo", codeLength=8, totalCodesCount=100,
                      courses=[str(course.pk)])
    assert response.status_code == 201
    body = response.json()
    assert list(body) == SEED_RESPONSE_KEYS
    assert {k: v for k, v in body.items() if k != "id"} == {
        "label": "Spring Promo", "redeemedCodesCount": 0, "totalCodesCount": 100,
        "expirationDate": None, "accessDays": None, "accessExpirationDate": None,
        "client": None,
        "courses": [{"id": str(course.pk), "title": "Onboarding Essentials"}],
        "learningPaths": [], "bundles": [], "licenses": [],
    }


def test_creating_a_group_generates_its_codes(api):
    body = make_group(api)
    group = CodeGroup.objects.get(pk=body["id"])
    codes = list(group.codes.values_list("code", flat=True))
    assert len(codes) == 100 == len(set(codes))
    assert all(len(code) == 8 for code in codes)


def test_bundles_learning_paths_licenses_and_client_render_as_the_seed_says(api):
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, title="Starter")
    path = CatalogItemFactory(kind=ItemKind.LEARNING_PATH, title="Sales Path")
    client = ClientFactory(name="Acme")
    license_ = License.objects.create(client=client, name="Acme seats")
    response = create(api, label="Mixed", codeLength=10, totalCodesCount=5,
                      bundles=[str(bundle.pk)], learningPaths=[str(path.pk)],
                      licenses=[str(license_.pk)], client=str(client.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["bundles"] == [{"id": str(bundle.pk), "name": "Starter"}]
    assert body["learningPaths"] == [{"id": str(path.pk), "name": "Sales Path"}]
    assert body["licenses"] == [{"id": str(license_.pk), "name": "Acme seats"}]
    assert body["client"] == {"id": str(client.pk), "name": "Acme"}


def test_dates_may_be_dates_or_timestamps_and_render_with_milliseconds(api):
    body = make_group(api, expirationDate="2030-01-01", accessExpirationDate=1924992000)
    assert body["expirationDate"] == "2030-01-01T23:59:59.999Z"
    assert body["accessExpirationDate"] == "2031-01-01T00:00:00.000Z"


def test_a_bare_access_expiration_date_grants_access_to_the_end_of_that_day(api):
    body = make_group(api, accessExpirationDate="2031-01-01")
    assert body["accessExpirationDate"] == "2031-01-01T23:59:59.999Z"


def test_a_code_of_a_group_expiring_today_by_date_redeems_today(api):
    body = make_group(api, expirationDate=timezone.now().date().isoformat(),
                      totalCodesCount=1)
    code = Code.objects.get(group_id=body["id"])
    assert services.redeem(code.code, UserFactory()).code == code


@pytest.mark.parametrize("field", ["expirationDate", "accessExpirationDate"])
def test_true_is_not_a_date(api, field):
    course = CatalogItemFactory()
    response = create(api, label="X", codeLength=8, totalCodesCount=1,
                      courses=[str(course.pk)], **{field: True})
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith(f"{field}: ")


def test_access_days_are_kept_on_the_offer(api):
    body = make_group(api, accessDays=30)
    assert body["accessDays"] == 30
    assert Offer.objects.get(code_groups__pk=body["id"]).access_days == 30


def test_without_any_item_the_seed_message_comes_back_verbatim(api):
    response = create(api, label="Empty", codeLength=8, totalCodesCount=10)
    assert response.status_code == 400
    assert response.json() == {"errors": [
        "Please choose at least one item to give access to, or select a license."]}


@pytest.mark.parametrize("missing", ["codeLength", "totalCodesCount"])
def test_without_length_or_count_the_seed_message_comes_back_verbatim(api, missing):
    course = CatalogItemFactory()
    body = {"label": "X", "codeLength": 8, "totalCodesCount": 10, "courses": [str(course.pk)]}
    del body[missing]
    response = create(api, **body)
    assert response.status_code == 400
    assert response.json() == {"errors": [
        "Generated Redemption Code Groups must have a value for code length and total codes."]}


def test_access_days_and_access_expiration_date_together_are_refused(api):
    course = CatalogItemFactory()
    response = create(api, label="X", codeLength=8, totalCodesCount=10,
                      courses=[str(course.pk)], accessDays=3,
                      accessExpirationDate="2030-01-01")
    assert response.status_code == 400
    assert "mutually exclusive" in response.json()["errors"][0]
    assert not CodeGroup.objects.exists()


def test_more_than_ten_thousand_codes_are_refused(api):
    course = CatalogItemFactory()
    response = create(api, label="X", codeLength=12, totalCodesCount=10_001,
                      courses=[str(course.pk)])
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "totalCodesCount cannot exceed 10,000 (asked for 10,001)."]


@pytest.mark.parametrize(("refusal", "wording"), [
    (AccessTermsExclusive(message="Give one.", field="access_days"),
     "accessDays and accessExpirationDate are mutually exclusive: set one or the other, "
     "not both."),
    (TooManyCodes(message="Too many.", field="count", count=12, limit=10),
     "totalCodesCount cannot exceed 10 (asked for 12)."),
])
def test_the_seeds_wording_comes_from_the_refusals_class(refusal, wording):
    assert REFUSALS.message(refusal) == wording


def test_unknown_ids_are_named(api):
    course = CatalogItemFactory()
    ghost = "8f2a1c34-5b6d-4e7f-9a01-2b3c4d5e6f70"
    response = create(api, label="X", codeLength=8, totalCodesCount=10,
                      courses=[str(course.pk), ghost, "not-a-uuid"],
                      client="2b3c4d5e-5b6d-4e7f-9a01-2b3c4d5e6f70")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        f"Unknown course id(s) in courses: {ghost}, not-a-uuid.",
        "Unknown client: 2b3c4d5e-5b6d-4e7f-9a01-2b3c4d5e6f70.",
    ]


def test_a_course_id_given_as_a_bundle_is_unknown(api):
    course = CatalogItemFactory()
    response = create(api, label="X", codeLength=8, totalCodesCount=10,
                      bundles=[str(course.pk)])
    assert response.status_code == 400
    assert f"Unknown bundle id(s) in bundles: {course.pk}." in response.json()["errors"]


def test_a_code_length_too_short_for_the_count_names_the_numbers(api):
    course = CatalogItemFactory()
    response = create(api, label="X", codeLength=3, totalCodesCount=100,
                      courses=[str(course.pk)])
    assert response.status_code == 400
    message = response.json()["errors"][0]
    assert message.startswith("codeLength: A code length of 3 gives 17,576 possible codes")
    assert "1,000,000" in message
    assert not CodeGroup.objects.exists()
    assert not Offer.objects.exists()


def test_a_wrong_type_is_a_400_naming_the_field(api):
    response = create(api, label="X", codeLength="eight", totalCodesCount=10)
    assert response.status_code == 400
    assert any(e.startswith("codeLength:") for e in response.json()["errors"])


def test_a_body_that_is_not_json_is_a_400_in_the_envelope(api):
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "errors" in response.json()


def test_without_credentials_it_is_a_401_in_the_envelope(anon):
    response = anon.post(URL, {}, format="json")
    assert response.status_code == 401
    assert list(response.json()) == ["errors"]


def test_retrieve_adds_uploaded_and_gift(api):
    body = make_group(api)
    response = api.get(f"{URL}/{body['id']}")
    assert response.status_code == 200
    assert response.json() == {**body, "uploaded": False, "gift": False}


def test_retrieve_counts_redeemed_codes(api):
    body = make_group(api)
    code = Code.objects.filter(group_id=body["id"]).first()
    services.redeem(code.code, UserFactory())
    assert api.get(f"{URL}/{body['id']}").json()["redeemedCodesCount"] == 1


@pytest.mark.parametrize("ident", ["8f2a1c34-5b6d-4e7f-9a01-2b3c4d5e6f70", "nope"])
def test_an_unknown_group_is_a_404_in_the_envelope(api, ident):
    response = api.get(f"{URL}/{ident}")
    assert response.status_code == 404
    assert response.json() == {"errors": ["Not found."]}


def test_the_list_has_the_thought_industries_shape(api):
    body = make_group(api)
    response = api.get(URL)
    assert response.status_code == 200
    assert response.json() == {"redemptionCodeGroups": [{**body, "uploaded": False,
                                                         "gift": False}],
                               "pageInfo": {"total": 1, "hasMore": False, "cursor": None}}


def test_the_cursor_walks_every_group_once_in_sort_order(api):
    for label in ["delta", "alpha", "echo", "bravo", "charlie"]:
        CodeGroupFactory(label=label)
    seen, cursor = [], None
    while True:
        params = {"sort": "label:asc", "per_page": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get(URL, params).json()
        seen += [g["label"] for g in page["redemptionCodeGroups"]]
        assert page["pageInfo"]["total"] == 5
        cursor = page["pageInfo"]["cursor"]
        if not page["pageInfo"]["hasMore"]:
            break
    assert seen == ["alpha", "bravo", "charlie", "delta", "echo"]


def test_the_cursor_walks_every_group_once_by_creation_time(api):
    for label in ["a", "b", "c"]:
        CodeGroupFactory(label=label)
    page = api.get(URL, {"sort": "createdAt:desc", "per_page": 2}).json()
    rest = api.get(URL, {"cursor": page["pageInfo"]["cursor"], "per_page": 2}).json()
    assert [g["label"] for g in page["redemptionCodeGroups"] + rest["redemptionCodeGroups"]] \
        == ["c", "b", "a"]


def test_sorting_by_creation_time_descending(api):
    old = CodeGroupFactory(label="old")
    CodeGroup.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    CodeGroupFactory(label="new")
    labels = [g["label"] for g in api.get(URL, {"sort": "createdAt:desc"})
              .json()["redemptionCodeGroups"]]
    assert labels == ["new", "old"]


def test_a_bad_sort_or_cursor_is_a_400_naming_it(api):
    assert api.get(URL, {"sort": "colour:asc"}).json()["errors"][0].startswith("sort:")
    response = api.get(URL, {"cursor": "garbage!!"})
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("cursor:")


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


GROUP_ID = "8f2a1c34-5b6d-4e7f-9a01-2b3c4d5e6f70"
MALFORMED_CURSORS = {
    "value null": f'{{"sort":"label:asc","value":null,"id":"{GROUP_ID}"}}',
    "time value null": f'{{"sort":"createdAt:desc","value":null,"id":"{GROUP_ID}"}}',
    "value a list": f'{{"sort":"label:asc","value":["a"],"id":"{GROUP_ID}"}}',
    "value an object": f'{{"sort":"label:asc","value":{{"a":1}},"id":"{GROUP_ID}"}}',
    "value true": f'{{"sort":"totalCodesCount:asc","value":true,"id":"{GROUP_ID}"}}',
    "value infinite": f'{{"sort":"totalCodesCount:asc","value":Infinity,"id":"{GROUP_ID}"}}',
    "value beyond the column": (f'{{"sort":"totalCodesCount:asc","value":1e30,'
                                f'"id":"{GROUP_ID}"}}'),
    "value not a time": f'{{"sort":"createdAt:desc","value":"soon","id":"{GROUP_ID}"}}',
    "time value a number": f'{{"sort":"createdAt:desc","value":5,"id":"{GROUP_ID}"}}',
    "value missing": f'{{"sort":"label:asc","id":"{GROUP_ID}"}}',
    "id missing": '{"sort":"label:asc","value":"a"}',
    "id null": '{"sort":"label:asc","value":"a","id":null}',
    "id a list": '{"sort":"label:asc","value":"a","id":["x"]}',
    "id not a uuid": '{"sort":"label:asc","value":"a","id":"12"}',
    "sort missing": f'{{"value":"a","id":"{GROUP_ID}"}}',
    "sort unknown": f'{{"sort":"colour:asc","value":"a","id":"{GROUP_ID}"}}',
    "sort not text": f'{{"sort":7,"value":"a","id":"{GROUP_ID}"}}',
    "not an object": '["label:asc","a"]',
    "not json": "label:asc",
}


@pytest.mark.parametrize("raw", MALFORMED_CURSORS.values(), ids=MALFORMED_CURSORS.keys())
def test_a_malformed_cursor_is_a_400_saying_the_cursor_is_not_valid(api, raw):
    CodeGroupFactory(label="a")
    response = api.get(URL, {"cursor": _cursor(raw)})
    assert (response.status_code, response.json()) == (
        400, {"errors": ["cursor: This cursor is not valid."]})


@pytest.mark.parametrize("raw", ['{"sort":"id:asc","value":null,"id":null}',
                                 '{"sort":"id:asc","value":"x","id":"x"}',
                                 '{"sort":"id:asc","value":1e30,"id":1e30}'])
def test_a_malformed_codes_cursor_is_a_400_saying_the_cursor_is_not_valid(api, raw):
    group = CodeGroupFactory()
    response = api.get(f"{URL}/{group.pk}/codes", {"cursor": _cursor(raw)})
    assert (response.status_code, response.json()) == (
        400, {"errors": ["cursor: This cursor is not valid."]})


def test_a_cursor_of_another_sort_order_is_a_400_saying_so(api):
    raw = f'{{"sort":"label:asc","value":"a","id":"{GROUP_ID}"}}'
    response = api.get(URL, {"cursor": _cursor(raw), "sort": "createdAt:desc"})
    assert (response.status_code, response.json()) == (
        400, {"errors": ["cursor: This cursor belongs to another sort order."]})


def test_query_finds_groups_by_label_words_or_by_a_code_they_hold(api):
    spring = CodeGroupFactory(label="Spring Promo 2024")
    CodeGroupFactory(label="Autumn")
    code = CodeFactory(group=spring, code="RQMJQJB5")
    assert [g["label"] for g in api.get(URL, {"query": "promo spring"})
            .json()["redemptionCodeGroups"]] == ["Spring Promo 2024"]
    assert [g["id"] for g in api.get(URL, {"query": "rqmj-qjb5"})
            .json()["redemptionCodeGroups"]] == [str(code.group_id)]


def test_the_zype_style_filters_work_on_the_list(api):
    client = ClientFactory()
    mine = CodeGroupFactory(client=client)
    CodeGroupFactory()
    response = api.get(URL, {"client": str(client.pk), "createdAt.gte": "2000-01-01"})
    assert [g["id"] for g in response.json()["redemptionCodeGroups"]] == [str(mine.pk)]
    bad = api.get(URL, {"createdAt.gte": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0].startswith("createdAt.gte:")


def test_codes_list_in_pages_with_who_redeemed_them(api):
    group = CodeGroupFactory()
    first, second = CodeFactory(group=group), CodeFactory(group=group)
    user = UserFactory(email="ann@example.com")
    redemption = services.redeem(first.code, user)
    response = api.get(f"{URL}/{group.pk}/codes", {"per_page": 1})
    assert response.status_code == 200
    page = response.json()
    assert page["codes"] == [{"id": first.pk, "code": first.code, "redeemed": True,
                              "redeemedBy": ["ann@example.com"],
                              "redeemedAt": iso_millis_z(redemption.redeemed_at)}]
    assert page["pageInfo"]["hasMore"] is True
    rest = api.get(f"{URL}/{group.pk}/codes", {"cursor": page["pageInfo"]["cursor"]}).json()
    assert [c["id"] for c in rest["codes"]] == [second.pk]


def test_codes_filter_by_redeemed(api):
    group = CodeGroupFactory()
    CodeFactory(group=group)
    used = CodeFactory(group=group)
    services.redeem(used.code, UserFactory())
    codes = api.get(f"{URL}/{group.pk}/codes", {"redeemed": "true"}).json()["codes"]
    assert [c["id"] for c in codes] == [used.pk]


def test_codes_stream_as_csv(api):
    group = CodeGroupFactory(label="Spring Promo")
    redeemed, fresh = CodeFactory(group=group), CodeFactory(group=group)
    services.redeem(redeemed.code, UserFactory(email="bo@example.com"))
    response = api.get(f"{URL}/{group.pk}/codes", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "spring-promo-codes.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["code", "redeemed", "redeemedBy", "redeemedAt", "niceCode",
                       "redemptionUrl"]
    assert [r[:3] for r in rows[1:]] == [[redeemed.code, "true", "bo@example.com"],
                                         [fresh.code, "false", ""]]
    assert rows[1][3].endswith("Z") and rows[2][3] == ""


def test_csv_of_an_unknown_group_is_a_json_404(api):
    response = api.get(f"{URL}/8f2a1c34-5b6d-4e7f-9a01-2b3c4d5e6f70/codes", {"format": "csv"})
    assert response.status_code == 404
    assert response.json() == {"errors": ["Not found."]}


def test_deleting_an_unredeemed_group_removes_it_with_its_codes_and_offer(api):
    body = make_group(api)
    response = api.delete(f"{URL}/{body['id']}")
    assert response.status_code == 204
    assert not CodeGroup.objects.exists()
    assert not Code.objects.exists()
    assert not Offer.objects.exists()


def test_a_group_with_a_redeemed_code_cannot_be_deleted(api):
    body = make_group(api)
    code = Code.objects.filter(group_id=body["id"]).first()
    services.rollback(services.redeem(code.code, UserFactory()), "even rolled back")
    response = api.delete(f"{URL}/{body['id']}")
    assert response.status_code == 409
    assert "history" in response.json()["errors"][0]
    assert Code.objects.filter(group_id=body["id"]).count() == 100


def test_a_shared_offer_survives_the_deletion_of_one_group(api):
    offer = OfferFactory()
    group = CodeGroupFactory(offer=offer)
    CodeGroupFactory(offer=offer)
    assert api.delete(f"{URL}/{group.pk}").status_code == 204
    assert Offer.objects.filter(pk=offer.pk).exists()


def test_a_malformed_group_id_in_the_path_is_a_404(api):
    for path in ("/incoming/v2/redemptionCodes/abc", "/incoming/v2/redemptionCodes/abc/codes"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert set(response.json()) == {"errors"}
