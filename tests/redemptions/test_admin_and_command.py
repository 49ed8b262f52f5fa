"""The admin (pages, generator form, actions through services) and `manage.py generate_codes`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client as DjangoClient

from catalog.models import Entitlement
from redemptions import models, services
from redemptions.models import Code, CodeGroup, Offer, Redemption
from tests.factories import CatalogItemFactory, UserFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user):
    client = DjangoClient()
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize("model", ["offer", "codegroup", "code", "redemption"])
def test_every_changelist_and_form_opens(admin_client, model):
    redemption = services.redeem(CodeFactory(group=CodeGroupFactory()).code, UserFactory())
    objects = {"offer": redemption.code.offer, "codegroup": redemption.code.group,
               "code": redemption.code, "redemption": redemption}
    assert admin_client.get(f"/admin/redemptions/{model}/").status_code == 200
    change = admin_client.get(f"/admin/redemptions/{model}/{objects[model].pk}/change/")
    assert change.status_code == 200


def test_the_add_group_form_runs_the_generator_without_the_api_cap(admin_client):
    offer = OfferFactory()
    response = admin_client.post("/admin/redemptions/codegroup/add/", {
        "label": "Admin batch", "offer": str(offer.pk), "count": "12", "code_length": "",
        "alphabet": "unambiguous", "redemptions_per_code": "2"})
    assert response.status_code == 302, response.content.decode()[:2000]
    group = CodeGroup.objects.get(label="Admin batch")
    assert group.codes.count() == 12
    assert group.code_length == 8
    assert set(group.codes.values_list("max_redemptions", flat=True)) == {2}


def test_the_add_group_form_refuses_a_guessable_length(admin_client):
    response = admin_client.post("/admin/redemptions/codegroup/add/", {
        "label": "Short", "offer": str(OfferFactory().pk), "count": "100", "code_length": "3",
        "alphabet": "digits", "redemptions_per_code": "1"})
    assert response.status_code == 200
    assert "possible codes" in response.content.decode()
    assert not CodeGroup.objects.exists()


def test_code_search_finds_a_code_pasted_in_lower_case_with_dashes(admin_client):
    code = CodeFactory(code="RQMJQJB5")
    CodeFactory()
    response = admin_client.get("/admin/redemptions/code/", {"q": "rqmj-qjb5"})
    assert list(response.context["cl"].result_list) == [code]


def test_the_deactivate_action_goes_through_the_service(admin_client):
    code = CodeFactory()
    admin_client.post("/admin/redemptions/code/", {"action": "deactivate",
                                                   "_selected_action": [code.pk]})
    code.refresh_from_db()
    assert code.is_active is False


def test_the_code_form_refuses_fewer_uses_than_made(admin_client):
    code = CodeFactory(max_redemptions=2)
    services.redeem(code.code, UserFactory())
    services.redeem(code.code, UserFactory())
    response = admin_client.post(f"/admin/redemptions/code/{code.pk}/change/", {
        "is_active": "on", "max_redemptions": "1", "transaction_id": "",
        "redemptions-TOTAL_FORMS": "2", "redemptions-INITIAL_FORMS": "2"})
    assert response.status_code == 200
    assert "max_redemptions cannot go below 2" in response.content.decode()
    code.refresh_from_db()
    assert code.max_redemptions == 2


def test_the_roll_back_action_revokes_the_grants(admin_client, staff_user):
    redemption = services.redeem(CodeFactory().code, UserFactory())
    admin_client.post("/admin/redemptions/redemption/", {"action": "roll_back",
                                                         "_selected_action": [redemption.pk]})
    redemption.refresh_from_db()
    assert redemption.rolled_back_by == staff_user.email
    assert not Entitlement.objects.active().exists()


def test_redemptions_cannot_be_deleted_in_the_admin(admin_client):
    redemption = services.redeem(CodeFactory().code, UserFactory())
    url = f"/admin/redemptions/redemption/{redemption.pk}/delete/"
    assert "never deleted" in admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    assert Redemption.objects.filter(pk=redemption.pk).exists()


def test_deleting_groups_is_refused_when_any_was_redeemed_saying_why(admin_client):
    redeemed = CodeFactory(group=CodeGroupFactory(label="Spring"))
    services.redeem(redeemed.code, UserFactory())
    fresh = CodeGroupFactory()
    response = admin_client.post("/admin/redemptions/codegroup/", {
        "action": "delete_selected", "post": "yes",
        "_selected_action": [redeemed.group_id, fresh.pk]})
    assert "Code group “Spring”: its codes were redeemed 1 time(s)" in response.content.decode()
    assert CodeGroup.objects.count() == 2


def run(*args) -> str:
    out = StringIO()
    call_command("generate_codes", *args, stdout=out)
    return out.getvalue()


def test_the_command_makes_a_group_for_items_with_progress(monkeypatch):
    monkeypatch.setattr(models, "GENERATOR_BATCH", 10)
    course = CatalogItemFactory()
    output = run("--item", str(course.pk), "--count", "25", "--label", "Cmd")
    group = CodeGroup.objects.get(label="Cmd")
    assert group.codes.count() == 25
    assert list(group.offer.items.all()) == [course]
    assert "25 / 25 codes (100%)" in output


def test_the_command_adds_codes_to_an_existing_group():
    group = CodeGroup.objects.create_with_codes(label="G", offer=OfferFactory(), count=3,
                                                code_length=10)
    run("--group", str(group.pk), "--count", "4")
    group.refresh_from_db()
    assert (group.total_codes_count, group.codes.count()) == (7, 7)


def test_the_dry_run_writes_nothing():
    offer = OfferFactory()
    output = run("--offer", str(offer.pk), "--count", "1000", "--dry-run")
    assert "Dry run: nothing was written" in output
    assert not Code.objects.exists()
    assert Offer.objects.count() == 1


def test_the_command_refuses_a_guessable_length_with_the_numbers():
    with pytest.raises(CommandError, match="at least 1,000,000"):
        run("--offer", str(OfferFactory().pk), "--count", "100", "--length", "3",
            "--alphabet", "digits")


def test_the_command_names_an_unknown_offer():
    with pytest.raises(CommandError, match="No offer"):
        run("--offer", "not-a-uuid", "--count", "1")
