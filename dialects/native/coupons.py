"""Native API for coupons: `/api/v1/coupons` (+ quote, apply), `/api/v1/coupon-usages`
(+ approve, reject) and `/api/v1/group-offerings` (what a GROUP coupon serves).

A coupon is addressed by its id or its code (`/api/v1/coupons/SPRING-10/apply`). Coupon
administration needs an API key or a staff user; `quote` and `apply` also take a learner's
token, for themselves (API keys name the learner with `user`, an id or an email); approving and
rejecting a usage also suits an admin member of the coupon's owner group.
"""

from __future__ import annotations

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.errors import AccountsError
from accounts.models import User
from accounts.permissions import SCOPE_REDEEM
from accounts.selectors import resolve_group_path
from accounts.throttles import redeem_guard
from accounts.validators import acting_for
from catalog.models import CatalogItem
from core.errors import InvalidInput
from core.filters import ZypeFilters, is_uuid
from coupons import services
from coupons.errors import CouponNotFound, UsageNotFound
from coupons.models import Coupon, CouponUsage, GroupOffering
from dialects.common.filters import CodeTextFilter
from dialects.native.base import NativeView
from dialects.native.fields import LearnerField

ERRORS = {400: None, 401: None, 403: None, 404: None, 409: None, 422: None}


@extend_schema_field(OpenApiTypes.STR)
class GroupRefField(serializers.Field):
    """A learner group by id or path (`{name:"Training"}/{code:"CORP"}/*`); renders the id."""

    def to_internal_value(self, data):
        try:
            return resolve_group_path(data)
        except AccountsError as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None

    def to_representation(self, value):
        return str(value.pk)


@extend_schema_field(OpenApiTypes.STR)
class ItemRefField(serializers.Field):
    """A catalog item by id or external_id; renders the id."""

    def to_internal_value(self, data):
        if not isinstance(data, str | int) or "\x00" in str(data):
            raise serializers.ValidationError("Give an item's id or external_id.",
                                              code="invalid")
        item = CatalogItem.objects.by_id_or_external(None, data).first()
        if item is None:
            raise serializers.ValidationError(f"No catalog item {str(data)[:100]!r}.",
                                              code="item_not_found")
        return item

    def to_representation(self, value):
        return str(value.pk)


class CouponSerializer(serializers.ModelSerializer):
    code = serializers.CharField(
        required=False, max_length=100,
        help_text="What learners type; generated when left out. Shown canonical (upper case, "
                  "no dashes or spaces); any way of typing it matches.")
    item = ItemRefField(required=False, allow_null=True,
                        help_text="PROGRAM_SESSION, COURSE_SESSION, EVENT: the item.")
    group = GroupRefField(required=False, allow_null=True,
                          help_text="GROUP: the group, by id or path.")
    owner_group = GroupRefField(required=False, allow_null=True,
                                help_text="Only its members may use it; by id or path.")
    uses = serializers.SerializerMethodField()
    balance_cents = serializers.SerializerMethodField()

    class Meta:
        model = Coupon
        fields = ["id", "code", "display_code", "type", "entity_type", "item", "group",
                  "value_count", "value_amount_cents", "value_percent", "start_date", "exp_date",
                  "owner_group", "set_membership_expiration", "add_user_to_coupons_group",
                  "require_approval", "preview_access_only", "status", "comment", "uses",
                  "balance_cents", "created_by", "created_at", "updated_at"]
        read_only_fields = ["id", "display_code", "created_by", "created_at", "updated_at"]
        validators = []  # the service refuses a taken code (409) and inconsistent terms

    def get_uses(self, obj) -> int:
        return obj.uses()

    def get_balance_cents(self, obj) -> int | None:
        return obj.balance_cents()

    def create(self, validated_data):
        return services.create_coupon(created_by=str(self.context["request"].user),
                                      **validated_data)

    def update(self, instance, validated_data):
        fixed = sorted(set(validated_data) - set(services.UPDATABLE))
        if fixed:
            raise InvalidInput("read_only", f"These cannot change once a coupon exists: "
                                            f"{', '.join(fixed)}.", field=fixed[0])
        return services.update_coupon(instance, **validated_data)


class CouponUseSerializer(serializers.Serializer):
    item = ItemRefField(help_text="The item's id or external_id.")
    user = serializers.CharField(required=False, help_text="The learner's id or email (API "
                                                           "keys and staff; a learner's token "
                                                           "is themselves).")


class QuoteSerializer(serializers.Serializer):
    coupon = serializers.UUIDField(source="coupon.pk")
    user = serializers.UUIDField(source="user.pk")
    item = serializers.UUIDField(source="item.pk")
    price_cents = serializers.IntegerField()
    discount_cents = serializers.IntegerField()
    final_price_cents = serializers.IntegerField()
    requires_approval = serializers.BooleanField()
    uses = serializers.IntegerField()
    balance_cents = serializers.IntegerField(allow_null=True)


class CouponUsageSerializer(serializers.ModelSerializer):
    user = LearnerField(read_only=True)

    class Meta:
        model = CouponUsage
        fields = ["id", "coupon", "user", "item", "price_cents", "discount_cents",
                  "final_price_cents", "status", "decided_at", "decided_by", "reason",
                  "created_at", "updated_at"]
        read_only_fields = fields


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class CouponViewSet(NativeView, viewsets.ModelViewSet):
    """Coupons (EduBrite): create, list, change, delete (refused once used), quote, apply."""

    queryset = Coupon.objects.select_related("item", "group", "owner_group")\
        .order_by("-created_at", "id")
    serializer_class = CouponSerializer
    lookup_value_regex = "[^/]+"
    # quote and apply also take a learner acting for themselves
    learner_scope = {"quote": SCOPE_REDEEM, "apply": SCOPE_REDEEM}
    required_permissions = {"quote": ["coupons.view_coupon"],
                            "apply": ["coupons.add_couponusage"]}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    zype_filters = ZypeFilters(
        equal={"code": CodeTextFilter(path="code"), "type": "type", "entity_type": "entity_type",
               "status": "status", "owner_group": "owner_group", "item": "item",
               "group": "group"},
        times={"created_at": "created_at", "start_date": "start_date",
               "exp_date": "exp_date"},
        text=["code", "display_code", "comment"],
    )

    def get_object(self):
        ref = self.kwargs[self.lookup_field]
        coupon = None
        if "\x00" in ref:
            raise CouponNotFound(message="No coupon has this id or code.")
        if is_uuid(ref):
            coupon = self.get_queryset().filter(pk=ref).first()
        if coupon is None:
            coupon = self.get_queryset().by_code(ref).first()
        if coupon is None:
            raise CouponNotFound(message=f"No coupon has the id or code {ref!r}.")
        return coupon

    def perform_destroy(self, instance):
        services.delete_coupon(instance)

    def _use(self, request) -> tuple[User, CatalogItem]:
        """Who uses the coupon, for what; the coupon is looked up under the redeem throttle
        (a coupon code is guessed like any code)."""
        body = CouponUseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = acting_for(request.user, body.validated_data.get("user"),
                          perm="coupons.add_couponusage")
        return user, body.validated_data["item"]

    @extend_schema(request=CouponUseSerializer,
                   responses={200: QuoteSerializer, **ERRORS, 429: None})
    @action(detail=True, methods=["post"])
    def quote(self, request, pk=None):
        """What using this coupon for the item would cost, or why it would be refused.
        Changes nothing."""
        user, item = self._use(request)
        with redeem_guard(request, user=user):
            quote = services.quote(coupon=self.get_object(), user=user, item=item)
        return Response(QuoteSerializer(quote).data)

    @extend_schema(request=CouponUseSerializer,
                   responses={201: CouponUsageSerializer, **ERRORS, 429: None})
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Use the coupon for the item: a usage, approved (and access granted) at once, or
        pending when the coupon requires approval."""
        user, item = self._use(request)
        with redeem_guard(request, user=user):
            usage = services.apply_coupon(coupon=self.get_object(), user=user, item=item)
        return Response(CouponUsageSerializer(usage).data, status=status.HTTP_201_CREATED)


class CouponUsageViewSet(NativeView, mixins.ListModelMixin,
                         mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Coupon usages: history (never deleted); approve or reject the pending ones."""

    # a group's admin members decide on its usages too (`coupons.services.can_decide`)
    learner_scope = {"approve": SCOPE_REDEEM, "reject": SCOPE_REDEEM}
    required_permissions = {"approve": ["coupons.approve_usage"],
                            "reject": ["coupons.approve_usage"]}
    queryset = CouponUsage.objects.select_related("user").order_by("-created_at", "id")
    serializer_class = CouponUsageSerializer
    zype_filters = ZypeFilters(
        equal={"coupon": "coupon", "user": "user__email", "user_id": "user", "item": "item",
               "status": "status", "code": CodeTextFilter(path="coupon__code")},
        times={"created_at": "created_at", "decided_at": "decided_at"},
        text=["user__email", "coupon__code", "item__title"],
    )

    def get_object(self):
        ref = self.kwargs[self.lookup_field]
        usage = self.get_queryset().filter(pk=ref).first() if is_uuid(ref) else None
        if usage is None:
            raise UsageNotFound(message=f"No coupon usage has the id {ref!r}.")
        return usage

    @extend_schema(request=None, responses={200: CouponUsageSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a pending usage: the learner gets the item (and the group, if the coupon
        says so)."""
        usage = services.approve_usage(usage=self.get_object(), by=request.user)
        return Response(CouponUsageSerializer(usage).data)

    @extend_schema(request=RejectSerializer, responses={200: CouponUsageSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject a pending usage: it grants nothing and frees its use."""
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        usage = services.reject_usage(usage=self.get_object(), by=request.user,
                                      reason=body.validated_data["reason"])
        return Response(CouponUsageSerializer(usage).data)


class GroupOfferingSerializer(serializers.ModelSerializer):
    group = GroupRefField(help_text="The group, by id or path.")
    item = ItemRefField(help_text="The item's id or external_id.")

    class Meta:
        model = GroupOffering
        fields = ["id", "group", "item", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators = []

    def create(self, validated_data):
        return services.offer_item(**validated_data)


class GroupOfferingViewSet(NativeView, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           mixins.CreateModelMixin, mixins.DestroyModelMixin,
                           viewsets.GenericViewSet):
    """What each learner group offers: a GROUP coupon on the group serves these items."""

    queryset = GroupOffering.objects.select_related("group", "item").order_by("-created_at",
                                                                               "id")
    serializer_class = GroupOfferingSerializer
    zype_filters = ZypeFilters(equal={"group": "group", "item": "item"},
                               times={"created_at": "created_at"},
                               text=["group__name", "item__title"],
                               id_element=forms.IntegerField)

    def perform_destroy(self, instance):
        services.remove_offering(instance)
