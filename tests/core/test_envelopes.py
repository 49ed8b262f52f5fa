"""Every refusal is rendered in its dialect's envelope, including unmatched URLs."""

import pytest
from django.db import OperationalError
from psycopg import errors as psycopg_errors

from core.envelopes import Problem, problems_from_exception
from dialects.thought_industries.errors import thought_industries_exception_handler


def test_unknown_api_path_is_a_404_in_the_native_envelope(api):
    response = api.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_unknown_object_is_a_404_in_the_native_envelope(api):
    response = api.get("/api/v1/catalog-items/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_malformed_json_is_a_400(api):
    response = api.post("/api/v1/catalog-items", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "errors" in response.json()


def _collision(cause):
    """What Django raises when PostgreSQL aborts a transaction: the driver's error as cause."""
    exc = OperationalError(str(cause))
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize("cause", [psycopg_errors.DeadlockDetected("deadlock detected"),
                                   psycopg_errors.SerializationFailure("could not serialize")])
def test_a_deadlock_or_serialization_failure_is_a_409_to_try_again(cause):
    assert problems_from_exception(_collision(cause)) == (409, [Problem(
        "try_again", "The request collided with another; try again.")], {})


def test_a_collision_renders_in_the_dialects_envelope():
    response = thought_industries_exception_handler(
        _collision(psycopg_errors.DeadlockDetected("deadlock detected")), {})
    assert (response.status_code, response.data) == (
        409, {"errors": ["The request collided with another; try again."]})


def test_another_operational_error_stays_a_server_error():
    lost = _collision(psycopg_errors.AdminShutdown("terminating connection"))
    assert problems_from_exception(lost) is None
