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
from licensing.services import assign_seat
from tests.accounts.support import emailed_link
from tests.factories import CatalogItemFactory, UserFactory
from tests.licensing.factories import LicenseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STRONG = "violet-harbour-42"


def log_in(page, base, email, password):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_new_learner_registers_logs_out_logs_in_and_sees_what_they_hold(
        live_server, page, screenshot, settings):
    settings.CONTENT_URL_TEMPLATE = "https://learn.example.com/courses/{slug}"
    base = live_server.url
    page.goto(f"{base}/")
    page.get_by_role("link", name="Create an account").first.click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Email address").fill("new.learner@example.com")
    page.get_by_label("Password", exact=True).fill(STRONG)
    page.get_by_label("Confirm password").fill(STRONG)
    screenshot("register")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(f"{base}{emailed_link('new.learner@example.com')}")
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
    license = LicenseFactory(name="Acme Academy 2025", courses=[CatalogItemFactory(
        title="Advanced Negotiation", slug="advanced-negotiation")])
    assign_seat(license=license, user=learner)

    page.get_by_role("button", name=re.compile("Log out")).click()
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()

    page.goto(f"{base}/account/access/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/account/access/$"))
    page.get_by_label("Email address").fill("new.learner@example.com")
    page.get_by_label("Password").fill(STRONG)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{base}/account/access/")
    table = page.get_by_role("table", name=re.compile("What you may open today"))
    expect(table.get_by_role("rowheader", name="Data Privacy Basics")).to_be_visible()
    expect(table.get_by_text("Redeemed code, in “Starter Bundle”")).to_be_visible()
    expect(table.get_by_role("rowheader", name="Welcome Video")).to_be_visible()
    expect(table.get_by_text("No end date").first).to_be_visible()
    expect(table.get_by_role("link", name="Data Privacy Basics")).to_have_attribute(
        "href", re.compile(r"^https://learn\.example\.com/courses/"))
    seats = page.get_by_role("table", name=re.compile("Your license seats"))
    expect(seats.get_by_role("rowheader", name="Acme Academy 2025")).to_be_visible()
    expect(seats.get_by_role("link", name="Advanced Negotiation")).to_be_visible()
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
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(f"{base}{emailed_link('reader@example.com')}")  # the link, in the same browser
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
    expect(page.get_by_role("link", name="25 codes")).to_be_visible()  # on the group's page
    screenshot("admin-code-group")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the codes (CSV)").click()
    assert download.value.suggested_filename == "spring-2025-campaign-codes.csv"
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    group = CodeGroup.objects.get(label="Spring 2025 campaign")
    assert rows[0] == ["code", "redeemed", "redeemedBy", "redeemedAt", "niceCode",
                       "redemptionUrl"]
    assert sorted(r[0] for r in rows[1:]) == sorted(group.codes.values_list("code", flat=True))
    assert {r[1] for r in rows[1:]} == {"false"} and len(rows) == 26


def test_a_double_submitted_generate_form_makes_one_group_and_lands_on_it(live_server, page,
                                                                           screenshot):
    from redemptions.models import CodeGroup
    from tests.redemptions.factories import OfferFactory

    base = live_server.url
    offer = OfferFactory(name="Autumn offer")
    log_in_to_the_admin(page, base)
    page.goto(f"{base}/admin/redemptions/codegroup/add/")
    page.get_by_label("Label").fill("Autumn 2025")
    page.locator("#id_offer").evaluate(  # the autocomplete's <select>, set as select2 would
        "(select, [id, name]) => select.add(new Option(name, id, true, true))",
        [str(offer.pk), offer.name])
    page.get_by_label("Count").fill("3000")
    expect(page.locator("#count-estimate")).to_contain_text("Estimate: 3,000 codes take")
    screenshot("admin-generate-estimate")
    # Two copies of this form sent at once (a double click on a slow line), then Save.
    landed = page.evaluate("""async () => {
        const form = document.getElementById("codegroup_form");
        const send = () => {
            const data = new FormData(form);
            data.append("_save", "Save");
            return fetch(form.action || location.href, {method: "POST", body: data})
                .then(response => response.url);
        };
        return Promise.all([send(), send()]);
    }""")
    page.get_by_role("button", name="Save", exact=True).click()

    group = CodeGroup.objects.get()
    assert group.label == "Autumn 2025" and group.codes.count() == 3000
    group_page = f"{base}/admin/redemptions/codegroup/{group.pk}/change/"
    assert page.url == landed[0] == landed[1] == group_page
    expect(page.locator(".messagelist")).to_contain_text("had been submitted already")
    expect(page.get_by_role("link", name="3,000 codes")).to_be_visible()
    screenshot("admin-generate-double-submit")


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


def test_staff_roll_back_a_redemption_from_the_learners_page_with_a_reason(live_server, page,
                                                                           screenshot):
    from redemptions import services
    from redemptions.models import Redemption

    learner = UserFactory(email="refund@example.com")
    services.redeem(generated_code(CatalogItemFactory(title="Refunded Course"),
                                   label="Winter 2025"), learner)
    log_in_to_the_admin(page, live_server.url)
    page.goto(f"{live_server.url}/admin/accounts/user/{learner.pk}/change/")
    panel = page.locator(".what-they-hold")
    expect(panel).to_contain_text("Refunded Course")
    screenshot("admin-learner-tools", of=page.locator(".what-they-hold-module"))
    panel.get_by_role("link", name="Roll back…").click()

    expect(page.get_by_role("heading", name="Roll back a redemption of refund@example.com"))\
        .to_be_visible()
    page.get_by_role("button", name="Roll back").click()  # no reason: the browser refuses
    expect(page.get_by_label("Reason")).to_have_attribute("required", "")
    assert Redemption.objects.get(user=learner).rolled_back_at is None
    page.get_by_label("Reason").fill("Refunded: order 1234")
    screenshot("admin-rollback-confirm")
    page.get_by_role("button", name="Roll back").click()

    expect(page.locator(".messagelist")).to_contain_text(
        "Rolled back for refund@example.com: Refunded: order 1234")
    expect(panel).to_contain_text("Redemptions (1)")
    expect(panel).to_contain_text("Refunded: order 1234")
    expect(panel.get_by_role("link", name="Roll back…")).to_have_count(0)
    expect(panel).to_contain_text("May open now (0)")
    assert Redemption.objects.get(user=learner).rolled_back_reason == "Refunded: order 1234"
    screenshot("admin-learner-rolled-back", of=page.locator(".what-they-hold-module"))


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
