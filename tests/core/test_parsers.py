"""The parsing layer every dialect reads through: depth counted on the text, NUL and lone
surrogates refused with the field's path, Django's form limits as 400s in the envelope."""

import json

import pytest
from hypothesis import given, settings

from core.parsers import MAX_JSON_DEPTH, json_too_deep, unstorable_field
from tests.strategies import deep_json, json_values


def depth_of(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0


@settings(max_examples=200, deadline=None)
@given(value=json_values(max_leaves=60))
def test_the_depth_counted_on_the_text_is_the_depth_of_the_value(value):
    text = json.dumps(value, ensure_ascii=False)
    assert json_too_deep(text) == (depth_of(value) > MAX_JSON_DEPTH)


@settings(max_examples=30, deadline=None)
@given(text=deep_json())
def test_any_deep_nesting_is_too_deep(text):
    assert json_too_deep(text)


@pytest.mark.parametrize("text", [
    '["' + "[" * 100 + '"]',                      # brackets inside a string do not nest
    '["a\\"' + "[" * 100 + '"]',                  # nor after an escaped quote
    "[" + ",".join(["[]"] * 10_000) + "]",          # wide is not deep
    "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH,    # the limit itself is allowed
])
def test_what_is_not_too_deep(text):
    assert not json_too_deep(text)


def test_one_level_past_the_limit_is_too_deep():
    assert json_too_deep('{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1))


def test_an_unterminated_string_does_not_hide_the_brackets_before_it():
    assert json_too_deep("[" * 100 + '"' + '\\"' * 1000)


@pytest.mark.parametrize(("value", "path"), [
    ({"code": "a\x00b"}, "code"),
    ({"redemption_code": {"code": "\ud800"}}, "redemption_code.code"),
    ([{"batch": "b"}, {"batch": "b", "access-code": "x\udfff"}], "[1].access-code"),
    ({"user-tags": ["ok", "n\x00"]}, "user-tags[1]"),
    ({"bad\x00key": 1}, "bad\x00key"),
    ({"fine": ["text", 1, None, True, {"deeper": "still fine"}]}, None),
])
def test_the_first_unstorable_string_is_named_by_its_path(value, path):
    assert unstorable_field(value) == path


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", '{"code": "a\\u0000b"}'),
    ("application/json", '{"code": "\\ud800"}'),
    ("application/x-www-form-urlencoded", "code=a%00b"),
])
def test_a_nul_or_surrogate_in_a_body_is_a_400_naming_the_field_before_credentials(
        api, django_assert_num_queries, content_type, body):
    with django_assert_num_queries(0):  # the API key is valid: looking it up is a query
        response = api.generic("POST", "/api/v1/redeem", body, content_type=content_type)
    assert response.status_code == 400
    assert response.json() == {"errors": [{
        "code": "invalid_characters", "field": "code",
        "message": "code cannot contain a NUL character or a lone surrogate."}]}


def test_a_field_name_with_a_nul_is_named_escaped(anon):
    response = anon.generic("POST", "/redemption_codes", '{"a\\u0000b": 1}',
                            content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "message": "a\\u0000b cannot contain a NUL character or a lone surrogate."}


def test_a_form_over_djangos_field_limit_is_a_400_in_the_envelope(anon, settings, caplog):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=x" for i in range(11))
    response = anon.generic("POST", "/oltpublish/site/couponService.do", body,
                            content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json() == {"code": -1, "msgs": [
        {"code": "0902", "value": "The form has more than 10 fields."}]}
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


def test_a_query_string_over_djangos_field_limit_is_a_400_in_the_envelope(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = api.get("/incoming/v2/licenses?" + "&".join(f"f{i}=x" for i in range(11)))
    assert response.status_code == 400
    assert response.json() == {"errors": ["The query string has more than 10 fields."]}


def test_a_multipart_form_over_djangos_field_limit_is_a_400_in_the_envelope(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = api.post("/redemption_codes", {f"f{i}": "x" for i in range(11)})
    assert response.status_code == 400
    assert response.json() == {"message": "The form has too many fields or files."}


def test_a_body_over_djangos_size_limit_is_a_400_in_the_envelope(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api.post("/admin-api/redemptions", {"batch": "b" * 200}, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": "The request body is larger than 100 bytes."}


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_json_is_a_400_before_credentials_are_looked_up(
        api, django_assert_num_queries, caplog, depth):
    with django_assert_num_queries(0):  # the API key is valid: looking it up is a query
        response = api.generic("POST", "/incoming/v2/licenses", "[" * depth + "]" * depth,
                               content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"errors": [
        f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels."]}
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


def test_a_nul_in_a_url_parameter_is_a_400_naming_it(api):
    response = api.get("/redemption_codes/a%00b")
    assert response.status_code == 400
    assert response.json() == {"message": "pk cannot contain a NUL character or a lone "
                                          "surrogate."}


def test_a_nul_in_the_query_string_is_a_400_naming_it(api):
    response = api.get("/api/v1/access", {"user": "a\x00@example.com", "item": "x"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "user"


def test_malformed_json_is_still_drfs_parse_error(api):
    response = api.generic("POST", "/api/v1/redeem", '{"code": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_json_constants_outside_the_standard_are_refused_as_drf_does(api):
    response = api.generic("POST", "/api/v1/redeem", '{"code": NaN}',
                           content_type="application/json")
    assert response.status_code == 400
