"""What a code gives before it is spent (`services.preview`, `check`'s rules) and the redeem
page's "you already have it" step: nothing is spent until the learner confirms."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.services import add_tags
from catalog.models import Entitlement, ItemKind
from catalog.services import grant_entitlement
from licensing.services import assign_seat
from redemptions import services
from redemptions.models import Redemption
from tests.factories import CatalogItemFactory
from tests.licensing.factories import LicenseFactory
from tests.redemptions.factories import CodeFactory, OfferFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def days(n):
    return NOW + dt.timedelta(days=n)


@pytest.fixture
def bundle():
    return CatalogItemFactory(kind=ItemKind.BUNDLE, title="Starter Bundle")


@pytest.fixture
def code(bundle):
    return CodeFactory(code="GIFT2345", offer=OfferFactory(items=[bundle],
                                                           access_expiration_date=days(40)))


def test_the_preview_lists_each_item_until_when_nothing_held(learner, code, bundle):
    preview = services.preview("gift-2345", learner)
    assert preview.refusal is None
    [line] = preview.lines
    assert (line.kind, line.item, line.expires_at, line.held) == ("item", bundle, days(40),
                                                                  False)
    assert preview.already_held == [] and not preview.grants_nothing_new


def test_the_preview_refuses_as_check_does(learner):
    preview = services.preview("NOPE2345", learner)
    assert preview.refusal.code == services.check("NOPE2345", learner).refusal.code == (
        "not_found")


def test_an_item_held_for_less_long_is_extended(learner, code, bundle):
    grant_entitlement(user=learner, item=bundle, expires_at=days(36))
    [line] = services.preview(code.code, learner).lines
    assert line.held and line.held_until == days(36) and line.extends
    assert not services.preview(code.code, learner).grants_nothing_new


def test_an_item_held_for_longer_gains_nothing(learner, code, bundle):
    grant_entitlement(user=learner, item=bundle, expires_at=days(400))
    preview = services.preview(code.code, learner)
    assert preview.lines[0].adds_nothing and preview.grants_nothing_new


def test_an_item_lasting_less_than_a_day_longer_is_nothing_new(learner, code, bundle):
    grant_entitlement(user=learner, item=bundle, expires_at=days(40) - dt.timedelta(minutes=5))
    preview = services.preview(code.code, learner)
    assert preview.lines[0].adds_a_little and not preview.lines[0].extends
    assert preview.grants_nothing_new


def test_the_page_says_less_than_a_day_for_a_few_minutes_more(client, learner, code, bundle):
    grant_entitlement(user=learner, item=bundle, expires_at=days(40) - dt.timedelta(minutes=5))
    client.force_login(learner)
    body = client.post("/redeem/", {"code": "GIFT2345"}).content.decode()
    assert "redeeming adds less than a day." in body and "0\xa0minutes" not in body
    assert not Redemption.objects.exists()


def test_an_item_held_through_a_container_counts_as_held(learner):
    course = CatalogItemFactory(title="Course")
    grant_entitlement(user=learner, item=CatalogItemFactory(kind=ItemKind.BUNDLE,
                                                            includes=[course]))
    CodeFactory(code="INSIDE23", offer=OfferFactory(items=[course]))
    assert services.preview("INSIDE23", learner).grants_nothing_new


def test_a_seat_and_a_tag_held_count_as_held(learner):
    license = LicenseFactory(name="Acme")
    assign_seat(license=license, user=learner)
    add_tags(learner, ["vip"])
    CodeFactory(code="SEATTAG2", offer=OfferFactory(items=[], licenses=[license],
                                                    user_tags=["vip", "new"]))
    lines = {line.title: line for line in services.preview("SEATTAG2", learner).lines}
    assert lines["Acme"].kind == "license" and lines["Acme"].adds_nothing
    assert lines["vip"].adds_nothing and not lines["new"].held


def test_a_link_shows_what_the_code_gives_and_spends_nothing(client, learner, code):
    client.force_login(learner)
    response = client.get("/redeem/entitle?redemptionCode=gift-2345")
    body = response.content.decode()
    assert response.status_code == 200 and "What this code gives" in body
    assert "Starter Bundle" in body and days(40).strftime("%-d %B %Y") in body
    assert ">Redeem</button>" in body and "already have" not in body
    assert not Redemption.objects.exists()


def test_a_code_whose_every_part_is_new_is_redeemed_at_once(client, learner, code):
    client.force_login(learner)
    assert "Code redeemed" in client.post("/redeem/", {"code": "GIFT2345"}).content.decode()


def test_a_code_already_held_warns_and_is_not_spent(client, learner, code, bundle):
    grant_entitlement(user=learner, item=bundle, expires_at=days(36))
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "GIFT2345"})
    body = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in body
    assert (f"You already have <strong>Starter Bundle</strong> until "
            f"{days(36):%-d %B %Y};") in body
    assert "redeeming adds 4\xa0days." in body and "Redeem anyway" in body
    assert not Redemption.objects.exists()


def test_a_code_giving_nothing_new_says_so(client, learner, code, bundle):
    grant_entitlement(user=learner, item=bundle)
    client.force_login(learner)
    body = client.post("/redeem/", {"code": "GIFT2345"}).content.decode()
    assert "with no end date;" in body and "redeeming adds nothing to it." in body
    assert "This code would give you nothing new." in body
    assert not Redemption.objects.exists()


def test_confirming_redeems_the_code(client, learner, code, bundle):
    grant_entitlement(user=learner, item=bundle, expires_at=days(36))
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "GIFT2345", "confirm": "True"})
    assert "Code redeemed" in response.content.decode()
    assert Redemption.objects.filter(user=learner, code=code).exists()
    assert Entitlement.objects.filter(user=learner, item=bundle, expires_at=days(40)).exists()


def test_the_confirm_step_carries_the_code_and_success_url(client, learner, code, bundle):
    grant_entitlement(user=learner, item=bundle)
    client.force_login(learner)
    body = client.post("/redeem/", {"code": "GIFT2345", "success_url": "/account/access/"}
                       ).content.decode()
    assert 'name="code" value="GIFT2345"' in body
    assert 'name="success_url" value="/account/access/"' in body
    assert 'name="confirm" value="True"' in body


def test_a_refused_link_is_shown_and_counted_as_a_failure(client, learner, settings):
    settings.REDEEM_FAILURES_PER_LEARNER = 1
    client.force_login(learner)
    response = client.get("/redeem/entitle?redemptionCode=NOPE2345")
    assert response.status_code == 404 and "There is no such code" in response.content.decode()
    assert client.post("/redeem/", {"code": "GIFT2345"}).status_code == 429


def test_an_already_redeemed_code_links_to_my_access(client, learner, code):
    services.redeem(code.code, learner)
    client.force_login(learner)
    body = client.post("/redeem/", {"code": "GIFT2345"}).content.decode()
    assert 'what it gives is under <a href="/account/access/">My access</a>.' in body
