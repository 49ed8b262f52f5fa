"""Fixtures shared by every test module."""

import os

import pytest
from django.core.cache import caches
from django.db import connection
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory, UserFactory

# CI replays the same examples every build (a red build is about the change, not the draw);
# developers' runs explore new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def pytest_collection_modifyitems(config, items):
    """Skip the tests that need PostgreSQL when the suite runs on SQLite."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks are no-ops on SQLite)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _nothing_remembered_by_the_process(monkeypatch):
    """Each process remembers the endpoints its last write of events read (the guess the next
    marks start from) and the codes it lately found held by another transaction: every test
    starts from none, not from another test's."""
    from events.services import _Endpoints
    from redemptions.services import _Contended

    monkeypatch.setattr(_Endpoints, "wanted", [])
    monkeypatch.setattr(_Contended, "since", {})


@pytest.fixture(autouse=True)
def _fresh_local_cache():
    """Throttle counters live in the cache: every test starts with none. Only a local-memory
    cache is cleared (a Redis named by CACHE_URL may be shared, and is never flushed)."""
    cache = caches["default"]
    if cache.__class__.__name__ == "LocMemCache":
        cache.clear()


@pytest.fixture
def api_key(db):
    """(ApiKey, raw key) for an API client."""
    return ApiKeyFactory.create_with_key()


@pytest.fixture
def api(api_key):
    """A DRF client that sends `Authorization: Bearer <API key>`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return client


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def learner(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"
