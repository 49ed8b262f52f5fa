"""The staff dashboard on the admin home: what it shows, to whom, and in how many queries."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coupons.models import CouponType, UsageStatus
from licensing import services as licensing
from redemptions import services as redemptions
from tests.coupons.factories import CouponFactory, CouponUsageFactory
from tests.factories import CatalogItemFactory, ClientFactory, MembershipFactory, UserFactory
from tests.licensing.factories import LicenseFactory, SeatFactory

pytestmark = pytest.mark.django_db

HOME = "/admin/"


def make_business(scale: int = 1):
    """Groups with redemptions, a license tree near full, coupons with uses, things that
    expire soon; `scale` multiplies the rows (not the kinds of rows)."""
    now = timezone.now()
    course = CatalogItemFactory(title="Onboarding")
    groups = []
    for n in range(3 * scale):
        group = redemptions.create_code_group(
            label=f"Spring {n}", offer=redemptions.OfferTerms(name=f"Spring {n}", items=[course],
                                                              access_days=30),
            count=10 * scale, code_length=10, expiration_date=now + dt.timedelta(days=10))
        groups.append(group)
    for code in groups[0].codes.order_by("id")[:4 * scale]:
        redemptions.redeem(code.code, UserFactory())
    company = licensing.create_license(client=ClientFactory(name=f"Acme {scale}"),
                                       name="Acme company",
                                       seats_limit=5 * scale,
                                       expiration_date=now + dt.timedelta(days=20))
    team = licensing.create_license(client=company.client, name="Acme team", parent=company)
    for _ in range(4 * scale):
        SeatFactory(license=team)
    coupon = CouponFactory(code=f"WELCOME{scale}", type=CouponType.USAGE, value_count=10 * scale,
                           exp_date=now + dt.timedelta(days=5))
    for _ in range(3 * scale):
        CouponUsageFactory(coupon=coupon, status=UsageStatus.PENDING)
    for _ in range(scale):
        MembershipFactory(expires_at=now + dt.timedelta(days=3))
    return groups, company, team, coupon


def test_the_home_page_shows_redemptions_per_day_with_their_total_and_a_chart(admin_client):
    make_business()
    html = admin_client.get(HOME).content.decode()
    assert "Redemptions per day" in html
    assert re.search(r'class="big-figure">4</strong> in the last 30 days', html)
    assert '<svg class="chart"' in html and "<desc id=" in html
    assert "4 redemptions from" in html  # the chart's text alternative


def test_the_switch_shows_the_last_90_days(admin_client):
    make_business()
    html = admin_client.get(HOME, {"days": "90"}).content.decode()
    assert "Redemptions per day over the last 90 days" in html
    assert '<strong aria-current="true">90 days</strong>' in html


def test_an_unknown_period_falls_back_to_30_days(admin_client):
    html = admin_client.get(HOME, {"days": "7"}).content.decode()
    assert '<strong aria-current="true">30 days</strong>' in html


def test_the_most_active_groups_show_redeemed_over_total_and_link_to_the_group(admin_client):
    groups, *_ = make_business()
    html = admin_client.get(HOME).content.decode()
    url = reverse("admin:redemptions_codegroup_change", args=[groups[0].pk])
    assert f'<a href="{url}">Spring 0</a>' in html
    assert "4 of 10 codes redeemed" in html and "4 / 10" in html


def test_a_license_under_a_full_parent_shows_the_parents_limit(admin_client):
    make_business()
    html = admin_client.get(HOME).content.decode()
    assert "Acme team (Acme 1)" in html
    assert "the limit of “Acme company”" in html
    assert "4 of 5 seats used" in html  # the team's 4 seats, room for one more above it


def test_coupons_show_uses_over_limit_and_the_pending_count_links_the_filtered_list(
        admin_client):
    make_business()
    html = admin_client.get(HOME).content.decode()
    assert "3 of 10 uses" in html
    pending = reverse("admin:coupons_couponusage_changelist") + "?status__exact=pending"
    assert f'<a class="big-figure" href="{pending}">3</a>' in html
    assert admin_client.get(pending).status_code == 200


def test_what_expires_soon_links_to_the_filtered_lists_and_the_objects(admin_client):
    _, company, team, coupon = make_business()
    html = admin_client.get(HOME).content.decode()
    section = html[html.index("Expires in the next 30 days"):]
    for changelist in ("redemptions_codegroup", "licensing_license", "coupons_coupon",
                       "accounts_membership"):
        assert reverse(f"admin:{changelist}_changelist") + "?" in section
    assert reverse("admin:licensing_license_change", args=[company.pk]) in section
    assert reverse("admin:licensing_license_change", args=[team.pk]) in section  # inherits
    assert reverse("admin:coupons_coupon_change", args=[coupon.pk]) in section
    lists = re.findall(r'<th scope="row"><a href="([^"]+)">', section)
    assert len(lists) == 5
    for url in lists:  # each filtered list opens and lists what the dashboard counted
        assert admin_client.get(url.replace("&amp;", "&")).status_code == 200


def test_the_license_list_filtered_from_the_dashboard_holds_what_it_counted(admin_client):
    make_business()
    LicenseFactory(name="Far away", expiration_date=timezone.now() + dt.timedelta(days=300))
    html = admin_client.get(HOME).content.decode()
    url = re.search(r'<a href="(/admin/licensing/license/\?[^"]+)">Licenses</a>', html)[1]
    listed = admin_client.get(url.replace("&amp;", "&")).content.decode()
    assert "Acme company" in listed and "Acme team" in listed and "Far away" not in listed


def test_staff_see_only_the_panels_of_what_they_may_view(client):
    make_business()
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_coupon"))
    client.force_login(staff)
    html = client.get(HOME).content.decode()
    assert "Coupons: uses / limit" in html and "Coupons (active)" in html
    for hidden in ("Redemptions per day", "Code groups", "Licenses near full",
                   "Waiting for approval", "Group memberships"):
        assert hidden not in html


def test_staff_who_may_view_nothing_see_no_dashboard(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert "entitle-dashboard" not in client.get(HOME).content.decode()


def _queries(admin_client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert admin_client.get(HOME).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def _shape(sql: str) -> str:
    """A query without its values (and lists of them): what it reads, whatever the data."""
    values = re.sub(r"('[^']*'|\b\d+\b|%s)(::\w+)?", "?", sql)
    return re.sub(r"IN \((\?, )*\?\)", "IN (…)", values)


DASHBOARD_QUERIES = [  # what each query reads, in order (the page's own first)
    "django_session", "accounts_user",
    'FROM "redemptions_redemption"',  # redemptions per day (one grouped scan)
    'FROM "redemptions_code"',  # the most active groups (codes redeemed in the window)
    'FROM "redemptions_codegroup"',  # those groups with their redeemed-code counts
    'FROM "licensing_license"',  # the licenses of clients with a limit
    'FROM "licensing_seat"',  # their active seats, grouped
    'FROM "coupons_coupon"',  # coupons by use
    'FROM "coupons_couponusage"',  # pending usages
    'FROM "redemptions_codegroup"', 'FROM "redemptions_code"', 'FROM "licensing_license"',
    'FROM "coupons_coupon"', 'FROM "accounts_membership"',  # what expires soon, one each
    "django_admin_log",  # Django's "recent actions"
]


def test_the_page_runs_the_same_few_queries_whatever_the_volume(admin_client):
    make_business(scale=1)
    small = _queries(admin_client)
    make_business(scale=4)
    large = _queries(admin_client)
    assert [_shape(q) for q in large] == [_shape(q) for q in small]
    assert len(large) == len(DASHBOARD_QUERIES)
    for sql, reads in zip(large, DASHBOARD_QUERIES, strict=True):
        assert reads in sql.split(" WHERE ")[0] or reads in sql, (reads, sql)
