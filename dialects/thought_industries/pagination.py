"""Thought Industries' cursor pagination for the code group and code lists."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from core.errors import InvalidInput
from core.pagination import ESTIMATE_NOTE, MAX_PER_PAGE, known_total, list_total
from core.parsers import load_json, refuse_unstorable

INVALID_CURSOR = "This cursor is not valid."


class CursorPagination(BasePagination):
    """Thought Industries' lists: `sort=field:asc|desc`, an opaque `cursor` from the last page
    (base64 of the sort, the last row's sort value and id), `per_page` (50, at most 500), and
    `page` when no cursor is given. Answers `{<envelope>: [...], "pageInfo": {"total",
    "hasMore", "cursor"}}`."""

    envelope = "results"
    sort_fields: dict[str, str] = {}
    default_sort = "createdAt:desc"
    default_per_page = 50

    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        per_page = min(_whole(params, "per_page", self.default_per_page), MAX_PER_PAGE)
        self.per_page = per_page
        self._model = queryset.model
        cursor = self._read_cursor(params["cursor"], params.get("sort")) \
            if params.get("cursor") else None
        sort = params.get("sort") or (cursor[0] if cursor else self.default_sort)
        field, descending = self._parse_sort(sort)
        self.total, _ = list_total(queryset, known_total(view))
        rows = queryset.order_by(*((f"-{field}", "-id") if descending else (field, "id")))
        start = 0
        if cursor is not None:
            _, value, last = cursor
            op = "lt" if descending else "gt"
            rows = rows.filter(Q(**{f"{field}__{op}": value})
                               | Q(**{field: value, f"id__{op}": last}))
        else:
            start = (_whole(params, "page", 1) - 1) * per_page
        page = list(rows[start:start + per_page + 1])
        self.has_more = len(page) > per_page
        page = page[:per_page]
        self.cursor = (_encode_cursor(sort, getattr(page[-1], field), page[-1].pk)
                       if self.has_more else None)
        return page

    def _parse_sort(self, sort: str) -> tuple[str, bool]:
        name, _, direction = sort.partition(":")
        direction = direction.lower() or "asc"
        if name not in self.sort_fields or direction not in ("asc", "desc"):
            choices = ", ".join(f"{n}:asc|desc" for n in self.sort_fields)
            raise ValidationError({"sort": [f"Sort by one of {choices}."]})
        return self.sort_fields[name], direction == "desc"

    def _read_cursor(self, text: str, sort: str | None) -> tuple[str, object, object]:
        """The cursor's sort, last sort value and last id, each checked against its column:
        anything this class did not write is a 400 naming the cursor, never a 500."""
        cursor = _decode_cursor(text)
        if sort and cursor.get("sort") != sort:
            raise ValidationError({"cursor": ["This cursor belongs to another sort order."]})
        try:
            field, _ = self._parse_sort(cursor["sort"])
            meta = self._model._meta
            return (cursor["sort"], _column_value(meta.get_field(field), cursor["value"]),
                    _column_value(meta.pk, cursor["id"]))
        except (KeyError, TypeError, ValueError, OverflowError, DjangoValidationError,
                ValidationError) as exc:
            raise ValidationError({"cursor": [INVALID_CURSOR]}) from exc

    def get_paginated_response(self, data):
        return Response({self.envelope: data, "pageInfo": {
            "total": self.total, "hasMore": self.has_more, "cursor": self.cursor}})

    def get_paginated_response_schema(self, schema):
        return {"type": "object", "properties": {
            self.envelope: schema,
            "pageInfo": {"type": "object", "properties": {
                "total": {"type": "integer", "description": ESTIMATE_NOTE},
                "hasMore": {"type": "boolean"},
                "cursor": {"type": "string", "nullable": True}}},
        }}

    def get_schema_operation_parameters(self, view):
        sorts = ", ".join(f"`{n}:asc`" for n in self.sort_fields)
        return [
            {"name": "sort", "in": "query", "required": False, "schema": {"type": "string"},
             "description": f"Sort order: {sorts} (or `:desc`); default `{self.default_sort}`."},
            {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "Opaque: the previous page's `pageInfo.cursor`."},
            {"name": "per_page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
             "description": f"Results per page (default {self.default_per_page})."},
            {"name": "page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1},
             "description": "Page number from 1, when no cursor is given."},
        ]


def _whole(params, name: str, default: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if not (str(raw).isascii() and str(raw).isdigit()) or int(raw) < 1:  # "²" is a digit
        raise ValidationError({name: [f"{name} must be a whole number from 1 up."]})
    return int(raw)


def _column_value(model_field, raw: object):
    """A cursor's value as `model_field` stores it (ValueError/ValidationError if it cannot
    be: the cursor only ever holds non-null strings and whole numbers)."""
    if raw is None or isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ValueError("not a value this cursor could hold")
    value = model_field.to_python(raw)
    if value is None:
        raise ValueError("empty")
    model_field.run_validators(value)  # lengths and the column's integer range
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _encode_cursor(sort: str, value, pk) -> str:
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    raw = json.dumps({"sort": sort, "value": value, "id": str(pk)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        cursor = load_json(raw.decode())  # a client's text: bounded like a body
        refuse_unstorable(cursor)
    except (binascii.Error, ValueError, InvalidInput) as exc:
        raise ValidationError({"cursor": [INVALID_CURSOR]}) from exc
    if not isinstance(cursor, dict) or not isinstance(cursor.get("sort"), str):
        raise ValidationError({"cursor": [INVALID_CURSOR]})
    return cursor


class CodeGroupPagination(CursorPagination):
    envelope = "redemptionCodeGroups"
    sort_fields = {"label": "label", "createdAt": "created_at", "updatedAt": "updated_at",
                   "totalCodesCount": "total_codes_count"}


class CodePagination(CursorPagination):
    envelope = "codes"
    sort_fields = {"id": "id"}
    default_sort = "id:asc"
