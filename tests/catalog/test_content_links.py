"""Links into the content: an item's own `url`, else `CONTENT_URL_TEMPLATE`; the native API,
the admin and the learner pages (My access, its license seats) all use `content_url`."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from catalog.models import ItemKind
from catalog.services import grant_entitlement
from config.settings import _check_content_url_template
from licensing.services import assign_seat
from tests.factories import CatalogItemFactory
from tests.licensing.factories import LicenseFactory

pytestmark = pytest.mark.django_db


def test_an_items_own_url_is_where_it_opens(settings):
    settings.CONTENT_URL_TEMPLATE = "https://learn.example.com/courses/{slug}"
    item = CatalogItemFactory(slug="privacy", url="https://videos.example.com/v/9")
    assert item.content_url == "https://videos.example.com/v/9"


def test_the_template_fills_in_every_placeholder_quoted(settings):
    settings.CONTENT_URL_TEMPLATE = "https://learn.example.com/{kind}/{slug}?id={id}&x={external_id}"
    item = CatalogItemFactory(kind=ItemKind.VIDEO, slug="intro", external_id="a b/c")
    assert item.content_url == (
        f"https://learn.example.com/video/intro?id={item.pk}&x=a%20b%2Fc")


def test_an_item_without_the_value_the_template_names_has_no_link(settings):
    settings.CONTENT_URL_TEMPLATE = "https://learn.example.com/items/{external_id}"
    assert CatalogItemFactory(external_id="").content_url == ""


def test_without_a_template_only_an_items_own_url_links(settings):
    settings.CONTENT_URL_TEMPLATE = ""
    assert CatalogItemFactory(slug="intro").content_url == ""


@pytest.mark.parametrize("template", ["https://x.example/{title}", "https://x.example/{0}",
                                      "https://x.example/{slug!r}", "https://x.example/{slug",
                                      "javascript:alert({id})"])
def test_a_template_with_anything_but_the_four_placeholders_is_refused_at_startup(template):
    with pytest.raises(ImproperlyConfigured):
        _check_content_url_template(template)


def test_the_api_reads_and_writes_an_items_url(api):
    response = api.post("/api/v1/catalog-items", {
        "kind": "course", "title": "Privacy", "url": "https://learn.example.com/c/privacy"},
        format="json")
    assert response.status_code == 201, response.content
    item_id = response.json()["id"]
    assert api.get(f"/api/v1/catalog-items/{item_id}").json()["url"] == (
        "https://learn.example.com/c/privacy")
    assert api.patch(f"/api/v1/catalog-items/{item_id}", {"url": ""},
                     format="json").json()["url"] == ""


@pytest.mark.parametrize("url", ["not a url", "javascript:alert(1)", "learn.example.com/c"])
def test_the_api_refuses_a_url_that_is_not_one_naming_the_field(api, url):
    response = api.post("/api/v1/catalog-items", {"kind": "course", "title": "X", "url": url},
                        format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "url"


def test_the_schema_documents_the_url_as_a_uri(client):
    schema = client.get("/api/schema/?format=json").json()
    url = schema["components"]["schemas"]["CatalogItem"]["properties"]["url"]
    assert {"type": "string", "format": "uri", "maxLength": 2000} in url["oneOf"]


def test_staff_set_an_items_url_in_the_admin(client, staff_user):
    item = CatalogItemFactory(title="Privacy", slug="privacy")
    client.force_login(staff_user)
    response = client.post(f"/admin/catalog/catalogitem/{item.pk}/change/", {
        "kind": item.kind, "title": item.title, "slug": item.slug, "external_id": "",
        "url": "https://learn.example.com/c/privacy", "price_cents": 0, "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    item.refresh_from_db()
    assert item.url == "https://learn.example.com/c/privacy"


def test_my_access_links_each_item_to_where_it_opens(client, learner, settings):
    settings.CONTENT_URL_TEMPLATE = "https://learn.example.com/courses/{slug}"
    course = CatalogItemFactory(title="Data Privacy", slug="data-privacy")
    grant_entitlement(user=learner, item=CatalogItemFactory(
        kind=ItemKind.BUNDLE, title="Starter", slug="", includes=[course]))
    client.force_login(learner)
    body = client.get("/account/access/").content.decode()
    assert '<a href="https://learn.example.com/courses/data-privacy">Data Privacy</a>' in body
    assert ">Starter</th>" in body  # no slug: no link


def test_my_access_lists_license_seats_and_what_they_open(client, learner):
    until = timezone.now() + dt.timedelta(days=60)
    course = CatalogItemFactory(title="Seat Course", url="https://learn.example.com/seat")
    license = LicenseFactory(name="Acme Academy", courses=[course], expiration_date=until)
    assign_seat(license=license, user=learner)
    client.force_login(learner)
    body = client.get("/account/access/").content.decode()
    assert "Your license seats" in body and ">Acme Academy</th>" in body
    assert '<a href="https://learn.example.com/seat">Seat Course</a>' in body
    assert until.strftime("%-d %B %Y") in body


def test_my_access_has_no_seats_table_without_seats(client, learner):
    client.force_login(learner)
    assert "license seats" not in client.get("/account/access/").content.decode()
