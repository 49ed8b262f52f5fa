"""The admin's lists: date ranges on every date filter, code search as staff type codes,
active/inactive columns, counts and prices as people read them, the Integrations section."""

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import models
from django.urls import reverse
from django.utils import timezone

from catalog.models import CatalogItem
from core.admin import DATE_RANGE
from redemptions import services
from tests.coupons.factories import CouponUsageFactory
from tests.factories import CatalogItemFactory, UserFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory

pytestmark = pytest.mark.django_db

OURS = {"accounts", "catalog", "licensing", "redemptions", "coupons"}
CODES = reverse("admin:redemptions_code_changelist")
GROUPS = reverse("admin:redemptions_codegroup_changelist")


def _date_field(model, path: str):
    field = None
    for name in path.split("__"):
        field = model._meta.get_field(name)
        model = field.related_model or model
    return field if isinstance(field, models.DateField) else None


def test_every_date_filter_of_our_lists_takes_a_from_to_range():
    plain = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OURS and model._meta.model_name != "apikey":
            continue
        for entry in model_admin.list_filter:
            path, kind = entry if isinstance(entry, tuple) else (entry, None)
            if isinstance(path, str) and _date_field(model, path) and kind is not DATE_RANGE:
                plain.append(f"{model._meta.label}.{path}")
        if model_admin.date_hierarchy and (model_admin.date_hierarchy, DATE_RANGE) not in \
                list(model_admin.list_filter):
            plain.append(f"{model._meta.label}.{model_admin.date_hierarchy} (hierarchy)")
    assert plain == []


def test_a_date_range_lists_what_falls_between_both_days_included(admin_client):
    today = timezone.now().replace(hour=12)
    inside = CodeFactory(expiration_date=today + dt.timedelta(days=3))
    last_day = CodeFactory(expiration_date=(today + dt.timedelta(days=5)).replace(hour=23))
    CodeFactory(expiration_date=today + dt.timedelta(days=9))
    response = admin_client.get(CODES, {
        "expiration_date__range__gte": f"{today + dt.timedelta(days=1):%Y-%m-%d}",
        "expiration_date__range__lte": f"{today + dt.timedelta(days=5):%Y-%m-%d}"})
    assert set(response.context["cl"].result_list) == {inside, last_day}


def test_a_date_range_that_is_not_a_date_is_not_a_server_error(admin_client):
    response = admin_client.get(CODES, {"expiration_date__range__gte": "next tuesday"})
    assert response.status_code == 200


def test_part_of_a_code_typed_any_way_finds_it(admin_client):
    code = CodeFactory(code="RQMJQJB5JX5V")
    CodeFactory(code="BBBBCCCCDDDD")
    response = admin_client.get(CODES, {"q": "qjb5-jx"})
    assert list(response.context["cl"].result_list) == [code]


def test_a_whole_code_with_dashes_and_spaces_finds_exactly_it(admin_client):
    code = CodeFactory(code="RQMJQJB5JX5V")
    CodeFactory(code="XRQMJQJB5JX5VX")  # contains it, but the whole code was typed
    response = admin_client.get(CODES, {"q": " rqmj-qjb5 jx5v "})
    assert list(response.context["cl"].result_list) == [code]


def test_a_group_is_found_from_one_of_its_codes(admin_client):
    group = CodeGroupFactory(label="Spring")
    CodeFactory(group=group, code="HJKLMNPQRSTV")
    CodeGroupFactory(label="Autumn")
    for typed in ("hjkl-mnpq-rstv", "mnpq"):
        response = admin_client.get(GROUPS, {"q": typed})
        assert list(response.context["cl"].result_list) == [group], typed


def test_a_redemption_is_found_from_part_of_its_code(admin_client):
    code = CodeFactory(code="RQMJQJB5JX5V")
    redemption = services.redeem(code.code, UserFactory())
    response = admin_client.get(reverse("admin:redemptions_redemption_changelist"),
                                {"q": "jb5jx"})
    assert list(response.context["cl"].result_list) == [redemption]


def test_the_group_list_says_how_many_codes_are_active(admin_client):
    group = CodeGroupFactory(label="Spring", total_codes_count=3)
    codes = [CodeFactory(group=group) for _ in range(3)]
    html = admin_client.get(GROUPS).content.decode()
    assert "all active" in html
    services.set_codes_active([codes[0]], False)
    html = admin_client.get(GROUPS).content.decode()
    assert "2 active, 1 inactive" in html


def test_counts_in_the_lists_have_thousands_separators(admin_client):
    CodeGroupFactory(label="Big", total_codes_count=1_250_000)
    assert "1,250,000" in admin_client.get(GROUPS).content.decode()


def test_prices_are_shown_in_the_currency(admin_client, settings):
    settings.CURRENCY = "EUR"
    CatalogItemFactory(title="Priced", price_cents=124950)
    html = admin_client.get(reverse("admin:catalog_catalogitem_changelist")).content.decode()
    assert "1,249.50 EUR" in html


def test_a_price_is_typed_in_the_currency_and_stored_in_cents(admin_client):
    response = admin_client.post(reverse("admin:catalog_catalogitem_add"), {
        "kind": "course", "title": "Priced", "slug": "priced", "price_cents": "49.90",
        "is_active": "on"})
    assert response.status_code == 302
    item = CatalogItem.objects.get(slug="priced")
    assert item.price_cents == 4990
    page = admin_client.get(reverse("admin:catalog_catalogitem_change", args=[item.pk]))
    assert 'value="49.90"' in page.content.decode()


def test_a_price_with_fractions_of_a_cent_is_refused(admin_client):
    response = admin_client.post(reverse("admin:catalog_catalogitem_add"), {
        "kind": "course", "title": "Priced", "slug": "priced", "price_cents": "49.905"})
    assert response.status_code == 200
    assert not CatalogItem.objects.filter(slug="priced").exists()


def test_coupon_usages_show_their_prices_in_the_currency(admin_client, settings):
    settings.CURRENCY = "USD"
    usage = CouponUsageFactory(price_cents=4900, discount_cents=4900, final_price_cents=0)
    html = admin_client.get(reverse("admin:coupons_couponusage_changelist")).content.decode()
    assert "49.00 USD" in html and "0.00 USD" in html
    page = admin_client.get(reverse("admin:coupons_couponusage_change", args=[usage.pk]))
    assert "49.00 USD" in page.content.decode()


def _app_names(response) -> list[str]:
    return [app["name"] for app in response.context["app_list"]]


def test_oauth_and_edubrite_sessions_sit_under_integrations(admin_client):
    response = admin_client.get(reverse("admin:index"))
    apps = {app["name"]: [m["object_name"] for m in app["models"]]
            for app in response.context["app_list"]}
    assert "Django OAuth Toolkit" not in apps
    assert {"Application", "AccessToken", "EduBriteSession"} <= set(apps["Integrations"])
    assert "EduBriteSession" not in apps["Coupons"]


def test_staff_without_a_permission_there_see_no_integrations(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_coupon"))
    client.force_login(staff)
    assert _app_names(client.get(reverse("admin:index"))) == ["Coupons"]


def test_staff_see_only_the_integrations_they_may_view(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_application"))
    client.force_login(staff)
    response = client.get(reverse("admin:index"))
    integrations = [app for app in response.context["app_list"]
                    if app["name"] == "Integrations"]
    assert [m["object_name"] for m in integrations[0]["models"]] == ["Application"]


def test_the_start_of_a_code_finds_the_codes_starting_so(admin_client):
    first, second = CodeFactory(code="QJB5XAAAAAAA"), CodeFactory(code="QJB5X9999999")
    CodeFactory(code="AAQJB5XAAAAA")  # contains it, but codes start with what was typed
    CodeFactory(code="QJB5YAAAAAAA")
    response = admin_client.get(CODES, {"q": "qjb5-x"})
    assert set(response.context["cl"].result_list) == {first, second}
