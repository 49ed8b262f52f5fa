"""Every operation of the OpenAPI schema, called once by each kind of credential, answers as
the permission table (`accounts.permissions.permission_table`) says: allowed → neither 401
nor 403; not allowed → 403 in the dialect's envelope, and nothing written.

The credentials: a staff user holding no permission (a session), an API key of each role, a
learner's OAuth2 token with each learner scope. The operations come from drf-spectacular's
generator, as in `tests/fuzz/test_bad_input.py`, so the next endpoint is walked too.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model
from rest_framework.test import APIClient

from accounts.permissions import LEARNER_SCOPES, ROLES, allowed, permission_table
from core.envelopes import Problem
from tests.factories import ApiKeyFactory, UserFactory
from tests.fuzz.test_bad_input import SCHEMA, envelope_of, url_for

pytestmark = pytest.mark.django_db

TABLE = permission_table()
EDUBRITE_TAKES_NO_TOKENS = (".do",)  # EduBrite's services read authCode or its session
CREDENTIALS = ([("staff", "")] + [("role", role) for role in ROLES]
               + [("scope", scope) for scope in LEARNER_SCOPES])


def operations():
    found = []
    for (template, method, dispatch), needed in sorted(TABLE.items(), key=str):
        op = SCHEMA["paths"].get(template, {}).get(method.lower())
        if op is None:
            continue  # an undocumented alias path (test_the_table_and_the_schema_agree)
        found.append(pytest.param(template, method, dispatch, op, needed,
                                  id=f"{method} {template} {dispatch or ''}".strip()))
    return found


def concrete_numbers(template: str, op: dict) -> str:
    """Whole-number path parameters as a number (a uuid would match no route)."""
    for param in op.get("parameters", []):
        if param["in"] == "path" and param["name"].endswith("_id") and param["name"] != "id":
            template = template.replace("{" + param["name"] + "}", "1")
    return template


def count_rows() -> int:
    """Every row of the apps' tables, in one query (nothing refused may write)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema ="
                       " current_schema() AND table_name ~ '^(accounts|catalog|coupons|"
                       "licensing|redemptions|events)_'")
        names = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT " + " + ".join(f'(SELECT count(*) FROM "{name}")' for name in names))
        return cursor.fetchone()[0]


@pytest.fixture
def clients(db):
    """One API client per credential, and the form its dialect reads it in."""
    made = {}
    staff = UserFactory(is_staff=True)
    client = APIClient()
    client.force_login(staff)
    made[("staff", "")] = (client, {})
    for role in ROLES:
        _, key = ApiKeyFactory.create_with_key(name=role, role=role)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        made[("role", role)] = (client, {"api_key": key, "authCode": key})
    application = get_application_model().objects.create(
        name="walk", client_type="public", authorization_grant_type="password")
    for scope in LEARNER_SCOPES:
        token = get_access_token_model().objects.create(
            user=UserFactory(), application=application, token=f"walk-{scope}", scope=scope,
            expires=timezone.now() + dt.timedelta(hours=1))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
        made[("scope", scope)] = (client, {})
    return made


@pytest.mark.parametrize(("template", "method", "dispatch", "op", "needed"), operations())
def test_every_operation_answers_each_credential_as_the_table_says(
        clients, template, method, dispatch, op, needed):
    url = url_for(concrete_numbers(template, op), op)
    for kind, detail in CREDENTIALS:
        if kind == "scope" and url.endswith(EDUBRITE_TAKES_NO_TOKENS):
            continue
        client, params = clients[(kind, detail)]
        query = {**params, **({"dispatch": dispatch} if dispatch else {})}
        full = f"{url}?{urlencode(query)}" if query else url
        who, may = f"{kind} {detail}", allowed(kind, detail, needed)
        before = None if may else count_rows()
        response = client.generic(method, full, "{}", content_type="application/json")
        if may:
            assert response.status_code not in (401, 403), (who, full, response.content[:300])
            continue
        assert response.status_code == 403, (who, full, response.content[:300])
        body = response.json()
        expected = envelope_of(full)(403, [Problem("code", "message")])
        assert set(body) == set(expected), (who, full, body)
        assert count_rows() == before, (who, full)


def test_the_table_and_the_schema_agree():
    documented = {(path, method.upper()) for path, item in SCHEMA["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    tabled = {(path, method) for path, method, _ in TABLE}
    open_by_design = {op for op in documented if op[0].endswith(("connect.do", "home.do"))}
    assert documented - open_by_design <= tabled
    # what the table has beyond the schema: the seed's alias paths of documented operations
    assert {path for path, _ in tabled - documented} == {
        "/redemption_codes/redemption_code/", "/redemption_codes/bulk_create/redemption_codes/"}


def test_the_schema_lists_each_operations_oauth_scopes_from_the_table():
    for (path, method, _dispatch), needed in TABLE.items():
        op = SCHEMA["paths"].get(path, {}).get(method.lower())
        if op is None or path.endswith(".do"):
            continue
        scopes = [req["OAuth2"] for req in op["security"] if "OAuth2" in req]
        expected = ([[needed.learner_scope]] if needed.learner_scope else []) + (
            [["staff"]] if needed.back_office else [])
        assert scopes == expected, (method, path, json.dumps(op["security"]))


def test_every_back_office_operation_needs_a_permission():
    assert [op for op, needed in TABLE.items()
            if needed.back_office and not needed.permissions] == []
