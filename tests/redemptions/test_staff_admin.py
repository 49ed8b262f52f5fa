"""The redemptions admin a support team runs the business from: generating groups (from an
offer or from items; one group per form however often it is sent), downloading a group's
codes, new expiries in bulk, each code's redemption history, and deletes refused with the
reason."""

import csv
import datetime as dt
import io
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Entitlement
from jobs.models import Job
from redemptions import services
from redemptions.admin import ADMIN_MAX_CODES
from redemptions.codes import normalize_code
from redemptions.errors import CodeGroupError, CodeInUse
from redemptions.models import Code, CodeGroup, GenerationRequest, Offer
from tests.factories import CatalogItemFactory, UserFactory
from tests.licensing.factories import LicenseFactory
from tests.redemptions.factories import CodeFactory, OfferFactory

pytestmark = pytest.mark.django_db  # `admin_client`: pytest-django's, a superuser's session

GROUPS = "/admin/redemptions/codegroup/"
CODES = "/admin/redemptions/code/"


def add_group(admin_client, **fields):
    data = {"label": "Admin batch", "count": "5", "code_length": "", "alphabet": "unambiguous",
            "redemptions_per_code": "1", "token": str(uuid.uuid4()), **fields}
    return admin_client.post(f"{GROUPS}add/", data, follow=True)


def generated(count=3, **kwargs):
    return services.create_code_group(label=kwargs.pop("label", "G"),
                                      offer=kwargs.pop("offer", None) or OfferFactory(),
                                      count=count, code_length=10, **kwargs)


def later(days):
    return timezone.now().replace(microsecond=0, second=0) + dt.timedelta(days=days)


# generating

def test_a_group_for_items_makes_its_offer_and_says_what_it_generated(admin_client):
    course = CatalogItemFactory(title="Algebra")
    response = add_group(admin_client, items=[str(course.pk)], access_days="30", count="12")
    group = CodeGroup.objects.get(label="Admin batch")
    assert list(group.offer.items.all()) == [course] and group.offer.access_days == 30
    assert group.codes.count() == 12
    assert "Generated 12 codes of 8 characters in 1 batch(es)" in response.content.decode()


def test_a_generated_group_lands_on_its_own_page(admin_client):
    response = add_group(admin_client, offer=str(OfferFactory().pk))
    group = CodeGroup.objects.get(label="Admin batch")
    assert response.redirect_chain == [(f"{GROUPS}{group.pk}/change/", 302)]
    assert "5 codes" in response.content.decode()


def test_the_form_is_issued_with_a_fresh_token_each_time(admin_client):
    def token(page):
        return re.search(r'name="token" value="([0-9a-f-]{36})"', page.content.decode())[1]

    first, second = (token(admin_client.get(f"{GROUPS}add/")) for _ in range(2))
    assert first != second


def test_the_same_form_sent_twice_makes_one_group_and_both_land_on_it(admin_client):
    offer = OfferFactory()
    token = str(uuid.uuid4())
    first = add_group(admin_client, offer=str(offer.pk), token=token)
    second = add_group(admin_client, offer=str(offer.pk), token=token)
    group = CodeGroup.objects.get()
    assert group.codes.count() == 5
    assert first.redirect_chain == second.redirect_chain == [
        (f"{GROUPS}{group.pk}/change/", 302)]
    assert "had been submitted already" in second.content.decode()
    assert "Nothing more was generated" in second.content.decode()
    assert GenerationRequest.objects.get(token=token).group == group


def test_a_resubmitted_form_logs_the_addition_once(admin_client):
    from django.contrib.admin.models import ADDITION, LogEntry

    token = str(uuid.uuid4())
    for _ in range(2):
        add_group(admin_client, offer=str(OfferFactory().pk), token=token)
    assert LogEntry.objects.filter(action_flag=ADDITION).count() == 1


def test_a_form_without_its_token_is_refused_and_makes_nothing(admin_client):
    response = add_group(admin_client, offer=str(OfferFactory().pk), token="")
    assert "This form was not issued by this page" in response.content.decode()
    assert not CodeGroup.objects.exists()


def test_a_form_sent_again_after_its_group_was_deleted_makes_no_second_group(admin_client):
    token = str(uuid.uuid4())
    add_group(admin_client, offer=str(OfferFactory().pk), token=token)
    services.delete_code_group(CodeGroup.objects.get())
    again = add_group(admin_client, offer=str(OfferFactory().pk), token=token)
    assert "the group it made has since been deleted" in again.content.decode()
    assert not CodeGroup.objects.exists()


def test_the_form_estimates_the_time_from_this_servers_latest_generations(admin_client):
    GenerationRequest.objects.create(token=uuid.uuid4(), count=50_000, seconds=2.0)
    GenerationRequest.objects.create(token=uuid.uuid4(), count=50_000, seconds=4.0)
    GenerationRequest.objects.create(token=uuid.uuid4(), count=10, seconds=9.0)  # too small
    page = admin_client.get(f"{GROUPS}add/").content.decode()
    assert "Takes about 6.0 s per 100,000 codes on this server (an estimate" in page
    assert 'data-seconds-per-code="0.000060000"' in page
    assert "entitle/generate-estimate.js" in page


def test_a_group_needs_an_offer_or_items_but_not_both(admin_client):
    neither = add_group(admin_client)
    both = add_group(admin_client, offer=str(OfferFactory().pk),
                     items=[str(CatalogItemFactory().pk)])
    for response in (neither, both):
        assert "Choose an offer, or items for a new one" in response.content.decode()
    assert not CodeGroup.objects.exists()


def test_more_codes_than_a_group_holds_are_refused_by_the_form(admin_client):
    response = add_group(admin_client, offer=str(OfferFactory().pk),
                         count=str(ADMIN_MAX_CODES + 1))
    assert f"At most {ADMIN_MAX_CODES:,} codes are made in one group" in \
        response.content.decode()
    assert not CodeGroup.objects.exists() and not Code.objects.exists()


def test_a_large_count_lands_on_its_job_page_with_a_group_not_yet_redeemable(admin_client):
    response = add_group(admin_client, offer=str(OfferFactory().pk), count="10001")
    group = CodeGroup.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:jobs_job_change",
                                                     args=[group.job_id])
    assert not group.ready and not group.codes.exists()
    page = response.content.decode()
    assert "Generate codes" in page and 'id="job-bar"' in page


def test_the_job_progress_endpoint_says_how_far_the_job_is(admin_client):
    group = services.start_code_group_generation(
        label="Big", offer=OfferFactory(), count=20_000, code_length=10, max_count=None)
    body = admin_client.get(reverse("admin:jobs_job_progress", args=[group.job_id])).json()
    assert (body["status"], body["progress"], body["eta_seconds"]) == (
        "queued", {"done": 0, "total": 20_000}, None)


def test_the_uses_per_code_are_required(admin_client):
    response = add_group(admin_client, offer=str(OfferFactory().pk),
                         redemptions_per_code="")
    assert "This field is required" in response.content.decode()
    assert not CodeGroup.objects.exists()


# the CSV download

def test_the_group_page_links_its_csv_which_streams_every_code(admin_client):
    group = generated(count=4, label="Spring Promo")
    first = group.codes.order_by("id").first()
    services.redeem(first.code, UserFactory(email="ann@example.com"))
    page = admin_client.get(f"{GROUPS}{group.pk}/change/").content.decode()
    url = f"{GROUPS}{group.pk}/codes.csv"
    assert f'href="{url}"' in page
    response = admin_client.get(url)
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="spring-promo-codes.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["code", "redeemed", "redeemedBy", "redeemedAt", "niceCode",
                       "redemptionUrl"]
    assert sorted(r[0] for r in rows[1:]) == sorted(group.codes.values_list("code", flat=True))
    assert [r[:3] for r in rows[1:] if r[0] == first.code] == [
        [first.code, "true", "ann@example.com"]]


def test_the_csv_gives_each_code_dashed_as_learners_see_it_and_its_redemption_link(
        admin_client, settings):
    settings.SITE_URL, settings.SITE_SLUG = "https://learn.example.com", "acme"
    group = generated(count=3)
    response = admin_client.get(f"{GROUPS}{group.pk}/codes.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    for row in rows:  # 10 characters: groups of 4, then 2
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}", row["niceCode"])
        assert normalize_code(row["niceCode"]) == row["code"]
        url = urlsplit(row["redemptionUrl"])
        assert (url.scheme, url.netloc, url.path) == ("https", "learn.example.com",
                                                      "/redeem/acme")
        assert parse_qs(url.query) == {"redemptionCode": [row["code"]]}


def test_the_export_action_downloads_one_group(admin_client):
    group = generated()
    response = admin_client.post(GROUPS, {"action": "export_csv",
                                          "_selected_action": [str(group.pk)]})
    assert response.status_code == 302
    assert response["Location"] == f"{GROUPS}{group.pk}/codes.csv"
    several = admin_client.post(GROUPS, {"action": "export_csv", "_selected_action": [
        str(group.pk), str(generated().pk)]}, follow=True)
    assert "Choose exactly one group" in several.content.decode()


def test_the_csv_of_an_unknown_group_is_a_404(admin_client):
    assert admin_client.get(f"{GROUPS}not-a-group/codes.csv").status_code == 404


def test_the_csv_needs_a_staff_login(client):
    group = generated()
    response = client.get(f"{GROUPS}{group.pk}/codes.csv")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# new expiry, deactivate

def test_the_new_expiry_action_asks_for_the_date_first(admin_client):
    code = CodeFactory()
    response = admin_client.post(CODES, {"action": "set_expiry",
                                         "_selected_action": [str(code.pk)]})
    body = response.content.decode()
    assert response.status_code == 200 and "New expiry" in body
    assert f'name="_selected_action" value="{code.pk}"' in body
    code.refresh_from_db()
    assert code.expiration_date is None


def test_the_new_expiry_extends_the_selected_codes_only(admin_client):
    expired = CodeFactory(expiration_date=timezone.now() - dt.timedelta(days=1))
    other = CodeFactory()
    until = later(60)
    response = admin_client.post(CODES, {
        "action": "set_expiry", "apply": "1", "_selected_action": [str(expired.pk)],
        "expiration_date_0": until.strftime("%Y-%m-%d"),
        "expiration_date_1": until.strftime("%H:%M:%S")}, follow=True)
    assert "1 code(s) now expire on" in response.content.decode()
    expired.refresh_from_db()
    other.refresh_from_db()
    assert (expired.expiration_date, other.expiration_date) == (until, None)
    assert services.redeem(expired.code, UserFactory())  # redeemable again


def test_a_new_expiry_in_the_past_is_refused_and_changes_nothing(admin_client):
    code = CodeFactory()
    response = admin_client.post(CODES, {
        "action": "set_expiry", "apply": "1", "_selected_action": [str(code.pk)],
        "expiration_date_0": "2020-01-01", "expiration_date_1": "00:00:00"})
    assert "Choose a time in the future" in response.content.decode()
    code.refresh_from_db()
    assert code.expiration_date is None


def test_a_groups_new_expiry_names_the_codes_that_keep_their_own(admin_client):
    group = generated()
    CodeFactory(group=group, expiration_date=later(5))
    until = later(90)
    response = admin_client.post(GROUPS, {
        "action": "set_expiry", "apply": "1", "_selected_action": [str(group.pk)],
        "expiration_date_0": until.strftime("%Y-%m-%d"),
        "expiration_date_1": until.strftime("%H:%M:%S")}, follow=True)
    group.refresh_from_db()
    assert group.expiration_date == until
    assert "1 of their codes have an expiry of their own" in response.content.decode()


def test_deactivating_a_groups_codes_and_reactivating_them(admin_client):
    group = generated(count=4)
    asked = admin_client.post(GROUPS, {"action": "deactivate_codes",
                                       "_selected_action": [str(group.pk)]})
    assert "— 4 code(s) — will be deactivated" in asked.content.decode()
    assert group.codes.filter(is_active=True).count() == 4  # not until confirmed
    admin_client.post(GROUPS, {"action": "deactivate_codes", "apply": "Deactivate the codes",
                               "_selected_action": [str(group.pk)]})
    assert not group.codes.filter(is_active=True).exists()
    admin_client.post(GROUPS, {"action": "activate_codes",
                               "_selected_action": [str(group.pk)]})
    assert group.codes.filter(is_active=True).count() == 4


# history

def test_a_codes_page_shows_its_redemption_history_with_what_it_granted(admin_client):
    course = CatalogItemFactory(title="Geometry")
    license = LicenseFactory(name="Acme seats")
    code = CodeFactory(max_redemptions=2, offer=OfferFactory(items=[course],
                                                             licenses=[license]))
    kept = services.redeem(code.code, UserFactory(email="kept@example.com"))
    services.rollback(services.redeem(code.code, UserFactory(email="gone@example.com")),
                      "refund", by="support@example.com")
    body = admin_client.get(f"{CODES}{code.pk}/change/").content.decode()
    assert "Redemption history" in body
    assert "kept@example.com" in body and "gone@example.com" in body
    assert "Geometry, seat on Acme seats" in body
    assert "Geometry (revoked), seat on Acme seats (revoked)" in body
    assert "refund" in body and "support@example.com" in body
    assert kept.pk


def test_the_history_inline_cannot_add_or_delete(admin_client):
    code = CodeFactory()
    services.redeem(code.code, UserFactory())
    body = admin_client.get(f"{CODES}{code.pk}/change/").content.decode()
    assert 'name="redemptions-MAX_NUM_FORMS" value="0"' in body  # no row can be added
    assert 'name="redemptions-0-DELETE"' not in body


# deleting

def test_a_redeemed_code_is_not_deleted_and_the_page_says_why(admin_client):
    code = CodeFactory()
    services.redeem(code.code, UserFactory())
    url = f"{CODES}{code.pk}/delete/"
    assert "kept as history. Deactivate it instead" in admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    assert Code.objects.filter(pk=code.pk).exists()


def test_an_unredeemed_code_is_deleted_through_the_service(admin_client):
    group = generated(count=3)
    code = group.codes.first()
    admin_client.post(f"{CODES}{code.pk}/delete/", {"post": "yes"})
    group.refresh_from_db()
    assert not Code.objects.filter(pk=code.pk).exists()
    assert group.total_codes_count == 2


def test_codes_are_not_deleted_in_bulk(admin_client):
    CodeFactory()
    assert 'value="delete_selected"' not in admin_client.get(CODES).content.decode()


def test_an_unredeemed_group_is_deleted_with_its_codes(admin_client):
    group = generated(count=3)
    page = admin_client.get(f"{GROUPS}{group.pk}/delete/").content.decode()
    assert "3 codes" in page
    admin_client.post(f"{GROUPS}{group.pk}/delete/", {"post": "yes"})
    assert not CodeGroup.objects.exists() and not Code.objects.exists()


def test_an_offer_in_use_is_not_deleted_and_the_page_says_why(admin_client):
    offer = OfferFactory(name="Spring offer")
    generated(offer=offer)
    url = f"/admin/redemptions/offer/{offer.pk}/delete/"
    body = admin_client.get(url).content.decode()
    assert "Offer “Spring offer” is what 1 code group(s) and 3 code(s) grant" in body
    admin_client.post(url, {"post": "yes"})
    assert Offer.objects.filter(pk=offer.pk).exists()


def test_redemptions_offer_no_delete_button_or_bulk_delete(admin_client):
    redemption = services.redeem(CodeFactory().code, UserFactory())
    page = admin_client.get(f"/admin/redemptions/redemption/{redemption.pk}/change/")
    assert "deletelink" not in page.content.decode()
    listing = admin_client.get("/admin/redemptions/redemption/").content.decode()
    assert 'value="delete_selected"' not in listing
    assert Entitlement.objects.exists()


# offers through the services

def test_an_offer_added_in_the_admin_gets_its_items_and_licenses(admin_client):
    course, license = CatalogItemFactory(), LicenseFactory()
    response = admin_client.post("/admin/redemptions/offer/add/", {
        "name": "Bundle", "action_type": "apply-offer", "items": [str(course.pk)],
        "licenses": [str(license.pk)], "access_days": "10", "user_tags": '["vip"]',
        "match_specification": '{"all": [], "any": [], "excluded": []}'})
    assert response.status_code == 302, response.content.decode()[:3000]
    offer = Offer.objects.get(name="Bundle")
    assert list(offer.items.all()) == [course] and list(offer.licenses.all()) == [license]
    assert offer.user_tags == ["vip"]


def test_the_groups_codes_link_lists_its_codes_only(admin_client):
    group = generated(count=3)
    generated(count=2)
    page = admin_client.get(f"{GROUPS}{group.pk}/change/").content.decode()
    url = f"{CODES}?group__id__exact={group.pk}"
    assert f'href="{url}"' in page
    response = admin_client.get(url)
    assert response.status_code == 200
    assert {c.group_id for c in response.context["cl"].result_list} == {group.pk}
    assert len(response.context["cl"].result_list) == 3


def test_a_generator_refusal_after_the_form_is_a_message_not_a_500(admin_client, monkeypatch):
    def refuse(**kwargs):
        raise CodeGroupError("code_space_exhausted", "Could not find 5 unused codes.")

    monkeypatch.setattr(services, "create_code_group", refuse)
    response = add_group(admin_client, offer=str(OfferFactory().pk))
    assert response.status_code == 200
    assert "No codes were made: Could not find 5 unused codes." in response.content.decode()
    assert not CodeGroup.objects.exists()


def test_a_redemption_racing_a_delete_is_a_message_not_a_500(admin_client, monkeypatch):
    code = CodeFactory()

    def redeemed_meanwhile(code):
        raise CodeInUse("redeemed", "This code has been redeemed, so it is kept as history.")

    monkeypatch.setattr(services, "delete_code", redeemed_meanwhile)
    response = admin_client.post(f"{CODES}{code.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "was not deleted: This code has been redeemed" in body
    assert "deleted successfully" not in body
    assert response.redirect_chain == [(f"{CODES}{code.pk}/change/", 302)]
    assert Code.objects.filter(pk=code.pk).exists()


def test_staff_import_codes_from_csv_and_land_on_the_import_job(admin_client, settings,
                                                                tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    assert "Import codes (CSV)" in admin_client.get(GROUPS).content.decode()
    response = admin_client.post(f"{GROUPS}import/", {
        "file": SimpleUploadedFile("codes.csv", b"OLD-0001\nOLD-0002\n"), "label": "Moved",
        "offer": str(OfferFactory().pk), "redemptions_per_code": "1"})
    group = CodeGroup.objects.get(label="Moved")
    assert response["Location"] == reverse("admin:jobs_job_change", args=[group.job_id])
    services.run_code_import(group.job_id)  # what the worker does
    group.refresh_from_db()
    assert group.uploaded and group.ready
    assert sorted(group.codes.values_list("code", flat=True)) == ["OLD0001", "OLD0002"]


def test_staff_export_a_group_to_a_file_by_a_job(admin_client):
    group = generated(count=3)
    response = admin_client.post(GROUPS, {"action": "export_file",
                                          "_selected_action": [str(group.pk)]})
    job = Job.objects.get()
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert (job.kind, job.total) == ("export_codes", 3)
