"""Tizra dialect for redemption codes: `/admin-api/<site>/redemptions` (seed 003, API.md).

Kebab-case JSON, errors `{"error": "..."}`, times as `2014-09-11 22:30:59.114` (UTC). `<site>`
is `SITE_SLUG` (anything else is a 404); `/admin-api/redemptions/...` means that site.

A batch is every code group with one label (`redemptions.selectors.batches`); each code says
what redeeming it does through its offer (`services.offer_for_code`): `apply-offer` (the offer
named by `access-control-id`), `session-license-match` (that offer's terms, the catalog items
whose titles match the code's `match-specification`) or `add-user-tag` (`user-tags`, `a;b`).
Lists answer the whole batch as Tizra does (streamed), or one page with `page`/`per_page`,
and take the Zype-style filters. Parse, call a service, render.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.dialects import TizraView
from core.errors import DomainError, InvalidInput, NotFound
from core.fields import ExpiryField
from core.filters import ZypeFilters
from core.pagination import PagePagination
from core.parsers import JSONParser
from core.time import tizra_time
from redemptions import selectors, services
from redemptions.api.common import redeemed_by
from redemptions.api.v1 import CodeTextFilter
from redemptions.models import MAX_CODES_PER_CALL, ActionType, Code

STREAM_CHUNK = 2000

# Service fields as Tizra names them, for the refusals the services raise.
TIZRA_FIELDS = {
    "batch": "batch", "label": "batch", "action_type": "action-type",
    "offer": "access-control-id", "user_tags": "user-tags",
    "match_specification": "match-specification", "code": "access-code", "count": "count",
    "code_length": "code-length", "max_redemptions": "remaining-redemptions",
    "remaining_redemptions": "remaining-redemptions", "is_active": "is-valid",
    "expiration_date": "expiration-date",
}
CREATE_KEYS = ("batch", "action-type", "access-control-id", "user-tags", "match-specification",
               "access-code", "remaining-redemptions", "is-valid", "expiration-date", "count",
               "code-length")
UPDATE_KEYS = ("is-valid", "remaining-redemptions", "expiration-date", "user-tags")
READ_ONLY_KEYS = ("redeemed-users", "used-date", "redemption-url")


# --- input ------------------------------------------------------------------------------------

class AnyJSONParser(JSONParser):
    """Tizra's clients post JSON whatever the Content-Type says (curl's default is a form)."""

    media_type = "*/*"


def _integer(body: dict, key: str, default: int | None) -> int | None:
    if body.get(key) is None:
        return default
    value = body[key]
    if isinstance(value, str) and value.strip().lstrip("-").isascii() \
            and value.strip().lstrip("-").isdigit():  # not "²": int() refuses it
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("invalid", "must be a whole number.", field=key)
    return value


def _boolean(body: dict, key: str, default: bool) -> bool:
    value = body.get(key, default)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise InvalidInput("invalid", "must be true or false.", field=key)
    return value


_EXPIRY = ExpiryField(allow_null=True, blank_is_null=True)


def _expiry(body: dict, key: str):
    """An expiry (2024-01-01: the end of that day, UTC); null or empty: none."""
    try:
        return _EXPIRY.run_validation(body.get(key))
    except ValidationError as exc:
        raise InvalidInput("invalid", str(exc.detail[0]), field=key) from exc


def _string(body: dict, key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # Tizra's own ids and codes may come as numbers
    if not isinstance(value, str):
        raise InvalidInput("invalid", "must be a string.", field=key)
    return value


def _check_keys(body: dict, allowed: tuple[str, ...]) -> None:
    for key in body:
        if key in allowed:
            continue
        if key in READ_ONLY_KEYS:
            raise InvalidInput("read_only", "is read-only (Entitle keeps it).", field=key)
        raise InvalidInput("unknown_field", f"is not a field here; give only "
                                            f"{', '.join(allowed)}.", field=key)


def parse_code_object(body: object, url_batch: str | None) -> services.BatchCodes:
    """One code object of Tizra's POST as the service's request."""
    if not isinstance(body, dict):
        raise InvalidInput("invalid_body", "Each code must be a JSON object.")
    _check_keys(body, CREATE_KEYS)
    batch = body.get("batch")
    if url_batch is not None:
        if batch not in (None, url_batch):
            raise InvalidInput("batch_mismatch", f"names batch {batch!r} but the URL names "
                                                 f"{url_batch!r}.", field="batch")
        batch = url_batch
    if batch in (None, ""):
        raise InvalidInput("required", "is required: the name of the batch.", field="batch")
    if not isinstance(batch, str):
        raise InvalidInput("invalid", "must be a string.", field="batch")
    if "/" in batch:
        raise InvalidInput("invalid", "cannot contain \"/\" (the name is part of the batch's "
                                      "URL).", field="batch")
    action = body.get("action-type")
    if action in (None, ""):
        raise InvalidInput("required", f"is required: one of {', '.join(ActionType.values)}.",
                           field="action-type")
    if action not in ActionType.values:
        raise InvalidInput("invalid", f"must be one of {', '.join(ActionType.values)}.",
                           field="action-type")
    if action != ActionType.ADD_USER_TAG and body.get("access-control-id") in (None, ""):
        raise InvalidInput("required", f"is required for {action} codes: the id of the "
                                       f"offer.", field="access-control-id")
    if action == ActionType.ADD_USER_TAG and body.get("user-tags") in (None, "", []):
        raise InvalidInput("required", "is required for add-user-tag codes (\"a;b\" or a "
                                       "list).", field="user-tags")
    return services.BatchCodes(
        batch=batch, action_type=action, offer_id=_string(body, "access-control-id"),
        user_tags=body.get("user-tags"), match_specification=body.get("match-specification"),
        code=_string(body, "access-code"), count=_integer(body, "count", None),
        code_length=_integer(body, "code-length", None),
        max_redemptions=_integer(body, "remaining-redemptions", 1),
        is_active=_boolean(body, "is-valid", True),
        expiration_date=_expiry(body, "expiration-date"),
    )


def parse_code_objects(data: object, url_batch: str | None) -> list[services.BatchCodes]:
    """A code object or a JSON array of them; a bad one names its place (`[2].batch`)."""
    if isinstance(data, dict):
        return [parse_code_object(data, url_batch)]
    if not isinstance(data, list):
        raise InvalidInput("invalid_body", "The body must be a JSON code object or an array "
                                           "of them.")
    if not data:
        raise InvalidInput("invalid_body", "The array is empty: give at least one code "
                                           "object.")
    if len(data) > MAX_CODES_PER_CALL:
        raise InvalidInput("too_many_codes", f"At most {MAX_CODES_PER_CALL:,} code objects "
                                             f"per request.")
    requests = []
    for index, element in enumerate(data):
        try:
            requests.append(parse_code_object(element, url_batch))
        except DomainError as exc:
            raise _at(exc, index) from None
    return requests


def parse_changes(data: object) -> dict:
    """PUT's body as `services.amend_code`'s keyword arguments."""
    if not isinstance(data, dict):
        raise InvalidInput("invalid_body", "The body must be a JSON object.")
    _check_keys(data, UPDATE_KEYS)
    if not data:
        raise InvalidInput("nothing_to_change", f"Give at least one of "
                                                f"{', '.join(UPDATE_KEYS)}.")
    changes: dict = {}
    if "is-valid" in data:
        changes["is_active"] = _boolean(data, "is-valid", True)
    if "remaining-redemptions" in data:
        changes["remaining_redemptions"] = _integer(data, "remaining-redemptions", None)
        if changes["remaining_redemptions"] is None:
            raise InvalidInput("invalid", "must be a whole number from 0 up.",
                               field="remaining-redemptions")
    if "expiration-date" in data:
        changes["expiration_date"] = _expiry(data, "expiration-date")
    if "user-tags" in data:
        changes["user_tags"] = data["user-tags"]
    return changes


def _in_tizra_terms(exc: DomainError) -> DomainError:
    """A service's refusal with Tizra's field names (in the field and in the message)."""
    exc.field = TIZRA_FIELDS.get(exc.field, exc.field)
    for name, tizra in TIZRA_FIELDS.items():
        if "_" in name:
            exc.message = exc.message.replace(name, tizra)
    return exc


def _at(exc: DomainError, index: int) -> DomainError:
    exc.field = f"[{index}].{exc.field}" if exc.field else f"[{index}]"
    return exc


# --- output -----------------------------------------------------------------------------------

def batch_url(label: str) -> str:
    return f"/admin-api/{settings.SITE_SLUG}/redemptions/{quote(label, safe='')}"


def code_record(code: Code, *, target_url: str | None = None) -> dict:
    """One code as seed 003 shows it; keys in Tizra's (alphabetical) order, the optional ones
    only where they apply."""
    offer = code.offer
    record: dict = {"access-code": code.display_code()}
    if offer.action_type != ActionType.ADD_USER_TAG:
        record["access-control-id"] = str(offer.access_control_id)
    record["action-type"] = offer.action_type
    record["batch"] = code.group.label
    if code.effective_expiration is not None:
        record["expiration-date"] = tizra_time(code.effective_expiration)
    record["is-valid"] = code.is_active
    if offer.action_type == ActionType.SESSION_LICENSE_MATCH:
        spec = offer.match_specification or {}
        record["match-specification"] = {key: list(spec.get(key) or [])
                                         for key in ("all", "any", "excluded")}
    record["redeemed-users"] = redeemed_by(code)
    if target_url is not None:
        record["redemption-url"] = selectors.redemption_url(code, success_url=target_url)
    record["remaining-redemptions"] = code.remaining_redemptions
    if code.last_redeemed_at is not None:
        record["used-date"] = tizra_time(code.last_redeemed_at)
    if offer.action_type == ActionType.ADD_USER_TAG:
        record["user-tags"] = ";".join(offer.user_tags or [])
    return record


def _stream_records(codes, target_url: str | None) -> Iterator[str]:
    yield "["
    for number, code in enumerate(codes.iterator(chunk_size=STREAM_CHUNK)):
        yield ("," if number else "") + json.dumps(code_record(code, target_url=target_url),
                                                   cls=DjangoJSONEncoder)
    yield "]"


# --- schema -----------------------------------------------------------------------------------

_STR = {"type": "string"}
_MATCH_SPEC = {"type": "object", "properties": {
    key: {"type": "array", "items": _STR} for key in ("all", "any", "excluded")}}
CODE_RECORD_SCHEMA = {"type": "object", "properties": {
    "access-code": _STR, "access-control-id": {**_STR, "format": "uuid"},
    "action-type": {"type": "string", "enum": ActionType.values}, "batch": _STR,
    "expiration-date": {**_STR, "example": "2014-09-11 22:30:59.114"},
    "is-valid": {"type": "boolean"}, "match-specification": _MATCH_SPEC,
    "redeemed-users": {"type": "array", "items": {**_STR, "format": "email"}},
    "redemption-url": {**_STR, "format": "uri"},
    "remaining-redemptions": {"type": "integer", "minimum": 0},
    "used-date": {**_STR, "example": "2014-09-11 22:30:59.114"},
    "user-tags": {**_STR, "example": "code;teg"},
}, "required": ["access-code", "action-type", "batch", "is-valid", "redeemed-users",
                "remaining-redemptions"]}
_TAGS = {"oneOf": [{**_STR, "example": "code;teg"}, {"type": "array", "items": _STR}]}
_WHEN = {"oneOf": [{**_STR, "format": "date-time"}, {"type": "integer"}], "nullable": True}
CODE_OBJECT_SCHEMA = {"type": "object", "properties": {
    "batch": {**_STR, "description": "Required unless the URL names the batch."},
    "action-type": {"type": "string", "enum": ActionType.values},
    "access-control-id": {**_STR, "description": "The offer (apply-offer, "
                                                 "session-license-match)."},
    "user-tags": _TAGS, "match-specification": _MATCH_SPEC,
    "access-code": {**_STR, "description": "Generated (hex) when left out."},
    "remaining-redemptions": {"type": "integer", "minimum": 0, "default": 1},
    "is-valid": {"type": "boolean", "default": True}, "expiration-date": _WHEN,
    "count": {"type": "integer", "minimum": 1, "maximum": MAX_CODES_PER_CALL,
              "description": "Ours: that many codes alike (no access-code)."},
    "code-length": {"type": "integer", "minimum": 1, "maximum": 64,
                    "description": "Ours: the length of generated codes."},
}, "required": ["action-type"]}
CREATE_REQUEST = {"application/json": {"oneOf": [
    CODE_OBJECT_SCHEMA, {"type": "array", "items": CODE_OBJECT_SCHEMA}]}}
CREATED = OpenApiResponse({"type": "array", "items": _STR},
                          description="The new codes, as Tizra shows them.")
UPDATE_REQUEST = {"application/json": {"type": "object", "properties": {
    "is-valid": {"type": "boolean"}, "remaining-redemptions": {"type": "integer", "minimum": 0},
    "expiration-date": _WHEN, "user-tags": _TAGS}}}
# (A list view's answer is documented by its element: the schema makes the array.)
BATCH_RECORD_SCHEMA = {"type": "object", "properties": {
    "batch": _STR, "url": {**_STR, "example": "/admin-api/entitle/redemptions/test%20batch"}}}
ERRORS = {400: None, 401: None, 403: None, 404: None}
TARGET_URL = OpenApiParameter(
    "target-url", str, description="Adds each code's redemption-url, going on to this path "
                                   "(or a URL on this site's hosts) after redemption.")


# --- views ------------------------------------------------------------------------------------

class TizraPagination(PagePagination):
    """Tizra answers whole lists; `page`/`per_page` ask for one page (X-Total-Count tells the
    total)."""

    def paginate_queryset(self, queryset, request, view=None):
        if not ({self.page_param, self.per_page_param} & set(request.query_params)):
            return None
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return Response(data, headers={"X-Total-Count": str(self.count)})

    def get_paginated_response_schema(self, schema):
        return schema

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["description"] += " Without page or per_page: the whole list."
        return parameters


class TizraSchema(AutoSchema):
    """Each view answers with and without the site in the path: one operation id each."""

    def get_operation_id(self):
        name = self.view.operation_ids[self.method.lower()]
        return f"tizra_{name}" + ("_of_site" if "{site}" in self.path else "")

    def _is_list_view(self, serializer=None) -> bool:
        """The lists document their filters and paging (their answers are raw schemas)."""
        return self.method == "GET" and getattr(self.view, "zype_filters", None) is not None


class TizraSiteView(TizraView, generics.GenericAPIView):
    """A Tizra admin-api view: the site in the URL must be this one; JSON whatever the
    Content-Type."""

    pagination_class = TizraPagination
    schema = TizraSchema()
    operation_ids: dict[str, str] = {}
    parser_classes = [JSONParser, AnyJSONParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        site = kwargs.get("site")
        if site is not None and site != settings.SITE_SLUG:
            raise NotFound("unknown_site", f"There is no site {site!r} here.")

    def get_exception_handler(self):
        handler = super().get_exception_handler()

        def tizra_terms(exc, context):
            if isinstance(exc, DomainError):
                index = exc.data.pop("index", None)
                exc = _in_tizra_terms(exc)
                if index is not None and isinstance(self.request.data, list):
                    exc = _at(exc, index)
            return handler(exc, context)

        return tizra_terms

    def target_url(self) -> str | None:
        target = self.request.query_params.get("target-url")
        if target is None:
            return None
        if not selectors.is_safe_success_url(target):
            raise InvalidInput("invalid", "must be a path on this site (/welcome) or a URL on "
                                          "one of its hosts.", field="target-url")
        return target

    def create_codes(self, request, url_batch: str | None) -> Response:
        codes = services.add_batch_codes(parse_code_objects(request.data, url_batch))
        return Response([code.display_code() for code in codes],
                        status=status.HTTP_201_CREATED)


class BatchListView(TizraSiteView):
    """The batches: list them with their URLs, or add codes to batches named in the body."""

    operation_ids = {"get": "list_batches", "post": "create_codes"}
    zype_filters = ZypeFilters(
        equal={"batch": "label"},
        times={"created-at": "created_at", "updated-at": "updated_at"},
        text=["label"],
    )

    def get_queryset(self):
        return selectors.batches()

    @extend_schema(summary="List redemption batches",
                   responses={200: OpenApiResponse(BATCH_RECORD_SCHEMA), **ERRORS})
    def get(self, request, *args, **kwargs):
        rows = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(rows)
        data = [{"batch": row["label"], "url": batch_url(row["label"])}
                for row in (page if page is not None else rows)]
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(summary="Create redemption codes (a code object or an array of them)",
                   request=CREATE_REQUEST,
                   responses={201: CREATED, **ERRORS, 409: None})
    def post(self, request, *args, **kwargs):
        return self.create_codes(request, None)


class BatchView(TizraSiteView):
    """One batch: its codes (with redemption URLs on asking), more codes, or its deletion
    while nothing in it was redeemed."""

    operation_ids = {"get": "list_batch_codes", "post": "create_batch_codes",
                     "delete": "delete_batch"}
    zype_filters = ZypeFilters(
        equal={"access-code": CodeTextFilter(), "action-type": "offer__action_type",
               "is-valid": "is_active"},
        times={"used-date": "last_redeemed_at", "created-at": "created_at",
               "expiration-date": "expiration_date"},
        text=["code"],
        id_element=forms.IntegerField,
    )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Code.objects.none()
        return selectors.batch_codes(self.batch())

    def batch(self) -> str:
        return self.kwargs["batch"]

    @extend_schema(summary="List a batch's codes", parameters=[TARGET_URL],
                   responses={200: OpenApiResponse(CODE_RECORD_SCHEMA), **ERRORS})
    def get(self, request, *args, **kwargs):
        target_url = self.target_url()
        if not selectors.batch_exists(self.batch()):
            raise NotFound("batch_not_found", f"There is no batch {self.batch()!r}.")
        codes = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(codes)
        if page is None:
            return StreamingHttpResponse(_stream_records(codes, target_url),
                                         content_type="application/json")
        return self.get_paginated_response([code_record(c, target_url=target_url)
                                            for c in page])

    @extend_schema(summary="Create redemption codes in this batch", request=CREATE_REQUEST,
                   responses={201: CREATED, **ERRORS, 409: None})
    def post(self, request, *args, **kwargs):
        return self.create_codes(request, self.batch())

    @extend_schema(summary="Delete a batch (409 once any of its codes was redeemed)",
                   request=None,
                   responses={204: None, **ERRORS, 409: None})
    def delete(self, request, *args, **kwargs):
        services.delete_batch(label=self.batch())
        return Response(status=status.HTTP_204_NO_CONTENT)


class BatchCodeView(TizraSiteView):
    """One code of a batch: read it, or change is-valid, remaining-redemptions,
    expiration-date, user-tags."""

    operation_ids = {"get": "retrieve_code", "put": "update_code"}

    def get_object(self) -> Code:
        code = selectors.batch_code(self.kwargs["batch"], self.kwargs["access_code"])
        if code is None:
            raise NotFound("code_not_found", f"Batch {self.kwargs['batch']!r} has no such "
                                             f"code.")
        return code

    @extend_schema(summary="Read one code", parameters=[TARGET_URL],
                   responses={200: OpenApiResponse(CODE_RECORD_SCHEMA), **ERRORS})
    def get(self, request, *args, **kwargs):
        target_url = self.target_url()
        return Response(code_record(self.get_object(), target_url=target_url))

    @extend_schema(summary="Change one code", request=UPDATE_REQUEST,
                   responses={200: OpenApiResponse(CODE_RECORD_SCHEMA), **ERRORS})
    def put(self, request, *args, **kwargs):
        code = self.get_object()
        services.amend_code(code, **parse_changes(request.data))
        return Response(code_record(self.get_object()))

