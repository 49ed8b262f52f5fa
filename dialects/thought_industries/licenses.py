"""Thought Industries dialect for licenses: `/incoming/v2/licenses` (seed 001, API.md).

camelCase JSON; answers inside `{"data": {"<Operation>": ...}}`; errors `{"errors": [...]}`
(the `ThoughtIndustriesView` base renders them). The `*Ids` fields take one UUID string or
an array; `replace*` flags replace the client's assignments instead of appending. Thin:
parse, call `licensing.services`, render.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import (
    GenericAPIView,
    get_object_or_404,  # a malformed id is a 404 too
)
from rest_framework.response import Response

from catalog.models import CatalogItem, Client, ItemKind
from core.fields import ExpiryField
from core.filters import ZypeFilters
from dialects.thought_industries.base import ThoughtIndustriesView
from dialects.thought_industries.fields import TimeField, UuidListField
from licensing import selectors, services
from licensing.models import MAX_ACCESS_DAYS, MAX_SEATS, License

ERRORS = {400: None, 401: None, 403: None, 404: None}
REFS = [f"ref{i}" for i in range(1, 11)]
ID_FIELDS = {"courseIds": ("courses", ItemKind.COURSE),
             "learningPathIds": ("learning_paths", ItemKind.LEARNING_PATH),
             "courseTagIds": ("course_tags", ItemKind.COURSE_TAG)}
REPLACE_FLAGS = {"replaceCourseIds": "replace_client_courses",
                 "replaceLearningPathIds": "replace_client_learning_paths",
                 "replaceCourseTagIds": "replace_client_course_tags"}
PLAIN = {"name": "name", "label": "label", "sku": "sku", "seatsLimit": "seats_limit",
         "accessDays": "access_days", "expirationDate": "expiration_date",
         "enableBranding": "enable_branding", **{ref: ref for ref in REFS}}


# --- input ------------------------------------------------------------------------------------

class LicenseInput(serializers.Serializer):
    """The body of POST (every seed parameter) and PATCH (any of them)."""

    clientId = serializers.UUIDField(help_text="The client this license belongs to.")
    courseIds = UuidListField(required=False, allow_null=True)
    learningPathIds = UuidListField(required=False, allow_null=True)
    courseTagIds = UuidListField(required=False, allow_null=True)
    replaceCourseIds = serializers.BooleanField(required=False, default=False)
    replaceLearningPathIds = serializers.BooleanField(required=False, default=False)
    replaceCourseTagIds = serializers.BooleanField(required=False, default=False)
    name = serializers.CharField(max_length=200, help_text="Display name of the license.")
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    sku = serializers.CharField(max_length=100, required=False, allow_blank=True)
    seatsLimit = serializers.IntegerField(min_value=0, max_value=MAX_SEATS, required=False,
                                          allow_null=True,
                                          help_text="Left out or null: unlimited seats.")
    parentLicenseId = serializers.UUIDField(required=False, allow_null=True)
    accessDays = serializers.IntegerField(min_value=1, max_value=MAX_ACCESS_DAYS, required=False,
                                          allow_null=True)
    expirationDate = ExpiryField(required=False, allow_null=True)
    enableBranding = serializers.BooleanField(required=False)
    isDefault = serializers.BooleanField(required=False)
    ref1 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    ref2 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    ref3 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    ref4 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    ref5 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    ref6 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    ref7 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    ref8 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    ref9 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    ref10 = serializers.CharField(max_length=255, required=False, allow_blank=True)

    def service_kwargs(self) -> dict:
        """What the services take: objects for ids, snake_case names (only what was sent)."""
        data = self.validated_data
        kwargs = {PLAIN[key]: value for key, value in data.items() if key in PLAIN}
        if "clientId" in data:
            client = Client.objects.filter(pk=data["clientId"]).first()
            if client is None:
                raise serializers.ValidationError(
                    {"clientId": [f"No client with id {data['clientId']}."]})
            kwargs["client"] = client
        if "parentLicenseId" in data:
            parent_id = data["parentLicenseId"]
            kwargs["parent"] = None
            if parent_id is not None:
                kwargs["parent"] = License.objects.filter(pk=parent_id).first()
                if kwargs["parent"] is None:
                    raise serializers.ValidationError(
                        {"parentLicenseId": [f"No license with id {parent_id}."]})
        if "isDefault" in data:
            kwargs["is_default"] = data["isDefault"]
        for key, (name, kind) in ID_FIELDS.items():
            if key in data:
                kwargs[name] = _items(key, kind, data[key] or [])
        for key, name in REPLACE_FLAGS.items():
            kwargs[name] = data.get(key, False)
        return kwargs


def _items(field: str, kind: str, ids: list) -> list[CatalogItem]:
    found = {item.pk: item for item in CatalogItem.objects.filter(kind=kind, pk__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        label = ItemKind(kind).label.lower()
        raise serializers.ValidationError({field: [f"No {label} with id {', '.join(missing)}."]})
    return [found[i] for i in ids]


# --- output -----------------------------------------------------------------------------------

def _status(item: CatalogItem) -> str:
    return "published" if item.is_active else "archived"


class CourseOut(serializers.Serializer):
    id = serializers.UUIDField()
    createdAt = TimeField(source="created_at")
    updatedAt = TimeField(source="updated_at")
    slug = serializers.CharField()
    status = serializers.SerializerMethodField()
    title = serializers.CharField()
    priceInCents = serializers.IntegerField(source="price_cents")

    def get_status(self, item) -> str:
        return _status(item)


class LearningPathOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="title")
    slug = serializers.CharField()
    status = serializers.SerializerMethodField()
    priceInCents = serializers.IntegerField(source="price_cents")
    createdAt = TimeField(source="created_at")
    updatedAt = TimeField(source="updated_at")

    def get_status(self, item) -> str:
        return _status(item)


class CourseTagOut(serializers.Serializer):
    id = serializers.UUIDField()
    label = serializers.CharField(source="title")


class ClientOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    schoolName = serializers.CharField(source="school_name")
    courses = CourseOut(many=True, source="courses.all")
    learningPaths = LearningPathOut(many=True, source="learning_paths.all")
    courseTags = CourseTagOut(many=True, source="course_tags.all")


@extend_schema_field({"type": "array", "items": {"type": "string", "format": "uuid"}})
class IdsOf(serializers.ReadOnlyField):
    def to_representation(self, manager):
        return [str(item.pk) for item in manager.all()]


class LicenseOut(serializers.Serializer):
    """A license as Thought Industries renders one (API.md lists the fields)."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    label = serializers.CharField()
    sku = serializers.CharField()
    seatsLimit = serializers.IntegerField(source="seats_limit", allow_null=True)
    seatsUsed = serializers.SerializerMethodField(
        help_text="Active seats counting against seatsLimit: this license's and those of "
                  "the licenses under it.")
    parentLicenseId = serializers.UUIDField(source="parent_id", allow_null=True)
    accessDays = serializers.IntegerField(source="access_days", allow_null=True)
    expirationDate = TimeField(source="expiration_date", allow_null=True)
    enableBranding = serializers.BooleanField(source="enable_branding")
    isDefault = serializers.BooleanField(source="is_default")
    ref1 = serializers.CharField()
    ref2 = serializers.CharField()
    ref3 = serializers.CharField()
    ref4 = serializers.CharField()
    ref5 = serializers.CharField()
    ref6 = serializers.CharField()
    ref7 = serializers.CharField()
    ref8 = serializers.CharField()
    ref9 = serializers.CharField()
    ref10 = serializers.CharField()
    courseIds = IdsOf(source="courses")
    learningPathIds = IdsOf(source="learning_paths")
    courseTagIds = IdsOf(source="course_tags")
    courses = CourseOut(many=True, source="courses.all")
    learningPaths = LearningPathOut(many=True, source="learning_paths.all")
    courseTags = CourseTagOut(many=True, source="course_tags.all")
    client = ClientOut()
    createdAt = TimeField(source="created_at")
    updatedAt = TimeField(source="updated_at")

    def get_seatsUsed(self, obj) -> int:
        return self.context["seats_used"].get(obj.pk, 0)


def _envelope(name: str, body) -> type[serializers.Serializer]:
    return inline_serializer(f"TI{name}", {"data": inline_serializer(
        f"TI{name}Data", {name: body})})


PAGE_INFO = inline_serializer("TIPageInfo", {
    "perPage": serializers.IntegerField(), "currentPage": serializers.IntegerField(),
    "total": serializers.IntegerField(), "hasMore": serializers.BooleanField()})
LICENSES_BY_CLIENT = _envelope("APILicensesByClientId", inline_serializer(
    "TILicensesByClient", {"id": serializers.UUIDField(), "name": serializers.CharField(),
                           "sku": serializers.CharField(allow_null=True),
                           "pageInfo": PAGE_INFO, "licenses": LicenseOut(many=True)}))
LICENSES = _envelope("APILicenses", inline_serializer(
    "TILicenses", {"pageInfo": PAGE_INFO, "licenses": LicenseOut(many=True)}))
DELETED = _envelope("DeleteLicense", inline_serializer(
    "TIDeletedLicense", {"id": serializers.UUIDField()}))


def _for_rendering(queryset):
    return queryset.select_related("client").prefetch_related(
        "courses", "learning_paths", "course_tags",
        "client__courses", "client__learning_paths", "client__course_tags")


def _render(licenses) -> list[dict]:
    licenses = list(licenses)
    used = selectors.seats_used(licenses)
    return LicenseOut(licenses, many=True, context={"seats_used": used}).data


def _render_one(pk) -> dict:
    return _render(_for_rendering(License.objects.filter(pk=pk)))[0]


# --- views ------------------------------------------------------------------------------------

class ListSchema(AutoSchema):
    """A list whose envelope is an object: filters and paging documented, body not wrapped."""

    def _is_list_view(self, serializer=None) -> bool:
        return False

    def get_filter_backends(self):
        return getattr(self.view, "filter_backends", []) if self.method == "GET" else []

    def _get_pagination_parameters(self):
        paginator = self._get_paginator() if self.method == "GET" else None
        return paginator.get_schema_operation_parameters(self.view) if paginator else []


class LicenseListBase(ThoughtIndustriesView, GenericAPIView):
    queryset = License.objects.order_by("name", "id")
    schema = ListSchema()
    zype_filters = ZypeFilters(
        equal={"clientId": "client", "parentLicenseId": "parent", "name": "name",
               "label": "label", "sku": "sku", "isDefault": "is_default",
               "enableBranding": "enable_branding"},
        times={"createdAt": "created_at", "updatedAt": "updated_at",
               "expirationDate": "expiration_date"},
        text=["name", "label", "sku", "client__name", *REFS],
    )

    def page_of(self, queryset) -> dict:
        page = self.paginate_queryset(_for_rendering(self.filter_queryset(queryset)))
        paginator = self.paginator
        return {
            "pageInfo": {"perPage": paginator.per_page, "currentPage": paginator.page,
                         "total": paginator.count,
                         "hasMore": paginator.page < paginator.pages},
            "licenses": _render(page),
        }


class LicensesView(LicenseListBase):
    """Every client's licenses (GET), or a new license (POST, seed 001)."""

    @extend_schema(operation_id="ti_licenses_list", responses={200: LICENSES, **ERRORS})
    def get(self, request):
        """Every client's licenses, 50 a page (`page`, `per_page`) with the Zype-style
        filters."""
        return Response({"data": {"APILicenses": self.page_of(self.get_queryset())}})

    @extend_schema(operation_id="ti_licenses_create", request=LicenseInput,
                   responses={201: _envelope("CreateLicense", LicenseOut()), **ERRORS,
                              422: None})
    def post(self, request):
        """Create a license for a client, with its courses, learning paths and course tags
        (appended to the client's, or replacing them with the `replace*` flags). 422 when a
        rule refuses (a parent of another client)."""
        body = LicenseInput(data=request.data)
        body.is_valid(raise_exception=True)
        license = services.create_license(**body.service_kwargs())
        return Response({"data": {"CreateLicense": _render_one(license.pk)}},
                        status=status.HTTP_201_CREATED)


class LicenseDetailView(ThoughtIndustriesView, GenericAPIView):
    """One license: read, change (PATCH), delete (only without seats or children)."""

    queryset = License.objects.all()

    @extend_schema(operation_id="ti_license_retrieve",
                   responses={200: _envelope("License", LicenseOut()), **ERRORS})
    def get(self, request, pk):
        license = get_object_or_404(License, pk=pk)
        return Response({"data": {"License": _render_one(license.pk)}})

    @extend_schema(operation_id="ti_license_update", request=LicenseInput,
                   responses={200: _envelope("UpdateLicense", LicenseOut()), **ERRORS,
                              422: None})
    def patch(self, request, pk):
        """Change any of the POST fields; `*Ids` replace the license's own content (and are
        appended to, or replace, the client's). 422 for a cycle, a parent of another client,
        or a limit below the seats in use."""
        license = get_object_or_404(License, pk=pk)
        body = LicenseInput(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        license = services.update_license(license=license, **body.service_kwargs())
        return Response({"data": {"UpdateLicense": _render_one(license.pk)}})

    @extend_schema(operation_id="ti_license_destroy", responses={200: DELETED, **ERRORS,
                                                                 409: None})
    def delete(self, request, pk):
        """Delete a license; 409 while it holds seats (or their history) or has children."""
        license = get_object_or_404(License, pk=pk)
        services.delete_license(license=license)
        return Response({"data": {"DeleteLicense": {"id": str(pk)}}})


class ClientLicensesView(LicenseListBase):
    """A client's licenses, as Thought Industries lists them."""

    @extend_schema(operation_id="ti_client_licenses",
                   responses={200: LICENSES_BY_CLIENT, **ERRORS})
    def get(self, request, pk):
        """The client's id and name, then its licenses, 50 a page (`page`, `per_page`), with
        the Zype-style filters. Clients carry no SKU: `sku` is null."""
        client = get_object_or_404(Client, pk=pk)
        page = self.page_of(self.get_queryset().filter(client=client))
        return Response({"data": {"APILicensesByClientId": {
            "id": str(client.pk), "name": client.name, "sku": None, **page}}})
