"""The admin home's dashboard and the lists' date ranges in a real browser (Chromium).

Screenshots go to test-artefacts/ (admin-dashboard.png is the README's)."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.web.business import make_busy_business
from tests.web.test_browser import log_in_to_the_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_see_the_business_on_the_dashboard_and_follow_it_to_a_group(live_server, page,
                                                                          screenshot):
    make_busy_business()
    log_in_to_the_admin(page, live_server.url)
    dashboard = page.locator(".entitle-dashboard")
    expect(dashboard.get_by_role("heading", name="Dashboard")).to_be_visible()
    chart = dashboard.get_by_role("img", name="Redemptions per day over the last 30 days")
    expect(chart).to_be_visible()
    expect(dashboard.get_by_text("96", exact=True)).to_be_visible()  # the month's total
    expect(dashboard.get_by_role("img", name="46 of 50 seats used")).to_be_visible()
    expect(dashboard.get_by_role("link", name="5", exact=True)).to_be_visible()  # pending
    page.set_viewport_size({"width": 1400, "height": 900})
    screenshot("admin-dashboard", of=dashboard)

    dashboard.get_by_role("link", name="90 days").click()
    expect(page.get_by_role("img", name="Redemptions per day over the last 90 days")) \
        .to_be_visible()
    page.locator(".entitle-dashboard").get_by_role("link", name="Spring campaign",
                                                   exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/redemptions/codegroup/[0-9a-f-]+/change/$"))
    expect(page.get_by_role("link", name="400 codes")).to_be_visible()


def test_staff_list_the_redemptions_of_a_few_days_with_a_date_range(live_server, page,
                                                                    screenshot):
    from redemptions.models import Redemption

    make_busy_business()
    today = timezone.now().date()
    since, until = today - dt.timedelta(days=6), today - dt.timedelta(days=2)
    expected = Redemption.objects.filter(redeemed_at__date__gte=since,
                                         redeemed_at__date__lte=until).count()
    assert 0 < expected < Redemption.objects.count()
    log_in_to_the_admin(page, live_server.url)
    page.goto(f"{live_server.url}/admin/redemptions/redemption/")
    page.locator('input[name="redeemed_at__range__gte"]').fill(f"{since:%Y-%m-%d}")
    page.locator('input[name="redeemed_at__range__lte"]').fill(f"{until:%Y-%m-%d}")
    page.locator('input[name="redeemed_at__range__lte"]').locator(
        "xpath=ancestor::form").get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(rf"redeemed_at__range__gte={since:%Y-%m-%d}"))
    expect(page.locator("#result_list tbody tr")).to_have_count(expected)
    screenshot("admin-date-range")
