"""A catalog item that anything points at (a grant, a license, a client, an offer, a coupon, a
group offering, a code, a container) is neither deleted nor changed to another kind: the
API answers 409 `in_use` naming what uses it, the admin refuses with the same sentence.
Deactivating (is_active=false) is how an item is retired."""

import pytest

from catalog import services
from catalog.errors import ItemInUse
from catalog.models import CatalogItem, ItemKind
from catalog.selectors import item_uses
from coupons import services as coupon_services
from tests.coupons.factories import CouponFactory
from tests.factories import (
    CatalogItemFactory,
    ClientFactory,
    EntitlementFactory,
    LearnerGroupFactory,
)
from tests.licensing.factories import LicenseFactory
from tests.redemptions.factories import CodeFactory, OfferFactory

pytestmark = pytest.mark.django_db


def _in_a_license(item):
    LicenseFactory(name="Acme seats", courses=[item])
    return "1 license(s) (courses)"


def _granted(item):
    EntitlementFactory(item=item)
    return "1 grant(s)"


def _assigned_to_a_client(item):
    ClientFactory().courses.set([item])
    return "1 client(s) (courses)"


def _in_an_offer(item):
    OfferFactory(items=[item])
    return "1 offer(s)"


def _included_in_a_bundle(item):
    CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[item])
    return "1 container(s) including it"


def _offered_by_a_group(item):
    coupon_services.offer_item(group=LearnerGroupFactory(), item=item)
    return "1 group offering(s)"


def _a_coupons_entity(item):
    CouponFactory(entity_type="COURSE_SESSION", item=item)
    return "1 coupon(s)"


def _a_codes_target(item):
    offer = OfferFactory(items=[item])
    CodeFactory(offer=offer)  # its target_item is the offer's one item
    offer.items.clear()  # only the code still points at it
    return "1 code(s)"


USES = [_in_a_license, _granted, _assigned_to_a_client, _in_an_offer, _included_in_a_bundle,
        _offered_by_a_group, _a_coupons_entity, _a_codes_target]


@pytest.mark.parametrize("use", USES, ids=lambda f: f.__name__.strip("_"))
def test_deleting_an_item_in_use_is_a_409_naming_the_use_and_nothing_changes(api, use):
    item = CatalogItemFactory(title="Intro")
    expected = use(item)
    response = api.delete(f"/api/v1/catalog-items/{item.pk}")
    assert response.status_code == 409, response.content
    error = response.json()["errors"][0]
    assert error["code"] == "in_use"
    assert expected in error["message"] and "is_active=false" in error["message"]
    assert CatalogItem.objects.filter(pk=item.pk).exists()
    assert item_uses(item) == {expected.split(" ", 1)[1]: 1}


def test_an_item_nothing_points_at_is_deleted(api):
    item = CatalogItemFactory()
    assert api.delete(f"/api/v1/catalog-items/{item.pk}").status_code == 204
    assert not CatalogItem.objects.filter(pk=item.pk).exists()


def test_a_bundle_nothing_points_at_is_deleted_and_what_it_included_stays(api):
    inside = CatalogItemFactory()
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[inside])
    assert api.delete(f"/api/v1/catalog-items/{bundle.pk}").status_code == 204
    assert list(CatalogItem.objects.all()) == [inside]


def test_the_refusal_names_every_use_with_its_count():
    item = CatalogItemFactory(title="Intro")
    EntitlementFactory(item=item)
    EntitlementFactory(item=item)
    LicenseFactory(courses=[item])
    with pytest.raises(ItemInUse) as refusal:
        services.delete_item(item)
    assert "“Intro” has 2 grant(s), 1 license(s) (courses)" in refusal.value.message


def test_the_admin_refuses_deleting_an_item_in_a_license_and_says_why(admin_client):
    item = CatalogItemFactory(title="Licensed")
    LicenseFactory(courses=[item])
    url = f"/admin/catalog/catalogitem/{item.pk}/delete/"
    page = admin_client.get(url).content.decode()
    assert "“Licensed” has 1 license(s) (courses)" in page and "Is active" in page
    admin_client.post(url, {"post": "yes"})
    assert CatalogItem.objects.filter(pk=item.pk).exists()


def test_the_admin_deletes_an_item_nothing_points_at(admin_client):
    item = CatalogItemFactory()
    admin_client.post(f"/admin/catalog/catalogitem/{item.pk}/delete/", {"post": "yes"})
    assert not CatalogItem.objects.filter(pk=item.pk).exists()


def test_changing_the_kind_of_a_course_in_a_license_is_a_409_and_nothing_changes(api):
    course = CatalogItemFactory(title="Intro")
    LicenseFactory(courses=[course])
    response = api.patch(f"/api/v1/catalog-items/{course.pk}", {"kind": "video"},
                         format="json")
    assert response.status_code == 409, response.content
    error = response.json()["errors"][0]
    assert error["code"] == "in_use" and "1 license(s) (courses)" in error["message"]
    course.refresh_from_db()
    assert course.kind == ItemKind.COURSE


def test_changing_the_kind_of_a_coupons_session_is_refused():
    session = CatalogItemFactory(kind=ItemKind.COURSE_SESSION)
    CouponFactory(entity_type="COURSE_SESSION", item=session)
    with pytest.raises(ItemInUse):
        services.update_item(session, kind=ItemKind.EVENT)
    session.refresh_from_db()
    assert session.kind == ItemKind.COURSE_SESSION


def test_the_kind_of_an_item_nothing_points_at_can_change(api):
    item = CatalogItemFactory()
    response = api.patch(f"/api/v1/catalog-items/{item.pk}", {"kind": "video"}, format="json")
    assert response.status_code == 200
    assert response.json()["kind"] == "video"


def test_an_item_in_use_keeps_its_other_fields_editable(api):
    course = CatalogItemFactory()
    LicenseFactory(courses=[course])
    response = api.patch(f"/api/v1/catalog-items/{course.pk}",
                         {"kind": "course", "title": "Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"


def test_the_admin_refuses_changing_the_kind_of_an_item_in_use(admin_client):
    course = CatalogItemFactory(title="Licensed")
    LicenseFactory(courses=[course])
    response = admin_client.post(f"/admin/catalog/catalogitem/{course.pk}/change/", {
        "kind": "video", "title": "Licensed", "slug": course.slug, "external_id": "",
        "price_cents": "0", "is_active": "on"})
    assert response.status_code == 200  # the form again, with the reason
    assert "1 license(s) (courses)" in response.content.decode()
    course.refresh_from_db()
    assert course.kind == ItemKind.COURSE

