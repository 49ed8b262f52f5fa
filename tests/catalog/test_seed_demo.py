from django.core.management import call_command
from rest_framework.test import APIClient

from catalog.models import CatalogItem


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
