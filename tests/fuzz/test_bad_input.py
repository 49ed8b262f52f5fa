"""Every operation of the OpenAPI schema refuses hostile input: a 400 in its dialect's envelope,
before anything reaches the database, and nothing logged as a server error.

The operations come from drf-spectacular's generator (what `/api/schema/` serves), so the next
endpoint or field documented is covered without a new test. For each operation that reads a
body, deep nesting (Hypothesis: just past the limit up to 100,000 levels, closed or cut short)
in each media type it takes; for each of its body fields at any depth (`a.b`, `[0].c`), each
query parameter and each path parameter, a string holding a NUL or a lone surrogate
(`tests.strategies`). Every request carries a valid API key in each form a dialect reads, and
not one query runs: the refusal comes before credentials are looked up, and nothing is written.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote, unquote, urlencode

import pytest
from django.conf import settings as django_settings
from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from config.urls import ENVELOPES_BY_PREFIX
from core.envelopes import Problem, renderer_for_path
from tests.strategies import deep_json, unstorable_text

pytestmark = pytest.mark.django_db

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
METHODS = ("get", "post", "put", "patch", "delete")
BODY_MEDIA = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
HOSTILE = settings(max_examples=2, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def body_fields(schema: dict, prefix: tuple = (), depth: int = 0) -> list[tuple]:
    """Every field path of a request body schema: names, and 0 for an array's element."""
    schema = _resolve(schema)
    paths: list[tuple] = []
    for branch in schema.get("oneOf", []) + schema.get("anyOf", []) + schema.get("allOf", []):
        paths += body_fields(branch, prefix, depth)
    if schema.get("type") == "array" and "items" in schema and depth < 4:
        items = body_fields(schema["items"], (*prefix, 0), depth + 1)
        paths += items or ([(*prefix, 0)] if prefix else [])
    for name, sub in schema.get("properties", {}).items():
        paths.append((*prefix, name))
        if depth < 4:
            paths += body_fields(sub, (*prefix, name), depth + 1)
    return list(dict.fromkeys(paths))


def body_with(path: tuple, value: str):
    """The smallest body holding `value` at `path`."""
    body: object = value
    for part in reversed(path):
        body = [body] if part == 0 else {part: body}
    return body


def field_name(path: tuple) -> str:
    """As `core.parsers` names a place in a body: `a.b`, `[0].c`, `a[0]`."""
    name = ""
    for part in path:
        name += "[0]" if part == 0 else (f".{part}" if name else part)
    return name


def operations() -> list[pytest.param]:
    found = []
    for template, item in SCHEMA["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                found.append(pytest.param(method, template, op, id=f"{method.upper()} {template}"))
    return found


def url_for(template: str, op: dict, hostile_path_param: tuple[str, str] | None = None) -> str:
    url = template
    for param in op.get("parameters", []):
        if param["in"] != "path":
            continue
        value = django_settings.SITE_SLUG if param["name"] == "site" else str(uuid.uuid4())
        if hostile_path_param and hostile_path_param[0] == param["name"]:
            value = hostile_path_param[1]
        url = url.replace("{" + param["name"] + "}", quote(value, safe=""))
    return url


def envelope_of(url: str):
    """The dialect's error renderer for the view serving `url` (by its path when none does)."""
    path = unquote(url.split("?")[0])
    try:
        view = resolve(path).func.cls
    except Resolver404:
        return renderer_for_path(ENVELOPES_BY_PREFIX, path)
    for klass in view.__mro__:  # a view may wrap its dialect's handler (Zype's codes)
        handler = klass.__dict__.get("exception_handler")
        render = getattr(getattr(handler, "__func__", handler), "render", None)
        if render is not None:
            return render
    raise AssertionError(f"{view} renders errors in no dialect's envelope")


def assert_refused_in_envelope(response, url: str, *, names: str | None = None) -> None:
    assert 400 <= response.status_code < 500, (url, response.status_code, response.content[:300])
    body = response.json()
    expected = envelope_of(url)(400, [Problem("code", "message", "field")])
    assert set(body) == set(expected), (url, body)
    for key, value in expected.items():
        assert type(body[key]) is type(value), (url, body)
    if names is not None:
        assert names in json.dumps(body, ensure_ascii=False), (url, names, body)


@pytest.fixture
def caller(api_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return client, {"api_key": api_key[1], "authCode": api_key[1]}


def _send(caller, method: str, url: str, query: dict, *, body=None, media=None):
    client, credentials = caller
    full = f"{url}?{urlencode({**credentials, **query})}"
    if body is None:
        return full, getattr(client, method)(full)
    if media == "application/json":
        data = body if isinstance(body, str) else json.dumps(body)  # `\ud800` as JSON writes it
        return full, client.generic(method.upper(), full, data, content_type=media)
    if media == "application/x-www-form-urlencoded":
        return full, client.generic(method.upper(), full, urlencode(body), content_type=media)
    return full, getattr(client, method)(full, body)  # multipart, the test client's default


def _no_server_errors(caplog) -> None:
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


@pytest.mark.parametrize(("method", "template", "op"), [
    p for p in operations() if p.values[2].get("requestBody")])
@HOSTILE
@given(data=st.data())
def test_deep_nesting_in_any_body_is_refused_before_credentials(
        caller, django_assert_num_queries, caplog, method, template, op, data):
    url = url_for(template, op)
    for media in op["requestBody"]["content"]:
        if media != "application/json":
            continue  # a form is flat: its bound is the field count (tests/core/test_parsers)
        text = data.draw(deep_json(), label="body")
        with django_assert_num_queries(0):
            full, response = _send(caller, method, url, {}, body=text, media=media)
        assert response.status_code == 400
        assert_refused_in_envelope(response, full, names="nests deeper than")
    _no_server_errors(caplog)


@pytest.mark.parametrize(("method", "template", "op"), [
    p for p in operations() if p.values[2].get("requestBody")])
@HOSTILE
@given(data=st.data())
def test_a_nul_or_lone_surrogate_in_any_body_field_is_a_400_naming_it(
        caller, django_assert_num_queries, caplog, method, template, op, data):
    url = url_for(template, op)
    for media, content in op["requestBody"]["content"].items():
        assert media in BODY_MEDIA, media
        fields = body_fields(content["schema"])
        if media != "application/json":  # flat, and the wire cannot carry a surrogate
            fields = [path for path in fields if len(path) == 1]
        for path in fields:
            value = data.draw(unstorable_text(surrogates=media == "application/json"),
                              label=field_name(path))
            body = body_with(path, value) if media == "application/json" else {path[0]: value}
            with django_assert_num_queries(0):
                full, response = _send(caller, method, url, {}, body=body, media=media)
            assert response.status_code == 400, (media, path, response.content[:300])
            assert_refused_in_envelope(response, full, names=field_name(path))
    _no_server_errors(caplog)


@pytest.mark.parametrize(("method", "template", "op"), [
    p for p in operations() if p.values[2].get("parameters")])
@HOSTILE
@given(data=st.data())
def test_a_nul_in_any_parameter_is_a_400_naming_it(
        caller, django_assert_num_queries, caplog, method, template, op, data):
    for param in op["parameters"]:
        value = data.draw(unstorable_text(surrogates=False), label=param["name"])
        if param["in"] == "query":
            url, query = url_for(template, op), {param["name"]: value}
            named = param["name"]
        elif param["in"] == "path":
            url, query = url_for(template, op, (param["name"], value)), {}
            try:  # the view's own name for it (`pk` for `{id}`)
                kwargs = resolve(unquote(url)).kwargs
                named = next(k for k, v in kwargs.items() if isinstance(v, str) and "\x00" in v)
            except Resolver404:  # a typed path (`<uuid:pk>`) that a NUL cannot match: a 404
                named = None
        else:
            continue
        with django_assert_num_queries(0):
            full, response = _send(caller, method, url, query)
        assert response.status_code == (400 if named else 404), (param, response.content[:300])
        assert_refused_in_envelope(response, full, names=named)
    _no_server_errors(caplog)


def test_the_walk_finds_every_dialects_bodies_and_parameters():
    """The schema walk is not vacuous: it reaches bodies and parameters of every dialect."""
    with_body = {p.values[1] for p in operations() if p.values[2].get("requestBody")}
    with_params = {p.values[1] for p in operations() if p.values[2].get("parameters")}
    for prefix in ("/api/v1/", "/incoming/v2/", "/redemption_codes", "/admin-api/",
                   "/oltpublish/site/couponService.do"):
        assert any(t.startswith(prefix) for t in with_body), prefix
        assert any(t.startswith(prefix) for t in with_params), prefix
    tizra = next(op for p in operations() if (op := p.values[2]).get("requestBody")
                 and p.values[1] == "/admin-api/redemptions/")
    fields = body_fields(tizra["requestBody"]["content"]["application/json"]["schema"])
    assert ("match-specification", "all", 0) in fields and (0, "access-code") in fields
