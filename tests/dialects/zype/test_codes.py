"""Zype's `/redemption_codes`: the code object against seed 002's example, create (form and
JSON, each target kind), bulk create, retrieve, update and delete, in Zype's envelopes."""

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import segno
from django.conf import settings
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from catalog.models import ItemKind
from dialects.zype.codes import (
    NO_TARGET,
    QR_MASK,
    BulkDrawings,
    ZypeCodeSerializer,
    zype_code_list_json,
    zype_code_object,
)
from redemptions import selectors, services
from redemptions.codes import ALPHABET_CHARACTERS, Alphabet, nice_code
from redemptions.models import Code, CodeGroup, Offer
from tests.dialects.zype.support import (
    FIELD_KINDS,
    SEED_KEYS,
    URL,
    Zype,
    item,
    standalone_code,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ZYPE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")


@pytest.fixture
def zype(api_key):
    return Zype(api_key[1])


@pytest.fixture
def spaceballs(db):
    return item(title="Spaceballs 2: The Search For More Money",
                external_id="570dabc8f28347ccfc02e939")


# --- the code object --------------------------------------------------------------------------

def test_a_created_code_has_every_field_of_the_seeds_example_in_its_order(zype, spaceballs):
    body = zype.create(video_id="570dabc8f28347ccfc02e939", code="RQMJQJB5JX5V6JQ5")
    assert list(body) == SEED_KEYS


def test_a_created_code_renders_as_the_seeds_example(zype, spaceballs):
    body = zype.create(video_id="570dabc8f28347ccfc02e939", code="RQMJQJB5JX5V6JQ5")
    code = Code.objects.get()
    assert {k: v for k, v in body.items() if not k.startswith(("as_qr", "created", "updated"))} \
        == {
        "_id": str(code.pk), "code": "RQMJQJB5JX5V6JQ5",
        "content_title": "Spaceballs 2: The Search For More Money", "content_type": "video",
        "expiration_date": None, "pass_plan_id": None, "plan_id": None, "playlist_id": None,
        "redeemed_at": None, "site_id": settings.SITE_ID_TEXT, "transaction_id": None,
        "video_id": "570dabc8f28347ccfc02e939", "nice_code": "RQMJ-QJB5-JX5V-6JQ5",
        "available": True, "redeemed": False, "expired": False,
    }
    assert ZYPE_TIME.match(body["created_at"]) and ZYPE_TIME.match(body["updated_at"])


def test_the_qr_codes_are_inline_svg_of_the_codes_redemption_url_large_and_small(zype,
                                                                                spaceballs):
    body = zype.create(video_id=str(spaceballs.pk), code="RQMJQJB5JX5V6JQ5")
    url = f"{settings.SITE_URL}/redeem/{settings.SITE_SLUG}?redemptionCode=RQMJQJB5JX5V6JQ5"
    symbol = segno.make(url, error="m", mask=QR_MASK, micro=False)
    side = symbol.symbol_size(scale=1)[0]
    path = re.search(r"<path [^>]*/>", symbol.svg_inline(scale=1)).group(0)
    large, small = body["as_qr_code_html_l"], body["as_qr_code_html_b"]
    assert large == (f'<svg width="{side * 6}" height="{side * 6}" viewBox="0 0 {side} {side}" '
                     f'class="segno">{path}</svg>')
    assert small == large.replace(f'"{side * 6}"', f'"{side * 2}"')


@pytest.mark.parametrize("code, nice", [
    ("RQMJQJB5JX5V6JQ5", "RQMJ-QJB5-JX5V-6JQ5"),
    ("123456", "123-456"),
    ("BCDFGHJKM", "BCD-FGH-JKM"),
    ("BCDFGHJKMNPQ", "BCDF-GHJK-MNPQ"),  # a multiple of 3 and of 4: fours
    ("BCDFGHJKMN", "BCDF-GHJK-MN"),
    ("BCD", "BCD"),
])
def test_nice_code_groups_by_four_or_by_three(code, nice):
    assert nice_code(code) == nice


def test_a_target_without_an_external_id_is_shown_by_our_id(zype):
    playlist = item(ItemKind.PLAYLIST, title="Best of")
    body = zype.create(playlist_id=str(playlist.pk))
    assert (body["playlist_id"], body["video_id"], body["content_type"]) == \
        (str(playlist.pk), None, "playlist")


def test_a_code_whose_offer_grants_several_items_has_no_content(zype):
    code = services.create_code(offer=services.OfferTerms(name="Two",
                                                          items=[item(), item()]))
    body = zype.get(f"{URL}/{code.pk}").json()["response"]
    assert (body["content_title"], body["content_type"], body["video_id"]) == (None, None, None)


def test_a_redeemed_code_shows_when_and_is_no_longer_available(zype, spaceballs):
    code = standalone_code(spaceballs)
    redemption = services.redeem(code.code, UserFactory())
    body = zype.get(f"{URL}/{code.pk}").json()["response"]
    assert (body["redeemed"], body["available"], body["expired"]) == (True, False, False)
    assert body["redeemed_at"] == redemption.redeemed_at.isoformat(timespec="milliseconds")


def test_a_rolled_back_redemption_makes_the_code_available_again(zype, spaceballs):
    code = standalone_code(spaceballs)
    services.rollback(services.redeem(code.code, UserFactory()), "refund")
    body = zype.get(f"{URL}/{code.pk}").json()["response"]
    assert (body["redeemed"], body["redeemed_at"], body["available"]) == (False, None, True)


def test_a_deactivated_code_is_not_available(zype, spaceballs):
    code = standalone_code(spaceballs)
    services.set_codes_active([code], False)
    assert zype.get(f"{URL}/{code.pk}").json()["response"]["available"] is False


def test_the_transaction_id_is_shown_when_set(zype, spaceballs):
    code = standalone_code(spaceballs, transaction_id="TX-42")
    assert zype.get(f"{URL}/{code.pk}").json()["response"]["transaction_id"] == "TX-42"


def test_the_written_out_code_object_is_what_the_serializer_renders(spaceballs):
    now = timezone.now()
    several = services.create_code(offer=services.OfferTerms(name="Two",
                                                             items=[item(), item()]))
    redeemed = standalone_code(spaceballs, transaction_id="TX-1")
    services.redeem(redeemed.code, UserFactory())
    expired = standalone_code(item(ItemKind.PLAYLIST, external_id=""),
                              expiration_date=now - dt.timedelta(days=1))
    inactive = standalone_code(item(ItemKind.PASS_PLAN))
    services.set_codes_active([inactive], False)
    group = services.create_code_group(
        label="Hex", offer=services.OfferTerms(name="Plan", items=[item(ItemKind.PLAN)]),
        count=2, code_length=12, alphabet=Alphabet.HEX,
        expiration_date=now + dt.timedelta(days=3))
    codes = selectors.codes_with_targets().filter(
        pk__in=[several.pk, redeemed.pk, expired.pk, inactive.pk,
                *group.codes.values_list("pk", flat=True)])
    assert len(codes) == 6
    for code in codes:
        assert zype_code_object(code, now) == \
            ZypeCodeSerializer(code, context={"now": now}).data


def test_a_bulk_create_answers_each_code_as_the_serializer_renders_it(zype, spaceballs):
    response = zype.post(f"{URL}/bulk_create", {
        "amount": 4, "redemption_codes[video_id]": spaceballs.external_id,
        "redemption_codes[expiration_date]": "2090-01-15"})
    assert response.status_code == 201, response.content
    codes = selectors.codes_with_targets().order_by("id")
    assert response.json()["response"] == [ZypeCodeSerializer(code).data for code in codes]


def rendered(codes, now=None) -> bytes:
    """What DRF's JSONRenderer writes for the serializer's list of `codes`."""
    return JSONRenderer().render({"response": [
        ZypeCodeSerializer(code, context={"now": now or timezone.now()}).data
        for code in codes]})


def test_a_bulk_create_answers_byte_for_byte_what_the_renderer_writes(zype):
    target = item(title='Spaceballs "2": Ünïcode \\ – the\u2028sequel <b>&</b>',
                  external_id="570dabc8f28347ccfc02e939")
    response = zype.post(f"{URL}/bulk_create", {
        "amount": 30, "redemption_codes[video_id]": target.external_id,
        "redemption_codes[expiration_date]": "2090-01-15"})
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json"
    assert response.content == rendered(selectors.codes_with_targets().order_by("id"))
    assert response["Content-Length"] == str(len(response.content))


def test_a_bulk_create_asked_for_indented_json_is_indented(zype, spaceballs):
    response = zype.client.post(f"{URL}/bulk_create", {
        "api_key": zype.key, "amount": 3, "redemption_codes[video_id]": spaceballs.external_id},
        HTTP_ACCEPT="application/json; indent=2")
    assert response.status_code == 201, response.content
    codes = selectors.codes_with_targets().order_by("id")
    assert response.content == JSONRenderer().render(
        {"response": [ZypeCodeSerializer(code).data for code in codes]},
        "application/json; indent=2")


def test_a_groups_codes_in_every_state_are_written_as_the_renderer_writes_them(spaceballs):
    now = timezone.now()
    group = services.create_code_group(
        label="Hex", offer=services.OfferTerms(name="Plan", items=[item(ItemKind.PLAN)]),
        count=6, code_length=12, alphabet=Alphabet.HEX,
        expiration_date=now + dt.timedelta(days=3))
    first, second, third, *_ = group.codes.order_by("id")
    services.redeem(first.code, UserFactory())
    services.set_codes_active([second], False)
    services.update_code(third, expiration_date=now - dt.timedelta(hours=1))
    codes = selectors.codes_with_targets().filter(group=group).order_by("id")
    assert codes[0].display_code() != codes[0].code  # hex, shown in lower case
    assert b"".join(zype_code_list_json(group, now)) == rendered(codes, now)


def test_codes_not_drawn_while_inserted_are_drawn_when_answered(spaceballs):
    group = services.create_code_group(
        label="Late", offer=services.OfferTerms(name="Video", items=[spaceballs]), count=3,
        code_length=16)
    codes = list(selectors.codes_with_targets().filter(group=group).order_by("id"))
    now = timezone.now()
    with ThreadPoolExecutor(max_workers=1) as executor:
        drawings = BulkDrawings(executor)
        drawings.on_batch(group, [codes[0].code, "BCDFGHJKMNPQRSTV"])  # one of three, and
        assert b"".join(zype_code_list_json(group, now, drawings)) == rendered(codes, now)


# --- create -----------------------------------------------------------------------------------

@pytest.mark.parametrize("field", list(FIELD_KINDS))
def test_create_with_each_target_kind_by_external_id(zype, field):
    target = item(FIELD_KINDS[field], external_id=f"ext-{field}")
    body = zype.create(**{field: f"ext-{field}"})
    assert body[field] == f"ext-{field}"
    assert body["content_type"] == FIELD_KINDS[field]
    assert [k for k in FIELD_KINDS if body[k]] == [field]
    assert Code.objects.get().target_item == target


def test_create_takes_a_json_body_and_our_item_id(zype, spaceballs):
    response = zype.post(data={"redemption_code": {"video_id": str(spaceballs.pk),
                                                   "code": "json-made-1"}}, json=True)
    assert response.status_code == 201, response.content
    assert response.json()["response"]["code"] == "JSONMADE1"


def test_create_answers_at_the_seeds_path_form_too(zype, spaceballs):
    response = zype.post(f"{URL}/redemption_code",
                         {"redemption_code[video_id]": spaceballs.external_id})
    assert response.status_code == 201, response.content


def test_create_without_a_code_generates_one_like_zypes(zype, spaceballs):
    code = zype.create(video_id=spaceballs.external_id)["code"]
    assert len(code) == 16
    assert set(code) <= set(ALPHABET_CHARACTERS[Alphabet.UNAMBIGUOUS])


def test_a_custom_code_is_stored_canonical(zype, spaceballs):
    body = zype.create(video_id=spaceballs.external_id, code="spring-2025 vip")
    assert body["code"] == "SPRING2025VIP"
    assert Code.objects.get().code == "SPRING2025VIP"


def test_create_without_a_target_says_so_verbatim_and_makes_nothing(zype):
    response = zype.post(data={"redemption_code[code]": "NOTARGET"})
    assert response.status_code == 422
    assert response.json() == {"message": NO_TARGET}
    assert NO_TARGET == "A video_id, playlist_id, plan_id, OR a pass_plan_id is required."
    assert not Code.objects.exists() and not Offer.objects.exists()


def test_create_with_two_targets_is_refused(zype, spaceballs):
    playlist = item(ItemKind.PLAYLIST)
    response = zype.post(data={"redemption_code[video_id]": str(spaceballs.pk),
                               "redemption_code[playlist_id]": str(playlist.pk)})
    assert response.status_code == 422
    assert "only one" in response.json()["message"]
    assert not Code.objects.exists()


def test_a_target_of_another_kind_is_unknown(zype):
    playlist = item(ItemKind.PLAYLIST, external_id="pl-1")
    response = zype.post(data={"redemption_code[video_id]": "pl-1"})
    assert response.status_code == 422
    assert response.json() == {"message": "video_id: There is no video with the id pl-1."}
    assert playlist.pk and not Code.objects.exists()


def test_a_duplicate_custom_code_is_refused_and_nothing_changes(zype, spaceballs):
    zype.create(video_id=spaceballs.external_id, code="SAMECODE")
    response = zype.post(data={"redemption_code[video_id]": spaceballs.external_id,
                               "redemption_code[code]": "same-code"})
    assert response.status_code == 422
    assert response.json() == {"message": "code: This code exists already."}
    assert Code.objects.count() == 1 and Offer.objects.count() == 1


def test_a_custom_code_with_punctuation_is_refused(zype, spaceballs):
    response = zype.post(data={"redemption_code[video_id]": spaceballs.external_id,
                               "redemption_code[code]": "half/price!"})
    assert response.status_code == 422
    assert not Code.objects.exists()


def test_a_bare_expiration_date_is_the_end_of_that_day_utc(zype, spaceballs):
    future = zype.create(video_id=spaceballs.external_id, expiration_date="2090-01-15")
    assert future["expiration_date"] == "2090-01-15T23:59:59.999+00:00"


def test_a_code_may_be_created_already_expired(zype, spaceballs):
    past = zype.create(video_id=spaceballs.external_id, expiration_date="2017-01-15")
    assert (past["expired"], past["available"]) == (True, False)


def test_a_code_expiring_today_by_date_is_still_available_today(zype, spaceballs):
    today = timezone.now().date().isoformat()
    code = zype.create(video_id=spaceballs.external_id, expiration_date=today)
    assert (code["expired"], code["available"]) == (False, True)


def test_an_unreadable_expiration_date_is_a_400_naming_it(zype, spaceballs):
    response = zype.post(data={"redemption_code[video_id]": spaceballs.external_id,
                               "redemption_code[expiration_date]": "soon"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("expiration_date: ")
    assert not Code.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(zype):
    response = zype.client.post(f"{URL}?api_key={zype.key}", [1, 2], format="json")
    assert response.status_code == 400
    assert "message" in response.json()


@pytest.mark.parametrize("key", [None, "nope.wrong-key"])
def test_without_a_valid_api_key_nothing_is_listed_or_made(zype, spaceballs, key):
    zype.key = key or ""
    assert zype.get().status_code == 401
    response = zype.post(data={"redemption_code[video_id]": spaceballs.external_id})
    assert response.status_code == 401
    assert list(response.json()) == ["message"]
    assert not Code.objects.exists()


def test_an_api_key_in_the_query_string_works_for_create(zype, spaceballs):
    response = zype.client.post(f"{URL}?api_key={zype.key}",
                                {"redemption_code[video_id]": spaceballs.external_id})
    assert response.status_code == 201


# --- bulk create ------------------------------------------------------------------------------

def test_bulk_create_makes_the_amount_asked_as_one_group_and_lists_them(zype, spaceballs):
    response = zype.post(f"{URL}/bulk_create", {
        "amount": 25, "redemption_codes[video_id]": spaceballs.external_id,
        "redemption_codes[expiration_date]": "2090-01-15"})
    assert response.status_code == 201, response.content
    codes = response.json()["response"]
    assert len(codes) == 25 == len({c["code"] for c in codes})
    assert all(list(c) == SEED_KEYS for c in codes)
    assert {(c["video_id"], c["expiration_date"]) for c in codes} == \
        {(spaceballs.external_id, "2090-01-15T23:59:59.999+00:00")}
    group = CodeGroup.objects.get()
    assert (group.total_codes_count, group.codes.count()) == (25, 25)
    assert all(len(c["code"]) == 16 for c in codes)


def test_bulk_create_takes_json_and_the_seeds_path_form(zype, spaceballs):
    response = zype.post(f"{URL}/bulk_create/redemption_codes",
                         {"amount": 3, "redemption_codes": {"video_id": spaceballs.external_id}},
                         json=True)
    assert response.status_code == 201, response.content
    assert len(response.json()["response"]) == 3


@pytest.mark.parametrize("amount, status", [(None, 400), ("many", 400), (0, 422),
                                            (10_001, 422)])
def test_bulk_create_refuses_a_missing_or_bad_amount_and_makes_nothing(zype, spaceballs,
                                                                       amount, status):
    data = {"redemption_codes[video_id]": spaceballs.external_id}
    if amount is not None:
        data["amount"] = amount
    response = zype.post(f"{URL}/bulk_create", data)
    assert response.status_code == status
    assert list(response.json()) == ["message"]
    assert not Code.objects.exists() and not CodeGroup.objects.exists()


def test_bulk_create_without_a_target_says_so_verbatim(zype):
    response = zype.post(f"{URL}/bulk_create", {"amount": 5})
    assert response.status_code == 422
    assert response.json() == {"message": NO_TARGET}


# --- retrieve, update, delete -----------------------------------------------------------------

def test_retrieve_one_code(zype, spaceballs):
    code = standalone_code(spaceballs)
    response = zype.get(f"{URL}/{code.pk}")
    assert response.status_code == 200
    assert response.json()["response"]["_id"] == str(code.pk)


@pytest.mark.parametrize("ident", ["999999", "570fc5ddf283471ac300000a", "99999999999999999999"])
def test_an_unknown_id_is_a_404_in_zypes_envelope(zype, ident):
    response = zype.get(f"{URL}/{ident}")
    assert response.status_code == 404
    assert response.json() == {"message": "Redemption code not found."}


def test_update_changes_an_unredeemed_codes_text_and_expiry(zype, spaceballs):
    code = standalone_code(spaceballs)
    response = zype.put(f"{URL}/{code.pk}", {"redemption_code[code]": "new-text-1",
                                             "redemption_code[expiration_date]": 1924992000})
    assert response.status_code == 200, response.content
    body = response.json()["response"]
    assert (body["code"], body["expiration_date"]) == ("NEWTEXT1",
                                                       "2031-01-01T00:00:00.000+00:00")


def test_update_of_a_redeemed_codes_text_is_refused_and_nothing_changes(zype, spaceballs):
    code = standalone_code(spaceballs)
    services.redeem(code.code, UserFactory())
    response = zype.put(f"{URL}/{code.pk}", {"redemption_code": {
        "code": "OTHERTEXT", "expiration_date": "2090-01-01"}}, json=True)
    assert response.status_code == 422
    assert "redeemed" in response.json()["message"]
    kept = Code.objects.get(pk=code.pk)
    assert (kept.code, kept.expiration_date) == (code.code, None)


def test_update_of_a_redeemed_codes_expiry_alone_is_allowed(zype, spaceballs):
    code = standalone_code(spaceballs)
    services.redeem(code.code, UserFactory())
    response = zype.put(f"{URL}/{code.pk}", {"redemption_code[expiration_date]": "2090-01-01"})
    assert response.status_code == 200
    assert response.json()["response"]["expiration_date"].startswith("2090-01-01")


def test_an_empty_expiration_date_clears_it(zype, spaceballs):
    code = standalone_code(spaceballs, expiration_date=timezone.now() + dt.timedelta(days=9))
    response = zype.put(f"{URL}/{code.pk}", {"redemption_code[expiration_date]": ""})
    assert response.json()["response"]["expiration_date"] is None


def test_update_may_change_the_target(zype, spaceballs):
    code = standalone_code(spaceballs)
    plan = item(ItemKind.PLAN, external_id="gold")
    response = zype.put(f"{URL}/{code.pk}", {"redemption_code[plan_id]": "gold"})
    body = response.json()["response"]
    assert (body["video_id"], body["plan_id"], body["content_type"]) == (None, "gold", "plan")
    assert list(Code.objects.get().offer.items.all()) == [plan]


def test_update_to_a_duplicate_text_is_refused(zype, spaceballs):
    standalone_code(spaceballs, code="TAKEN1")
    code = standalone_code(spaceballs)
    response = zype.put(f"{URL}/{code.pk}", {"redemption_code[code]": "taken1"})
    assert response.status_code == 422
    assert Code.objects.get(pk=code.pk).code == code.code


def test_delete_of_an_unredeemed_code_is_a_204(zype, spaceballs):
    code = standalone_code(spaceballs)
    response = zype.delete(f"{URL}/{code.pk}")
    assert response.status_code == 204
    assert not Code.objects.filter(pk=code.pk).exists()


def test_delete_of_a_redeemed_code_is_a_409_and_it_stays(zype, spaceballs):
    code = standalone_code(spaceballs)
    services.redeem(code.code, UserFactory())
    response = zype.delete(f"{URL}/{code.pk}")
    assert response.status_code == 409
    assert list(response.json()) == ["message"]
    assert Code.objects.filter(pk=code.pk).exists()


def test_delete_of_an_unknown_code_is_a_404(zype):
    assert zype.delete(f"{URL}/12345").status_code == 404
