"""The learner's account and redeem flows in Chromium, each at a laptop's width and at a
phone's (390×844), each leaving a screenshot in test-artefacts/: a password reset end to end
(the link read from the email), the "you already have it" warning before a code is spent,
an item's link from My access, a coupon typed on /redeem/, and the 404 page."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import ItemKind
from catalog.services import grant_entitlement
from coupons.models import CouponType, EntityType
from tests.coupons.factories import CouponFactory, SessionFactory
from tests.factories import CatalogItemFactory, UserFactory
from tests.redemptions.factories import CodeFactory, OfferFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"
NEW = "lantern-orchard-58"
VIEWPORTS = {"desktop": {"width": 1100, "height": 760}, "mobile": {"width": 390, "height": 844}}


@pytest.fixture(params=list(VIEWPORTS))
def width(request, page):
    """Each test runs at both widths; screenshots are named `<name>-<width>`."""
    page.set_viewport_size(VIEWPORTS[request.param])
    return request.param


def log_in(page, base, email, password=PASSWORD):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My access")).to_be_visible()


def test_a_learner_resets_a_forgotten_password_from_the_emailed_link(
        live_server, page, screenshot, width):
    base = live_server.url
    user = UserFactory(email="reader@example.com")
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email address").fill("Reader@Example.com")
    screenshot(f"password-reset-{width}")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [message] = mail.outbox
    link = re.search(r"http\S+/accounts/password/reset/\S+/\S+/", message.body).group(0)
    page.goto(re.sub(r"^https?://[^/]+", base, link))
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("short1")
    page.get_by_label("Confirm the new password").fill("short1")
    page.get_by_role("button", name="Set my password").click()
    # The rule's error sits under the new password, where it was typed.
    expect(page.locator("#id_new_password1_error")).to_contain_text("too short")
    screenshot(f"password-reset-confirm-{width}")
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("Confirm the new password").fill(NEW)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    screenshot(f"password-reset-done-{width}")

    page.get_by_role("link", name="Log in").last.click()
    log_in(page, base, user.email, NEW)
    page.get_by_role("link", name="Change your password").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    screenshot(f"password-change-{width}")


def test_a_learner_is_warned_they_already_hold_a_code_and_confirms(
        live_server, page, screenshot, width):
    base = live_server.url
    learner = UserFactory()
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, title="Starter Bundle",
                                includes=[CatalogItemFactory(title="Data Privacy Basics")])
    held_until = timezone.now() + dt.timedelta(days=36)
    grant_entitlement(user=learner, item=bundle, expires_at=held_until)
    CodeFactory(code="GIFT2345", offer=OfferFactory(
        items=[bundle], access_expiration_date=held_until + dt.timedelta(days=4)))
    log_in(page, base, learner.email)
    page.goto(f"{base}/redeem/")
    page.get_by_label("Your code").fill("gift-2345")
    page.get_by_role("button", name="Redeem").click()

    warning = page.get_by_role("alert")
    expect(warning).to_contain_text(
        f"You already have Starter Bundle until {held_until:%-d %B %Y}; redeeming adds 4")
    expect(page.get_by_role("table")).to_contain_text("Starter Bundle")
    screenshot(f"redeem-already-held-{width}")
    page.get_by_role("button", name="Redeem anyway").click()

    expect(page.get_by_role("heading", name="Code redeemed")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Starter Bundle")).to_be_visible()
    screenshot(f"redeem-confirmed-{width}")


def test_a_learner_follows_an_items_link_from_my_access(live_server, page, screenshot, width,
                                                        settings):
    settings.CONTENT_URL_TEMPLATE = "https://learn.example.com/courses/{slug}"
    learner = UserFactory()
    grant_entitlement(user=learner, item=CatalogItemFactory(title="Data Privacy Basics",
                                                            slug="data-privacy-basics"))
    # The host platform is not reachable from here: the browser answers for it.
    page.route("https://learn.example.com/**", lambda route: route.fulfill(
        content_type="text/html", body="<h1>Data Privacy Basics, on the host platform</h1>"))
    log_in(page, live_server.url, learner.email)
    screenshot(f"access-links-{width}")
    page.get_by_role("link", name="Data Privacy Basics").click()
    expect(page).to_have_url("https://learn.example.com/courses/data-privacy-basics")
    expect(page.get_by_role("heading", name="on the host platform")).to_be_visible()


def test_a_learner_types_a_coupon_on_the_redeem_page_and_applies_it(
        live_server, page, screenshot, width):
    learner = UserFactory()
    workshop = SessionFactory(title="Negotiation Workshop", price_cents=12000)
    CouponFactory(code="FREEWORK", type=CouponType.USAGE,
                  entity_type=EntityType.COURSE_SESSION, item=workshop)
    log_in(page, live_server.url, learner.email)
    page.goto(f"{live_server.url}/redeem/")
    page.get_by_label("Your code").fill("freework")
    page.get_by_role("button", name="Redeem").click()

    expect(page.get_by_role("heading", name="This is a coupon")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        "Free access on “Negotiation Workshop” (course session)")
    screenshot(f"redeem-coupon-{width}")
    page.get_by_role("button", name="Apply the coupon").click()
    expect(page.get_by_role("heading", name="Coupon applied")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Negotiation Workshop")).to_be_visible()


def test_an_unknown_page_is_a_404_in_the_sites_style(live_server, page, screenshot, width):
    response = page.goto(f"{live_server.url}/courses/no-such-thing")
    assert response.status == 404
    expect(page.get_by_role("heading", name="We cannot find that page")).to_be_visible()
    expect(page.get_by_role("link", name="Redeem a code").first).to_be_visible()
    screenshot(f"not-found-{width}")
