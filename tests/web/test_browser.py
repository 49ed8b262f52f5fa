"""The learner pages and the admin in a real browser (Chromium through Playwright).

Few and quick on purpose: the page logic is covered by the Django-client tests beside the
apps; these prove the pages work end to end in a browser (forms, CSRF cookies, redirects,
layout) and leave screenshots in test-artefacts/ for the README.
"""

import csv
import datetime as dt
import io
import re
from pathlib import Path

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


def generated_code(*items, label="Spring 2025") -> str:
    """One code of a group made by the generator, granting `items` for a year."""
    from redemptions import services

    group = services.create_code_group(
        label=label, offer=services.OfferTerms(name=label, items=items, access_days=365),
        count=3, code_length=10)
    return group.codes.order_by("id").first().code


def test_a_new_learner_redeems_a_tizra_link_through_registration(live_server, page,
                                                                 screenshot):
    base = live_server.url
    course = CatalogItemFactory(title="Onboarding Essentials")
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, title="Starter Bundle",
                                includes=[course])
    code = generated_code(bundle)
    typed = f"{code[:5]}-{code[5:]}".lower()  # as a learner might type it
    page.goto(f"{base}/redeem/entitle?redemptionCode={typed}")
    expect(page.get_by_label("Your code")).to_have_value(typed)
    screenshot("redeem")
    page.get_by_role("button", name="Redeem").click()

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(typed)
    page.get_by_role("link", name="Create an account").last.click()
    page.get_by_label("Email address").fill("reader@example.com")
    page.get_by_label("Password", exact=True).fill(STRONG)
    page.get_by_label("Confirm password").fill(STRONG)
    page.get_by_role("button", name="Create my account").click()

    # Back on the redeem page, which completed the redemption without the code retyped.
    expect(page.get_by_role("heading", name="Code redeemed")).to_be_visible()
    unlocked = page.get_by_role("table")
    expect(unlocked.get_by_role("rowheader", name="Starter Bundle")).to_be_visible()
    expect(unlocked.get_by_role("rowheader", name="Onboarding Essentials")).to_be_visible()
    expect(unlocked).to_contain_text(f"{timezone.now() + dt.timedelta(days=365):%-d %B %Y}")
    screenshot("redeemed")

    page.get_by_role("link", name="See everything you have access to").click()
    expect(page).to_have_url(f"{base}/account/access/")
    expect(page.get_by_role("rowheader", name="Onboarding Essentials")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Redeemed code, in “Starter Bundle”")


def test_a_bad_code_is_refused_in_plain_words(live_server, page, screenshot):
    user = UserFactory()
    log_in(page, live_server.url, user.email, "secret-pass-123")
    page.goto(f"{live_server.url}/redeem/")
    page.get_by_label("Your code").fill("nope-0000")
    page.get_by_role("button", name="Redeem").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Code nope-0000: There is no such code; check it and try again.")
    expect(page.get_by_label("Your code")).to_have_value("nope-0000")
    screenshot("redeem-bad-code")


def log_in_to_the_admin(page, base):
    staff = UserFactory(is_staff=True, is_superuser=True)
    page.goto(f"{base}/admin/")
    page.get_by_label("Email address").fill(staff.email)
    page.get_by_label("Password").fill("secret-pass-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    return staff


def test_staff_generate_a_code_group_in_the_admin_and_download_its_csv(live_server, page,
                                                                       screenshot):
    from redemptions.models import CodeGroup
    from tests.redemptions.factories import OfferFactory

    base = live_server.url
    OfferFactory(name="Spring offer")
    log_in_to_the_admin(page, base)
    page.goto(f"{base}/admin/redemptions/codegroup/add/")
    page.get_by_label("Label").fill("Spring 2025 campaign")
    page.locator(".field-offer .select2-selection").click()  # the offer's autocomplete
    page.locator(".select2-container--open .select2-search__field").fill("Spring")
    page.get_by_role("option", name="Spring offer").click()
    page.get_by_label("Count").fill("25")
    screenshot("admin-generate-codes")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("Generated 25 codes of 8 characters")
    page.locator("#result_list").get_by_role("link", name="Spring 2025 campaign").click()
    expect(page.get_by_role("link", name="25 codes")).to_be_visible()
    screenshot("admin-code-group")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the codes (CSV)").click()
    assert download.value.suggested_filename == "spring-2025-campaign-codes.csv"
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    group = CodeGroup.objects.get(label="Spring 2025 campaign")
    assert rows[0] == ["code", "redeemed", "redeemedBy", "redeemedAt"]
    assert sorted(r[0] for r in rows[1:]) == sorted(group.codes.values_list("code", flat=True))
    assert {r[1] for r in rows[1:]} == {"false"} and len(rows) == 26


def test_staff_find_a_learner_and_see_what_they_hold_and_why(live_server, page, screenshot):
    from redemptions import services

    learner = UserFactory(email="reader@example.com")
    course = CatalogItemFactory(title="Onboarding Essentials")
    services.redeem(generated_code(CatalogItemFactory(
        kind=ItemKind.BUNDLE, title="Starter Bundle", includes=[course])), learner)
    log_in_to_the_admin(page, live_server.url)
    page.goto(f"{live_server.url}/admin/accounts/user/")
    page.locator("#searchbar").fill("reader@")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="reader@example.com").click()
    panel = page.locator(".what-they-hold")
    expect(panel).to_contain_text("Redeemed code, in “Starter Bundle”")
    expect(panel).to_contain_text("Redemptions (1)")
    screenshot("admin-learner", of=page.locator("#content-main form fieldset").nth(1))


def test_staff_watch_a_large_generation_on_its_job_page_without_reloading(
        live_server, page, screenshot, settings):
    import threading

    from redemptions import services
    from redemptions.models import CodeGroup
    from tests.redemptions.factories import OfferFactory

    settings.JOB_CHUNK_SIZE, settings.JOB_CHUNK_PAUSE_SECONDS = 1000, 0.4  # 11 slow chunks
    base = live_server.url
    OfferFactory(name="Autumn offer")
    log_in_to_the_admin(page, base)
    page.goto(f"{base}/admin/redemptions/codegroup/add/")
    page.get_by_label("Label").fill("Autumn campaign")
    page.locator(".field-offer .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("Autumn")
    page.get_by_role("option", name="Autumn offer").click()
    page.get_by_label("Count").fill("10001")  # above 10,000: a job
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Status:")).to_contain_text("queued")
    group = CodeGroup.objects.get(label="Autumn campaign")
    page.evaluate("window.notReloaded = true")  # gone if the page reloads

    worker = threading.Thread(target=services.run_code_group_generation, args=(group.job_id,))
    worker.start()  # what a Celery worker does with the job (the test has no broker worker)
    expect(page.locator("#job-status")).to_have_text("running")
    expect(page.locator("#job-eta")).to_contain_text("s left")
    screenshot("admin-job-progress")
    expect(page.locator("#job-status")).to_have_text("succeeded", timeout=60_000)
    worker.join()
    expect(page.locator("#job-counts")).to_have_text("10,001 / 10,001 (100%)")
    assert page.evaluate("window.notReloaded") is True
    expect(page.get_by_role("button", name="Cancel this job")).to_have_count(0)
    page.get_by_role("link", name="Open what it made").click()
    expect(page.locator(".field-generation")).to_contain_text("Ready")
    screenshot("admin-code-group-generated")
