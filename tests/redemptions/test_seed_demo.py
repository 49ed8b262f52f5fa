import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from catalog.models import CatalogItem


@pytest.fixture(autouse=True)
def _debug_on(settings):
    """`make run` seeds with DEBUG=1; the refusal below turns it off."""
    settings.DEBUG = True


def test_seed_demo_refuses_with_debug_off_and_loads_nothing(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not CatalogItem.objects.exists()


def test_seed_demo_runs_with_debug_off_when_forced(db, settings, capsys):
    settings.DEBUG = False
    call_command("seed_demo", force=True)
    assert CatalogItem.objects.filter(external_id="demo-starter-bundle").exists()


def test_seed_demo_is_safe_to_rerun_and_prints_a_working_key(db, capsys):
    call_command("seed_demo")
    count = CatalogItem.objects.count()
    call_command("seed_demo")
    assert CatalogItem.objects.count() == count
    raw = capsys.readouterr().out.split()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get("/api/v1/catalog-items")
    assert response.status_code == 200
    assert response.json()["pagination"]["count"] == count


def test_seed_demo_prints_demo_codes_that_redeem_the_bundle(db, capsys):
    from catalog.access import has_access
    from redemptions import services
    from redemptions.models import Code
    from tests.factories import UserFactory

    call_command("seed_demo")
    call_command("seed_demo")
    assert Code.objects.count() == 5
    line = next(text for text in capsys.readouterr().out.splitlines()
                if text.startswith("Demo codes"))
    first = line.split(": ", 1)[1].split(", ")[0]
    learner = UserFactory()
    services.redeem(first.lower(), learner)
    bundle = CatalogItem.objects.get(external_id="demo-starter-bundle")
    assert has_access(learner, bundle).has_access is True


def test_the_demo_key_redeems_a_demo_code_on_a_learners_behalf(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    raw = out.split()[-1]
    code = next(text for text in out.splitlines()
                if text.startswith("Demo codes")).split(": ", 1)[1].split(", ")[0]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.post("/api/v1/redeem", {"code": code, "user": "learner@example.com"},
                           format="json")
    assert response.status_code == 201
