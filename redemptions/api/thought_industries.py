"""Thought Industries dialect for redemption code groups: `/incoming/v2/redemptionCodes`.

Field names, nesting and validation messages follow seed 000 and API.md: camelCase JSON,
errors as `{"errors": [message, ...]}`, times as `2024-01-01T00:00:00.000Z`, dates in bodies
as a date (an expiry: the end of that day, UTC) or a timestamp. Lists page with an opaque
`cursor` (and also take the Zype-style filters, `page` and `per_page`). Parse, call a
service, render.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404  # a malformed id is a 404 too
from rest_framework.pagination import BasePagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.dialects import ThoughtIndustriesView
from catalog.models import CatalogItem, Client, ItemKind
from core.errors import DomainError, InvalidInput
from core.fields import ExpiryField
from core.filters import StrictBooleanFilter, ZypeFilters, is_uuid
from core.pagination import MAX_PER_PAGE
from core.parsers import load_json, refuse_unstorable
from core.time import iso_millis_z
from licensing.models import License
from redemptions import selectors, services
from redemptions.api.common import CodeCsvExportMixin, CSVRenderer, redeemed_by
from redemptions.codes import normalize_code
from redemptions.models import Code, CodeGroup

NO_ITEMS = "Please choose at least one item to give access to, or select a license."
NO_SIZE = "Generated Redemption Code Groups must have a value for code length and total codes."
ERRORS = {400: None, 401: None, 403: None, 404: None}
INVALID_CURSOR = "This cursor is not valid."

# Service fields as this dialect names them, for the refusals the services raise.
TI_FIELDS = {"code_length": "codeLength", "count": "totalCodesCount",
             "access_days": "accessDays", "access_expiration_date": "accessExpirationDate",
             "redemptions_per_code": "redemptionsPerCode"}
# The services' refusals in the words this dialect's clients know, by stable code (filled
# from the refusal's data); the rules themselves are checked by the services only.
TI_MESSAGES = {
    "access_days_and_expiration": ("accessDays and accessExpirationDate are mutually "
                                   "exclusive: set one or the other, not both."),
    "too_many_codes": "totalCodesCount cannot exceed {limit:,} (asked for {count:,}).",
}


# --- input ------------------------------------------------------------------------------------

@extend_schema_field({"type": "array", "items": {"type": "string", "format": "uuid"}})
class IdListField(serializers.ListField):
    child = serializers.CharField(max_length=100)

    def to_internal_value(self, data):
        if isinstance(data, str):  # one id alone, as some clients send it
            data = [data]
        return [value.strip() for value in super().to_internal_value(data) if value.strip()]


class TICodeGroupCreateSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=200)
    codeLength = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                          max_value=64)
    totalCodesCount = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    client = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                   help_text="Client UUID.")
    expirationDate = ExpiryField(required=False, allow_null=True)
    accessDays = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                          max_value=services.MAX_ACCESS_DAYS)
    accessExpirationDate = ExpiryField(required=False, allow_null=True)
    courses = IdListField(required=False)
    bundles = IdListField(required=False)
    licenses = IdListField(required=False)
    learningPaths = IdListField(required=False)

    KINDS = {"courses": (ItemKind.COURSE, "course"), "bundles": (ItemKind.BUNDLE, "bundle"),
             "learningPaths": (ItemKind.LEARNING_PATH, "learning path")}

    def validate(self, attrs):
        problems = []
        if not any(attrs.get(name) for name in ("courses", "bundles", "licenses",
                                                "learningPaths")):
            problems.append(NO_ITEMS)
        if attrs.get("codeLength") is None or attrs.get("totalCodesCount") is None:
            problems.append(NO_SIZE)
        items = []
        for name, (kind, noun) in self.KINDS.items():
            found, unknown = _resolve(CatalogItem.objects.of_kind(kind), attrs.get(name, []))
            items.extend(found)
            if unknown:
                problems.append(f"Unknown {noun} id(s) in {name}: {', '.join(unknown)}.")
        attrs["items"] = items
        attrs["license_objects"], unknown = _resolve(License.objects.all(),
                                                     attrs.get("licenses", []))
        if unknown:
            problems.append(f"Unknown license id(s) in licenses: {', '.join(unknown)}.")
        attrs["client_object"] = None
        if attrs.get("client"):
            found, unknown = _resolve(Client.objects.all(), [attrs["client"]])
            if unknown:
                problems.append(f"Unknown client: {unknown[0]}.")
            attrs["client_object"] = found[0] if found else None
        if problems:
            raise ValidationError(problems)
        return attrs


def _resolve(queryset, ids: list[str]) -> tuple[list, list[str]]:
    """The objects named by these UUIDs (in order, once each) and the ids that name none."""
    wanted = {i: str(uuid.UUID(i)) if is_uuid(i) else None for i in dict.fromkeys(ids)}
    found = {str(obj.pk): obj for obj in queryset.filter(pk__in=[v for v in wanted.values()
                                                                 if v])}
    return ([found[v] for v in wanted.values() if v in found],
            [raw for raw, v in wanted.items() if v not in found])


# --- output -----------------------------------------------------------------------------------

@extend_schema_field({"type": "string", "format": "date-time", "nullable": True,
                      "example": "2024-01-01T00:00:00.000Z"})
class TimeField(serializers.Field):
    def to_representation(self, value):
        return iso_millis_z(value)


class TINamedRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class TICourseRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()


class TIItemNameSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="title")


class TICodeGroupSerializer(serializers.Serializer):
    """Seed 000's response fields."""

    id = serializers.UUIDField()
    label = serializers.CharField()
    redeemedCodesCount = serializers.IntegerField(source="redeemed_codes_count")
    totalCodesCount = serializers.IntegerField(source="total_codes_count")
    expirationDate = TimeField(source="expiration_date", allow_null=True)
    accessDays = serializers.IntegerField(source="offer.access_days", allow_null=True)
    accessExpirationDate = TimeField(source="offer.access_expiration_date", allow_null=True)
    client = TINamedRefSerializer(allow_null=True)
    courses = serializers.SerializerMethodField()
    learningPaths = serializers.SerializerMethodField()
    bundles = serializers.SerializerMethodField()
    licenses = TINamedRefSerializer(source="offer.licenses.all", many=True)

    def _of_kind(self, group, kind):
        return [i for i in group.offer.items.all() if i.kind == kind]

    @extend_schema_field(TICourseRefSerializer(many=True))
    def get_courses(self, group):
        return TICourseRefSerializer(self._of_kind(group, ItemKind.COURSE), many=True).data

    @extend_schema_field(TIItemNameSerializer(many=True))
    def get_learningPaths(self, group):
        return TIItemNameSerializer(self._of_kind(group, ItemKind.LEARNING_PATH), many=True).data

    @extend_schema_field(TIItemNameSerializer(many=True))
    def get_bundles(self, group):
        return TIItemNameSerializer(self._of_kind(group, ItemKind.BUNDLE), many=True).data


class TICodeGroupDetailSerializer(TICodeGroupSerializer):
    """The create response's fields plus `uploaded` and `gift` (API.md)."""

    uploaded = serializers.BooleanField()
    gift = serializers.BooleanField()


class TICodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(source="display_code")
    redeemed = serializers.SerializerMethodField()
    redeemedBy = serializers.SerializerMethodField()
    redeemedAt = TimeField(source="last_redeemed_at", allow_null=True)

    def get_redeemed(self, code) -> bool:
        return code.redemptions_count > 0

    def get_redeemedBy(self, code) -> list[str]:
        return redeemed_by(code)


# --- cursor pagination ------------------------------------------------------------------------

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
        self._model = queryset.model
        cursor = self._read_cursor(params["cursor"], params.get("sort")) \
            if params.get("cursor") else None
        sort = params.get("sort") or (cursor[0] if cursor else self.default_sort)
        field, descending = self._parse_sort(sort)
        self.total = queryset.count()
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
                "total": {"type": "integer"}, "hasMore": {"type": "boolean"},
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


# --- views ------------------------------------------------------------------------------------

@extend_schema_field(OpenApiTypes.BOOL)
class RedeemedFilter(StrictBooleanFilter):
    """`redeemed=true|false`: used at least once (by a standing redemption), or never."""

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(redemptions_count__gt=0) if value else qs.filter(redemptions_count=0)


class CodeTextFilter(django_filters.CharFilter):
    """`code=`: the code as anyone may type it."""

    def filter(self, qs, value):
        return qs.filter(code=normalize_code(value)) if value else qs


def in_ti_terms(exc: DomainError) -> DomainError:
    """A service's refusal with this dialect's field names and, where the seed has its own
    words for it, those words."""
    exc.field = TI_FIELDS.get(exc.field, exc.field)
    if exc.code in TI_MESSAGES:
        exc.message = TI_MESSAGES[exc.code].format(**exc.data)
    return exc


class RedemptionCodeGroupListView(ThoughtIndustriesView, generics.ListCreateAPIView):
    """Redemption code groups: list (cursor pages) and create (generates the codes)."""

    serializer_class = TICodeGroupDetailSerializer
    pagination_class = CodeGroupPagination
    zype_filters = ZypeFilters(
        equal={"label": "label", "client": "client", "offer": "offer", "uploaded": "uploaded",
               "gift": "gift"},
        times={"createdAt": "created_at", "updatedAt": "updated_at",
               "expirationDate": "expiration_date"},
        text=["label"],
    )

    def get_queryset(self):
        groups = selectors.code_groups()
        query = self.request.query_params.get("query", "").strip()
        if query:
            words = Q()
            for word in query.split()[:10]:
                words &= Q(label__icontains=word)
            holding = Code.objects.filter(code=normalize_code(query)).values("group_id")
            groups = groups.filter(words | Q(pk__in=holding))
        return groups

    @extend_schema(
        summary="List redemption code groups",
        parameters=[OpenApiParameter("query", str, description="Free text: words of the "
                                     "label, or a code the group holds.")],
        responses={200: TICodeGroupDetailSerializer(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create Redemption Code Group",
        description="Creates a redemption code group and generates its codes (seed 000).",
        request=TICodeGroupCreateSerializer,
        responses={201: TICodeGroupSerializer, **ERRORS},
    )
    def post(self, request, *args, **kwargs):
        body = TICodeGroupCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        label = data["label"]
        try:
            group = services.create_code_group(
                label=label,
                offer=services.OfferTerms(
                    name=label, items=data["items"], licenses=data["license_objects"],
                    access_days=data.get("accessDays"),
                    access_expiration_date=data.get("accessExpirationDate")),
                count=data["totalCodesCount"], code_length=data["codeLength"],
                client=data["client_object"], expiration_date=data.get("expirationDate"),
            )
        except DomainError as exc:
            raise in_ti_terms(exc) from exc.__cause__
        group = selectors.code_groups().get(pk=group.pk)
        return Response(TICodeGroupSerializer(group).data, status=status.HTTP_201_CREATED)


class RedemptionCodeGroupDetailView(ThoughtIndustriesView, generics.RetrieveDestroyAPIView):
    """One code group; DELETE only while none of its codes was ever redeemed."""

    serializer_class = TICodeGroupDetailSerializer
    queryset = selectors.code_groups()

    @extend_schema(summary="Retrieve a redemption code group",
                   responses={200: TICodeGroupDetailSerializer, **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(summary="Delete a redemption code group (409 once a code was redeemed)",
                   responses={204: None, **ERRORS, 409: None})
    def delete(self, request, *args, **kwargs):
        return super().delete(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.delete_code_group(instance)


class RedemptionCodeGroupCodesView(CodeCsvExportMixin, ThoughtIndustriesView,
                                   generics.ListAPIView):
    """The codes of a group, paged as JSON, or the whole list streamed as CSV."""

    serializer_class = TICodeSerializer
    pagination_class = CodePagination
    renderer_classes = [JSONRenderer, CSVRenderer]
    zype_filters = ZypeFilters(
        equal={"code": CodeTextFilter(), "redeemed": RedeemedFilter(),
               "active": "is_active"},
        times={"createdAt": "created_at", "redeemedAt": "last_redeemed_at",
               "expirationDate": "expiration_date"},
        text=["code"],
        id_element=forms.IntegerField,
    )

    def get_group(self) -> CodeGroup:
        return get_object_or_404(CodeGroup, pk=self.kwargs["pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Code.objects.none()
        return selectors.codes_with_redeemers(Code.objects.filter(group=self.get_group()))

    @extend_schema(
        summary="List a group's codes (JSON pages, or ?format=csv streamed)",
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"],
                                     description="`csv` streams every code: code, redeemed, "
                                                 "redeemedBy, redeemedAt, niceCode, "
                                                 "redemptionUrl.")],
        responses={(200, "application/json"): TICodeSerializer(many=True),
                   (200, "text/csv"): OpenApiTypes.STR, **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        if self.wants_csv():
            group = self.get_group()
            codes = self.filter_queryset(self.get_queryset()).order_by("id")
            return self.csv_response(codes, group)
        return super().get(request, *args, **kwargs)
