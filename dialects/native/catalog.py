"""Native API for the catalog: items, clients, entitlements and the access check."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import SCOPE_READ_OWN
from accounts.validators import LearnerName, acting_for_name
from catalog import services
from catalog.access import check_access
from catalog.errors import ItemNotFound
from catalog.models import CatalogItem, Client, Entitlement, item_reference
from core.errors import Conflict, InvalidInput
from core.filters import ZypeFilters
from dialects.native.base import NativeAPIView, NativeView
from dialects.native.fields import AssignedContentFields, LearnerField

ERRORS = {400: None, 401: None, 403: None, 404: None}


class CatalogItemSerializer(serializers.ModelSerializer):
    includes = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=CatalogItem.objects.all(),
        help_text="Ids of the items access to this one also opens.",
    )

    class Meta:
        model = CatalogItem
        fields = ["id", "kind", "title", "slug", "external_id", "url", "price_cents",
                  "is_active", "excluded_from_site_coupons", "includes", "created_at",
                  "updated_at"]
        extra_kwargs = {"url": {"help_text": "Where learners open this item (http or https; "
                                             "empty: the site's CONTENT_URL_TEMPLATE)."}}
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_external_id(self, value):
        value = (value or "").strip()
        if value:
            clash = CatalogItem.objects.filter(external_id=value)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError("Another item already has this external_id.")
        return value

    def create(self, validated_data):
        return _unique(lambda: services.create_item(**validated_data))

    def update(self, instance, validated_data):
        return _unique(lambda: services.update_item(instance, **validated_data))


def _unique(write):
    try:
        with transaction.atomic():
            return write()
    except IntegrityError as exc:
        raise Conflict("duplicate", "An item with this external_id already exists.",
                       field="external_id") from exc


class CatalogItemViewSet(NativeView, viewsets.ModelViewSet):
    """Catalog items: courses, videos, bundles… `includes` is what access to one also opens."""

    queryset = CatalogItem.objects.prefetch_related("includes").order_by("title", "id")
    serializer_class = CatalogItemSerializer
    zype_filters = ZypeFilters(
        equal={"kind": "kind", "slug": "slug", "external_id": "external_id",
               "is_active": "is_active"},
        times={"created_at": "created_at", "updated_at": "updated_at"},
        text=["title", "slug", "external_id"],
    )

    @extend_schema(responses={204: None, **ERRORS, 409: None})
    def destroy(self, request, *args, **kwargs):
        """Delete an item nothing points at; one in use is a 409 `in_use` naming what uses
        it (deactivate it instead: is_active=false)."""
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.delete_item(instance)


class ClientSerializer(AssignedContentFields, serializers.ModelSerializer):

    class Meta:
        model = Client
        fields = ["id", "name", "school_name", "courses", "learning_paths", "course_tags",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def create(self, validated_data):
        return services.create_client(**validated_data)

    def update(self, instance, validated_data):
        return services.update_client(instance, **validated_data)


class ClientViewSet(NativeView, viewsets.ModelViewSet):
    """Client organisations and the content assigned to them."""

    queryset = Client.objects.prefetch_related("courses", "learning_paths", "course_tags")\
        .order_by("name", "id")
    serializer_class = ClientSerializer
    zype_filters = ZypeFilters(
        equal={"name": "name", "school_name": "school_name"},
        times={"created_at": "created_at", "updated_at": "updated_at"},
        text=["name", "school_name"],
    )


class EntitlementSerializer(serializers.ModelSerializer):
    user = LearnerField(help_text="The learner's id or email.")
    item = serializers.PrimaryKeyRelatedField(queryset=CatalogItem.objects.all())
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = Entitlement
        fields = ["id", "user", "item", "starts_at", "expires_at", "source", "source_ref",
                  "preview_only", "revoked_at", "revoked_reason", "granted_by", "is_active",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "source", "source_ref", "revoked_at", "revoked_reason",
                            "granted_by", "created_at", "updated_at"]

    def get_is_active(self, obj) -> bool:
        return obj.is_active()


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class EntitlementViewSet(NativeView, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Grants of access: list, grant (POST), revoke. Grants are history: never deleted."""

    required_permissions = {"revoke": ["catalog.change_entitlement"]}
    queryset = Entitlement.objects.select_related("user", "item").order_by("-created_at", "id")
    serializer_class = EntitlementSerializer
    zype_filters = ZypeFilters(
        equal={"user": "user__email", "user_id": "user", "item": "item",
               "source": "source", "source_ref": "source_ref"},
        times={"created_at": "created_at", "starts_at": "starts_at",
               "expires_at": "expires_at", "revoked_at": "revoked_at"},
        text=["user__email", "item__title", "source_ref"],
    )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.grant_entitlement(
            user=data["user"], item=data["item"], expires_at=data.get("expires_at"),
            starts_at=data.get("starts_at"), preview_only=data.get("preview_only", False),
            granted_by=str(self.request.user)[:200],
        )

    @extend_schema(request=RevokeSerializer, responses={200: EntitlementSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """End this grant now (it stays listed, with when and why)."""
        body = RevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entitlement = services.revoke_entitlement(self.get_object(),
                                                  reason=body.validated_data["reason"])
        return Response(EntitlementSerializer(entitlement).data)


AccessSerializer = inline_serializer("Access", {
    "has_access": serializers.BooleanField(
        help_text="True when any grant is in force, a preview-only one too."),
    "expires_at": serializers.DateTimeField(allow_null=True),
    "preview_only": serializers.BooleanField(
        help_text="True when every grant in force opens only the item's preview (from "
                  "previewAccessOnly coupons): show the preview, not the whole item."),
    "via": inline_serializer("AccessVia", {
        "source": serializers.CharField(), "id": serializers.CharField(),
        "preview": serializers.BooleanField(help_text="This grant opens only a preview."),
    }, many=True),
})


class AccessView(NativeAPIView):
    """May this learner open this item now, until when, and through what?"""

    learner_scope = SCOPE_READ_OWN
    required_permissions = {"GET": ["catalog.view_entitlement"]}

    @extend_schema(
        parameters=[
            OpenApiParameter("user", str, description="The learner's id or email "
                             "(a learner's own token may leave it out)."),
            OpenApiParameter("item", str, required=True,
                             description="The item's id or external_id."),
        ],
        responses={200: AccessSerializer, **ERRORS},
    )
    def get(self, request):
        learner = acting_for_name(request.user, request.query_params.get("user") or None,
                                  perm="catalog.view_entitlement")
        item_ref = request.query_params.get("item", "").strip()
        if not item_ref:
            if isinstance(learner, LearnerName):
                learner.resolve()  # an unknown learner is named first, as always
            raise InvalidInput("required", "Name the item: item=<id or external_id>.",
                               field="item")
        if isinstance(learner, LearnerName):
            if learner.pk is None and learner.email is None:
                raise learner.not_found()
            named = {"learner_id": learner.pk, "learner_email": learner.email}
        else:
            named = {"learner_id": learner.pk}
        item_id, external_id = item_reference(item_ref)
        # One statement: the learner, the item and the grants (`catalog.access`).
        check = check_access(**named, item_id=item_id, item_external_id=external_id)
        if check.learner_id is None and isinstance(learner, LearnerName):
            raise learner.not_found()
        if check.item_id is None:
            raise ItemNotFound(message=f"No catalog item {item_ref!r}.", field="item")
        return Response(check.access.as_dict(), status=status.HTTP_200_OK)
