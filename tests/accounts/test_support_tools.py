"""The support tools on a learner's admin page: roll back a redemption (with its reason), grant,
extend and revoke a grant, extend and revoke a seat, clear the failed redemption attempts.

Each is a page of its app's admin behind a Django permission (no link without it, and a 403
for a forged POST), calls one service, and leaves an entry in the admin's history."""

import datetime as dt

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.test import Client as DjangoClient
from django.utils import timezone

from accounts.throttles import redeem_throttle
from catalog.models import Entitlement, EntitlementSource
from catalog.services import grant_entitlement
from licensing import services as licensing_services
from redemptions import services as redemption_services
from redemptions.models import Redemption
from tests.factories import CatalogItemFactory, UserFactory
from tests.licensing.factories import LicenseFactory
from tests.redemptions.factories import CodeFactory, OfferFactory

pytestmark = pytest.mark.django_db  # `admin_client`: pytest-django's, a superuser's session


@pytest.fixture
def learner():
    return UserFactory(email="reader@example.com")


@pytest.fixture
def redemption(learner):
    code = CodeFactory(code="AUTUMN2345", offer=OfferFactory(
        items=[CatalogItemFactory(title="Autumn Course")]))
    return redemption_services.redeem(code.code, learner)


@pytest.fixture
def grant(learner):
    return grant_entitlement(user=learner, item=CatalogItemFactory(title="Staff Gift"),
                             expires_at=timezone.now() + dt.timedelta(days=3))


@pytest.fixture
def seat(learner):
    license = LicenseFactory(name="Acme seats", access_days=None)
    return licensing_services.assign_seat(license=license, user=learner,
                                          ends_by=timezone.now() + dt.timedelta(days=5))


def page_of(learner) -> str:
    return f"/admin/accounts/user/{learner.pk}/change/"


def staff_with(*codenames):
    """A staff client that may open learners' pages and holds exactly these permissions."""
    staff = UserFactory(is_staff=True)
    for codename in ("view_user", *codenames):
        staff.user_permissions.add(Permission.objects.get(codename=codename))
    client = DjangoClient()
    client.force_login(staff)
    return client


def later(days):
    moment = timezone.now().replace(microsecond=0, second=0) + dt.timedelta(days=days)
    return {"until_0": f"{moment:%Y-%m-%d}", "until_1": f"{moment:%H:%M:%S}"}, moment


def logged(obj, flag=CHANGE) -> list[str]:
    return [entry.get_change_message() for entry in LogEntry.objects.filter(
        object_id=str(obj.pk), action_flag=flag)]


# rolling back a redemption

def test_rolling_back_asks_for_a_reason_and_changes_nothing_without_one(admin_client,
                                                                        learner, redemption):
    url = f"/admin/redemptions/redemption/{redemption.pk}/rollback/"
    assert f'href="{url}"' in admin_client.get(page_of(learner)).content.decode()
    confirm = admin_client.get(url).content.decode()
    assert "Autumn Course" in confirm and "gives the use back" in confirm
    refused = admin_client.post(url, {"reason": ""})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    redemption.refresh_from_db()
    assert redemption.rolled_back_at is None


def test_a_rollback_records_its_reason_and_shows_it_in_the_history(admin_client, admin_user,
                                                                   learner, redemption):
    url = f"/admin/redemptions/redemption/{redemption.pk}/rollback/"
    response = admin_client.post(url, {"reason": "Refunded: order 1234"}, follow=True)
    assert response.redirect_chain == [(page_of(learner), 302)]
    redemption.refresh_from_db()
    assert redemption.rolled_back_reason == "Refunded: order 1234"
    assert redemption.rolled_back_by == admin_user.email
    assert not Entitlement.objects.from_source(EntitlementSource.REDEMPTION, redemption.pk)\
        .filter(revoked_at__isnull=True).exists()
    body = response.content.decode()
    assert "Refunded: order 1234" in body and f"href=\"{url}\"" not in body
    code_page = admin_client.get(f"/admin/redemptions/code/{redemption.code_id}/change/")
    assert "Refunded: order 1234" in code_page.content.decode()
    assert logged(redemption) == [f"Rolled back for {learner.email}: Refunded: order 1234"]


def test_rolling_back_a_redemption_twice_is_refused_on_the_form(admin_client, redemption):
    url = f"/admin/redemptions/redemption/{redemption.pk}/rollback/"
    admin_client.post(url, {"reason": "Mistake"})
    again = admin_client.post(url, {"reason": "Again"})
    assert "already been rolled back" in again.content.decode()
    assert Redemption.objects.get(pk=redemption.pk).rolled_back_reason == "Mistake"


def test_the_roll_back_list_action_needs_the_rollback_permission(redemption):
    allowed = staff_with("view_redemption", "rollback_redemption")
    changer = staff_with("view_redemption", "change_redemption")
    assert "roll_back" in allowed.get("/admin/redemptions/redemption/").content.decode()
    assert "roll_back" not in changer.get("/admin/redemptions/redemption/").content.decode()


# grants

def test_granting_an_item_from_the_learners_page_makes_a_staff_grant(admin_client, admin_user,
                                                                     learner):
    item = CatalogItemFactory(title="Gift Course")
    url = f"/admin/catalog/entitlement/grant/?user={learner.pk}"
    assert "Grant an item…" in admin_client.get(page_of(learner)).content.decode()
    dates, moment = later(30)
    response = admin_client.post(url, {"item": str(item.pk), **dates}, follow=True)
    assert response.redirect_chain == [(page_of(learner), 302)]
    granted = Entitlement.objects.get(user=learner, item=item)
    assert granted.source == EntitlementSource.MANUAL and granted.expires_at == moment
    assert granted.granted_by == admin_user.email
    assert logged(granted, ADDITION) == [
        f"Granted “Gift Course” to {learner.email} until {moment:%Y-%m-%d %H:%M} UTC."]


def test_a_grant_ending_in_the_past_is_refused_on_the_form(admin_client, learner):
    dates, _ = later(-1)
    response = admin_client.post(f"/admin/catalog/entitlement/grant/?user={learner.pk}",
                                 {"item": str(CatalogItemFactory().pk), **dates})
    assert "The access would end before it starts" in response.content.decode()
    assert not Entitlement.objects.filter(user=learner).exists()


def test_granting_to_no_such_learner_is_a_404(admin_client):
    for user in ("8f2a1c34-5b6d-4e7f-9a01-2b3c4d5e6f70", "not-a-uuid", ""):
        response = admin_client.get(f"/admin/catalog/entitlement/grant/?user={user}")
        assert response.status_code == 404


def test_extending_a_grant_moves_its_end_later(admin_client, learner, grant):
    dates, moment = later(40)
    response = admin_client.post(f"/admin/catalog/entitlement/{grant.pk}/extend/", dates)
    assert response.status_code == 302 and response["Location"] == page_of(learner)
    grant.refresh_from_db()
    assert grant.expires_at == moment
    assert logged(grant) == [f"Extended “Staff Gift” for {learner.email} to "
                             f"{moment:%Y-%m-%d %H:%M} UTC."]


def test_an_extension_ending_earlier_is_refused_and_the_grant_keeps_its_end(admin_client,
                                                                            grant):
    ends = grant.expires_at
    dates, _ = later(1)
    response = admin_client.post(f"/admin/catalog/entitlement/{grant.pk}/extend/", dates)
    assert "must be later than the current one" in response.content.decode()
    grant.refresh_from_db()
    assert grant.expires_at == ends and not LogEntry.objects.exists()


def test_revoking_a_grant_confirms_first_then_ends_it_with_the_reason(admin_client, learner,
                                                                     grant):
    url = f"/admin/catalog/entitlement/{grant.pk}/revoke/"
    assert "Access through this grant ends now" in admin_client.get(url).content.decode()
    grant.refresh_from_db()
    assert grant.revoked_at is None  # the confirmation page changes nothing
    admin_client.post(url, {"reason": "Left the company"})
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_reason == "Left the company"
    assert logged(grant) == [f"Revoked “Staff Gift” for {learner.email}: Left the company"]


# seats

def test_extending_a_seat_moves_its_end_later(admin_client, learner, seat):
    dates, moment = later(60)
    admin_client.post(f"/admin/licensing/seat/{seat.pk}/extend/", dates)
    seat.refresh_from_db()
    assert seat.expires_at == moment and seat.ends_by == moment
    assert logged(seat) == [f"Extended the seat of {learner.email} on “Acme seats” to "
                            f"{moment:%Y-%m-%d %H:%M} UTC."]


def test_a_seat_is_not_extended_past_what_its_license_allows(admin_client, seat):
    license_end = timezone.now() + dt.timedelta(days=10)
    licensing_services.update_license(license=seat.license, expiration_date=license_end)
    seat.refresh_from_db()
    ends = seat.expires_at
    dates, _ = later(90)
    response = admin_client.post(f"/admin/licensing/seat/{seat.pk}/extend/", dates)
    assert "extend the license instead" in response.content.decode()
    seat.refresh_from_db()
    assert seat.expires_at == ends


def test_revoking_a_seat_confirms_first_then_frees_it(admin_client, admin_user, learner, seat):
    url = f"/admin/licensing/seat/{seat.pk}/revoke/"
    assert "The learner loses what the seat opens now" in admin_client.get(url).content.decode()
    admin_client.post(url, {"reason": ""})
    seat.refresh_from_db()
    assert seat.revoked_at is not None
    assert seat.revoked_reason == f"Revoked by {admin_user.email}"
    assert len(logged(seat)) == 1


# the redeem throttle

def test_clearing_the_failed_attempts_lets_the_learner_redeem_again(admin_client, learner):
    throttle = redeem_throttle()
    for _ in range(throttle.per_user):
        throttle.record_failure(user=learner)
    page = admin_client.get(page_of(learner)).content.decode()
    assert f"{throttle.per_user} counted in the open window" in page
    assert "redeeming is refused for now" in page
    url = f"/admin/accounts/user/{learner.pk}/clear-redeem-throttle/"
    assert "What their IP address counted stays" in admin_client.get(url).content.decode()
    assert throttle.failures(user=learner) == throttle.per_user  # confirming changes nothing
    admin_client.post(url, {})
    assert throttle.failures(user=learner) == 0
    throttle.check(user=learner)  # no longer refused
    assert logged(learner) == [f"Cleared the failed redemption attempts of {learner.email} "
                               f"({throttle.per_user} were counted)."]


# permissions: each tool only with its permission

def _rollback(f):
    return (f"/admin/redemptions/redemption/{f['redemption'].pk}/rollback/",
            {"reason": "Forged"}, "Roll back…")


def _grant(f):
    return (f"/admin/catalog/entitlement/grant/?user={f['learner'].pk}",
            {"item": str(CatalogItemFactory().pk)}, "Grant an item…")


def _extend_grant(f):
    return (f"/admin/catalog/entitlement/{f['grant'].pk}/extend/", later(40)[0],
            f"/admin/catalog/entitlement/{f['grant'].pk}/extend/")


def _revoke_grant(f):
    return (f"/admin/catalog/entitlement/{f['grant'].pk}/revoke/", {"reason": "Forged"},
            f"/admin/catalog/entitlement/{f['grant'].pk}/revoke/")


def _extend_seat(f):
    return (f"/admin/licensing/seat/{f['seat'].pk}/extend/", later(40)[0],
            f"/admin/licensing/seat/{f['seat'].pk}/extend/")


def _revoke_seat(f):
    return (f"/admin/licensing/seat/{f['seat'].pk}/revoke/", {"reason": "Forged"},
            f"/admin/licensing/seat/{f['seat'].pk}/revoke/")


def _clear_throttle(f):
    return (f"/admin/accounts/user/{f['learner'].pk}/clear-redeem-throttle/", {},
            "Clear the failed attempts…")


TOOLS = [  # (the tool, the permission it needs, the permission a forger holds instead)
    (_rollback, "rollback_redemption", "change_redemption"),
    (_grant, "add_entitlement", "change_entitlement"),
    (_extend_grant, "change_entitlement", "add_entitlement"),
    (_revoke_grant, "change_entitlement", "add_entitlement"),
    (_extend_seat, "change_seat", "view_seat"),
    (_revoke_seat, "change_seat", "view_seat"),
    (_clear_throttle, "clear_redeem_throttle", "change_user"),
]


@pytest.fixture
def everything(learner, redemption, grant, seat):
    redeem_throttle().record_failure(user=learner)
    return {"learner": learner, "redemption": redemption, "grant": grant, "seat": seat}


def state(f) -> tuple:
    for obj in (f["redemption"], f["grant"], f["seat"]):
        obj.refresh_from_db()
    return (f["redemption"].rolled_back_at, f["grant"].expires_at, f["grant"].revoked_at,
            f["seat"].expires_at, f["seat"].revoked_at,
            Entitlement.objects.filter(user=f["learner"]).count(),
            redeem_throttle().failures(user=f["learner"]))


@pytest.mark.parametrize(("tool", "needed", "other"), TOOLS,
                         ids=[tool.__name__.lstrip("_") for tool, _, _ in TOOLS])
def test_a_tool_shows_only_with_its_permission(everything, tool, needed, other):
    url, _, link = tool(everything)
    page = page_of(everything["learner"])
    assert link in staff_with(needed).get(page).content.decode()
    assert link not in staff_with(other).get(page).content.decode()
    assert staff_with(needed).get(url).status_code == 200


@pytest.mark.parametrize(("tool", "needed", "other"), TOOLS,
                         ids=[tool.__name__.lstrip("_") for tool, _, _ in TOOLS])
def test_a_forged_post_without_the_permission_is_a_403_and_changes_nothing(everything, tool,
                                                                          needed, other):
    url, data, _ = tool(everything)
    before = state(everything)
    response = staff_with(other).post(url, data)
    assert response.status_code == 403
    assert state(everything) == before and not LogEntry.objects.exists()


def test_the_tools_post_with_csrf(everything):
    client = DjangoClient(enforce_csrf_checks=True)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url, data, _ = _rollback(everything)
    assert client.post(url, data).status_code == 403
    everything["redemption"].refresh_from_db()
    assert everything["redemption"].rolled_back_at is None
