"""The catalog admin: items are added and changed through forms that keep the services' rules."""

import pytest
from django.urls import reverse

from catalog.models import CatalogItem, ItemKind
from tests.factories import CatalogItemFactory, EntitlementFactory

pytestmark = pytest.mark.django_db


def item_form(**fields):
    return {"kind": ItemKind.COURSE, "title": "Onboarding", "slug": "onboarding",
            "external_id": "", "price_cents": "49.00", "is_active": "on", **fields}


def test_a_new_catalog_item_is_added_in_the_admin(admin_client):
    response = admin_client.post(reverse("admin:catalog_catalogitem_add"), item_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    assert CatalogItem.objects.get(slug="onboarding").kind == ItemKind.COURSE


def test_a_new_bundle_including_a_course_is_added_in_the_admin(admin_client):
    course = CatalogItemFactory()
    response = admin_client.post(reverse("admin:catalog_catalogitem_add"), item_form(
        kind=ItemKind.BUNDLE, slug="starter", includes=[str(course.pk)]))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(CatalogItem.objects.get(slug="starter").includes.all()) == [course]


def test_the_kind_of_a_granted_item_cannot_be_changed_on_the_form(admin_client):
    item = EntitlementFactory().item
    response = admin_client.post(reverse("admin:catalog_catalogitem_change", args=[item.pk]),
                                 item_form(kind=ItemKind.VIDEO, slug=item.slug))
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    item.refresh_from_db()
    assert item.kind == ItemKind.COURSE
