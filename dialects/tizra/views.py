"""Tizra dialect for redemption codes: `/admin-api/<site>/redemptions` (seed 003, API.md).

Kebab-case JSON, errors `{"error": "..."}`, times as `2014-09-11 22:30:59.114` (UTC). `<site>`
is `SITE_SLUG` (anything else is a 404); `/admin-api/redemptions/...` means that site.

A batch is every code group with one label (`redemptions.selectors.labels`); each code says
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
from rest_framework.response import Response

from core.errors import InvalidInput, NotFound
from core.filters import ZypeFilters
from core.pagination import PagePagination
from core.parsers import JSONParser
from core.time import tizra_time
from dialects.common.filters import CodeTextFilter
from dialects.tizra import batches
from dialects.tizra.base import TizraView
from dialects.tizra.parsers import AnyJSONParser, parse_changes, parse_code_objects
from redemptions import selectors, services
from redemptions.errors import LabelNotFound
from redemptions.models import MAX_CODES_PER_CALL, ActionType, Code, CodeGroup
from redemptions.selectors import redeemed_by

STREAM_CHUNK = 2000

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

    permission_model = CodeGroup  # a batch

    pagination_class = TizraPagination
    schema = TizraSchema()
    operation_ids: dict[str, str] = {}
    parser_classes = [JSONParser, AnyJSONParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        site = kwargs.get("site")
        if site is not None and site != settings.SITE_SLUG:
            raise NotFound("unknown_site", f"There is no site {site!r} here.")

    def target_url(self) -> str | None:
        target = self.request.query_params.get("target-url")
        if target is None:
            return None
        if not selectors.is_safe_success_url(target):
            raise InvalidInput("invalid", "must be a path on this site (/welcome) or a URL on "
                                          "one of its hosts.", field="target-url")
        return target

    def create_codes(self, request, url_batch: str | None) -> Response:
        codes = batches.add_batch_codes(parse_code_objects(request.data, url_batch))
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
        return selectors.labels()

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
        return selectors.labelled_codes(self.batch())

    def batch(self) -> str:
        return self.kwargs["batch"]

    @extend_schema(summary="List a batch's codes", parameters=[TARGET_URL],
                   responses={200: OpenApiResponse(CODE_RECORD_SCHEMA), **ERRORS})
    def get(self, request, *args, **kwargs):
        target_url = self.target_url()
        if not selectors.label_exists(self.batch()):
            raise LabelNotFound(label=self.batch())
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
        services.delete_labelled_groups(label=self.batch())
        return Response(status=status.HTTP_204_NO_CONTENT)


class BatchCodeView(TizraSiteView):
    """One code of a batch: read it, or change is-valid, remaining-redemptions,
    expiration-date, user-tags."""

    permission_model = Code

    operation_ids = {"get": "retrieve_code", "put": "update_code"}

    def get_object(self) -> Code:
        code = selectors.labelled_code(self.kwargs["batch"], self.kwargs["access_code"])
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
        batches.amend_code(code, **parse_changes(request.data))
        return Response(code_record(self.get_object()))

