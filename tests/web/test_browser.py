"""The learner pages and the admin in a real browser (Chromium through Playwright).

Few and quick on purpose: the page logic is covered by the Django-client tests beside the
apps; these prove the pages work end to end in a browser (forms, CSRF cookies, redirects,
layout) and leave screenshots in test-artefacts/ for the README.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import EntitlementSource, ItemKind
from catalog.services import grant_entitlement
from tests.factories import CatalogItemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STRONG = "violet-harbour-42"


def log_in(page, base, email, password):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_new_learner_registers_logs_out_logs_in_and_sees_what_they_hold(
        live_server, page, screenshot):
    base = live_server.url
    page.goto(f"{base}/")
    page.get_by_role("link", name="Create an account").first.click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Email address").fill("new.learner@example.com")
    page.get_by_label("Password", exact=True).fill(STRONG)
    page.get_by_label("Confirm password").fill(STRONG)
    screenshot("register")
    page.get_by_role("button", name="Create my account").click()

    expect(page).to_have_url(f"{base}/account/access/")
    expect(page.get_by_text("do not have access to anything yet")).to_be_visible()

    from accounts.models import User

    learner = User.objects.get(email="new.learner@example.com")
    course = CatalogItemFactory(title="Data Privacy Basics")
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, title="Starter Bundle",
                                includes=[course])
    grant_entitlement(user=learner, item=bundle, source=EntitlementSource.REDEMPTION,
                      expires_at=timezone.now() + dt.timedelta(days=365))
    grant_entitlement(user=learner, item=CatalogItemFactory(title="Welcome Video",
                                                            kind=ItemKind.VIDEO))

    page.get_by_role("button", name=re.compile("Log out")).click()
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()

    page.goto(f"{base}/account/access/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/account/access/$"))
    page.get_by_label("Email address").fill("new.learner@example.com")
    page.get_by_label("Password").fill(STRONG)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{base}/account/access/")
    table = page.get_by_role("table")
    expect(table.get_by_role("rowheader", name="Data Privacy Basics")).to_be_visible()
    expect(table.get_by_text("Redeemed code, in “Starter Bundle”")).to_be_visible()
    expect(table.get_by_role("rowheader", name="Welcome Video")).to_be_visible()
    expect(table.get_by_text("No end date")).to_be_visible()
    screenshot("access")
    page.set_viewport_size({"width": 390, "height": 800})
    screenshot("access-mobile")


def test_a_bad_login_shows_an_inline_error(live_server, page, screenshot):
    user = UserFactory()
    log_in(page, live_server.url, user.email, "not-the-password")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("do not match an account")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_label("Email address")).to_have_value(user.email)
    screenshot("login-error")


def test_staff_log_in_to_the_admin_and_open_the_catalog_items(live_server, page, screenshot):
    staff = UserFactory(is_staff=True, is_superuser=True)
    CatalogItemFactory(title="Onboarding Essentials")
    CatalogItemFactory(title="Advanced Negotiation")
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Email address").fill(staff.email)
    page.get_by_label("Password").fill("secret-pass-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.get_by_role("link", name="Catalog items").click()
    expect(page).to_have_url(f"{live_server.url}/admin/catalog/catalogitem/")
    expect(page.get_by_role("link", name="Onboarding Essentials")).to_be_visible()
    expect(page.get_by_role("link", name="Advanced Negotiation")).to_be_visible()
    screenshot("admin-catalog-items")


# The redeem page, wired to the stand-in redeem service of tests/catalog/redeem_urls.py until
# the real one lands (then: the real URLconf, and a code from the generator).
@pytest.mark.urls("tests.catalog.redeem_urls")
def test_a_new_learner_redeems_a_tizra_link_through_registration(live_server, page,
                                                                 screenshot):
    base = live_server.url
    CatalogItemFactory(title="Data Privacy Basics", external_id="ABCD2345")
    page.goto(f"{base}/redeem/entitle?redemptionCode=abcd-2345&successUrl=/account/access/")
    expect(page.get_by_label("Your code")).to_have_value("abcd-2345")
    screenshot("redeem")
    page.get_by_role("button", name="Redeem").click()

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("abcd-2345")
    page.get_by_role("link", name="Create an account").last.click()
    page.get_by_label("Email address").fill("reader@example.com")
    page.get_by_label("Password", exact=True).fill(STRONG)
    page.get_by_label("Confirm password").fill(STRONG)
    page.get_by_role("button", name="Create my account").click()

    # successUrl is on this host, so the learner lands there, holding the course.
    expect(page).to_have_url(f"{base}/account/access/")
    expect(page.get_by_role("rowheader", name="Data Privacy Basics")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Redeemed code")


@pytest.mark.urls("tests.catalog.redeem_urls")
def test_a_bad_code_is_refused_in_plain_words(live_server, page, screenshot):
    user = UserFactory()
    log_in(page, live_server.url, user.email, "secret-pass-123")
    page.goto(f"{live_server.url}/redeem/")
    page.get_by_label("Your code").fill("nope-0000")
    page.get_by_role("button", name="Redeem").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Code nope-0000: There is no such code. Check it and try again.")
    screenshot("redeem-bad-code")


@pytest.mark.urls("tests.catalog.redeem_urls")
def test_a_learner_redeems_and_sees_what_was_unlocked(live_server, page, screenshot):
    user = UserFactory()
    course = CatalogItemFactory(title="Onboarding Essentials")
    CatalogItemFactory(kind=ItemKind.BUNDLE, title="Starter Bundle", external_id="STARTER1",
                       includes=[course])
    log_in(page, live_server.url, user.email, "secret-pass-123")
    page.goto(f"{live_server.url}/redeem/")
    page.get_by_label("Your code").fill("starter1")
    page.get_by_role("button", name="Redeem").click()
    expect(page.get_by_role("heading", name="Code redeemed")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Starter Bundle")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Onboarding Essentials")).to_be_visible()
    screenshot("redeemed")
