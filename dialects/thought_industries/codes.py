"""Thought Industries dialect for redemption code groups: `/incoming/v2/redemptionCodes`.

Field names, nesting and validation messages follow seed 000 and API.md: camelCase JSON,
errors as `{"errors": [message, ...]}`, times as `2024-01-01T00:00:00.000Z`, dates in bodies
as a date (an expiry: the end of that day, UTC) or a timestamp. Lists page with an opaque
`cursor` (and also take the Zype-style filters, `page` and `per_page`). Parse, call a
service, render.
"""

from __future__ import annotations

import uuid

from django import forms
from django.db.models import Q
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404  # a malformed id is a 404 too
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from catalog.models import CatalogItem, Client, ItemKind
from core.fields import ExpiryField
from core.filters import StrictBooleanFilter, ZypeFilters, is_uuid
from dialects.common.csv import CodeCsvExportMixin, CSVRenderer
from dialects.common.filters import CodeTextFilter
from dialects.thought_industries.base import ThoughtIndustriesView
from dialects.thought_industries.fields import IdListField, TimeField
from dialects.thought_industries.pagination import CodeGroupPagination, CodePagination
from licensing.models import License
from redemptions import selectors, services
from redemptions.codes import normalize_code
from redemptions.models import Code, CodeGroup
from redemptions.selectors import redeemed_by

NO_ITEMS = "Please choose at least one item to give access to, or select a license."
NO_SIZE = "Generated Redemption Code Groups must have a value for code length and total codes."
ERRORS = {400: None, 401: None, 403: None, 404: None}

# --- input ------------------------------------------------------------------------------------

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


class TIJobProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class TIExportJobSerializer(serializers.Serializer):
    """The export job a CSV request for a group too big to stream answers with (202): follow
    it at `statusUrl` (`result.rows` states the rows written), download from `fileUrl` once
    it succeeded (both on the native API, with a key that may view jobs and codes)."""

    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.SerializerMethodField()
    createdAt = TimeField(source="created_at")
    statusUrl = serializers.SerializerMethodField()
    fileUrl = serializers.SerializerMethodField()

    def get_progress(self, job) -> TIJobProgressSerializer:
        return {"done": job.done, "total": job.total}

    def get_statusUrl(self, job) -> str:
        return reverse("job", args=[job.pk])

    def get_fileUrl(self, job) -> str:
        return reverse("export-file", args=[job.pk])


# --- views ------------------------------------------------------------------------------------

@extend_schema_field(OpenApiTypes.BOOL)
class RedeemedFilter(StrictBooleanFilter):
    """`redeemed=true|false`: used at least once (by a standing redemption), or never."""

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(redemptions_count__gt=0) if value else qs.filter(redemptions_count=0)


class RedemptionCodeGroupListView(ThoughtIndustriesView, generics.ListCreateAPIView):
    """Redemption code groups: list (cursor pages) and create (generates the codes)."""

    permission_model = CodeGroup

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
        group = services.create_code_group(
            label=label,
            offer=services.OfferTerms(
                name=label, items=data["items"], licenses=data["license_objects"],
                access_days=data.get("accessDays"),
                access_expiration_date=data.get("accessExpirationDate")),
            count=data["totalCodesCount"], code_length=data["codeLength"],
            client=data["client_object"], expiration_date=data.get("expirationDate"),
        )
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

    permission_model = Code

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

    NOT_FILTERS = frozenset({"format", "page", "per_page", "cursor", "sort"})

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
                                                 "redemptionUrl. A whole group above "
                                                 "CSV_STREAM_MAX_CODES codes is a 202 with "
                                                 "the export job instead; filters matching "
                                                 "more than that, a 400.")],
        responses={(200, "application/json"): TICodeSerializer(many=True),
                   (200, "text/csv"): OpenApiTypes.STR, 202: TIExportJobSerializer,
                   **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        if self.wants_csv():
            group = self.get_group()
            codes = self.filter_queryset(self.get_queryset()).order_by("id")
            return self.csv_response(codes, group, filtered=self.is_filtered())
        return super().get(request, *args, **kwargs)

    def csv_job_response(self, job):
        return Response(TIExportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    def is_filtered(self) -> bool:
        return any(name not in self.NOT_FILTERS for name in self.request.query_params)

    def known_total(self) -> int | None:
        """A ready group's codes, unfiltered: its total, kept with it in the same transaction
        as its codes (no count of millions)."""
        group = self.get_group()
        return group.total_codes_count if group.ready and not self.is_filtered() else None
