"""The people admin: a learner's page shows everything they hold and why; history keeps a
learner (and a catalog item) from being deleted, with the reason; group cycles are refused."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts.models import LearnerGroup, User
from catalog.models import CatalogItem, EntitlementSource, ItemKind
from catalog.services import grant_entitlement
from coupons import services as coupon_services
from licensing import services as licensing_services
from redemptions import services as redemption_services
from tests.coupons.factories import CouponFactory, SessionFactory
from tests.factories import CatalogItemFactory, LearnerGroupFactory, UserFactory
from tests.licensing.factories import LicenseFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory

pytestmark = pytest.mark.django_db  # `admin_client`: pytest-django's, a superuser's session


@pytest.fixture
def busy_learner():
    """A learner holding something through each way there is."""
    learner = UserFactory(email="busy@example.com")
    inside = CatalogItemFactory(title="Inside Course")
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, title="Spring Bundle", includes=[inside])
    code = CodeFactory(code="SPRING2345", group=CodeGroupFactory(label="Spring group"),
                       offer=OfferFactory(items=[bundle], access_days=30))
    redemption_services.redeem(code.code, learner)
    license = LicenseFactory(name="Acme seats", courses=[CatalogItemFactory(
        title="Seat Course")])
    licensing_services.assign_seat(license=license, user=learner)
    grant_entitlement(user=learner, item=CatalogItemFactory(title="Staff Gift"),
                      source=EntitlementSource.MANUAL,
                      expires_at=timezone.now() + dt.timedelta(days=3))
    coupon = CouponFactory(code="SAVE10", require_approval=True)
    coupon_services.apply_coupon(coupon=coupon, user=learner, item=SessionFactory(
        title="Evening Session"))
    return learner


def test_a_learner_is_found_by_email(admin_client, busy_learner):
    UserFactory(email="someone.else@example.com")
    response = admin_client.get("/admin/accounts/user/", {"q": "busy@"})
    assert list(response.context["cl"].result_list) == [busy_learner]


def test_the_learners_page_shows_what_they_may_open_and_through_what(admin_client,
                                                                     busy_learner):
    body = admin_client.get(f"/admin/accounts/user/{busy_learner.pk}/change/").content.decode()
    assert "What they hold, and why" in body
    assert "Inside Course" in body and "Redeemed code, in “Spring Bundle”" in body
    assert "Seat Course" in body and "License seat" in body
    assert "Staff Gift" in body and "Granted by staff" in body


def test_the_learners_page_lists_the_history_behind_it(admin_client, busy_learner):
    body = admin_client.get(f"/admin/accounts/user/{busy_learner.pk}/change/").content.decode()
    assert "Redemptions (1)" in body and "SPRING2345" in body and "Spring group" in body
    assert "License seats (1)" in body and "Acme seats" in body
    assert "Coupon usages (1)" in body and "SAVE10" in body and "Pending approval" in body
    assert "Grants (2)" in body


def test_the_see_all_links_open_filtered_lists(admin_client, busy_learner):
    for path in ("redemptions/redemption", "licensing/seat", "coupons/couponusage",
                 "catalog/entitlement"):
        response = admin_client.get(f"/admin/{path}/", {"user": str(busy_learner.pk)})
        assert response.status_code == 200, path
        assert response.context["cl"].result_count >= 1
        assert all(row.user_id == busy_learner.pk for row in response.context["cl"].result_list)


def test_the_panel_stays_a_few_queries_whatever_the_learner_holds(admin_client, busy_learner,
                                                                  django_assert_max_num_queries):
    for _ in range(5):
        grant_entitlement(user=busy_learner, item=CatalogItemFactory())
    with django_assert_max_num_queries(40):
        admin_client.get(f"/admin/accounts/user/{busy_learner.pk}/change/")


def test_a_learner_with_history_is_not_deleted_and_the_page_says_why(admin_client,
                                                                     busy_learner):
    url = f"/admin/accounts/user/{busy_learner.pk}/delete/"
    body = admin_client.get(url).content.decode()
    assert "busy@example.com has 2 grant(s), 1 redemption(s), 1 seat(s), 1 coupon usage(s)" \
        in body
    assert "Untick “Active”" in body
    admin_client.post(url, {"post": "yes"})
    assert User.objects.filter(pk=busy_learner.pk).exists()


def test_a_learner_without_history_can_be_deleted(admin_client):
    learner = UserFactory()
    admin_client.post(f"/admin/accounts/user/{learner.pk}/delete/", {"post": "yes"})
    assert not User.objects.filter(pk=learner.pk).exists()


def test_a_held_catalog_item_is_not_deleted_and_the_page_says_why(admin_client):
    item = CatalogItemFactory(title="Popular")
    grant_entitlement(user=UserFactory(), item=item)
    url = f"/admin/catalog/catalogitem/{item.pk}/delete/"
    assert "“Popular” has 1 grant(s)" in admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    assert CatalogItem.objects.filter(pk=item.pk).exists()


def test_grants_have_no_delete_and_the_delete_url_explains(admin_client):
    entitlement = grant_entitlement(user=UserFactory(), item=CatalogItemFactory())
    url = f"/admin/catalog/entitlement/{entitlement.pk}/delete/"
    assert "A grant is history and is never deleted" in admin_client.get(url).content.decode()
    listing = admin_client.get("/admin/catalog/entitlement/").content.decode()
    assert 'value="delete_selected"' not in listing


def test_a_group_cannot_be_moved_under_its_own_subgroup(admin_client):
    top = LearnerGroupFactory(name="Top")
    below = LearnerGroupFactory(name="Below", parent=top)
    response = admin_client.post(f"/admin/accounts/learnergroup/{top.pk}/change/", {
        "name": "Top", "code": "", "parent": str(below.pk),
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    assert "cannot sit under itself" in response.content.decode()
    top.refresh_from_db()
    assert top.parent is None


def test_a_group_with_subgroups_is_not_deleted_and_the_page_says_why(admin_client):
    top = LearnerGroupFactory(name="Top")
    LearnerGroupFactory(parent=top)
    url = f"/admin/accounts/learnergroup/{top.pk}/delete/"
    assert "Group “Top” has 1 subgroup(s)" in admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    assert LearnerGroup.objects.filter(pk=top.pk).exists()


def test_the_admin_lists_api_keys_once(admin_client):
    index = admin_client.get("/admin/").content.decode()
    assert index.count(">API keys<") == 1
    assert admin_client.get("/admin/accounts/apikey/").status_code == 200


def test_the_learners_page_shows_the_panels_the_apps_registered_in_order(admin_client,
                                                                         busy_learner,
                                                                         monkeypatch):
    from accounts import panels

    monkeypatch.setattr(panels, "_panels", {})
    panels.register_learner_panels(
        panels.LearnerPanel(key="b", order=2,
                            render=lambda user, viewer: mark_safe("<p>second panel</p>")),
        panels.LearnerPanel(key="a", order=1, render=lambda user, viewer: format_html(
            "<p>first {}</p>", user.email)))
    body = admin_client.get(f"/admin/accounts/user/{busy_learner.pk}/change/").content.decode()
    assert body.index("<p>first busy@example.com</p>") < body.index("<p>second panel</p>")
    assert "Redemptions (" not in body and "May open now" not in body


def test_what_a_registered_panel_counts_keeps_a_learner(admin_client, monkeypatch):
    from accounts import panels

    learner = UserFactory(email="kept@example.com")
    monkeypatch.setattr(panels, "_panels", {})
    panels.register_learner_panels(panels.LearnerPanel(
        key="x", order=1, render=lambda user, viewer: "", held=lambda user: {"widget(s)": 3}))
    url = f"/admin/accounts/user/{learner.pk}/delete/"
    assert "kept@example.com has 3 widget(s)" in admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    assert User.objects.filter(pk=learner.pk).exists()


def test_a_group_a_coupon_belongs_to_is_not_deleted_and_the_page_says_why(admin_client):
    group = LearnerGroupFactory(name="Sales")
    CouponFactory(owner_group=group)
    url = f"/admin/accounts/learnergroup/{group.pk}/delete/"
    assert "Group “Sales” has 1 coupon(s)" in admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    assert LearnerGroup.objects.filter(pk=group.pk).exists()
