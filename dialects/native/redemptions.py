"""Native API for redemptions: offers, code groups (+ codes, CSV), codes, redemptions
(+ rollback), `POST redeem` and `POST redeem/check`.

Snake_case JSON, errors `{"errors": [{"code", "message", "field"}]}`. A learner's OAuth token
redeems for the learner; an API key (or staff) redeems on behalf of `user` (id or email).
Redeem and check share the redeem throttle with the web page and the dialects
(`accounts.throttles.redeem_guard`): refusals count per learner and per IP (not the IP of an
API-key server), and too many answer 429 with `Retry-After`.
"""

from __future__ import annotations

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.permissions import REDEEM_ON_BEHALF, SCOPE_REDEEM
from accounts.throttles import client_ip, redeem_guard
from accounts.validators import acting_for
from catalog.models import CatalogItem, Client, Entitlement
from core.errors import InvalidInput
from core.filters import StrictBooleanFilter, ZypeFilters
from core.serializers import FlatSerializer
from dialects.common.csv import CodeCsvExportMixin, CSVRenderer
from dialects.common.filters import CodeKeywordFilter, CodeTextFilter
from dialects.native.base import NativeAPIView, NativeView
from dialects.native.jobs import JobSerializer
from jobs.payloads import job_payload
from licensing.models import License, Seat
from redemptions import selectors, services
from redemptions.codes import Alphabet, default_length
from redemptions.models import (
    MAX_CODES_PER_CALL,
    MAX_CODES_PER_JOB,
    Code,
    CodeGroup,
    Offer,
    Redemption,
)

ERRORS = {400: None, 401: None, 403: None, 404: None}
UPDATE_ONLY = ["get", "post", "patch", "delete", "head", "options"]  # no PUT: PATCH changes


# --- filters ----------------------------------------------------------------------------------

@extend_schema_field(OpenApiTypes.BOOL)
class NonZeroFilter(StrictBooleanFilter):
    """`<name>=true|false`: the counter at `field_name` is above zero, or zero."""

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(**{f"{self.field_name}__gt": 0}) if value \
            else qs.filter(**{self.field_name: 0})


@extend_schema_field(OpenApiTypes.BOOL)
class IsSetFilter(StrictBooleanFilter):
    """`<name>=true|false`: the field at `field_name` is set, or empty."""

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(**{f"{self.field_name}__isnull": not value})


# --- offers -----------------------------------------------------------------------------------

class OfferSerializer(serializers.ModelSerializer):
    items = serializers.PrimaryKeyRelatedField(many=True, required=False,
                                               queryset=CatalogItem.objects.all())
    licenses = serializers.PrimaryKeyRelatedField(many=True, required=False,
                                                  queryset=License.objects.all())
    user_tags = serializers.ListField(child=serializers.CharField(max_length=100),
                                      required=False)
    match_specification = serializers.JSONField(
        required=False, help_text='{"all": [...], "any": [...], "excluded": [...]}: title '
                                  'patterns for session-license-match.')

    class Meta:
        model = Offer
        fields = ["id", "name", "items", "licenses", "access_days", "access_expiration_date",
                  "action_type", "user_tags", "match_specification", "created_at",
                  "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def create(self, validated_data):
        return services.create_offer(services.OfferTerms(**validated_data))

    def update(self, instance, validated_data):
        return services.update_offer(instance, **validated_data)


class OfferViewSet(NativeView, viewsets.ModelViewSet):
    """What codes grant: items, a seat on each license, tags, or title-matched items."""

    queryset = Offer.objects.prefetch_related("items", "licenses").order_by("-created_at", "id")
    serializer_class = OfferSerializer
    http_method_names = UPDATE_ONLY
    zype_filters = ZypeFilters(
        equal={"name": "name", "action_type": "action_type", "item": "items",
               "license": "licenses"},
        times={"created_at": "created_at", "updated_at": "updated_at",
               "access_expiration_date": "access_expiration_date"},
        text=["name"],
    )

    def get_queryset(self):
        return super().get_queryset().distinct()

    @extend_schema(responses={204: None, **ERRORS, 409: None})
    def destroy(self, request, *args, **kwargs):
        """Delete an offer no code uses (409 otherwise)."""
        return super().destroy(request, *args, **kwargs)


# --- code groups and codes --------------------------------------------------------------------

class CodeSerializer(serializers.ModelSerializer):
    code = serializers.CharField(required=False, max_length=100,
                                 help_text="Leave out to generate one. Any case; dashes and "
                                           "spaces are ignored.")
    offer = serializers.PrimaryKeyRelatedField(queryset=Offer.objects.all(), required=False,
                                               help_text="Defaults to the group's offer.")
    group = serializers.PrimaryKeyRelatedField(queryset=CodeGroup.objects.all(),
                                               required=False, allow_null=True)
    max_redemptions = serializers.IntegerField(required=False, min_value=0)
    remaining_redemptions = serializers.IntegerField(read_only=True)
    effective_expiration = serializers.DateTimeField(read_only=True, allow_null=True)
    is_expired = serializers.SerializerMethodField()
    redeemed_by = serializers.SerializerMethodField()

    class Meta:
        model = Code
        fields = ["id", "code", "group", "offer", "max_redemptions", "redemptions_count",
                  "remaining_redemptions", "starts_at", "expiration_date",
                  "effective_expiration", "is_expired", "is_active", "transaction_id",
                  "first_redeemed_at", "last_redeemed_at", "redeemed_by", "created_at",
                  "updated_at"]
        read_only_fields = ["id", "redemptions_count", "first_redeemed_at",
                            "last_redeemed_at", "created_at", "updated_at"]

    def get_is_expired(self, code) -> bool:
        return code.is_expired()

    def get_redeemed_by(self, code) -> list[str]:
        """Emails of the learners holding a standing redemption (in code-group listings)."""
        return selectors.redeemed_by(code)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["code"] = instance.display_code()
        return data

    def create(self, validated_data):
        return services.create_code(**validated_data)

    def update(self, instance, validated_data):
        for fixed in ("code", "group", "offer"):
            if fixed in validated_data:
                raise InvalidInput("read_only", f"A code's {fixed} cannot change.",
                                   field=fixed)
        return services.update_code(instance, **validated_data)


CODE_TEXT = ["code", "group__label", "transaction_id"]


class CodeViewSet(NativeView, viewsets.ModelViewSet):
    """Codes, alone or in groups. A code once redeemed cannot be deleted (deactivate it)."""

    queryset = selectors.codes_with_redeemers().select_related("offer").order_by("id")
    serializer_class = CodeSerializer
    http_method_names = UPDATE_ONLY
    zype_filters = ZypeFilters(
        equal={"code": CodeTextFilter(), "group": "group", "offer": "offer",
               "is_active": "is_active", "transaction_id": "transaction_id",
               "redeemed": NonZeroFilter(field_name="redemptions_count"),
               "q": CodeKeywordFilter(text_fields=CODE_TEXT, help_text=(
                   "A code (any case, dashes and spaces ignored) or the start of codes, found "
                   "by its index; else keywords over " + ", ".join(CODE_TEXT)))},
        times={"created_at": "created_at", "updated_at": "updated_at",
               "expiration_date": "expiration_date", "redeemed_at": "last_redeemed_at"},
        id_element=forms.IntegerField,
    )

    def perform_destroy(self, instance):
        services.delete_code(instance)

    @extend_schema(responses={204: None, **ERRORS, 409: None})
    def destroy(self, request, *args, **kwargs):
        """Delete a code nobody redeemed (409 once redeemed: deactivate it instead)."""
        return super().destroy(request, *args, **kwargs)


class CodeGroupSerializer(serializers.ModelSerializer):
    offer = serializers.PrimaryKeyRelatedField(queryset=Offer.objects.all())
    count = serializers.IntegerField(
        write_only=True, min_value=1, max_value=MAX_CODES_PER_JOB,
        help_text=f"How many codes to generate: up to {MAX_CODES_PER_CALL:,} at once (201), "
                  f"more (up to {MAX_CODES_PER_JOB:,}) by a job (202 with the job; the group "
                  f"is redeemable once the job succeeded).")
    code_length = serializers.IntegerField(required=False, min_value=1, max_value=64,
                                           help_text="Default: 8, or more when the count "
                                                     "needs it.")
    redeemed_codes_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = CodeGroup
        fields = ["id", "label", "offer", "client", "count", "code_length", "alphabet",
                  "total_codes_count", "redeemed_codes_count", "redemptions_per_code",
                  "starts_at", "expiration_date", "uploaded", "gift", "ready", "job",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "total_codes_count", "uploaded", "ready", "job", "created_at",
                            "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for fixed in ("offer", "count", "code_length", "alphabet", "redemptions_per_code"):
                fields[fixed].read_only = True  # set by the generator, once
        return fields

    def create(self, validated_data):
        alphabet = validated_data.get("alphabet", Alphabet.UNAMBIGUOUS)
        count = validated_data.pop("count")
        length = validated_data.pop("code_length", None) or default_length(count, alphabet)
        if count > MAX_CODES_PER_CALL:
            return services.start_code_group_generation(
                count=count, code_length=length, max_count=None,
                created_by=self.context["request"].user, **validated_data)
        return services.create_code_group(count=count, code_length=length, **validated_data)

    def update(self, instance, validated_data):
        return services.update_code_group(instance, **validated_data)


class CodeImportSerializer(serializers.Serializer):
    """An upload of existing codes (`redemptions.imports`: code, optional max uses, optional
    expiry per line; a `code` header line is skipped)."""

    file = serializers.FileField(help_text="CSV: code[,max_uses[,expires]] per line.")
    label = serializers.CharField(max_length=200)
    offer = serializers.PrimaryKeyRelatedField(queryset=Offer.objects.all())
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all(), required=False,
                                                allow_null=True)
    redemptions_per_code = serializers.IntegerField(
        required=False, default=1, min_value=0,
        help_text="Uses of a code whose line gives none.")
    expiration_date = serializers.DateTimeField(required=False, allow_null=True,
                                                help_text="Codes without their own expiry "
                                                          "expire then.")


class CodeGroupViewSet(CodeCsvExportMixin, NativeView, viewsets.ModelViewSet):
    """Batches of generated codes for one offer. Deleting is refused once a code was
    redeemed (409)."""

    permission_model = CodeGroup

    serializer_class = CodeGroupSerializer
    http_method_names = UPDATE_ONLY
    zype_filters = ZypeFilters(
        equal={"label": "label", "offer": "offer", "client": "client", "alphabet": "alphabet",
               "uploaded": "uploaded", "gift": "gift"},
        times={"created_at": "created_at", "updated_at": "updated_at",
               "expiration_date": "expiration_date", "starts_at": "starts_at"},
        text=["label"],
    )

    def get_queryset(self):
        return selectors.code_groups().order_by("-created_at", "id")

    def csv_job_response(self, job):
        return Response(job_payload(job), status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={201: CodeGroupSerializer, 202: JobSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        """Make a group and its codes: at once up to 10,000 codes (201 with the group), else
        by a job (202 with the job; `GET /api/v1/jobs/{id}` follows it)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = serializer.save()
        if group.job_id is not None:
            return Response(job_payload(group.job), status=status.HTTP_202_ACCEPTED)
        return Response(self.get_serializer(self.get_queryset().get(pk=group.pk)).data,
                        status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.delete_code_group(instance)

    @extend_schema(request={"multipart/form-data": CodeImportSerializer},
                   responses={202: JobSerializer, **ERRORS})
    @action(detail=False, methods=["post"], url_path="import",
            parser_classes=[MultiPartParser], serializer_class=CodeImportSerializer)
    def import_codes(self, request):
        """Import existing codes from CSV as a job (202): all or nothing — a bad or duplicate
        line fails the job, its `result.problems` naming each line; nothing is created.
        The group shows `uploaded: true` and is redeemable once the job succeeded."""
        serializer = CodeImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = services.start_code_import(created_by=request.user, **serializer.validated_data)
        return Response(job_payload(group.job), status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={204: None, **ERRORS, 409: None})
    def destroy(self, request, *args, **kwargs):
        """Delete a group whose codes were never redeemed (409 otherwise)."""
        return super().destroy(request, *args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"],
                                     description="`csv` streams every code: code, redeemed, "
                                                 "redeemedBy, redeemedAt, niceCode, "
                                                 "redemptionUrl; a group above "
                                                 "CSV_STREAM_MAX_CODES codes is a 202 with "
                                                 "the export job writing them to a file.")],
        responses={(200, "application/json"): CodeSerializer(many=True),
                   (200, "text/csv"): OpenApiTypes.STR, 202: JobSerializer, **ERRORS},
        filters=False,
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, CSVRenderer])
    def codes(self, request, pk=None):
        """The group's codes, in pages, or streamed as CSV with `?format=csv` (a group too big
        to stream: 202 with the export job, whose result states the rows it wrote)."""
        group = self.get_object()
        codes = selectors.codes_with_redeemers(
            Code.objects.filter(group=group).select_related("offer")).order_by("id")
        if self.wants_csv():
            return self.csv_response(codes, group)
        page = self.paginate_queryset(codes)
        return self.get_paginated_response(CodeSerializer(page, many=True).data)


# --- redemptions, redeem, check ---------------------------------------------------------------

class GrantedEntitlementSerializer(serializers.ModelSerializer):
    item_title = serializers.CharField(source="item.title", read_only=True)

    class Meta:
        model = Entitlement
        fields = ["id", "item", "item_title", "starts_at", "expires_at", "revoked_at"]


class GrantedSeatSerializer(serializers.ModelSerializer):
    class Meta:
        model = Seat
        fields = ["id", "license", "assigned_at", "expires_at", "revoked_at"]


class RedemptionSerializer(serializers.ModelSerializer):
    code = serializers.SerializerMethodField()
    group = serializers.UUIDField(source="code.group_id", read_only=True, allow_null=True)
    user = serializers.UUIDField(source="user_id", read_only=True)
    user_email = serializers.EmailField(source="user.email", read_only=True)
    entitlements = serializers.SerializerMethodField()
    seats = serializers.SerializerMethodField()

    class Meta:
        model = Redemption
        fields = ["id", "code", "code_id", "group", "user", "user_email", "redeemed_at", "ip",
                  "transaction_id", "entitlements", "seats", "rolled_back_at",
                  "rolled_back_by", "rolled_back_reason"]
        read_only_fields = fields

    def get_code(self, redemption) -> str:
        return redemption.code.display_code()

    @extend_schema_field(GrantedEntitlementSerializer(many=True))
    def get_entitlements(self, redemption):
        granted = getattr(redemption, "entitlements", None)
        if granted is None:
            granted = redemption.granted_entitlements()
        return GrantedEntitlementSerializer(granted, many=True).data

    @extend_schema_field(GrantedSeatSerializer(many=True))
    def get_seats(self, redemption):
        seats = getattr(redemption, "seats", None)
        if seats is None:
            seats = redemption.granted_seats()
        return GrantedSeatSerializer(seats, many=True).data


_TIME = serializers.DateTimeField()  # DRF's own rendering of a time, for the lean answer


def _time(value):
    return None if value is None else _TIME.to_representation(value)


def redemption_answer(redemption: Redemption) -> dict:
    """What `RedemptionSerializer` renders for a redemption just made (its `entitlements`
    and `seats` attached), written out: building the ModelSerializer's fields for each
    request cost more than the redemption's own queries. Same keys, order and values
    (tests/dialects/native/test_redemptions.py compares the two)."""
    code = redemption.code
    return {
        "id": redemption.pk,
        "code": code.display_code(),
        "code_id": redemption.code_id,
        "group": None if code.group_id is None else str(code.group_id),
        "user": str(redemption.user_id),
        "user_email": redemption.user.email,
        "redeemed_at": _time(redemption.redeemed_at),
        "ip": redemption.ip,
        "transaction_id": redemption.transaction_id,
        "entitlements": [
            {"id": str(grant.pk), "item": grant.item_id, "item_title": grant.item.title,
             "starts_at": _time(grant.starts_at), "expires_at": _time(grant.expires_at),
             "revoked_at": _time(grant.revoked_at)}
            for grant in redemption.entitlements],
        "seats": [
            {"id": str(seat.pk), "license": seat.license_id,
             "assigned_at": _time(seat.assigned_at), "expires_at": _time(seat.expires_at),
             "revoked_at": _time(seat.revoked_at)}
            for seat in redemption.seats],
        "rolled_back_at": _time(redemption.rolled_back_at),
        "rolled_back_by": redemption.rolled_back_by,
        "rolled_back_reason": redemption.rolled_back_reason,
    }


def attach_grants(redemptions: list[Redemption]) -> list[Redemption]:
    """Give each redemption its `entitlements` and `seats` with two queries for the page."""
    refs = {str(r.pk): r for r in redemptions}
    for r in redemptions:
        r.entitlements, r.seats = [], []
    for grant in Entitlement.objects.filter(source=services.SOURCE, source_ref__in=refs)\
            .select_related("item").order_by("created_at", "id"):
        refs[grant.source_ref].entitlements.append(grant)
    for seat in Seat.objects.filter(source=services.SOURCE, source_ref__in=refs)\
            .order_by("assigned_at", "id"):
        refs[seat.source_ref].seats.append(seat)
    return redemptions


class RollbackSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why (a refund, a mistake).")


REDEMPTION_TEXT = ["user__email", "code__code", "code__group__label", "transaction_id"]


class RedemptionViewSet(NativeView, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        viewsets.GenericViewSet):
    """Every use of a code. Never deleted: `rollback` undoes one and keeps it, marked."""

    required_permissions = {"rollback": ["redemptions.rollback_redemption"]}
    queryset = selectors.redemptions().order_by("-redeemed_at", "-id")
    serializer_class = RedemptionSerializer
    zype_filters = ZypeFilters(
        equal={"user": "user__email", "user_id": "user", "code": CodeTextFilter(
                   path="code__code"), "code_id": "code", "group": "code__group",
               "offer": "code__offer", "transaction_id": "transaction_id",
               "rolled_back": IsSetFilter(field_name="rolled_back_at"),
               "q": CodeKeywordFilter(code_path="code", text_fields=REDEMPTION_TEXT, help_text=(
                   "A code (any case, dashes and spaces ignored) or the start of codes, found "
                   "by its index; else keywords over " + ", ".join(REDEMPTION_TEXT)))},
        times={"redeemed_at": "redeemed_at", "rolled_back_at": "rolled_back_at",
               "created_at": "created_at"},
        id_element=forms.IntegerField,
    )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return attach_grants(page) if page is not None else None

    @extend_schema(request=RollbackSerializer,
                   responses={200: RedemptionSerializer, **ERRORS, 409: None})
    @action(detail=True, methods=["post"])
    def rollback(self, request, pk=None):
        """Undo this redemption: grants and seats revoked, the use given back; it stays
        listed, marked with when, who and why (409 if already rolled back)."""
        body = RollbackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        redemption = services.rollback(self.get_object(), body.validated_data["reason"],
                                       by=str(getattr(request.user, "email", request.user)))
        redemption = selectors.redemptions().get(pk=redemption.pk)
        return Response(RedemptionSerializer(redemption).data)


class RedeemSerializer(FlatSerializer):
    code = serializers.CharField(max_length=200, help_text="Any case; dashes and spaces are "
                                                          "ignored.")
    user = serializers.CharField(required=False, help_text="The learner (id or email) when an "
                                                           "API key redeems on their behalf.")
    transaction_id = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                           default="")


class RedeemingView(NativeAPIView):
    learner_scope = SCOPE_REDEEM
    required_permissions = {"POST": [REDEEM_ON_BEHALF]}

    def learner(self, data: dict):
        """On whose behalf (`accounts.validators.acting_for`): a learner's own token is for
        themselves; an API key names `user`; staff may name one (else themselves)."""
        return acting_for(self.request.user, data.get("user"), perm=REDEEM_ON_BEHALF)


class CheckRefusalSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class CheckItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = CatalogItem
        fields = ["id", "kind", "title"]


class CheckLicenseSerializer(serializers.ModelSerializer):
    class Meta:
        model = License
        fields = ["id", "name"]


class CheckResultSerializer(serializers.Serializer):
    redeemable = serializers.BooleanField()
    refusal = CheckRefusalSerializer(allow_null=True)
    items = CheckItemSerializer(many=True)
    licenses = CheckLicenseSerializer(many=True)
    user_tags = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True,
                                           help_text="When the granted access would end "
                                                     "(null: no end).")


class RedeemView(RedeemingView):
    """Redeem a code: 201 with the redemption and what it granted."""

    @extend_schema(request=RedeemSerializer,
                   responses={201: RedemptionSerializer, **ERRORS, 422: None, 429: None})
    def post(self, request):
        body = RedeemSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        learner = self.learner(data)
        with redeem_guard(request, user=learner):
            redemption = services.redeem(data["code"], learner, ip=client_ip(request),
                                         transaction_id=data["transaction_id"])
        return Response(redemption_answer(redemption), status=status.HTTP_201_CREATED)


class RedeemCheckView(RedeemingView):
    """What redeeming a code would grant now, or why it would be refused; changes nothing."""

    @extend_schema(request=RedeemSerializer,
                   responses={200: CheckResultSerializer, **ERRORS, 429: None})
    def post(self, request):
        body = RedeemSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        learner = self.learner(body.validated_data)
        with redeem_guard(request, user=learner) as count_refusal:
            result = services.check(body.validated_data["code"], learner)
            if result.refusal is not None:  # a check guesses as well as a redeem does
                count_refusal(result.refusal)
        grant = result.grant or services.Grant()
        refusal = result.refusal
        return Response(CheckResultSerializer({
            "redeemable": result.redeemable,
            "refusal": {"code": refusal.code, "message": refusal.message} if refusal else None,
            "items": grant.items, "licenses": grant.licenses, "user_tags": grant.user_tags,
            "expires_at": grant.expires_at,
        }).data)
