"""The API docs (/api/docs/): operations grouped by dialect and resource, each with its
status codes, and linked from every admin page."""

import re

import pytest
from django.urls import reverse

from config.schema import VENDOR_ORDER, tag_for

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(client):
    response = client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


@pytest.mark.parametrize(("path", "tag"), [
    ("/api/v1/licenses/{id}/", "Native · Licenses"),
    ("/api/v1/code-groups/{id}/codes/", "Native · Code groups"),
    ("/api/v1/redeem/check/", "Native · Redeem"),
    ("/incoming/v2/redemptionCodes/{id}/codes/", "Thought Industries · Redemption codes"),
    ("/incoming/v2/clients/{id}/licenses", "Thought Industries · Licenses"),
    ("/redemption_codes/bulk_create/", "Zype · Redemption codes"),
    ("/admin-api/{site}/redemptions/{batch}/", "Tizra · Redemption batches"),
    ("/admin-api/redemptions/", "Tizra · Redemption batches"),
    ("/couponService.do", "EduBrite · Coupons"),
    ("/oltpublish/site/eventService.do", "EduBrite · Events"),
    ("/oltpublish/site/connect.do", "EduBrite · Sessions"),
])
def test_a_path_is_tagged_with_its_dialect_and_resource(path, tag):
    assert tag_for(path) == tag


def test_every_operation_has_one_dialect_and_resource_tag(schema):
    untagged = [(method, path, op.get("tags")) for path, method, op in operations(schema)
                if len(op.get("tags", [])) != 1
                or op["tags"][0].split(" · ")[0] not in VENDOR_ORDER]
    assert untagged == []


def test_the_tags_are_listed_dialect_by_dialect(schema):
    vendors = [tag["name"].split(" · ")[0] for tag in schema["tags"]]
    assert vendors == sorted(vendors, key=VENDOR_ORDER.index)
    assert {"Native · Licenses", "Thought Industries · Redemption codes"} <= {
        tag["name"] for tag in schema["tags"]}


def test_every_operation_lists_its_success_and_its_error_codes(schema):
    missing = []
    for path, method, op in operations(schema):
        codes = set(op["responses"])
        needed = set()
        if op.get("security") and {} not in op["security"]:
            needed |= {"401", "403"}
        if "{" in path:
            needed.add("404")
        if op.get("requestBody") or any(p["in"] == "query" for p in op.get("parameters", [])):
            needed.add("400")
        if not any(code.startswith("2") for code in codes) or needed - codes:
            missing.append((method, path, sorted(needed - codes)))
    assert missing == []


def test_every_error_code_says_what_it_means(schema):
    bare = [(method, path, code) for path, method, op in operations(schema)
            for code, response in op["responses"].items()
            if code[0] in "45" and response.get("description") in ("", "No response body")]
    assert bare == []


def test_the_docs_page_serves_its_scripts_from_this_site(client):
    html = client.get(reverse("docs")).content.decode()
    assert "swagger-ui" in html
    assert not re.findall(r'(?:src|href)="https?://', html)  # no CDN at run time


def test_every_admin_page_links_to_the_api_docs(admin_client):
    for url in (reverse("admin:index"), reverse("admin:licensing_license_changelist")):
        html = admin_client.get(url).content.decode()
        assert f'<a href="{reverse("docs")}">API docs</a>' in html
