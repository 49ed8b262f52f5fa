"""`includes` may not make an item reach itself."""

import pytest

from catalog import services
from catalog.errors import IncludesCycle
from catalog.models import ItemKind
from tests.factories import CatalogItemFactory

pytestmark = pytest.mark.django_db


def test_an_item_cannot_include_itself():
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE)
    with pytest.raises(IncludesCycle):
        services.set_includes(bundle, [bundle])


def test_a_two_item_cycle_is_refused_and_nothing_changes():
    a = CatalogItemFactory(kind=ItemKind.BUNDLE)
    b = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[a])
    with pytest.raises(IncludesCycle):
        services.set_includes(a, [b])
    assert list(a.includes.all()) == []


def test_a_longer_cycle_is_refused():
    a = CatalogItemFactory(kind=ItemKind.BUNDLE)
    b = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[a])
    c = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[b])
    with pytest.raises(IncludesCycle) as refusal:
        services.set_includes(a, [c])
    assert c.title in refusal.value.message


def test_a_diamond_is_not_a_cycle():
    course = CatalogItemFactory()
    left = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[course])
    right = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[course])
    top = CatalogItemFactory(kind=ItemKind.BUNDLE)
    services.set_includes(top, [left, right])
    assert set(top.includes.all()) == {left, right}


def test_the_api_refuses_a_cycle_with_a_400(api):
    a = CatalogItemFactory(kind=ItemKind.BUNDLE)
    b = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[a])
    response = api.patch(f"/api/v1/catalog-items/{a.pk}", {"includes": [str(b.pk)]},
                         format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "includes_cycle"
    assert error["field"] == "includes"
